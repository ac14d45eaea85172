"""Real-browser journey (issue 16, point 8): the system administrator rewords a notification on
the settings page (通知模板), a wrong placeholder first refused with a clear message; the next
notification of that kind reads with the new words in the department's inbox, in Chinese and, after
the language switch in the user menu, in English."""

import pytest

from fengqiao.core.models import AuditEvent, NotificationTemplate, SettingVersion
from tests.cases.helpers import dispatched, rule
from tests.conftest import shot
from tests.e2e.steps import sign_in, sign_out

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_ZH = "请尽快处理：%(number)s（%(category)s）"
NEW_EN = "Please handle %(number)s (%(category)s)"


def test_admin_rewords_a_notification_and_the_inbox_shows_it(page, live_server, county, users):
    base = live_server.url
    rule(county)

    # 1. The system administrator opens 系统设置 → 通知模板 → 新增.
    sign_in(page, base, users["system_admin"])
    page.goto(f"{base}/settings/")
    page.click("#settings-notification-templates")
    page.wait_for_selector("#settings-list")
    page.click("#add")
    page.wait_for_selector("#settings-form")
    page.select_option("#id_key", "case.dispatched")

    # 2. A misspelt placeholder is refused, with the placeholders the message may use.
    page.fill("#id_title_zh", "请尽快处理：%(numbr)s")
    page.fill("#id_note", "派单通知措辞调整")
    page.click("#save")
    page.wait_for_selector("#form-errors")
    assert "未知的占位符：%(numbr)s" in page.inner_text("#settings-form")
    assert "%(number)s" in page.inner_text("#settings-form")
    assert not NotificationTemplate.objects.exists()
    shot(page, "template-1-placeholder-refused")

    # 3. Corrected and saved in both languages: version 1, audited, kept in the history.
    page.fill("#id_title_zh", NEW_ZH)
    page.fill("#id_title_en", NEW_EN)
    page.fill("#id_note", "派单通知措辞调整")
    page.click("#save")
    page.wait_for_selector("#settings-list")
    row = page.locator("#settings-list tr", has_text="case.dispatched")
    assert "请尽快处理" in row.inner_text()
    template = NotificationTemplate.objects.get(key="case.dispatched")
    assert template.version == 1
    assert SettingVersion.objects.filter(target_type="core.notificationtemplate").exists()
    assert AuditEvent.objects.filter(action="settings.add", target_id=str(template.pk)).exists()
    shot(page, "template-2-saved")
    sign_out(page)

    # 4. The next dispatch: the department reads the new words in its inbox.
    case = dispatched(county.grid_a, users, county)
    sign_in(page, base, users["department_staff"])
    page.click("#unread")
    page.wait_for_selector("#notifications")
    inbox = page.inner_text("#notifications")
    assert f"请尽快处理：{case.number}（市容环境）" in inbox
    assert "新派单" not in inbox  # the built-in wording is gone
    shot(page, "template-3-inbox-zh")

    # 5. The same notification in English after the language switch in the user menu.
    page.click("#user-menu summary")
    with page.expect_navigation():
        page.select_option("#user-menu select.lang-switch", "en")
    page.goto(f"{base}/inbox/")
    inbox = page.inner_text("#notifications")
    assert f"Please handle {case.number}" in inbox and "请尽快处理" not in inbox
    shot(page, "template-4-inbox-en")
