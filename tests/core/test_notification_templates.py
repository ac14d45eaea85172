"""Issue 16 point 8: notification templates edited by the system administrator on /settings/
(both languages, versioned and audited like every setting, unknown placeholders refused with a
clear message); the next notification uses the edited text. Dispute types are versioned per
dispute: a dispute keeps the time limits of its type as they were when it was registered."""

from datetime import timedelta

import pytest
from django.utils import translation

from fengqiao.core import messages
from fengqiao.core.models import (
    AuditEvent,
    Deadline,
    Notification,
    NotificationTemplate,
    SettingVersion,
)
from fengqiao.disputes.models import DisputeType
from tests.cases.helpers import dispatched, rule
from tests.conftest import login
from tests.disputes import helpers as dispute_helpers

pytestmark = pytest.mark.django_db


def _in(language, note):
    with translation.override(language):
        fresh = Notification.objects.get(pk=note.pk)
        return fresh.display_title, fresh.display_body


def _post(client, data, pk=None):
    url = (
        f"/settings/notification-templates/{pk}/" if pk else "/settings/notification-templates/new/"
    )
    return client.post(url, {"active": "on", "note": "措辞调整", **data})


def test_edited_template_shows_in_the_next_notification_in_both_languages(client, county, users):
    rule(county)
    login(client, users["system_admin"])
    response = _post(
        client,
        {
            "key": "case.dispatched",
            "title_zh": "请尽快处理：%(number)s（%(category)s）",
            "title_en": "Please handle %(number)s (%(category)s)",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    template = NotificationTemplate.objects.get(key="case.dispatched")
    assert template.version == 1
    version = SettingVersion.objects.get(target_type="core.notificationtemplate")
    assert version.data["title_zh"].startswith("请尽快处理")
    assert AuditEvent.objects.filter(action="settings.add", target_id=str(template.pk)).exists()

    listing = client.get("/settings/notification-templates/").content.decode()
    assert "case.dispatched" in listing and "请尽快处理" in listing
    form = client.get(f"/settings/notification-templates/{template.pk}/").content.decode()
    assert "%(category)s" in form and "新派单：%(number)s %(category)s" in form  # built-in, grey

    case = dispatched(county.grid_a, users, county)
    note = Notification.objects.get(recipient=users["department_staff"], kind="case.dispatch")
    assert _in("zh-hans", note)[0] == f"请尽快处理：{case.number}（市容环境）"
    assert _in("en", note)[0] == f"Please handle {case.number} (市容环境)"
    client.logout()
    login(client, users["department_staff"])
    assert f"请尽快处理：{case.number}" in client.get("/inbox/").content.decode()

    # a second edit: version 2, audited with the change; an empty English title = the built-in
    login(client, users["system_admin"])
    response = _post(
        client,
        {"title_zh": "新派单（已改）：%(number)s", "title_en": ""},
        pk=template.pk,
    )
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.version == 2
    change = AuditEvent.objects.filter(action="settings.change", target_id=str(template.pk)).get()
    assert "title_zh" in change.data["changes"]
    assert _in("zh-hans", note)[0] == f"新派单（已改）：{case.number}"
    assert _in("en", note)[0].startswith(f"Dispatched to you: {case.number}")


def test_unknown_placeholder_is_refused_with_a_clear_message(client, county, users):
    login(client, users["system_admin"])
    response = _post(
        client, {"key": "case.dispatched", "title_zh": "新派单：%(numbr)s", "title_en": "50% done"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "未知的占位符：%(numbr)s" in html and "%(number)s" in html
    assert not NotificationTemplate.objects.exists()
    en = client.post(
        "/settings/notification-templates/new/",
        {"key": "case.dispatched", "title_en": "%(phone)s", "active": "on"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert en.status_code == 400 and "Unknown placeholder" in en.content.decode()
    assert messages.check_template("case.dispatched", "100%% %(number)s") == []


def test_other_roles_cannot_edit_templates(client, county, users):
    login(client, users["dispatcher"])
    assert client.get("/settings/notification-templates/").status_code == 403
    assert _post(client, {"key": "case.dispatched", "title_zh": "x"}).status_code == 403
    assert not NotificationTemplate.objects.exists()


def test_a_dispute_keeps_the_type_version_it_started_with(client, county, users):
    kind = DisputeType.objects.get(code="neighbour")
    before = dispute_helpers.mediating(county.grid_a, users)
    assert before.type_rule["version"] == 1
    login(client, users["system_admin"])
    data = {"name": kind.name, "order": kind.order, "active": "on", "small_hours": 48}
    data["large_hours"] = 96
    assert client.post(f"/settings/dispute-types/{kind.pk}/", data).status_code == 302
    kind.refresh_from_db()
    assert kind.version == 2
    after = dispute_helpers.mediating(county.grid_a, users)
    assert after.type_rule == {
        "version": 2,
        "small_hours": 48,
        "large_hours": 96,
        "level_hours": {},
    }

    def limit(dispute):
        row = Deadline.objects.get(object_id=dispute.pk, kind="mediation", state="open")
        return row.due_at - row.started_at

    assert limit(after) == timedelta(hours=48)
    assert limit(before) == timedelta(hours=24)  # the older dispute keeps version 1
    client.logout()
    login(client, users["community_officer"])
    page = client.get(f"/disputes/{before.pk}/").content.decode()
    assert "第1版" in page[page.index('id="type-rule"') :][:200]
