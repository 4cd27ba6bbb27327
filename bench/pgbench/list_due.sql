-- The SQL of GET /api/v1/tickets?sort=due as ticketd runs it (captured from PostgreSQL's log):
-- the running clocks' page by due time (at a million tickets it fills the page, so the
-- no-running-clock part is not read), the planner's estimate, and the capped count when the
-- estimate is under 10,000 (`small`).
SELECT "tickets"."id", "tickets"."workspace_id", "tickets"."number", "tickets"."reference", "tickets"."agent_id", "tickets"."conversation_id", "tickets"."subject", "tickets"."body", "tickets"."status", "tickets"."priority", "tickets"."assigned_to_user_id", "tickets"."notes", "tickets"."metadata", "tickets"."resolved_at", "tickets"."created_at", "tickets"."updated_at", "tickets"."requester_name", "tickets"."requester_email", "tickets"."first_responded_at", "tickets"."first_response_due_at", "tickets"."resolution_due_at", "tickets"."sla_stopped_at", "tickets"."sla_next_due_at", "tickets"."sla_later_due_at", "tickets"."sla_alarm_at", "tickets"."first_response_breach_due_at", "tickets"."resolution_breach_due_at" FROM "tickets" WHERE "tickets"."workspace_id" = :ws AND "tickets"."status" IN ('open', 'pending', 'resolved') AND "tickets"."sla_next_due_at" IS NOT NULL ORDER BY "tickets"."sla_next_due_at" ASC, "tickets"."id" ASC LIMIT 26 OFFSET 0;
EXPLAIN (FORMAT JSON) SELECT 1 FROM "tickets" WHERE "tickets"."workspace_id" = :ws AND "tickets"."status" IN ('open', 'pending', 'resolved');
\if :small
SELECT COUNT(*) FROM (SELECT 1 FROM "tickets" WHERE "tickets"."workspace_id" = :ws AND "tickets"."status" IN ('open', 'pending', 'resolved') LIMIT 1001) AS "matching";
\endif
