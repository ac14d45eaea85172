"""``fengqiao rotate_keys``: re-encrypt every personal-data field under the first data key.

Rotation: put the new key first in FENGQIAO_DATA_KEYS (keep the old ones after it), run this
command, then remove the old keys. See docs/deploy.md.
"""

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from fengqiao.core import pii


def rotate_model(model) -> int:
    """Rotate the tokens of one model in raw SQL: clear values never enter Python objects."""
    fields = [f for f in model._meta.concrete_fields if isinstance(f, pii.EncryptedField)]
    if not fields or model._meta.proxy or not model._meta.managed:
        return 0
    table, pk = model._meta.db_table, model._meta.pk.column
    columns = ", ".join(f.column for f in fields)
    sets = ", ".join(f"{f.column} = %s" for f in fields)
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"SELECT {pk}, {columns} FROM {table}")  # noqa: S608 — identifiers from models
        rows = cur.fetchall()
        for row_pk, *tokens in rows:
            rotated = [pii.rotate(t) if t else t for t in tokens]
            cur.execute(f"UPDATE {table} SET {sets} WHERE {pk} = %s", [*rotated, row_pk])  # noqa: S608
    return len(rows)


class Command(BaseCommand):
    help = "Re-encrypt personal data under the newest key."

    def handle(self, *args, **options):
        total = 0
        for model in apps.get_models():
            count = rotate_model(model)
            if count:
                self.stdout.write(f"{model._meta.label}: {count} rows")
            total += count
        self.stdout.write(f"re-encrypted {total} rows")
