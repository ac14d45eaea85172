"""Hearing participants' names become personal data (pii.EncryptedField, kind "name").

The column widens from varchar(50) to text, then the existing clear names are encrypted in place.
Raw SQL on purpose: the field's from_db_value would try to decrypt the old clear values. Rows that
already decrypt (a re-run) are left alone. Backwards: decrypt, then narrow the column again.
"""

from django.db import migrations

import fengqiao.core.pii

TABLE = "disputes_hearingparticipant"


def _rows(schema_editor):
    quote = schema_editor.quote_name
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"SELECT {quote('id')}, {quote('name')} FROM {quote(TABLE)}")  # noqa: S608
        return cursor.fetchall()


def _write(schema_editor, pk, value):
    quote = schema_editor.quote_name
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(TABLE)} SET {quote('name')} = %s WHERE {quote('id')} = %s",  # noqa: S608
            [value, pk],
        )


def _is_token(value):
    try:
        fengqiao.core.pii.decrypt(value)
    except ValueError:
        return False
    return True


def encrypt_names(apps, schema_editor):
    for pk, name in _rows(schema_editor):
        if name and not _is_token(name):
            _write(schema_editor, pk, fengqiao.core.pii.encrypt(name))


def decrypt_names(apps, schema_editor):
    for pk, name in _rows(schema_editor):
        if name and _is_token(name):
            _write(schema_editor, pk, fengqiao.core.pii.decrypt(name)[:50])


class Migration(migrations.Migration):
    dependencies = [
        ("disputes", "0002_default_types"),
    ]

    operations = [
        migrations.AlterField(
            model_name="hearingparticipant",
            name="name",
            field=fengqiao.core.pii.EncryptedField(
                blank=True, default="", kind="name", verbose_name="姓名"
            ),
        ),
        migrations.RunPython(encrypt_names, decrypt_names),
    ]
