"""JSON API for fieldwork, mounted at /api/v1/fieldwork/: visits, follow-ups, weekly progress.
Handlers only call services; reads are scoped (404 out of scope)."""

from datetime import date, datetime

from ninja import Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate

from fengqiao.core.authz import authorize_api, require_perm
from fengqiao.registry.models import Address

from . import services
from .models import FieldNote, Visit

router = Router(tags=["fieldwork"])


class VisitOut(Schema):
    id: int
    officer_id: int
    officer: str
    address_id: int
    address: str
    place_id: int
    visited_on: date
    purpose: str
    findings: str
    follow_up: str
    house_id: int | None
    unit_id: int | None
    created_at: datetime

    @staticmethod
    def resolve_officer(obj):
        return str(obj.officer)

    @staticmethod
    def resolve_address(obj):
        return obj.address.full_name


class VisitIn(Schema):
    address_id: int
    purpose: str = "routine"
    findings: str
    follow_up: str = ""
    visited_on: str | None = None
    house_id: int | None = None
    unit_id: int | None = None
    note: str = ""
    starred: bool = False


class NoteOut(Schema):
    id: int
    author: str
    address_id: int
    address: str
    visit_id: int | None
    text: str
    starred: bool
    followed_up_at: datetime | None
    follow_up_result: str
    created_at: datetime

    @staticmethod
    def resolve_author(obj):
        return str(obj.author)

    @staticmethod
    def resolve_address(obj):
        return obj.address.full_name


class DoneIn(Schema):
    result: str


class ProgressOut(Schema):
    week_start: date
    done: int
    target: int
    percent: int


@router.get("/visits", response=list[VisitOut])
@paginate(PageNumberPagination)
def list_visits(request, mine: bool = False):
    require_perm(request.user, "fieldwork.view_visit")
    rows = Visit.objects.restrict(request.user).select_related("address", "officer")
    if mine:
        rows = rows.filter(officer=request.user)
    return rows


@router.post("/visits", response={201: VisitOut})
def record_visit(request, payload: VisitIn):
    address = authorize_api(request, Address, payload.address_id, perm="fieldwork.add_visit")
    data = payload.dict()
    data.pop("address_id")
    data["house"] = data.pop("house_id")
    data["unit"] = data.pop("unit_id")
    return Status(201, services.record_visit(request.user, address=address, **data))


@router.get("/visits/{visit_id}", response=VisitOut)
def get_visit(request, visit_id: int):
    return authorize_api(
        request,
        Visit.objects.select_related("address", "officer"),
        visit_id,
        perm="fieldwork.view_visit",
    )


@router.get("/follow-ups", response=list[NoteOut])
@paginate(PageNumberPagination)
def list_follow_ups(request, mine: bool = True):
    """Starred field notes whose follow-up is still open."""
    require_perm(request.user, "fieldwork.view_fieldnote")
    return services.open_follow_ups(request.user, mine=mine)


@router.post("/follow-ups/{note_id}/done", response=NoteOut)
def close_follow_up(request, note_id: int, payload: DoneIn):
    note = authorize_api(
        request, FieldNote, note_id, perm="fieldwork.change_fieldnote", action="change"
    )
    return services.close_follow_up(request.user, note, result=payload.result)


@router.get("/progress", response=ProgressOut)
def weekly_progress(request):
    require_perm(request.user, "fieldwork.view_visit")
    return services.weekly_progress(request.user)
