"""Sources feed suggestions, never silent filings."""

import pytest

from fengqiao.core.errors import Conflict, Forbidden, ServiceError
from fengqiao.risks import suggestions
from fengqiao.risks.models import Risk, Suggestion
from tests.disputes import helpers as dispute_helpers

pytestmark = pytest.mark.django_db

HIGH = {"threats": True, "violence": True, "weapons": True, "people": 3, "intensity": 2}


def test_high_risk_dispute_suggests_a_risk(county, users):
    dispute = dispute_helpers.make_dispute(county.grid_a, users, risk=HIGH)
    dispute_helpers.make_dispute(county.grid_a, users)  # low risk: nothing
    assert suggestions.collect() == 1
    assert suggestions.collect() == 0
    assert Risk.objects.count() == 0  # never a silent filing
    found = Suggestion.objects.get()
    assert found.source == "dispute" and found.place == county.grid_a
    assert dispute.number in found.title
    risk = suggestions.accept(users["community_officer"], found, level="orange")
    assert risk.state == "applied" and risk.source == "dispute"
    assert list(risk.disputes.all()) == [dispute]
    with pytest.raises(Conflict, match="已处理"):
        suggestions.dismiss(users["community_officer"], found, reason="重复")


def test_dismiss_needs_a_reason_and_scope(county, users, users_b):
    dispute_helpers.make_dispute(county.grid_a, users, risk=HIGH)
    suggestions.collect()
    found = Suggestion.objects.get()
    with pytest.raises(ServiceError, match="理由"):
        suggestions.dismiss(users["community_officer"], found, reason=" ")
    with pytest.raises(Exception) as exc:
        suggestions.dismiss(users_b["community_officer"], found, reason="不属实")
    assert getattr(exc.value, "status", None) == 404
    with pytest.raises(Forbidden):
        suggestions.dismiss(users["grid_worker"], found, reason="不属实")
    row = suggestions.dismiss(users["community_officer"], found, reason="已调解结案，风险消除")
    assert row.state == "dismissed" and row.reason


def test_three_cases_of_one_category_at_one_place(county, users):
    from tests.cases import helpers as case_helpers

    case_helpers.make_case(county.grid_a)
    case_helpers.make_case(county.grid_a)
    case_helpers.make_case(county.grid_b)  # another place does not count
    assert suggestions.collect() == 0
    case_helpers.make_case(county.grid_a)
    assert suggestions.collect() == 1
    assert suggestions.collect() == 0
    found = Suggestion.objects.get(source="repeated_cases")
    assert len(found.data["cases"]) == 3 and found.place == county.grid_a
    risk = suggestions.accept(users["community_officer"], found)
    assert risk.cases.count() == 3 and risk.source == "repeated_cases"


def test_assistant_alert_suggests(county, users):
    from fengqiao.assistant.models import Alert

    Alert.objects.create(
        place=county.grid_a, text="再不还钱我就带刀上门", label="threat", score=0.95
    )
    Alert.objects.create(place=county.grid_a, text="今天天气好", label="threat", score=0.2)
    assert suggestions.collect() == 1
    assert Suggestion.objects.get().source == "assistant_alert"
