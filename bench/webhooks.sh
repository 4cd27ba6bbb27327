#!/usr/bin/env bash
# Webhook deliveries per second to a local receiver (issue 12 item 3): 1,200 events queued
# for one webhook channel while no worker runs (as after a restart), then the worker starts;
# the clock stops when the receiver has counted them all. See bench/README.md.
#
#   bench/webhooks.sh [sqlite|postgres]      REPEAT=3 EVENTS=1200 PROFILE=release
set -euo pipefail
cd "$(dirname "$0")/.."
db=${1:-sqlite}
repeat=${REPEAT:-3}
events=${EVENTS:-1200}
profile=${PROFILE:-release}
pg_url=${BENCH_PG_URL:-postgres://postgres:postgres@127.0.0.1:5432}

cargo build -q --profile "$profile" -p notify --example delivery_bench
dir=$([ "$profile" = dev ] && echo debug || echo "$profile")
bin=target/$dir/examples/delivery_bench

tmp=$(mktemp -d)
python3 bench/receiver.py "$tmp/port" &
receiver=$!
trap 'kill $receiver 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
port=$(cat "$tmp/port")

mkdir -p target/bench
out=target/bench/webhooks-$db.jsonl
for run in $(seq "$repeat"); do
  case $db in
    sqlite) url="sqlite://$tmp/run$run.sqlite?mode=rwc" ;;
    postgres)
      name=ticketd_bench_webhooks
      psql -q "$pg_url/postgres" -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" -c "CREATE DATABASE $name"
      url="$pg_url/$name" ;;
    *) echo "usage: $0 [sqlite|postgres]" >&2; exit 2 ;;
  esac
  BENCH_RECEIVER="http://127.0.0.1:$port" BENCH_EVENTS=$events BENCH_DATABASE_URL=$url "$bin" \
    | python3 -c "import json,sys; r=json.loads(sys.stdin.read()); r['profile']='$profile'; r['run']=$run; print(json.dumps(r))" \
    | tee -a "$out"
done
[ "$db" = postgres ] && psql -q "$pg_url/postgres" -c "DROP DATABASE IF EXISTS ticketd_bench_webhooks WITH (FORCE)"
tail -n "$repeat" "$out" | python3 -c "
import json, statistics, sys
runs = [json.loads(l) for l in sys.stdin]
print('median: %.0f deliveries/s over %d runs of %d events' % (statistics.median(r['per_second'] for r in runs), len(runs), runs[0]['events']))"
