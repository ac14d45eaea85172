"""The demo county's command centre: the roll-up is built and the board reads it."""

from fengqiao.demo import seed_all
from fengqiao.insights import rollup, services
from fengqiao.insights.models import CaseDay
from fengqiao.org.models import User


def test_demo_builds_the_rollup(db):
    seed_all()
    assert rollup.ready() and CaseDay.objects.exists()
    leader = User.objects.filter(groups__name="leader").first()
    board = services.case_board(leader, services.period(None, None))
    assert board["source"] == "rollup"
    assert next(k for k in board["kpis"] if k["key"] == "accepted")["value"] > 0
