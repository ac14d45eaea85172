"""Pages: board, apply, detail (audited), actions with clear 4xx and kept input, meeting screen."""

import pytest

from fengqiao.core.models import AuditEvent
from fengqiao.risks import reviews
from fengqiao.risks.models import ReviewItem, Risk
from tests.conftest import login
from tests.risks import helpers

pytestmark = pytest.mark.django_db


def test_board_by_colour_and_place(client, county, users):
    helpers.filed(county.grid_a, users, level="orange")
    helpers.apply(county.grid_a, users, title="待审核的风险")
    login(client, users["community_officer"])
    page = client.get("/risks/").content.decode()
    assert 'id="col-orange"' in page and "FX" in page and "待审核的风险" in page
    page = client.get(f"/risks/?place={county.village.pk}").content.decode()
    assert "枫溪社区第1网格" in page
    login(client, users["grid_worker"])
    assert client.get("/risks/").status_code == 403


def test_apply_page_keeps_input_on_error(client, county, users):
    login(client, users["community_officer"])
    response = client.post(
        "/risks/new/",
        {"place": county.grid_a.pk, "category": "fire", "title": "", "description": "仓库堆放"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "风险名称" in body and "仓库堆放" in body
    response = client.post(
        "/risks/new/",
        {
            "place": county.grid_a.pk,
            "category": "fire",
            "title": "老旧仓库消防隐患",
            "description": "仓库堆放易燃物",
            "level": "blue",
            "person0_name": "赵六",
            "person0_phone": "13900002222",
        },
    )
    risk = Risk.objects.get(title="老旧仓库消防隐患")
    assert response.status_code == 302 and response["Location"] == f"/risks/{risk.pk}/"
    assert str(risk.people.get().phone) == "139****2222"


def test_detail_is_audited_and_shows_the_chart_data(client, county, users):
    risk = helpers.filed(county.grid_a, users, level="orange")
    login(client, users["community_officer"])
    body = client.get(f"/risks/{risk.pk}/").content.decode()
    assert 'id="level-data"' in body and '"rank": 3' in body
    assert "<script>" not in body.replace('<script src="', "")  # no inline script
    assert AuditEvent.objects.filter(action="risk.view", target_id=str(risk.pk)).exists()


def test_level_change_without_reason_is_a_clear_400(client, county, users):
    risk = helpers.filed(county.grid_a, users)
    login(client, users["community_officer"])
    response = client.post(f"/risks/{risk.pk}/act/propose_level/", {"to_level": "red", "note": ""})
    assert response.status_code == 400
    assert "理由" in response.content.decode()
    response = client.post(
        f"/risks/{risk.pk}/act/propose_level/", {"to_level": "red", "note": "持刀威胁"}
    )
    assert response.status_code == 302
    response = client.post(f"/risks/{risk.pk}/act/approve_level/", {"note": ""})
    assert response.status_code == 403  # an officer is not the approver
    login(client, users["leader"])
    assert client.post(f"/risks/{risk.pk}/act/approve_level/", {"note": "同意"}).status_code == 302
    risk.refresh_from_db()
    assert risk.level == "red"


def test_close_without_evidence_keeps_the_note(client, county, users):
    risk = helpers.filed(county.grid_a, users)
    login(client, users["community_officer"])
    response = client.post(f"/risks/{risk.pk}/act/request_close/", {"note": "已签订和解协议"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "证明材料" in body and "已签订和解协议" in body
    response = client.post(
        f"/risks/{risk.pk}/act/request_close/",
        {"note": "已签订和解协议", "evidence": helpers.pdf()},
    )
    assert response.status_code == 302
    risk.refresh_from_db()
    assert risk.state == "closing"


def test_wrong_level_approval_is_403(client, county, users):
    risk = helpers.apply(county.grid_a, users)
    login(client, users["leader"])  # a grid's leader
    response = client.post(f"/risks/{risk.pk}/act/approve/", {"level": "blue"})
    assert response.status_code == 403
    assert "枫溪县" in response.content.decode()


def test_meeting_screen_double_submission(client, county, users):
    risk = helpers.filed(county.grid_a, users, level="orange")
    session = reviews.create_session(users["dispatcher"], place=county.grid_a, slot_at=None)
    item = session.items.get()
    login(client, users["leader"])
    page = client.get(f"/risks/reviews/{session.pk}/").content.decode()
    assert 'class="meeting"' in page and risk.number in page
    data = {"decision": "lower", "new_level": "blue", "note": "双方已和解"}
    url = f"/risks/reviews/{session.pk}/items/{item.pk}/"
    assert client.post(url, data).status_code == 302
    response = client.post(url, data, follow=True)
    assert "未重复保存" in response.content.decode()
    response = client.post(url, {"decision": "keep"})
    assert response.status_code == 409 and "不能重复" in response.content.decode()
    item = ReviewItem.objects.get(pk=item.pk)
    assert item.decision == "lower"
    risk.refresh_from_db()
    assert risk.level == "blue"


def test_pack_and_export(client, county, users):
    helpers.filed(county.grid_a, users, title='=HYPERLINK("x")恶意标题')
    session = reviews.create_session(users["dispatcher"], place=county.grid_a, slot_at=None)
    login(client, users["dispatcher"])
    pdf = client.get(f"/risks/reviews/{session.pk}/pack/pdf/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    from tests.pdfcheck import assert_embedded_pdf

    assert_embedded_pdf(pdf.content, "风险会商材料")
    docx = client.get(f"/risks/reviews/{session.pk}/pack/docx/")
    assert docx.status_code == 200 and docx.content.startswith(b"PK")
    response = client.get("/risks/export.xlsx")
    from io import BytesIO

    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(response.content)).active
    assert sheet.cell(row=2, column=2).value.startswith("'=")
    assert AuditEvent.objects.filter(action="risk.export").exists()
    assert AuditEvent.objects.filter(action="risk.pack").count() == 2
