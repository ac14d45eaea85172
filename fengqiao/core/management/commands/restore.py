"""``fengqiao restore DIR``: put back what ``fengqiao backup DIR`` saved (docs/deploy.md).

Into the configured database, which must be empty (a new database: ``createdb``), and
``FENGQIAO_MEDIA_ROOT``, which must be empty or missing; nothing is overwritten. Every restored
file is checked against the manifest's SHA-256. Then run ``fengqiao migrate`` if the code is newer
than the backup.
"""

import json
import shutil
import subprocess
import tarfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from .backup import file_digests, pg_args, pg_env


class Command(BaseCommand):
    help = "Restore a backup made by `fengqiao backup` into an empty database and media folder."

    def add_arguments(self, parser):
        parser.add_argument("directory")

    def handle(self, *args, directory, **options):
        source = Path(directory)
        try:
            manifest = json.loads((source / "manifest.json").read_text())
        except (OSError, ValueError) as exc:
            raise CommandError(f"{source} holds no backup manifest: {exc}") from exc
        if manifest["vendor"] != connection.vendor:
            raise CommandError(f"a {manifest['vendor']} backup cannot go into {connection.vendor}")
        if connection.introspection.table_names():
            raise CommandError("the database is not empty: restore into a new database")
        media = Path(settings.MEDIA_ROOT)
        if media.exists() and any(media.iterdir()):
            raise CommandError(f"{media} is not empty")
        s = connection.settings_dict
        dump = source / manifest["database"]
        if connection.vendor == "postgresql":
            connection.close()
            result = subprocess.run(
                ["pg_restore", *pg_args(s), "--no-owner", "--exit-on-error", "-d", s["NAME"]]
                + [str(dump)],
                env=pg_env(s),
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode != 0:
                raise CommandError(f"pg_restore failed: {result.stderr.strip()[-2000:]}")
        else:
            connection.close()
            shutil.copyfile(dump, s["NAME"])
        media.mkdir(parents=True, exist_ok=True)
        with tarfile.open(source / "media.tar") as tar:
            tar.extractall(media, filter="data")
        restored = file_digests(media)
        if restored != manifest["media"]:
            missing = sorted(set(manifest["media"]) - set(restored))
            differ = sorted(k for k in restored if manifest["media"].get(k) != restored[k])
            raise CommandError(f"attachments differ from the manifest: {missing[:5]} {differ[:5]}")
        self.stdout.write(
            f"restored the database and {len(restored)} files; "
            "run `fengqiao migrate` if this code is newer than the backup"
        )
