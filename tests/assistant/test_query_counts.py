"""Pinned query counts of the assistant's pages: an N+1 regression fails here.

Each page is measured with several rows of every kind present (hand-offs, alerts in several
states, standard answers in several categories, unanswered questions), and again after adding
more rows: the count must not grow. The assistant has no JSON list endpoints (its API is
``ask`` and ``screen``); the chat's two POSTs are pinned as well.
"""

import types

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fengqiao.assistant import services
from fengqiao.assistant.engine import Answer
from tests.conftest import login

SCAMS = [
    "刷单返利兼职，先垫付后返佣金，日赚三百",
    "您的贷款审核通过，放款前请先交解冻费",
    "恭喜中奖，领奖前请先缴纳个人所得税",
]


def populate(county, users, n=3, start=0):
    """``n`` of each kind in grid A (plus a few in grid B that must not be fetched row by row)."""
    made = {"handoffs": [], "alerts": []}
    for i in range(start, start + n):
        made["handoffs"].append(
            services.request_handoff(f"第{i}个问题：楼道灯坏了找谁", county.grid_a, contact="电话")
        )
        services.request_handoff(f"B网格问题{i}", county.grid_b)
        for text in SCAMS:
            _result, alert = services.screen_message(
                f"{text}（{i}）", county.grid_a, group_name=f"群{i}"
            )
            made["alerts"].append(alert)
        services.save_answer(
            {
                "id": f"qc-{i}",
                "category": f"测试{i % 2}/子类{i}",
                "question": f"测试问题{i}",
                "answer": f"测试答案{i}",
                "basis": [{"law": "居民身份证法", "article": 11}],
            },
            actor=users["community_officer"],
        )
        services.record_unanswered(f"没有答案的问题{i}", Answer("x", kb_matches=[{"id": "qc-0"}]))
    services.alert_to_case(made["alerts"][1], actor=users["community_officer"])
    services.dismiss_alert(made["alerts"][2], actor=users["community_officer"])
    return made


def pages(made):
    handoff, alert = made["handoffs"][0], made["alerts"][0]
    return {
        "/assistant/handoffs/": 15,  # the shared list: rows + one query per facet (2), no count
        # + the linked case (permission, row), + the reply's text messages (case, outbox rows)
        f"/assistant/handoffs/{handoff.pk}/": 17,
        "/assistant/alerts/": 16,  # rows + one query per facet (3), no count
        "/assistant/alerts/?status=all": 16,
        f"/assistant/alerts/{alert.pk}/": 13,  # an open alert: no case to link
        "/assistant/answers/": 12,
        "/assistant/answers/qc-0/": 11,
        "/assistant/unanswered/": 12,
    }


def count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200, url
    return len(ctx.captured_queries)


@pytest.mark.parametrize("index", range(8))
def test_staff_page_query_count(client, home, county, users, django_assert_num_queries, index):
    made = populate(county, users)
    url, queries = list(pages(made).items())[index]
    login(client, users["community_officer"])
    client.get(url)  # warm per-process caches (content types, the session's permissions)
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200
    populate(county, users, n=4, start=10)
    assert count(client, url) == queries, f"{url}: the count grows with the rows"


def test_resident_chat_query_counts(
    client, home, county, users, django_assert_num_queries, monkeypatch
):
    populate(county, users)
    # The hand-off's 咨询 case is the case flow's own cost, pinned by tests/cases; here only the
    # assistant's part is counted.
    from fengqiao.cases import services as cases_services

    monkeypatch.setattr(
        cases_services, "create_consultation", lambda **kw: types.SimpleNamespace(tracking_code="")
    )
    url = f"/assistant/chat/?grid={county.grid_a.code}"
    client.get(url)
    with django_assert_num_queries(1):  # the grid
        assert client.get(url).status_code == 200
    ask = {"question": "测试问题1", "grid": county.grid_a.code}
    client.post("/assistant/chat/ask/", ask)  # builds the engine once per process
    # the answers' change stamp decides whether to rebuild; it is in the one cache (core.caching),
    # dropped when an answer changes, so a question costs no query at all
    with django_assert_num_queries(0):
        assert client.post("/assistant/chat/ask/", ask).status_code == 200
    handoff = {"question": "路灯坏了", "grid": county.grid_a.code}
    # grid, hand-off, savepoint + release around the (stubbed) case, officers, notification
    with django_assert_num_queries(8):
        assert client.post("/assistant/chat/handoff/", handoff).status_code == 200
