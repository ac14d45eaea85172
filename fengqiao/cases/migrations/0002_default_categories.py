from django.db import migrations


def forwards(apps, schema_editor):
    from fengqiao.cases.defaults import install

    install(apps.get_model("cases", "Category"))


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
