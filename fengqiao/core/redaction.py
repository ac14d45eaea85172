"""Lawful redaction of timeline text (PIPL Art. 47, 删除权): the one path through the append-only
triggers of ``core_timelineentry``.

The timeline is history: nobody may change who did what when. When the law requires the words a
person wrote to go (a reporter withdraws consent), :func:`redact_entry` replaces the entry's note
and/or values of its data by :data:`~fengqiao.core.models.REDACTED` — and nothing else. It first
writes a :class:`~fengqiao.core.models.TimelineRedaction` row naming each field it replaces
(``note``, ``data.<key>``); the database triggers (PostgreSQL and SQLite, migration
``core.0009``) admit an UPDATE of an entry only when every other column is unchanged, the data keeps
its keys, each changed text becomes exactly the marker, and a redaction row names the field. An
audit row records the redaction. Everything else (an UPDATE that rewrites a note, moves a time or
an actor, adds a key) is refused by the database whoever asks.
"""

from __future__ import annotations

from django.db import models, transaction

from . import audit
from .models import REDACTED, TimelineEntry, TimelineRedaction

# Keys the kernel itself relies on (message keys for translated notes, replay digests): never text
# a person wrote, never redacted.
KEPT_KEYS = frozenset({"message", "digest", "update_id", "source", "consent", "removed", "files"})


def redact_entry(entry, *, note=False, keys=(), reason, actor=None, actor_name="", record=None):
    """Replace ``entry``'s note (``note=True``) and the values of its data ``keys`` by the marker.
    Returns the :class:`TimelineRedaction` row, or None when there was nothing left to replace.
    Runs in the caller's transaction (or its own)."""
    data = dict(entry.data) if isinstance(entry.data, dict) else {}
    fields = []
    if note and entry.note and entry.note != REDACTED:
        fields.append("note")
    for key in keys:
        if key in KEPT_KEYS or key not in data or data[key] in (REDACTED, None, "", [], {}):
            continue
        data[key] = REDACTED
        fields.append(f"data.{key}")
    if not fields:
        return None
    user = actor if getattr(actor, "is_authenticated", False) else None
    with transaction.atomic():
        row = TimelineRedaction.objects.create(
            entry=entry,
            actor=user,
            actor_name=(actor_name or getattr(user, "username", ""))[:150],
            reason=reason,
            fields=fields,
        )
        changes = {"data": data}
        if "note" in fields:
            changes["note"] = REDACTED
        # the base QuerySet.update: the append-only manager refuses every update; this one is
        # admitted by the triggers only because of the redaction row written just above
        models.QuerySet.update(TimelineEntry.objects.filter(pk=entry.pk), **changes)
        audit.record(
            "timeline.redact",
            user=user,
            target=record if record is not None else entry,
            data={
                "entry": entry.pk,
                "transition": entry.transition,
                "fields": fields,
                "reason": reason,
            },
        )
    entry.data = data
    if "note" in fields:
        entry.note = REDACTED
    return row
