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
