"""``fengqiao worker``: runs queued tasks and schedules the periodic jobs (deadline sweep …).

The worker outlives the database: a dropped or refused connection is logged, the connections are
closed, and the worker tries again with exponential back-off (1 s doubling up to
``WORKER_MAX_BACKOFF_SECONDS``) instead of exiting. Tasks left RUNNING by a worker that died
(kill -9, lost machine) are put back in the queue once their lease (``TASK_LEASE_SECONDS``) is
over (``core.tasks.requeue_stale_tasks``, run by the scheduler thread).
"""

import logging
import threading
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import DatabaseError, InterfaceError, OperationalError, close_old_connections
from django.db import connections as db_connections
from django.utils.crypto import get_random_string
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, DEFAULT_TASK_QUEUE_NAME
from django_tasks_db.management.commands.db_worker import Worker

from fengqiao.core.tasks import enqueue_due_jobs, requeue_stale_tasks

logger = logging.getLogger("fengqiao.worker")

CONNECTION_ERRORS = (OperationalError, InterfaceError)


def _drop_connections():
    for conn in db_connections.all(initialized_only=True):
        try:
            conn.close()
        except DatabaseError:
            conn.connection = None  # the socket is gone; Django reconnects on next use


def backoff_delays(first=1.0, limit=None):
    """1, 2, 4, … seconds, capped."""
    limit = limit if limit is not None else settings.WORKER_MAX_BACKOFF_SECONDS
    delay = first
    while True:
        yield min(delay, limit)
        delay *= 2


def sleep(seconds):  # patched in tests
    time.sleep(seconds)


def schedule_forever(stop: threading.Event, every: float):
    last_requeue = 0.0
    while not stop.is_set():
        try:
            close_old_connections()
            enqueue_due_jobs()
            if time.monotonic() - last_requeue >= 30:
                requeue_stale_tasks()
                last_requeue = time.monotonic()
        except CONNECTION_ERRORS:
            logger.warning("scheduler: database unavailable; retrying", exc_info=True)
            _drop_connections()
        except Exception:  # noqa: BLE001 — keep scheduling; the error is logged
            logger.exception("scheduling periodic jobs failed")
        stop.wait(every)


class ResilientWorker(Worker):
    """django-tasks-db's worker, restarted in place when the database goes away."""

    def run(self):
        delays = None
        while self.running:
            try:
                result = super().run()
            except CONNECTION_ERRORS as exc:
                delays = delays or backoff_delays()
                delay = next(delays)
                logger.warning(
                    "worker: database connection lost (%s); reconnecting in %.0f s",
                    str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__,
                    delay,
                )
                self.running_task = False
                _drop_connections()
                sleep(delay)
                self.startup_delay = False
                continue
            return result
        return None


class Command(BaseCommand):
    help = "Run the background worker (tasks + periodic jobs). Ctrl-C stops it."

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch", action="store_true", help="run what is queued now, then exit"
        )

    def handle(self, *args, batch=False, **options):
        stop = threading.Event()
        if batch:
            requeue_stale_tasks()
            enqueue_due_jobs()
        else:
            threading.Thread(
                target=schedule_forever, args=(stop, 1.0), name="scheduler", daemon=True
            ).start()
        worker = make_worker(batch=batch)
        self.stdout.write("worker started" + (" (batch)" if batch else ""))
        worker.configure_signals()
        try:
            worker.run()
        finally:
            stop.set()
            time.sleep(0)


def make_worker(*, batch=False):
    return ResilientWorker(
        queue_names=[DEFAULT_TASK_QUEUE_NAME],
        interval=settings.WORKER_POLL_SECONDS,
        batch=batch,
        backend_name=DEFAULT_TASK_BACKEND_ALIAS,
        startup_delay=not batch,
        max_tasks=None,
        worker_id=get_random_string(32),
        excluded_queue_names=[],
    )
