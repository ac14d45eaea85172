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
from .dbrouting import replica_reads

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


# -- staff lists -----------------------------------------------------------------------------
UNMASK_PERM = "core.reveal_personal_data"


def cell_value(value, *, unmasked=False):
    """A value for a list export: personal data masked unless ``unmasked``; choices, dates and
    records as the text a reader sees."""
    if isinstance(value, pii.Sensitive):
        return value.clear if unmasked else value.masked
    if isinstance(value, (list, tuple)):  # several values in one cell (a dispute's parties)
        return "、".join(
            str(cell_value(v, unmasked=unmasked)) for v in value if v not in (None, "")
        )
    if value is None:
        return ""
    if isinstance(value, bool):
        return "✓" if value else ""
    if hasattr(value, "tzinfo") and hasattr(value, "hour"):
        from django.utils import timezone

        value = timezone.localtime(value) if value.tzinfo else value
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, (int, float)):
        return value
    return str(value)


def _resolve(row, path):
    value = row
    for part in path.split("."):
        value = getattr(value, part, None) if value is not None else None
        if callable(value) and not hasattr(value, "_meta"):
            value = value()
    return value


def personal(path, kind="free"):
    """An export column accessor for personal data kept in a plain column (a foreigner's name)
    or free text that may carry names and numbers (``kind="free"``, masked with
    ``pii.mask_text``): masked unless the export is unmasked, like an encrypted field."""

    def value(row):
        raw = path(row) if callable(path) else _resolve(row, path)
        if raw in (None, ""):
            return ""
        return raw if isinstance(raw, pii.Sensitive) else pii.Sensitive(str(raw), kind)

    return value


def percent(path, digits=0):
    """An export column accessor for a share or score (0.834) written as "83%", never a raw
    decimal (issue 16.9); empty for no value."""

    def value(row):
        raw = _resolve(row, path) if isinstance(path, str) else path(row)
        return as_percent(raw, digits)

    return value


def as_percent(raw, digits=0):
    if raw is None or raw == "":
        return ""
    try:
        return f"{float(raw) * 100:.{int(digits)}f}%"
    except (TypeError, ValueError):
        return ""


def unmask_request(request):
    """Whether an export asks for clear personal data: ``unmasked=1`` with a ``reason``
    (at least four characters) and the reveal permission; anything else is refused clearly."""
    from django.utils.translation import gettext as _

    from .errors import Forbidden, ServiceError

    params = request.POST if request.method == "POST" else request.GET
    if params.get("unmasked") not in ("1", "true", "on"):
        return False, ""
    if not request.user.has_perm(UNMASK_PERM):
        raise Forbidden(_("没有导出完整个人信息的权限"))
    reason = (params.get("reason") or "").strip()
    if len(reason) < 4:
        raise ServiceError(_("导出完整个人信息须填写原因（至少4个字）"), code="reason_required")
    return True, reason[:200]


def list_xlsx(request, rows, columns, *, kind, filename, sheet_title=None, limit=50_000):
    """Any staff list as an audited .xlsx: ``rows`` (a queryset or list, already scoped to the
    user) under ``columns`` = [(header, accessor)], where ``accessor`` is an attribute path
    (``"category.name"``) or a callable(row). Masked by default; ``?unmasked=1&reason=…`` with
    the reveal permission writes clear personal data and the audit row carries the reason."""
    unmasked, reason = unmask_request(request)
    header = [str(label) for label, _accessor in columns]

    def get(row, accessor):
        return accessor(row) if callable(accessor) else _resolve(row, accessor)

    def produce():
        for row in rows[:limit]:
            yield [cell_value(get(row, a), unmasked=unmasked) for _label, a in columns]

    extra = {"unmasked": unmasked}
    if unmasked:
        extra["reason"] = reason
    with replica_reads():  # the rows may come from the replica; the audit row goes to the primary
        return xlsx_response(
            filename,
            header,
            produce(),
            actor=request.user,
            kind=kind,
            sheet_title=sheet_title,
            **extra,
        )
