"""``fengqiao rotate_keys``: re-encrypt every personal-data field under the first data key.

Rotation: put the new key first in FENGQIAO_DATA_KEYS (keep the old ones after it), run this
command, then remove the old keys. See docs/deploy.md.
"""

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from fengqiao.core import pii


class Command(BaseCommand):
    help = "Re-encrypt personal data under the newest key."

    def handle(self, *args, **options):
        total = 0
        for model in apps.get_models():
            fields = [f for f in model._meta.concrete_fields if isinstance(f, pii.EncryptedField)]
            if not fields:
                continue
            # Raw SQL: tokens are rotated without ever being decrypted into model instances.
            table = model._meta.db_table
            columns = ", ".join(f.column for f in fields)
            with transaction.atomic():
                with connection.cursor() as cur:
                    cur.execute(f"SELECT {model._meta.pk.column}, {columns} FROM {table}")  # noqa: S608
                    raw = cur.fetchall()
                    for pk, *tokens in raw:
                        rotated = [pii.rotate(t) if t else t for t in tokens]
                        sets = ", ".join(f"{f.column} = %s" for f in fields)
                        cur.execute(
                            f"UPDATE {table} SET {sets} WHERE {model._meta.pk.column} = %s",  # noqa: S608
                            [*rotated, pk],
                        )
                        total += 1
            self.stdout.write(f"{model._meta.label}: {len(raw)} rows")
        self.stdout.write(f"re-encrypted {total} rows")
