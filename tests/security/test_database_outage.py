"""Dropped database connections (issue 14, finding 2): the worker reconnects with back-off and keeps
going, orphaned RUNNING tasks come back after their lease, `serve` never stops the web server for
the worker, and the web answers 503 in the request's format instead of an HTML 500."""

import contextlib
import json
from datetime import timedelta
from unittest import mock

import pytest
from django.db import OperationalError
from django.db.backends.utils import CursorWrapper
from django.test import Client
from django.utils import timezone
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from fengqiao.core import tasks
from fengqiao.core.management.commands import worker as worker_command
from tests.conftest import login


def _refuse(self, *args, **kwargs):
    raise OperationalError("server closed the connection unexpectedly")


@contextlib.contextmanager
def _down():
    with (
        mock.patch.object(CursorWrapper, "execute", _refuse),
        mock.patch.object(CursorWrapper, "executemany", _refuse),
    ):
        yield


@pytest.fixture
def database_down():
    """``with database_down():`` every query fails as if the server dropped the connection."""
    return _down


def test_api_answers_503_json(users, database_down):
    client = Client(raise_request_exception=False)
    login(client, users["grid_worker"])
    with database_down():
        response = client.get("/api/v1/places")
    assert response.status_code == 503 and response["Retry-After"]
    assert response.json()["error"]["code"] == "unavailable"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_open311_answers_503_in_its_error_format(db, database_down, fmt):
    client = Client(raise_request_exception=False)
    with database_down():
        response = client.get(f"/open311/v2/services.{fmt}")
    assert response.status_code == 503
    body = response.content.decode()
    if fmt == "json":
        assert json.loads(body)[0]["code"] == 503
    else:
        assert "<errors>" in body and "<code>503</code>" in body


def test_pages_answer_503_not_500(users, database_down):
    client = Client(raise_request_exception=False)
    login(client, users["grid_worker"])
    with database_down():
        response = client.get("/")
    assert response.status_code == 503
    assert "稍后再试" in response.content.decode()


def test_unexpected_api_errors_are_json(users, monkeypatch):
    from fengqiao.org import api as org_api

    def boom(*args, **kwargs):
        raise RuntimeError("unexpected")

    client = Client(raise_request_exception=False)
    login(client, users["grid_worker"])
    monkeypatch.setattr(org_api.Place.objects, "restrict", boom)
    response = client.get("/api/v1/places")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "server_error"


@pytest.fixture
def keep_test_connection(monkeypatch):
    """Inside the test's transaction autocommit is off, and Django's ``close_old_connections``
    then closes the connection (on PostgreSQL, where connections persist), taking the test's
    transaction with it; the worker would retry for ever. The worker's own recovery is what is
    tested here, so the test keeps its connection."""
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)


def test_worker_survives_dropped_connections_and_keeps_going(db, monkeypatch, keep_test_connection):
    tasks.deliver_notifications.enqueue()
    drops = {"left": 3}
    real = db_worker.close_old_connections

    def flaky():
        if drops["left"]:
            drops["left"] -= 1
            raise OperationalError("server closed the connection unexpectedly")
        real()

    slept = []
    monkeypatch.setattr(db_worker, "close_old_connections", flaky)
    monkeypatch.setattr(worker_command, "sleep", slept.append)
    monkeypatch.setattr(worker_command, "_drop_connections", lambda: None)  # keep the test DB
    worker_command.make_worker(batch=True).run()
    assert drops["left"] == 0
    assert slept == [1.0, 2.0, 4.0]  # back-off
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


def test_tasks_orphaned_by_kill_9_are_picked_up_after_the_lease(db, settings, keep_test_connection):
    tasks.deliver_notifications.enqueue()
    row = DBTaskResult.objects.get()
    row.claim("dead-worker")  # RUNNING, then the worker was killed
    now = timezone.now()
    assert tasks.requeue_stale_tasks(now=now) == 0  # lease not over yet
    later = now + timedelta(seconds=settings.TASK_LEASE_SECONDS + 1)
    assert tasks.requeue_stale_tasks(now=later) == 1
    worker_command.make_worker(batch=True).run()
    row.refresh_from_db()
    assert row.status == "SUCCESSFUL" and row.worker_ids[0] == "dead-worker"


class FakeProcess:
    count = 0

    def __init__(self, args, env=None):
        FakeProcess.count += 1
        self.is_web = "gunicorn" in args
        self.pid = FakeProcess.count
        self.polls = 0
        self.returncode = None
        self.signals = []

    def poll(self):
        self.polls += 1
        if self.is_web:
            return None if self.polls < 12 else 0  # the web server runs, then is stopped
        self.returncode = 1  # every worker dies at once
        return 1

    def send_signal(self, sig):
        self.signals.append(sig)

    def wait(self, timeout=None):
        return 0


def test_serve_restarts_a_dying_worker_and_keeps_the_web_server(monkeypatch):
    from fengqiao.web.management.commands import serve

    started = []

    def popen(args, env=None, **kwargs):
        proc = FakeProcess(args, env)
        started.append(proc)
        return proc

    clock = {"t": 0.0}
    monkeypatch.setattr(serve.subprocess, "Popen", popen)
    monkeypatch.setattr(serve.time, "sleep", lambda s: clock.__setitem__("t", clock["t"] + s))
    monkeypatch.setattr(serve.time, "monotonic", lambda: clock["t"])
    serve.Command().handle(port=8199, host="127.0.0.1", workers=1)
    web = started[0]
    workers = [p for p in started if not p.is_web]
    assert len(workers) >= 2  # restarted
    assert web.polls >= 12 and web.signals == []  # the web server ran until it stopped by itself


def test_access_log_never_shows_query_strings(monkeypatch):
    """Finding 10: API keys (or anything else) in a query string stay out of the access log."""
    from fengqiao.web.management.commands import serve

    started = []

    def popen(args, env=None, **kwargs):
        proc = FakeProcess(args, env)
        proc.polls = 100  # the web server stops at once
        started.append((args, proc))
        return proc

    monkeypatch.setattr(serve.subprocess, "Popen", popen)
    monkeypatch.setattr(serve.time, "sleep", lambda s: None)
    serve.Command().handle(port=8198, host="127.0.0.1", workers=1)
    web_args = started[0][0]
    log_format = web_args[web_args.index("--access-logformat") + 1]
    assert "%(U)s" in log_format
    assert "%(r)s" not in log_format and "%(q)s" not in log_format and "%(f)s" not in log_format
