"""Fieldwork JSON API beyond visits: patrol circles (teams, rota), patrol logs (a finding becomes
a case), publicity activities, and the circle/patrol/activity pages. Lists keep a fixed number
of queries whatever their length; team members see their circle without the town's jurisdiction."""

import pytest
from django.utils import timezone

from fengqiao.cases.services import leaf_categories
from fengqiao.fieldwork import services
from fengqiao.fieldwork.models import PatrolCircle, PatrolLog, PatrolShift, PatrolTeam
from tests.conftest import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def town_officer(make_user, county):
    return make_user("community_officer", places=[county.town], username="town-officer")


def _circle(county, officer, members, name="枫溪巡防圈"):
    circle = services.create_circle(
        officer, name=name, villages=[county.village, county.other_village]
    )
    services.form_teams(officer, circle, members, size=2)
    services.generate_rota(officer, circle, start=timezone.localdate(), days=6, every=1)
    return circle


def test_circles_api_lists_detail_with_teams_and_rota(client, county, users, town_officer):
    gw = users["grid_worker"]
    circle = _circle(county, town_officer, [gw, users["auxiliary_officer"], town_officer])
    login(client, town_officer)
    [row] = client.get("/api/v1/fieldwork/circles").json()["items"]
    assert row["name"] == "枫溪巡防圈" and row["teams"] == 2
    assert [v["name"] for v in row["villages"]] == ["枫溪社区", "南门社区"]
    detail = client.get(f"/api/v1/fieldwork/circles/{circle.pk}?days=3").json()
    assert [len(t["members"]) for t in detail["team_list"]] == [2, 1]
    assert len(detail["rota"]) == 6  # two teams a day (every=1) for 3 days
    assert detail["rota"][0]["shift_label"] == "早班"
    # A team member with a grid jurisdiction reads the circle; a grid colleague outside it not.
    login(client, gw)
    assert client.get(f"/api/v1/fieldwork/circles/{circle.pk}").status_code == 200
    login(client, users["dispatcher"])
    assert client.get("/api/v1/fieldwork/circles").json()["count"] == 0
    assert client.get(f"/api/v1/fieldwork/circles/{circle.pk}").status_code == 404
    # A team member may not reorganise the circle (view only through membership).
    assert not PatrolCircle.objects.restrict(gw, "change").filter(pk=circle.pk).exists()


def test_patrols_api_record_list_detail_and_finding_to_case(client, county, users, town_officer):
    circle = _circle(county, town_officer, [users["grid_worker"]])
    team = circle.teams.get()
    login(client, town_officer)
    started = timezone.localtime().replace(microsecond=0).isoformat()
    r = client.post(
        "/api/v1/fieldwork/patrols",
        {
            "circle_id": circle.pk,
            "team_id": team.pk,
            "started_at": started,
            "route": "枫溪路—南门路",
            "findings": "路灯损坏",
        },
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    log = r.json()
    assert log["team"] == team.name and log["case_id"] is None
    bad = client.post(
        "/api/v1/fieldwork/patrols",
        {"circle_id": circle.pk, "started_at": "昨天"},
        content_type="application/json",
    )
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_date"
    future = client.post(
        "/api/v1/fieldwork/patrols",
        {"circle_id": circle.pk, "started_at": "2999-01-01T08:00:00"},
        content_type="application/json",
    )
    assert future.status_code == 400
    assert client.get(f"/api/v1/fieldwork/patrols?circle={circle.pk}").json()["count"] == 1
    assert client.get(f"/api/v1/fieldwork/patrols/{log['id']}").json()["findings"] == "路灯损坏"
    category = leaf_categories()[0]
    r = client.post(
        f"/api/v1/fieldwork/patrols/{log['id']}/actions/to_case",
        {"place_id": county.grid_a.pk, "category": category.code},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    assert r.json()["case_number"]
    again = client.post(
        f"/api/v1/fieldwork/patrols/{log['id']}/actions/to_case",
        {"place_id": county.grid_a.pk, "category": category.code},
        content_type="application/json",
    )
    assert again.status_code == 409
    # The team member reads the log but cannot turn it into a case out of their grid's scope.
    login(client, users["grid_worker"])
    assert client.get(f"/api/v1/fieldwork/patrols/{log['id']}").status_code == 200


def test_activities_api(client, county, users, users_b):
    officer = users["community_officer"]
    login(client, officer)
    r = client.post(
        "/api/v1/fieldwork/activities",
        {
            "place_id": county.grid_a.pk,
            "topic": "fire",
            "title": "消防演练",
            "held_on": timezone.localdate().isoformat(),
            "attendance": 40,
        },
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    activity = r.json()
    assert activity["topic_label"] == "消防宣传" and activity["attendance"] == 40
    bad = client.post(
        "/api/v1/fieldwork/activities",
        {"place_id": county.grid_a.pk, "topic": "fire", "title": "x", "held_on": "2026-02-30"},
        content_type="application/json",
    )
    assert bad.status_code == 400
    other = client.post(
        "/api/v1/fieldwork/activities",
        {"place_id": county.grid_b.pk, "topic": "fire", "title": "x", "held_on": "2026-01-01"},
        content_type="application/json",
    )
    assert other.status_code == 404
    month = timezone.localdate().strftime("%Y-%m")
    assert client.get(f"/api/v1/fieldwork/activities?month={month}").json()["count"] == 1
    assert client.get("/api/v1/fieldwork/activities?topic=law").json()["count"] == 0
    assert client.get("/api/v1/fieldwork/activities?month=x").status_code == 400
    assert client.get(f"/api/v1/fieldwork/activities/{activity['id']}").status_code == 200
    login(client, users_b["community_officer"])
    assert client.get(f"/api/v1/fieldwork/activities/{activity['id']}").status_code == 404


def _many(county, users, town_officer, n):
    circle = _circle(county, town_officer, [users["grid_worker"], town_officer])
    for i in range(n):
        services.record_patrol(town_officer, circle, started_at=timezone.now(), findings=f"第{i}次")
        services.record_activity(
            users["community_officer"],
            place=county.grid_a,
            topic="law",
            title=f"普法{i}",
            held_on=timezone.localdate(),
        )
    for i in range(1, n):
        services.create_circle(
            town_officer, name=f"圈{i}", villages=[county.village, county.other_village]
        )


@pytest.mark.parametrize("n", [1, 5])
@pytest.mark.parametrize(
    ("url", "queries"),
    [
        ("/api/v1/fieldwork/circles", 14),
        ("/api/v1/fieldwork/patrols", 13),
        ("/api/v1/fieldwork/activities", 13),
    ],
)
def test_api_list_query_counts_are_flat(
    client, county, users, town_officer, django_assert_num_queries, n, url, queries
):
    _many(county, users, town_officer, n)
    login(client, town_officer)
    client.get(url)  # warm caches (content types, session)
    with django_assert_num_queries(queries):
        response = client.get(url)
    assert response.json()["count"] == n


@pytest.mark.parametrize("n", [1, 5])
def test_circle_detail_query_count_is_flat(
    client, county, users, town_officer, django_assert_num_queries, n
):
    _many(county, users, town_officer, n)
    circle = PatrolCircle.objects.get(name="枫溪巡防圈")
    login(client, town_officer)
    client.get(f"/api/v1/fieldwork/circles/{circle.pk}")
    with django_assert_num_queries(16):
        assert client.get(f"/api/v1/fieldwork/circles/{circle.pk}").status_code == 200


def test_circle_pages_create_teams_rota_patrol_and_case(client, county, users, town_officer):
    login(client, town_officer)
    assert client.get("/fieldwork/circles/new/").status_code == 200
    r = client.post(
        "/fieldwork/circles/new/", {"name": "单村圈", "villages": [str(county.village.pk)]}
    )
    assert r.status_code == 400 and "2至3" in r.content.decode()
    r = client.post(
        "/fieldwork/circles/new/",
        {
            "name": "枫溪南门巡防圈",
            "villages": [str(county.village.pk), str(county.other_village.pk)],
        },
    )
    circle = PatrolCircle.objects.get(name="枫溪南门巡防圈")
    assert r.status_code == 302 and r.url.endswith(f"/fieldwork/circles/{circle.pk}/")
    page = client.get(r.url).content.decode()
    assert users["grid_worker"].display_name in page  # a team candidate (jurisdiction inside)
    members = [str(users["grid_worker"].pk), str(users["auxiliary_officer"].pk)]
    r = client.post(f"/fieldwork/circles/{circle.pk}/teams/", {"members": members, "size": "1"})
    assert r.status_code == 302 and PatrolTeam.objects.filter(circle=circle).count() == 2
    assert client.get(f"/fieldwork/circles/{circle.pk}/rota/").status_code == 405
    r = client.post(
        f"/fieldwork/circles/{circle.pk}/rota/",
        {"start": timezone.localdate().isoformat(), "days": "4", "every": "2", "shifts": "3"},
    )
    assert r.status_code == 302 and PatrolShift.objects.filter(circle=circle).count() == 4
    r = client.post(f"/fieldwork/circles/{circle.pk}/rota/", {"start": "2026-02-30", "days": "4"})
    assert r.status_code == 302
    assert "不是有效日期" in client.get(r.url).content.decode()
    r = client.post(
        f"/fieldwork/circles/{circle.pk}/",
        {"started_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "findings": "井盖缺失"},
    )
    log = PatrolLog.objects.get()
    assert r.status_code == 302 and r.url.endswith(f"/fieldwork/patrols/{log.pk}/")
    page = client.get(r.url).content.decode()
    assert "井盖缺失" in page and 'id="patrol-case-form"' in page
    category = leaf_categories()[0]
    r = client.post(
        f"/fieldwork/patrols/{log.pk}/act/to_case/",
        {"place": county.grid_a.pk, "category": category.code},
    )
    log.refresh_from_db()
    assert r.status_code == 302 and log.case.source == "patrol"
    assert log.case.number in client.get(r.url).content.decode()
    # The team member sees the circle page, without the organiser's forms.
    login(client, users["grid_worker"])
    page = client.get(f"/fieldwork/circles/{circle.pk}/").content.decode()
    assert "枫溪南门巡防圈" in page and 'id="teams-form"' not in page
    assert client.post(f"/fieldwork/circles/{circle.pk}/teams/", {}).status_code == 403
    # A grid officer may organise circles, but not this town's: out of scope is 404.
    login(client, users["community_officer"])
    assert client.post(f"/fieldwork/circles/{circle.pk}/teams/", {}).status_code == 404
    assert client.get(f"/fieldwork/circles/{circle.pk}/").status_code == 404


def test_activity_page(client, county, users):
    activity = services.record_activity(
        users["community_officer"],
        place=county.grid_a,
        topic="anti_fraud",
        title="反诈宣传进社区",
        held_on=timezone.localdate(),
        attendance=86,
    )
    login(client, users["grid_worker"])
    assert (
        f"/fieldwork/activities/{activity.pk}/"
        in client.get("/fieldwork/activities/").content.decode()
    )
    page = client.get(f"/fieldwork/activities/{activity.pk}/").content.decode()
    assert "反诈宣传进社区" in page and "86" in page
