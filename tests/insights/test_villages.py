"""无案村 (case-free village) status: criteria from the settings (versioned), evaluation per village
and period with the offending records, scoped reasons, nomination / confirmation through the
kernel (audited), pages, export, API, map layer."""

import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import load_workbook

from fengqiao.core.errors import Conflict, Forbidden
from fengqiao.core.models import AuditEvent, SettingVersion, TimelineEntry
from fengqiao.disputes.models import Dispute
from fengqiao.insights import services as insights
from fengqiao.insights import villages
from fengqiao.insights.models import VillageCriterion, VillageStatus
from tests.cases.helpers import dispatched
from tests.conftest import login
from tests.disputes import helpers as disputes
from tests.risks import helpers as risks

pytestmark = pytest.mark.django_db


def test_period_bounds_by_hand():
    day = date(2026, 5, 17)
    assert villages.period_bounds("month", day) == (date(2026, 5, 1), date(2026, 5, 31))
    assert villages.period_bounds("quarter", day) == (date(2026, 4, 1), date(2026, 6, 30))
    assert villages.period_bounds("year", day) == (date(2026, 1, 1), date(2026, 12, 31))
    assert villages.period_bounds("month", date(2024, 2, 10)) == (
        date(2024, 2, 1),
        date(2024, 2, 29),
    )
    assert villages.period_bounds("quarter", date(2026, 12, 31)) == (
        date(2026, 10, 1),
        date(2026, 12, 31),
    )
    assert villages.previous_day("quarter", day) == date(2026, 3, 31)


def _status(place, kind="quarter"):
    start, _end = villages.period_bounds(kind, timezone.localdate())
    return VillageStatus.objects.get(place=place, period=kind, start=start)


def _alert(grid, user, category, number):
    csv = f"报警时间,警情类别,地点,警情编号\n{timezone.localtime():%Y-%m-%d %H:%M},{category},{grid.code},{number}\n"
    return insights.import_alerts(
        user,
        place_code=grid.code,
        source="110",
        upload=SimpleUploadedFile("a.csv", csv.encode()),
    )


def test_each_criterion_lists_its_offending_records(county, users, users_b, make_user):
    today = timezone.localdate()
    # village A: a public-order case, a 刑事 alert, a red risk, a dispute at level 3, a high-risk
    # dispute; village B (南门社区): a 交通 alert and a blue risk only — 达标.
    case = dispatched(county.grid_a, users, county, code="public_order")
    dispatched(county.grid_a, users, county, code="cityscape")  # not a criterion's category
    _alert(county.grid_a, users["dispatcher"], "刑事", "X1")
    _alert(county.grid_c, make_user("dispatcher", places=[county.grid_c]), "交通", "X2")
    red = risks.approved(county.grid_b, users_b, level="red")
    officer_c = make_user("community_officer", places=[county.grid_c])
    risks.approved(county.grid_c, {"community_officer": officer_c}, level="blue", category="fire")
    above = disputes.at_level(county.grid_b, users_b, 3)
    high = disputes.make_dispute(county.grid_a, users)
    Dispute.objects.filter(pk=high.pk).update(risk_level="high")  # 民转刑 risk assessed high

    done = villages.evaluate("quarter", today)
    assert len(done) == 2
    a, b = _status(county.village), _status(county.other_village)
    assert b.reasons == [] and b.met is True
    assert a.met is False
    reasons = {r["criterion"]: r for r in a.reasons}
    assert set(reasons) == {
        "no_criminal",
        "no_public_order_case",
        "no_escalation",
        "no_dispute_above_village",
        "no_red_risk",
        "no_mass_incident",  # the red risk is a 涉稳群体性苗头
    }
    assert [r["id"] for r in reasons["no_public_order_case"]["records"]] == [case.pk]
    assert reasons["no_red_risk"]["records"][0]["label"] == red.number
    assert [r["label"] for r in reasons["no_dispute_above_village"]["records"]] == [above.number]
    assert [r["label"] for r in reasons["no_escalation"]["records"]] == [high.number]
    assert reasons["no_criminal"]["count"] == 1
    assert a.criteria["no_red_risk"] == 1  # the version each criterion was used in
    # the month and the year see the same records; last quarter saw none
    villages.evaluate("year", today)
    assert _status(county.village, "year").met is False
    last = villages.evaluate("quarter", villages.previous_day("quarter", today))
    assert all(s.met for s in last)


def test_criteria_are_versioned_settings(client, county, users):
    dispatched(county.grid_a, users, county, code="public_order")
    login(client, users["system_admin"])
    page = client.get("/settings/village-criteria/")
    assert page.status_code == 200 and "无治安案件" in page.content.decode()
    criterion = VillageCriterion.objects.get(code="no_public_order_case")
    post = {
        "name": criterion.name,
        "kind": "cases",
        "values": "public_order",
        "allowed": "1",
        "active": "on",
        "sort": criterion.sort,
        "note": "允许一起",
    }
    bad = client.post(
        f"/settings/village-criteria/{criterion.pk}/", {**post, "values": "no_such_code"}
    )
    assert bad.status_code == 400 and "no_such_code" in bad.content.decode()
    assert client.post(f"/settings/village-criteria/{criterion.pk}/", post).status_code == 302
    criterion.refresh_from_db()
    assert criterion.version == 2 and criterion.allowed == 1
    assert SettingVersion.objects.filter(
        target_type="insights.villagecriterion", target_id=str(criterion.pk), version=2
    ).exists()
    assert AuditEvent.objects.filter(action="settings.change").exists()
    villages.evaluate("quarter", timezone.localdate())
    status = _status(county.village)
    assert status.met is True  # one case allowed now
    assert status.criteria["no_public_order_case"] == 2
    # others may read the criteria, not change them
    login(client, users["leader"])
    assert client.get("/settings/village-criteria/").status_code == 200
    assert client.post(f"/settings/village-criteria/{criterion.pk}/", post).status_code == 403


def test_nominate_confirm_return_revoke_through_the_kernel(county, users, make_user):
    today = timezone.localdate()
    villages.evaluate("quarter", today)
    status = _status(county.village)
    assert status.met
    dispatcher = make_user("dispatcher", places=[county.town])
    leader = make_user("leader", places=[county.town])
    grid_officer = users["community_officer"]  # grid A only: the village is not in scope
    from fengqiao.core.errors import NotFound

    with pytest.raises(NotFound):
        villages.act(status, "nominate", users["dispatcher"], {"note": ""})
    with pytest.raises(Forbidden):
        villages.registry.act(status, "nominate", grid_officer, {})
    status = villages.registry.act(status, "nominate", dispatcher, {"note": "各项达标"})
    assert status.state == "nominated" and status.nominated_by == dispatcher
    # the nominator may not confirm their own nomination (a leader holds both permissions)
    other = villages.registry.act(_status(county.other_village), "nominate", leader, {"note": ""})
    with pytest.raises(Forbidden):
        villages.registry.act(other, "confirm", leader, {})
    with pytest.raises(Exception) as refused:
        villages.registry.act(status, "return", leader, {"note": ""})
    assert "note" in str(refused.value.details)
    status = villages.registry.act(status, "confirm", leader, {"note": "确认"})
    assert status.state == "confirmed" and status.confirmed_by == leader
    entries = TimelineEntry.objects.filter(object_id=status.pk, content_type__model="villagestatus")
    assert list(entries.order_by("at", "id").values_list("transition", flat=True)) == [
        "nominate",
        "confirm",
    ]
    assert AuditEvent.objects.filter(action="insights.village").count() == 3
    # a confirmed status is frozen: a later case does not change it
    dispatched(county.grid_a, users, county, code="public_order")
    villages.evaluate("quarter", today)
    status.refresh_from_db()
    assert status.met and status.state == "confirmed"
    status = villages.registry.act(status, "revoke", leader, {"note": "发现漏报案件"})
    assert status.state == "assessed" and status.confirmed_by is None
    villages.evaluate("quarter", today)
    status.refresh_from_db()
    assert not status.met
    with pytest.raises(Conflict):
        villages.registry.act(status, "nominate", dispatcher, {})


def test_a_nominated_village_no_longer_met_goes_back(county, users, make_user):
    today = timezone.localdate()
    villages.evaluate("quarter", today)
    dispatcher = make_user("dispatcher", places=[county.town])
    status = villages.registry.act(_status(county.village), "nominate", dispatcher, {})
    dispatched(county.grid_a, users, county, code="public_order")
    leader = make_user("leader", places=[county.town])
    with pytest.raises(Conflict):  # confirming re-evaluates on the locked row
        villages.registry.act(status, "confirm", leader, {})
    villages.evaluate("quarter", today)
    status.refresh_from_db()
    assert status.state == "assessed" and not status.met and status.nominated_by is None
    assert TimelineEntry.objects.filter(
        object_id=status.pk, content_type__model="villagestatus", transition="return"
    ).exists()


def test_reasons_are_scoped_to_the_reader(county, users, make_user):
    villages.evaluate("quarter", timezone.localdate())
    status = _status(county.village)
    status.reasons = [
        {
            "criterion": "no_red_risk",
            "name": "无红色预警风险",
            "kind": "risks",
            "allowed": 0,
            "count": 3,
            "records": [
                {"type": "risk", "id": 1, "label": "R-1", "place_path": county.grid_a.path},
                {"type": "risk", "id": 2, "label": "R-2", "place_path": county.grid_b.path},
            ],
        }
    ]
    reader = make_user("community_officer", places=[county.grid_a])
    (reason,) = villages.visible_reasons(reader, status)
    assert [r["label"] for r in reason["records"]] == ["R-1"]
    assert reason["hidden"] == 2  # grid B's record and the one beyond the stored list
    assert reason["records"][0]["url"] == "/risks/1/"


def test_pages_export_map_and_api(client, county, users, make_user):
    dispatched(county.grid_a, users, county, code="public_order")
    leader = make_user("leader", places=[county.town])
    login(client, leader)
    assert client.post("/insights/villages/?period=month").status_code == 302
    page = client.get("/insights/villages/?period=month").content.decode()
    assert "枫溪社区" in page and "南门社区" in page and "无治安案件（1）" in page
    assert 'id="chart-villages"' in page and "50.0%" in page  # one of two villages 达标
    only_met = client.get("/insights/villages/?period=month&met=1").content.decode()
    assert 'data-code="339901001002"' in only_met and 'data-code="339901001001"' not in only_met
    status = _status(county.village, "month")
    detail = client.get(f"/insights/villages/{status.pk}/").content.decode()
    assert "未达标" in detail and "无治安案件" in detail and "/cases/" in detail

    book = client.get("/insights/villages/export.xlsx?period=month")
    cells = [
        c
        for row in load_workbook(io.BytesIO(book.content)).active.iter_rows(values_only=True)
        for c in row
        if c
    ]
    assert "南门社区" in cells and "50.0%" in cells
    assert AuditEvent.objects.filter(action="insights.export").exists()

    other = _status(county.other_village, "month")
    answer = client.post(f"/insights/villages/{other.pk}/act/nominate", {"note": "达标"})
    assert answer.status_code == 302
    other.refresh_from_db()
    assert other.state == "nominated"
    refused = client.post(f"/insights/villages/{other.pk}/act/confirm", {})
    assert refused.status_code == 403 and "提名人不能确认" in refused.content.decode()

    listed = client.get("/api/v1/insights/villages?period=month").json()
    assert {r["place"]["code"]: r["met"] for r in listed["items"]} == {
        "339901001001": False,
        "339901001002": True,
    }
    one = client.get(f"/api/v1/insights/villages/{status.pk}").json()
    assert one["unmet"] == ["no_public_order_case"]
    assert one["reasons"][0]["records"][0]["type"] == "case"
    assert client.get("/api/v1/insights/villages?period=decade").status_code == 400
    confirm = client.post(
        f"/api/v1/insights/villages/{other.pk}/actions/return",
        {"note": "材料不全"},
        content_type="application/json",
    )
    assert confirm.status_code == 200 and confirm.json()["state"] == "assessed"
    schema = client.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/insights/villages/{status_id}/actions/confirm" in schema

    villages.evaluate("quarter", timezone.localdate())
    layer = client.get("/insights/map/layers.json").json()["villages"]
    assert {v["code"]: v["met"] for v in layer} == {"339901001001": False, "339901001002": True}


def test_who_may_do_what(client, county, users):
    login(client, users["grid_worker"])
    assert client.get("/insights/villages/").status_code == 403
    login(client, users["community_officer"])
    assert client.get("/insights/villages/").status_code == 200
    assert client.post("/insights/villages/").status_code == 403  # may not evaluate
    with pytest.raises(Forbidden):
        villages.evaluate("month", timezone.localdate(), actor=users["community_officer"])
