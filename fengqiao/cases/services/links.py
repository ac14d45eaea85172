"""Cases made by other apps (the assistant): consultations and alerts."""

from __future__ import annotations

from fengqiao.core import pii

from ..models import Case
from .intake import report


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
    )
    return case
