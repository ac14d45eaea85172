"""Shaping cases for pages: timeline labels, the public (reporter's) timeline, map data."""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fengqiao.core.workflow import timeline

from . import conf
from .models import Case
from .workflow import PUBLIC_TRANSITIONS, flow

# A case as its staff page and API detail load it (scope is checked by core.authz).
CASES = Case.objects.select_related(
    "category__parent",
    "place__parent__parent__parent__parent",
    "department",
    "team",
    "assignee",
    "dispute",
)

EXTRA_LABELS = {
    "report": _("反映/登记"),
    "merged_in": _("合并了重复反映"),
    "supervise": _("督办"),
    "escalate": _("提请上级协调"),
    "dispute_outcome": _("矛盾纠纷调解结果"),
    "consent_withdrawn": _("撤回个人信息处理同意"),
}


def transition_label(name):
    if name in EXTRA_LABELS:
        return EXTRA_LABELS[name]
    try:
        return flow.transition(name).label or name
    except Exception:  # noqa: BLE001 — an old name no longer in the flow still shows
        return name


STATES = dict(Case.State.choices)


def full_timeline(case):
    """Entries with everything the system wrote shown in the reader's language: the verb, the
    states, "system" as the actor, and the notes the sweep writes (rebuilt from their data);
    notes people typed are shown as typed."""
    from fengqiao.core import messages
    from fengqiao.core.models import REDACTED

    entries = list(timeline(case))
    for entry in entries:
        entry.label = transition_label(entry.transition)
        entry.files = list(entry.attachments.all())
        entry.from_label = STATES.get(entry.from_state, entry.from_state)
        entry.to_label = STATES.get(entry.to_state, entry.to_state)
        # without a user the name was written by the system in the site language ("系统",
        # "反映人"): shown through the catalog in the reader's
        entry.actor_label = entry.actor_name if entry.actor_id else gettext(entry.actor_name)
        data = entry.data or {}
        entry.system_note = ""
        if entry.note == REDACTED:  # removed by law (core.redaction): said in the reader's language
            entry.system_note = gettext(REDACTED)
        if entry.actor_id is None and entry.transition == "supervise" and "deadline" in data:
            entry.system_note = messages.render(
                "case.card",
                {"number": case.number, "kind": data["deadline"], "level": data.get("action")},
            )[0]
    return entries


def deadline_label(kind):
    from .workflow import KIND_LABELS

    return KIND_LABELS.get(kind, kind)


def public_timeline(case):
    """What the reporter sees: public steps only, no staff names, internal notes hidden."""
    entries = [
        e
        for e in full_timeline(case)
        if e.transition in PUBLIC_TRANSITIONS or e.transition == "consent_withdrawn"
    ]
    for entry in entries:
        if entry.transition in ("dispatch",):
            unit = (entry.data or {}).get("unit")
            entry.public_note = _("已交由 %(unit)s 办理") % {"unit": unit} if unit else ""
        elif entry.transition in (
            "report",
            "add_info",
            "resolve",
            "answer",
            "request_reopen",
            "dispute_settled",
            "reject",
            "merge",
            "rate",
            "consent_withdrawn",
        ):
            entry.public_note = entry.system_note or entry.note
        else:
            entry.public_note = ""
    return entries


def map_context(places, cases=()):
    return {
        "map_data": {
            "tile_url": conf.map_tile_url(),
            "places": [
                {
                    "name": p.name,
                    "boundary": p.boundary,
                    "centre": [p.centre_lat, p.centre_lng] if p.centre_lat is not None else None,
                }
                for p in places
            ],
            "points": [
                {"lat": c.lat, "lng": c.lng, "label": c.number}
                for c in cases
                if c.lat is not None and c.lng is not None
            ],
        }
    }
