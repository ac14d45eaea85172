"""Settings staff can change (categories and their deadlines, dispatch rules, dispute types, the
holiday calendar, notification templates): the one writer.

``save(actor, instance, changed_from=...)`` stores the record, a :class:`SettingVersion` (the whole
record as saved, its number, who and when) and an audit row (``settings.change`` with the fields
that changed), in one transaction. A record with a ``version`` field (a category: its deadline
rule) has it raised by one, so records that keep the version they started with (a case's
``deadline_rule``) are not affected by the edit. ``delete`` keeps the last version and audits.
"""

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.forms.models import model_to_dict
from django.utils import timezone
from django.utils.translation import gettext as _

from . import audit, caching
from .errors import Forbidden
from .models import SettingVersion


def _label(instance):
    return instance._meta.label_lower


def snapshot(instance) -> dict:
    """The record's editable fields as JSON-ready values."""
    import json

    data = model_to_dict(instance)
    data.pop("id", None)
    if hasattr(instance, "version"):
        data["version"] = instance.version
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder, default=str))


def diff(before: dict, after: dict) -> dict:
    keys = sorted(set(before) | set(after))
    return {
        k: {"from": before.get(k), "to": after.get(k)}
        for k in keys
        if before.get(k) != after.get(k) and k != "version"
    }


def history(instance, limit=20):
    return SettingVersion.objects.filter(
        target_type=_label(instance), target_id=str(instance.pk)
    ).select_related("user")[:limit]


def _perm(instance, verb):
    meta = instance._meta
    return f"{meta.app_label}.{verb}_{meta.model_name}"


def save(actor, instance, *, before=None, note="", topics=()):
    """Save ``instance`` (already validated by its form) as a new version; returns the version
    row, or None when nothing changed. ``before`` is :func:`snapshot` of the record as loaded."""
    adding = instance._state.adding or instance.pk is None
    perm = _perm(instance, "add" if adding else "change")
    if not actor.has_perm(perm):
        raise Forbidden()
    before = before or {}
    with transaction.atomic():
        if not adding:
            # Lock the row so two admins saving at once get two versions, not one lost edit.
            current = type(instance)._default_manager.select_for_update().get(pk=instance.pk)
            if hasattr(instance, "version"):
                instance.version = current.version
        after = snapshot(instance)
        changes = diff(before, after)
        if not adding and not changes:
            return None
        previous = getattr(instance, "version", None)
        if previous is not None and not adding:
            instance.version += 1
        instance.save()
        last = (
            SettingVersion.objects.filter(target_type=_label(instance), target_id=str(instance.pk))
            .order_by("-version")
            .values_list("version", flat=True)
            .first()
        )
        if last is None and not adding and before:
            # The first edit of a record that came from the defaults: keep what it was, too.
            last = previous or 1
            SettingVersion.objects.create(
                target_type=_label(instance),
                target_id=str(instance.pk),
                version=last,
                data=before,
                note=_("初始版本"),
            )
        number = getattr(instance, "version", None) or (last or 0) + 1
        if last is not None and number <= last:
            number = last + 1
        row = SettingVersion.objects.create(
            target_type=_label(instance),
            target_id=str(instance.pk),
            version=number,
            data=snapshot(instance),
            changes=changes,
            at=timezone.now(),
            user=actor,
            note=note[:300],
        )
        audit.record(
            "settings.add" if adding else "settings.change",
            user=actor,
            target=instance,
            data={"version": number, "changes": changes},
        )
        if topics:
            caching.invalidate(*topics)
    return row


def delete(actor, instance, *, topics=()):
    """Remove a record (where its model allows it); the last version and an audit row remain."""
    if not actor.has_perm(_perm(instance, "delete")):
        raise Forbidden()
    with transaction.atomic():
        target = (_label(instance), str(instance.pk), str(instance)[:200])
        data = snapshot(instance)
        instance.delete()
        audit.record("settings.delete", user=actor, target=target, data={"record": data})
        if topics:
            caching.invalidate(*topics)
