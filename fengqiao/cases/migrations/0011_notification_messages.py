"""Notifications of the case flow written before messages were rendered at read time: give them
their message key and parameters (the case's number and category, the action, the note), so the
inbox shows them in the reader's language. Digests of several cards have no single case and keep
their stored text."""

from django.db import migrations

KINDS = {
    "受理": "accept",
    "派单": "dispatch",
    "签收": "claim",
    "联系反映人": "contact",
    "到场": "arrive",
    "办结": "handle",
    "核查": "verify",
}


def forwards(apps, schema_editor):
    Notification = apps.get_model("core", "Notification")
    Case = apps.get_model("cases", "Case")
    rows = Notification.objects.filter(
        kind__startswith="case.", target_type="cases.case", message=""
    )
    ids = {int(pk) for pk in rows.values_list("target_id", flat=True) if pk.isdigit()}
    cases = {
        c.pk: c for c in Case.objects.filter(pk__in=ids).select_related("category").only(
            "pk", "category__name"
        )
    }
    changed = []
    for note in rows.iterator(chunk_size=2000):
        case = cases.get(int(note.target_id)) if note.target_id.isdigit() else None
        if case is None:
            continue
        number = f"FQ{case.pk:08d}"
        name = note.kind.split(".", 1)[1]
        if name.startswith("card."):
            action = name.split(".", 1)[1]
            kind = next((code for label, code in KINDS.items() if f"{label}超期" in note.title), "")
            note.message = "case.card"
            note.params = {"number": number, "kind": kind, "level": action}
        else:
            note.message = {"dispatch": "case.dispatched", "report": "case.reported"}.get(
                name, "case.moved"
            )
            note.params = {
                "number": number,
                "category": case.category.name,
                "action": name,
                "note": note.body,
            }
        changed.append(note)
    Notification.objects.bulk_update(changed, ["message", "params"], batch_size=1000)


def backwards(apps, schema_editor):
    apps.get_model("core", "Notification").objects.filter(kind__startswith="case.").update(
        message="", params={}
    )


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0010_separation_of_duties"),
        ("core", "0006_notification_message"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
