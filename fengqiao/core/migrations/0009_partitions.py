"""PostgreSQL: the audit log, the timeline, the notifications and the deadlines become monthly
range partitions (fengqiao.core.partitions; rows, indexes, foreign keys, identity values and the
append-only triggers are kept). SQLite keeps plain tables. The attachment's link to its timeline
entry loses its database constraint (a foreign key cannot point at a partitioned table by id)."""

import django.db.models.deletion
from django.db import migrations, models

from fengqiao.core import partitions


class Migration(migrations.Migration):
    atomic = True
    dependencies = [("core", "0008_notificationtemplate")]
    operations = [
        migrations.AlterField(
            model_name="attachment",
            name="entry",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="attachments",
                to="core.timelineentry",
            ),
        ),
        migrations.RunPython(partitions.partition_tables, partitions.unpartition_tables),
    ]
