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
