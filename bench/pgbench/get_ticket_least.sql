-- The least SQL that could answer GET /api/v1/tickets/BENCH-1: one indexed SELECT of the
-- ticket (by workspace and number). The floor the API's get is measured against (issue 14
-- item 11), not the statements ticketd runs today.
SELECT "id", "workspace_id", "number", "reference", "agent_id", "conversation_id", "subject", "body", "status", "priority", "assigned_to_user_id", "notes", "metadata", "resolved_at", "created_at", "updated_at" FROM "tickets" WHERE "workspace_id" = :ws AND "number" = 1;
