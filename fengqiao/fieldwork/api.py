"""JSON API for fieldwork, mounted at /api/v1/fieldwork/: visits, follow-ups, weekly progress,
patrol circles (teams, rota), patrol logs (a finding becomes a case), publicity activities.
Handlers only call services; reads are scoped (404 out of scope)."""

from datetime import date, datetime, timedelta

from django.db.models import Count, Prefetch
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate

from fengqiao.core.authz import authorize_api, require_perm
from fengqiao.core.errors import NotFound, ServiceError
from fengqiao.org.models import Place
from fengqiao.registry.models import Address

from . import services
from .actions import NOTE_PATH, PATROL_PATH
from .actions import registry as actions
from .models import Activity, FieldNote, PatrolCircle, PatrolLog, PatrolShift, PatrolTeam, Visit

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


@router.get("/progress", response=ProgressOut)
def weekly_progress(request):
    require_perm(request.user, "fieldwork.view_visit")
    return services.weekly_progress(request.user)


# -- patrols --------------------------------------------------------------------------------------
class PlaceRef(Schema):
    id: int
    code: str
    name: str


class CircleOut(Schema):
    id: int
    name: str
    place_id: int
    town: str
    villages: list[PlaceRef]
    teams: int
    created_at: datetime

    @staticmethod
    def resolve_town(obj):
        return obj.place.name

    @staticmethod
    def resolve_villages(obj):
        return [{"id": v.pk, "code": v.code, "name": v.name} for v in obj.villages.all()]

    @staticmethod
    def resolve_teams(obj):
        return obj.team_count


class TeamOut(Schema):
    id: int
    name: str
    members: list[str]

    @staticmethod
    def resolve_members(obj):
        return [str(m) for m in obj.members.all()]


class ShiftOut(Schema):
    day: date
    shift: int
    shift_label: str
    team_id: int
    team: str

    @staticmethod
    def resolve_shift_label(obj):
        return str(obj.get_shift_display())

    @staticmethod
    def resolve_team(obj):
        return obj.team.name


class CircleDetailOut(CircleOut):
    team_list: list[TeamOut]
    rota: list[ShiftOut]


class LogOut(Schema):
    id: int
    circle_id: int
    circle: str
    team_id: int | None
    team: str
    recorded_by: str
    started_at: datetime
    ended_at: datetime | None
    route: str
    findings: str
    case_id: int | None
    case_number: str
    created_at: datetime

    @staticmethod
    def resolve_circle(obj):
        return obj.circle.name

    @staticmethod
    def resolve_team(obj):
        return obj.team.name if obj.team_id else ""

    @staticmethod
    def resolve_recorded_by(obj):
        return str(obj.recorded_by)

    @staticmethod
    def resolve_case_number(obj):
        return obj.case.number if obj.case_id else ""


class LogIn(Schema):
    circle_id: int
    started_at: str
    ended_at: str | None = None
    team_id: int | None = None
    route: str = ""
    findings: str = ""


def _circles(user):
    return (
        PatrolCircle.objects.restrict(user)
        .select_related("place")
        .prefetch_related(Prefetch("villages", queryset=Place.objects.order_by("code")))
        .annotate(team_count=Count("teams", distinct=True))
    )


def _logs(user):
    return PatrolLog.objects.restrict(user).select_related("circle", "team", "recorded_by", "case")


def _when(value, field):
    if value in (None, ""):
        return None
    parsed = parse_datetime(str(value))
    if parsed is None:
        raise ServiceError(
            _("%(field)s不是有效时间") % {"field": field},
            code="invalid_date",
            details={"field": field},
        )
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


@router.get("/circles", response=list[CircleOut])
@paginate(PageNumberPagination)
def list_circles(request):
    """Patrol circles (巡防圈) in the caller's jurisdiction, or whose teams the caller is in."""
    require_perm(request.user, "fieldwork.view_patrolcircle")
    return _circles(request.user)


@router.get("/circles/{circle_id}", response=CircleDetailOut)
def get_circle(request, circle_id: int, days: int = 14):
    """A circle with its teams and the rota from today for ``days`` days (at most 92)."""
    circle = authorize_api(
        request, _circles(request.user), circle_id, "fieldwork.view_patrolcircle"
    )
    today = timezone.localdate()
    circle.team_list = list(circle.teams.prefetch_related("members"))
    circle.rota = list(
        PatrolShift.objects.filter(
            circle=circle, day__gte=today, day__lt=today + timedelta(days=max(1, min(days, 92)))
        )
        .select_related("team")
        .order_by("day", "shift")
    )
    return circle


@router.get("/patrols", response=list[LogOut])
@paginate(PageNumberPagination)
def list_patrols(request, circle: int | None = None):
    """Patrol logs (巡防日志), newest first; ``circle`` narrows to one circle."""
    require_perm(request.user, "fieldwork.view_patrollog")
    rows = _logs(request.user)
    if circle is not None:
        rows = rows.filter(circle_id=circle)
    return rows


@router.post("/patrols", response={201: LogOut})
def record_patrol(request, payload: LogIn):
    circle = authorize_api(request, PatrolCircle, payload.circle_id, "fieldwork.add_patrollog")
    team = None
    if payload.team_id is not None:
        team = PatrolTeam.objects.filter(pk=payload.team_id, circle=circle).first()
        if team is None:
            raise ServiceError(_("巡防队不属于该巡防圈"), code="wrong_team")
    log = services.record_patrol(
        request.user,
        circle,
        started_at=_when(payload.started_at, "started_at"),
        ended_at=_when(payload.ended_at, "ended_at"),
        team=team,
        route=payload.route,
        findings=payload.findings,
    )
    return Status(201, _logs(request.user).get(pk=log.pk))


@router.get("/patrols/{log_id}", response=LogOut)
def get_patrol(request, log_id: int):
    return authorize_api(request, _logs(request.user), log_id, "fieldwork.view_patrollog")


# -- publicity ------------------------------------------------------------------------------------
class ActivityOut(Schema):
    id: int
    topic: str
    topic_label: str
    title: str
    held_on: date
    place_id: int
    place: str
    location: str
    attendance: int
    summary: str
    organiser: str
    created_at: datetime

    @staticmethod
    def resolve_topic_label(obj):
        return str(obj.get_topic_display())

    @staticmethod
    def resolve_place(obj):
        return obj.place.name

    @staticmethod
    def resolve_organiser(obj):
        return str(obj.organiser)


class ActivityIn(Schema):
    place_id: int
    topic: str
    title: str
    held_on: str
    attendance: int = 0
    location: str = ""
    summary: str = ""


def _activities(user):
    return Activity.objects.restrict(user).select_related("place", "organiser")


@router.get("/activities", response=list[ActivityOut])
@paginate(PageNumberPagination)
def list_activities(request, topic: str = "", month: str = ""):
    """Publicity activities (反诈, 普法, 消防 …); ``month`` as ``YYYY-MM``."""
    require_perm(request.user, "fieldwork.view_activity")
    rows = _activities(request.user)
    if topic:
        rows = rows.filter(topic=topic)
    if month:
        try:
            year, mon = (int(x) for x in month.split("-"))
            rows = rows.filter(held_on__year=year, held_on__month=mon)
        except ValueError:
            raise ServiceError(_("年月不正确"), code="invalid_month") from None
    return rows


@router.post("/activities", response={201: ActivityOut})
def record_activity(request, payload: ActivityIn):
    require_perm(request.user, "fieldwork.add_activity")
    place = Place.objects.restrict(request.user).filter(pk=payload.place_id).first()
    if place is None:
        raise NotFound(_("地点不存在或无权访问"))
    data = payload.dict()
    data.pop("place_id")
    activity = services.record_activity(request.user, place=place, **data)
    return Status(201, _activities(request.user).get(pk=activity.pk))


@router.get("/activities/{activity_id}", response=ActivityOut)
def get_activity(request, activity_id: int):
    return authorize_api(request, _activities(request.user), activity_id, "fieldwork.view_activity")


# -- actions on a follow-up note and a patrol log: one operation per action of
# ``fieldwork.actions.registry`` (its own request body in the OpenAPI). The record is loaded in the
# caller's jurisdiction for a write (404 otherwise), the registry checks the action's permission,
# the service the state on the locked row (409 for a second ``done`` / ``to_case``).
def _note_for(request, note_id):
    return authorize_api(
        request,
        FieldNote.objects.select_related("address", "author"),
        note_id,
        perm="fieldwork.change_fieldnote",
        action="change",
    )


def _log_for(request, log_id):
    return authorize_api(request, PatrolLog, log_id, "cases.add_case", action="change")


actions.add_api_operations(
    router,
    model=FieldNote,
    api_path=NOTE_PATH,
    id_param="note_id",
    load=_note_for,
    respond=lambda request, pk, note: _note_for(request, pk),
    response=NoteOut,
    unknown=True,  # any other name: 404 out of scope, else 400 naming the actions there are
)
actions.add_api_operations(
    router,
    model=PatrolLog,
    api_path=PATROL_PATH,
    id_param="log_id",
    load=_log_for,
    respond=lambda request, pk, log: _logs(request.user).get(pk=pk),
    response=LogOut,
    unknown=True,
)


# -- weekly visit targets (targets.py: the definition shared with the command centre) -------------
class OfficerTargetOut(Schema):
    user_id: int
    name: str
    places: list[str]
    done: int
    target: int
    rate: float | None


class PlaceTargetOut(Schema):
    code: str
    name: str
    officers: int
    done: int
    target: int
    rate: float | None


class TargetPlaceRef(Schema):
    code: str
    name: str


class TargetBoardOut(Schema):
    week_start: date
    week_end: date
    place: TargetPlaceRef | None
    by: str
    visits: int
    done: int
    target: int
    rate: float | None
    officers: list[OfficerTargetOut]
    places: list[PlaceTargetOut]


class WeekOut(Schema):
    week_start: date
    done: int
    target: int
    rate: float | None


class TargetVisitOut(Schema):
    id: int
    visited_on: date
    address_id: int
    address: str
    purpose: str

    @staticmethod
    def resolve_address(obj):
        return obj.address.full_name


class OfficerTargetDetailOut(Schema):
    user_id: int
    name: str
    places: list[str]
    weekly_target: int
    week_start: date
    week_end: date
    done: int
    target: int
    rate: float | None
    history: list[WeekOut]
    visits: list[TargetVisitOut]


class TargetIn(Schema):
    weekly: int


@router.get("/targets", response=TargetBoardOut)
def list_targets(request, week: str = "", place: str = "", by: str = "officer"):
    """Households visited in the week (Monday–Sunday) against each officer's weekly target
    (default 20), per officer or (``by=place``) per place one level below, within the caller's
    jurisdiction (``place`` = a place code inside it). Same definition as
    ``/api/v1/insights/visits``."""
    from . import targets

    return targets.board(request.user, week=week, place=place, by=by)


@router.get("/targets/{officer_id}", response=OfficerTargetDetailOut)
def target_detail(request, officer_id: int, week: str = ""):
    """One officer's week against the target, the eight weeks up to it, and the week's visits.
    404 for an officer outside the caller's jurisdiction."""
    from . import targets

    return targets.officer(request.user, officer_id, week=week)


@router.put("/targets/{officer_id}", response=OfficerTargetDetailOut)
def set_target(request, officer_id: int, payload: TargetIn):
    """Set the officer's weekly target (``fieldwork.change_visittarget``; audited)."""
    from . import targets

    targets.set_target(request.user, officer_id, payload.weekly)
    return targets.officer(request.user, officer_id)
