#!/usr/bin/env bash
# The physical limit: the SQL that each API scenario runs (bench/pgbench/*.sql, captured from
# PostgreSQL's statement log of a running ticketd), run directly by pgbench with prepared
# statements, the same client count and duration. `small` (under 100,000 tickets) marks the
# sizes where the lists' estimates stay under 10,000, so ticketd also runs the capped count. Prints one JSON line per run (kind
# "pgbench"); bench/run.sh appends them to its results.
#
#   bench/pgbench.sh --tickets 1000000 [--duration 10] [--repeat 3] [--connections 8] [--threads 2]
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
TICKETS=10000 DURATION=10 REPEAT=3 CONNECTIONS=8 THREADS=2 ONLY=""
while [ $# -gt 0 ]; do
    case "$1" in
        --tickets) TICKETS=$2; shift 2 ;;
        --duration) DURATION=$2; shift 2 ;;
        --repeat) REPEAT=$2; shift 2 ;;
        --connections) CONNECTIONS=$2; shift 2 ;;
        --threads) THREADS=$2; shift 2 ;;
        --only) ONLY=$2; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
PG_URL=${BENCH_PG_URL:-postgres://postgres:postgres@127.0.0.1:5432}
URL="$PG_URL/ticketd_bench_$TICKETS"
q() { psql -Atq "$URL" -c "$1"; }
WS=$(q "SELECT id FROM workspaces WHERE ticket_prefix = 'BENCH'")
HASH=$(q "SELECT secret_hash FROM api_tokens WHERE workspace_id = '$WS' AND revoked_at IS NULL ORDER BY created_at DESC LIMIT 1")
AGENT=$(q "SELECT id FROM agents WHERE workspace_id = '$WS' AND deleted_at IS NULL ORDER BY created_at LIMIT 1")
CONVERSATION=$(q "SELECT id FROM conversations WHERE workspace_id = '$WS' ORDER BY started_at DESC LIMIT 1")
PATCH_BASE=$(( TICKETS / 2 > 2000 ? TICKETS / 2 : 1 ))
STARTED=${BENCH_STARTED:-$(date -u +%FT%TZ)}
LOGS=$(mktemp -d)
trap 'rm -rf "$LOGS"' EXIT

# A scenario's least SQL runs with it: --only get_ticket also runs get_ticket_thread_least.
scenario_of() {
    case "$1" in
        list_status_page_only) echo list_status ;;
        get_ticket_thread_least) echo get_ticket ;;
        get_ticket_least) echo get_ticket_plain ;;
        patch_status_least) echo patch_status ;;
        *) echo "$1" ;;
    esac
}
wanted() { [ -z "$ONLY" ] || [[ ",$ONLY," == *",$1,"* ]] || [[ ",$ONLY," == *",$(scenario_of "$1"),"* ]]; }

for script in "$BENCH_DIR"/pgbench/*.sql; do
    name=$(basename "$script" .sql)
    wanted "$name" || continue
    for run in $(seq 0 "$REPEAT"); do
        rm -f "$LOGS"/*
        out=$(pgbench -n -M prepared -c "$CONNECTIONS" -j "$THREADS" -T "$([ "$run" = 0 ] && echo 2 || echo "$DURATION")" \
            -l --log-prefix="$LOGS/tx" -f "$script" \
            -D ws="$WS" -D hash="$HASH" -D agent="$AGENT" -D conversation="$CONVERSATION" \
            -D patch_base="$PATCH_BASE" -D small="$(( TICKETS < 100000 ? 1 : 0 ))" \
            -D now="$(date -u '+%Y-%m-%dT%H:%M:%SZ')" "$URL" 2>&1) || { echo "$out" >&2; exit 1; }
        [ "$run" = 0 ] && continue # warm-up
        tps=$(echo "$out" | sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p')
        failed=$(echo "$out" | sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p')
        # Per-transaction latencies (µs, third field of pgbench's log) → p50/p99 in ms.
        read -r p50 p99 < <(cat "$LOGS"/tx* | awk '{print $3}' | sort -n |
            awk '{ a[NR] = $1 } END { printf "%.3f %.3f\n", a[int(NR * 0.5) + 1] / 1000, a[int(NR * 0.99) + 1] / 1000 }')
        jq -nc --arg name "$name" --argjson tickets "$TICKETS" --argjson run "$run" --argjson tps "$tps" \
            --argjson p50 "$p50" --argjson p99 "$p99" --argjson failed "${failed:-0}" --argjson c "$CONNECTIONS" --arg at "$STARTED" \
            '{kind: "pgbench", started: $at, scenario: $name, db: "postgres", tickets: $tickets, run: $run, connections: $c,
              rps: $tps, p50_ms: $p50, p99_ms: $p99, failed: $failed}'
    done
done
