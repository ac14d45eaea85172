"""Open311 GeoReport v2 at /open311/v2/ (this module is the URL conf; plain Django views).

* discovery, services (from the leaf categories), service definitions, POST requests (api_key from
  ``fengqiao apikey create``, form-encoded), GET requests with the spec's filters, GET one request,
  tokens — each in ``.json`` and ``.xml``;
* errors exactly as the spec says: an array of ``{code, description}``; 403 for a bad key, 404 for
  unknown ids or codes, 400 otherwise.

A POST is a report through a public channel (like the QR page): the key admits the client, the
report is the resident's. Retries are safe with ``client_id`` (or an ``Idempotency-Key`` header).
The grid is found from ``address_id`` (a grid code), the ``attribute[grid]`` extension, or the
point ``lat``/``long`` inside a grid's boundary.

Reading: without a key, only requests that came in through Open311 are listed, and never personal
data; with a key whose account has a place-scoped role, the requests in its jurisdiction.
"""

from __future__ import annotations

import json
import time
import uuid
import xml.etree.ElementTree as ET
from datetime import timedelta

from django.db.models import Count, Max
from django.http import HttpResponse
from django.urls import re_path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from fengqiao.core.errors import ServiceError
from fengqiao.core.services import authenticate_api_key
from fengqiao.org.models import Place

from . import services
from .models import Case, Urgency

app_name = "open311"

SPEC = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-23T00:00:00+08:00"
MAX_RESULTS = 1000


class Open311Error(Exception):
    def __init__(self, status, description):
        super().__init__(description)
        self.status = status
        self.description = str(description)


# -- rendering ---------------------------------------------------------------------------------
def _xml_value(parent, key, value):
    node = ET.SubElement(parent, key)
    if isinstance(value, dict):
        for k, v in value.items():
            _xml_value(node, k, v)
    elif isinstance(value, list):
        singular = {
            "attributes": "attribute",
            "values": "value",
            "endpoints": "endpoint",
            "formats": "format",
        }
        for item in value:
            _xml_value(node, singular.get(key, "item"), item)
    elif value is None:
        pass
    elif isinstance(value, bool):
        node.text = "true" if value else "false"
    else:
        node.text = str(value)
    return node


def render(fmt, data, *, root=None, item=None, status=200):
    if fmt == "xml":
        if isinstance(data, list):
            top = ET.Element(root)
            for entry in data:
                _dict_into(ET.SubElement(top, item), entry)
        else:
            top = ET.Element(root)
            _dict_into(top, data)
        body = b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(top, encoding="utf-8")
        return HttpResponse(body, status=status, content_type="text/xml; charset=utf-8")
    return HttpResponse(
        json.dumps(data, ensure_ascii=False),
        status=status,
        content_type="application/json; charset=utf-8",
    )


def _dict_into(node, data):
    for key, value in data.items():
        _xml_value(node, key, value)


def error(fmt, status, description):
    return render(
        fmt,
        [{"code": status, "description": str(description)}],
        root="errors",
        item="error",
        status=status,
    )


def open311_view(methods=("GET",)):
    def wrap(fn):
        @csrf_exempt
        def view(request, fmt, **kwargs):
            fmt = fmt.lower()
            if request.method not in methods:
                response = error(fmt, 405, _("不支持的请求方法"))
                response["Allow"] = ", ".join(methods)
                return response
            try:
                return fn(request, fmt, **kwargs)
            except Open311Error as exc:
                return error(fmt, exc.status, exc.description)
            except ServiceError as exc:
                status = exc.status if exc.status in (403, 404) else 400
                return error(fmt, status, exc.message)

        view.__name__ = fn.__name__
        return view

    return wrap


def _w3c(value):
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


# -- discovery and services --------------------------------------------------------------------
@open311_view()
def discovery(request, fmt):
    base = request.build_absolute_uri(reverse("open311:discovery", args=["json"]))
    base = base.rsplit("/", 1)[0] + "/"
    data = {
        "changeset": CHANGESET,
        "contact": _("枫桥基层治理平台 · 社会治理中心"),
        "key_service": _("接口密钥由平台管理员通过 fengqiao apikey create 签发"),
        "endpoints": [
            {
                "specification": SPEC,
                "url": base,
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return render(fmt, data, root="discovery")


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
    rows = sorted(services.leaf_categories(), key=lambda c: (c.sort, c.code))
    return render(fmt, [_service(c) for c in rows], root="services", item="service")


def _attributes():
    return [
        {
            "variable": True,
            "code": "grid",
            "datatype": "string",
            "required": False,
            "datatype_description": _("网格代码；不填时按坐标或 address_id 确定网格"),
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
        {
            "variable": True,
            "code": "anonymous",
            "datatype": "singlevaluelist",
            "required": False,
            "datatype_description": None,
            "order": 3,
            "description": _("匿名反映（仅限允许匿名的类别）"),
            "values": [{"key": "true", "name": _("是")}, {"key": "false", "name": _("否")}],
        },
    ]


@open311_view()
def service_definition(request, fmt, service_code):
    category = next((c for c in services.leaf_categories() if c.code == service_code), None)
    if category is None:
        raise Open311Error(404, _("未知的服务代码：%(c)s") % {"c": service_code[:40]})
    data = {"service_code": category.code, "attributes": _attributes()}
    return render(fmt, data, root="service_definition")


# -- requests ----------------------------------------------------------------------------------
_GRID_CACHE = {"at": 0.0, "grids": []}


def _grids():
    """Grid polygons with bounding boxes, cached while the set of grids is unchanged."""
    grids = Place.objects.filter(level=Place.Level.GRID)
    signature = tuple(grids.aggregate(n=Count("id"), top=Max("id")).values())
    stale = time.monotonic() - _GRID_CACHE["at"] > 300 or _GRID_CACHE.get("sig") != signature
    if stale:
        rows = []
        for grid in grids.exclude(boundary=None):
            rings = _rings(grid.boundary)
            if rings:
                xs = [x for ring in rings for x, _y in ring]
                ys = [y for ring in rings for _x, y in ring]
                rows.append((min(xs), min(ys), max(xs), max(ys), rings, grid))
        _GRID_CACHE.update(at=time.monotonic(), grids=rows, sig=signature)
    return _GRID_CACHE["grids"]


def _rings(geometry):
    if not isinstance(geometry, dict):
        return []
    if geometry.get("type") == "Polygon":
        return [geometry["coordinates"][0]]
    if geometry.get("type") == "MultiPolygon":
        return [polygon[0] for polygon in geometry["coordinates"]]
    return []


def _inside(x, y, ring):
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
        if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
            inside = not inside
    return inside


def grid_at(lat, lng):
    for x0, y0, x1, y1, rings, grid in _grids():
        if x0 <= lng <= x1 and y0 <= lat <= y1 and any(_inside(lng, lat, r) for r in rings):
            return grid
    return None


def _float(value, name):
    if value in (None, ""):
        return None
    try:
        return float(value)
    except ValueError:
        raise Open311Error(400, _("%(n)s 不是数字") % {"n": name}) from None


def _key(request):
    key = request.POST.get("api_key") or request.GET.get("api_key")
    if not key:
        return None
    api_key = authenticate_api_key(key)
    if api_key is None:
        raise Open311Error(403, _("api_key 无效"))
    return api_key


@csrf_exempt
def requests_view(request, fmt):
    if request.method == "POST":
        return create_request(request, fmt)
    return list_requests(request, fmt)


@open311_view(methods=("POST",))
def create_request(request, fmt):
    post = request.POST
    if not post.get("api_key"):
        raise Open311Error(403, _("缺少 api_key"))
    api_key = _key(request)
    code = post.get("service_code", "").strip()
    if not code:
        raise Open311Error(400, _("缺少 service_code"))
    category = next((c for c in services.leaf_categories() if c.code == code), None)
    if category is None:
        raise Open311Error(404, _("未知的服务代码：%(c)s") % {"c": code[:40]})
    lat, lng = _float(post.get("lat"), "lat"), _float(post.get("long"), "long")
    address = post.get("address_string", "").strip()
    address_id = post.get("address_id", "").strip()
    grid_code = post.get("attribute[grid]", "").strip() or address_id
    if lat is None and lng is None and not address and not address_id:
        raise Open311Error(400, _("需要提供位置：lat/long、address_string 或 address_id"))
    grid = None
    if grid_code:
        grid = Place.objects.filter(code=grid_code, level=Place.Level.GRID).first()
        if grid is None:
            raise Open311Error(400, _("未知的网格代码：%(c)s") % {"c": grid_code[:30]})
    elif lat is not None and lng is not None:
        grid = grid_at(lat, lng)
    if grid is None:
        raise Open311Error(400, _("无法根据位置确定所属网格，请提供 attribute[grid] 或 address_id"))
    urgency = post.get("attribute[urgency]", "").strip() or None
    name = (post.get("last_name", "") + post.get("first_name", "")).strip()
    client_id = post.get("client_id") or request.headers.get("Idempotency-Key") or None
    description = post.get("description", "")
    media_url = post.get("media_url", "").strip()
    case, created = services.report(
        place=grid,
        category=category,
        description=description,
        source=Case.Source.OPEN311,
        channel=f"k{api_key.pk}",
        client_id=client_id,
        location_text=address[:200],
        lat=lat,
        lng=lng,
        reporter_name=name[:50],
        reporter_phone=post.get("phone", ""),
        anonymous=post.get("attribute[anonymous]", "").lower() == "true",
        urgency=urgency,
    )
    if media_url:
        from fengqiao.core.workflow import append_timeline

        append_timeline(
            case,
            "add_info",
            actor_name="Open311",
            note=media_url[:500],
            data={"media_url": media_url[:500]},
        )
    body = [
        {
            "service_request_id": str(case.pk),
            "token": str(case.uid),
            "service_notice": _("已受理登记，查询码 %(code)s") % {"code": case.tracking_code},
            "account_id": None,
        }
    ]
    return render(
        fmt, body, root="service_requests", item="request", status=201 if created else 200
    )


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


def _request(case):
    stamps = [case.reported_at, case.accepted_at, case.dispatched_at, case.claimed_at,
              case.resolved_at, case.closed_at]  # fmt: skip
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
        "media_url": None,
    }


def _date(value, name):
    if not value:
        return None
    parsed = parse_datetime(value.replace(" ", "+")) if "T" in value else None
    if parsed is None:
        raise Open311Error(400, _("%(n)s 不是 W3C 日期时间格式") % {"n": name})
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


@open311_view()
def list_requests(request, fmt):
    rows, _scoped = _visible(request)
    get = request.GET
    ids = [i.strip() for i in get.get("service_request_id", "").split(",") if i.strip()]
    if ids:
        if not all(i.isdigit() for i in ids):
            raise Open311Error(400, _("service_request_id 格式不正确"))
        rows = rows.filter(pk__in=[int(i) for i in ids])
    else:
        codes = [c.strip() for c in get.get("service_code", "").split(",") if c.strip()]
        if codes:
            rows = rows.filter(category__code__in=codes)
        start, end = (
            _date(get.get("start_date"), "start_date"),
            _date(get.get("end_date"), "end_date"),
        )
        if start is None and end is None:
            start = timezone.now() - timedelta(days=90)
        if start:
            rows = rows.filter(reported_at__gte=start)
        if end:
            rows = rows.filter(reported_at__lte=end)
        statuses = {s.strip() for s in get.get("status", "").split(",") if s.strip()}
        if statuses - {"open", "closed"}:
            raise Open311Error(400, _("status 只能是 open 或 closed"))
        if statuses == {"open"}:
            rows = rows.filter(state__in=Case.OPEN_STATES)
        elif statuses == {"closed"}:
            rows = rows.filter(state__in=Case.FINAL_STATES)
    rows = rows.select_related("category", "place", "department").order_by("-reported_at", "-id")
    data = [_request(c) for c in rows[:MAX_RESULTS]]
    return render(fmt, data, root="service_requests", item="request")


@open311_view()
def get_request(request, fmt, request_id):
    rows, _scoped = _visible(request)
    case = None
    if request_id.isdigit() and len(request_id) < 18:
        case = rows.select_related("category", "place", "department").filter(pk=int(request_id))
        case = case.first()
    if case is None:
        raise Open311Error(404, _("未找到服务请求：%(id)s") % {"id": request_id})
    return render(fmt, [_request(case)], root="service_requests", item="request")


@open311_view()
def token(request, fmt, token_id):
    try:
        uid = uuid.UUID(token_id)
    except ValueError:
        uid = None
    case = (
        Case.objects.filter(uid=uid, source=Case.Source.OPEN311).only("pk", "uid").first()
        if uid
        else None
    )
    if case is None:
        raise Open311Error(404, _("未知的 token"))
    return render(
        fmt,
        [{"service_request_id": str(case.pk), "token": str(case.uid)}],
        root="service_requests",
        item="request",
    )


FMT = r"\.(?P<fmt>json|xml|JSON|XML)"
urlpatterns = [
    re_path(rf"^v2/discovery{FMT}$", discovery, name="discovery"),
    re_path(rf"^v2/services{FMT}$", service_list, name="services"),
    re_path(
        rf"^v2/services/(?P<service_code>[\w-]{{1,40}}){FMT}$", service_definition, name="service"
    ),
    re_path(rf"^v2/requests{FMT}$", requests_view, name="requests"),
    re_path(rf"^v2/requests/(?P<request_id>[^/.]{{1,40}}){FMT}$", get_request, name="request"),
    re_path(rf"^v2/tokens/(?P<token_id>[^/.]{{1,40}}){FMT}$", token, name="token"),
]
