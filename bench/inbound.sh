#!/usr/bin/env bash
# Inbound e-mail throughput (issue 12): mails per second through `ticketd mail-in` (one
# process per mail, as an MTA pipe runs it) and through `POST /api/v1/inbound/email` (wrk),
# on the database bench/run.sh seeds with N tickets (seeded here first if missing).
#
#   bench/inbound.sh --db sqlite --tickets 1000000
#   bench/inbound.sh --db postgres --tickets 10000 --mails 200 --duration 6 --repeat 3
#
# Scenarios: mail_in_new (sequential pipes, each mail opens a ticket), api_new (wrk, each
# mail opens a ticket), api_reply (wrk, each mail answers one earlier mail: a comment on its
# ticket, threaded by In-Reply-To). Results: bench/results/inbound-<db>-<N>.jsonl; the
# medians go to RESULTS.md. Options: --db, --tickets, --mails M (mail-in runs, 200),
# --duration S (6), --repeat R (3), --connections C (4), --threads T (2).
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$BENCH_DIR")
export BENCH_DIR

DB=sqlite TICKETS=10000 MAILS=200 DURATION=6 REPEAT=3 CONNECTIONS=4 THREADS=2
while [ $# -gt 0 ]; do
    case "$1" in
        --db) DB=$2; shift 2 ;;
        --tickets) TICKETS=$2; shift 2 ;;
        --mails) MAILS=$2; shift 2 ;;
        --duration) DURATION=$2; shift 2 ;;
        --repeat) REPEAT=$2; shift 2 ;;
        --connections) CONNECTIONS=$2; shift 2 ;;
        --threads) THREADS=$2; shift 2 ;;
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done

PG_URL=${BENCH_PG_URL:-postgres://postgres:postgres@127.0.0.1:5432}
PORT=${BENCH_PORT:-18081}
BASE="http://127.0.0.1:$PORT"
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
BIN="$TARGET/release/ticketd"
WORK="$TARGET/bench"
OUT="$BENCH_DIR/results/inbound-$DB-$TICKETS.jsonl"
PREFIX=BENCH
mkdir -p "$WORK" "$BENCH_DIR/results"
log() { printf '== %s\n' "$*" >&2; }

# Seeds (once) and builds the release binary; the same database as bench/run.sh.
"$BENCH_DIR/run.sh" --db "$DB" --tickets "$TICKETS" --seed-only

export TICKETD_JWT_SECRET="bench-secret-bench-secret-bench-secret-0123"
export TICKETD_BIND="127.0.0.1:$PORT" RUST_LOG=warn
unset TICKETD_STATIC_DIR TICKETD_LOG_FORMAT
if [ "$DB" = postgres ]; then
    export DATABASE_URL="$PG_URL/ticketd_bench_$TICKETS"
else
    DBFILE="$WORK/ticketd-$TICKETS.sqlite"
    export DATABASE_URL="sqlite://$DBFILE?mode=rwc"
fi

# Back to the N seeded tickets (the mails' tickets and comments go with theirs).
RESET_SQL="DELETE FROM tickets WHERE number > $TICKETS; DELETE FROM outbox_events; DELETE FROM idempotency_keys;
UPDATE workspaces SET ticket_counter = $TICKETS;"
reset() {
    if [ "$DB" = postgres ]; then
        psql -q "$DATABASE_URL" -c "$RESET_SQL"
    else
        python3 -c 'import sqlite3,sys; d=sqlite3.connect(sys.argv[1]); d.execute("PRAGMA foreign_keys = ON"); d.executescript(sys.argv[2]); d.commit()' "$DBFILE" "$RESET_SQL"
    fi
}
reset

MAIL="$WORK/inbound-bench.eml"
sed 's/^Message-ID: .*/Message-ID: <BENCH_MESSAGE_ID>/' \
    "$ROOT/crates/mail/tests/fixtures/multipart_alternative.eml" >"$MAIL"
TOKEN=$("$BIN" token create --workspace $PREFIX --name "inbound bench $(date +%s)" --scopes inbound:write 2>/dev/null)
READER=$("$BIN" token create --workspace $PREFIX --name "inbound bench reader $(date +%s)" --scopes tickets:read 2>/dev/null)

log "starting ticketd on $BASE"
"$BIN" serve >"$WORK/inbound-server-$DB-$TICKETS.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 1500); do
    curl -fs "$BASE/readyz" >/dev/null 2>&1 && break
    sleep 0.2
done
curl -fs "$BASE/readyz" >/dev/null
started=$(date -u +%FT%TZ)

record() { # name rps extra-json
    jq -cn --arg name "$1" --arg db "$DB" --argjson tickets "$TICKETS" --argjson rps "$2" \
        --arg at "$started" --argjson extra "$3" \
        '{kind: "inbound", scenario: $name, db: $db, tickets: $tickets, rps: $rps, started: $at} + $extra' |
        tee -a "$OUT"
}

# mail_in_new: M sequential `ticketd mail-in` processes, as one MTA delivery agent runs them.
for run in $(seq 1 "$REPEAT"); do
    t0=$(date +%s.%N)
    for i in $(seq 1 "$MAILS"); do
        sed "s/<BENCH_MESSAGE_ID>/<mailin-$run-$i-$t0@mail.example>/" "$MAIL" |
            "$BIN" mail-in --workspace $PREFIX 2>/dev/null
    done
    t1=$(date +%s.%N)
    rps=$(python3 -c "print(round($MAILS / ($t1 - $t0), 1))")
    record mail_in_new "$rps" "{\"run\": $run, \"mails\": $MAILS, \"seconds\": $(python3 -c "print(round($t1 - $t0, 2))")}"
done

# api_new / api_reply: wrk, CONNECTIONS connections.
first=$(sed "s/<BENCH_MESSAGE_ID>/<reply-target-$started@mail.example>/" "$MAIL" |
    curl -fsS -H "Authorization: Bearer $TOKEN" -H 'content-type: message/rfc822' --data-binary @- "$BASE/api/v1/inbound/email")
export BENCH_TOKEN=$TOKEN BENCH_MAIL=$MAIL BENCH_REPLY_TO="<reply-target-$started@mail.example>"
for mode in new reply; do
    export BENCH_INBOUND=$mode BENCH_RUN="$mode-warmup-$(date +%s%N)"
    wrk -t "$THREADS" -c "$CONNECTIONS" -d 2s -s "$BENCH_DIR/wrk/inbound.lua" "$BASE" >/dev/null
    for run in $(seq 1 "$REPEAT"); do
        export BENCH_RUN="$mode-$run-$(date +%s%N)"
        result=$(wrk -t "$THREADS" -c "$CONNECTIONS" -d "${DURATION}s" --latency -s "$BENCH_DIR/wrk/inbound.lua" "$BASE" |
            sed -n 's/^BENCH_JSON //p')
        rps=$(echo "$result" | jq .rps)
        record "api_$mode" "$rps" "$(echo "$result" | jq -c --argjson run "$run" --argjson c "$CONNECTIONS" '. + {run: $run, connections: $c}')"
    done
done
reference=$(echo "$first" | jq -r .reference)
comments=$(curl -fsS -H "Authorization: Bearer $READER" "$BASE/api/v1/tickets/$reference" | jq .comments_count)
log "$reference (the api_reply target) has $comments comments"

kill $SERVER
wait $SERVER 2>/dev/null || true
trap - EXIT
reset
