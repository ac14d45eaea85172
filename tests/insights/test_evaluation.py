"""Performance evaluation: weighted indicators per place and department, ranking, configurable
weights, export — scores checked by hand."""

from datetime import timedelta

import pytest
from django.utils import timezone

from fengqiao.core.errors import Forbidden, ServiceError
from fengqiao.fieldwork import services as fieldwork
from fengqiao.insights import evaluation, services
from tests.cases.helpers import closed
from tests.conftest import login
from tests.registry import helpers

pytestmark = pytest.mark.django_db


def test_score_and_rank_by_hand():
    weights = dict(evaluation.weights())
    assert weights == {
        "on_time": 30,
        "no_rework": 15,
        "satisfaction": 20,
        "visits": 15,
        "local": 10,
        "risks_closed": 10,
    }
    # 30×0.9 + 20×0.5 over 50 → 74.0; indicators without data are left out
    assert evaluation.score({"on_time": 0.9, "satisfaction": 0.5, "visits": None}, weights) == 74.0
    assert evaluation.score({"on_time": None}, weights) is None
    rows = evaluation.ranked(
        [
            {"label": "丙", "score": None},
            {"label": "乙", "score": 80.0},
            {"label": "甲", "score": 80.0},
            {"label": "丁", "score": 90.5},
        ]
    )
    assert [(r["label"], r["rank"]) for r in rows] == [
        ("丁", 1),
        ("乙", 2),
        ("甲", 2),
        ("丙", None),
    ]


def test_evaluation_board_per_grid_and_department(client, county, users, users_b, make_user):
    today = timezone.localdate()
    span = services.period(today - timedelta(days=6), today)  # 7 days: target 20 each
    closed(county.grid_a, users, county)  # closed, not reworked; its deadline is not due yet
    rooms = [helpers.tree(county.grid_a, users["grid_worker"], road=f"路{i}") for i in range(5)]
    for room in rooms:
        fieldwork.record_visit(
            users["community_officer"], address=room, purpose="routine", findings="正常"
        )
    assert users_b["community_officer"]  # grid B has an officer with no visit
    leader = make_user("leader", places=[county.village])

    board = services.evaluation_board(leader, span)
    assert board["by"] == "grid"
    rows = {r["label"]: r for r in board["rows"]}
    assert set(rows) == {"枫溪社区第1网格", "枫溪社区第2网格"}
    a, b = rows["枫溪社区第1网格"], rows["枫溪社区第2网格"]
    assert a["values"] == {
        "on_time": None,
        "no_rework": 1.0,
        "satisfaction": None,
        "visits": 0.25,
        "local": None,
        "risks_closed": None,
    }
    # (15 × 1.0 + 15 × 0.25) / (15 + 15) × 100
    assert (a["score"], a["rank"]) == (62.5, 1)
    assert (b["values"]["visits"], b["score"], b["rank"]) == (0.0, 0.0, 2)

    departments = services.evaluation_board(leader, span, by="department")["rows"]
    assert [(r["label"], r["score"]) for r in departments] == [("综合行政执法局", 100.0)]

    # weights are configurable (leader) and change the score: 50 × 0.25 / 50
    with pytest.raises(Forbidden):
        services.set_weights(users["dispatcher"], {k: 10 for k in evaluation.KEYS})
    with pytest.raises(ServiceError):
        services.set_weights(leader, {**{k: 0 for k in evaluation.KEYS}, "visits": "x"})
    services.set_weights(leader, {**{k: 0 for k in evaluation.KEYS}, "visits": 50})
    board = services.evaluation_board(leader, span)
    assert [(r["label"], r["score"]) for r in board["rows"]] == [
        ("枫溪社区第1网格", 25.0),
        ("枫溪社区第2网格", 0.0),
    ]

    login(client, leader)
    q = f"start={span.start}&end={span.end}"
    html = client.get(f"/insights/evaluation/?{q}").content.decode()
    assert 'id="evaluation"' in html and "25.0" in html and 'id="weights-form"' in html
    api = client.get(f"/api/v1/insights/evaluation?{q}").json()
    assert api["rows"][0]["score"] == 25.0
    detail = client.get(f"/api/v1/insights/evaluation/{county.grid_a.code}?{q}").json()
    assert (detail["row"]["score"], detail["row"]["rank"]) == (25.0, 1)
    export = client.get(f"/insights/evaluation/export.xlsx?{q}")
    assert export.status_code == 200 and export.content[:2] == b"PK"
    r = client.post(f"/insights/evaluation/?{q}", {k: 10 for k in evaluation.KEYS})
    assert r.status_code == 302 and evaluation.weights()["on_time"] == 10

    # grid A's dispatcher sees grid A only; grid B is 404; a grid worker may not see it
    login(client, users["dispatcher"])
    assert client.get(f"/api/v1/insights/evaluation/{county.grid_b.code}").status_code == 404
    labels = [r["label"] for r in client.get("/api/v1/insights/evaluation").json()["rows"]]
    assert labels == ["枫溪社区第1网格"]
    login(client, users["grid_worker"])
    assert client.get("/api/v1/insights/evaluation").status_code == 403
