"""The backup and restore drill (issue 15; docs/deploy.md "Backups and restore"): ``fengqiao
backup`` then ``fengqiao restore`` into a new database and an empty media folder, as an operator
runs them (real processes); afterwards every table holds the same rows and every attachment the
same bytes, and the restored database needs no migration."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from fengqiao.cases import services, uploads
from fengqiao.cases.models import Case, Category
from tests.cases.helpers import jpeg_bytes

from .conftest import database_url, postgres_only

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]


def fengqiao(*argv, url, home, media):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "FENGQIAO_DATABASE_URL": url,
        "FENGQIAO_HOME": str(home),
        "FENGQIAO_MEDIA_ROOT": str(media),
        "FENGQIAO_CACHE": "locmem",
    }
    env.pop("FENGQIAO_MIGRATE_DATABASE_URL", None)
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "fengqiao.cli", *argv],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def psql(url, sql):
    return subprocess.run(  # noqa: S603
        ["psql", url, "-Atq", "-v", "ON_ERROR_STOP=1", "-c", sql],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def fingerprint(url):
    """Table → (rows, md5 of all rows in a fixed order), for every model table."""
    tables = sorted({m._meta.db_table for m in apps.get_models()} & set(
        connection.introspection.table_names()
    ))  # fmt: skip
    sql = " UNION ALL ".join(
        f"SELECT '{t}', count(*), md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) "  # noqa: S608
        f'FROM "{t}" x'
        for t in tables
    )
    return {line.split("|")[0]: line.split("|", 1)[1] for line in psql(url, sql).splitlines()}


def files(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_backup_and_restore_into_a_new_database(county, users, categories, settings, tmp_path):
    media = tmp_path / "media"
    settings.MEDIA_ROOT = str(media)
    photos = [
        SimpleUploadedFile(f"p{i}.jpg", jpeg_bytes(size=(40 + i, 30)), "image/jpeg")
        for i in range(2)
    ]
    attachments, rejected = uploads.process_files(photos)
    assert not rejected
    case, _ = services.report(
        place=county.grid_a,
        category=Category.objects.get(code="cityscape"),
        description="井盖缺失，有人差点踩空",
        source=Case.Source.GRID_WORKER,
        actor=users["grid_worker"],
        reporter_name="李四",
        reporter_phone="13900002222",
        attachments=attachments,
    )
    services.dispatch(case, users["dispatcher"], data={"department": county.urban.pk})
    before = files(media)
    assert len(before) >= 2

    source_url = database_url(connection.settings_dict)
    target_name = f"{connection.settings_dict['NAME']}_restored"
    target_url = database_url(connection.settings_dict, name=target_name)
    admin_url = database_url(connection.settings_dict, name="postgres")
    psql(admin_url, f'DROP DATABASE IF EXISTS "{target_name}"')
    psql(admin_url, f'CREATE DATABASE "{target_name}"')
    try:
        out = tmp_path / "backup"
        done = fengqiao("backup", str(out), url=source_url, home=tmp_path, media=media)
        assert done.returncode == 0, done.stderr[-3000:]
        assert {p.name for p in out.iterdir()} == {"database.dump", "media.tar", "manifest.json"}

        restored_media = tmp_path / "restored-media"
        done = fengqiao("restore", str(out), url=target_url, home=tmp_path, media=restored_media)
        assert done.returncode == 0, done.stderr[-3000:]

        assert fingerprint(target_url) == fingerprint(source_url)
        assert files(restored_media) == before
        check = fengqiao(
            "manage", "migrate", "--check", url=target_url, home=tmp_path, media=restored_media
        )
        assert check.returncode == 0, check.stdout[-2000:] + check.stderr[-2000:]
        # a second restore into the (now full) database refuses, nothing is overwritten
        again = fengqiao("restore", str(out), url=target_url, home=tmp_path, media=tmp_path / "x")
        assert again.returncode != 0 and "not empty" in again.stderr
    finally:
        psql(admin_url, f'DROP DATABASE IF EXISTS "{target_name}" WITH (FORCE)')
