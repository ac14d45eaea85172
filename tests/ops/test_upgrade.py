"""A populated database upgraded through every migration (issue 15): a new database is brought to
the first migration of each of our apps, rows are written with the models as they were then
(historical models), then ``migrate`` runs every later migration, data migrations included; the
rows are all there afterwards, read with today's models. Real process, PostgreSQL."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from .conftest import database_url, postgres_only

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [postgres_only, pytest.mark.slow, pytest.mark.django_db]

SCRIPT = r"""
import django
django.setup()
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

APPS = ["core", "org", "cases", "disputes", "assistant", "risks", "registry", "fieldwork", "insights"]
executor = MigrationExecutor(connection)
first = [(app, min(n for a, n in executor.loader.disk_migrations if a == app)) for app in APPS]
executor.migrate(first)
old = executor.loader.project_state(first).apps
Place = old.get_model("org", "Place")
city = Place.objects.create(code="339900", name="云湖市", level=1, path="/339900/")
grid = Place.objects.create(code="339900001", name="老网格", level=5, path="/339900/339900001/", parent=city)
User = old.get_model("org", "User")
User.objects.create(username="old-worker", password="!", is_active=True)
Category = old.get_model("cases", "Category")
Category.objects.update_or_create(code="old-kind", defaults={"name": "旧类别"})

executor = MigrationExecutor(connection)
executor.migrate(executor.loader.graph.leaf_nodes())
assert not MigrationExecutor(connection).migration_plan(executor.loader.graph.leaf_nodes())

from fengqiao.cases.models import Category as NewCategory
from fengqiao.org.models import Place as NewPlace, User as NewUser
assert NewPlace.objects.get(code="339900001").parent.code == "339900"
assert NewPlace.objects.get(code="339900001").name == "老网格"
assert NewUser.objects.get(username="old-worker").is_active
assert NewCategory.objects.get(code="old-kind").name == "旧类别"
print("upgraded", len(executor.loader.graph.nodes), "migrations")
"""


def psql(url, sql):
    subprocess.run(["psql", url, "-q", "-c", sql], check=True, capture_output=True)  # noqa: S603


def test_a_populated_database_upgrades_through_every_migration(tmp_path):
    name = f"{connection.settings_dict['NAME']}_upgrade"
    admin = database_url(connection.settings_dict, name="postgres")
    psql(admin, f'DROP DATABASE IF EXISTS "{name}"')
    psql(admin, f'CREATE DATABASE "{name}"')
    try:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "fengqiao.settings",
            "FENGQIAO_DATABASE_URL": database_url(connection.settings_dict, name=name),
            "FENGQIAO_HOME": str(tmp_path),
            "FENGQIAO_CACHE": "locmem",
        }
        env.pop("FENGQIAO_MIGRATE_DATABASE_URL", None)
        done = subprocess.run(  # noqa: S603
            [sys.executable, "-c", SCRIPT],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert done.returncode == 0, done.stderr[-4000:]
        assert "upgraded" in done.stdout
    finally:
        psql(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
