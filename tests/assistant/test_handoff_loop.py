"""Issue 16 point 2: the hand-off loop is closed — from the plain chat link (no grid) the resident
is asked for the place, gets a tracking code, reads the officer's reply on the tracking page; the
reply resolves the 咨询 case; hand-off and alert pages link to the case."""

import json

import pytest

from fengqiao.assistant import services
from fengqiao.assistant.models import Handoff
from fengqiao.cases import services as cases_services
from fengqiao.cases.models import Case
from fengqiao.core.errors import ServiceError

pytestmark = pytest.mark.django_db

REPLY = "老年食堂每天11点开饭，在社区活动中心一楼。"


def test_a_handoff_without_a_grid_asks_for_the_place(client, county):
    r = client.post("/assistant/chat/handoff/", {"question": "老年食堂几点开饭"})
    assert r.status_code == 400
    html = r.content.decode()
    assert "请选择您所在的网格" in html
    # the form comes back with the question and a choice of grids (not a dead end)
    assert 'name="grid"' in html and county.grid_a.code in html and county.grid_c.code in html
    assert "老年食堂几点开饭" in html
    assert not Handoff.objects.exists() and not Case.objects.exists()


def test_the_chosen_grid_gives_a_tracking_link(client, county):
    r = client.post(
        "/assistant/chat/handoff/",
        {"question": "老年食堂几点开饭", "grid": county.grid_a.code, "contact": "13912345678"},
    )
    assert r.status_code == 200
    handoff = Handoff.objects.get()
    assert handoff.place_id == county.grid_a.pk and handoff.case_ref
    assert f'href="/r/t/{handoff.case_ref}/"' in r.content.decode()


def test_a_grid_that_is_not_a_grid_is_refused(county):
    with pytest.raises(ServiceError):
        services.request_handoff("老年食堂几点开饭", county.village)


def test_the_reply_resolves_the_case_and_shows_on_the_tracking_page(client, county, users):
    handoff = services.request_handoff("老年食堂几点开饭", county.grid_a)
    case = Case.objects.get(tracking_code=handoff.case_ref)
    assert case.state == "reported"
    services.answer_handoff(handoff, REPLY, actor=users["community_officer"])
    case.refresh_from_db()
    handoff.refresh_from_db()
    assert (case.state, case.result) == ("resolved", REPLY)
    assert handoff.status == Handoff.Status.ANSWERED
    # no longer waiting for the dispatcher
    assert not Case.objects.filter(state="reported", pk=case.pk).exists()
    page = client.get(f"/r/t/{case.tracking_code}/").content.decode()
    assert 'id="consultation-reply"' in page and REPLY in page
    # the resident confirms: the case closes
    r = client.post(f"/r/t/{case.tracking_code}/do/confirm/", {"solved": "1"})
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.state == "closed"


def test_answering_on_the_case_page_answers_the_handoff(client, county, users, login_as):
    handoff = services.request_handoff("老年食堂几点开饭", county.grid_a)
    case = Case.objects.get(tracking_code=handoff.case_ref)
    officer = users["community_officer"]
    assert "answer" in cases_services.allowed_actions(case, officer)
    login_as(officer)
    r = client.post(f"/cases/{case.pk}/act/answer/", {"result": REPLY})
    assert r.status_code == 302, r.content
    handoff.refresh_from_db()
    assert (handoff.status, handoff.reply) == (Handoff.Status.ANSWERED, REPLY)


def test_answer_through_the_api(client, county, users, login_as):
    handoff = services.request_handoff("老年食堂几点开饭", county.grid_a)
    case = Case.objects.get(tracking_code=handoff.case_ref)
    login_as(users["community_officer"])
    r = client.post(
        f"/api/v1/cases/{case.pk}/actions/answer",
        json.dumps({"note": "", "data": {"result": REPLY}}),
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    case.refresh_from_db()
    assert case.state == "resolved"


def test_only_a_consultation_can_be_answered(county, users):
    from tests.cases.helpers import make_case

    case = make_case(county.grid_a)
    assert "answer" not in cases_services.allowed_actions(case, users["community_officer"])
    with pytest.raises(ServiceError):
        cases_services.answer_consultation(case, users["community_officer"], data={"result": "x"})


def test_out_of_scope_officer_cannot_answer(county, users, users_b):
    from fengqiao.core.errors import NotFound

    handoff = services.request_handoff("老年食堂几点开饭", county.grid_a)
    with pytest.raises(NotFound):
        services.answer_handoff(handoff, REPLY, actor=users_b["community_officer"])
    assert Case.objects.get(tracking_code=handoff.case_ref).state == "reported"


def test_the_handoff_page_links_the_case(client, county, users, login_as):
    handoff = services.request_handoff("老年食堂几点开饭", county.grid_a)
    case = Case.objects.get(tracking_code=handoff.case_ref)
    login_as(users["community_officer"])
    html = client.get(f"/assistant/handoffs/{handoff.pk}/").content.decode()
    assert f'href="/cases/{case.pk}/"' in html and case.number in html
