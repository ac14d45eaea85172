"""110 / 12345 alerts: import row by row with clear errors, duplicates skipped on re-import, 警情 by
category with 环比/同比 — numbers checked against a hand-computed fixture."""

import io
from datetime import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from fengqiao.core.errors import Forbidden, ServiceError
from fengqiao.insights import services
from fengqiao.insights.models import Alert
from tests.conftest import login

pytestmark = pytest.mark.django_db

MARCH = ("2026-03-01", "2026-03-31")  # 环比: 2026-01-29..02-28; 同比: 2025-03-01..03-31


def alerts_csv(county, name="110-march.csv"):
    a, b = county.grid_a.code, county.grid_b.code
    lines = [
        "报警时间,警情类别,地点,警情编号,地址,简要情况",
        f"2026-03-05 08:15,治安,{a},A1,,打架",
        "2026/3/6 9:00,治安,枫溪社区第1网格,A2,,",
        f"2026-03-07 10:00,交通,{a},A3,,",
        f"2025-03-10 11:00,治安,{a},A4,,",  # a year before
        f"2026-02-20 12:00,交通,{a},A5,,",  # the period before
        f"2026-02-21 12:00,交通,{a},A6,,",
        f"昨天,治安,{a},A7,,",  # row 8: bad time
        f"2026-03-09 10:00,,{a},A8,,",  # row 9: no category
        f"2026-03-09 10:00,治安,{b},A9,,",  # row 10: outside the import's place
        f"2026-03-05 08:15,治安,{a},A1,,打架",  # duplicate of row 2
        f"2999-01-01 00:00,治安,{a},A10,,",  # row 12: in the future
        f"2026-03-08 14:00,火灾,{a},,枫溪路1号,",  # no number: keyed by time/category/place/address
        f"2026-03-08 14:00,火灾,{a},,枫溪路1号,",  # duplicate inside the file
    ]
    return SimpleUploadedFile(name, "\n".join(lines).encode("utf-8-sig"), "text/csv")


def test_import_validates_rows_and_skips_duplicates(county, users):
    dispatcher = users["dispatcher"]
    batch = services.import_alerts(
        dispatcher, place_code="", source="110", upload=alerts_csv(county)
    )
    assert batch.place == county.grid_a
    assert (batch.total_rows, batch.created_rows, batch.duplicate_rows, batch.error_rows) == (
        13,
        7,
        2,
        4,
    )
    assert [(e["row"], e["column"]) for e in batch.errors] == [
        (8, "报警时间"),
        (9, "警情类别"),
        (10, "地点"),
        (12, "报警时间"),
    ]
    assert "不在本次导入的区划内" in batch.errors[2]["message"]
    assert "晚于现在" in batch.errors[3]["message"]
    again = services.import_alerts(
        dispatcher, place_code="", source="110", upload=alerts_csv(county)
    )
    assert (again.created_rows, again.duplicate_rows, again.error_rows) == (0, 9, 4)
    assert Alert.objects.count() == 7
    # the same numbers as 12345 are other alerts
    other = services.import_alerts(
        dispatcher, place_code="", source="12345", upload=alerts_csv(county)
    )
    assert other.created_rows == 7

    with pytest.raises(ServiceError, match="表头缺少必填列"):
        services.import_alerts(
            dispatcher,
            place_code="",
            source="110",
            upload=SimpleUploadedFile("x.csv", "时间,类别\n".encode()),
        )
    with pytest.raises(Forbidden):
        services.import_alerts(
            users["community_officer"], place_code="", source="110", upload=alerts_csv(county)
        )


def test_alert_figures_by_category_year_on_year(client, county, users, users_b):
    services.import_alerts(
        users["dispatcher"], place_code="", source="110", upload=alerts_csv(county)
    )
    book = Workbook()
    book.active.append(["报警时间", "警情类别", "地点"])
    book.active.append([datetime(2026, 3, 9, 21, 30), "噪音扰民", county.grid_a.code])
    out = io.BytesIO()
    book.save(out)
    services.import_alerts(
        users["dispatcher"],
        place_code=county.grid_a.code,
        source="12345",
        upload=SimpleUploadedFile("12345.xlsx", out.getvalue()),
    )

    f = services.alert_board(users["dispatcher"], services.period(*MARCH))
    rows = {
        r["category"]: (r["n"], r["previous"], r["year_before"], r["mom"], r["yoy"])
        for r in f["categories"]
    }
    assert rows == {
        "治安": (2, 0, 1, None, 1.0),
        "交通": (1, 2, 0, -0.5, None),
        "火灾": (1, 0, 0, None, None),
        "噪音扰民": (1, 0, 0, None, None),
    }
    assert f["total"] == {"n": 5, "previous": 2, "year_before": 1, "mom": 1.5, "yoy": 4.0}
    assert f["by_source"] == [{"source": "110", "n": 4}, {"source": "12345", "n": 1}]
    # grid B's dispatcher sees none of grid A's alerts
    assert services.alert_board(users_b["dispatcher"], services.period(*MARCH))["total"]["n"] == 0

    login(client, users["dispatcher"])
    html = client.get(f"/insights/alerts/?start={MARCH[0]}&end={MARCH[1]}").content.decode()
    assert 'id="alert-figures"' in html and "噪音扰民" in html and "+100.0%" in html
    api = client.get(f"/api/v1/insights/alerts?start={MARCH[0]}&end={MARCH[1]}").json()
    assert api["total"]["n"] == 5
    assert client.get("/api/v1/insights/alerts?place=" + county.grid_b.code).status_code == 404
    login(client, users["grid_worker"])
    assert client.get("/api/v1/insights/alerts").status_code == 403


def test_import_pages_and_api(client, county, users, users_b):
    login(client, users["dispatcher"])
    r = client.post(
        "/insights/alerts/", {"source": "110", "import_place": "", "file": alerts_csv(county)}
    )
    assert r.status_code == 302
    page = client.get(r["Location"]).content.decode()
    assert 'id="alert-errors"' in page and "时间格式不正确" in page
    r = client.post(
        "/api/v1/insights/alert-imports",
        {"source": "110", "file": alerts_csv(county, "again.csv")},
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["created_rows"], body["duplicate_rows"], len(body["errors"])) == (0, 9, 4)
    listed = client.get("/api/v1/insights/alert-imports").json()
    assert [i["filename"] for i in listed["items"]] == ["again.csv", "110-march.csv"]
    detail = client.get(f"/api/v1/insights/alert-imports/{body['id']}").json()
    assert detail["errors"][0] == {
        "row": 8,
        "column": "报警时间",
        "message": detail["errors"][0]["message"],
    }
    template = client.get("/insights/alerts/template.csv")
    assert template.content.decode("utf-8-sig").startswith("报警时间,警情类别,地点")
    # out of scope: 404; without the permission: 403
    login(client, users_b["dispatcher"])
    assert client.get(f"/api/v1/insights/alert-imports/{body['id']}").status_code == 404
    assert client.get(f"/insights/alerts/imports/{body['id']}/").status_code == 404
    login(client, users["grid_worker"])
    assert (
        client.post(
            "/api/v1/insights/alert-imports", {"source": "110", "file": alerts_csv(county)}
        ).status_code
        == 403
    )


def test_english_headers_and_messages(county, users):
    from django.utils import translation

    csv = f"Time of alert,Alert category,Place\n2026-03-05 08:15,Theft,{county.grid_a.code}\nsoon,Theft,{county.grid_a.code}\n"
    with translation.override("en"):
        batch = services.import_alerts(
            users["dispatcher"],
            place_code="",
            source="110",
            upload=SimpleUploadedFile("en.csv", csv.encode()),
        )
    assert batch.created_rows == 1
    assert batch.errors == [
        {"row": 3, "column": "Time of alert", "message": "Unreadable time (e.g. 2026-03-01 08:15)"}
    ]
