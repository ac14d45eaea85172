"""``fengqiao worker``: runs queued tasks and schedules the periodic jobs (deadline sweep …)."""

import logging
import threading
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils.crypto import get_random_string
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, DEFAULT_TASK_QUEUE_NAME
from django_tasks_db.management.commands.db_worker import Worker

from fengqiao.core.tasks import enqueue_due_jobs

logger = logging.getLogger("fengqiao.worker")


def schedule_forever(stop: threading.Event, every: float):
    while not stop.is_set():
        try:
            close_old_connections()
            enqueue_due_jobs()
        except Exception:  # noqa: BLE001 — keep scheduling; the error is logged
            logger.exception("scheduling periodic jobs failed")
        stop.wait(every)


class Command(BaseCommand):
    help = "Run the background worker (tasks + periodic jobs). Ctrl-C stops it."

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch", action="store_true", help="run what is queued now, then exit"
        )

    def handle(self, *args, batch=False, **options):
        stop = threading.Event()
        if batch:
            enqueue_due_jobs()
        else:
            threading.Thread(
                target=schedule_forever, args=(stop, 1.0), name="scheduler", daemon=True
            ).start()
        worker = Worker(
            queue_names=[DEFAULT_TASK_QUEUE_NAME],
            interval=settings.WORKER_POLL_SECONDS,
            batch=batch,
            backend_name=DEFAULT_TASK_BACKEND_ALIAS,
            startup_delay=not batch,
            max_tasks=None,
            worker_id=get_random_string(32),
            excluded_queue_names=[],
        )
        self.stdout.write("worker started" + (" (batch)" if batch else ""))
        worker.configure_signals()
        try:
            worker.run()
        finally:
            stop.set()
            time.sleep(0)
