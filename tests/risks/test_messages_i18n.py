"""Issue 16 point 7 for risks: notifications are a message key and parameters rendered when read,
in the reader's language; the risk timeline shows states and system notes translated."""

from datetime import timedelta

import pytest
from django.utils import timezone

from fengqiao.core.models import Notification
from fengqiao.core.workflow import sweep_deadlines
from fengqiao.risks import services
from tests.messages_i18n import has_chinese as _chinese
from tests.messages_i18n import migrate_forwards, old_rows, timeline
from tests.messages_i18n import rendered as _in
from tests.risks import helpers

pytestmark = pytest.mark.django_db


def test_applied_and_level_report_in_both_languages(county, users):
    risk = helpers.apply(county.grid_a, users, level="orange", title="业主维权")
    applied = Notification.objects.filter(kind="risk.applied").first()
    assert applied.message == "risk.applied"
    assert _in("zh-hans", applied)[0] == f"风险申报待审核：{risk.number} 业主维权"
    assert _in("en", applied)[0] == f"Risk application to review: {risk.number} 业主维权"
    services.approve(risk, helpers.county_leader_for(county.grid_a), note="同意")
    report = Notification.objects.get(kind="risk.level_report", recipient=users["leader"])
    assert report.params["level"] == "orange"
    assert "预警等级为橙色" in _in("zh-hans", report)[0]
    en = _in("en", report)[0]
    assert en.startswith("[Leaders' report]") and "Orange" in en


def test_hand_over_card_and_timeline_in_english(client, county, users):
    risk = helpers.filed(county.grid_a, users)
    handover = services.hand_over(risk, users["dispatcher"], department=county.urban, matter="整治")
    sweep_deadlines(now=timezone.now() + timedelta(days=2))
    note = Notification.objects.filter(
        kind="risk.handover_overdue", recipient=users["department_staff"]
    ).first()
    assert note.message == "risk.handover_overdue" and note.params["state"] == handover.state
    en = _in("en", note)[0]
    assert en.startswith("Hand-over overdue") and not _chinese(en.replace(county.urban.name, ""))
    entries = timeline(client, users["community_officer"], f"/risks/{risk.pk}/")
    assert "approved →" not in entries and "→ filed" not in entries
    assert "已报市局备案" not in entries and "系统" not in entries


def test_old_rows_get_their_message_key(county, users):
    risk = helpers.apply(county.grid_a, users, title="业主维权")
    old, card = migrate_forwards(
        "fengqiao.risks.migrations.0004_notification_messages",
        old_rows(
            risk,
            users["leader"],
            [
                ("risk.task_force", f"您已加入风险 {risk.number} 工作专班"),
                ("risk.review", f"红牌督办：风险 {risk.number} 未按时会商"),
            ],
        ),
    )
    assert old.message == "risk.task_force"
    assert _in("en", old)[0] == f"You are on the task force of risk {risk.number}"
    assert card.params == {"card": "red", "number": risk.number, "what": "review"}
    assert not _chinese(_in("en", card)[0])
