"""Real-browser check (issue 16.9): a list's export button is on the page, filtered with the
list, and downloads an .xlsx that opens, masked, with only the filtered rows; the export is
audited."""

import io

import pytest
from openpyxl import load_workbook

from fengqiao.core.models import AuditEvent
from fengqiao.disputes.models import Dispute
from tests.conftest import shot
from tests.disputes import helpers
from tests.e2e.test_console_journey import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_workbench_export_downloads(chromium, live_server, county, users):
    high = helpers.make_dispute(county.grid_a, users, title="高风险邻里纠纷")
    Dispute.objects.filter(pk=high.pk).update(risk_level="high", risk_score=90)
    low = helpers.make_dispute(
        county.grid_a,
        users,
        title="低风险邻里纠纷",
        parties=helpers.parties("13700000061", "13700000062"),
    )
    page = sign_in(chromium, live_server, users["community_officer"])
    page.goto(f"{live_server.url}/disputes/?view=all")
    assert page.is_visible("#export-xlsx")
    page.click("#facets [data-facet=risk] a[data-value=high]")
    page.wait_for_selector("#facets [data-facet=risk] a.active")
    assert low.number not in page.inner_text("#disputes")
    shot(page, "export-1-filtered-workbench")
    with page.expect_download() as info:
        page.click("#export-xlsx")
    download = info.value
    assert download.suggested_filename == "disputes.xlsx"
    with open(download.path(), "rb") as fh:
        sheet = load_workbook(io.BytesIO(fh.read())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "编号" and len(rows) == 2
    text = " ".join(str(c) for c in rows[1] if c is not None)
    assert high.number in text and low.number not in text
    assert "13900001111" not in text and "139****1111" in text  # masked by default
    assert AuditEvent.objects.filter(action="disputes.workbench.export").count() == 1
