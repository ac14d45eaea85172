"""The hand-off and alert → case hooks (fengqiao.cases offers neither function yet).

These tests plant stand-ins with the expected signatures, to prove the assistant's side: the hook is
called once, inside the same transaction, and the case reference stays on the queue row.
"""

import types

import pytest

from fengqiao.assistant import services
from fengqiao.cases import services as cases_services


def test_handoff_creates_a_consultation_when_cases_offers_it(db, county, monkeypatch):
    calls = []

    def create_consultation(*, place, description, source):
        calls.append((place, description, source))
        return types.SimpleNamespace(pk=7, tracking_code="ZX-0007")

    monkeypatch.setattr(cases_services, "create_consultation", create_consultation, raising=False)
    handoff = services.request_handoff("老年食堂几点开饭", county.grid_a)
    assert calls == [(county.grid_a, "老年食堂几点开饭", "assistant")]
    handoff.refresh_from_db()
    assert handoff.case_ref == "ZX-0007"


def test_alert_becomes_a_case_when_cases_offers_it(db, county, users, monkeypatch):
    def create_case_from_alert(*, place, description, category, actor):
        assert actor == users["community_officer"] and place == county.grid_a
        return types.SimpleNamespace(pk=8, tracking_code="SJ-0008")

    monkeypatch.setattr(
        cases_services, "create_case_from_alert", create_case_from_alert, raising=False
    )
    _result, alert = services.screen_message("刷单返利兼职，先垫付后返佣金", county.grid_a)
    alert = services.alert_to_case(alert, actor=users["community_officer"])
    alert.refresh_from_db()
    assert (alert.status, alert.case_ref) == ("case", "SJ-0008")


def test_without_the_cases_functions_the_queue_stands_alone(db, county, users):
    if hasattr(cases_services, "create_consultation"):
        pytest.skip("fengqiao.cases now offers create_consultation")
    handoff = services.request_handoff("老年食堂几点开饭", county.grid_a)
    assert handoff.case_ref == "" and handoff.status == "open"


def test_a_refusing_case_flow_leaves_the_handoff_standing(db, county, monkeypatch):
    def create_consultation(*, place, description, source):
        raise services.ServiceError("分类未配置")

    monkeypatch.setattr(cases_services, "create_consultation", create_consultation, raising=False)
    handoff = services.request_handoff("老年食堂几点开饭", county.grid_a)
    assert handoff.pk and handoff.case_ref == ""


# -- against the real case flow ----------------------------------------------------------------
needs_cases = pytest.mark.skipif(
    not hasattr(cases_services, "create_consultation")
    or not hasattr(cases_services, "create_case_from_alert"),
    reason="fengqiao.cases does not offer the functions",
)


@needs_cases
def test_handoff_becomes_a_consultation_case(db, county, users):
    from fengqiao.cases.models import Case

    handoff = services.request_handoff("老年食堂几点开饭", county.grid_a, contact="13912345678")
    case = Case.objects.get(tracking_code=handoff.case_ref)
    assert (case.category.code, case.source, case.place_id) == (
        "consultation",
        "assistant",
        county.grid_a.pk,
    )
    assert case.description == "老年食堂几点开饭"
    assert Case.objects.restrict(users["community_officer"]).filter(pk=case.pk).exists()


@needs_cases
def test_alert_one_click_makes_a_case(db, client, county, users, users_b, login_as):
    from fengqiao.cases.models import Case

    _result, alert = services.screen_message("刷单返利兼职，先垫付后返佣金", county.grid_a)
    with pytest.raises(services.ServiceError):
        services.alert_to_case(alert, actor=users_b["community_officer"])
    login_as(users["community_officer"])
    r = client.post(f"/assistant/alerts/{alert.pk}/", {"action": "case"}, follow=True)
    alert.refresh_from_db()
    case = Case.objects.get(tracking_code=alert.case_ref)
    assert alert.status == "case" and case.source == "assistant"
    assert case.place_id == county.grid_a.pk and case.description == alert.text
    assert alert.case_ref in r.content.decode()
