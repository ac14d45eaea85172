"""The demo county's risks: every colour, every step of the chain, a held review, leads."""

import pytest

from fengqiao.disputes import demo as disputes_demo
from fengqiao.org import demo as org_demo
from fengqiao.org.models import User
from fengqiao.risks import demo
from fengqiao.risks.models import ReviewSession, Risk, RiskPerson, Suggestion, TaskForce


def test_demo_register():
    county, _accounts = org_demo.seed()
    disputes_demo.seed(county)
    numbers = demo.seed(county)
    assert len(numbers) == 8
    assert {"red", "orange", "blue", "green"} <= set(
        Risk.objects.filter(state__in=Risk.ON_REGISTER).values_list("level", flat=True)
    )
    assert {"applied", "returned", "filed", "closing", "closed"} <= set(
        Risk.objects.values_list("state", flat=True)
    )
    assert TaskForce.objects.get().logs.count() == 3
    assert ReviewSession.objects.filter(state="done").exists()
    assert ReviewSession.objects.filter(kind="weekly", state="scheduled").exists()
    assert Suggestion.objects.filter(source="dispute", state="pending").exists()
    leader = User.objects.get(username="leader")
    assert Risk.objects.restrict(leader).count() == Risk.objects.count()
    # People involved: residents of the registry linked (on applying, and 周某 by the backfill).
    people = {p.name.clear: p for p in RiskPerson.objects.select_related("person", "risk")}
    assert {n for n, p in people.items() if p.person_id} == {"王国栋", "赵志强", "孙伟", "周某"}
    assert people["李秀英"].person_id is None
    fire = Risk.objects.get(category__code="fire")
    assert [u.name for u in fire.units.all()] == ["原枫溪五金厂厂房（群租）"]
    assert fire.units.get().place_path.startswith(fire.place_path)
    for p in people.values():
        if p.person_id:
            assert p.person.id_hash == p.id_hash
            assert p.person.place_path.startswith(p.risk.place_path)


pytestmark = pytest.mark.django_db
