-- The least SQL that could answer GET /api/v1/tickets/BENCH-2 (a ticket without a
-- conversation, the `get_ticket_plain` scenario): one indexed SELECT of the ticket (by
-- workspace and number). The floor the API's get is measured against (issue 14 item 11).
SELECT "id", "workspace_id", "number", "reference", "agent_id", "conversation_id", "subject", "body", "status", "priority", "assigned_to_user_id", "notes", "metadata", "resolved_at", "created_at", "updated_at", "requester_name", "requester_email", "first_responded_at", "first_response_due_at", "resolution_due_at", "sla_stopped_at" FROM "tickets" WHERE "workspace_id" = :ws AND "number" = 2;
