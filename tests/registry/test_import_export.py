"""Excel import (dry run, per-row report, duplicates, 10,000 rows) and masked export."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from fengqiao.core.errors import Forbidden, ServiceError, Throttled
from fengqiao.core.models import AuditEvent
from fengqiao.registry import importer, services
from fengqiao.registry.models import Address, House, ImportJob, Person, PersonTag, Unit
from tests.conftest import login
from tests.registry import helpers

pytestmark = pytest.mark.django_db

HEADER = ["姓名", "公民身份号码", "联系电话", "出生日期", "性别", "人口类型", "地址编码", "标签"]


def xlsx(rows, header=HEADER, name="people.xlsx"):
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile(name, out.getvalue())


def _people_rows(room, n=10_000, bad_every=50):
    """``n`` rows, one in ``bad_every`` bad (2 %), five kinds of bad in turn."""
    rows, bad = [], {}
    kinds = ["checksum", "date", "address", "label", "duplicate"]
    for i in range(n):
        number = helpers.id_number(birth=f"19{60 + i % 40:02d}0{1 + i % 9}1{i % 9}", seq=i)
        number = helpers.id_number(birth=number[6:14], region=f"3{i // 1000:05d}", seq=i % 1000)
        row = [f"张{i}", number, f"13{i:09d}", None, None, "户籍人口", room.code, ""]
        if i % bad_every == 7:
            kind = kinds[(i // bad_every) % len(kinds)]
            bad[i + 2] = kind
            if kind == "checksum":
                row[1] = number[:17] + ("0" if number[17] != "0" else "1")
            elif kind == "date":
                row[1], row[5], row[3] = "", "未落户人员", "2023-02-30"
            elif kind == "address":
                row[6] = "NO-SUCH-CODE"
            elif kind == "label":
                row[7] = "重点人员"
            else:
                row[1] = rows[0][1]
        rows.append(row)
    return rows, bad


def test_ten_thousand_people_with_two_percent_bad_rows(county, users):
    gw = users["grid_worker"]
    room = helpers.tree(county.grid_a, gw)
    rows, bad = _people_rows(room)
    assert len(bad) == 200
    dry = importer.start_import(gw, "people", xlsx(rows), dry_run=True)
    assert dry.state == "queued"  # large file: the background task runs it
    dry = importer.run_import(dry.pk)
    assert (dry.state, dry.ok_rows, dry.error_rows) == ("done", 9800, 200)
    assert Person.objects.count() == 0  # a dry run writes nothing
    job = importer.start_import(gw, "people", xlsx(rows), dry_run=False)
    job = importer.run_import(job.pk)
    assert (job.state, job.ok_rows, job.error_rows) == ("done", 9800, 200)
    assert Person.objects.count() == 9800
    report = {e["row"]: e for e in job.errors}
    assert set(report) == set(bad)
    expected = {
        "checksum": "校验位",
        "date": "不是有效日期",
        "address": "不存在",
        "label": "标签的权限",
        "duplicate": "重复",
    }
    for row, kind in bad.items():
        assert expected[kind] in report[row]["message"], (row, kind, report[row])
    assert report[9]["column"] == "公民身份号码"
    p = Person.objects.get(name="张1")
    assert p.place_path == county.grid_a.path and p.id_hash and str(p.phone).startswith("130")
    assert services.duplicate_of(rows[1][1]).pk == p.pk
    # the same file again: every good row is now a duplicate
    again = importer.run_import(importer.start_import(gw, "people", xlsx(rows[:100])).pk)
    assert again.ok_rows == 0 and again.error_rows == 100
    assert AuditEvent.objects.filter(action="registry.import").count() == 3
    sheet = load_workbook(io.BytesIO(importer.error_report(job))).active
    assert sheet.max_row == 201


def test_small_import_runs_at_once_and_reports_missing_columns(county, users):
    gw = users["grid_worker"]
    room = helpers.tree(county.grid_a, gw)
    job = importer.start_import(
        gw,
        "people",
        xlsx([["李一", helpers.id_number(), "", "", "", "", room.code, "党员"]]),
        dry_run=False,
    )
    assert job.state == "done" and job.ok_rows == 1
    assert PersonTag.objects.get().code == "party_member"
    job = importer.start_import(gw, "people", xlsx([["x"]], header=["姓名"]), dry_run=False)
    assert job.state == "failed" and "地址编码" in job.message
    with pytest.raises(ServiceError, match="xlsx"):
        importer.start_import(gw, "people", SimpleUploadedFile("a.csv", b"x"))
    with pytest.raises(Forbidden):
        importer.start_import(users["dispatcher"], "people", xlsx([]))


def test_import_addresses_houses_units(county, users):
    gw = users["grid_worker"]
    header = ["地址编码", "名称", "层级", "上级地址编码", "网格代码"]
    rows = [
        ["R1", "枫溪路1号", "街路巷", "", county.grid_a.code],
        ["R1-B1", "1幢", "楼栋", "R1", ""],
        ["R1-B1-101", "101室", "6", "R1-B1", ""],
        ["R2", "南门路", "街路巷", "", county.grid_b.code],
        ["R1-B1-X", "错层", "街路巷", "R1-B1", ""],
    ]
    dry = importer.start_import(gw, "addresses", xlsx(rows, header), dry_run=True)
    assert (dry.ok_rows, dry.error_rows) == (3, 2) and not Address.objects.exists()
    job = importer.start_import(gw, "addresses", xlsx(rows, header), dry_run=False)
    assert (job.ok_rows, job.error_rows) == (3, 2)
    assert {e["row"] for e in job.errors} == {5, 6}
    assert Address.objects.get(code="R1-B1-101").full_name.endswith("枫溪路1号1幢101室")
    job = importer.start_import(
        gw,
        "houses",
        xlsx(
            [
                [
                    "R1-B1-101",
                    "出租",
                    "",
                    "",
                    "80.5",
                    "3",
                    "",
                    "",
                    "是",
                    "BA-9",
                    "4",
                    "2000",
                    "",
                    "是",
                ],
                ["R1-B1-101", "飞机", "", "", "", "", "", "", "", "", "", "", "", ""],
            ],
            [str(h) for _k, h in importer.COLUMNS["houses"]],
        ),
        dry_run=False,
    )
    assert (job.ok_rows, job.error_rows) == (1, 1) and "用途" in job.errors[0]["column"]
    house = House.objects.get()
    assert house.is_rental and house.place_path == county.grid_a.path
    job = importer.start_import(
        gw,
        "units",
        xlsx(
            [["枫溪超市", "商铺", "R1-B1", "", "", "王老板", "5", "", "13800001111", "", ""]],
            [str(h) for _k, h in importer.COLUMNS["units"]],
        ),
        dry_run=False,
    )
    assert job.ok_rows == 1 and str(Unit.objects.get().security_phone) == "138****1111"


def test_export_is_masked_by_default_and_clear_needs_permission_reason(county, users):
    gw, officer = users["grid_worker"], users["community_officer"]
    room = helpers.tree(county.grid_a, gw)
    number = helpers.id_number()
    p = helpers.person(gw, room, name='=HYPERLINK("x")', id_number=number, phone="13812345678")
    services.add_tag(officer, p, "key_person")
    masked = load_workbook(io.BytesIO(importer.export_xlsx(gw, "people"))).active
    values = [c.value for c in masked[2]]
    assert number not in values and "138****5678" in values
    assert values[0].startswith("'=")  # the masked name starts with "=": neutralised too
    assert "重点人员" not in (values[12] or "")  # no label, no labelled tag
    with pytest.raises(Forbidden):
        importer.export_xlsx(gw, "people", clear=True, reason="核查需要")
    with pytest.raises(ServiceError, match="原因"):
        importer.export_xlsx(officer, "people", clear=True)
    clear = load_workbook(
        io.BytesIO(importer.export_xlsx(officer, "people", clear=True, reason="专项核查需要"))
    ).active
    values = [c.value for c in clear[2]]
    assert number in values and "13812345678" in values
    assert values[0] == '\'=HYPERLINK("x")'  # formula neutralised
    assert "重点人员" in values[12]
    events = AuditEvent.objects.filter(action="registry.export")
    assert events.filter(result="denied").count() == 1
    assert events.get(data__clear=True, result="success").data["reason"] == "专项核查需要"


def test_bulk_export_is_rate_limited(county, users):
    officer = users["community_officer"]
    helpers.tree(county.grid_a, users["grid_worker"])
    for _i in range(3):
        importer.export_xlsx(officer, "addresses", clear=True, reason="专项核查需要")
    with pytest.raises(Throttled):
        importer.export_xlsx(officer, "addresses", clear=True, reason="专项核查需要")


def test_import_page_and_progress(client, county, users):
    gw = users["grid_worker"]
    room = helpers.tree(county.grid_a, gw)
    login(client, gw)
    assert client.get("/registry/imports/").status_code == 200
    upload = xlsx(
        [
            ["赵一", helpers.id_number(), "", "", "", "", room.code, ""],
            ["赵二", "123", "", "", "", "", room.code, ""],
        ]
    )
    r = client.post("/registry/imports/", {"kind": "people", "dry_run": "1", "file": upload})
    job = ImportJob.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/registry/imports/{job.pk}/"
    page = client.get(f"/registry/imports/{job.pk}/").content.decode()
    assert "18位" in page and "3" in page
    r = client.get(f"/registry/imports/{job.pk}/report/")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxml")
    r = client.get("/registry/export/", {"kind": "people"})
    assert r.status_code == 200
    r = client.post("/registry/export/", {"kind": "people", "clear": "1", "reason": "x"})
    assert r.status_code == 403


def _rooms(county, gw, n, tag):
    building = services.create_address(
        gw, place=county.grid_a, level=Address.Level.BUILDING, name=f"{tag}幢"
    )
    return [
        services.create_address(gw, parent=building, level=Address.Level.ROOM, name=f"{i}室")
        for i in range(n)
    ]


def test_import_queries_do_not_grow_with_rows_or_addresses(county, users):
    """Addresses are fetched per chunk, duplicates checked per batch, rows inserted in bulk: 40
    rows over 4 rooms and 400 rows over 40 rooms cost the same number of queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    gw = users["grid_worker"]
    counts = []
    for n, rooms in ((40, _rooms(county, gw, 4, "A")), (400, _rooms(county, gw, 40, "B"))):
        rows = []
        for i in range(n):
            number = helpers.id_number(birth="19800101", region=f"34{n:04d}", seq=i)
            room = rooms[i % len(rooms)].code if i % 10 else "NO-SUCH-CODE"
            rows.append([f"王{n}-{i}", number, "", None, None, "户籍人口", room, ""])
        job = ImportJob.objects.create(
            kind="people", dry_run=False, filename="x.xlsx", total_rows=n, created_by=gw
        )
        job.file.save(f"q{n}.xlsx", xlsx(rows))
        with CaptureQueriesContext(connection) as queries:
            job = importer.run_import(job.pk)
        assert (job.ok_rows, job.error_rows) == (n - n // 10, n // 10)
        sql = [q["sql"] for q in queries.captured_queries]
        inserts = [q for q in sql if q.startswith("INSERT")]
        counts.append(len(sql) - len(inserts))
        # Bulk inserts: split only by the database's limit of parameters per statement.
        assert len(inserts) <= 1 + n * 30 // 999, inserts
    assert counts[0] == counts[1], counts


def test_spreadsheet_labels_are_accepted_in_either_language():
    from django.utils import translation

    from fengqiao.registry.models import Person

    with translation.override("en"):
        assert services.clean_choice("户籍人口", Person.Residence, field="x") == "registered"
        with pytest.raises(ServiceError) as caught:
            services.clean_choice("火星人", Person.Residence, field=services._F_RESIDENCE)
        assert caught.value.details["field"] == str(services._F_RESIDENCE)
