"""Real-browser journey (issue 16, point 8): the system administrator changes a category's
deadline on the settings page; the next report gets the new deadline while an older case keeps the
rule it started with."""

from datetime import timedelta

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from fengqiao.cases.models import Case
from fengqiao.core.models import AuditEvent, Deadline
from tests.cases.helpers import make_case
from tests.conftest import PASSWORD, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(chromium, live_server, user, *, second_factor=False):
    context = chromium.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}/login/")
    page.fill("#username", user.username)
    page.fill("#password", PASSWORD)
    page.click("#login")
    if second_factor:
        page.wait_for_url("**/login/second-factor/**")
        device = TOTPDevice.objects.get(user=user)
        page.fill("#token", f"{totp(device.bin_key):06d}")
        page.click("#verify")
    page.wait_for_selector("#welcome")
    return page


def _accept_due(case):
    return Deadline.objects.get(object_id=case.pk, kind="accept", content_type__model="case")


def test_admin_changes_a_deadline_next_report_gets_it(chromium, live_server, county, users):
    old_case = make_case(county.grid_a, code="noise", description="广场舞音响太大（修改前的反映）")

    # 1. The system administrator opens 系统设置 → 事件类别与时限 → 噪音扰民.
    admin = _sign_in(chromium, live_server, users["system_admin"], second_factor=True)
    admin.click("nav summary >> text=系统管理")  # the administration menu
    admin.click("nav .menu-items >> text=系统设置")
    admin.click("#settings-categories")
    admin.wait_for_selector("#settings-list")
    shot(admin, "settings-1-categories")
    admin.locator("#settings-list tr", has_text="噪音扰民").get_by_role("link").click()
    admin.wait_for_selector("#deadlines")

    # 2. A typo is refused with a clear message and nothing is saved.
    admin.fill("#id_dl_ordinary_accept", "8x")
    admin.click("#save")
    admin.wait_for_selector("#form-errors")
    assert "不是有效的时限" in admin.inner_text("#deadline-errors")
    shot(admin, "settings-2-typo-refused")

    # 3. The corrected value is saved as version 2, with the reason in the history.
    admin.fill("#id_dl_ordinary_accept", "8h")
    admin.fill("#id_note", "夜间噪音投诉集中，受理时限放宽至8小时")
    admin.click("#save")
    admin.wait_for_selector("#settings-list")
    assert "第2版" in admin.inner_text("main")
    admin.locator("#settings-list tr", has_text="噪音扰民").get_by_role("link").click()
    admin.wait_for_selector("#history")
    assert "受理时限放宽至8小时" in admin.inner_text("#history")
    shot(admin, "settings-3-saved-history")
    assert AuditEvent.objects.filter(action="settings.change").exists()

    # 4. A resident reports noise from the grid's QR page.
    resident = chromium.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    page = resident.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}/r/g/{county.grid_a.code}/")
    page.select_option("#id_category", "noise")
    page.fill("#id_description", "夜间工地施工噪音（修改后的反映）")
    page.fill("#id_location_text", "幸福路12号")
    page.check("#id_consent")
    page.click("#submit")
    page.wait_for_selector("#tracking-code")
    new_case = Case.objects.get(tracking_code=page.inner_text("#tracking-code").strip())

    # 5. The dispatcher sees the new case on the new rule and the older case on its old one.
    dispatcher = _sign_in(chromium, live_server, users["dispatcher"])
    dispatcher.goto(f"{live_server.url}/cases/{new_case.pk}/")
    assert dispatcher.inner_text("#deadline-rule").strip() == "第2版"
    shot(dispatcher, "settings-4-new-case-new-rule")
    dispatcher.goto(f"{live_server.url}/cases/{old_case.pk}/")
    assert dispatcher.inner_text("#deadline-rule").strip() == "第1版"
    shot(dispatcher, "settings-5-old-case-old-rule")
    new_due, old_due = _accept_due(new_case), _accept_due(old_case)
    assert new_due.due_at - new_due.started_at == timedelta(hours=8)
    assert old_due.due_at - old_due.started_at == timedelta(hours=4)
