"""Weekly visit targets (走访目标): one definition (fieldwork.targets) for the target page/API, the
officer's home and the command centre; per officer / per place; scoped; export; setting a target."""

import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from fengqiao.core.errors import NotFound
from fengqiao.core.models import AuditEvent
from fengqiao.fieldwork import services, targets
from fengqiao.fieldwork.models import VisitTarget
from fengqiao.insights import services as insights
from fengqiao.insights.figures import Period
from tests.conftest import login
from tests.registry import helpers

pytestmark = pytest.mark.django_db


def _rooms(grid, user, n, road="目标路"):
    from fengqiao.registry import services as registry

    first = helpers.tree(grid, user, road=road)
    rooms = [first]
    for i in range(n - 1):
        rooms.append(
            registry.create_address(user, parent=first.parent, level=6, name=f"{i + 3}02室")
        )
    return rooms


@pytest.fixture
def week():
    """Last week (whole, in the past): visits may be recorded on any of its days."""
    return targets.Week.of().previous()


@pytest.fixture
def visited(county, users, week):
    """Grid A's officer: 3 households last week (one of them twice), 1 this week."""
    officer = users["community_officer"]
    rooms = _rooms(county.grid_a, users["grid_worker"], 4)
    for room, day in zip(rooms[:3] + [rooms[0]], (0, 1, 2, 4), strict=True):
        services.record_visit(
            officer,
            address=room,
            purpose="routine",
            findings="正常",
            visited_on=week.start + datetime.timedelta(days=day),
        )
    services.record_visit(officer, address=rooms[3], purpose="routine", findings="正常")
    return officer


def test_households_per_week_against_the_default_target(county, users, visited, week):
    data = targets.board(users["community_officer"], week=week)
    [row] = data["officers"]
    assert (row["user_id"], row["done"], row["target"]) == (visited.pk, 3, 20)
    assert row["rate"] == 0.15 and row["places"] == [county.grid_a.name]
    assert data["visits"] == 4 and (data["done"], data["target"]) == (3, 20)
    assert (data["week_start"], data["week_end"]) == (week.start, week.end)
    assert data["week_start"].weekday() == 0


def test_a_configured_target_is_used_and_setting_it_is_audited(county, users, visited, week):
    leader = users["leader"]
    targets.set_target(leader, visited.pk, 12)
    assert VisitTarget.objects.get(user=visited).weekly == 12
    assert AuditEvent.objects.filter(action="fieldwork.target").exists()
    [row] = targets.board(leader, week=week)["officers"]
    assert (row["done"], row["target"], row["rate"]) == (3, 12, 0.25)
    # the officer's home panel reads the same definition and target
    assert services.weekly_progress(visited)["target"] == 12


def test_same_definition_as_the_command_centre(county, users, visited, week):
    """The insights figure over the same week gives the same officer rows and totals."""
    leader = users["leader"]
    ours = targets.board(leader, week=week)
    theirs = insights.visit_board(leader, Period(week.start, week.end))
    assert [(r["user_id"], r["done"], r["target"]) for r in ours["officers"]] == [
        (r["user_id"], r["done"], r["target"]) for r in theirs["officers"]
    ]
    assert (ours["done"], ours["target"], ours["rate"]) == (
        theirs["done"],
        theirs["target"],
        theirs["rate"],
    )
    # over two weeks: households per week are summed, the target doubles
    two = Period(week.start, week.end + datetime.timedelta(days=7))
    [row] = insights.visit_board(leader, two)["officers"]
    assert (row["done"], row["target"]) == (4, 40)


def test_per_place_rows_and_scoping(county, users, users_b, visited, week):
    leader = users["leader"]  # jurisdiction grid A
    data = targets.board(leader, week=week, by="place")
    assert [(p["code"], p["officers"], p["done"], p["target"]) for p in data["places"]] == [
        (county.grid_a.code, 1, 3, 20)
    ]
    # grid B's officer is not on grid A's board, and grid A's officer is a 404 from grid B
    assert [r["user_id"] for r in targets.board(leader, week=week)["officers"]] == [visited.pk]
    with pytest.raises(NotFound):
        targets.officer(users_b["leader"], visited.pk)
    with pytest.raises(NotFound):
        targets.set_target(users_b["leader"], visited.pk, 5)
    with pytest.raises(NotFound):
        targets.board(users_b["leader"], place=county.grid_a.code)
    assert not VisitTarget.objects.exists()


def test_officer_detail_history_and_visits(county, users, visited, week):
    data = targets.officer(users["leader"], visited.pk, week=week.start.isoformat())
    assert (data["done"], data["target"], data["weekly_target"]) == (3, 20, 20)
    assert len(data["history"]) == targets.HISTORY_WEEKS
    assert data["history"][-1]["week_start"] == week.start and data["history"][-1]["done"] == 3
    assert len(data["visits"]) == 4  # every visit of the week, households counted once


def test_api_list_detail_and_put(client, county, users, users_b, visited, week):
    login(client, users["leader"])
    r = client.get(f"/api/v1/fieldwork/targets?week={week.start}")
    assert r.status_code == 200
    body = r.json()
    assert body["officers"][0]["done"] == 3 and body["officers"][0]["target"] == 20
    by_place = client.get(f"/api/v1/fieldwork/targets?week={week.start}&by=place").json()
    assert by_place["places"][0]["code"] == county.grid_a.code
    detail = client.get(f"/api/v1/fieldwork/targets/{visited.pk}?week={week.start}").json()
    assert detail["done"] == 3 and len(detail["visits"]) == 4
    r = client.put(
        f"/api/v1/fieldwork/targets/{visited.pk}", {"weekly": 6}, content_type="application/json"
    )
    assert r.status_code == 200 and r.json()["weekly_target"] == 6
    assert client.get("/api/v1/fieldwork/targets?week=not-a-date").status_code == 400
    assert client.get("/api/v1/fieldwork/targets?place=999").status_code == 404
    # out of scope: 404 for reading and writing; no permission: 403
    login(client, users_b["leader"])
    assert client.get(f"/api/v1/fieldwork/targets/{visited.pk}").status_code == 404
    r = client.put(
        f"/api/v1/fieldwork/targets/{visited.pk}", {"weekly": 1}, content_type="application/json"
    )
    assert r.status_code == 404 and VisitTarget.objects.get(user=visited).weekly == 6
    login(client, users["grid_worker"])  # records visits, sets no targets
    r = client.put(
        f"/api/v1/fieldwork/targets/{visited.pk}", {"weekly": 1}, content_type="application/json"
    )
    assert r.status_code == 403


def test_pages_and_export(client, county, users, visited, week):
    login(client, users["leader"])
    page = client.get(f"/fieldwork/targets/?week={week.start}").content.decode()
    assert visited.display_name in page and "15%" in page
    assert (
        county.grid_a.name
        in client.get(f"/fieldwork/targets/?week={week.start}&by=place").content.decode()
    )
    r = client.get(f"/fieldwork/targets/?week={week.start}&format=xlsx")
    rows = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
    assert rows[1][0] == visited.display_name and rows[1][2:] == (3, 20, "15%")
    assert AuditEvent.objects.filter(action="fieldwork.targets.export").exists()
    detail = client.get(f"/fieldwork/targets/{visited.pk}/?week={week.start}").content.decode()
    assert "target-form" in detail
    r = client.post(f"/fieldwork/targets/{visited.pk}/", {"weekly": "9"})
    assert r.status_code == 302 and VisitTarget.objects.get(user=visited).weekly == 9
    r = client.post(f"/fieldwork/targets/{visited.pk}/", {"weekly": "-3"})
    assert VisitTarget.objects.get(user=visited).weekly == 9  # refused with a message
    assert (
        client.get("/fieldwork/targets/?week=2026-99-99").status_code == 200
    )  # message, this week


def test_board_queries_do_not_grow_with_officers(county, users, make_user, week):
    leader = users["leader"]
    targets.board(leader, week=week)  # permissions and scope cached on the user
    with CaptureQueriesContext(connection) as few:
        targets.board(leader, week=week)
    for _i in range(5):
        make_user("community_officer", places=[county.grid_a])
    with CaptureQueriesContext(connection) as many:
        data = targets.board(leader, week=week)
    assert len(data["officers"]) == 6
    assert len(many.captured_queries) == len(few.captured_queries)


def test_demo_gives_the_target_page_past_weeks(db):
    import random

    from fengqiao.fieldwork import demo as fieldwork_demo
    from fengqiao.org import demo as org_demo
    from fengqiao.org.models import User
    from fengqiao.registry import demo as registry_demo

    county, _accounts = org_demo.seed(random.Random(1))
    registry_demo.seed(county)
    fieldwork_demo.seed(county)
    leader = User.objects.get(username="leader")
    data = targets.board(leader, week=targets.Week.of().previous())
    assert data["officers"] and data["done"] > 0
    assert VisitTarget.objects.filter(weekly=15).exists()
    assert 15 in [r["target"] for r in data["officers"]]
