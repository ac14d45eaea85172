"""Text messages to residents: a pluggable sender behind the notification outbox.

The outbox row (``core.Notification`` with ``channel="sms"``) is written in the business
transaction with the phone encrypted (``address``); the worker's ``deliver_pending`` hands it to
:class:`SmsChannel`, which renders the text in the resident's language and calls the sender named
by ``settings.SMS_BACKEND`` (``FENGQIAO_SMS_BACKEND``):

* ``fengqiao.core.sms.LogSender`` (default): writes one log line per message, phone masked;
* ``fengqiao.core.sms.FileSender``: appends one JSON line per message to ``settings.SMS_FILE``
  (phone masked) — the demo's "sent" box;
* a real gateway: any class with ``send(phone, text)`` that raises on failure (the outbox retries
  with back-off). It alone receives the clear number.

Queuing and sending are audited (``notification.queue`` / ``notification.send``) with the number
masked; neither logs nor audit rows hold the clear number.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from django.conf import settings
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from . import audit, pii

logger = logging.getLogger("fengqiao.sms")


class LogSender:
    def send(self, phone: str, text: str) -> None:
        logger.info("sms to %s: %s", pii.mask_phone(phone), text)


class FileSender:
    def send(self, phone: str, text: str) -> None:
        path = Path(settings.SMS_FILE)
        path.parent.mkdir(parents=True, exist_ok=True)
        line = {"at": timezone.now().isoformat(), "to": pii.mask_phone(phone), "text": text}
        with path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(line, ensure_ascii=False) + "\n")


def sender():
    return import_string(settings.SMS_BACKEND)()


def text_of(note) -> str:
    """The message as the resident reads it: rendered in their language from its key."""
    with translation.override(note.language or settings.LANGUAGE_CODE):
        title, body = note.display_title, note.display_body
    return f"{title}\n{body}".strip()


def _audit_target(note):
    return ("core.notification", note.pk, note.kind)


class SmsChannel:
    def send(self, note):
        phone = pii.clear_value(note.address)
        if not phone:
            raise ValueError("no phone number")
        sender().send(phone, text_of(note))
        audit.record(
            "notification.send",
            target=_audit_target(note),
            data={"channel": "sms", "kind": note.kind, "to": pii.mask_phone(phone)},
        )


def queue(phone, *, kind, message, params, language="", url="", target=None, actor=None):
    """One SMS outbox row to ``phone`` (a valid mobile number, else nothing is queued and None
    is returned), rendered when sent in ``language``; audited."""
    from .models import Notification

    phone = pii.normalise(pii.clear_value(phone), "phone")
    if not phone or not pii.valid_phone(phone):
        return None
    language = language or settings.LANGUAGE_CODE
    note = Notification(
        recipient=None,
        channel="sms",
        address=phone,
        language=language[:16],
        kind=kind,
        message=message,
        params=params or {},
        url=url[:300],
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
    )
    with translation.override(language):
        note.title, note.body = note.display_title[:200], note.display_body
    note.save()
    audit.record(
        "notification.queue",
        user=actor,
        target=_audit_target(note),
        data={
            "channel": "sms",
            "kind": kind,
            "to": pii.mask_phone(phone),
            "about": f"{note.target_type}:{note.target_id}",
        },
    )
    return note


def for_target(target):
    """The text messages sent to a resident about ``target`` (a case…), newest first, each with
    ``to`` (the number masked) and ``error`` (the gateway's last answer, personal data masked):
    what staff pages show beside the reply (queued / sent / failed)."""
    from .models import Notification

    notes = list(
        Notification.objects.filter(
            channel="sms",
            target_type=target._meta.label_lower,
            target_id=str(target.pk),
        ).order_by("-created_at", "-id")[:20]
    )
    for note in notes:
        note.to = pii.mask_phone(pii.clear_value(note.address) or "")
        note.error = pii.mask_text(note.last_error) if note.last_error else ""
        note.retryable = note.state == Notification.State.FAILED
    return notes


def retry(note, *, actor=None):
    """Send a failed message again: back into the outbox as new (attempts start over), on the
    locked row; only a failed message (409 otherwise). Audited ``notification.retry``."""
    from django.db import transaction

    from .errors import Conflict
    from .models import Notification

    with transaction.atomic():
        note = Notification.objects.select_for_update().get(pk=note.pk)
        if note.channel != "sms" or note.state != Notification.State.FAILED:
            raise Conflict(_("只有发送失败的短信可以重发"), code="not_failed")
        note.state = Notification.State.PENDING
        note.attempts = 0
        note.next_attempt_at = timezone.now()
        note.last_error = ""
        note.save(update_fields=["state", "attempts", "next_attempt_at", "last_error"])
        audit.record(
            "notification.retry",
            user=actor,
            target=_audit_target(note),
            data={
                "channel": "sms",
                "kind": note.kind,
                "about": f"{note.target_type}:{note.target_id}",
            },
        )
    return note
