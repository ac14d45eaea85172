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


def test_demo_imports_alerts_for_this_year_and_last(db):
    from fengqiao.insights.models import Alert, AlertImport

    seed_all()
    assert AlertImport.objects.count() == 2 and Alert.objects.count() == 840
    leader = User.objects.filter(groups__name="leader").first()
    figures = services.alert_board(leader, services.period(None, None))
    assert figures["total"]["n"] > 0 and figures["total"]["year_before"] > 0
