"""Real-browser journey (issue 10): a grid worker adds a rental house at a standard address and
registers its tenants; the community officer records a visit there with a starred field note; the
follow-up appears on the officer's list and the week's progress on the officer's home."""

import pytest
from django.utils import timezone

from fengqiao.fieldwork.models import FieldNote
from fengqiao.registry.models import House, Person
from tests.conftest import shot
from tests.e2e.steps import sign_in
from tests.registry import helpers

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_rental_house_tenants_visit_and_follow_up(page, live_server, county, users):
    base = live_server.url
    gw, officer = users["grid_worker"], users["community_officer"]
    room = helpers.tree(county.grid_a, gw)

    # 1. The grid worker opens the room's file and registers a rental house.
    sign_in(page, base, gw)
    page.goto(f"{base}/registry/addresses/{room.pk}/")
    page.wait_for_selector("#address-title")
    page.click("#add-house")
    page.select_option("select[name=use]", "rental")
    page.check("#is-rental")
    page.fill("input[name=lease_filing_number]", "ZL-2026-0088")
    page.fill("input[name=max_occupants]", "3")
    page.fill("input[name=rent]", "1500")
    shot(page, "registry-1-house")
    page.click("#save-house")
    page.wait_for_selector("#tenants")
    house = House.objects.get()
    assert house.is_rental

    # 2. Two tenants; a wrong ID number first is refused with a clear message, input kept.
    tenants = [
        ("刘大海", helpers.id_number(birth="19880808")),
        ("马小燕", helpers.id_number(birth="19920202")),
    ]
    for i, (name, number) in enumerate(tenants):
        page.click("#add-tenant")
        page.fill("input[name=name]", name)
        page.fill(
            "input[name=id_number]",
            number[:17] + ("0" if number[17] != "0" else "1") if i == 0 else number,
        )
        page.fill("input[name=phone]", f"1391234567{i}")
        page.fill("input[name=inflow_reason]", "务工")
        page.click("#save-person")
        if i == 0:
            page.wait_for_selector(".flash.error")
            assert "校验位" in page.inner_text(".flash.error")
            shot(page, "registry-2-bad-id")
            page.fill("input[name=id_number]", number)
            page.click("#save-person")
        page.wait_for_selector("#tenants")
    assert "刘*" in page.inner_text("#tenants") and "马*" in page.inner_text("#tenants")
    assert tenants[0][1] not in page.content()
    shot(page, "registry-3-tenants")
    assert Person.objects.filter(residence="floating").count() == 2
    page.click("#user-menu summary")
    page.click("#logout")
    page.wait_for_url("**/login/")

    # 3. The officer visits the room and stars a note for follow-up.
    sign_in(page, base, officer)
    page.goto(f"{base}/registry/addresses/{room.pk}/")
    page.click("#add-visit")
    page.select_option("select[name=purpose]", "rental_check")
    page.fill("textarea[name=findings]", "租客2人，信息已核对；楼道堆放电动车电池")
    page.fill("textarea[name=note]", "督促房东清理楼道电池，三天后回访")
    page.check("#starred")
    shot(page, "registry-4-visit")
    page.click("#save-visit")
    page.wait_for_selector("text=走访记录")

    # 4. The follow-up is on the officer's list; the home page shows the week's progress.
    page.goto(f"{base}/fieldwork/followups/")
    assert "督促房东清理楼道电池" in page.inner_text("#followups")
    shot(page, "registry-5-followups")
    page.goto(f"{base}/")
    assert "已走访 1 户 / 目标 20 户" in page.inner_text("#visit-progress")
    assert "待跟进 1 条" in page.inner_text("#visit-progress")
    shot(page, "registry-6-home")
    note = FieldNote.objects.get()
    assert note.starred and note.author == officer and note.followed_up_at is None
    house.refresh_from_db()
    assert house.last_visit_at is not None and house.last_visit_at <= timezone.now()
