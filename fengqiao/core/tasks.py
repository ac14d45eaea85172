"""Background tasks (Django's task interface, database-backed worker) and the periodic scheduler."""

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import task

from . import notifications, workflow
from .models import AuditEvent, PeriodicJob

logger = logging.getLogger("fengqiao.tasks")


@task()
def sweep_deadlines():
    return workflow.sweep_deadlines()


@task()
def deliver_notifications():
    return notifications.deliver_pending()


@task()
def purge_expired_audit():
    """Delete audit rows older than the retention period (never younger than 180 days)."""
    cutoff = timezone.now() - timedelta(days=settings.AUDIT_RETENTION_DAYS)
    deleted, _ = AuditEvent.objects.purge_older_than(cutoff)
    return deleted


def enqueue_due_jobs(now=None) -> list[str]:
    """Enqueue every periodic job whose time has come. Several workers may call this at once:
    the conditional UPDATE lets exactly one of them claim each run."""
    now = now or timezone.now()
    enqueued = []
    for name, (path, every) in settings.PERIODIC_JOBS.items():
        PeriodicJob.objects.get_or_create(name=name, defaults={"next_run_at": now})
        claimed = PeriodicJob.objects.filter(name=name, next_run_at__lte=now).update(
            next_run_at=now + timedelta(seconds=every), last_run_at=now
        )
        if claimed:
            import_string(path).enqueue()
            enqueued.append(name)
    return enqueued


def requeue_stale_tasks(now=None) -> int:
    """Put tasks back in the queue whose worker died while running them (kill -9, lost machine):
    RUNNING for longer than ``TASK_LEASE_SECONDS``. Our tasks are short and idempotent (sweeps,
    deliveries), so running one again is safe."""
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.TASK_LEASE_SECONDS)
    count = DBTaskResult.objects.filter(status="RUNNING", started_at__lt=cutoff).update(
        status="READY", started_at=None
    )
    if count:
        logger.warning("requeued %d task(s) whose lease ran out", count)
    return count
