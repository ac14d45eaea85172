"""JSON API for cases, mounted at /api/v1/cases/ (token or session auth; errors in the shared
``{"error": {code, message, details}}`` shape)."""

from datetime import date, datetime

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import PaginationBase, paginate

from fengqiao.core.authz import authorize_api, require_perm
from fengqiao.core.dbrouting import on_replica
from fengqiao.core.errors import NotFound, ServiceError
from fengqiao.core.workflow import timeline
from fengqiao.insights import figures
from fengqiao.org.lookups import place_by_code
from fengqiao.org.models import Place

from . import queries, services, triage
from .actions import registry
from .models import Case, Category, PendingReport
from .presenters import CASES, transition_label

router = Router(tags=["cases"])

PENDING = PendingReport.objects.select_related("category", "place")


class QueuePagination(PaginationBase):
    """Pages without a total count (counting 100 000 open cases costs more than a page)."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=10_000)

    class Output(Schema):
        items: list
        page: int
        has_next: bool

    def paginate_queryset(self, queryset, pagination: Input, **params):
        size = 50
        start = (pagination.page - 1) * size
        if queryset.model is Case:  # plain rows, labels precomputed (cases.queries)
            rows = queries.page_rows(queryset, start, start + size + 1)
        else:
            rows = list(queryset[start : start + size + 1])
        return {"items": rows[:size], "page": pagination.page, "has_next": len(rows) > size}


class CaseListOut(Schema):
    """A row of a list: no personal data at all (not even masked). Lists fill it from the plain
    rows of ``cases.queries.page_rows`` (labels precomputed); :class:`CaseOut` from a case."""

    id: int
    number: str
    state: str
    state_label: str
    source: str
    category: str
    category_name: str
    urgency: str
    description: str
    location_text: str
    lat: float | None
    lng: float | None
    place_id: int
    place_code: str
    department_id: int | None
    team_id: int | None
    assignee_id: int | None
    reported_at: datetime
    due_at: datetime | None
    handle_due_at: datetime | None
    supervision_level: int
    duplicate_of_id: int | None
    likely_duplicate_of_id: int | None


class CaseOut(CaseListOut):
    """One case: the list row plus the masked reporter and the outcome figures."""

    @staticmethod
    def resolve_state_label(obj):
        return str(obj.get_state_display())

    @staticmethod
    def resolve_due_at(obj):
        """The API keeps the name ``due_at`` for the kernel's ``next_due_at``."""
        return obj.next_due_at

    @staticmethod
    def resolve_category(obj):
        return obj.category.code

    @staticmethod
    def resolve_category_name(obj):
        return obj.category.name

    @staticmethod
    def resolve_place_code(obj):
        return obj.place.code

    anonymous: bool
    reporter_name: str
    reporter_phone: str
    rework_count: int
    satisfaction: int | None

    @staticmethod
    def resolve_reporter_name(obj):
        return str(obj.reporter_name)  # masked (pii.Sensitive)

    @staticmethod
    def resolve_reporter_phone(obj):
        return str(obj.reporter_phone)


class CaseDetailOut(CaseOut):
    actions: list[str]
    result: str
    rejected_reason: str


class CaseIn(Schema):
    """A report. Its location: ``grid`` (a grid code), else the grid containing ``lat``/``lng``;
    a report that cannot be placed in a grid (only ``location_text`` / ``address_id``, a point
    between grids) is accepted into the county's triage queue (待定位, answer 202). Only a point
    outside the whole jurisdiction is a 400."""

    client_id: str | None = None
    category: str
    grid: str = ""
    address_id: str = ""
    description: str
    location_text: str = ""
    lat: float | None = None
    lng: float | None = None
    reporter_name: str = ""
    reporter_phone: str = ""
    anonymous: bool = False
    urgency: str | None = None
    source: str = "api"


class CreatedOut(Schema):
    id: int
    number: str
    state: str
    tracking_code: str
    created: bool


class PendingOut(Schema):
    """A report waiting in the county's triage queue (待定位): no personal data."""

    id: int
    token: str
    state: str
    category: str
    category_name: str
    urgency: str
    source: str
    description: str
    location_text: str
    address_id: str
    lat: float | None
    lng: float | None
    county_code: str
    reported_at: datetime
    case_id: int | None

    @staticmethod
    def resolve_token(obj):
        return str(obj.uid)

    @staticmethod
    def resolve_category(obj):
        return obj.category.code

    @staticmethod
    def resolve_category_name(obj):
        return obj.category.name

    @staticmethod
    def resolve_county_code(obj):
        return obj.place.code


class HeldOut(Schema):
    """202: accepted into the triage queue; the case is made when a dispatcher places it."""

    pending_id: int
    token: str
    state: str
    created: bool


class PlaceIn(Schema):
    """A grid code, or a point (the grid containing it)."""

    grid: str = ""
    lat: float | None = None
    lng: float | None = None


class EntryOut(Schema):
    id: int
    at: datetime
    transition: str
    label: str
    actor_name: str
    from_state: str
    to_state: str
    note: str
    data: dict

    @staticmethod
    def resolve_label(obj):
        return str(transition_label(obj.transition))


class CategoryOut(Schema):
    code: str
    name: str
    parent: str | None
    urgency: str
    allow_anonymous: bool

    @staticmethod
    def resolve_parent(obj):
        return obj.parent.code if obj.parent_id else None


class BulkIn(Schema):
    ids: list[int]
    department: int | None = None
    team: int | None = None
    note: str = ""


@router.get("/", response=list[CaseListOut])
@paginate(QueuePagination)
def list_cases(
    request,
    state: str = "",
    mine: bool = False,
    category: str = "",
    place: str = "",
    open: bool = False,
):
    """Cases in the caller's jurisdiction, nearest deadline first."""
    require_perm(request.user, "cases.view_case")
    rows = Case.objects.restrict(request.user)  # plain rows, see QueuePagination
    if state:
        rows = rows.filter(state__in=state.split(","))
    if open:
        rows = rows.filter(state__in=Case.OPEN_STATES)
    if category:
        rows = rows.filter(category__code=category)
    if place:
        rows = rows.filter(place_path__contains=f"/{place}/")
    if mine:
        rows = rows.filter(assignee_id=request.user.pk) | rows.filter(
            department_id=request.user.department_id or -1
        )
    return rows.order_by("next_due_at", "id")


@router.post("/", response={200: CreatedOut, 201: CreatedOut, 202: HeldOut})
def create_case(request, payload: CaseIn):
    """Report a case. ``client_id`` makes retries safe: the same id gives back the same case.

    201 (200 for a replay): the case. 202: accepted into the county's triage queue (待定位), no
    grid could be found for it; ``GET /triage`` lists the queue, ``POST /triage/{id}/place``
    places it and the case is made."""
    require_perm(request.user, "cases.add_case")
    if payload.grid and place_by_code(payload.grid[:24], level=Place.Level.GRID) is None:
        raise ServiceError(
            _("网格不存在：%(g)s") % {"g": payload.grid[:30]},
            code="invalid_place",
            details={"field": "grid"},
        )
    if not (payload.grid or payload.address_id or payload.location_text.strip()) and (
        payload.lat is None
    ):
        raise ServiceError(
            _("需要提供位置：网格、经纬度、地址或地址编码"),
            code="invalid_location",
            details={"field": "grid"},
        )
    api_key = getattr(request, "api_key", None)
    channel = f"k{api_key.pk}" if api_key is not None else f"u{request.user.pk}"
    if payload.source not in (
        "api",
        "hotline",
        "grid_worker",
        "walk_in",
        "assistant",
        "transfer_110",
        "patrol",
    ):
        raise ServiceError(_("未知的来源"), code="invalid_source", details={"field": "source"})
    result = triage.intake(
        grid_code=payload.grid,
        address_id=payload.address_id,
        category=payload.category,
        description=payload.description,
        source=payload.source,
        actor=request.user,
        channel=channel,
        client_id=payload.client_id,
        location_text=payload.location_text,
        lat=payload.lat,
        lng=payload.lng,
        reporter_name=payload.reporter_name,
        reporter_phone=payload.reporter_phone,
        anonymous=payload.anonymous,
        urgency=payload.urgency,
    )
    if result.case is None:
        held = {
            "pending_id": result.pending.pk,
            "token": str(result.pending.uid),
            "state": result.pending.state,
            "created": result.created,
        }
        return Status(202, held)
    case, created = result.case, result.created
    body = {
        "id": case.pk,
        "number": case.number,
        "state": case.state,
        "tracking_code": case.tracking_code,
        "created": created,
    }
    return Status(201 if created else 200, body)


@router.get("/categories", response=list[CategoryOut], auth=None)
def list_categories(request):
    return Category.objects.filter(active=True).select_related("parent").order_by("sort", "code")


@router.post("/bulk-dispatch")
def bulk_dispatch(request, payload: BulkIn):
    require_perm(request.user, "cases.dispatch_case")
    results = services.bulk_dispatch(
        payload.ids[:500],
        request.user,
        department=payload.department,
        team=payload.team,
        note=payload.note,
    )
    return {"results": results}


@router.get("/figures")
@on_replica
def get_figures(request, start: date, end: date, by: str = "department"):
    require_perm(request.user, "cases.view_figures")
    if by not in figures.GROUPS:
        raise ServiceError(_("分组方式不正确"), code="invalid", details={"field": "by"})
    rows = Case.objects.restrict(request.user)
    return {
        "total": figures.compute(rows, start, end, by=None)[0],
        "rows": figures.compute(rows, start, end, by=by),
    }


@router.get("/triage", response=list[PendingOut])
@paginate(QueuePagination)
def list_triage(request):
    """待定位: the reports of the caller's counties that wait to be placed, oldest first."""
    require_perm(request.user, "cases.accept_case")
    return triage.queue(request.user)


@router.get("/triage/{pending_id}", response=PendingOut)
def get_pending(request, pending_id: int):
    return authorize_api(request, PENDING, pending_id, perm="cases.accept_case")


@router.post("/triage/{pending_id}/place", response=CaseDetailOut)
def place_pending(request, pending_id: int, payload: PlaceIn):
    """Place a report of the triage queue: ``grid`` (a grid code), or ``lat``/``lng`` (the grid
    containing the point). The case is made and the normal flow starts; placing twice is 409."""
    pending = authorize_api(request, PENDING, pending_id, perm="cases.accept_case")
    grid = None
    if payload.grid:
        grid = Place.objects.restrict(request.user).filter(code=payload.grid[:24]).first()
        if grid is None:
            raise NotFound(_("网格不存在或不在您的辖区内"))
    elif (payload.lat is None) != (payload.lng is None) or payload.lat is None:
        raise ServiceError(
            _("请选择网格或给出坐标"), code="invalid_place", details={"field": "grid"}
        )
    case = triage.place(pending, request.user, grid=grid, lat=payload.lat, lng=payload.lng)
    return _after_action(request, case.pk, case)


@router.get("/{case_id}", response=CaseDetailOut)
def get_case(request, case_id: int):
    case = authorize_api(request, CASES, case_id, perm="cases.view_case")
    case.actions = services.allowed_actions(case, request.user)
    return case


@router.get("/{case_id}/timeline", response=list[EntryOut])
def get_timeline(request, case_id: int):
    return list(timeline(authorize_api(request, CASES, case_id, perm="cases.view_case")))


def _load(request, case_id):
    return authorize_api(request, CASES, case_id, perm="cases.view_case")


def _after_action(request, case_id, case):
    """The case as the caller now sees it (a return may take it out of their scope)."""
    if Case.objects.restrict(request.user).filter(pk=case_id).exists():
        case = services.get_case(request.user, case_id)
    case.actions = services.allowed_actions(case, request.user)
    return case


# One operation per action (its own request body in the OpenAPI), from the one registry.
registry.add_api_operations(
    router, id_param="case_id", load=_load, respond=_after_action, response=CaseDetailOut
)


@router.post("/{case_id}/actions/{name}", response=CaseDetailOut, include_in_schema=False)
def unknown_action(request, case_id: int, name: str):
    """Any other name: 404 out of scope, else 400 ``unknown_transition``."""
    _load(request, case_id)
    return registry.get(name)  # raises ServiceError(unknown_transition)
