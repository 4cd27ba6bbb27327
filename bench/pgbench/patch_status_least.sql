-- The least SQL that could do PATCH /api/v1/tickets/BENCH-n {"status": …}: one transaction
-- with one UPDATE (which returns the row for the answer and the event), its activity event
-- and its outbox row. The floor the API's patch is measured against (issue 14 item 11).
\set n random(:patch_base, :patch_base + 1999)
BEGIN;
UPDATE "tickets" SET "status" = CASE WHEN "status" = 'open' THEN 'resolved' ELSE 'open' END, "resolved_at" = CASE WHEN "status" = 'open' THEN now() END, "updated_at" = now() WHERE "workspace_id" = :ws AND "number" = :n RETURNING "id", "workspace_id", "number", "reference", "agent_id", "conversation_id", "subject", "body", "status", "priority", "assigned_to_user_id", "notes", "metadata", "resolved_at", "created_at", "updated_at" \gset t_
INSERT INTO "ticket_events" ("id", "workspace_id", "ticket_id", "kind", "from_value", "to_value", "actor_user_id", "actor_token_id", "created_at") VALUES (gen_random_uuid(), :ws, :t_id, 'status_changed', 'open', :t_status, NULL, NULL, now());
INSERT INTO "outbox_events" ("id", "workspace_id", "type", "data", "created_at") VALUES (gen_random_uuid(), :ws, 'ticket.updated', json_build_object('ticket', json_build_object('id', :t_id::uuid, 'reference', :t_reference::text, 'status', :t_status::text)), now());
COMMIT;
