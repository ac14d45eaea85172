"""Figures, exports and searches read from a real streaming replica (issue 15).

The test starts its own primary (initdb, ``wal_level=replica``) and a streaming replica of it
(``pg_basebackup -R``, a second ``postgres`` on another port), loads the test database into the
primary, and points the ``default`` alias at the primary and ``replica`` at the replica. With WAL
replay paused on the replica, a case reported on the primary is visible to its own pages
(read-after-write on the primary) and missing from the export (read from the replica); once
replay resumes the export has it. Writes made while reading the replica (the export's audit row,
the session) land on the primary. A stopped replica: the export reads the primary instead."""

import contextlib
import io
import shutil
import subprocess

import pytest
from django.db import connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from fengqiao.core import dbrouting
from fengqiao.core.models import AuditEvent
from tests.cases.helpers import make_case
from tests.conftest import login
from tests.pgtemp import Server, have_server_binaries, scratch_dir, wait_for

from .conftest import postgres_only

pytestmark = [
    postgres_only,
    pytest.mark.skipif(not have_server_binaries(), reason="PostgreSQL server binaries missing"),
    pytest.mark.django_db(transaction=True),
]


def copy_test_database(primary):
    s = connection.settings_dict
    primary.psql("CREATE DATABASE fq")
    dump = subprocess.run(  # noqa: S603
        ["pg_dump", "-h", s["HOST"] or "127.0.0.1", "-p", str(s["PORT"] or 5432)]
        + ["-U", s["USER"], "--no-owner", "--no-privileges", s["NAME"]],
        check=True,
        capture_output=True,
        env={"PGPASSWORD": s["PASSWORD"] or "", "PATH": "/usr/bin:/bin"},
    )
    subprocess.run(  # noqa: S603
        ["psql", "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres", "-d", "fq"]
        + ["-q", "-v", "ON_ERROR_STOP=1"],
        input=dump.stdout,
        check=True,
        capture_output=True,
    )


def _allow_alias(alias):
    """Let this test connect to an alias made after the test case was set up (Django forbids
    connections to aliases its test case does not list)."""
    patched = BaseDatabaseWrapper.ensure_connection
    for cell in getattr(patched, "__closure__", None) or ():
        owner = cell.cell_contents
        if isinstance(owner, type) and hasattr(owner, "databases"):
            owner.databases = {*owner.databases, alias}


@contextlib.contextmanager
def pointed_at(primary, replica):
    """``default`` → the temp primary, ``replica`` → its replica; restored afterwards."""
    _allow_alias(dbrouting.REPLICA)
    default = connections["default"]
    saved = dict(default.settings_dict)
    connections.close_all()
    temp = {"HOST": "127.0.0.1", "NAME": "fq", "USER": "postgres", "PASSWORD": ""}
    default.settings_dict.update(temp, PORT=primary.port)
    connections.settings[dbrouting.REPLICA] = {
        **saved,
        **temp,
        "PORT": replica.port,
        "OPTIONS": {"connect_timeout": 3},
    }
    dbrouting._down_until["t"] = 0.0
    try:
        yield
    finally:
        connections.close_all()
        del connections[dbrouting.REPLICA]
        connections.settings.pop(dbrouting.REPLICA)
        default.settings_dict.clear()
        default.settings_dict.update(saved)
        dbrouting._down_until["t"] = 0.0


def exported_numbers(client):
    response = client.get("/cases/", {"format": "xlsx", "tab": "all"})
    assert response.status_code == 200, response.content[:300]
    sheet = load_workbook(io.BytesIO(response.content)).active
    return {str(cell) for row in sheet.iter_rows(values_only=True) for cell in row if cell}


def replica_reads(action):
    with CaptureQueriesContext(connections[dbrouting.REPLICA]) as seen:
        result = action()
    statements = [q["sql"].lstrip().split()[0].upper() for q in seen.captured_queries]
    return result, statements


def test_figures_exports_and_searches_read_the_replica(county, users, categories, client):
    root = scratch_dir("fq-replica-")
    primary, replica = Server(root, "primary"), Server(root, "replica")
    try:
        primary.init_primary().start()
        copy_test_database(primary)
        replica.init_replica_of(primary).start()
        with pointed_at(primary, replica):
            assert dbrouting.configured()
            login(client, users["dispatcher"])

            # replay paused: the replica stands still while the primary moves on
            replica.psql("SELECT pg_wal_replay_pause()", "fq")
            case = make_case(county.grid_a)
            detail = client.get(f"/cases/{case.pk}/")
            assert detail.status_code == 200  # read-after-write: its own page reads the primary
            exports_before = AuditEvent.objects.filter(action="cases.queue.export").count()
            numbers, statements = replica_reads(lambda: exported_numbers(client))
            assert case.number not in numbers, "the export did not read the (paused) replica"
            assert statements and set(statements) <= {"SELECT", "WITH"}, statements
            # the export's audit row was written, on the primary
            exports_after = AuditEvent.objects.filter(action="cases.queue.export").count()
            assert exports_after == exports_before + 1

            # replay resumed: the replica catches up and the export has the case
            replica.psql("SELECT pg_wal_replay_resume()", "fq")
            wait_for(
                lambda: replica.psql(f"SELECT count(*) FROM cases_case WHERE id = {case.pk}", "fq")  # noqa: S608
                == "1",
                what="the replica to replay the case",
            )
            assert case.number in exported_numbers(client)

            # figures (page and API) and searches read the replica too
            login(client, users["leader"])
            for path in ("/insights/", "/api/v1/insights/cases"):
                response, statements = replica_reads(lambda p=path: client.get(p))
                assert response.status_code == 200, (path, response.content[:300])
                assert statements and set(statements) <= {"SELECT", "WITH"}, (path, statements)
            login(client, users["grid_worker"])
            response, statements = replica_reads(lambda: client.get("/registry/", {"q": "张"}))
            assert response.status_code == 200 and statements

            # pages outside figures/exports/searches never touch the replica
            _response, statements = replica_reads(lambda: client.get(f"/cases/{case.pk}/"))
            assert statements == []

            # the replica goes away: the export reads the primary, nothing fails
            login(client, users["dispatcher"])
            replica.stop("immediate")
            numbers, statements = replica_reads(lambda: exported_numbers(client))
            assert case.number in numbers and statements == []
    finally:
        replica.stop("immediate")
        primary.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)
