"""Spreadsheet and CSV exports: one place that neutralises formulas and audits every export.

A cell that starts with ``= + - @``, a tab or a carriage return (also after leading blanks) would
be run by Excel/WPS as a formula (``=HYPERLINK(...)``, DDE); it is written as text with a leading
``'``. Personal values (``pii.Sensitive``) are written masked. Every export writes an audit row
(``<kind>.export`` with the row count and format).
"""

import csv
import io

from django.http import HttpResponse

from . import audit, pii

DANGEROUS = ("=", "+", "-", "@", "\t", "\r", "\n")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_cell(value):
    """A cell value a spreadsheet never runs as a formula; masked if it is personal data."""
    if isinstance(value, pii.Sensitive):
        value = str(value)
    if isinstance(value, str):
        value = value.replace("\x00", "")
        if value.lstrip(" \u3000").startswith(DANGEROUS):
            return "'" + value
    return value


def safe_row(values):
    return [safe_cell(v) for v in values]


def audit_export(actor, kind, *, rows, fmt, **data):
    return audit.record(f"{kind}.export", user=actor, data={"rows": rows, "format": fmt, **data})


def xlsx_response(filename, header, rows, *, actor, kind, sheet_title=None, **data):
    """An audited .xlsx download of ``rows`` under ``header``; every cell neutralised."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    if sheet_title:
        sheet.title = sheet_title[:31]
    sheet.append(safe_row(header))
    count = 0
    for row in rows:
        sheet.append(safe_row(row))
        count += 1
    response = HttpResponse(content_type=XLSX_TYPE)
    workbook.save(response)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    audit_export(actor, kind, rows=count, fmt="xlsx", **data)
    return response


def csv_text(header, rows):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(safe_row(header))
    for row in rows:
        writer.writerow(safe_row(row))
    return out.getvalue()


def csv_response(filename, header, rows, *, actor, kind, **data):
    rows = list(rows)
    body = "\ufeff" + csv_text(header, rows)  # BOM: Excel opens UTF-8 Chinese correctly
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    audit_export(actor, kind, rows=len(rows), fmt="csv", **data)
    return response
