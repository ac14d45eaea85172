"""Notification outbox: rows are written inside the business transaction; the worker delivers.

Channels are small adapters (``send(notification)``): the in-app inbox, and SMS to a resident's
phone (``core.sms``: ``sms.queue(phone, ...)`` writes the row, a pluggable sender delivers). A chat
bot can be added by registering another channel — nothing else changes.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import Notification

logger = logging.getLogger("fengqiao.notifications")


class InAppChannel:
    """The inbox itself: delivering means the row is final and visible."""

    def send(self, notification):
        return None


def _sms():
    from .sms import SmsChannel

    return SmsChannel()


CHANNELS = {"inapp": InAppChannel(), "sms": _sms()}


def register_channel(name, adapter):
    CHANNELS[name] = adapter


def notify(recipients, **kwargs):
    """Queue one notification per distinct active recipient. Returns the rows created.

    With ``message`` (a key of ``core.messages``) and ``params`` the text is rendered when read,
    in the reader's language; ``title``/``body`` then default to the rendering now."""
    return Notification.objects.bulk_create(build(recipients, **kwargs))


def build(recipients, **fields):
    """The unsaved rows :func:`notify` would insert (one per distinct active recipient), for
    callers that insert many batches at once (the escalation sweep)."""
    ids = [u.pk for u in recipients if u is not None and u.is_active]
    return _rows(ids, **fields)


def notify_ids(recipient_ids, **fields):
    """Like :func:`notify` for recipients known by id (already known to be active, e.g. from a
    cached role lookup): one INSERT, no read of the users."""
    rows = _rows(recipient_ids, **fields)
    return Notification.objects.bulk_create(rows) if rows else []


def _rows(
    recipient_ids,
    *,
    kind,
    title="",
    body="",
    url="",
    target=None,
    channel="inapp",
    message="",
    params=None,
):
    """One unsaved row per distinct recipient id; ``message`` + ``params`` render the default
    title/body now (the inbox renders them again in the reader's language)."""
    if message:
        from . import messages

        rendered = messages.render(message, params or {})
        if rendered is not None:
            title = title or rendered[0]
            body = body or rendered[1]
    target_type = target._meta.label_lower if target is not None else ""
    target_id = str(target.pk) if target is not None else ""
    return [
        Notification(
            recipient_id=pk,
            channel=channel,
            kind=kind,
            message=message,
            params=params or {},
            title=str(title)[:200],
            body=str(body),
            url=url[:300],
            target_type=target_type,
            target_id=target_id,
        )
        for pk in dict.fromkeys(recipient_ids)
    ]


def deliver_pending(now=None, batch=200) -> int:
    """Deliver what is due; failures retry with exponential back-off, then give up."""
    now = now or timezone.now()
    delivered = 0
    with transaction.atomic():
        due = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(state=Notification.State.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "id")[:batch]
        )
        for note in due:
            note.attempts += 1
            try:
                CHANNELS[note.channel].send(note)
            except Exception as exc:  # noqa: BLE001 — an adapter failure must not stop the batch
                logger.warning("notification %s failed on %s: %s", note.pk, note.channel, exc)
                note.last_error = str(exc)[:300]
                if note.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS:
                    note.state = Notification.State.FAILED
                else:
                    note.next_attempt_at = now + timedelta(minutes=2**note.attempts)
            else:
                note.state = Notification.State.DELIVERED
                note.delivered_at = now
                delivered += 1
        Notification.objects.bulk_update(
            due, ["attempts", "state", "delivered_at", "next_attempt_at", "last_error"]
        )
    return delivered


def inbox(user):
    return Notification.objects.filter(recipient=user, channel="inapp")


def unread_count(user) -> int:
    return inbox(user).filter(read_at__isnull=True).count()


def mark_read(user, ids=None) -> int:
    rows = inbox(user).filter(read_at__isnull=True)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    return rows.update(read_at=timezone.now())
