"""Dispute figures on the command centre: by type and level, village share, success, recurrence,
for a period and a place."""

from datetime import timedelta

from django.utils import timezone

from fengqiao.disputes import services as dispute_services
from fengqiao.disputes.models import Dispute
from fengqiao.insights import services
from fengqiao.insights.figures import Period
from tests.conftest import login
from tests.disputes import helpers


def _world(county, users):
    helpers.signed(county.grid_a, users)  # resolved at level 3 (levels 1 and 2 failed)
    second = helpers.at_level(
        county.grid_a, users, 1, parties=helpers.parties("13700000011", "13700000012")
    )
    dispute_services.agree(second, users["mediator"], note="拉呱调成功")  # resolved at level 1
    old = helpers.make_dispute(
        county.grid_a, users, parties=helpers.parties("13700000013", "13700000014")
    )
    # Registered 40 days ago: outside the default period (the last 30 days).
    Dispute.objects.filter(pk=old.pk).update(registered_at=timezone.now() - timedelta(days=40))


def test_dispute_figures_for_the_period(county, users):
    _world(county, users)
    f = services.dispute_board(users["community_officer"], services.period(None, None))
    assert f["total"] == 2 and f["resolved"] == 2 and f["resolution_rate"] == 1.0
    levels = {r["level"]: r for r in f["levels"]}
    attempts = sum(r["attempts"] for r in f["levels"])
    assert levels[1]["resolved"] == 1 and levels[3]["resolved"] == 1
    assert f["success_rate"] == round(2 / attempts, 4)
    assert f["resolved_in_village_share"] == 0.5  # level 1 of the two
    assert f["recurrences"] == 1  # the second dispute at the same place
    wide = services.dispute_board(
        users["community_officer"],
        Period(timezone.localdate() - timedelta(days=60), timezone.localdate()),
    )
    assert wide["total"] == 3


def test_dispute_page_and_api(client, county, users):
    _world(county, users)
    login(client, users["dispatcher"])
    html = client.get("/insights/disputes/").content.decode()
    assert "50.0%" in html and "邻里纠纷" in html and 'id="dispute-data"' in html
    data = client.get("/api/v1/insights/disputes").json()
    assert data["total"] == 2 and data["by_type"] == [{"type": "邻里纠纷", "n": 2}]
    login(client, users["mediator"])
    assert client.get("/api/v1/insights/disputes").status_code == 403
