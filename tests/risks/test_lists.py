"""The risk lists on the shared list component (issue 16.5): the register as a list, the
suggestions and the review sessions, with filters, counts, orders and pages; their xlsx exports
(issue 16.9), masked, scoped and audited; pinned query counts."""

import pytest

from fengqiao.risks import reviews
from tests.conftest import login
from tests.exporting import check_export

from . import helpers
from .scoping_cases import _suggestion


def test_register_list_filters_counts_and_sorts(client, county, users):
    red = helpers.approved(county.grid_a, users, level="red", title="红色风险甲")
    blue = helpers.approved(county.grid_a, users, level="blue", title="蓝色风险乙")
    pending = helpers.apply(county.grid_a, users, title="待审核风险丙")
    login(client, users["community_officer"])
    page = client.get("/risks/list/").content.decode()
    assert 'id="risk-list"' in page and 'id="facets"' in page and 'id="export-xlsx"' in page
    assert page.index(red.number) < page.index(blue.number)  # red first
    assert 'data-facet="level"' in page and 'data-value="red"' in page
    body = client.get("/risks/list/?level=blue").content.decode()
    assert blue.number in body and red.number not in body
    body = client.get("/risks/list/?state=register").content.decode()
    assert pending.number not in body and red.number in body
    body = client.get("/risks/list/?sort=new").content.decode()
    assert body.index(pending.number) < body.index(red.number)
    body = client.get(f"/risks/list/?place={county.grid_a.pk}").content.decode()
    assert red.number in body
    # A place outside the jurisdiction is no valid choice: ignored with a note.
    body = client.get(f"/risks/list/?place={county.grid_b.pk}").content.decode()
    assert 'id="filter-errors"' in body
    assert client.get("/risks/list/?level=purple").status_code == 200
    assert 'id="list-link"' in client.get("/risks/").content.decode()


def test_register_list_export(client, county, users, users_b):
    mine = helpers.approved(
        county.grid_a,
        users,
        level="orange",
        title="甲网格风险",
        people=[{"name": "王五", "phone": "13900001111"}],
    )
    other = helpers.approved(county.grid_b, users_b, title="乙网格风险")
    check_export(
        client,
        "/risks/list/?format=xlsx",
        user=users["community_officer"],
        kind="risks.list",
        header=["编号", "风险名称", "类别", "地点", "预警等级", "状态", "来源"],
        present=[mine.number, "甲网格风险", "橙色", "县局已审核"],
        absent=[other.number, "乙网格风险"],
        clear=["13900001111", "王五"],
        masked=["139****1111", "王*"],
        refused=users["department_staff"],
    )


def test_suggestions_and_sessions_lists_and_exports(client, county, users, users_b):
    suggestion = _suggestion(county.grid_a, users)
    other = _suggestion(county.grid_b, users_b)
    login(client, users["dispatcher"])
    page = client.get("/risks/suggestions/").content.decode()
    assert suggestion.title in page and 'id="facets"' in page
    assert (
        suggestion.title not in client.get("/risks/suggestions/?state=dismissed").content.decode()
    )
    check_export(
        client,
        "/risks/suggestions/?state=any&format=xlsx",
        user=users["dispatcher"],
        kind="risks.suggestions",
        header=["线索", "说明", "来源", "类别", "地点", "时间", "状态"],
        present=[suggestion.title, "待处理"],
        absent=[other.title],
    )
    helpers.filed(county.grid_a, users)
    session = reviews.create_session(users["dispatcher"], place=county.grid_a, slot_at=None)
    page = client.get("/risks/reviews/").content.decode()
    assert session.title in page and 'id="session-list"' in page
    check_export(
        client,
        "/risks/reviews/?format=xlsx",
        user=users["dispatcher"],
        kind="risks.sessions",
        header=["会商", "时间", "类型", "范围", "议题", "状态"],
        present=[session.title, "临时会商"],
    )


@pytest.mark.parametrize("n", [1, 6])
def test_register_list_query_count_is_flat(client, county, users, django_assert_num_queries, n):
    for _i in range(n):
        helpers.approved(county.grid_a, users)
    login(client, users["community_officer"])
    client.get("/risks/list/")
    # Pinned and flat: one query for the page (no total count), one per facet (5), whatever n.
    with django_assert_num_queries(18):
        assert client.get("/risks/list/").status_code == 200


def test_figures_export_with_percentages(client, county, users, users_b):
    from fengqiao.risks.views import FIGURE_COLUMNS

    helpers.approved(county.grid_a, users, level="red")
    helpers.approved(county.grid_b, users_b, level="red")
    rows = check_export(
        client,
        "/risks/figures/?format=xlsx",
        user=users["dispatcher"],
        kind="risks.figures",
        header=["单位", "发现风险", "按时会商", "应会商", "按时会商率", "销号", "反弹", "在册红色"],
    )
    assert sum(row[1] for row in rows[1:]) == 1  # grid B's risk is not counted
    row = {"unit": "派出所", "found": 4, "reviews_on_time": 1, "reviews_due": 3}
    rate = dict((str(h), f) for h, f in FIGURE_COLUMNS)["按时会商率"]
    assert rate(row) == "33.3%" and rate({**row, "reviews_due": 0}) == ""
