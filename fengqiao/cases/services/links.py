"""Cases made by other apps (the assistant): consultations and alerts."""

from __future__ import annotations

from django.utils.translation import gettext as _

from fengqiao.core import pii
from fengqiao.core.workflow import apply

from ..models import Case
from ._common import clean_text
from .intake import report

MAX_REPLY = 2000


# -- cases made by other apps ------------------------------------------------------------------
def create_consultation(*, place, description, source=Case.Source.ASSISTANT, contact=""):
    """A 咨询 case for the officers of ``place`` (the assistant's 转人工). Returns the case."""
    contact = pii.clear_value(contact)
    phone = pii.normalise(contact, "phone") if contact and pii.valid_phone(contact) else ""
    case, _created = report(
        place=place,
        category="consultation",
        description=description,
        source=source,
        reporter_phone=phone,
        anonymous=not phone,
    )
    return case


def create_case_from_alert(*, place, description, category, actor):
    """One click on an assistant alert: a case of category code ``category`` registered by
    ``actor`` (staff, in whose jurisdiction the group's grid lies); it enters the dispatcher
    queue. Returns the case; an unknown category code is refused (ServiceError)."""
    case, _created = report(
        place=place,
        category=category,
        description=description,
        source=Case.Source.ASSISTANT,
        actor=actor,
        anonymous=True,
        trusted_source=True,  # the system's own hand-off, whatever the clicking role
    )
    return case


def answer_consultation(case, actor, *, note="", data=None, attachments=()):
    """答复咨询: the officer's reply resolves a 咨询 case (transition ``answer``); the reply is
    the case's result and shows on the reporter's tracking page. Returns the case."""
    reply = clean_text(
        (data or {}).get("result") or note, field=_("答复"), required=True, max_length=MAX_REPLY
    )
    case, _entry = apply(
        case, "answer", actor, note=reply, data={"result": reply}, attachments=attachments
    )
    return case
