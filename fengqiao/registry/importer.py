"""Excel (xlsx) import of addresses, houses, people and units; xlsx export, masked by default.

Import
------
``start_import(actor, kind, upload, dry_run=True)`` stores the file and makes an
:class:`~fengqiao.registry.models.ImportJob`; small files run at once, large ones in the
background (``tasks.run_import`` on the database worker) while the page shows the progress.
``run_import(job)`` reads the sheet in a streaming way (openpyxl read-only), validates every row
with the same ``services.clean_*`` helpers the forms use, and

* reports every refused row with its row number, column and reason (``job.errors``), so nothing
  is lost silently: a row is imported whole or not at all;
* finds duplicates by the keyed hash of the ID number, against the database and inside the file;
* refuses addresses outside the importer's jurisdiction, labelled tags without the label;
* writes nothing on a dry run; otherwise inserts the good rows in batches (``core.bulk.insert``:
  ``COPY`` on PostgreSQL, ``bulk_create`` on SQLite; the encrypted fields and keyed hashes are
  filled by the fields themselves either way) and writes one audit row.

Export
------
``export_xlsx(actor, kind, clear=False, reason="")``: masked by default; the clear export needs
``registry.export_registry_clear`` and a reason and is audited; both are rate-limited per user.
Every text cell is neutralised against formula injection (``= + - @``, tab, CR → a leading ``'``).
"""

from __future__ import annotations

import io
import logging

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook, load_workbook

from fengqiao.core import audit, bulk, exports, pii
from fengqiao.core.errors import Forbidden, ServiceError
from fengqiao.core.throttle import Throttle

from . import services, xlsx
from .models import Address, House, ImportJob, Person, PersonTag, Unit

logger = logging.getLogger("fengqiao.registry")

INLINE_ROWS = 2000  # files up to this size import during the request
BATCH = 1000
MAX_ROWS = 200_000
MAX_ERRORS = 5000

# (key, header) per kind; the header row may use the Chinese header or the key.
COLUMNS = {
    "addresses": [
        ("code", gettext_lazy("地址编码")),
        ("name", gettext_lazy("名称")),
        ("level", gettext_lazy("层级")),
        ("parent_code", gettext_lazy("上级地址编码")),
        ("place_code", gettext_lazy("网格代码")),
        ("started_on", gettext_lazy("启用日期")),
        ("centre_lat", gettext_lazy("中心纬度")),
        ("centre_lng", gettext_lazy("中心经度")),
    ],
    "people": [
        ("name", gettext_lazy("姓名")),
        ("id_number", gettext_lazy("公民身份号码")),
        ("phone", gettext_lazy("联系电话")),
        ("birth_date", gettext_lazy("出生日期")),
        ("sex", gettext_lazy("性别")),
        ("residence", gettext_lazy("人口类型")),
        ("address_code", gettext_lazy("地址编码")),
        ("registered_address", gettext_lazy("户籍地址")),
        ("inflow_reason", gettext_lazy("流入原因")),
        ("inflow_date", gettext_lazy("流入日期")),
        ("intended_stay", gettext_lazy("拟居住期限")),
        ("tags", gettext_lazy("标签")),
        ("note", gettext_lazy("备注")),
    ],
    "houses": [
        ("address_code", gettext_lazy("地址编码")),
        ("use", gettext_lazy("用途")),
        ("ownership", gettext_lazy("产权性质")),
        ("structure", gettext_lazy("结构")),
        ("area", gettext_lazy("面积")),
        ("rooms", gettext_lazy("房间数")),
        ("owner_name", gettext_lazy("房主姓名")),
        ("manager_name", gettext_lazy("管理人")),
        ("is_rental", gettext_lazy("出租")),
        ("lease_filing_number", gettext_lazy("租赁备案号")),
        ("max_occupants", gettext_lazy("最多居住人数")),
        ("rent", gettext_lazy("月租金")),
        ("hazard", gettext_lazy("隐患等级")),
        ("pledge_signed", gettext_lazy("承诺书")),
    ],
    "units": [
        ("name", gettext_lazy("单位名称")),
        ("kind", gettext_lazy("类型")),
        ("address_code", gettext_lazy("地址编码")),
        ("licence_code", gettext_lazy("统一社会信用代码")),
        ("org_code", gettext_lazy("组织机构代码")),
        ("legal_representative", gettext_lazy("法定代表人")),
        ("staff_count", gettext_lazy("从业人数")),
        ("security_contact", gettext_lazy("治安负责人")),
        ("security_phone", gettext_lazy("负责人电话")),
        ("fire_level", gettext_lazy("消防等级")),
        ("protective_measures", gettext_lazy("技防物防措施")),
    ],
}
REQUIRED = {
    "addresses": ("name", "level"),
    "people": ("name", "address_code"),
    "houses": ("address_code",),
    "units": ("name", "address_code"),
}

EXPORT_LIMIT = Throttle("registry.export", limit=20, window=3600)
CLEAR_EXPORT_LIMIT = Throttle("registry.export.clear", limit=3, window=3600)


class RowError(Exception):
    def __init__(self, message, column=""):
        super().__init__(message)
        self.message, self.column = str(message), column


# -- starting and running -------------------------------------------------------------------------
def start_import(actor, kind, upload, *, dry_run=True):
    """Store the uploaded file and import it (now, or in the background when it is large)."""
    if not actor.has_perm("registry.import_registry"):
        raise Forbidden(_("您没有导入基础信息的权限"))
    if kind not in COLUMNS:
        raise ServiceError(_("导入类型不正确"), code="invalid_kind")
    name = getattr(upload, "name", "import.xlsx")
    if not name.lower().endswith(".xlsx"):
        raise ServiceError(_("请上传 .xlsx 格式的 Excel 文件"), code="invalid_file")
    content = upload.read()
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True)
        total = max(0, (workbook.active.max_row or 1) - 1)
        workbook.close()
    except Exception as exc:  # openpyxl raises many kinds on a broken file
        raise ServiceError(_("无法读取该 Excel 文件"), code="invalid_file") from exc
    if total > MAX_ROWS:
        raise ServiceError(_("一次最多导入 %(n)d 行") % {"n": MAX_ROWS}, code="too_many_rows")
    job = ImportJob.objects.create(
        kind=kind,
        dry_run=dry_run,
        filename=name[:200],
        total_rows=total,
        created_by=actor,
    )
    job.file.save(f"{job.pk}.xlsx", ContentFile(content), save=True)
    if total <= INLINE_ROWS:
        run_import(job.pk)
    else:
        from .tasks import run_import_task

        transaction.on_commit(lambda: run_import_task.enqueue(job.pk))
    job.refresh_from_db()
    return job


def run_import(job_id):
    """Import one job's file (idempotent: a job that is done or running is left alone)."""
    claimed = ImportJob.objects.filter(pk=job_id, state=ImportJob.State.QUEUED).update(
        state=ImportJob.State.RUNNING
    )
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    if not claimed:
        return job
    try:
        with job.file.open("rb") as handle:
            importer = Importer(job, handle)
            importer.run()
        job.state = ImportJob.State.DONE
    except ServiceError as exc:
        job.state, job.message = ImportJob.State.FAILED, exc.message
    except Exception:
        logger.exception("import %s failed", job.pk)
        job.state, job.message = ImportJob.State.FAILED, _("导入出错，请检查文件格式")
    job.finished_at = timezone.now()
    job.save()
    audit.record(
        "registry.import",
        user=job.created_by,
        target=job,
        result="success" if job.state == ImportJob.State.DONE else "failure",
        data={
            "kind": job.kind,
            "dry_run": job.dry_run,
            "rows": job.total_rows,
            "ok": job.ok_rows,
            "errors": job.error_rows,
        },
    )
    return job


class Importer:
    def __init__(self, job, handle):
        self.job = job
        self.actor = job.created_by
        self.kind = job.kind
        self.handle = handle
        self.errors = []
        self.ok = 0
        self.pending = []
        self.addresses = {}  # code → Address (or None: unknown)
        self.covered = {}  # place id → in the importer's jurisdiction
        self.places = {}  # place code → Place (addresses import)
        self.seen_ids = {}
        self.current_row = 0

    # -- reading --
    def _header(self, row):
        lookup = {}
        for key, header in COLUMNS[self.kind]:
            lookup[str(header)] = key
            lookup[key] = key
            with_star = f"{header}*"
            lookup[with_star] = key
        keys = []
        for cell in row:
            text = str(cell or "").strip().rstrip("*").strip()
            keys.append(lookup.get(text) or lookup.get(f"{text}*"))
        missing = [k for k in REQUIRED[self.kind] if k not in keys]
        if missing:
            labels = dict(COLUMNS[self.kind])
            raise ServiceError(
                _("表头缺少必填列：%(cols)s")
                % {"cols": "、".join(str(labels[k]) for k in missing)},
                code="missing_columns",
            )
        return keys

    def rows(self):
        """(row number, {key: value}) of every non-empty data row. The fast reader
        (``registry.xlsx``) first; openpyxl for a file it cannot read."""
        given = 0
        try:
            for item in self._rows(xlsx.iter_rows(self.handle)):
                given += 1
                yield item
            return
        except xlsx.XlsxError as exc:
            if given or isinstance(exc, xlsx.XlsxRefused):  # half-way, or a hostile file
                raise ServiceError(_("无法读取该 Excel 文件"), code="invalid_file") from exc
            logger.info("import %s: fast reader refused the file (%s); openpyxl", self.job.pk, exc)
        self.handle.seek(0)
        workbook = load_workbook(self.handle, read_only=True, data_only=True)
        rows = enumerate(workbook.active.iter_rows(values_only=True), start=1)
        try:
            yield from self._rows(rows)
        finally:
            workbook.close()

    def _rows(self, rows):
        keys = None
        for number, values in rows:
            if keys is None:
                keys = self._header(values or ())
                continue
            if not any(v not in (None, "") for v in values):
                continue
            yield number, {k: v for k, v in zip(keys, values, strict=False) if k}
        if keys is None:
            self._header(())

    def run(self):
        """Validate and import the rows a chunk (``BATCH`` rows) at a time: the addresses a chunk
        names are fetched in one query first, so no row costs a query of its own."""
        handler = getattr(self, f"row_{self.kind}")
        done = 0
        chunk = []
        for item in self.rows():
            chunk.append(item)
            if len(chunk) >= BATCH:
                done = self._run_chunk(handler, chunk, done)
                chunk = []
        if chunk:
            done = self._run_chunk(handler, chunk, done)
        self.flush()
        self.errors.sort(key=lambda e: e["row"])
        self.job.done_rows = done
        self.job.total_rows = max(self.job.total_rows, done)
        self.job.ok_rows = self.ok
        self.job.error_rows = len(self.errors)
        self.job.errors = self.errors[:MAX_ERRORS]

    def _run_chunk(self, handler, chunk, done):
        self._prefetch_addresses(chunk)
        for number, row in chunk:
            self.current_row = number
            try:
                handler(row)
            except RowError as exc:
                self.error(number, exc.column, exc.message)
            except ServiceError as exc:
                self.error(number, exc.details.get("field", ""), exc.message)
            else:
                self.ok += 1
            done += 1
            if len(self.pending) >= BATCH:
                self.flush()
        ImportJob.objects.filter(pk=self.job.pk).update(
            done_rows=done, ok_rows=self.ok, error_rows=len(self.errors)
        )
        return done

    def _prefetch_addresses(self, chunk):
        """Load every address code the chunk names that is not known yet, in one query."""
        key = "parent_code" if self.kind == "addresses" else "address_code"
        codes = {str(row.get(key) or "").strip() for _number, row in chunk} - {""}
        codes.difference_update(self.addresses)
        if not codes:
            return
        for address in Address.objects.select_related("place").filter(code__in=codes):
            self.addresses[address.code] = address
            codes.discard(address.code)
        # Unknown codes stay unknown for this chunk; an address the file itself creates
        # (addresses import) replaces the entry when its row is imported.
        for code in codes:
            self.addresses[code] = None

    def error(self, number, column, message):
        labels = dict(COLUMNS[self.kind])
        self.errors.append(
            {
                "row": number,
                "column": str(labels.get(column, column or "")),
                "message": str(message),
            }
        )

    # -- shared lookups --
    def address(self, code):
        code = str(code or "").strip()
        if not code:
            raise RowError(_("请填写地址编码"), "address_code")
        if code not in self.addresses:
            self.addresses[code] = Address.objects.select_related("place").filter(code=code).first()
        address = self.addresses[code]
        if address is None:
            raise RowError(_("地址编码 %(code)s 不存在") % {"code": code}, "address_code")
        covered = self.covered.get(address.place_id)
        if covered is None:
            covered = self.covered[address.place_id] = self.actor.covers(address.place)
        if not covered:
            raise RowError(_("地址 %(code)s 不在您的辖区内") % {"code": code}, "address_code")
        if not address.in_use:
            raise RowError(_("地址 %(code)s 已停用") % {"code": code}, "address_code")
        return address

    def _drop_registered(self):
        """People whose ID number is already registered: one query per batch, not per row."""
        digests = {
            obj._id_digest: obj
            for obj, _tags in self.pending
            if isinstance(obj, Person) and getattr(obj, "_id_digest", None)
        }
        if not digests:
            return
        taken = set(
            Person.objects.filter(id_hash__in=list(digests)).values_list("id_hash", flat=True)
        )
        if not taken:
            return
        dropped = {id(digests[d]) for d in taken}
        for digest in taken:
            obj = digests[digest]
            self.error(obj._import_row, "id_number", _("该公民身份号码已登记"))
        self.ok -= len(dropped)
        self.pending = [(o, t) for o, t in self.pending if id(o) not in dropped]

    def flush(self):
        self._drop_registered()
        if not self.pending:
            return
        if not self.job.dry_run:
            with transaction.atomic():
                objects = [obj for obj, _tags in self.pending]
                for obj in objects:
                    obj.place_path = obj.place.path
                bulk.insert(objects, batch_size=BATCH)
                tags = [
                    PersonTag(person=obj, code=code, created_by=self.actor)
                    for obj, codes in self.pending
                    for code in codes
                ]
                if tags:
                    bulk.insert(tags, batch_size=BATCH)
        self.pending = []

    # -- one row per kind --
    def row_people(self, row):
        address = self.address(row.get("address_code"))
        fields = services.clean_person(row)
        codes = []
        for code in str(row.get("tags") or "").replace("，", ",").replace("、", ",").split(","):
            if code.strip():
                code = services.clean_choice(code.strip(), PersonTag.Code, field=_("标签"))
                if not services.tag_allowed(self.actor, code):
                    raise RowError(
                        _("您没有“%(tag)s”标签的权限") % {"tag": PersonTag.Code(code).label},
                        "tags",
                    )
                codes.append(code)
        digest = None
        if fields.get("id_number"):
            digest = pii.blind_index(fields["id_number"], "id_number")
            seen = self.seen_ids
            if digest in seen:
                raise RowError(
                    _("与第 %(row)s 行的公民身份号码重复") % {"row": seen[digest]}, "id_number"
                )
            seen[digest] = self.current_row
        person = Person(address=address, place=address.place, **fields)
        person._import_row = self.current_row
        person._id_digest = digest  # the duplicate check per batch reuses it
        self.pending.append((person, codes))

    def row_houses(self, row):
        address = self.address(row.get("address_code"))
        house = House(address=address, place=address.place, **services.clean_house(row))
        self.pending.append((house, ()))

    def row_units(self, row):
        address = self.address(row.get("address_code"))
        unit = Unit(address=address, place=address.place, **services.clean_unit(row))
        self.pending.append((unit, ()))

    def row_addresses(self, row):
        level = services.clean_choice(row.get("level"), _LevelChoices, field=_("层级"))
        parent_code = str(row.get("parent_code") or "").strip()
        parent = self.address(parent_code) if parent_code else None
        place = None
        if parent is None:
            from fengqiao.org.models import Place

            place_code = str(row.get("place_code") or "").strip()
            if place_code and place_code not in self.places:
                self.places[place_code] = Place.objects.filter(code=place_code).first()
            place = self.places.get(place_code) if place_code else None
            if place is None:
                raise RowError(_("请填写上级地址编码或网格代码"), "place_code")
        if self.job.dry_run:
            # Validate without writing; children in the same file see a stand-in parent.
            if parent is not None and int(level) <= parent.level:
                raise RowError(_("下级地址的层级必须低于上级"), "level")
            if place is not None:
                services._check_place(self.actor, place)
            services.clean_text(row.get("name"), field=_("名称"), required=True, max_length=100)
            code = str(row.get("code") or "").strip()
            if code:
                known = self.addresses.get(code) is not None
                if known or Address.objects.filter(code=code).exists():
                    raise RowError(_("地址编码 %(code)s 已存在") % {"code": code}, "code")
                self.addresses[code] = Address(
                    code=code,
                    level=int(level),
                    place=parent.place if parent else place,
                    in_use=True,
                )
            return
        try:
            with transaction.atomic():
                address = services.create_address(
                    self.actor,
                    name=row.get("name"),
                    level=level,
                    place=place,
                    parent=parent,
                    code=str(row.get("code") or "").strip(),
                    centre_lat=row.get("centre_lat"),
                    centre_lng=row.get("centre_lng"),
                    started_on=row.get("started_on"),
                )
        except Forbidden as exc:
            raise RowError(exc.message, "place_code") from None
        self.addresses[address.code] = address


class _LevelChoices:
    """Address levels by number or by their Chinese label (for spreadsheets)."""

    values = [str(v) for v in Address.Level.values]
    choices = [(str(v), label) for v, label in Address.Level.choices]


# -- the report as a workbook ---------------------------------------------------------------------
def error_report(job) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(str(_("导入问题")))
    sheet.append([str(_("行号")), str(_("列")), str(_("原因"))])
    for item in job.errors:
        sheet.append([item["row"], neutralise(item["column"]), neutralise(item["message"])])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def template(kind) -> bytes:
    """An empty workbook with the header row of ``kind``."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(str(dict(ImportJob.Kind.choices)[kind]))
    sheet.append([str(header) for _key, header in COLUMNS[kind]])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# -- export ---------------------------------------------------------------------------------------
def neutralise(value):
    """A cell value that a spreadsheet will never run as a formula (``core.exports``)."""
    return exports.safe_cell(value)


def _person_row(p, clear):
    def show(value):
        return pii.clear_value(value) if clear else str(value)

    return [
        p.name if clear else pii.mask_name(p.name),
        show(p.id_number),
        show(p.phone),
        p.birth_date,
        p.get_sex_display(),
        p.get_residence_display(),
        p.address.code,
        p.address.full_name,
        p.registered_address,
        p.inflow_reason,
        p.inflow_date,
        p.intended_stay,
        "",
        p.note,
    ]


def export_xlsx(actor, kind, *, clear=False, reason="", place=None):
    """An xlsx of every ``kind`` record in the actor's scope. Masked unless ``clear``."""
    if not actor.has_perm("registry.export_registry"):
        raise Forbidden(_("您没有导出基础信息的权限"))
    if kind not in COLUMNS:
        raise ServiceError(_("导出类型不正确"), code="invalid_kind")
    reason = (reason or "").strip()
    if clear:
        if not actor.has_perm("registry.export_registry_clear"):
            audit.record(
                "registry.export",
                user=actor,
                result="denied",
                data={"kind": kind, "clear": True},
            )
            raise Forbidden(_("您没有导出完整个人信息的权限"))
        if len(reason) < 4:
            raise ServiceError(_("请填写导出原因（至少4个字）"), code="reason_required")
        CLEAR_EXPORT_LIMIT.consume(f"user:{actor.pk}")
    EXPORT_LIMIT.consume(f"user:{actor.pk}")
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(str(dict(ImportJob.Kind.choices)[kind]))
    count = 0
    if kind == "people":
        sheet.append(
            [str(h) for _k, h in COLUMNS["people"][:7]]
            + [str(_("完整地址"))]
            + [str(h) for _k, h in COLUMNS["people"][7:]]
        )
        rows = Person.objects.restrict(actor).select_related("address").order_by("id")
        if place is not None:
            rows = rows.filter(place_path__startswith=place.path)
        visible = set(services.visible_tag_codes(actor))
        tags = {}
        for person_id, code in PersonTag.objects.filter(person__in=rows).values_list(
            "person_id", "code"
        ):
            if code in visible:
                tags.setdefault(person_id, []).append(str(PersonTag.Code(code).label))
        for p in rows.iterator(chunk_size=2000):
            values = _person_row(p, clear)
            values[12] = "、".join(tags.get(p.pk, []))
            sheet.append([neutralise(v) for v in values])
            count += 1
    else:
        sheet.append([str(h) for _k, h in COLUMNS[kind]])
        count = _export_other(actor, kind, sheet, clear)
    out = io.BytesIO()
    workbook.save(out)
    audit.record(
        "registry.export",
        user=actor,
        data={"kind": kind, "clear": clear, "reason": reason, "rows": count},
    )
    return out.getvalue()


def _export_other(actor, kind, sheet, clear):
    def show(value):
        return pii.clear_value(value) if clear else str(value)

    count = 0
    if kind == "addresses":
        rows = Address.objects.restrict(actor).select_related("parent", "place").order_by("id")
        for a in rows.iterator(chunk_size=2000):
            sheet.append(
                [
                    neutralise(v)
                    for v in (
                        a.code,
                        a.name,
                        a.get_level_display(),
                        a.parent.code if a.parent_id else "",
                        a.place.code,
                        a.started_on,
                        a.centre_lat,
                        a.centre_lng,
                    )
                ]
            )
            count += 1
    elif kind == "houses":
        rows = House.objects.restrict(actor).select_related("address").order_by("id")
        for h in rows.iterator(chunk_size=2000):
            sheet.append(
                [
                    neutralise(v)
                    for v in (
                        h.address.code,
                        h.get_use_display(),
                        h.get_ownership_display(),
                        h.get_structure_display(),
                        h.area,
                        h.rooms,
                        show(h.owner_name),
                        show(h.manager_name),
                        _("是") if h.is_rental else _("否"),
                        h.lease_filing_number,
                        h.max_occupants,
                        h.rent,
                        h.get_hazard_display(),
                        _("是") if h.pledge_signed else _("否"),
                    )
                ]
            )
            count += 1
    else:
        rows = Unit.objects.restrict(actor).select_related("address").order_by("id")
        for u in rows.iterator(chunk_size=2000):
            sheet.append(
                [
                    neutralise(v)
                    for v in (
                        u.name,
                        u.get_kind_display(),
                        u.address.code,
                        u.licence_code,
                        u.org_code,
                        show(u.legal_representative),
                        u.staff_count,
                        show(u.security_contact),
                        show(u.security_phone),
                        u.get_fire_level_display(),
                        u.protective_measures,
                    )
                ]
            )
            count += 1
    return count
