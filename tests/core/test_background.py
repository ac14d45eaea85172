"""Notification delivery with retries, and the periodic scheduler's once-only claim."""

from datetime import timedelta

from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from fengqiao.core import notifications
from fengqiao.core.models import Notification
from fengqiao.core.tasks import enqueue_due_jobs


class Flaky:
    def __init__(self, failures):
        self.failures = failures

    def send(self, notification):
        if self.failures:
            self.failures -= 1
            raise ConnectionError("gateway down")


def test_delivery_retries_with_backoff_then_succeeds(users):
    notifications.register_channel("flaky", Flaky(failures=1))
    try:
        [note] = notifications.notify([users["grid_worker"]], kind="t", title="x", channel="flaky")
        now = timezone.now()
        assert notifications.deliver_pending(now=now) == 0
        note.refresh_from_db()
        assert note.state == "pending" and note.attempts == 1 and note.last_error == "gateway down"
        assert note.next_attempt_at > now
        assert notifications.deliver_pending(now=now) == 0  # not due yet
        assert notifications.deliver_pending(now=now + timedelta(minutes=3)) == 1
        note.refresh_from_db()
        assert note.state == "delivered" and note.attempts == 2
    finally:
        notifications.CHANNELS.pop("flaky")


def test_delivery_gives_up_after_max_attempts(users, settings):
    notifications.register_channel("dead", Flaky(failures=99))
    try:
        [note] = notifications.notify([users["grid_worker"]], kind="t", title="x", channel="dead")
        when = timezone.now()
        for _ in range(settings.NOTIFICATION_MAX_ATTEMPTS):
            notifications.deliver_pending(now=when)
            when += timedelta(days=1)
        note.refresh_from_db()
        assert note.state == Notification.State.FAILED
    finally:
        notifications.CHANNELS.pop("dead")


def test_periodic_jobs_are_enqueued_once_per_period(db, settings):
    now = timezone.now()
    first = enqueue_due_jobs(now=now)
    assert set(first) == set(settings.PERIODIC_JOBS)
    assert enqueue_due_jobs(now=now) == []  # a second worker at the same moment gets nothing
    assert DBTaskResult.objects.count() == len(settings.PERIODIC_JOBS)
    later = enqueue_due_jobs(now=now + timedelta(seconds=31))
    assert "deadline_sweep" in later and "purge_audit" not in later
