"""Notifications of the risk flows written before messages were rendered at read time: give them
their message key and parameters (rebuilt from the risk, hand-over or review action and the
stored title), so the inbox shows them in the reader's language. A row whose parameters cannot be
rebuilt keeps its stored text (still readable, in the language it was written in)."""

import re

from django.db import migrations

LEVELS = {"绿色": "green", "蓝色": "blue", "橙色": "orange", "红色": "red", "已解除预警": "none"}
DUE = re.compile(r"，(.+)前完成")
CARD_KINDS = {"risk.review": "review", "risk.city_filing": "city_filing", "risk.task_force": ""}


def forwards(apps, schema_editor):
    Notification = apps.get_model("core", "Notification")
    Risk = apps.get_model("risks", "Risk")
    HandOver = apps.get_model("risks", "HandOver")
    ReviewAction = apps.get_model("risks", "ReviewAction")
    rows = Notification.objects.filter(kind__startswith="risk.", message="")
    changed = []
    for note in rows.iterator(chunk_size=2000):
        if not note.target_id.isdigit():
            continue
        pk = int(note.target_id)
        found = None
        if note.target_type == "risks.risk":
            risk = Risk.objects.filter(pk=pk).only("number", "title").first()
            if risk is None:
                continue
            base = {"number": risk.number, "title": risk.title}
            if note.kind == "risk.applied":
                found = "risk.applied", base
            elif note.kind == "risk.level_report":
                level = next((code for label, code in LEVELS.items() if label in note.title), "")
                if level:
                    found = "risk.level_report", {**base, "level": level, "description": note.body}
            elif note.kind == "risk.task_force" and "专班" in note.title and "督办" not in note.title:
                found = "risk.task_force", {"number": risk.number}
            elif note.kind in ("risk.review", "risk.city_filing", "risk.task_force"):
                card = "red" if "红牌" in note.title else "yellow"
                what = note.kind.split(".", 1)[1]
                found = "risk.card", {"card": card, "number": risk.number, "what": what}
        elif note.target_type == "risks.handover" and note.kind == "risk.handover_overdue":
            row = HandOver.objects.filter(pk=pk).select_related("risk", "department").first()
            if row is not None:
                found = "risk.handover_overdue", {
                    "number": row.risk.number,
                    "dept": row.department.name,
                    "state": row.state,
                }
        elif note.target_type == "risks.reviewaction":
            row = ReviewAction.objects.filter(pk=pk).select_related("risk").first()
            if row is not None and note.kind == "risk.action_overdue":
                found = "risk.action_overdue", {"title": row.title, "number": row.risk.number}
            elif row is not None and note.kind == "risk.action":
                due = DUE.search(note.title)
                if due:
                    found = "risk.action", {
                        "title": row.title,
                        "number": row.risk.number,
                        "due": due.group(1),
                    }
        if found is None:
            continue
        note.message, note.params = found
        changed.append(note)
    Notification.objects.bulk_update(changed, ["message", "params"], batch_size=1000)


def backwards(apps, schema_editor):
    apps.get_model("core", "Notification").objects.filter(kind__startswith="risk.").update(
        message="", params={}
    )


class Migration(migrations.Migration):
    dependencies = [
        ("risks", "0003_deadline_tracked"),
        ("core", "0006_notification_message"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
