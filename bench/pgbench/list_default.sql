-- The SQL of GET /api/v1/tickets? as ticketd runs it (captured from PostgreSQL's log):
-- the planner's estimate, the capped count when the estimate is under 10,000 (`small`),
-- and the page. (The bearer token is resolved from memory: no SQL.)
EXPLAIN (FORMAT JSON) SELECT 1 FROM "tickets" WHERE "tickets"."workspace_id" = :ws AND "tickets"."status" IN ('open', 'pending', 'resolved');
\if :small
SELECT COUNT(*) FROM (SELECT 1 FROM "tickets" WHERE "tickets"."workspace_id" = :ws AND "tickets"."status" IN ('open', 'pending', 'resolved') LIMIT 1001) AS "matching";
\endif
SELECT "tickets"."id", "tickets"."workspace_id", "tickets"."number", "tickets"."reference", "tickets"."agent_id", "tickets"."conversation_id", "tickets"."subject", "tickets"."body", "tickets"."status", "tickets"."priority", "tickets"."assigned_to_user_id", "tickets"."notes", "tickets"."metadata", "tickets"."resolved_at", "tickets"."created_at", "tickets"."updated_at" FROM "tickets" WHERE "tickets"."workspace_id" = :ws AND "tickets"."status" IN ('open', 'pending', 'resolved') ORDER BY "tickets"."created_at" DESC, "tickets"."id" DESC LIMIT 26;
