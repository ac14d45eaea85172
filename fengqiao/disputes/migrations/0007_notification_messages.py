"""Notifications of the dispute flow written before messages were rendered at read time: give
them their message key and parameters (rebuilt from the dispute and the stored title), so the
inbox shows them in the reader's language. A row whose parameters cannot be rebuilt keeps its
stored text (still readable, in the language it was written in)."""

import re

from django.db import migrations

LEVEL = re.compile(r"第(\d)级")
SCORE = re.compile(r"风险分(\d+)")


def _level(title):
    found = LEVEL.search(title)
    return int(found.group(1)) if found else None


def params_for(kind, title, body, dispute):
    """(message key, params) of an old row, or None to leave it as stored."""
    number, name = dispute.number, dispute.title
    after = title.split(number, 1)[1].strip() if number in title else ""
    if kind in ("dispute.yellow", "dispute.red"):
        level = _level(title)
        if level is None:
            return None
        card = kind.split(".", 1)[1]
        return "dispute.card", {"card": card, "number": number, "level": level}
    if kind == "dispute.judicial_confirmation":
        key = "dispute.judicial_remind" if "7天" in title else "dispute.judicial_expired"
        return key, {"number": number}
    if kind == "dispute.performance":
        return "dispute.performance_due", {"number": number}
    if kind == "dispute.return_visit":
        return "dispute.return_visit_due", {"number": number}
    if kind == "dispute.joint_task_overdue":
        return "dispute.joint_task_overdue", {"number": number, "dept": after}
    if kind == "dispute.assigned":
        level = _level(title)
        if level is None:
            return None
        return "dispute.assigned", {"number": number, "title": name, "level": level}
    if kind == "dispute.high_risk":
        score = SCORE.search(title)
        if score is None:
            return None
        return "dispute.high_risk", {"number": number, "title": name, "score": int(score.group(1))}
    if kind == "dispute.joint_task":
        return "dispute.joint_task", {"number": number, "title": name}
    if kind == "dispute.unassigned":
        level = _level(title)
        if level is None:
            return None
        return "dispute.unassigned", {"number": number, "level": level}
    if kind == "dispute.supervise":
        return "dispute.supervise", {"number": number, "note": after}
    return None


def forwards(apps, schema_editor):
    Notification = apps.get_model("core", "Notification")
    Dispute = apps.get_model("disputes", "Dispute")
    rows = Notification.objects.filter(
        kind__startswith="dispute.", target_type="disputes.dispute", message=""
    )
    ids = {int(pk) for pk in rows.values_list("target_id", flat=True) if pk.isdigit()}
    disputes = {d.pk: d for d in Dispute.objects.filter(pk__in=ids).only("pk", "number", "title")}
    changed = []
    for note in rows.iterator(chunk_size=2000):
        dispute = disputes.get(int(note.target_id)) if note.target_id.isdigit() else None
        found = params_for(note.kind, note.title, note.body, dispute) if dispute else None
        if found is None:
            continue
        note.message, note.params = found
        changed.append(note)
    Notification.objects.bulk_update(changed, ["message", "params"], batch_size=1000)


def backwards(apps, schema_editor):
    apps.get_model("core", "Notification").objects.filter(kind__startswith="dispute.").update(
        message="", params={}
    )


class Migration(migrations.Migration):
    dependencies = [
        ("disputes", "0006_agreement_key_id"),
        ("core", "0006_notification_message"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
