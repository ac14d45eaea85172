"""The main flows through a real pgbouncer in transaction mode (issue 15; docs/deploy.md).

pgbouncer (Debian's package, installed by ``make pgbouncer``) listens on a free port in front of
the test database with a pool of two server connections, so the eight concurrent clients below
share them transaction by transaction: any session state the application relied on (a ``SET``,
a session advisory lock, ``LISTEN``, a server-side cursor kept open WITH HOLD) would leak into
another client's transaction or be missing from the next one. Through it: reports over the JSON
API (with idempotency keys, replayed), dispatch, ``QuerySet.iterator()`` (server-side cursors off:
``FENGQIAO_DATABASE_POOLED=1``) and a ``fengqiao worker`` delivering the notifications."""

import contextlib
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.db import connection, connections
from django.test import Client

from fengqiao.cases.models import Case
from fengqiao.core.models import Notification
from fengqiao.core.services import create_api_key
from tests.conftest import login
from tests.pgtemp import PGBOUNCER, Pgbouncer

from .conftest import database_url, postgres_only

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = 8
REPORTS_EACH = 5

pytestmark = [
    postgres_only,
    pytest.mark.skipif(not Path(PGBOUNCER).exists(), reason="pgbouncer missing: make pgbouncer"),
    pytest.mark.django_db(transaction=True),
]


@contextlib.contextmanager
def through(bouncer):
    default = connections["default"]
    saved = dict(default.settings_dict)
    connections.close_all()
    default.settings_dict.update(PORT=bouncer.port, DISABLE_SERVER_SIDE_CURSORS=True)
    try:
        yield
    finally:
        connections.close_all()
        default.settings_dict.clear()
        default.settings_dict.update(saved)


def report(clear_key, n):
    return Client().post(
        "/api/v1/cases/",
        json.dumps(
            {
                "client_id": f"pool-{n:05d}",
                "category": "noise",
                "grid": "339901001001001",
                "description": f"广场舞音响太吵 {n}",
                "reporter_phone": "13600001111",
                "source": "hotline",
            }
        ),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {clear_key}",
    )


def in_threads(work):
    errors = []

    def run(i):
        try:
            work(i)
        except Exception as exc:  # noqa: BLE001 — collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


def test_main_flows_through_pgbouncer_in_transaction_mode(county, users, categories, tmp_path):
    _api_key, clear = create_api_key("hotline", users["dispatcher"])
    name = connection.settings_dict["NAME"]
    bouncer = Pgbouncer(name, port=int(connection.settings_dict["PORT"] or 5432)).start()
    try:
        with through(bouncer):
            answers = {}

            def send(i):
                for j in range(REPORTS_EACH):
                    n = i * REPORTS_EACH + j
                    first = report(clear, n)
                    again = report(clear, n)  # the client retries: same case, not a second one
                    assert first.status_code == 201, first.content[:300]
                    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
                    answers[n] = first.json()["id"]

            in_threads(send)
            assert Case.objects.count() == CLIENTS * REPORTS_EACH == len(set(answers.values()))

            # dispatch, by a signed-in dispatcher, concurrently
            ids = sorted(answers.values())

            def dispatch(i):
                client = login(Client(), users["dispatcher"])
                for pk in ids[i::CLIENTS]:
                    response = client.post(
                        f"/api/v1/cases/{pk}/actions/dispatch",
                        json.dumps({"data": {"department": county.urban.pk}}),
                        content_type="application/json",
                    )
                    assert response.status_code == 200, response.content[:300]

            in_threads(dispatch)
            assert set(Case.objects.values_list("state", flat=True)) == {"dispatched"}

            # iterator() through the pooler, concurrently: no server-side cursor WITH HOLD
            def iterate(_i):
                seen = sum(1 for _ in Case.objects.order_by("id").iterator(chunk_size=7))
                assert seen == len(ids)

            in_threads(iterate)

            # a worker through the pooler delivers every queued notification
            pending = Notification.objects.filter(state="pending").count()
            assert pending > 0
            env = {
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "tests.settings",
                "FENGQIAO_DATABASE_URL": database_url(connection.settings_dict, port=bouncer.port),
                "FENGQIAO_DATABASE_POOLED": "1",
                "FENGQIAO_HOME": str(tmp_path),
                "FENGQIAO_CACHE": "locmem",
            }
            env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
            worker = subprocess.run(  # noqa: S603
                [sys.executable, "-m", "fengqiao.cli", "worker", "--batch"],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert worker.returncode == 0, worker.stderr[-3000:]
            assert not Notification.objects.filter(state="pending").exists()

        # every one of those transactions went through pgbouncer, on at most two server connections
        stats = {row["database"]: row for row in bouncer.show("STATS")}
        assert int(stats[name]["total_xact_count"]) > 3 * CLIENTS * REPORTS_EACH, stats[name]
        pools = [row for row in bouncer.show("SERVERS") if row.get("database") == name]
        assert len(pools) <= 2, pools
    finally:
        bouncer.stop()
