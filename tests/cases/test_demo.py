"""The demo seed: every state, overdue cases with supervision cards, work for the printed logins."""

import random

from fengqiao.cases import demo
from fengqiao.cases.models import Case, SupervisionCard
from fengqiao.org import demo as org_demo
from fengqiao.org.models import User


def test_demo_covers_every_state(db):
    county, _accounts = org_demo.seed(random.Random(1))
    demo.seed(county, rng=random.Random(2), scale=0.2)
    states = set(Case.objects.values_list("state", flat=True))
    assert states == set(Case.State.values)
    assert SupervisionCard.objects.filter(level=1).exists()
    assert SupervisionCard.objects.filter(case__state__in=Case.OPEN_STATES).exists()
    dispatcher = User.objects.get(username="dispatcher")
    assert Case.objects.restrict(dispatcher).filter(state="reported").exists()
