"""Cases benchmark: HTTP intake (JSON API and Open311), "my queue" and case detail at 1M cases,
the deadline sweep, and the memory of one web worker. PostgreSQL only.

    FENGQIAO_DATABASE_URL=postgres://postgres@127.0.0.1:5432/fq_bench \
        .venv/bin/python bench/generate_cases.py --cases 1000000      # once (≈ minutes)
    FENGQIAO_DATABASE_URL=postgres://postgres@127.0.0.1:5432/fq_bench \
        .venv/bin/python bench/cases_bench.py [--seconds 20] [--workers 3]

The server runs under gunicorn (gthread workers) on 127.0.0.1, the load generator (stdlib
http.client, keep-alive, several processes × threads) on the same machine. Results go to
bench/results/cases-<timestamp>.json and are printed as a table.
"""

import argparse
import http.client
import json
import multiprocessing
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengqiao.settings")


def django_setup():
    import django

    django.setup()


def prepare():
    """API keys, a staff session, the grid codes and some case ids of the department's queue."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from fengqiao.cases.models import Case
    from fengqiao.core.services import create_api_key
    from fengqiao.org.models import Place, User

    stamp = uuid.uuid4().hex[:6]
    dispatcher, dept = User.objects.get(username="dispatcher"), User.objects.get(username="dept")
    # keys with their own role (issue 15): the permissions come from the code, no query
    county = Place.objects.filter(level=Place.Level.COUNTY).order_by("path").first()
    intake_key = create_api_key(
        f"bench-intake-{stamp}", dispatcher, role="dispatcher", place=county
    )[1]
    dept_key = create_api_key(f"bench-dept-{stamp}", dept, role="department_staff")[1]
    session = SessionStore()
    session[SESSION_KEY] = str(dept.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = dept.get_session_auth_hash()
    session.create()
    grids = list(Place.objects.filter(level=Place.Level.GRID).values_list("code", flat=True))
    ids = list(
        Case.objects.restrict(dept).filter(state__in=Case.OPEN_STATES).order_by("next_due_at", "id")
        .values_list("id", flat=True)[:2000]
    )  # fmt: skip
    return {
        "intake_key": intake_key,
        "dept_key": dept_key,
        "session": session.session_key,
        "grids": grids,
        "ids": ids,
        "cases": Case.objects.count(),
    }


# -- load generator -----------------------------------------------------------------------------
def _request(ctx, kind):
    rnd = random.random
    if kind == "intake_api":
        body = json.dumps({
            "client_id": uuid.uuid4().hex, "category": "cityscape",
            "grid": random.choice(ctx["grids"]), "description": f"压测反映 {rnd():.6f}",
            "location_text": f"压测地点{random.randint(1, 10**9)}", "source": "hotline",
        })  # fmt: skip
        headers = {
            "Authorization": f"Bearer {ctx['intake_key']}",
            "Content-Type": "application/json",
        }
        return "POST", "/api/v1/cases/", body, headers
    if kind == "intake_open311":
        from urllib.parse import urlencode

        body = urlencode({
            "api_key": ctx["intake_key"], "service_code": "noise",
            "attribute[grid]": random.choice(ctx["grids"]), "description": f"压测 {rnd():.6f}",
            "address_string": f"压测地址{random.randint(1, 10**9)}", "client_id": uuid.uuid4().hex,
        })  # fmt: skip
        return (
            "POST",
            "/open311/v2/requests.json",
            body,
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
    if kind == "queue_api":
        return "GET", "/api/v1/cases/?open=true", None, {"X-API-Key": ctx["dept_key"]}
    # the reference endpoints (bench/reference.py): bare Django in the same workers
    if kind == "ref_create":
        body = json.dumps({"grid": random.choice(ctx["grids"]), "description": f"压测 {rnd():.6f}"})
        return "POST", "/bench/ref/create", body, {"Content-Type": "application/json"}
    if kind == "ref_list":
        return "GET", "/bench/ref/list", None, {}
    if kind == "queue_html":
        return "GET", "/cases/", None, {"Cookie": f"sessionid={ctx['session']}"}
    if kind == "detail_api":
        return (
            "GET",
            f"/api/v1/cases/{random.choice(ctx['ids'])}",
            None,
            {"X-API-Key": ctx["dept_key"]},
        )
    if kind == "detail_html":
        return (
            "GET",
            f"/cases/{random.choice(ctx['ids'])}/",
            None,
            {"Cookie": f"sessionid={ctx['session']}"},
        )
    raise ValueError(kind)


def _worker(args):
    port, ctx, kind, seconds, threads, expect = args
    import threading

    lat, errors, lock = [], [0], threading.Lock()
    stop = time.monotonic() + seconds

    def run():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        while time.monotonic() < stop:
            method, path, body, headers = _request(ctx, kind)
            t0 = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                ok = response.status in expect
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                ok = False
            mine.append(time.perf_counter() - t0)
            if not ok:
                with lock:
                    errors[0] += 1
        with lock:
            lat.extend(mine)

    pool = [threading.Thread(target=run) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return lat, errors[0]


def load(port, ctx, kind, seconds, procs, threads, expect=(200, 201)):
    with multiprocessing.get_context("fork").Pool(procs) as pool:
        parts = pool.map(_worker, [(port, ctx, kind, seconds, threads, expect)] * procs)
    lat = sorted(x for part, _e in parts for x in part)
    errors = sum(e for _p, e in parts)
    q = statistics.quantiles(lat, n=100) if len(lat) > 1 else [0] * 99
    return {
        "kind": kind,
        "requests": len(lat),
        "errors": errors,
        "per_second": round(len(lat) / seconds, 1),
        "p50_ms": round(q[49] * 1000, 1),
        "p95_ms": round(q[94] * 1000, 1),
        "p99_ms": round(q[98] * 1000, 1),
        "concurrency": procs * threads,
    }


# -- server -------------------------------------------------------------------------------------
def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port, workers, threads, app="fengqiao.wsgi", worker_class="gthread"):
    env = dict(os.environ, FENGQIAO_LOG_LEVEL="ERROR", FENGQIAO_DEBUG="0")
    cmd = [
        str(ROOT / ".venv/bin/gunicorn"), app, "-b", f"127.0.0.1:{port}",
        "-w", str(workers), "-k", worker_class, "--threads", str(threads),
        "--log-level", "warning", "--access-logfile", "-" if False else "/dev/null",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True)  # noqa: S603
    for _ in range(100):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/open311/v2/discovery.json")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit("gunicorn did not start")


def worker_rss_mb(master_pid):
    sizes = []
    for child in Path("/proc").iterdir():
        try:
            status = (child / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if fields.get("PPid", "").strip() == str(master_pid):
            sizes.append(int(fields["VmRSS"].split()[0]) / 1024)
    return round(max(sizes), 1) if sizes else None


# -- sweep --------------------------------------------------------------------------------------
def sweep(due):
    sys.path.insert(0, str(ROOT / "bench"))
    from generate_cases import arm_due

    from fengqiao.core.models import Deadline
    from fengqiao.core.workflow import sweep_deadlines

    arm_due(due)
    open_count = Deadline.objects.filter(state="open").count()
    t0 = time.perf_counter()
    steps = sweep_deadlines()
    elapsed = time.perf_counter() - t0
    return {"open_deadlines": open_count, "due": due, "steps": steps, "seconds": round(elapsed, 2)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--skip-sweep", action="store_true")
    parser.add_argument("--only", default="", help="comma list of scenarios (queue_api, …)")
    args = parser.parse_args()
    django_setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("run on PostgreSQL: set FENGQIAO_DATABASE_URL")
    ctx = prepare()
    connection.close()
    port = free_port()
    server = start_server(port, args.workers, args.threads)
    results = {"cases_at_start": ctx["cases"], "cpus": os.cpu_count(), "workers": args.workers,
               "threads": args.threads, "runs": []}  # fmt: skip
    try:
        plan = (
            # latency: one client at a time; then the same under 4 concurrent clients
            ("queue_api", 1, 1), ("queue_html", 1, 1), ("detail_api", 1, 1), ("detail_html", 1, 1),
            ("queue_api", 1, 4), ("detail_api", 1, 4),
            # intake throughput: 16 concurrent clients
            ("intake_api", 2, 8), ("intake_open311", 2, 8),
        )  # fmt: skip
        for kind, procs, threads in plan:
            if args.only and kind not in args.only.split(","):
                continue
            load(port, ctx, kind, 3, procs, threads)  # warm-up
            run = load(port, ctx, kind, args.seconds, procs, threads)
            results["runs"].append(run)
            print(json.dumps(run, ensure_ascii=False), flush=True)
        results["worker_rss_mb"] = worker_rss_mb(server.pid)
        print("worker RSS (max) MB:", results["worker_rss_mb"], flush=True)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    if not args.skip_sweep:
        results["sweep"] = [sweep(5_000), sweep(10_000)]
        for row in results["sweep"]:
            print("sweep", json.dumps(row), flush=True)
    out = ROOT / "bench" / "results" / f"cases-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2))
    print("written", out)


if __name__ == "__main__":
    main()
