"""POST servicerequestupdates is safe to retry: the same update id, or the same content within a
short window, answers the first try's update and adds nothing (issue 13)."""

from datetime import timedelta

import pytest

from fengqiao.cases import open311
from fengqiao.cases.models import Case
from fengqiao.core.models import TimelineEntry
from fengqiao.core.services import create_api_key
from fengqiao.org.models import User

from .helpers import make_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def key(county):
    account = User.objects.create(username="integration-retry", display_name="city")
    return create_api_key("city", account)[1]


@pytest.fixture
def case(county):
    made = make_case(county.grid_a)
    Case.objects.filter(pk=made.pk).update(source=Case.Source.OPEN311)
    return made


def _post(client, key, case, fmt="json", **fields):
    data = {"api_key": key, "service_request_id": str(case.pk), "update_id": "c-1",
            "status": "OPEN", "updated_datetime": "2026-01-01T00:00:00+08:00",
            "description": "井盖还没盖上"}  # fmt: skip
    data.update(fields)
    return client.post(f"/open311/v2/servicerequestupdates.{fmt}", data)


def _infos(case):
    return TimelineEntry.objects.filter(object_id=case.pk, transition="add_info").count()


def test_the_same_update_id_twice_is_one_update(client, key, case):
    first = _post(client, key, case)
    again = _post(client, key, case, fmt="xml", description="井盖还没盖上（重发）")
    assert first.status_code == again.status_code == 200
    update_id = first.json()[0]["update_id"]
    assert update_id and f"<update_id>{update_id}</update_id>" in again.content.decode()
    assert _infos(case) == 1


def test_the_same_content_under_a_new_id_soon_after_is_one_update(client, key, case, monkeypatch):
    first = _post(client, key, case).json()[0]["update_id"]
    assert _post(client, key, case, update_id="c-2").json()[0]["update_id"] == first
    assert _infos(case) == 1
    monkeypatch.setattr(open311, "REPLAY_WINDOW", timedelta(0))  # the window has passed
    later = _post(client, key, case, update_id="c-3").json()[0]["update_id"]
    assert later != first and _infos(case) == 2


def test_different_content_or_another_key_is_a_new_update(client, key, case):
    first = _post(client, key, case).json()[0]["update_id"]
    other = _post(client, key, case, update_id="c-2", description="另一件事").json()[0]
    assert other["update_id"] != first
    account = User.objects.create(username="integration-other", display_name="other")
    second_key = create_api_key("other", account)[1]
    same_id = _post(client, second_key, case).json()[0]["update_id"]
    assert same_id not in (first, other["update_id"]) and _infos(case) == 3


def test_a_retried_fixed_confirmation_closes_once(client, key, case, users):
    Case.objects.filter(pk=case.pk).update(state="resolved")
    first = _post(client, key, case, status="FIXED", description="")
    again = _post(client, key, case, status="FIXED", description="")
    assert first.status_code == again.status_code == 200, again.content
    assert first.json()[0]["update_id"] == again.json()[0]["update_id"]
    assert TimelineEntry.objects.filter(object_id=case.pk, transition="confirm").count() == 1
    assert Case.objects.get(pk=case.pk).state == "closed"
