"""Fieldwork services and pages: visits with the weekly target, starred notes and follow-ups,
patrol circles/teams/rota, patrol findings to cases, publicity, the monthly bulletin."""

import pytest
from django.utils import timezone

from fengqiao.core.errors import Conflict, Forbidden, NotFound, ServiceError
from fengqiao.fieldwork import services
from fengqiao.fieldwork.models import FieldNote, PatrolShift
from tests.conftest import login
from tests.registry import helpers

pytestmark = pytest.mark.django_db


def test_visit_with_a_starred_note_lands_on_the_follow_up_list(county, users):
    officer = users["community_officer"]
    room = helpers.tree(county.grid_a, users["grid_worker"])
    house = helpers.rental(users["grid_worker"], room)
    visit = services.record_visit(
        officer,
        address=room,
        purpose="rental_check",
        findings="租客3人，消防通道堵塞",
        house=house.pk,
        note="督促房东清理楼道",
        starred=True,
    )
    house.refresh_from_db()
    assert house.last_visit_at is not None
    [note] = services.open_follow_ups(officer)
    assert note.visit == visit and note.starred
    assert list(services.open_follow_ups(users["grid_worker"])) == []
    assert services.open_follow_ups(users["grid_worker"], mine=False).count() == 1
    with pytest.raises(ServiceError, match="跟进结果"):
        services.close_follow_up(officer, note, result="")
    services.close_follow_up(officer, note, result="已清理")
    assert list(services.open_follow_ups(officer)) == []
    with pytest.raises(Conflict):
        services.close_follow_up(officer, note, result="again")


def test_visit_refuses_bad_input(county, users, users_b):
    officer = users["community_officer"]
    room = helpers.tree(county.grid_a, users["grid_worker"])
    with pytest.raises(ServiceError, match="走访情况"):
        services.record_visit(officer, address=room, purpose="routine", findings=" ")
    with pytest.raises(ServiceError, match="不能晚于今天"):
        services.record_visit(
            officer, address=room, purpose="routine", findings="x", visited_on="2999-01-01"
        )
    other = helpers.tree(county.grid_b, users_b["grid_worker"], road="南路")
    with pytest.raises((NotFound, Forbidden)):
        services.record_visit(officer, address=other, purpose="routine", findings="x")
    with pytest.raises(Forbidden):
        services.record_visit(users["dispatcher"], address=room, purpose="routine", findings="x")


def test_weekly_target_progress_counts_households(county, users):
    officer = users["community_officer"]
    gw = users["grid_worker"]
    rooms = [helpers.tree(county.grid_a, gw, road=f"路{i}") for i in range(3)]
    for room in rooms + rooms[:1]:
        services.record_visit(officer, address=room, purpose="routine", findings="正常")
    progress = services.weekly_progress(officer)
    assert (progress["done"], progress["target"], progress["percent"]) == (3, 20, 15)
    services.set_weekly_target(users["leader"], officer, 10)
    assert services.weekly_progress(officer)["target"] == 10
    with pytest.raises(Forbidden):
        services.set_weekly_target(gw, officer, 5)


def test_home_shows_progress_and_follow_ups(client, county, users):
    officer = users["community_officer"]
    room = helpers.tree(county.grid_a, users["grid_worker"])
    services.record_visit(
        officer,
        address=room,
        purpose="care",
        findings="独居老人身体尚可",
        note="下周再访",
        starred=True,
    )
    login(client, officer)
    page = client.get("/").content.decode()
    assert "已走访 1 户 / 目标 20 户" in page and "待跟进 1 条" in page
    page = client.get("/fieldwork/followups/").content.decode()
    assert "下周再访" in page


def test_visit_page_flow(client, county, users):
    officer = users["community_officer"]
    room = helpers.tree(county.grid_a, users["grid_worker"])
    login(client, officer)
    r = client.post(
        "/fieldwork/visits/new/",
        {"address": room.pk, "purpose": "routine", "findings": "", "note": "记下"},
    )
    assert r.status_code == 400 and "记下" in r.content.decode()
    r = client.post(
        "/fieldwork/visits/new/",
        {
            "address": room.pk,
            "purpose": "routine",
            "findings": "正常",
            "note": "记下",
            "starred": "1",
        },
    )
    assert r.status_code == 302
    note = FieldNote.objects.get()
    r = client.post(f"/fieldwork/notes/{note.pk}/act/done/", {"result": "已处理"})
    assert r.status_code == 302
    note.refresh_from_db()
    assert note.followed_up_at is not None


def test_patrol_circle_teams_rota_and_finding_to_case(county, users, make_user):
    from fengqiao.cases import services as case_services
    from fengqiao.org import services as org_services
    from fengqiao.org.models import Place

    officer = make_user("community_officer", places=[county.town])
    v3 = org_services.create_place(
        code="339901001003", name="北村", level=Place.Level.VILLAGE, parent=county.town
    )
    circle = services.create_circle(
        officer, name="枫溪巡防圈", villages=[county.village, county.other_village, v3]
    )
    with pytest.raises(ServiceError, match="2至3"):
        services.create_circle(officer, name="x", villages=[county.village])
    members = [make_user("volunteer", username=f"vol{i}") for i in range(30)]
    teams = services.form_teams(officer, circle, members, size=10)
    assert [t.members.count() for t in teams] == [10, 10, 10]
    start = timezone.localdate()
    slots = services.generate_rota(officer, circle, start=start, days=9, every=3, shifts=3)
    assert len(slots) == 9  # one team a day, each team every 3 days
    by_team = {}
    for s in PatrolShift.objects.filter(circle=circle).order_by("day"):
        by_team.setdefault(s.team_id, []).append((s.day, s.shift))
    for duties in by_team.values():
        days = [d for d, _s in duties]
        assert [(b - a).days for a, b in zip(days, days[1:], strict=False)] == [3, 3]
        assert [s for _d, s in duties] == [1, 2, 3]  # rotating shifts
    log = services.record_patrol(
        officer,
        circle,
        started_at=timezone.now(),
        findings="路灯损坏，夜间照明不足",
        route="枫溪路—南门路",
    )
    category = case_services.leaf_categories()[0]
    log = services.patrol_to_case(officer, log, place=county.grid_a, category=category)
    assert log.case.source == "patrol" and "路灯" in log.case.description
    with pytest.raises(Conflict):
        services.patrol_to_case(officer, log, place=county.grid_a, category=category)


def test_activity_and_monthly_bulletin(client, county, users):
    officer = users["community_officer"]
    services.record_activity(
        officer,
        place=county.grid_a,
        topic="anti_fraud",
        title="反诈宣传进社区",
        held_on=timezone.localdate(),
        attendance=45,
    )
    with pytest.raises(ServiceError, match="不是有效日期"):
        services.record_activity(
            officer, place=county.grid_a, topic="law", title="普法", held_on="2026-13-01"
        )
    login(client, users["leader"])
    page = client.get("/fieldwork/bulletin/").content.decode()
    assert "45" in page and county.grid_a.name in page
    r = client.get("/fieldwork/bulletin/", {"format": "pdf", "place": county.grid_a.pk})
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    today = timezone.localdate()
    figures = services.bulletin_figures(officer, county.grid_a, today.year, today.month)
    assert (figures["activities"], figures["attendance"]) == (1, 45)
    from fengqiao.fieldwork import documents

    pdf, kind = documents.bulletin(figures, "pdf")
    assert pdf.startswith(b"%PDF") and kind == "application/pdf"
    from tests.pdfcheck import assert_embedded_pdf

    assert_embedded_pdf(pdf, figures["place"].name)
    docx, _kind = documents.bulletin(figures, "docx")
    assert docx[:2] == b"PK"


def test_api_visit_and_follow_up(client, county, users):
    officer = users["community_officer"]
    room = helpers.tree(county.grid_a, users["grid_worker"])
    login(client, officer)
    r = client.post(
        "/api/v1/fieldwork/visits",
        {"address_id": room.pk, "findings": "正常", "note": "回访", "starred": True},
        content_type="application/json",
    )
    assert r.status_code == 201
    r = client.post(
        "/api/v1/fieldwork/visits",
        {"address_id": room.pk, "findings": ""},
        content_type="application/json",
    )
    assert r.status_code == 400
    [note] = client.get("/api/v1/fieldwork/follow-ups").json()["items"]
    r = client.post(
        f"/api/v1/fieldwork/follow-ups/{note['id']}/actions/done",
        {"result": "完成"},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["followed_up_at"]
    assert client.get("/api/v1/fieldwork/progress").json()["done"] == 1
