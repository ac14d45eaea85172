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


def test_demo_is_believable(db):
    """Issue 16.11: the morning queue shows a realistic mix — most open work on time, some
    yellow, a few red — the figures' default period (last 30 days) has data, and disputes are in
    mediation at every level of the ladder."""
    from fengqiao.disputes import demo as dispute_demo
    from fengqiao.disputes.models import Dispute
    from fengqiao.insights import figures

    county, _accounts = org_demo.seed(random.Random(1))
    demo.seed(county, rng=random.Random(3), scale=0.3)
    open_cases = Case.objects.filter(state__in=Case.OPEN_STATES)
    total = open_cases.count()
    red = open_cases.filter(supervision_level__gte=2).count()
    yellow = open_cases.filter(supervision_level=1).count()
    assert total >= 20
    assert red >= 1 and yellow >= 1
    assert red / total < 0.25
    assert yellow / total < 0.35
    assert (total - red - yellow) / total > 0.5  # most work on time
    period = figures.default_period()
    counters = figures.case_counters(Case.objects.all(), period)
    assert counters["accepted"] > 0 and counters["closed"] > 0

    dispute_demo.seed(county)
    levels = set(
        Dispute.objects.filter(state="mediating").values_list("level", flat=True).distinct()
    )
    assert levels == {1, 2, 3, 4, 5}
