-- The SQL of GET /api/v1/tickets?status=open as ticketd runs it (captured from PostgreSQL's log):
-- auth, the page, the capped count, and the planner's estimate past 1,000.
-- Every API request first resolves its bearer token and workspace (as ticketd does).
SELECT "api_tokens"."id", "api_tokens"."workspace_id", "api_tokens"."name", "api_tokens"."secret_hash", "api_tokens"."scopes", "api_tokens"."created_by_user_id", "api_tokens"."created_at", "api_tokens"."last_used_at", "api_tokens"."revoked_at" FROM "api_tokens" WHERE "api_tokens"."secret_hash" = :hash AND "api_tokens"."revoked_at" IS NULL LIMIT 1;
SELECT "workspaces"."id", "workspaces"."name", "workspaces"."ticket_prefix", "workspaces"."ticket_counter", "workspaces"."created_at" FROM "workspaces" WHERE "workspaces"."id" = :ws LIMIT 1;
SELECT "tickets"."id", "tickets"."workspace_id", "tickets"."number", "tickets"."reference", "tickets"."agent_id", "tickets"."conversation_id", "tickets"."subject", "tickets"."body", "tickets"."status", "tickets"."priority", "tickets"."assigned_to_user_id", "tickets"."notes", "tickets"."metadata", "tickets"."resolved_at", "tickets"."created_at", "tickets"."updated_at" FROM "tickets" WHERE "tickets"."workspace_id" = :ws AND "tickets"."status" IN ('open') ORDER BY "tickets"."created_at" DESC, "tickets"."id" DESC LIMIT 26;
SELECT COUNT(*) FROM (SELECT 1 FROM "tickets" WHERE "tickets"."workspace_id" = :ws AND "tickets"."status" IN ('open') LIMIT 1001) AS "matching";
EXPLAIN (FORMAT JSON) SELECT 1 FROM "tickets" WHERE "tickets"."workspace_id" = :ws AND "tickets"."status" IN ('open');
