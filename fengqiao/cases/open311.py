"""Open311 GeoReport v2 at /open311/v2/ (this module is the URL conf; plain Django views).

* discovery, services (from the leaf categories), service definitions, POST requests (api_key from
  ``fengqiao apikey create``, form-encoded or multipart with photos), GET requests with the spec's
  filters, GET one request, tokens — each in ``.json`` and ``.xml``;
* mySociety's updates extension: GET and POST ``servicerequestupdates``;
* errors exactly as the spec says: an array of ``{code, description}`` in the format the path asks
  for (JSON for an unknown extension), for every path under /open311/ — never Django's HTML page,
  never a 500 for anything a client can send.

Every string that comes in is cleaned of the characters XML 1.0 forbids, and every string that goes
out is cleaned again, so every XML answer parses. Error descriptions never repeat the client's input.

A POST is a report through a public channel (like the QR page): the key admits the client, the
report is the resident's. Retries are safe with ``client_id`` (or an ``Idempotency-Key`` header).

Reading: without a key, only requests that came in through Open311 are listed, and never personal
data; with a key whose account has a place-scoped role, the requests in its jurisdiction.
See docs/open311.md for every field and every remaining deviation from the spec.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
import uuid
import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import (
    BadRequest,
    RequestDataTooBig,
    SuspiciousOperation,
    ValidationError,
)
from django.core.files.base import ContentFile
from django.core.validators import validate_email
from django.db import InterfaceError, OperationalError
from django.db.models import Count, Max, Q
from django.http import FileResponse, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.urls import re_path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from fengqiao.core import pii
from fengqiao.core.errors import ServiceError
from fengqiao.core.models import Attachment, TimelineEntry
from fengqiao.core.services import authenticate_api_key
from fengqiao.core.workflow import locked
from fengqiao.org.models import Place

from . import conf, services, triage, uploads
from .models import Case, PendingReport, Urgency
from .workflow import PUBLIC_TRANSITIONS

app_name = "open311"
log = logging.getLogger("fengqiao.open311")

SPEC = "http://wiki.open311.org/GeoReport_v2"
MAX_RESULTS = 1000
MAX_WINDOW = timedelta(days=90)
MAX_MEDIA_URLS = 10
MAX_ID = 2**63 - 1
ID_RE = re.compile(r"^[0-9]{1,19}$")
CODE_RE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
ATTRIBUTE_RE = re.compile(r"^attribute\[([A-Za-z0-9_-]{1,40})\](?:\[\])?$")
# XML 1.0 forbids these code points anywhere in a document (and lone surrogates cannot be encoded).
XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


class Open311Error(Exception):
    def __init__(self, status, description):
        super().__init__(description)
        self.status = status
        self.description = str(description)


def xml_safe(value) -> str:
    """The text without the code points XML 1.0 forbids."""
    return XML_FORBIDDEN.sub("", str(value))


def _clean_out(value):
    if isinstance(value, dict):
        return {k: _clean_out(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean_out(v) for v in value]
    if isinstance(value, str):
        return xml_safe(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


# -- rendering ---------------------------------------------------------------------------------
SINGULAR = {
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}


def _xml_value(parent, key, value):
    node = ET.SubElement(parent, key)
    if isinstance(value, dict):
        _dict_into(node, value)
    elif isinstance(value, list):
        for item in value:
            _xml_value(node, SINGULAR.get(key, "item"), item)
    elif value is None:
        pass
    elif isinstance(value, bool):
        node.text = "true" if value else "false"
    else:
        node.text = str(value)
    return node


def _dict_into(node, data):
    for key, value in data.items():
        _xml_value(node, key, value)


def render(fmt, data, *, root=None, item=None, status=200):
    data = _clean_out(data)
    if fmt == "xml":
        top = ET.Element(root)
        if isinstance(data, list):
            for entry in data:
                _dict_into(ET.SubElement(top, item), entry)
        else:
            _dict_into(top, data)
        body = b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(top, encoding="utf-8")
        return HttpResponse(body, status=status, content_type="text/xml; charset=utf-8")
    return HttpResponse(
        json.dumps(data, ensure_ascii=False).encode("utf-8"),
        status=status,
        content_type="application/json; charset=utf-8",
    )


def error(fmt, status, description):
    fmt = "xml" if fmt == "xml" else "json"
    return render(
        fmt,
        [{"code": status, "description": str(description)}],
        root="errors",
        item="error",
        status=status,
    )


def fmt_of_path(path) -> str:
    """The format a path asks for: XML for ``.xml`` (any case), otherwise JSON."""
    return "xml" if str(path).lower().rstrip("/").endswith(".xml") else "json"


def error_for_request(request, status, description=None):
    """For the project's 400/404/500 handlers: an Open311 error for any path under /open311/."""
    texts = {
        400: _("请求有误"),
        403: _("没有权限"),
        404: _("没有这个 Open311 接口"),
        413: _("请求过大"),
        500: _("服务器内部错误，已记录"),
    }
    return error(fmt_of_path(request.path), status, description or texts.get(status, ""))


def open311_view(methods=("GET",)):
    """Wrap a view: method check, jurisdiction check, every refusal in Open311 error format."""
    allowed = set(methods) | ({"HEAD"} if "GET" in methods else set())

    def wrap(fn):
        @csrf_exempt
        def view(request, fmt="json", **kwargs):
            fmt = fmt.lower()
            try:
                if request.method not in allowed:
                    response = error(fmt, 405, _("不支持的请求方法"))
                    response["Allow"] = ", ".join(sorted(allowed))
                    return response
                _check_jurisdiction(request)
                return fn(request, fmt, **kwargs)
            except Open311Error as exc:
                return error(fmt, exc.status, exc.description)
            except ServiceError as exc:
                status = exc.status if exc.status in (403, 404, 409) else 400
                return error(fmt, status, exc.message)
            except RequestDataTooBig:
                return error(fmt, 413, _("请求过大"))
            except (SuspiciousOperation, MultiPartParserError, BadRequest):
                return error(fmt, 400, _("请求格式不正确"))
            except (UnicodeError, LookupError):
                return error(fmt, 400, _("请求的字符编码不正确，请使用 UTF-8"))
            except (OperationalError, InterfaceError):  # the database went away: try later
                log.warning("open311: database unavailable", exc_info=True)
                response = error(
                    fmt, 503, _("数据库连接暂时中断，请稍后再试。已保存的内容不会丢失。")
                )
                response["Retry-After"] = "30"
                return response
            except Exception:  # noqa: BLE001 — a bug still answers in Open311 format (and is logged)
                log.exception("open311: unexpected error")
                return error(fmt, 500, _("服务器内部错误，已记录"))

        view.__name__ = fn.__name__
        return view

    return wrap


def _w3c(value):
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


# -- parameters --------------------------------------------------------------------------------
def _values(query, name):
    return [xml_safe(v).strip() for v in query.getlist(name)]


def _one(query, name):
    """A single-valued parameter; given more than once with different values is a 400."""
    values = {v for v in _values(query, name) if v}
    if len(values) > 1:
        raise Open311Error(400, _("参数 %(n)s 只能给一个值") % {"n": name})
    return values.pop() if values else ""


def _list(query, name):
    """A list parameter: comma-separated and/or repeated (``a,b`` or ``?x=a&x=b``)."""
    return [part.strip() for v in _values(query, name) for part in v.split(",") if part.strip()]


def _params(request):
    return request.POST if request.method == "POST" else request.GET


def _check_jurisdiction(request):
    given = _one(_params(request), "jurisdiction_id")
    configured = conf.open311_jurisdiction()
    if given and configured and given != configured:
        raise Open311Error(404, _("未知的 jurisdiction_id"))


def api_key_of(request):
    """The key from the body, the ``X-Api-Key`` header or ``Authorization: Bearer`` (or, as the spec
    allows, the query string — filtered out of every log)."""
    key = _one(request.POST, "api_key") if request.method == "POST" else ""
    key = key or xml_safe(request.headers.get("X-Api-Key", "")).strip()
    auth = xml_safe(request.headers.get("Authorization", ""))
    if not key and auth.lower().startswith("bearer "):
        key = auth[7:].strip()
    return key or _one(request.GET, "api_key")


def _key(request, *, required=False):
    key = api_key_of(request)
    if not key:
        if required:
            raise Open311Error(403, _("缺少 api_key"))
        return None
    api_key = authenticate_api_key(key)
    if api_key is None:
        raise Open311Error(403, _("api_key 无效"))
    return api_key


def _float(value, name, low, high):
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except ValueError:
        raise Open311Error(400, _("%(n)s 不是数字") % {"n": name}) from None
    if not math.isfinite(number) or not low <= number <= high:
        raise Open311Error(400, _("%(n)s 超出范围") % {"n": name})
    return number


def parse_w3c(value, name, *, end=False):
    """A W3C date-time (``2026-11-01T08:00:00+08:00``, ``…Z``, no zone = local) or a date-only
    ``2026-11-01`` (the start of that day; for an end date, the end of it)."""
    if not value:
        return None
    text = value.strip().replace(" ", "+")
    parsed = None
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            day = date.fromisoformat(text)
            parsed = datetime.combine(day + timedelta(days=1) if end else day, datetime.min.time())
            if end:
                parsed -= timedelta(microseconds=1)
        elif re.fullmatch(
            r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?", text
        ):
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, OverflowError):
        parsed = None
    if parsed is None:
        raise Open311Error(400, _("%(n)s 不是 W3C 日期时间格式") % {"n": name})
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def window(query):
    """(start, end) of a listing: the spec's 90-day window (default: the last 90 days)."""
    start = parse_w3c(_one(query, "start_date"), "start_date")
    end = parse_w3c(_one(query, "end_date"), "end_date", end=True)
    if start and end:
        if end < start:
            raise Open311Error(400, _("end_date 早于 start_date"))
        if end - start > MAX_WINDOW + timedelta(days=1):
            raise Open311Error(400, _("start_date 与 end_date 相隔不能超过 90 天"))
    elif start:
        end = start + MAX_WINDOW
    elif end:
        start = end - MAX_WINDOW
    else:
        end = timezone.now()
        start = end - MAX_WINDOW
    return start, end


def _ids(values, name):
    ids = []
    for value in values:
        if not ID_RE.match(value) or int(value) > MAX_ID:
            raise Open311Error(400, _("%(n)s 格式不正确") % {"n": name})
        ids.append(int(value))
    return ids


# -- discovery and services --------------------------------------------------------------------
@open311_view()
def discovery(request, fmt):
    base = request.build_absolute_uri(reverse("open311:discovery", args=["json"]))
    base = base.rsplit("/", 1)[0] + "/"
    stamp = changeset()
    data = {
        "changeset": stamp,
        "contact": _("枫桥基层治理平台 · 社会治理中心"),
        "key_service": _("接口密钥由平台管理员通过 fengqiao apikey create 签发"),
        "endpoints": [
            {
                "specification": SPEC,
                "url": base,
                "changeset": stamp,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return render(fmt, data, root="discovery")


def _catalogue():
    return sorted(services.leaf_categories(), key=lambda c: (c.sort, c.code))


def changeset():
    """When the services or their definitions last changed: the first time this exact catalogue
    (services, attributes, grids) was seen. Sortable W3C date-time."""
    from .models import Open311Changeset

    grids = Place.objects.filter(level=Place.Level.GRID).aggregate(n=Count("id"), top=Max("id"))
    content = json.dumps(
        [[_service(c), _attributes(c)] for c in _catalogue()] + [grids], sort_keys=True, default=str
    )
    digest = hashlib.sha256(content.encode()).hexdigest()
    row, _created = Open311Changeset.objects.get_or_create(signature=digest)
    return _w3c(row.seen_at)


def _service(category):
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.description or category.name,
        "metadata": True,
        "type": "realtime",
        "keywords": category.keywords,
        "group": category.parent.name if category.parent_id else category.name,
    }


@open311_view()
def service_list(request, fmt):
    return render(fmt, [_service(c) for c in _catalogue()], root="services", item="service")


def _attributes(category):
    """Every rule the service imposes, declared: a client that follows this never gets a 400 for it."""
    rows = [
        {
            "variable": True,
            "code": "grid",
            "datatype": "string",
            "required": False,
            "datatype_description": _(
                "网格代码（如 339901001001001）；不填时按坐标、address_id 或地址确定，无法确定的进入待定位队列"
            ),
            "order": 1,
            "description": _("网格代码"),
        },
        {
            "variable": True,
            "code": "urgency",
            "datatype": "singlevaluelist",
            "required": False,
            "datatype_description": None,
            "order": 2,
            "description": _("紧急程度（不填按类别默认）"),
            "values": [{"key": key, "name": str(label)} for key, label in Urgency.choices],
        },
    ]
    if category.allow_anonymous:
        rows.append(
            {
                "variable": True,
                "code": "anonymous",
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": None,
                "order": 3,
                "description": _("匿名反映"),
                "values": [{"key": "true", "name": _("是")}, {"key": "false", "name": _("否")}],
            }
        )
    else:
        rows.append(
            {
                "variable": True,
                "code": "contact_phone",
                "datatype": "string",
                "required": True,
                "datatype_description": _("电话号码，任何国际格式均可（如 +86 571 8888 8888）"),
                "order": 3,
                "description": _(
                    "“%(name)s”类事件需要留下联系电话（填写本项或 phone 参数），不能匿名反映"
                )
                % {"name": category.name},
            }
        )
    return rows


def _category(code):
    if not code:
        raise Open311Error(400, _("缺少 service_code"))
    if not CODE_RE.match(code):
        raise Open311Error(404, _("未知的服务代码"))
    category = services.leaf_category(code)  # cached reference data
    if category is None:
        raise Open311Error(404, _("未知的服务代码"))
    return category


@open311_view()
def service_definition(request, fmt, service_code):
    category = _category(xml_safe(service_code))
    data = {"service_code": category.code, "attributes": _attributes(category)}
    return render(fmt, data, root="service_definition")


# Locating a report (a grid, the triage queue or a 400): fengqiao/cases/triage.py
grid_at = triage.grid_at


# -- POST requests -----------------------------------------------------------------------------
def _attributes_in(post):
    attrs = {}
    for name in post:
        match = ATTRIBUTE_RE.match(name)
        if match:
            values = [v for v in _values(post, name) if v]
            attrs[match.group(1)] = values
    return attrs


def full_name(first, last):
    """One string with a space, in the name's own order: family name first for Chinese names
    (王 明), given name first otherwise (Ada Lovelace)."""
    first, last = first.strip(), last.strip()
    parts = [last, first] if CJK.search(first + last) else [first, last]
    return " ".join(p for p in parts if p)[:50]


def media_attachments(urls):
    """Each ``media_url`` kept as a link attachment (a ``text/uri-list`` file; never fetched)."""
    rows = []
    for url in urls[:MAX_MEDIA_URLS]:
        url = url[:1000]
        if not re.match(r"^https?://\S+$", url, re.I):
            raise Open311Error(400, _("media_url 必须是 http(s) 地址"))
        content = (url + "\r\n").encode("utf-8")
        rows.append(
            {
                "file": ContentFile(content, name=f"media-{uuid.uuid4().hex}.uri"),
                "name": url[:200],
                "content_type": "text/uri-list",
                "size": len(content),
                "kind": "link",
            }
        )
    return rows


def photo_parts(request):
    """Every file part of a multipart POST, whatever its field name, as photos."""
    files = [f for name in request.FILES for f in request.FILES.getlist(name)]
    return uploads.process_files(files)


@open311_view(methods=("GET", "POST"))
def requests_view(request, fmt):
    if request.method == "POST":
        return create_request(request, fmt)
    return list_requests(request, fmt)


def create_request(request, fmt):
    post = request.POST
    api_key = _key(request, required=True)
    category = _category(_one(post, "service_code"))
    lat = _float(_one(post, "lat"), "lat", -90, 90)
    lng = _float(_one(post, "long"), "long", -180, 180)
    if (lat is None) != (lng is None):
        raise Open311Error(400, _("lat 与 long 需同时提供"))
    address = _one(post, "address_string")
    address_id = _one(post, "address_id")
    attrs = _attributes_in(post)
    if lat is None and not address and not address_id:
        raise Open311Error(400, _("需要提供位置：lat/long、address_string 或 address_id"))
    grid_code = (attrs.get("grid") or [""])[0]
    grid, county = triage.locate(grid_code=grid_code, address_id=address_id, lat=lat, lng=lng)
    if api_key.place_id and grid is not None and not grid.path.startswith(api_key.place.path):
        raise Open311Error(
            403, _("该接口密钥只能提交 %(place)s 辖区内的请求") % {"place": api_key.place.name}
        )
    urgency = (attrs.get("urgency") or [""])[0] or None
    anonymous = (attrs.get("anonymous") or [""])[0].lower() == "true"
    if anonymous and not category.allow_anonymous:
        raise Open311Error(400, _("该服务不能匿名反映（见服务定义）"))
    phone = _one(post, "phone") or (attrs.get("contact_phone") or [""])[0]
    email = _one(post, "email")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise Open311Error(400, _("email 格式不正确")) from None
    client_id = _one(post, "client_id") or xml_safe(request.headers.get("Idempotency-Key", ""))
    description = _one(post, "description")
    attachments = media_attachments(_values(post, "media_url"))
    photos, _rejected = photo_parts(request)
    location_text = address[:200] or (address_id[:200] if grid is None else "")
    fields = dict(
        category=category,
        description=description,
        source=Case.Source.OPEN311,
        channel=f"k{api_key.pk}",
        client_id=client_id or None,
        location_text=location_text,
        lat=lat,
        lng=lng,
        reporter_name=full_name(_one(post, "first_name"), _one(post, "last_name")),
        reporter_phone=phone,
        reporter_email=email,
        anonymous=anonymous,
        urgency=urgency,
        attachments=[*photos, *attachments],
        description_required=False,
        any_phone=True,
    )
    if grid is None:
        # 待定位: accepted into the county's triage queue; the token finds the request later
        pending, created = triage.hold(county=county, address_id=address_id, **fields)
        body = [
            {
                "token": str(pending.uid),
                "service_notice": _(
                    "位置待确认：已进入待定位队列，定位后可凭 token 查到服务请求编号"
                ),
                "account_id": None,
            }
        ]
        return render(
            fmt, body, root="service_requests", item="request", status=201 if created else 200
        )
    case, created = services.report(place=grid, **fields)
    body = [
        {
            "service_request_id": str(case.pk),
            "service_notice": _("已受理登记，查询码 %(code)s") % {"code": case.tracking_code},
            "account_id": None,
        }
    ]
    return render(
        fmt, body, root="service_requests", item="request", status=201 if created else 200
    )


# -- GET requests ------------------------------------------------------------------------------
def _visible(request):
    api_key = _key(request)
    if api_key is not None and api_key.user.has_place_scope():
        return Case.objects.restrict(api_key.user), True
    return Case.objects.filter(source=Case.Source.OPEN311), False


def _status(case):
    return "closed" if case.state in Case.FINAL_STATES else "open"


def _notes(case):
    if case.state == "rejected":
        return case.rejected_reason
    if case.state == "merged" and case.duplicate_of_id:
        return _("与 %(n)s 合并办理") % {"n": str(case.duplicate_of_id)}
    if case.result:
        return case.result
    return str(case.get_state_display())


def media_url(request, case_uid, attachment):
    if attachment.kind == "link":
        return attachment.name
    path = reverse("open311:media", args=[str(case_uid), attachment.pk])
    return request.build_absolute_uri(path)


def _extras(request, cases):
    """Per case: the time of its last public change and its first media (two queries)."""
    ids = [c.pk for c in cases]
    ct = ContentType.objects.get_for_model(Case)
    updated = dict(
        TimelineEntry.objects.filter(
            content_type=ct, object_id__in=ids, transition__in=PUBLIC_TRANSITIONS
        )
        .values("object_id")
        .annotate(at=Max("at"))
        .values_list("object_id", "at")
    )
    media = {}
    rows = (
        Attachment.objects.filter(
            entry__content_type=ct,
            entry__object_id__in=ids,
            entry__transition__in=("report", "add_info"),
            kind__in=("photo", "link"),
        )
        .select_related("entry")
        .order_by("entry__at", "entry_id", "kind", "id")
    )
    uids = {c.pk: c.uid for c in cases}
    for row in rows:
        media.setdefault(row.entry.object_id, media_url(request, uids[row.entry.object_id], row))
    return updated, media


def _request(case, updated, media):
    stamps = [case.reported_at, case.accepted_at, case.dispatched_at, case.claimed_at,
              case.resolved_at, case.closed_at, updated.get(case.pk)]  # fmt: skip
    return {
        "service_request_id": str(case.pk),
        "status": _status(case),
        "status_notes": _notes(case),
        "service_name": case.category.name,
        "service_code": case.category.code,
        "description": case.description,
        "agency_responsible": case.department.name if case.department_id else None,
        "service_notice": None,
        "requested_datetime": _w3c(case.reported_at),
        "updated_datetime": _w3c(max(s for s in stamps if s)),
        "expected_datetime": _w3c(case.handle_due_at),
        "address": case.location_text or case.place.name,
        "address_id": case.place.code,
        "zipcode": None,
        "lat": case.lat,
        "long": case.lng,
        "media_url": media.get(case.pk),
    }


PUBLIC_DECIMALS = 3  # about 100 m


def _for_public(row):
    """What a caller outside any staff jurisdiction (no key, or a key without a place) sees of
    a request or an update: free text through ``core.pii.mask_text``, coordinates to ~100 m."""
    for field in ("description", "status_notes", "address"):
        if row.get(field):
            row[field] = pii.mask_text(row[field])
    for field in ("lat", "long"):
        if row.get(field) is not None:
            row[field] = round(row[field], PUBLIC_DECIMALS)
    return row


def _render_cases(request, fmt, cases, scoped):
    updated, media = _extras(request, cases)
    data = [_request(c, updated, media) for c in cases]
    if not scoped:
        data = [_for_public(row) for row in data]
    return render(fmt, data, root="service_requests", item="request")


def list_requests(request, fmt):
    rows, scoped = _visible(request)
    get = request.GET
    ids = _ids(_list(get, "service_request_id"), "service_request_id")
    if ids:
        rows = rows.filter(pk__in=ids[:MAX_RESULTS])
    else:
        codes = _list(get, "service_code")
        if codes:
            rows = rows.filter(category__code__in=codes[:100])
        start, end = window(get)
        rows = rows.filter(reported_at__gte=start, reported_at__lte=end)
        statuses = {s.lower() for s in _list(get, "status")}
        if statuses - {"open", "closed"}:
            raise Open311Error(400, _("status 只能是 open 或 closed"))
        if statuses == {"open"}:
            rows = rows.filter(state__in=Case.OPEN_STATES)
        elif statuses == {"closed"}:
            rows = rows.filter(state__in=Case.FINAL_STATES)
    rows = rows.select_related("category", "place", "department").order_by("-reported_at", "-id")
    return _render_cases(request, fmt, list(rows[:MAX_RESULTS]), scoped)


@open311_view()
def get_request(request, fmt, request_id):
    rows, scoped = _visible(request)
    case = None
    if ID_RE.match(request_id) and int(request_id) <= MAX_ID:
        case = rows.select_related("category", "place", "department").filter(pk=int(request_id))
        case = case.first()
    if case is None:
        raise Open311Error(404, _("未找到服务请求"))
    return _render_cases(request, fmt, [case], scoped)


def _uuid(value):
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


@open311_view()
def token(request, fmt, token_id):
    uid = _uuid(token_id)
    case = (
        Case.objects.filter(uid=uid, source=Case.Source.OPEN311).only("pk", "uid").first()
        if uid
        else None
    )
    if case is None and uid:
        pending = PendingReport.objects.filter(uid=uid, source=Case.Source.OPEN311).first()
        if pending is not None and pending.case_id is None:
            # still in the triage queue: no service_request_id yet (the spec's token case)
            return render(fmt, [{"token": str(uid)}], root="service_requests", item="request")
        if pending is not None:
            return render(
                fmt,
                [{"service_request_id": str(pending.case_id), "token": str(uid)}],
                root="service_requests",
                item="request",
            )
    if case is None:
        raise Open311Error(404, _("未知的 token"))
    return render(
        fmt,
        [{"service_request_id": str(case.pk), "token": str(case.uid)}],
        root="service_requests",
        item="request",
    )


@open311_view()
def media(request, fmt, case_uid, attachment_id):
    """A photo of a request (re-encoded, metadata dropped): the media_url of GET requests."""
    uid = _uuid(case_uid)
    case = Case.objects.filter(uid=uid).only("pk").first() if uid else None
    attachment = None
    if case is not None and ID_RE.match(attachment_id) and int(attachment_id) <= MAX_ID:
        attachment = Attachment.objects.filter(
            pk=int(attachment_id),
            kind="photo",
            entry__content_type=ContentType.objects.get_for_model(Case),
            entry__object_id=case.pk,
            entry__transition__in=PUBLIC_TRANSITIONS,
        ).first()
    if attachment is None:
        raise Open311Error(404, _("没有这个文件"))
    return FileResponse(attachment.file.open("rb"), content_type=attachment.content_type)


# -- mySociety's updates extension -------------------------------------------------------------
# Status of a request after an update, in mySociety's extended vocabulary (lower case on GET).
EXTENDED_STATUS = {
    "reported": "open",
    "accepted": "investigating",
    "returned": "investigating",
    "dispatched": "action_scheduled",
    "claimed": "in_progress",
    "in_progress": "in_progress",
    "resolved": "fixed",
    "verified": "fixed",
    "closed": "closed",
    "rejected": "no_further_action",
    "merged": "duplicate",
}
REOPENING = {"reopen", "rework"}
UPDATE_STATUSES = {
    "OPEN", "CLOSED", "FIXED", "IN_PROGRESS", "ACTION_SCHEDULED", "INVESTIGATING", "DUPLICATE",
    "NOT_COUNCILS_RESPONSIBILITY", "NO_FURTHER_ACTION", "INTERNAL_REFERRAL", "REOPEN", "FOR_TRIAGE",
}  # fmt: skip
STILL_BROKEN = {"OPEN", "REOPEN", "IN_PROGRESS", "INVESTIGATING", "ACTION_SCHEDULED", "FOR_TRIAGE"}
SOLVED = {"FIXED", "CLOSED"}


def _update_status(entry):
    if entry.transition in REOPENING:
        return "reopen"
    return EXTENDED_STATUS.get(entry.to_state, "open")


def _update_note(entry):
    data = entry.data or {}
    if entry.transition == "dispatch":
        unit = data.get("unit")
        return _("已交由 %(unit)s 办理") % {"unit": unit} if unit else ""
    if entry.transition in ("report", "add_info", "resolve", "dispute_settled", "reject", "merge",
                            "rework", "confirm"):  # fmt: skip
        return entry.note
    return ""


def _updates_media(request, entries, uids):
    media = {}
    rows = Attachment.objects.filter(entry__in=[e.pk for e in entries], kind__in=("photo", "link"))
    for row in rows.order_by("kind", "id"):
        entry = next(e for e in entries if e.pk == row.entry_id)
        media.setdefault(row.entry_id, media_url(request, uids[entry.object_id], row))
    return media


def _render_updates(request, fmt, entries, scoped):
    uids = dict(Case.objects.filter(pk__in={e.object_id for e in entries}).values_list("pk", "uid"))
    media = _updates_media(request, entries, uids)
    data = [
        {
            "update_id": str(e.pk),
            "service_request_id": str(e.object_id),
            "status": _update_status(e),
            "updated_datetime": _w3c(e.at),
            "description": _update_note(e),
            "media_url": media.get(e.pk, ""),
        }
        for e in entries
    ]
    if not scoped:
        data = [_for_public(row) for row in data]
    return render(fmt, data, root="service_request_updates", item="request_update")


@open311_view(methods=("GET", "POST"))
def request_updates(request, fmt):
    if request.method == "POST":
        return post_update(request, fmt)
    rows, scoped = _visible(request)
    start, end = window(request.GET)
    entries = list(
        TimelineEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Case),
            object_id__in=rows.values("pk"),
            transition__in=PUBLIC_TRANSITIONS,
            at__gte=start,
            at__lte=end,
        ).order_by("at", "id")[:MAX_RESULTS]
    )
    return _render_updates(request, fmt, entries, scoped)


REPLAY_WINDOW = timedelta(minutes=2)


def post_update(request, fmt):
    """A citizen's or partner's update: a comment (with photos or media_url), "still not fixed"
    on a request waiting for the reporter's check (rework), or "fixed" there (confirmed).

    Retries are safe: the same ``update_id`` from the same key, or the same content from the
    same key within ``REPLAY_WINDOW``, answers the update the first try made and adds nothing.
    The check runs on the locked case, so two tries at once are one update."""
    post = request.POST
    api_key = _key(request, required=True)
    rows, _scoped = _visible(request)
    given = _one(post, "service_request_id")
    ids = _ids([given] if given else [], "service_request_id")
    if not ids:
        raise Open311Error(400, _("缺少 service_request_id"))
    for name in ("update_id", "status", "updated_datetime"):
        if not _one(post, name):
            raise Open311Error(400, _("缺少 %(n)s") % {"n": name})
    status = _one(post, "status").upper()
    if status not in UPDATE_STATUSES:
        raise Open311Error(400, _("status 不是 mySociety 扩展允许的值"))
    parse_w3c(_one(post, "updated_datetime"), "updated_datetime")
    case = rows.filter(pk=ids[0]).first()
    if case is None:
        raise Open311Error(404, _("未找到服务请求"))
    trace = _trace(request, api_key, status)
    with locked(case) as case:
        entry = _earlier_try(case, trace) or _new_update(request, case, status, trace)
    body = [{"update_id": str(entry.pk) if entry else ""}]
    return render(fmt, body, root="service_request_updates", item="request_update")


def _trace(request, api_key, status):
    """What identifies one update across retries: the client's id and the content's digest."""
    post = request.POST
    files = sorted((f.name, f.size) for f in request.FILES.values())
    content = [api_key.pk, status, _one(post, "description"), _values(post, "media_url"), files]
    digest = hashlib.sha256(json.dumps(content, ensure_ascii=False).encode()).hexdigest()
    return {"client_update": f"{api_key.pk}:{_one(post, 'update_id')[:100]}", "digest": digest}


def _earlier_try(case, trace):
    same_id = Q(data__client_update=trace["client_update"])
    same_content = Q(data__digest=trace["digest"], at__gte=timezone.now() - REPLAY_WINDOW)
    rows = TimelineEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Case), object_id=case.pk
    )
    rows = rows.filter(same_id | same_content, transition__in=PUBLIC_TRANSITIONS)
    return rows.order_by("id").last()


def _new_update(request, case, status, trace):
    description = _one(request.POST, "description")
    attachments = media_attachments(_values(request.POST, "media_url"))
    photos, _rejected = photo_parts(request)
    files = [*photos, *attachments]
    ct = ContentType.objects.get_for_model(Case)
    before = _last_entry(ct, case) or 0
    check = case.state == "resolved" and status in STILL_BROKEN | SOLVED
    if not check and not description and not files:
        raise Open311Error(400, _("缺少 description"))
    if files or (description and not check):
        if not case.is_open:
            raise Open311Error(409, _("该服务请求已办结，不能再补充"))
        note = _("补充图片") if check or not description else description
        case = services.resident_add_info(case, note=note, attachments=files, trace=trace)
    if check:
        solved = status in SOLVED
        note = description[:300] or ("" if solved else _("仍未解决"))
        case = services.resident_confirm(case, solved=solved, note=note, trace=trace)
    return (
        TimelineEntry.objects.filter(content_type=ct, object_id=case.pk, id__gt=before)
        .filter(transition__in=PUBLIC_TRANSITIONS)
        .order_by("-id")
        .first()
    )


def _last_entry(ct, case):
    rows = TimelineEntry.objects.filter(content_type=ct, object_id=case.pk)
    return rows.aggregate(m=Max("id"))["m"]


# -- fallback ----------------------------------------------------------------------------------
KNOWN = re.compile(
    r"^[/]*v2/+(discovery|services|services/+[^/]*|requests|requests/+[^/]*|tokens/+[^/]*"
    r"|servicerequestupdates)(\.[^/]*)?/*$"
)


@csrf_exempt
def fallback(request, rest=""):
    fmt = fmt_of_path(rest)
    match = KNOWN.match(rest)
    if match and (match.group(2) or "").lower() not in (".json", ".xml"):
        return error(fmt, 400, _("不支持的格式，请使用 .json 或 .xml"))
    return error(fmt, 404, _("没有这个 Open311 接口"))


FMT = r"\.(?P<fmt>[jJ][sS][oO][nN]|[xX][mM][lL])"
V2 = r"^[/]*v2/+"
urlpatterns = [
    re_path(rf"{V2}discovery{FMT}$", discovery, name="discovery"),
    re_path(rf"{V2}services{FMT}$", service_list, name="services"),
    re_path(
        rf"{V2}services/+(?P<service_code>[^/]{{1,200}}?){FMT}$", service_definition, name="service"
    ),
    re_path(rf"{V2}requests{FMT}$", requests_view, name="requests"),
    re_path(rf"{V2}requests/+(?P<request_id>[^/]{{1,200}}?){FMT}$", get_request, name="request"),
    re_path(rf"{V2}tokens/+(?P<token_id>[^/]{{1,200}}?){FMT}$", token, name="token"),
    re_path(rf"{V2}servicerequestupdates{FMT}$", request_updates, name="updates"),
    re_path(
        rf"{V2}media/+(?P<case_uid>[^/]{{1,64}})/+(?P<attachment_id>[^/]{{1,24}})$",
        media,
        name="media",
    ),
    re_path(r"^(?P<rest>.*)$", fallback, name="fallback"),
]
