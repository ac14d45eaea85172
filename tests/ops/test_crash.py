"""Nothing acknowledged is lost (issue 15): a crash test with real processes on PostgreSQL.

Two app nodes (gunicorn, one sync worker each, as ``fengqiao serve`` runs it) and two
``fengqiao worker`` processes serve eight clients that send reports over the JSON API, each with
its own idempotency key (``client_id``), retrying the same key on the other node after a broken
connection, a timeout or a 503. Meanwhile a chaos thread kills a random node or worker with
SIGKILL at random moments (and starts it again), and terminates the application's PostgreSQL
backends (``pg_terminate_backend``). Afterwards:

* every report that got an acknowledgement (201, or 200 for a replay) is in the database exactly
  once, under the id the acknowledgement named;
* every notification of those reports is delivered exactly once: the test's in-app channel leaves
  an audit row in the delivering transaction, so a worker killed mid-batch delivers nothing and
  the batch is delivered again by another (``FENGQIAO_TEST_RECORD_INAPP``, tests/kernelapp);
* a request whose database connection was terminated answers 503 with the clear message and
  ``Retry-After``, and the next request on the same node succeeds (deterministic check at the end).
"""

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection, connections

from fengqiao.cases.models import Case
from fengqiao.core.models import AuditEvent, Notification
from fengqiao.core.services import create_api_key
from tests.pgtemp import free_port, wait_for

from .conftest import database_url, postgres_only

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = 8
LOAD_SECONDS = float(os.environ.get("FENGQIAO_CRASH_SECONDS", "40"))
DOWN_MESSAGE = "数据库连接暂时中断"

pytestmark = [postgres_only, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


class Fleet:
    """The app nodes and workers, each in its own process group (SIGKILL takes all of it)."""

    def __init__(self, tmp_path):
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "FENGQIAO_DATABASE_URL": database_url(connection.settings_dict),
            "FENGQIAO_HOME": str(tmp_path),
            "FENGQIAO_CACHE": "locmem",
            "FENGQIAO_TEST_RECORD_INAPP": "1",
            "FENGQIAO_WORKER_POLL_SECONDS": "0.2",
            "FENGQIAO_TASK_LEASE_SECONDS": "5",
            "FENGQIAO_WORKER_MAX_BACKOFF_SECONDS": "2",
        }
        self.env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        self.env.pop("FENGQIAO_MIGRATE_DATABASE_URL", None)
        self.ports = [free_port(), free_port()]
        self.logs = tmp_path
        self.procs = {}
        self.kills = Counter()

    def _spawn(self, name):
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 — kept open by the process
        if name.startswith("node"):
            port = self.ports[int(name[-1])]
            argv = [sys.executable, "-m", "gunicorn", "fengqiao.wsgi:application"]
            argv += ["--bind", f"127.0.0.1:{port}", "--workers", "1", "--timeout", "30"]
        else:
            argv = [sys.executable, "-m", "fengqiao.cli", "worker"]
        return subprocess.Popen(  # noqa: S603
            argv, cwd=ROOT, env=self.env, stdout=log, stderr=log, start_new_session=True
        )

    def start(self, name):
        self.procs[name] = self._spawn(name)

    def kill(self, name):
        proc = self.procs[name]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        self.kills[name[:4]] += 1

    def stop_all(self):
        for name in list(self.procs):
            self.kill(name)

    def url(self, node):
        return f"http://127.0.0.1:{self.ports[node]}"


def post(url, body, key, timeout=20):
    request = urllib.request.Request(  # noqa: S310 — loopback only
        url + "/api/v1/cases/",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
            return answer.status, answer.read().decode(), dict(answer.headers)
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode(), dict(err.headers)
    except OSError as err:  # refused, reset, timed out: the node died or is starting
        return None, str(err), {}


def body(key):
    return {
        "client_id": key,
        "category": "noise",
        "grid": "339901001001001",
        "description": f"深夜施工噪音 {key}",
        "reporter_phone": "13600001111",
        "source": "hotline",
    }


def terminate_backends():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend'"
        )
        return cursor.fetchone()[0]


def test_nothing_acknowledged_is_lost_when_processes_and_connections_die(
    county, users, categories, tmp_path
):
    _api_key, clear = create_api_key("hotline", users["dispatcher"])
    fleet = Fleet(tmp_path)
    for name in ("node0", "node1", "work0", "work1"):
        fleet.start(name)
    acked, unavailable, problems = {}, [], []
    lock = threading.Lock()
    stop = threading.Event()
    try:
        for node in (0, 1):
            answers = []
            try:
                wait_for(
                    lambda n=node, a=answers: a.append(
                        post(fleet.url(n), body(f"warmup-node-{n}"), clear)
                    )
                    or a[-1][0] in (200, 201),
                    timeout=120,
                    every=0.5,
                    what=f"node {node}",
                )
            except AssertionError as exc:
                raise AssertionError(f"{exc}: {answers[-1][:2]}") from exc

        def client(i):
            rng = random.Random(i)  # noqa: S311
            n = 0
            while not stop.is_set():
                key = f"crash-{i}-{n}"
                n += 1
                node = rng.randrange(2)
                while not stop.is_set():
                    status, text, headers = post(fleet.url(node), body(key), clear)
                    if status in (200, 201):
                        with lock:
                            case_id = json.loads(text)["id"]
                            if acked.setdefault(key, case_id) != case_id:
                                problems.append((key, acked[key], case_id))
                        break
                    if status == 503:
                        with lock:
                            unavailable.append((text, headers.get("Retry-After")))
                    elif status is not None:
                        with lock:
                            problems.append((key, status, text[:300]))
                        break
                    node = 1 - node  # the same key on the other node
                    time.sleep(0.05)

        def chaos():
            try:
                shake()
            finally:
                connections.close_all()

        def shake():
            rng = random.Random(1526)  # noqa: S311
            while not stop.wait(rng.uniform(1.5, 4.0)):
                what = rng.choice(["node0", "node1", "work0", "work1", "db", "db"])
                if what == "db":
                    terminate_backends()
                    fleet.kills["db"] += 1
                    continue
                fleet.kill(what)
                if not stop.wait(rng.uniform(0.0, 1.0)):
                    fleet.start(what)

        threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
        threads.append(threading.Thread(target=chaos))
        for thread in threads:
            thread.start()
        time.sleep(LOAD_SECONDS)
        stop.set()
        for thread in threads:
            thread.join()
        connection.close()  # the chaos thread terminated this thread's backend too
        print(
            f"crash test: {len(acked)} acknowledged, {len(unavailable)} answered 503, kills {dict(fleet.kills)}"
        )  # noqa: T201
        assert not problems, problems[:5]
        assert len(acked) >= 40, f"too little load got through: {len(acked)} acknowledged"
        assert fleet.kills["node"] >= 2 and fleet.kills["work"] >= 1, fleet.kills
        assert fleet.kills["db"] >= 1, fleet.kills

        # the deterministic check: connections terminated under a running node → 503, clear
        # message, Retry-After; the next request on that node recovers by itself
        for name in ("node0", "node1"):
            if fleet.procs[name].poll() is not None:
                fleet.start(name)
        for node in (0, 1):
            wait_for(
                lambda n=node: post(fleet.url(n), body(f"after-node-{n}"), clear)[0] in (200, 201),
                timeout=120,
                every=0.5,
                what=f"node {node} back",
            )
            terminate_backends()
            status, text, headers = post(fleet.url(node), body(f"down-node-{node}"), clear)
            assert status == 503, (status, text[:300])
            assert DOWN_MESSAGE in json.loads(text)["error"]["message"]
            assert headers.get("Retry-After")
            status, text, _headers = post(fleet.url(node), body(f"down-node-{node}"), clear)
            assert status in (200, 201), (status, text[:300])
        for text, retry_after in unavailable:  # every 503 under load said so clearly
            assert DOWN_MESSAGE in text and retry_after, text[:300]

        # let the workers (one of them restarted) finish the outbox
        for name in ("work0", "work1"):
            if fleet.procs[name].poll() is not None:
                fleet.start(name)
        wait_for(
            lambda: not Notification.objects.filter(state="pending").exists(),
            timeout=120,
            every=1,
            what="the workers to deliver every notification",
        )
    finally:
        stop.set()
        fleet.stop_all()

    # every acknowledged report exactly once, under the id it was acknowledged with
    cases = Counter(
        key.rsplit(":", 1)[-1]
        for key in Case.objects.filter(client_id__contains="crash-").values_list(
            "client_id", flat=True
        )
    )
    assert all(cases[key] == 1 for key in acked), [k for k in acked if cases[k] != 1][:5]
    assert set(Case.objects.filter(pk__in=acked.values()).values_list("pk", flat=True)) == set(
        acked.values()
    )
    # every notification delivered exactly once, those of every acknowledged report included
    notes = list(Notification.objects.values_list("pk", "state", "target_id"))
    delivered = Counter(
        e.data["n"] for e in AuditEvent.objects.filter(action="test.delivered").only("data")
    )
    assert {pk for pk, _state, _target in notes} == set(delivered), "lost or unknown deliveries"
    assert set(delivered.values()) == {1}, [pk for pk, c in delivered.items() if c > 1][:5]
    assert {state for _pk, state, _target in notes} == {"delivered"}
    noted = {target for _pk, _state, target in notes}
    assert {str(pk) for pk in acked.values()} <= noted
