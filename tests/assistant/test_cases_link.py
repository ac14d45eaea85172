"""The assistant ↔ cases contract, against the real case flow: plain imports of
``fengqiao.cases.services``, category codes (not display text), and an alert is marked 转事件 only
when a case was made."""

import pytest

from fengqiao.assistant import services
from fengqiao.assistant.screener import LABELS, NORMAL
from fengqiao.cases import services as cases_services
from fengqiao.cases.models import Case, Category
from fengqiao.core.errors import Forbidden, NotFound, ServiceError

pytestmark = pytest.mark.django_db


def _alert(grid, text="刷单返利兼职，先垫付后返佣金"):
    _result, alert = services.screen_message(text, grid)
    assert alert is not None
    return alert


def test_no_dynamic_lookup_of_the_cases_app():
    import inspect

    source = inspect.getsource(services)
    assert "importlib" not in source and "inspect.signature" not in source


def test_every_screener_label_maps_to_an_existing_leaf_category(county):
    codes = {
        label: services.ALERT_CASE_CATEGORIES.get(label, services.DEFAULT_ALERT_CATEGORY)
        for label in LABELS
        if label != NORMAL
    }
    for label, code in codes.items():
        category = Category.objects.get(code=code, active=True)
        assert not category.children.filter(active=True).exists(), label
    assert codes["threat"] == "public_order" and codes["fraud_task"] == "tip_off"
    assert codes["missing_person"] == "help" and codes["dispute_escalation"] == "dispute"


def test_handoff_becomes_a_consultation_case(county, users):
    handoff = services.request_handoff("老年食堂几点开饭", county.grid_a, contact="13912345678")
    case = Case.objects.get(tracking_code=handoff.case_ref)
    assert (case.category.code, case.source, case.place_id) == (
        "consultation",
        "assistant",
        county.grid_a.pk,
    )
    assert case.description == "老年食堂几点开饭"
    assert Case.objects.restrict(users["community_officer"]).filter(pk=case.pk).exists()


def test_a_refusing_case_flow_leaves_the_handoff_standing(county, caplog):
    Category.objects.filter(code="consultation").update(active=False)
    handoff = services.request_handoff("老年食堂几点开饭", county.grid_a)
    assert handoff.pk and handoff.case_ref == "" and handoff.status == "open"
    assert not Case.objects.exists()  # the savepoint undid any half-made case
    assert any("refused the consultation" in r.getMessage() for r in caplog.records)


def test_alert_category_is_by_code(county, users):
    alert = _alert(county.grid_a, "你再不还钱，我就砍死你全家，等着瞧")
    assert alert.label == "threat"
    alert = services.alert_to_case(alert, actor=users["community_officer"])
    assert Case.objects.get(tracking_code=alert.case_ref).category.code == "public_order"


def test_alert_is_marked_only_when_a_case_was_made(county, users, monkeypatch):
    alert = _alert(county.grid_a)

    def refuse(**kwargs):
        raise ServiceError("分类未配置")

    monkeypatch.setattr(cases_services, "create_case_from_alert", refuse)
    with pytest.raises(ServiceError):
        services.alert_to_case(alert, actor=users["community_officer"])
    alert.refresh_from_db()
    assert (alert.status, alert.case_ref) == ("open", "")


def test_an_unknown_category_code_is_refused_by_cases(county, users, monkeypatch):
    alert = _alert(county.grid_a)
    monkeypatch.setattr(services, "DEFAULT_ALERT_CATEGORY", "no_such_category")
    with pytest.raises(ServiceError) as err:
        services.alert_to_case(alert, actor=users["community_officer"])
    assert err.value.code == "unknown_category"
    alert.refresh_from_db()
    assert alert.status == "open" and not Case.objects.exists()


def test_alert_to_case_checks_permissions_not_role_names(county, users, users_b):
    alert = _alert(county.grid_a)
    with pytest.raises(NotFound):  # out of jurisdiction
        services.alert_to_case(alert, actor=users_b["community_officer"])
    with pytest.raises(Forbidden):  # no assistant.change_alert (三员分立)
        services.alert_to_case(alert, actor=users["system_admin"])
    with pytest.raises(Forbidden):
        services.dismiss_alert(alert, actor=users["mediator"])
    alert.refresh_from_db()
    assert alert.status == "open"


def test_alert_one_click_makes_a_case(client, county, users, login_as):
    alert = _alert(county.grid_a)
    login_as(users["community_officer"])
    r = client.post(f"/assistant/alerts/{alert.pk}/act/to_case/", follow=True)
    alert.refresh_from_db()
    case = Case.objects.get(tracking_code=alert.case_ref)
    assert alert.status == "case" and case.source == "assistant"
    assert case.place_id == county.grid_a.pk and case.description == alert.text
    # a link to the case, not a bare tracking code
    html = r.content.decode()
    assert f'href="/cases/{case.pk}/"' in html and case.number in html
    assert alert.case_ref not in html


def test_alert_page_shows_the_refusal(client, county, users, login_as):
    alert = _alert(county.grid_a)
    Category.objects.filter(code="tip_off").update(active=False)
    login_as(users["community_officer"])
    r = client.post(f"/assistant/alerts/{alert.pk}/act/to_case/", follow=True)
    assert r.status_code == 400
    assert "未知的事件类别" in r.content.decode()
    alert.refresh_from_db()
    assert alert.status == "open"
