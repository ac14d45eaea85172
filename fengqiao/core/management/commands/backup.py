"""``fengqiao backup DIR``: the database and the attachments, into one folder (docs/deploy.md).

DIR gets ``database.dump`` (PostgreSQL: ``pg_dump -Fc``; SQLite: a consistent copy made with
SQLite's online backup), ``media.tar`` (everything under ``FENGQIAO_MEDIA_ROOT``) and
``manifest.json`` (when, the applied migrations, each attachment with its size and SHA-256).
``fengqiao restore DIR`` puts them back. The data keys are not in a backup (docs/deploy.md).
"""

import hashlib
import json
import os
import sqlite3
import subprocess
import tarfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone


def pg_env(settings_dict):
    env = {**os.environ}
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = settings_dict["PASSWORD"]
    return env


def pg_args(settings_dict):
    return [
        "-h",
        settings_dict.get("HOST") or "127.0.0.1",
        "-p",
        str(settings_dict.get("PORT") or 5432),
        "-U",
        settings_dict.get("USER") or "postgres",
    ]


def file_digests(root: Path) -> dict:
    """Relative path → [size, sha256] of every file under ``root``."""
    found = {}
    if not root.exists():
        return found
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for block in iter(lambda h=handle: h.read(1 << 20), b""):
                digest.update(block)
        found[path.relative_to(root).as_posix()] = [path.stat().st_size, digest.hexdigest()]
    return found


class Command(BaseCommand):
    help = "Back up the database and the attachments into DIR (database.dump, media.tar, manifest.json)."

    def add_arguments(self, parser):
        parser.add_argument("directory")

    def handle(self, *args, directory, **options):
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        if any(out.iterdir()):
            raise CommandError(f"{out} is not empty")
        s = connection.settings_dict
        dump = out / "database.dump"
        if connection.vendor == "postgresql":
            result = subprocess.run(
                ["pg_dump", *pg_args(s), "-Fc", "--no-owner", "-f", str(dump), s["NAME"]],
                env=pg_env(s),
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode != 0:
                raise CommandError(f"pg_dump failed: {result.stderr.strip()[-2000:]}")
        elif connection.vendor == "sqlite":
            source = sqlite3.connect(s["NAME"])
            target = sqlite3.connect(dump)
            with target:
                source.backup(target)
            source.close()
            target.close()
        else:
            raise CommandError(f"no backup for {connection.vendor}")
        media = Path(settings.MEDIA_ROOT)
        files = file_digests(media)
        with tarfile.open(out / "media.tar", "w") as tar:
            for name in files:
                tar.add(media / name, arcname=name, recursive=False)
        applied = MigrationRecorder(connection).applied_migrations()
        manifest = {
            "created_at": timezone.now().isoformat(),
            "vendor": connection.vendor,
            "database": "database.dump",
            "migrations": sorted(f"{app}.{name}" for app, name in applied),
            "media": files,
        }
        (out / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False))
        self.stdout.write(
            f"backed up the database ({dump.stat().st_size} bytes) and {len(files)} files to {out}"
        )
