"""The import's fast xlsx reader gives the values openpyxl gives (strings, numbers, dates,
booleans, gaps), and a file it cannot read goes to openpyxl instead."""

import datetime
import io
import zipfile

import pytest
from openpyxl import Workbook, load_workbook

from fengqiao.registry import xlsx


def _workbook():
    wb = Workbook()
    ws = wb.active
    ws.append(["姓名", "公民身份号码", "出生日期", "人数", "面积", "出租", None, "备注"])
    ws.append(
        ["张三", "33990119850312001X", datetime.date(1985, 3, 12), 3, 12.5, True, None, "=1+1"]
    )
    ws.append([None, None, None, None, None, None, None, None])
    ws.append(["李四", 13800001111, datetime.datetime(2024, 5, 6, 7, 8), 0, -1.25e-3, False])
    ws["J5"] = "远处的单元格"
    ws.cell(row=6, column=3).value = 45000
    ws.cell(row=6, column=3).number_format = "yyyy年m月d日"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_fast_reader_matches_openpyxl():
    content = _workbook()
    expected = [
        tuple(row)
        for row in load_workbook(
            io.BytesIO(content), read_only=True, data_only=True
        ).active.iter_rows(values_only=True)
    ]
    got = [values for _number, values in xlsx.iter_rows(io.BytesIO(content))]

    def trimmed(row):
        row = list(row)
        while row and row[-1] is None:
            row.pop()
        return row

    assert [trimmed(r) for r in got] == [trimmed(r) for r in expected]
    numbers = [n for n, _v in xlsx.iter_rows(io.BytesIO(content))]
    assert numbers[0] == 1 and numbers[-1] == 6
    assert got[5][2] == datetime.datetime(2023, 3, 15)


def test_inline_strings_and_rich_text_and_bad_files():
    content = _workbook()
    src = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(
                    b'<c r="A2" t="inlineStr"><is><t>&#24352;&#19977;</t></is></c>',
                    b'<c r="A2" t="inlineStr"><is><r><t>W</t></r><r><t>u</t></r></is></c>',
                ).replace(
                    b'<c r="B2" t="inlineStr"><is><t>33990119850312001X</t></is></c>',
                    b'<c r="B2" t="s"><v>1</v></c>',
                )
            dst.writestr(item, data)
        dst.writestr(
            "xl/sharedStrings.xml",
            '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            "<si><t>x</t></si><si><r><t>共</t></r><r><t>享</t></r>"
            "<rPh><t>gong</t></rPh></si></sst>",
        )
    rows = dict(xlsx.iter_rows(io.BytesIO(out.getvalue())))
    assert rows[2][:2] == ("Wu", "共享")
    with pytest.raises(xlsx.XlsxError):
        list(xlsx.iter_rows(io.BytesIO(b"not a zip file")))
    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as dst:
        dst.writestr("xl/workbook.xml", "<workbook")
    with pytest.raises(xlsx.XlsxError):
        list(xlsx.iter_rows(io.BytesIO(broken.getvalue())))


def test_a_document_type_declaration_is_refused():
    """No DTD, so no entity expansion (billion laughs) or external entity through an upload."""
    content = _workbook()
    src = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(
                    b"<worksheet",
                    b'<!DOCTYPE w [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><worksheet',
                    1,
                )
            dst.writestr(item, data)
    with pytest.raises(xlsx.XlsxRefused, match="document type"):
        list(xlsx.iter_rows(io.BytesIO(out.getvalue())))
    return out.getvalue()


@pytest.mark.django_db
def test_the_importer_refuses_a_hostile_file_and_falls_back_on_an_unusual_one(
    county, users, monkeypatch
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from fengqiao.registry import importer

    gw = users["grid_worker"]
    hostile = test_a_document_type_declaration_is_refused()
    job = importer.start_import(gw, "people", SimpleUploadedFile("h.xlsx", hostile))
    assert job.state == "failed" and job.ok_rows == 0
    # A workbook the fast reader cannot read still imports, through openpyxl.
    from tests.registry import helpers
    from tests.registry.test_import_export import xlsx as sheet

    room = helpers.tree(county.grid_a, gw)

    def refuse(handle):
        raise xlsx.XlsxError("unusual workbook")
        yield  # pragma: no cover

    monkeypatch.setattr(xlsx, "iter_rows", refuse)
    job = importer.start_import(
        gw,
        "people",
        sheet([["李一", helpers.id_number(), "", "", "", "", room.code, ""]]),
        dry_run=False,
    )
    assert (job.state, job.ok_rows) == ("done", 1)
