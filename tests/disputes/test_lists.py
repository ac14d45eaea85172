"""The mediation workbench on the shared list component (issue 16.5): filters with counts, other
orders, pages; and its xlsx export (issue 16.9), masked, scoped and audited."""

from datetime import timedelta

from django.utils import timezone

from fengqiao.disputes.models import Dispute
from tests.conftest import login
from tests.exporting import check_export, xlsx_rows

from . import helpers


def test_workbench_filters_counts_and_sorts(client, county, users):
    low = helpers.mediating(county.grid_a, users, title="低风险纠纷")
    high = helpers.make_dispute(
        county.grid_a,
        users,
        title="高风险纠纷",
        parties=helpers.parties("13700000041", "13700000042"),
    )
    Dispute.objects.filter(pk=high.pk).update(risk_score=90, risk_level="high")
    Dispute.objects.filter(pk=low.pk).update(next_due_at=timezone.now() - timedelta(hours=1))
    login(client, users["community_officer"])
    page = client.get("/disputes/?view=all").content.decode()
    assert 'id="facets"' in page and 'id="sorts"' in page and 'id="export-xlsx"' in page
    assert 'data-facet="risk"' in page and 'data-value="high"' in page
    body = client.get("/disputes/?view=all&risk=high").content.decode()
    assert high.number in body and low.number not in body
    body = client.get("/disputes/?view=all&overdue=1").content.decode()
    assert low.number in body and high.number not in body
    body = client.get("/disputes/?view=all&sort=risk").content.decode()
    assert body.index(high.number) < body.index(low.number)
    body = client.get("/disputes/?view=all&state=mediating").content.decode()
    assert low.number in body and high.number not in body
    body = client.get("/disputes/?view=all&q=高风险").content.decode()
    assert high.number in body and low.number not in body
    # A bad filter value is ignored with a note, never a 500.
    assert client.get("/disputes/?view=all&level=9").status_code == 200


def test_workbench_pages(client, county, users):
    for i in range(32):
        helpers.make_dispute(
            county.grid_a, users, parties=helpers.parties(f"1371000{i:04d}", f"1372000{i:04d}")
        )
    login(client, users["community_officer"])
    first = client.get("/disputes/?view=all").content.decode()
    assert 'rel="next"' in first
    second = client.get("/disputes/?view=all&page=2").content.decode()
    assert 'rel="prev"' in second and second.count('id="dispute-') == 2


def test_workbench_export(client, county, users, users_b):
    mine = helpers.make_dispute(county.grid_a, users, title="甲网格噪音纠纷")
    other = helpers.make_dispute(
        county.grid_b,
        users_b,
        title="乙网格噪音纠纷",
        parties=helpers.parties("13700000051", "13700000052"),
    )
    rows = check_export(
        client,
        "/disputes/?view=all&state=any&format=xlsx",
        user=users["community_officer"],
        kind="disputes.workbench",
        header=["编号", "纠纷名称", "类型", "地点", "层级", "状态"],
        present=[mine.number, "甲网格噪音纠纷", "已登记", "拉呱调"],
        absent=[other.number, "乙网格噪音纠纷"],
        clear=["13900001111", "张三"],
        masked=["139****1111", "张*"],
        refused=users["mediator"],
    )
    assert len(rows) == 2
    # The filters and the order apply to the export as to the page.
    login(client, users["community_officer"])
    none = xlsx_rows(client.get("/disputes/?view=all&state=closed&format=xlsx"))
    assert len(none) == 1
