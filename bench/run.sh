#!/usr/bin/env bash
# Benchmarks a release `ticketd` over loopback: seeds a database with N tickets (once; reused
# on later runs), starts the server, and drives each scenario with wrk for DURATION seconds,
# REPEAT times, recording requests/s, p50/p99 latency and the server's peak RSS. With
# PostgreSQL, the same SQL is then run directly by pgbench (bench/pgbench.sh) as the physical
# limit. Results: bench/results/<db>-<N>.jsonl, one JSON object per run.
#
#   bench/run.sh --db postgres --tickets 1000000
#   bench/run.sh --db sqlite --tickets 10000 --duration 5 --repeat 3
#
# Options: --db postgres|sqlite, --tickets N, --duration S (10), --repeat R (3),
# --connections C (8), --threads T (2), --only a,b (scenario names), --fresh (reseed),
# --no-pgbench, --seed-only (load the database and stop). Environment: BENCH_PG_URL (postgres://postgres:postgres@127.0.0.1:5432),
# BENCH_PORT (18080), CARGO_TARGET_DIR.
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$BENCH_DIR")
export BENCH_DIR

DB=postgres TICKETS=10000 DURATION=10 REPEAT=3 CONNECTIONS=8 THREADS=2 ONLY="" FRESH=0 PGBENCH=1 SEED_ONLY=0
while [ $# -gt 0 ]; do
    case "$1" in
        --db) DB=$2; shift 2 ;;
        --tickets) TICKETS=$2; shift 2 ;;
        --duration) DURATION=$2; shift 2 ;;
        --repeat) REPEAT=$2; shift 2 ;;
        --connections) CONNECTIONS=$2; shift 2 ;;
        --threads) THREADS=$2; shift 2 ;;
        --only) ONLY=$2; shift 2 ;;
        --fresh) FRESH=1; shift ;;
        --no-pgbench) PGBENCH=0; shift ;;
        --seed-only) SEED_ONLY=1; shift ;;
        -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
case "$DB" in postgres|sqlite) ;; *) echo "--db must be postgres or sqlite" >&2; exit 2 ;; esac

PG_URL=${BENCH_PG_URL:-postgres://postgres:postgres@127.0.0.1:5432}
PORT=${BENCH_PORT:-18080}
BASE="http://127.0.0.1:$PORT"
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
BIN="$TARGET/release/ticketd"
WORK="$TARGET/bench"
RESULTS="$BENCH_DIR/results"
OUT="$RESULTS/$DB-$TICKETS.jsonl"
PREFIX=BENCH
mkdir -p "$WORK" "$RESULTS"

log() { printf '== %s\n' "$*" >&2; }

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
command -v jq >/dev/null || { echo "jq is missing: apt-get install jq" >&2; exit 1; }

log "building the release binary"
(cd "$ROOT" && cargo build --release -q -p ticketd)

export TICKETD_JWT_SECRET="bench-secret-bench-secret-bench-secret-0123"
export TICKETD_BIND="127.0.0.1:$PORT"
export RUST_LOG=warn
# The benchmark measures throughput; the per-token abuse limits would cap it.
export TICKETD_RATE_LIMIT_TOOLS_PER_MINUTE=0 TICKETD_RATE_LIMIT_CTA_PER_MINUTE=0
unset TICKETD_STATIC_DIR TICKETD_LOG_FORMAT

if [ "$DB" = postgres ]; then
    DBNAME="ticketd_bench_$TICKETS"
    export DATABASE_URL="$PG_URL/$DBNAME"
    exists=$(psql -Atq "$PG_URL/postgres" -c "SELECT 1 FROM pg_database WHERE datname = '$DBNAME'")
    if [ "$FRESH" = 1 ] || [ "$exists" != 1 ]; then
        psql -q "$PG_URL/postgres" -c "DROP DATABASE IF EXISTS $DBNAME" -c "CREATE DATABASE $DBNAME"
        SEED=1
    else
        SEED=0
    fi
else
    DBFILE="$WORK/ticketd-$TICKETS.sqlite"
    export DATABASE_URL="sqlite://$DBFILE?mode=rwc"
    if [ "$FRESH" = 1 ] || [ ! -f "$DBFILE" ]; then
        rm -f "$DBFILE" "$DBFILE-wal" "$DBFILE-shm"
        SEED=1
    else
        SEED=0
    fi
fi

if [ "$SEED" = 1 ]; then
    log "seeding $TICKETS tickets into $DB"
    "$BIN" workspace create --name Bench --prefix $PREFIX --admin-email admin@bench.test \
        --admin-password bench-admin-pass 2>/dev/null
    for i in 1 2 3 4 5 6 7 8; do
        "$BIN" user create --workspace $PREFIX --email "operator$i@bench.test" \
            --password bench-operator-pass --role operator 2>/dev/null
    done
    /usr/bin/time -f '%e s wall, %M KiB peak RSS' -o "$WORK/seed-$DB-$TICKETS.time" \
        "$BIN" seed-bulk --workspace $PREFIX --tickets "$TICKETS" --conversations $((TICKETS / 20 > 10 ? TICKETS / 20 : 10))
    log "seed-bulk: $(cat "$WORK/seed-$DB-$TICKETS.time")"
fi
[ "$SEED_ONLY" = 1 ] && exit 0

# The write scenarios add tickets, a tool message per invocation and the bench's own
# conversations: take them out again, so that every session reads exactly N tickets (and a
# trigram index without a pending list of new entries).
RESET_SQL="
DELETE FROM conversation_tool_calls;
DELETE FROM idempotency_keys;
DELETE FROM tickets WHERE number > $TICKETS;
DELETE FROM conversations WHERE visitor_name LIKE 'Bench visitor %';
DELETE FROM outbox_events;
UPDATE workspaces SET ticket_counter = $TICKETS;
"
if [ "$SEED" = 0 ]; then
    log "resetting the database to its $TICKETS seeded tickets"
    if [ "$DB" = postgres ]; then
        psql -q "$DATABASE_URL" -c "$RESET_SQL"
        psql -q "$DATABASE_URL" -c "VACUUM ANALYZE"
    else
        python3 - "$DBFILE" "$RESET_SQL" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("PRAGMA foreign_keys = ON")
db.executescript(sys.argv[2])
db.commit()
db.execute("ANALYZE")
db.close()
PY
    fi
fi
TOKEN=$("$BIN" token create --workspace $PREFIX --name "bench $(date +%s)" \
    --scopes tickets:read,tickets:write,conversations:write,tools:invoke 2>/dev/null)
ADMIN_TOKEN=$("$BIN" token create --workspace $PREFIX --name "bench setup $(date +%s)" --scopes admin 2>/dev/null)
export BENCH_TOKEN=$TOKEN BENCH_PREFIX=$PREFIX

log "starting ticketd on $BASE"
"$BIN" serve >"$WORK/server-$DB-$TICKETS.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 1500); do # migrations of a big database may run first
    curl -fs "$BASE/readyz" >/dev/null 2>&1 && break
    sleep 0.2
done
curl -fs "$BASE/readyz" >/dev/null

api() { curl -fsS -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' "$@"; }

# The scenarios' fixtures: the bulk agent, conversations for tool invocations, the ticket
# with the 50-message transcript (the first bulk ticket), tickets for patches.
AGENT=$(curl -fsS -H "Authorization: Bearer $ADMIN_TOKEN" "$BASE/api/v1/agents" | jq -r '.data[0].id')
CONVERSATIONS=""
for i in $(seq 1 "$CONNECTIONS"); do
    id=$(api -X POST "$BASE/api/v1/conversations" \
        -d "{\"agent_id\":\"$AGENT\",\"visitor\":{\"name\":\"Bench visitor $i\"},\"messages\":[{\"role\":\"visitor\",\"content\":\"I cannot log in.\"}]}" |
        jq -r .id)
    CONVERSATIONS="$CONVERSATIONS${CONVERSATIONS:+,}$id"
done
export BENCH_AGENT=$AGENT BENCH_CONVERSATIONS=$CONVERSATIONS BENCH_RUN=$(date +%s%N)
# Patches touch tickets from the middle of the bulk load, THREADS × 1,000 of them.
export BENCH_PATCH_BASE=$(( TICKETS / 2 > THREADS * 1000 ? TICKETS / 2 : 1 ))
LONG_TICKET="$PREFIX-1"
messages=$(api "$BASE/api/v1/tickets/$LONG_TICKET" | jq '.conversation.messages | length')
# The plain get: a ticket without a conversation (seed-bulk links every 20th ticket, from the first).
PLAIN_TICKET="$PREFIX-2"
plain=$(api "$BASE/api/v1/tickets/$PLAIN_TICKET" | jq '.conversation == null')
log "agent $AGENT; $LONG_TICKET has $messages messages; $PLAIN_TICKET has no conversation: $plain"

# name | wrk script | path (GET scenarios)
SCENARIOS="
list_status|get.lua|/api/v1/tickets?status=open
list_default|get.lua|/api/v1/tickets
list_page400|get.lua|/api/v1/tickets?page=400
list_cursor|cursor.lua|/api/v1/tickets?per_page=25
list_q|get.lua|/api/v1/tickets?q=gift%20card
list_sla_breached|get.lua|/api/v1/tickets?sla=breached
list_due|get.lua|/api/v1/tickets?sort=due
get_ticket|get.lua|/api/v1/tickets/$LONG_TICKET
get_ticket_plain|get.lua|/api/v1/tickets/$PLAIN_TICKET
patch_status|patch.lua|
create_ticket|create.lua|
tool_invocation|tool.lua|
"

peak_rss_kib() { awk '/VmHWM/ { print $2 }' "/proc/$SERVER/status"; }
reset_peak_rss() { echo 5 > "/proc/$SERVER/clear_refs" 2>/dev/null || true; }

wanted() { [ -z "$ONLY" ] || [[ ",$ONLY," == *",$1,"* ]]; }

started=$(date -u +%FT%TZ)
for line in $SCENARIOS; do
    IFS='|' read -r name script path <<<"$line"
    wanted "$name" || continue
    export BENCH_PATH=$path
    # A short warm-up (caches, connections), not recorded.
    wrk -t "$THREADS" -c "$CONNECTIONS" -d 2s -s "$BENCH_DIR/wrk/$script" "$BASE" >/dev/null
    for run in $(seq 1 "$REPEAT"); do
        reset_peak_rss
        result=$(wrk -t "$THREADS" -c "$CONNECTIONS" -d "${DURATION}s" --latency -s "$BENCH_DIR/wrk/$script" "$BASE" |
            sed -n 's/^BENCH_JSON //p')
        rss=$(peak_rss_kib)
        echo "$result" | jq -c --arg name "$name" --arg db "$DB" --argjson tickets "$TICKETS" \
            --argjson run "$run" --argjson rss "$rss" --argjson c "$CONNECTIONS" --arg at "$started" \
            '. + {kind: "api", scenario: $name, db: $db, tickets: $tickets, run: $run, connections: $c,
                  peak_rss_kib: $rss, started: $at}' | tee -a "$OUT"
    done
done

kill $SERVER
wait $SERVER 2>/dev/null || true
trap - EXIT

if [ "$DB" = postgres ] && [ "$PGBENCH" = 1 ]; then
    BENCH_STARTED=$started "$BENCH_DIR/pgbench.sh" --tickets "$TICKETS" --duration "$DURATION" --repeat "$REPEAT" \
        --connections "$CONNECTIONS" --threads "$THREADS" ${ONLY:+--only "$ONLY"} | tee -a "$OUT"
fi
log "results appended to $OUT; summarise with: python3 bench/report.py"
