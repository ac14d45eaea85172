"""Chinese is the source language; the risks app's own catalog gives its pages, messages and API
errors in English. The review pack itself stays Chinese (a meeting document)."""

import pytest

from fengqiao.risks import reviews
from tests.conftest import login
from tests.risks import helpers

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def test_board_detail_and_meeting_in_english(client, county, users):
    risk = helpers.filed(county.grid_a, users, level="orange")
    session = reviews.create_session(users["dispatcher"], place=county.grid_a, slot_at=None)
    login(client, users["leader"])
    page = client.get("/risks/", **EN).content.decode()
    assert "Risk register (four-colour warning)" in page and "风险清单（四色预警）" not in page
    page = client.get(f"/risks/{risk.pk}/", **EN).content.decode()
    assert "Warning level history" in page and "Approved by the county bureau" in page
    assert "预警等级历史" not in page
    page = client.get(f"/risks/reviews/{session.pk}/", **EN).content.decode()
    assert "Record the decision" in page and "Keep" in page
    page = client.get("/risks/").content.decode()
    assert "风险清单（四色预警）" in page


def test_refusals_in_english(client, county, users):
    risk = helpers.filed(county.grid_a, users)
    login(client, users["community_officer"])
    response = client.post(
        f"/risks/{risk.pk}/act/propose_level/", {"to_level": "red", "note": ""}, **EN
    )
    assert response.status_code == 400
    assert "A level change needs a reason" in response.content.decode()
    response = client.post(
        f"/api/v1/risks/{risk.pk}/actions/request_close",
        {"note": "x"},
        content_type="application/json",
        **EN,
    )
    assert "needs evidence" in response.json()["error"]["message"]


def test_category_names_in_english(client, county, users):
    """Categories are data: the 15 defaults are msgids of the catalog (``RiskCategory.label``)."""
    risk = helpers.filed(county.grid_a, users, level="orange")
    login(client, users["leader"])
    chinese = risk.category.name
    english = client.get(f"/risks/{risk.pk}/", **EN).content.decode()
    assert chinese not in english
    rows = client.get("/api/v1/risks/categories", **EN).json()
    assert {"code": "fire", "name": "消防", "label": "Fire safety"} in rows
    assert all(r["label"] and r["label"] != r["name"] for r in rows)
    assert chinese in client.get(f"/risks/{risk.pk}/").content.decode()


def test_risk_list_in_english(client, county, users):
    helpers.approved(county.grid_a, users, level="red")
    login(client, users["community_officer"])
    page = client.get("/risks/list/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for zh in ("风险列表", "预警等级", "下次会商", "逾期未会商", "导出 Excel", "排序"):
        assert zh not in page, zh
    assert "Risk list" in page and "Warning level" in page
