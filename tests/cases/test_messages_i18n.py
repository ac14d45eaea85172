"""No raw codes, no mixed languages (issue 16, point 7): notifications are a message key and
parameters rendered when read, in the reader's language; deadline kinds, states, the system actor
and the sweep's notes on the case page follow the reader's language."""

import importlib
from datetime import timedelta

from django.apps import apps
from django.utils import timezone, translation

from fengqiao.cases.models import Case
from fengqiao.core.models import Deadline, Notification
from fengqiao.core.workflow import sweep_deadlines
from tests.conftest import login

from .helpers import dispatched, make_case, rule


def _in(language, note):
    with translation.override(language):
        fresh = Notification.objects.get(pk=note.pk)
        return fresh.display_title, fresh.display_body


def test_dispatch_notification_is_a_key_rendered_per_reader(county, users):
    rule(county)
    case = dispatched(county.grid_a, users, county, description="东门垃圾")
    note = Notification.objects.get(recipient=users["department_staff"], kind="case.dispatch")
    assert note.message == "case.dispatched"
    assert note.params["number"] == case.number and note.params["action"] == "dispatch"
    assert _in("zh-hans", note)[0] == f"新派单：{case.number} 市容环境"
    assert _in("en", note)[0].startswith(f"Dispatched to you: {case.number}")


def test_each_transition_declares_who_is_told(county, users):
    from fengqiao.cases.workflow import flow

    declared = {t.name for t in flow.transitions if t.notify is not None}
    assert {"dispatch", "return", "resolve", "rework", "escalate", "rate"} <= declared
    case = dispatched(county.grid_a, users, county)
    from fengqiao.cases import services

    services.return_case(case, users["department_staff"], data={"reason": "不属本部门"})
    note = Notification.objects.get(recipient=users["dispatcher"], kind="case.return")
    assert note.message == "case.moved"
    assert _in("en", note) == (f"{case.number} Returned", "不属本部门") or _in("en", note)[
        0
    ].startswith(case.number)
    assert "退" in _in("zh-hans", note)[0]
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in _in("en", note)[0])


def test_breach_card_notification_in_english(county, users):
    case = dispatched(county.grid_a, users, county, code="safety_fire")
    past = timezone.now() - timedelta(minutes=2)
    Deadline.objects.filter(object_id=case.pk, kind="claim").update(due_at=past, next_check_at=past)
    assert sweep_deadlines() >= 1
    note = Notification.objects.filter(kind="case.card.yellow").first()
    assert note.message == "case.card" and note.params["kind"] == "claim"
    title = _in("en", note)[0]
    assert case.number in title and not any("\u4e00" <= ch <= "\u9fff" for ch in title)
    assert "签收超期" in _in("zh-hans", note)[0]


def test_inbox_in_the_readers_language(client, county, users):
    rule(county)
    case = dispatched(county.grid_a, users, county)
    login(client, users["department_staff"])
    zh = client.get("/inbox/").content.decode()
    assert f"新派单：{case.number}" in zh
    en = client.get("/inbox/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"Dispatched to you: {case.number}" in en and "新派单" not in en
    api = client.get("/api/v1/notifications", HTTP_ACCEPT_LANGUAGE="en").json()
    assert api["items"][0]["title"].startswith("Dispatched to you")


def test_old_rows_get_their_message_key(county, users):
    case = dispatched(county.grid_a, users, county, code="safety_fire")
    Notification.objects.all().delete()
    old = Notification.objects.create(
        recipient=users["department_staff"],
        kind="case.dispatch",
        title=f"新派单：{case.number} 火灾隐患",
        body="请尽快处理",
        target_type="cases.case",
        target_id=str(case.pk),
    )
    card = Notification.objects.create(
        recipient=users["dispatcher"],
        kind="case.card.red",
        title=f"{case.number} 签收超期：红牌督办",
        target_type="cases.case",
        target_id=str(case.pk),
    )
    digest = Notification.objects.create(
        recipient=users["dispatcher"], kind="case.card.yellow", title="3 件事件超期督办"
    )
    migration = importlib.import_module("fengqiao.cases.migrations.0011_notification_messages")
    migration.forwards(apps, None)
    old.refresh_from_db()
    card.refresh_from_db()
    digest.refresh_from_db()
    assert old.message == "case.dispatched" and old.params["note"] == "请尽快处理"
    assert _in("en", old) == (
        f"Dispatched to you: {case.number} {case.category.name}",
        "请尽快处理",
    )
    assert card.params == {"number": case.number, "kind": "claim", "level": "red"}
    assert digest.message == "" and _in("en", digest)[0] == "3 件事件超期督办"


def test_case_page_in_english_has_no_raw_codes(client, county, users):
    case = dispatched(county.grid_a, users, county, code="safety_fire")
    past = timezone.now() - timedelta(minutes=2)
    Deadline.objects.filter(object_id=case.pk, kind="claim").update(due_at=past, next_check_at=past)
    Case.objects.filter(pk=case.pk).update(next_due_at=past)
    sweep_deadlines()
    login(client, users["dispatcher"])
    html = client.get(f"/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    timeline = html[html.index('id="timeline"') :]
    assert "reported →" not in timeline and "→ accepted" not in timeline
    assert "签收超期" not in html and "系统" not in html
    deadlines = html[html.index("countdown") - 200 : html.index("countdown")]
    assert ">claim <" not in deadlines


def test_dispute_levels_are_named_not_coded(county):
    from fengqiao.disputes.templatetags.disputes_tags import level_label

    with translation.override("zh-hans"):
        assert level_label(2) == "跟上调" and level_label("x") == "—"
    with translation.override("en"):
        assert not any("\u4e00" <= ch <= "\u9fff" for ch in str(level_label(3)))


def test_new_report_notification_is_a_key_too(county, users):
    case = make_case(county.grid_a)
    note = Notification.objects.get(kind="case.report", recipient=users["dispatcher"])
    assert note.message == "case.reported" and note.params["number"] == case.number
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in _in("en", note)[0].replace("市容环境", ""))
