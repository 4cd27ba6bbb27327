#!/usr/bin/env python3
"""Summarises bench/results/*.jsonl as the markdown tables of bench/RESULTS.md: for each
database and size, the median of the repeated runs of the latest session (requests/s, p50
and p99 latency, the server's peak RSS), the pgbench figure for the same SQL and the ratio,
then the targets of the performance issue, each checked against the figures.

    python3 bench/report.py [bench/results]
"""

import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path

SCENARIOS = [
    ("list_status", "list, first page, `status=open`"),
    ("list_default", "list, first page, default filter"),
    ("list_page400", "list, `page=400` (per_page 25)"),
    ("list_cursor", "list, `cursor` walk (every depth)"),
    ("list_q", "list, `q=gift card`"),
    ("list_sla_breached", "list, `sla=breached`"),
    ("list_due", "list, `sort=due`"),
    ("get_ticket", "one ticket with a 50-message transcript"),
    ("get_ticket_plain", "one ticket without a conversation"),
    ("patch_status", "patch status"),
    ("create_ticket", "create ticket (API)"),
    ("tool_invocation", "tool invocation `open_ticket`"),
]


def load(folder):
    rows = []
    for path in sorted(Path(folder).glob("*.jsonl")):
        for line in path.read_text().splitlines():
            line = line.strip()
            if line.startswith("{"):
                rows.append(json.loads(line))
    # Only each scenario's latest session counts.
    def key(r):
        return (r["kind"], r["db"], r["tickets"], r["scenario"])

    latest = {}
    for r in rows:
        latest[key(r)] = max(latest.get(key(r), ""), r.get("started", ""))
    return [r for r in rows if r.get("started", "") == latest[key(r)]]


def medians(rows):
    groups = defaultdict(list)
    for r in rows:
        groups[(r["kind"], r["db"], r["tickets"], r["scenario"])].append(r)
    out = {}
    for key, runs in groups.items():
        out[key] = {
            "rps": statistics.median(r["rps"] for r in runs),
            "p50": statistics.median(r["p50_ms"] for r in runs),
            "p99": statistics.median(r["p99_ms"] for r in runs),
            "rss": max((r.get("peak_rss_kib", 0) for r in runs), default=0),
            "runs": len(runs),
            "bad": sum(r.get("non_2xx", 0) + r.get("errors_timeout", 0) + r.get("failed", 0) for r in runs),
        }
    return out


def fmt(x, digits=1):
    return "–" if x is None else f"{x:,.{digits}f}"


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent / "results"
    m = medians(load(folder))
    sizes = sorted({(db, n) for (_, db, n, _) in m})
    for db in ["postgres", "sqlite"]:
        ns = [n for (d, n) in sizes if d == db]
        if not ns:
            continue
        print(f"\n### {db}\n")
        head = "| scenario |"
        rule = "| --- |"
        for n in ns:
            head += f" {n:,}: req/s | p50 ms | p99 ms |"
            rule += " ---: | ---: | ---: |"
            if db == "postgres":
                head += f" pgbench {n:,} tx/s | API ÷ pgbench |"
                rule += " ---: | ---: |"
        head += " peak RSS MiB |"
        rule += " ---: |"
        print(head)
        print(rule)
        for name, label in SCENARIOS:
            line = f"| {label} |"
            rss = 0
            for n in ns:
                a = m.get(("api", db, n, name))
                line += f" {fmt(a and a['rps'])} | {fmt(a and a['p50'], 2)} | {fmt(a and a['p99'], 2)} |"
                if a:
                    rss = max(rss, a["rss"])
                    if a["bad"]:
                        line = line.rstrip("|") + f"({a['bad']} errors) |"
                if db == "postgres":
                    p = m.get(("pgbench", db, n, name))
                    ratio = a["rps"] / p["rps"] if a and p else None
                    line += f" {fmt(p and p['rps'])} | {fmt(ratio and ratio * 100, 0)}{'%' if ratio else ''} |"
            line += f" {fmt(rss / 1024 if rss else None)} |"
            print(line)
        if db == "postgres":
            for n in ns:
                p = m.get(("pgbench", db, n, "list_status_page_only"))
                if p:
                    print(f"\npgbench, first-page query alone (no auth, no count) at {n:,}: {fmt(p['rps'])} tx/s, "
                          f"p50 {fmt(p['p50'], 2)} ms.")
    targets(m, sizes)


def targets(m, sizes):
    print("\n### Targets\n")
    print("| target | figures | met? |")
    print("| --- | --- | --- |")

    def api(db, n, s):
        return m.get(("api", db, n, s))

    def pg(n, s):
        return m.get(("pgbench", "postgres", n, s))

    def row(target, figures, ok):
        print(f"| {target} | {figures} | {'yes' if ok else '**no**'} |")

    for db in ["postgres", "sqlite"]:
        ns = sorted(n for (d, n) in sizes if d == db)
        if not ns:
            continue
        small, big = ns[0], ns[-1]
        a_small, a_big = api(db, small, "list_status"), api(db, big, "list_status")
        if a_small and a_big and small != big:
            ratio = a_big["p99"] / a_small["p99"]
            row(f"{db}: first page p99 at {big:,} ≤ 1.5× at {small:,}",
                f"{fmt(a_big['p99'], 2)} ms vs {fmt(a_small['p99'], 2)} ms (×{ratio:.2f})", ratio <= 1.5)
        p1, p400 = api(db, big, "list_default"), api(db, big, "list_page400")
        if p1 and p400:
            ratio = p400["p50"] / p1["p50"]
            row(f"{db}: page 400 ≤ 3× slower than page 1 at {big:,}",
                f"p50 {fmt(p400['p50'], 2)} vs {fmt(p1['p50'], 2)} ms (×{ratio:.2f}); "
                f"{fmt(p400['rps'])} vs {fmt(p1['rps'])} req/s", ratio <= 3)
        cur = api(db, big, "list_cursor")
        if p1 and cur:
            ratio = cur["rps"] / p1["rps"]
            row(f"{db}: a cursor page as fast as page 1 at {big:,}",
                f"{fmt(cur['rps'])} vs {fmt(p1['rps'])} req/s ({ratio * 100:.0f}%); p50 {fmt(cur['p50'], 2)} vs "
                f"{fmt(p1['p50'], 2)} ms", ratio >= 0.9)
        rss = max((v["rss"] for (k, d, n, s), v in m.items() if k == "api" and d == db), default=0)
        if rss:
            row(f"{db}: peak RSS under load < 64 MiB", f"{rss / 1024:.1f} MiB", rss < 64 * 1024)
        if db != "postgres":
            continue
        # Issue 14 item 11: each hot path against the least SQL that could do its job.
        for s, least, share, label in [
            ("list_status", "list_status_page_only", 0.15, "first page vs its page query alone"),
            ("get_ticket_plain", "get_ticket_least", 0.15, "get one ticket vs one indexed SELECT"),
            ("get_ticket", "get_ticket_thread_least", 0.15, "get a 50-message ticket vs its two SELECTs"),
            ("patch_status", "patch_status_least", 0.4, "patch vs one UPDATE with its event and outbox rows"),
            ("create_ticket", "create_ticket", 0.5, "create vs the full create transaction"),
        ]:
            a, p = api(db, big, s), pg(big, least)
            if a and p:
                ratio = a["rps"] / p["rps"]
                row(f"{label} ≥ {share * 100:.0f}% at {big:,}",
                    f"{fmt(a['rps'])} vs {fmt(p['rps'])} ({ratio * 100:.0f}%)", ratio >= share)

if __name__ == "__main__":
    main()
