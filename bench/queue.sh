#!/usr/bin/env bash
# Working the queue at scale (issue 13): a release `ticketd` on SQLite or PostgreSQL,
#  - CSV export: `GET /api/v1/tickets/export.csv?status=open,pending,resolved,closed` over
#    EXPORT_TICKETS tickets (default 1,000,000): rows/s and ticketd's peak RSS (VmHWM, reset
#    before each run) while it streams;
#  - bulk job: `POST /api/v1/tickets/bulk {query, set: {priority}}` over a workspace of
#    BULK_TICKETS tickets (default 100,000), polled on `GET /jobs/{id}` until done: tickets/s.
# Each REPEAT times (3); one JSON line per run in bench/results/queue-<db>.jsonl, medians printed.
#
#   bench/queue.sh --db sqlite
#   bench/queue.sh --db postgres --export-tickets 1000000 --bulk-tickets 100000 --repeat 3
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$BENCH_DIR")
DB=sqlite EXPORT_TICKETS=1000000 BULK_TICKETS=100000 REPEAT=3
while [ $# -gt 0 ]; do
    case "$1" in
        --db) DB=$2; shift 2 ;;
        --export-tickets) EXPORT_TICKETS=$2; shift 2 ;;
        --bulk-tickets) BULK_TICKETS=$2; shift 2 ;;
        --repeat) REPEAT=$2; shift 2 ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
PG_URL=${BENCH_PG_URL:-postgres://postgres:postgres@127.0.0.1:5432}
PORT=${BENCH_PORT:-18090}
BASE="http://127.0.0.1:$PORT"
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
BIN="$TARGET/release/ticketd"
WORK="$TARGET/bench"
OUT="$BENCH_DIR/results/queue-$DB.jsonl"
mkdir -p "$WORK" "$BENCH_DIR/results"
log() { printf '== %s\n' "$*" >&2; }

log "building the release binary"
(cd "$ROOT" && cargo build --release -q -p ticketd)
export TICKETD_JWT_SECRET="bench-secret-bench-secret-bench-secret-0123" TICKETD_BIND="127.0.0.1:$PORT" RUST_LOG=warn
unset TICKETD_STATIC_DIR TICKETD_LOG_FORMAT

NAME="ticketd_queue_${EXPORT_TICKETS}_${BULK_TICKETS}"
if [ "$DB" = postgres ]; then
    export DATABASE_URL="$PG_URL/$NAME"
    exists=$(psql -Atq "$PG_URL/postgres" -c "SELECT 1 FROM pg_database WHERE datname = '$NAME'")
    [ "$exists" = 1 ] && SEED=0 || { psql -q "$PG_URL/postgres" -c "CREATE DATABASE $NAME"; SEED=1; }
else
    export DATABASE_URL="sqlite://$WORK/$NAME.sqlite?mode=rwc"
    [ -f "$WORK/$NAME.sqlite" ] && SEED=0 || SEED=1
fi
PASSWORD="bench password 1"
if [ "$SEED" = 1 ]; then
    log "seeding $EXPORT_TICKETS tickets (EXP) and $BULK_TICKETS (BLK)"
    "$BIN" workspace create --name Export --prefix EXP --admin-email exp@bench.test --admin-password "$PASSWORD"
    "$BIN" workspace create --name Bulk --prefix BLK --admin-email blk@bench.test --admin-password "$PASSWORD"
    "$BIN" seed-bulk --workspace EXP --tickets "$EXPORT_TICKETS"
    "$BIN" seed-bulk --workspace BLK --tickets "$BULK_TICKETS"
    # The seeded year of open tickets is mostly past its due times: announce those breaches
    # now (hundreds of thousands of events), not while the figures are taken.
    "$BIN" sla-check
fi
# As the Dockerfile runs it: glibc with at most two malloc arenas (MALLOC_ARENA_MAX=16, glibc's
# default on 2 cores, to compare; the JSON lines record which).
export MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2}

"$BIN" serve >"$WORK/queue-serve.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do curl -fs "$BASE/healthz" >/dev/null && break; sleep 0.1; done
token() { curl -fs "$BASE/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"email\":\"$1\",\"password\":\"$PASSWORD\"}" | jq -r .access_token; }
EXP=$(token exp@bench.test)
BLK=$(token blk@bench.test)
hwm() { awk '/VmHWM/ {print $2}' "/proc/$PID/status"; }

for run in $(seq 1 "$REPEAT"); do
    echo 5 > "/proc/$PID/clear_refs"   # resets VmHWM to the current RSS
    start=$(date +%s.%N)
    rows=$(curl -fsS -H "Authorization: Bearer $EXP" \
        "$BASE/api/v1/tickets/export.csv?status=open,pending,resolved,closed" | wc -l)
    end=$(date +%s.%N)
    rows=$((rows - 1))
    secs=$(echo "$end - $start" | bc -l)
    peak=$(hwm)
    jq -nc --arg db "$DB" --argjson run "$run" --argjson rows "$rows" --argjson secs "$secs" --argjson kib "$peak" \
        --arg arenas "$MALLOC_ARENA_MAX" \
        '{scenario:"export", db:$db, run:$run, rows:$rows, seconds:$secs, rows_per_s:($rows/$secs), peak_rss_mib:($kib/1024), malloc_arena_max:$arenas}' | tee -a "$OUT"

    priority=$([ $((run % 2)) = 1 ] && echo urgent || echo low)
    start=$(date +%s.%N)
    job=$(curl -fsS -H "Authorization: Bearer $BLK" -H 'content-type: application/json' "$BASE/api/v1/tickets/bulk" \
        -d "{\"query\":\"status=open,pending,resolved,closed\",\"set\":{\"priority\":\"$priority\"}}" | jq -r .job.id)
    while :; do
        state=$(curl -fsS -H "Authorization: Bearer $BLK" "$BASE/api/v1/jobs/$job")
        status=$(echo "$state" | jq -r .status)
        [ "$status" = succeeded ] || [ "$status" = failed ] && break
        sleep 0.2
    done
    end=$(date +%s.%N)
    secs=$(echo "$end - $start" | bc -l)
    echo "$state" | jq -c --arg db "$DB" --argjson run "$run" --argjson secs "$secs" \
        '{scenario:"bulk_job", db:$db, run:$run, status, processed, updated, seconds:$secs, tickets_per_s:(.processed/$secs)}' | tee -a "$OUT"
done
log "medians (of this file's runs)"
jq -s 'group_by(.scenario)[] | {scenario: .[0].scenario, n: length,
  median_rows_per_s: (map(.rows_per_s // empty) | sort | .[length/2|floor]),
  median_tickets_per_s: (map(.tickets_per_s // empty) | sort | .[length/2|floor]),
  max_peak_rss_mib: (map(.peak_rss_mib // empty) | max)}' "$OUT"
