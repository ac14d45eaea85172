"""Cases made by other apps: the assistant's hand-off (咨询) and its one-click alert → case."""

import pytest

from fengqiao.assistant import services as assistant
from fengqiao.assistant.models import Alert
from fengqiao.cases.models import Case
from fengqiao.core.errors import NotFound


def test_handoff_becomes_a_consultation_case(county, users):
    handoff = assistant.request_handoff(
        "居住证到期了怎么续签？", county.grid_a, contact="13912345678"
    )
    case = Case.objects.get(tracking_code=handoff.case_ref)
    assert case.category.code == "consultation" and case.source == Case.Source.ASSISTANT
    assert case.place == county.grid_a and case.state == "reported"
    assert str(case.reporter_phone) == "139****5678"
    assert Case.objects.restrict(users["community_officer"]).filter(pk=case.pk).exists()


def test_handoff_without_a_usable_contact_is_anonymous(county, users):
    handoff = assistant.request_handoff("怎么开无犯罪记录证明？", county.grid_a, contact="微信 abc")
    case = Case.objects.get(tracking_code=handoff.case_ref)
    assert case.anonymous and not case.reporter_phone


def test_alert_one_click_makes_a_case_in_the_grid(county, users):
    text = "我是公安局的，你涉嫌洗钱，马上把钱转到安全账户配合调查"
    _result, alert = assistant.screen_message(text, county.grid_a, group_name="枫溪社区业主群")
    assert alert is not None
    alert = assistant.alert_to_case(alert, actor=users["community_officer"])
    case = Case.objects.get(tracking_code=alert.case_ref)
    assert alert.status == Alert.Status.CASE
    assert case.category.code == "tip_off" and case.place == county.grid_a
    assert case.description == text


def test_alert_of_another_grid_cannot_be_turned_into_a_case(county, users, users_b):
    _result, alert = assistant.screen_message(
        "刷单返利，日赚三百，先垫付后返现，加我微信", county.grid_b, group_name="南门群"
    )
    with pytest.raises(NotFound):
        assistant.alert_to_case(alert, actor=users["community_officer"])
    assert not Case.objects.filter(place=county.grid_b).exists()
