"""Issue 16.9: every staff list exports to xlsx (the filtered list, masked by default; clear
personal data needs the permission and a reason, and is audited); scores show as percentages."""

import io

from django.template import Context, Template
from openpyxl import load_workbook

from fengqiao.core.exports import list_xlsx
from fengqiao.core.models import AuditEvent
from tests.conftest import login

from .helpers import category, make_case


def _rows(response):
    assert response.status_code == 200, response.content[:300]
    return list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))


def test_queue_console_and_supervision_export(client, county, users):
    make_case(county.grid_a, description='=HYPERLINK("http://x")')
    make_case(county.grid_a, code="noise", description="夜间噪音")
    login(client, users["dispatcher"])
    page = client.get("/cases/dispatch/").content.decode()
    assert 'id="export-xlsx"' in page
    rows = _rows(client.get("/cases/dispatch/?format=xlsx"))
    assert rows[0][0] == "编号" and len(rows) == 3
    assert any(str(r[2]).startswith("'=") for r in rows[1:])  # formula neutralised
    assert "待受理" in {r[4] for r in rows[1:]}  # the state's label, not its code
    noise = category("noise").pk
    noise_only = _rows(client.get(f"/cases/dispatch/?format=xlsx&category={noise}"))
    assert len(noise_only) == 2  # the filters apply to the export
    assert len(_rows(client.get("/cases/?tab=all&format=xlsx"))) == 3
    assert _rows(client.get("/cases/supervision/?format=xlsx"))[0]
    kinds = set(
        AuditEvent.objects.filter(action__endswith=".export").values_list("action", flat=True)
    )
    assert {"cases.console.export", "cases.queue.export", "cases.supervision.export"} <= kinds


def test_unmasked_export_needs_permission_and_reason(rf, county, users):
    case = make_case(county.grid_a, reporter_phone="13912345678")
    columns = [("编号", "number"), ("电话", "reporter_phone")]
    from fengqiao.cases.models import Case

    rows = Case.objects.filter(pk=case.pk)

    def call(user, query):
        request = rf.get("/x/", query)
        request.user = user
        return list_xlsx(request, rows, columns, kind="test.list", filename="x.xlsx")

    masked = _rows(call(users["dispatcher"], {}))
    assert masked[1][1] != "13912345678" and "*" in masked[1][1]
    import pytest

    from fengqiao.core.errors import Forbidden, ServiceError

    with pytest.raises(ServiceError, match="须填写原因"):
        call(users["dispatcher"], {"unmasked": "1"})
    with pytest.raises(Forbidden):
        call(users["department_staff"], {"unmasked": "1", "reason": "核实身份信息"})
    clear = _rows(call(users["dispatcher"], {"unmasked": "1", "reason": "核实身份信息"}))
    assert clear[1][1] == "13912345678"
    event = AuditEvent.objects.filter(action="test.list.export").order_by("-id").first()
    assert event.data["unmasked"] is True and event.data["reason"] == "核实身份信息"


def test_scores_show_as_percentages():
    out = Template("{% load numbers %}{{ a|percent }} {{ b|percent:1 }} {{ c|percent }}").render(
        Context({"a": 0.83, "b": 0.8342, "c": None})
    )
    assert out == "83% 83.4% —"
