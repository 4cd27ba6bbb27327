-- The least SQL that could answer GET /api/v1/tickets/BENCH-1, the ticket with a 50-message
-- transcript (the `get_ticket` scenario): one indexed SELECT of the ticket and one of its
-- messages, oldest first, by the `(conversation_id, created_at, id)` index.
SELECT "id", "workspace_id", "number", "reference", "agent_id", "conversation_id", "subject", "body", "status", "priority", "assigned_to_user_id", "notes", "metadata", "resolved_at", "created_at", "updated_at", "requester_name", "requester_email", "first_responded_at", "first_response_due_at", "resolution_due_at", "sla_stopped_at" FROM "tickets" WHERE "workspace_id" = :ws AND "number" = 1 \gset t_
SELECT "id", "role", "content", "created_at" FROM "messages" WHERE "conversation_id" = :t_conversation_id ORDER BY "created_at", "id";
