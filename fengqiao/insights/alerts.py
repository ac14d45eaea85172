"""110 / 12345 alerts (警情) from a CSV or xlsx file: validated row by row, duplicates ignored.

Columns (the header row may use the Chinese header or the key; extra columns are ignored):

* 报警时间 ``time`` (required): ``2026-03-01 08:15``, ``2026/3/1 8:15``, ISO, or an Excel date;
  not in the future;
* 警情类别 ``category`` (required, ≤ 60 characters), e.g. 刑事、治安、交通、火灾、纠纷、求助;
* 地点 ``place`` (required): the code or the exact name of a place inside the import's place;
* 警情编号 ``number``, 地址 ``address``, 简要情况 ``summary`` (optional).

A row is imported whole or refused with its row number, column and reason. A row already imported
(same source and number; without a number, same source, time, category, place and address) — in
the database or earlier in the same file — is counted as a duplicate and skipped, so importing the
same export twice changes nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import UTC, datetime

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from fengqiao.core import audit
from fengqiao.core.errors import Forbidden, ServiceError
from fengqiao.org.models import Place

from .models import Alert, AlertImport

MAX_ROWS = 50_000
MAX_BYTES = 20 * 1024 * 1024
MAX_ERRORS = 500
BATCH = 1000

COLUMNS = (
    ("time", gettext_noop("报警时间")),
    ("category", gettext_noop("警情类别")),
    ("place", gettext_noop("地点")),
    ("number", gettext_noop("警情编号")),
    ("address", gettext_noop("地址")),
    ("summary", gettext_noop("简要情况")),
)
REQUIRED = ("time", "category", "place")
TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M")


class RowError(Exception):
    def __init__(self, column, message):
        super().__init__(message)
        self.column, self.message = column, str(message)


def import_alerts(actor, *, place, source, upload):
    """Import ``upload`` (CSV or xlsx) as ``source`` alerts of ``place`` (inside the actor's
    jurisdiction). Returns the :class:`AlertImport` with its counts and refused rows."""
    if not actor.has_perm("insights.import_alerts"):
        raise Forbidden(_("您没有导入警情的权限"))
    if not actor.covers(place):
        raise Forbidden(_("“%(place)s”不在您的辖区内") % {"place": place.name})
    if source not in AlertImport.Source.values:
        raise ServiceError(
            _("请选择警情来源（110或12345）"), code="invalid", details={"field": "source"}
        )
    name = (getattr(upload, "name", "") or "alerts.csv")[:200]
    content = upload.read()
    if len(content) > MAX_BYTES:
        raise ServiceError(_("文件过大（最大20MB）"), code="invalid_file")
    rows = _read(name, content)
    places = _places(place)
    with transaction.atomic():
        batch = AlertImport.objects.create(
            place=place, source=source, filename=name, created_by=actor
        )
        _run(batch, rows, places)
        batch.save()
    audit.record(
        "insights.alert_import",
        user=actor,
        target=batch,
        data={
            "source": source,
            "rows": batch.total_rows,
            "created": batch.created_rows,
            "duplicates": batch.duplicate_rows,
            "errors": batch.error_rows,
        },
    )
    return batch


# -- reading ------------------------------------------------------------------------------------
def _read(name, content):
    """[(row number, {key: value})] from a CSV (UTF-8, UTF-8 with BOM or GB18030) or xlsx."""
    if name.lower().endswith(".xlsx"):
        table = _xlsx_rows(content)
    elif name.lower().endswith(".csv"):
        table = _csv_rows(content)
    else:
        raise ServiceError(_("请上传 .csv 或 .xlsx 文件"), code="invalid_file")
    header = next(table, None)
    if header is None:
        raise ServiceError(_("文件是空的"), code="invalid_file")
    keys = _header(header)
    rows = []
    for number, values in enumerate(table, start=2):
        if not any(v not in (None, "") and str(v).strip() for v in values):
            continue
        if len(rows) >= MAX_ROWS:
            raise ServiceError(_("一次最多导入 %(n)d 行") % {"n": MAX_ROWS}, code="too_many_rows")
        rows.append((number, {k: v for k, v in zip(keys, values, strict=False) if k}))
    return rows


def _csv_rows(content):
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise ServiceError(_("无法识别文件编码"), code="invalid_file")
    return iter(csv.reader(io.StringIO(text)))


def _xlsx_rows(content):
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        rows = list(workbook.active.iter_rows(values_only=True))
        workbook.close()
    except Exception as exc:  # openpyxl raises many kinds on a broken file
        raise ServiceError(_("无法读取该 Excel 文件"), code="invalid_file") from exc
    return iter(rows)


def _header(row):
    lookup = {}
    for key, label in COLUMNS:  # the key, the Chinese header or its translation
        lookup[key] = key
        lookup[label] = key
        lookup[_(label)] = key
    keys = [lookup.get(str(cell or "").strip().rstrip("*").strip()) for cell in row]
    missing = [k for k in REQUIRED if k not in keys]
    if missing:
        labels = dict(COLUMNS)
        raise ServiceError(
            _("表头缺少必填列：%(cols)s") % {"cols": "、".join(_(labels[k]) for k in missing)},
            code="missing_columns",
        )
    return keys


def _places(root):
    """Code → place and name → [places] of ``root``'s subtree (itself included)."""
    by_code, by_name = {}, {}
    for p in Place.objects.filter(path__startswith=root.path).only("pk", "code", "name", "path"):
        by_code[p.code] = p
        by_name.setdefault(p.name, []).append(p)
    return by_code, by_name


# -- validating and writing ---------------------------------------------------------------------
def _run(batch, rows, places):
    by_code, by_name = places
    labels = dict(COLUMNS)
    now = timezone.now()
    good, seen, errors = [], set(), []
    duplicates = 0
    for number, row in rows:
        try:
            alert = _alert(batch, row, by_code, by_name, now)
        except RowError as exc:
            errors.append({"row": number, "column": _(labels[exc.column]), "message": exc.message})
            continue
        if alert.fingerprint in seen:
            duplicates += 1
            continue
        seen.add(alert.fingerprint)
        good.append(alert)
    existing = set()
    for i in range(0, len(good), BATCH):
        chunk = [a.fingerprint for a in good[i : i + BATCH]]
        existing.update(
            Alert.objects.filter(fingerprint__in=chunk).values_list("fingerprint", flat=True)
        )
    new = [a for a in good if a.fingerprint not in existing]
    Alert.objects.bulk_create(new, batch_size=BATCH)
    batch.total_rows = len(rows)
    batch.created_rows = len(new)
    batch.duplicate_rows = duplicates + len(good) - len(new)
    batch.error_rows = len(errors)
    batch.errors = errors[:MAX_ERRORS]


def _text(row, key, max_length, *, required=False):
    value = row.get(key)
    value = "" if value is None else str(value).strip()
    if required and not value:
        raise RowError(key, _("必填"))
    if len(value) > max_length:
        raise RowError(key, _("不能超过%(n)d个字符") % {"n": max_length})
    return value


def _time(row, now):
    value = row.get("time")
    if isinstance(value, datetime):
        moment = value
    else:
        text = "" if value is None else str(value).strip()
        if not text:
            raise RowError("time", _("必填"))
        moment = None
        for fmt in TIME_FORMATS:
            try:
                moment = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        if moment is None:
            try:
                moment = parse_datetime(text)
            except ValueError:
                moment = None
        if moment is None:
            raise RowError("time", _("时间格式不正确（如 2026-03-01 08:15）"))
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_current_timezone())
    if moment > now:
        raise RowError("time", _("报警时间不能晚于现在"))
    return moment


def _place(row, by_code, by_name):
    text = _text(row, "place", 100, required=True)
    if text in by_code:
        return by_code[text]
    found = by_name.get(text, [])
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise RowError("place", _("地点“%(name)s”有重名，请填写区划代码") % {"name": text})
    raise RowError("place", _("地点“%(name)s”不在本次导入的区划内") % {"name": text})


def _alert(batch, row, by_code, by_name, now):
    occurred = _time(row, now)
    category = _text(row, "category", 60, required=True)
    place = _place(row, by_code, by_name)
    number = _text(row, "number", 40)
    address = _text(row, "address", 200)
    summary = _text(row, "summary", 2000)
    key = (
        f"{batch.source}|n|{number}"
        if number
        else f"{batch.source}|{occurred.astimezone(UTC).isoformat()}|{category}|{place.code}|{address}"
    )
    return Alert(
        place=place,
        place_path=place.path,
        source=batch.source,
        number=number,
        occurred_at=occurred,
        category=category,
        address=address,
        summary=summary,
        batch=batch,
        fingerprint=hashlib.sha256(key.encode()).hexdigest(),
    )


def template_csv() -> bytes:
    """An empty CSV with the header row (UTF-8 with BOM, so Excel opens it in Chinese)."""
    out = io.StringIO()
    csv.writer(out).writerow([label for _k, label in COLUMNS])
    return out.getvalue().encode("utf-8-sig")
