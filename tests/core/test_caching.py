"""One cache (core.caching on Django's cache framework): shared lookups are dropped when roles,
jurisdictions, places or the standard answers change — not after a per-process timer."""

import pytest

from fengqiao.cases import services as case_services
from fengqiao.core import caching
from fengqiao.org.models import Jurisdiction
from tests.cases import helpers

pytestmark = pytest.mark.django_db


def test_remember_and_invalidate_by_topic():
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    assert caching.remember("t.value", compute, timeout=60, topics=("roles",)) == 1
    assert caching.remember("t.value", compute, timeout=60, topics=("roles",)) == 1
    caching.invalidate("places")  # another topic: kept
    assert caching.remember("t.value", compute, timeout=60, topics=("roles",)) == 1
    caching.invalidate("roles")
    assert caching.remember("t.value", compute, timeout=60, topics=("roles",)) == 2


def test_another_process_sees_the_invalidation(monkeypatch):
    """The generation lives in the shared cache: a process that did not invalidate picks it up
    once its local memo (at most LOCAL_SECONDS) is gone."""
    values = iter([1, 2])
    assert caching.remember("t.other", lambda: next(values), timeout=60, topics=("roles",)) == 1
    caching._invalidate(("roles",))
    caching.clear_local()  # what another process has: nothing memoised locally
    assert caching.remember("t.other", lambda: next(values), timeout=60, topics=("roles",)) == 2


def test_a_new_dispatcher_is_covering_at_once(county, make_user):
    case = helpers.make_case(county.grid_a)
    assert case_services.covering(case, "dispatcher") == []
    dispatcher = make_user("dispatcher", places=[county.village])
    assert case_services.covering(case, "dispatcher") == [dispatcher]
    Jurisdiction.objects.filter(user=dispatcher).delete()
    assert case_services.covering(case, "dispatcher") == []


def test_answers_change_drops_the_assistant_stamp(county, settings, tmp_path):
    from fengqiao.assistant import services as assistant

    settings.FENGQIAO_HOME = tmp_path
    assistant._state.clear()
    first = assistant.get_assistant()
    assert assistant.get_assistant() is first  # unchanged answers: the same engine
    assistant.save_answer(
        {"id": "t-cache", "category": "测试", "question": "路灯坏了找谁", "answer": "找网格员"}
    )
    assert assistant.get_assistant() is not first
    assistant._state.clear()


def test_a_grid_boundary_change_is_seen_at_once_by_the_locator(county):
    """The Open311/API locator's grid polygons live in the one cache, dropped when a place
    changes (it used to be a per-process dict checked by place count and highest id)."""
    from fengqiao.cases import triage

    far = [[121.0, 30.0], [121.04, 30.0], [121.04, 30.04], [121.0, 30.04], [121.0, 30.0]]
    assert triage.grid_at(30.02, 121.02) is None
    county.grid_c.boundary = {"type": "Polygon", "coordinates": [far]}
    county.grid_c.save()
    assert triage.grid_at(30.02, 121.02) == county.grid_c


def test_a_moved_place_is_seen_at_once_by_the_locator_and_the_people_lookup(
    county, make_user, users
):
    from fengqiao.cases import triage
    from fengqiao.cases.models import Case
    from fengqiao.org import moves

    case = helpers.make_case(county.grid_b)
    here = make_user("dispatcher", places=[county.village])
    there = make_user("dispatcher", places=[county.other_village])
    county.grid_b.boundary = {
        "type": "Polygon",
        "coordinates": [[[121.0, 30.0], [121.04, 30.0], [121.04, 30.04], [121.0, 30.0]]],
    }
    county.grid_b.save()
    assert triage.grid_at(30.01, 121.03).path.startswith(county.village.path)
    assert case_services.covering(case, "dispatcher") == [here]

    moves.move_place(county.grid_b, county.other_village, users["system_admin"])

    assert triage.grid_at(30.01, 121.03).path.startswith(county.other_village.path)
    case = Case.objects.get(pk=case.pk)
    assert case_services.covering(case, "dispatcher") == [there]
