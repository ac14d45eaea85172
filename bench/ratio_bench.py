"""Ratios against the reference (issue 15): the application and bare Django side by side, same
gunicorn workers, same PostgreSQL, same moment. PostgreSQL only; any populated database (the demo
county or ``bench/generate_cases.py``).

    FENGQIAO_DATABASE_URL=postgres://postgres@127.0.0.1:5432/fq_bench \\
        nice .venv/bin/python bench/ratio_bench.py [--seconds 10] [--rounds 2]

Each pair (reference, ours) runs ``--rounds`` times interleaved — ref, ours, ref, ours — so a
change in the machine's load hits both. For every run: requests per second, p50/p95 latency and
**application CPU per request** (user + system time of the gunicorn workers, from /proc, divided
by the requests served), and the ratio ours / reference. The issue's load shape by default:
2 sync workers, 4 concurrent clients. Results: bench/results/ratio-<timestamp>.json.
"""

import argparse
import json
import os
import signal
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

import cases_bench  # noqa: E402

PAIRS = (
    ("create", "ref_create", ("intake_api", "intake_open311")),
    ("list", "ref_list", ("queue_api", "queue_html")),
    ("detail", "ref_list", ("detail_html", "detail_api")),
)


def workers_uss_mb(master_pid):
    """{pid: USS in MB} of the gunicorn workers (Private_Clean + Private_Dirty, smaps_rollup)."""
    found = {}
    for child in Path("/proc").iterdir():
        if not child.name.isdigit():
            continue
        try:
            stat = (child / "stat").read_text()
            if stat[stat.rindex(")") + 2 :].split()[1] != str(master_pid):
                continue
            rollup = (child / "smaps_rollup").read_text()
        except OSError:
            continue
        kb = sum(
            int(line.split()[1])
            for line in rollup.splitlines()
            if line.startswith(("Private_Clean:", "Private_Dirty:"))
        )
        found[int(child.name)] = round(kb / 1024, 1)
    return found


def workers_cpu_seconds(master_pid):
    """User + system CPU of the master's children (the gunicorn workers), in seconds."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for child in Path("/proc").iterdir():
        if not child.name.isdigit():
            continue
        try:
            stat = (child / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[1] == str(master_pid):  # ppid
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def measured(port, ctx, kind, seconds, clients, master_pid):
    cases_bench.load(port, ctx, kind, 2, 1, clients)  # warm-up
    cpu0 = workers_cpu_seconds(master_pid)
    run = cases_bench.load(port, ctx, kind, seconds, 1, clients)
    cpu = workers_cpu_seconds(master_pid) - cpu0
    run["cpu_ms_per_request"] = round(cpu * 1000 / max(run["requests"], 1), 2)
    return run


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--only", default="", help="comma-separated groups: create,list,detail")
    args = parser.parse_args()
    cases_bench.django_setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("run on PostgreSQL: set FENGQIAO_DATABASE_URL")
    import reference

    reference.create_tables()
    ctx = cases_bench.prepare()
    connection.close()
    port = cases_bench.free_port()
    server = cases_bench.start_server(
        port, args.workers, 1, app="bench.reference:application", worker_class="sync"
    )
    load_before = os.getloadavg()
    results = {"workers": args.workers, "worker_class": "sync", "clients": args.clients,
               "cpus": os.cpu_count(), "load_before": load_before, "runs": [], "ratios": {}}  # fmt: skip
    pairs = [p for p in PAIRS if not args.only or p[0] in args.only.split(",")]
    try:
        for _group, ref_kind, ours in pairs:
            for _round in range(args.rounds):
                for kind in (ref_kind, *ours):
                    run = measured(port, ctx, kind, args.seconds, args.clients, server.pid)
                    run["load"] = os.getloadavg()[0]
                    results["runs"].append(run)
                    print(json.dumps(run, ensure_ascii=False), flush=True)
        results["worker_uss_mb"] = workers_uss_mb(server.pid)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    results["load_after"] = os.getloadavg()

    def best(kind, key, pick):
        return pick(r[key] for r in results["runs"] if r["kind"] == kind)

    for _group, ref_kind, ours in pairs:
        ref_rps = best(ref_kind, "per_second", max)
        ref_cpu = best(ref_kind, "cpu_ms_per_request", min)
        for kind in ours:
            results["ratios"][kind] = {
                "throughput_vs_reference": round(best(kind, "per_second", max) / ref_rps, 3),
                "cpu_per_request_vs_reference": round(
                    best(kind, "cpu_ms_per_request", min) / max(ref_cpu, 1e-6), 2
                ),
                "cpu_ms_per_request": best(kind, "cpu_ms_per_request", min),
                "reference_cpu_ms_per_request": ref_cpu,
                "p95_ms": best(kind, "p95_ms", min) if "p95_ms" in results["runs"][0] else None,
            }
    print(json.dumps(results["ratios"], indent=2))
    print("worker USS (MB):", results.get("worker_uss_mb"))
    out = ROOT / "bench" / "results" / f"ratio-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2))
    print("written", out)


if __name__ == "__main__":
    main()
