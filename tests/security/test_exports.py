"""Formula injection (issue 14, finding 7): every spreadsheet export writes dangerous cells as text
through one helper (``core.exports``); exports are audited (finding 10: the answers export)."""

import io

import pytest
from openpyxl import load_workbook

from fengqiao.assistant import services as assistant_services
from fengqiao.core import exports, pii
from fengqiao.core.models import AuditEvent
from tests.conftest import login

PLANTED = '=HYPERLINK("http://evil.example/steal","点此查看")'


@pytest.mark.parametrize(
    "value",
    [PLANTED, "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "  =1", "\u3000=cmd|' /C calc'!A0"],
)
def test_dangerous_cells_become_text(value):
    assert exports.safe_cell(value) == "'" + value


def test_ordinary_values_are_untouched_and_personal_data_masked():
    assert exports.safe_cell("楼下垃圾") == "楼下垃圾"
    assert exports.safe_cell(42) == 42 and exports.safe_cell(None) is None
    assert exports.safe_cell(pii.Sensitive("13812345678", "phone")) == "138****5678"


def test_every_export_module_uses_the_core_helper():
    from fengqiao.insights import exports as insights_exports
    from fengqiao.registry import importer
    from fengqiao.risks import documents

    for neutralise in (importer.neutralise, documents.safe_cell, insights_exports.safe):
        assert neutralise(PLANTED) == "'" + PLANTED


def test_answers_export_neutralises_formulas_and_is_audited(db, client, users):
    officer = users["community_officer"]
    assistant_services.save_answer(
        {"id": "evil-1", "category": "测试", "question": "问", "answer": PLANTED}, reindex=False
    )
    login(client, officer)
    response = client.get("/assistant/answers/export/?format=xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = {row[0]: row for row in sheet.iter_rows(values_only=True)}
    answer = cells["evil-1"][4]
    assert answer == "'" + PLANTED  # text, not a formula
    assert sheet.cell(row=2, column=5).data_type == "s"
    row = AuditEvent.objects.get(action="assistant.answers.export")
    assert row.user == officer and row.data == {"rows": 1, "format": "xlsx"}
    client.get("/assistant/answers/export/")
    assert AuditEvent.objects.filter(
        action="assistant.answers.export", data__format="jsonl"
    ).exists()
