"""The case's nearest due time is the kernel's ``next_due_at`` (core.models.DeadlineTracked).

The column is renamed; its indexes follow the column in the database, so only the migration
state learns their new field name."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("cases", "0005_open311_email_changeset")]

    operations = [
        migrations.RenameField("case", "due_at", "next_due_at"),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(
                    model_name="case",
                    name="case_state_due",
                ),
                migrations.RemoveIndex(
                    model_name="case",
                    name="case_dept_queue",
                ),
                migrations.RemoveIndex(
                    model_name="case",
                    name="case_assignee_queue",
                ),
                migrations.RemoveIndex(
                    model_name="case",
                    name="case_place_queue",
                ),
                migrations.RemoveIndex(
                    model_name="case",
                    name="case_open_due",
                ),
                migrations.AddIndex(
                    model_name="case",
                    index=models.Index(fields=["state", "next_due_at"], name="case_state_due"),
                ),
                migrations.AddIndex(
                    model_name="case",
                    index=models.Index(
                        fields=["department", "state", "next_due_at"], name="case_dept_queue"
                    ),
                ),
                migrations.AddIndex(
                    model_name="case",
                    index=models.Index(
                        fields=["assignee", "state", "next_due_at"], name="case_assignee_queue"
                    ),
                ),
                migrations.AddIndex(
                    model_name="case",
                    index=models.Index(
                        fields=["place_path", "state", "next_due_at"], name="case_place_queue"
                    ),
                ),
                migrations.AddIndex(
                    model_name="case",
                    index=models.Index(
                        condition=models.Q(
                            (
                                "state__in",
                                [
                                    "reported",
                                    "accepted",
                                    "dispatched",
                                    "returned",
                                    "claimed",
                                    "in_progress",
                                    "resolved",
                                    "verified",
                                ],
                            )
                        ),
                        fields=["next_due_at", "id"],
                        name="case_open_due",
                    ),
                ),
            ]
        ),
        migrations.AlterField(
            model_name="case",
            name="next_due_at",
            field=models.DateTimeField(
                blank=True, db_index=True, editable=False, null=True, verbose_name="最近时限"
            ),
        ),
    ]
