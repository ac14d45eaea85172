"""Several workers, one PostgreSQL (issue 15): real ``fengqiao worker`` processes share one queue
and every item is processed exactly once — queued tasks (django-tasks-db claims with SKIP LOCKED),
the notification outbox (SKIP LOCKED), the deadline sweep (SKIP LOCKED) and the periodic jobs
(a conditional UPDATE claims each run). Also: the sweep reads the due deadlines through their
partial index, so its cost follows the due deadlines, not the open ones (EXPLAIN)."""

import os
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.utils import timezone

from fengqiao.core.models import AuditEvent, Deadline, Notification, PeriodicJob, TimelineEntry
from fengqiao.org.models import Place
from tests.kernelapp.models import Ticket
from tests.kernelapp.tasks import probe

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 3
TASKS = 60
DEADLINES = 1200  # more than two sweep batches of 500
NOTES = 300

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        os.environ.get("FENGQIAO_DATABASE_URL", "").split(":")[0] not in ("postgres", "postgresql"),
        reason="several processes on one database: PostgreSQL (SQLite serialises writers)",
    ),
]


def database_url():
    s = connection.settings_dict
    user = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{user}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def start_worker(home):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "FENGQIAO_DATABASE_URL": database_url(),
        "FENGQIAO_HOME": str(home),
        "FENGQIAO_CACHE": "locmem",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "fengqiao.cli", "worker", "--batch"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def arm(county, make_user):
    """TASKS probe tasks, DEADLINES due deadlines (one step due each), NOTES pending notes,
    every periodic job due now, and a few sweep and delivery tasks on top of the periodic ones
    so that several workers run them at the same time."""
    from fengqiao.core import tasks as core_tasks

    now = timezone.now()
    grid = Place.objects.get(pk=county.grid_a.pk)
    tickets = Ticket.objects.bulk_create(
        [Ticket(title=f"t{i}", place=grid, place_path=grid.path) for i in range(DEADLINES)]
    )
    ct = ContentType.objects.get_for_model(Ticket)
    due = now - timedelta(minutes=30)  # the "ticket" policy: yellow at +0 is due, red at +1 h not
    Deadline.objects.bulk_create(
        [
            Deadline(
                content_type=ct,
                object_id=t.pk,
                kind="resolve",
                policy="ticket",
                started_at=due - timedelta(hours=2),
                due_at=due,
                next_check_at=due,
                place_path=grid.path,
            )  # fmt: skip
            for t in tickets
        ]
    )
    user = make_user("grid_worker", places=[county.grid_a])
    Notification.objects.bulk_create(
        [
            Notification(recipient=user, channel="record", kind="t", title=f"n{i}")
            for i in range(NOTES)
        ]  # fmt: skip
    )
    for name in settings.PERIODIC_JOBS:
        PeriodicJob.objects.update_or_create(name=name, defaults={"next_run_at": now})
    for i in range(TASKS):
        probe.enqueue(i)
    for _ in range(WORKERS):
        core_tasks.sweep_deadlines.enqueue()
        core_tasks.deliver_notifications.enqueue()
    return tickets


def test_workers_process_every_item_exactly_once(county, make_user, tmp_path):
    from django_tasks_db.models import DBTaskResult

    tickets = arm(county, make_user)
    before = Counter(DBTaskResult.objects.values_list("task_path", flat=True))
    workers = [start_worker(tmp_path) for _ in range(WORKERS)]
    outputs = [w.communicate(timeout=600) for w in workers]
    for worker, (_out, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err[-3000:]

    # queued tasks: each ran once, in one of several processes
    probes = [e.data for e in AuditEvent.objects.filter(action="test.probe")]
    assert sorted(p["n"] for p in probes) == list(range(TASKS))
    assert len({p["pid"] for p in probes}) >= 2, "the workers did not overlap"
    unfinished = DBTaskResult.objects.exclude(status="SUCCESSFUL")
    assert not unfinished.exists(), [
        (r.task_path, r.status, r.exception_class_path, str(r.traceback)[-600:]) for r in unfinished
    ]

    # the outbox: every notification delivered exactly once
    sent = Counter(e.data["n"] for e in AuditEvent.objects.filter(action="test.delivered"))
    assert len(sent) == NOTES and set(sent.values()) == {1}
    assert Notification.objects.filter(state="delivered", attempts=1).count() == NOTES

    # the sweep: the one due step of every deadline taken exactly once
    steps = Counter(
        TimelineEntry.objects.filter(transition="escalate").values_list("object_id", flat=True)
    )
    assert set(steps) == {t.pk for t in tickets} and set(steps.values()) == {1}
    assert set(Deadline.objects.values_list("level", flat=True)) == {1}

    # periodic jobs: each run claimed by exactly one of the workers
    after = Counter(DBTaskResult.objects.values_list("task_path", flat=True))
    for path, _every in settings.PERIODIC_JOBS.values():
        assert after[path] - before[path] == 1, path


def test_sweep_reads_only_due_deadlines_through_the_partial_index(county):
    """The sweep's query on a table of many open deadlines and few due ones: an index scan on
    ``next_check_at`` (the partial index), never a sequential scan of the open deadlines."""
    now = timezone.now()
    grid = county.grid_a
    ct = ContentType.objects.get_for_model(Ticket)
    far = now + timedelta(days=3)
    rows = [
        Deadline(
            content_type=ct,
            object_id=i,
            kind="resolve",
            policy="ticket",
            started_at=now,
            due_at=far,
            next_check_at=far + timedelta(seconds=i),
            place_path=grid.path,
        )  # fmt: skip
        for i in range(20_000)
    ]
    for i in range(0, 20_000, 1000):  # 20 due among 20,000 open
        rows[i].next_check_at = rows[i].due_at = now - timedelta(minutes=1)
    Deadline.objects.bulk_create(rows, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE core_deadline")
    query = Deadline.objects.filter(next_check_at__lte=now).order_by("next_check_at", "id")[:500]
    with transaction.atomic():
        plan = query.select_for_update(skip_locked=True).explain()
    # PostgreSQL: the deadlines are partitioned by month (core.partitions): the month holding
    # the 20,000 rows is read through its partial index; empty months may be "scanned" (0 rows)
    month = f"core_deadline_p{now:%Y%m}"
    assert f"Seq Scan on {month} " not in plan, plan
    assert "Index" in plan and "next_check" in plan, plan
