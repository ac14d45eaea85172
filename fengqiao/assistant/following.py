"""The assistant follows the case flow (``core.workflow.on_transition("cases.case", …)``)."""

from .models import Handoff

MAX_REPLY = 2000


def follow_case(record, transition, entry, actor, data, now):
    """A 咨询 case answered on its own page: its hand-off shows the same reply and is no longer
    waiting (the hand-off page's reply goes the other way, through the case)."""
    if transition.name != "answer":
        return
    reply = str((data or {}).get("result", ""))[:MAX_REPLY]
    Handoff.objects.filter(case_ref=record.tracking_code).update(
        reply=reply, status=Handoff.Status.ANSWERED
    )
