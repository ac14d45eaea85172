"""Hearing participants' names are personal data: encrypted at rest, masked on pages and in lists,
clear only in the generated hearing minutes (audited like the agreement)."""

import importlib
import io
import re
import types

import docx
import pytest
from django.db import connection
from pypdf import PdfReader

from fengqiao.core import pii
from fengqiao.core.models import AuditEvent
from fengqiao.disputes import services
from fengqiao.disputes.models import HearingParticipant
from tests.conftest import login
from tests.disputes import helpers

pytestmark = pytest.mark.django_db

FIELDS = {
    "held_at": "2026-11-20T09:30",
    "location": "枫溪社区会议室",
    "statements": "张三陈述噪音影响",
    "defence": "李四申辩已注意",
    "deliberation": "邻居代表认为确有影响",
    "decision": "李四夜间控制噪音",
    "minutes": "听证笔录全文",
    "participants": [
        {"name": "王书记", "role": "cadre"},
        {"name": "赵阿姨", "role": "neighbour"},
    ],
}


def _hearing(county, users):
    dispute = helpers.at_level(county.grid_a, users, 4)
    return services.record_hearing(dispute, users["community_officer"], **FIELDS)


def _raw_names():
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM disputes_hearingparticipant ORDER BY id")
        return [row[0] for row in cursor.fetchall()]


def _flat(text):
    return re.sub(r"\s+", "", text)


def test_names_are_encrypted_and_masked(county, users):
    hearing = _hearing(county, users)
    raw = _raw_names()
    assert len(raw) == 2 and not any("王" in v or "赵" in v for v in raw)
    assert [pii.decrypt(v) for v in raw] == ["王书记", "赵阿姨"]
    names = [p.name for p in hearing.participants.all()]
    assert [str(n) for n in names] == ["王**", "赵**"]
    assert [n.clear for n in names] == ["王书记", "赵阿姨"]
    assert "王书记" not in repr(names) and "王书记" not in str(hearing.participants.first())


def test_detail_page_masks_participants(client, county, users):
    hearing = _hearing(county, users)
    login(client, users["community_officer"])
    body = client.get(f"/disputes/{hearing.attempt.dispute_id}/").content.decode()
    assert "王**（村（社区）干部）" in body and "王书记" not in body and "赵阿姨" not in body
    assert f"/disputes/hearings/{hearing.pk}/minutes/docx/" in body


@pytest.mark.parametrize("fmt", ["docx", "pdf"])
def test_minutes_document_carries_clear_names_and_is_audited(client, county, users, fmt):
    hearing = _hearing(county, users)
    login(client, users["community_officer"])
    response = client.get(f"/disputes/hearings/{hearing.pk}/minutes/{fmt}/")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    if fmt == "docx":
        document = docx.Document(io.BytesIO(response.content))
        text = _flat("\n".join(p.text for p in document.paragraphs))
    else:
        pages = PdfReader(io.BytesIO(response.content)).pages
        text = _flat("\n".join(page.extract_text() for page in pages))
        from tests.pdfcheck import assert_embedded_pdf

        assert_embedded_pdf(response.content, "听证笔录")
    for part in ("听证笔录", "村（社区）干部：王书记", "邻居：赵阿姨", "李四夜间控制噪音"):
        assert part in text
    assert "王书记（签名）" in text
    event = AuditEvent.objects.get(action="dispute.hearing_minutes_generated")
    assert event.result == "success" and event.user == users["community_officer"]
    assert event.data["format"] == fmt and event.data["participants"] == 2


def test_minutes_refused_without_permission_or_scope(client, county, users, users_b):
    hearing = _hearing(county, users)
    # in scope, may view the dispute, but may not print personal data: 403, audited
    login(client, users["grid_worker"])
    assert client.get(f"/disputes/{hearing.attempt.dispute_id}/").status_code == 200
    response = client.get(f"/disputes/hearings/{hearing.pk}/minutes/docx/")
    assert response.status_code == 403
    denied = AuditEvent.objects.get(action="dispute.hearing_minutes_generated")
    assert denied.result == "denied" and denied.user == users["grid_worker"]
    # out of scope (sibling grid): 404, nothing generated
    login(client, users_b["community_officer"])
    assert client.get(f"/disputes/hearings/{hearing.pk}/minutes/docx/").status_code == 404
    assert client.get(f"/disputes/hearings/{hearing.pk}/minutes/xls/").status_code == 404
    assert not AuditEvent.objects.filter(
        action="dispute.hearing_minutes_generated", result="success"
    ).exists()


def test_data_migration_encrypts_existing_clear_names(county, users):
    """Rows written before 0003 hold clear names; the migration encrypts them in place, once."""
    migration = importlib.import_module(
        "fengqiao.disputes.migrations.0003_hearing_participant_name_encrypted"
    )
    hearing = _hearing(county, users)
    with connection.cursor() as cursor:  # as the rows were before the migration
        for pk, name in hearing.participants.values_list("pk", "name"):
            cursor.execute(
                "UPDATE disputes_hearingparticipant SET name = %s WHERE id = %s", [name.clear, pk]
            )
    assert _raw_names() == ["王书记", "赵阿姨"]
    # the functions use only the editor's connection and quoting (a real schema editor cannot
    # open inside the test transaction on SQLite)
    editor = types.SimpleNamespace(connection=connection, quote_name=connection.ops.quote_name)
    migration.encrypt_names(None, editor)
    once = _raw_names()
    assert "王书记" not in once and [pii.decrypt(v) for v in once] == ["王书记", "赵阿姨"]
    migration.encrypt_names(None, editor)  # a second run leaves encrypted rows alone
    assert _raw_names() == once
    assert [p.name.clear for p in HearingParticipant.objects.order_by("id")] == ["王书记", "赵阿姨"]
    migration.decrypt_names(None, editor)  # and backwards
    assert _raw_names() == ["王书记", "赵阿姨"]
