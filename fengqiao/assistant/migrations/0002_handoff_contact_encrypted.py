"""Hand-off contacts become personal data: encrypted at rest (core.pii), existing rows re-written."""

from django.db import migrations

import fengqiao.core.pii


def encrypt_contacts(apps, schema_editor):
    Handoff = apps.get_model("assistant", "Handoff")
    for handoff in Handoff.objects.exclude(contact="").only("pk", "contact").iterator():
        # the field encrypts the clear value it is given
        Handoff.objects.filter(pk=handoff.pk).update(contact_secret=handoff.contact)


class Migration(migrations.Migration):
    dependencies = [("assistant", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="handoff",
            name="contact_secret",
            field=fengqiao.core.pii.EncryptedField(
                blank=True, default="", kind="text", verbose_name="联系方式"
            ),
        ),
        migrations.RunPython(encrypt_contacts, migrations.RunPython.noop, elidable=False),
        migrations.RemoveField(model_name="handoff", name="contact"),
        migrations.RenameField(model_name="handoff", old_name="contact_secret", new_name="contact"),
    ]
