"""Issue 16 point 7 for disputes: notifications are a message key and parameters rendered when
read (in the reader's language), the sweep's timeline notes and the party edit too; old rows get
their key from a data migration (or keep their stored, readable text)."""

from datetime import timedelta

import pytest

from fengqiao.core import workflow as kernel
from fengqiao.core.models import Deadline, Notification
from fengqiao.disputes import services
from fengqiao.disputes.models import Party
from tests.disputes import helpers
from tests.messages_i18n import has_chinese as _chinese
from tests.messages_i18n import migrate_forwards, old_rows, timeline
from tests.messages_i18n import rendered as _in

pytestmark = pytest.mark.django_db


def test_high_risk_alert_is_a_key_in_both_languages(county, users):
    dispute = helpers.make_dispute(
        county.grid_a,
        users,
        title="噪音",
        risk={"threats": True, "violence": "1", "weapons": "on", "people": 6, "intensity": 3},
    )
    note = Notification.objects.get(recipient=users["leader"], kind="dispute.high_risk")
    assert note.message == "dispute.high_risk" and note.params["number"] == dispute.number
    zh, en = _in("zh-hans", note), _in("en", note)
    assert zh[0] == f"民转刑高风险纠纷：{dispute.number} 噪音（风险分{dispute.risk_score}）"
    assert zh[1] == "已列入风险清单，请关注并及时化解。"
    assert en[0].startswith(f"High risk of turning criminal: {dispute.number}")
    assert en[1].startswith("Put on the risk register") and not _chinese(en[0].replace("噪音", ""))


def test_mediation_card_and_assignment_in_english(client, county, users):
    dispute = helpers.mediating(county.grid_a, users)
    assigned = Notification.objects.filter(kind="dispute.assigned").first()
    assert assigned is not None and assigned.message == "dispute.assigned"
    assert _in("en", assigned)[0].startswith(f"New mediation task: {dispute.number}")
    due = Deadline.objects.get(kind="mediation").due_at
    kernel.sweep_deadlines(now=due + timedelta(minutes=1))
    card = Notification.objects.get(recipient=users["mediator"], kind="dispute.yellow")
    assert card.message == "dispute.card" and card.params["card"] == "yellow"
    assert _in("zh-hans", card)[0] == f"黄牌督办：矛盾纠纷 {dispute.number} 第1级调解已超时限"
    en = _in("en", card)[0]
    assert en.startswith("Yellow card") and dispute.number in en and not _chinese(en)
    # the timeline note the sweep wrote is shown in the reader's language too
    entries = timeline(client, users["community_officer"], f"/disputes/{dispute.pk}/")
    assert "Yellow card" in entries and "黄牌督办" not in entries and "系统" not in entries


def test_judicial_window_reminder_in_english(county, users):
    agreement = helpers.signed(county.grid_a, users)
    kernel.sweep_deadlines(now=agreement.signed_at + timedelta(days=23, hours=1))
    note = Notification.objects.filter(kind="dispute.judicial_confirmation").first()
    assert note.message == "dispute.judicial_remind"
    assert "7天" in _in("zh-hans", note)[0]
    assert _in("en", note)[0].endswith("7 days left to apply for judicial confirmation")


def test_party_edit_label_and_note_are_translated(client, county, users):
    dispute = helpers.make_dispute(county.grid_a, users)
    party = Party.objects.get(dispute=dispute, order=0)
    services.update_party(party, users["community_officer"], address="云湖市枫溪县幸福路1号")
    url = f"/disputes/{dispute.pk}/"
    assert "修改当事人信息：住址" in timeline(client, users["community_officer"], url, "zh-hans")
    entries = timeline(client, users["community_officer"], url)
    assert "party_updated" not in entries and "修改当事人信息" not in entries
    assert "Party details changed" in entries and "Edit party details" in entries


def test_old_rows_get_their_message_key(county, users):
    dispute = helpers.mediating(county.grid_a, users)
    old, card, odd = migrate_forwards(
        "fengqiao.disputes.migrations.0007_notification_messages",
        old_rows(
            dispute,
            users["mediator"],
            [
                ("dispute.assigned", f"新的调解任务：{dispute.number} {dispute.title}（第2级）"),
                ("dispute.red", f"红牌督办：矛盾纠纷 {dispute.number} 第1级调解已超时限"),
                ("dispute.assigned", "格式不明的旧通知"),
            ],
        ),
    )
    assert old.params == {"number": dispute.number, "title": dispute.title, "level": 2}
    assert _in("en", old)[0] == f"New mediation task: {dispute.number} {dispute.title} (level 2)"
    assert card.message == "dispute.card" and _in("en", card)[0].startswith("Red card")
    # what cannot be rebuilt stays readable as stored
    assert odd.message == "" and _in("en", odd)[0] == "格式不明的旧通知"
