"""Link the people involved in existing risks to the registry by ID number (keyed hash), where a
registry person with that hash lives in the risk's county. ``risks.services.link_registry_people``
does the same for rows added later (e.g. after a registry import)."""

from django.db import migrations


def link(apps, schema_editor):
    RiskPerson = apps.get_model("risks", "RiskPerson")
    Person = apps.get_model("registry", "Person")
    rows = RiskPerson.objects.filter(person__isnull=True).exclude(id_hash="")
    for row in rows.select_related("risk").iterator():
        parts = (row.risk.place_path or "").strip("/").split("/")
        county = "/" + "/".join(parts[:2]) + "/"
        match = Person.objects.filter(id_hash=row.id_hash, place_path__startswith=county).first()
        if match is not None:
            RiskPerson.objects.filter(pk=row.pk).update(person=match)


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0003_stay_deadline"),
        ("risks", "0005_riskperson_person"),
    ]

    operations = [migrations.RunPython(link, migrations.RunPython.noop)]
