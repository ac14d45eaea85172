"""Real-browser journeys (issue 10): a town's community officer sets up a patrol circle (teams,
rota), records a patrol from its start to its end with a finding, and finds it in the patrol list;
then opens the weekly visit target page, an officer's week, and sets the officer's target."""

import datetime

import pytest
from django.utils import timezone

from fengqiao.fieldwork import services, targets
from fengqiao.fieldwork.models import PatrolCircle, PatrolLog, PatrolShift, VisitTarget
from tests.conftest import shot
from tests.registry import helpers
from tests.registry.test_journey import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def town_officer(make_user, county):
    return make_user("community_officer", places=[county.town], username="town-officer")


def test_patrol_circle_rota_and_a_patrol_in_the_list(
    page, live_server, county, users, town_officer
):
    base = live_server.url
    gw = users["grid_worker"]
    sign_in(page, base, town_officer)

    # 1. A circle of two neighbouring villages of the town.
    page.goto(f"{base}/fieldwork/patrols/")
    page.click("#new-circle")
    page.fill("#circle-name", "枫溪南门巡防圈")
    page.check(f"input[name=villages][value='{county.village.pk}']")
    page.check(f"input[name=villages][value='{county.other_village.pk}']")
    shot(page, "patrol-1-circle")
    page.click("#save-circle")
    page.wait_for_selector("#circle-title")
    circle = PatrolCircle.objects.get()
    assert set(circle.villages.all()) == {county.village, county.other_village}

    # 2. A team with the village's grid worker; a rota of 30 days from today.
    page.check(f"#teams-form input[name=members][value='{gw.pk}']")
    page.click("#form-teams")
    page.wait_for_selector("#teams strong")
    assert str(gw) in page.inner_text("#teams")
    page.click("#generate-rota")
    page.wait_for_selector("#rota td")
    assert PatrolShift.objects.filter(circle=circle).count() == 10  # one team, every 3 days
    shot(page, "patrol-2-rota")

    # 3. The patrol: started two hours ago, finished now, with its route and a finding.
    now = timezone.localtime().replace(second=0, microsecond=0)
    page.fill(
        "input[name=started_at]", (now - datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    )
    page.fill("input[name=ended_at]", now.strftime("%Y-%m-%dT%H:%M"))
    page.select_option("#patrol-form select[name=team]", label=circle.teams.get().name)
    page.fill("#patrol-form input[name=route]", "枫溪路—南门路—村委")
    page.fill("#patrol-form textarea[name=findings]", "南门路口路灯损坏两盏")
    shot(page, "patrol-3-record")
    page.click("#save-patrol")
    page.wait_for_selector("text=已记录巡防日志")
    log = PatrolLog.objects.get()
    assert log.ended_at - log.started_at == datetime.timedelta(hours=2)
    assert "南门路口路灯损坏两盏" in page.inner_text("main")

    # 4. It is in the patrol list, and opens from there.
    page.goto(f"{base}/fieldwork/patrols/")
    assert "南门路口路灯损坏两盏" in page.inner_text("main")
    shot(page, "patrol-4-list")
    page.click(f"a[href='/fieldwork/patrols/{log.pk}/']")
    page.wait_for_selector("#patrol-case-form, h1")
    assert "枫溪路—南门路—村委" in page.inner_text("main")


def test_weekly_target_page_officer_week_and_setting_the_target(
    page, live_server, county, users, town_officer
):
    base = live_server.url
    officer = users["community_officer"]  # grid A's officer
    room = helpers.tree(county.grid_a, users["grid_worker"])
    last_week = targets.Week.of().previous()
    for day in (0, 2):  # the same household twice in a week: one household
        services.record_visit(
            officer,
            address=room,
            purpose="routine",
            findings="正常",
            visited_on=last_week.start + datetime.timedelta(days=day),
        )
    sign_in(page, base, town_officer)
    page.goto(f"{base}/fieldwork/targets/")
    page.click("#week-previous")
    page.wait_for_selector("#targets-table")
    table = page.inner_text("#targets-table")
    assert officer.display_name in table and "5%" in table  # 1 of 20 households
    shot(page, "targets-1-officers")
    page.click("#by-place")
    page.wait_for_selector("#targets-table")
    assert county.village.name in page.inner_text("#targets-table")
    shot(page, "targets-2-places")
    page.click("#by-officer")
    page.click(f"#targets-table a:has-text('{officer.display_name}')")
    page.wait_for_selector("#officer-week")
    assert "已走访 1 户 / 目标 20 户" in page.inner_text("#officer-week")
    page.fill("#target-form input[name=weekly]", "10")
    page.click("#target-form button")
    page.wait_for_selector("text=已更新每周走访目标")
    assert VisitTarget.objects.get(user=officer).weekly == 10
    assert "目标 10 户" in page.inner_text("#officer-week")
    shot(page, "targets-3-officer")
