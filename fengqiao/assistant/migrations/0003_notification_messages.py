"""Notifications of the assistant written before messages were rendered at read time (hand-offs
and group-message alerts): give them their message key and parameters, rebuilt from the hand-off
or alert, so the inbox shows them in the reader's language. Others keep their stored text."""

from django.db import migrations


def forwards(apps, schema_editor):
    Notification = apps.get_model("core", "Notification")
    Handoff = apps.get_model("assistant", "Handoff")
    Alert = apps.get_model("assistant", "Alert")
    changed = []
    rows = Notification.objects.filter(kind__in=("assistant.handoff", "assistant.alert"), message="")
    for note in rows.iterator(chunk_size=2000):
        if not note.target_id.isdigit():
            continue
        pk = int(note.target_id)
        if note.kind == "assistant.handoff":
            row = Handoff.objects.filter(pk=pk).only("question").first()
            if row is None:
                continue
            note.message = "assistant.handoff"
            note.params = {"question": row.question[:40], "body": row.question[:2000]}
        else:
            row = Alert.objects.filter(pk=pk).select_related("place").first()
            if row is None:
                continue
            note.message = "assistant.alert"
            note.params = {
                "label": row.label,
                "group": row.group_name or row.place.name,
                "text": note.body,
            }
        changed.append(note)
    Notification.objects.bulk_update(changed, ["message", "params"], batch_size=1000)


def backwards(apps, schema_editor):
    apps.get_model("core", "Notification").objects.filter(kind__startswith="assistant.").update(
        message="", params={}
    )


class Migration(migrations.Migration):
    dependencies = [
        ("assistant", "0002_handoff_contact_encrypted"),
        ("core", "0006_notification_message"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
