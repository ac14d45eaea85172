"""JSON API for the risk register, mounted at /api/v1/risks/. Handlers only call services; every
read goes through ``restrict``/``get_scoped``; reading a risk's detail is audited."""

from datetime import date, datetime

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import PageNumberPagination, paginate

from fengqiao.core import workflow as kernel
from fengqiao.core.errors import ServiceError

from . import reviews, services, suggestions
from .actions import registry
from .models import Risk, RiskCategory

router = Router(tags=["risks"])


class RiskCategoryOut(Schema):
    code: str
    name: str
    label: str  # the name in the request's language


class RiskOut(Schema):
    id: int
    number: str
    title: str
    category: str
    source: str
    state: str
    level: str
    place_id: int
    place: str
    unit: str
    next_review_at: datetime | None
    applied_at: datetime
    closed_at: datetime | None
    recurrence_count: int
    supervision_count: int

    @staticmethod
    def resolve_category(obj):
        return obj.category.code

    @staticmethod
    def resolve_place(obj):
        return obj.place.name

    @staticmethod
    def resolve_unit(obj):
        return obj.unit.name if obj.unit_id else ""


class RiskPersonOut(Schema):
    """A person involved, masked (the clear values only through the audited reveal);
    ``person_id`` is the linked registry person (``/api/v1/registry/people/{id}``) or null."""

    id: int
    name: str
    id_number: str
    phone: str
    role: str
    person_id: int | None

    @staticmethod
    def resolve_name(obj):
        return str(obj.name)

    @staticmethod
    def resolve_id_number(obj):
        return str(obj.id_number)

    @staticmethod
    def resolve_phone(obj):
        return str(obj.phone)


class LevelOut(Schema):
    from_level: str
    to_level: str
    reason: str
    approver: str
    decided_at: datetime | None

    @staticmethod
    def resolve_approver(obj):
        return str(obj.approver) if obj.approver_id else ""


class HandOverOut(Schema):
    id: int
    risk_id: int
    department: str
    matter: str
    state: str
    feedback: str

    @staticmethod
    def resolve_department(obj):
        return obj.department.name


class RiskDetailOut(RiskOut):
    description: str
    plan: str
    units_involved: str
    proposed_level: str
    responsible_unit: str
    responsible_leader: str
    responsible_person: str
    city_reference: str
    people: list[RiskPersonOut]
    levels: list[LevelOut]
    handovers: list[HandOverOut]
    disputes: list[int]
    cases: list[int]
    units: list[int]  # linked registry units (/api/v1/registry/units/{id})
    task_force: bool

    @staticmethod
    def resolve_responsible_unit(obj):
        dept = obj.responsible_department
        return dept.name if dept else obj.responsible_unit_name

    @staticmethod
    def resolve_responsible_leader(obj):
        return str(obj.responsible_leader or "")

    @staticmethod
    def resolve_responsible_person(obj):
        return str(obj.responsible_person or "")

    @staticmethod
    def resolve_people(obj):
        return list(obj.people.all())

    @staticmethod
    def resolve_levels(obj):
        return services.level_history(obj)

    @staticmethod
    def resolve_handovers(obj):
        return list(obj.handovers.select_related("department"))

    @staticmethod
    def resolve_disputes(obj):
        return list(obj.disputes.values_list("pk", flat=True))

    @staticmethod
    def resolve_cases(obj):
        return list(obj.cases.values_list("pk", flat=True))

    @staticmethod
    def resolve_units(obj):
        return list(obj.units.values_list("pk", flat=True))

    @staticmethod
    def resolve_task_force(obj):
        return hasattr(obj, "task_force")


class RiskTimelineOut(Schema):
    at: datetime
    actor_name: str
    transition: str
    from_state: str
    to_state: str
    note: str
    data: dict


class RiskPersonIn(Schema):
    """A person involved. With ``id_number`` the registry person of that number is linked when
    the caller may see them; ``person_id`` links one explicitly (404 when out of scope)."""

    name: str
    id_number: str = ""
    phone: str = ""
    role: str = ""
    person_id: int | None = None


class ApplyIn(Schema):
    place_id: int
    category: str
    title: str
    description: str
    source: str = "screening"
    level: str = "blue"
    plan: str = ""
    units_involved: str = ""
    units: list[int] = []  # registry units (实有单位) the caller may see; others: 404
    responsible_department_id: int | None = None
    responsible_unit_name: str = ""
    responsible_leader_id: int | None = None
    responsible_person_id: int | None = None
    people: list[RiskPersonIn] = []
    disputes: list[int] = []
    cases: list[int] = []


class SuggestionOut(Schema):
    id: int
    source: str
    title: str
    detail: str
    state: str
    place_id: int
    reason: str
    risk_id: int | None
    created_at: datetime


class DismissIn(Schema):
    reason: str


class AcceptIn(Schema):
    title: str = ""
    description: str = ""
    category: str = ""
    level: str = "blue"
    plan: str = ""


class ItemOut(Schema):
    id: int
    risk_id: int
    risk_number: str
    risk_title: str
    level_at_agenda: str
    decision: str
    new_level: str
    note: str
    decided_at: datetime | None

    @staticmethod
    def resolve_risk_number(obj):
        return obj.risk.number

    @staticmethod
    def resolve_risk_title(obj):
        return obj.risk.title


class SessionOut(Schema):
    id: int
    title: str
    kind: str
    state: str
    slot_at: datetime
    place_id: int
    attendees: str
    minutes: str


class SessionDetailOut(SessionOut):
    items: list[ItemOut]


class ActionPlanIn(Schema):
    title: str
    owner_id: int
    due_at: datetime


class DecisionIn(Schema):
    decision: str
    note: str = ""
    new_level: str = ""
    department_id: int | None = None
    matter: str = ""
    actions: list[ActionPlanIn] = []


class DecisionOut(ItemOut):
    recorded: bool = True


class CloseSessionIn(Schema):
    minutes: str
    attendees: str = ""


class WartimeIn(Schema):
    place_id: int
    starts_at: datetime
    ends_at: datetime
    reason: str


class WartimeOut(Schema):
    id: int
    place_id: int
    starts_at: datetime
    ends_at: datetime
    reason: str


class StepIn(Schema):
    note: str = ""
    feedback: str = ""


class ResultIn(Schema):
    result: str


class ReviewActionOut(Schema):
    id: int
    risk_id: int
    title: str
    owner_id: int
    due_at: datetime
    state: str
    result: str


# -- register -----------------------------------------------------------------------------------
@router.get("/categories", response=list[RiskCategoryOut])
def list_categories(request):
    return list(RiskCategory.objects.filter(active=True))


@router.get("/", response=list[RiskOut])
@paginate(PageNumberPagination)
def list_risks(request, state: str = "", level: str = "", place_id: int | None = None):
    services.need(request.user, "risks.view_risk")
    rows = Risk.objects.restrict(request.user).select_related("category", "place", "unit")
    if state == "open":
        rows = rows.filter(state__in=Risk.ON_REGISTER)
    elif state:
        rows = rows.filter(state=state)
    if level:
        rows = rows.filter(level=level)
    if place_id:
        from fengqiao.org.models import Place

        place = Place.objects.filter(pk=place_id).first()
        rows = rows.filter(place_path__startswith=place.path) if place else rows.none()
    return rows.order_by("-applied_at", "-id")


@router.post("/", response={201: RiskDetailOut})
def apply_risk(request, payload: ApplyIn):
    risk = services.apply_risk(
        request.user,
        place=payload.place_id,
        category=payload.category,
        title=payload.title,
        description=payload.description,
        source=payload.source,
        level=payload.level,
        plan=payload.plan,
        units_involved=payload.units_involved,
        units=payload.units,
        responsible_department=payload.responsible_department_id,
        responsible_unit_name=payload.responsible_unit_name,
        responsible_leader=payload.responsible_leader_id,
        responsible_person=payload.responsible_person_id,
        people=[p.dict() for p in payload.people],
        disputes=payload.disputes,
        cases=payload.cases,
    )
    return Status(201, services.get_risk(request.user, risk.pk))


@router.get("/figures")
def risk_figures(request):
    return {"units": services.figures(request.user)}


@router.get("/export.xlsx")
def export_register(request):
    from . import documents

    data = documents.register_xlsx(request.user)
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = 'attachment; filename="risk-register.xlsx"'
    return response


# -- suggestions ----------------------------------------------------------------------------------
@router.get("/suggestions", response=list[SuggestionOut])
@paginate(PageNumberPagination)
def list_suggestions(request, state: str = "pending"):
    rows = suggestions.visible(request.user)
    return rows.filter(state=state) if state else rows


@router.post("/suggestions/collect")
def collect_suggestions(request):
    services.need(request.user, "risks.manage_suggestion")
    return {"found": suggestions.collect()}


@router.post("/suggestions/{suggestion_id}/accept", response={201: RiskDetailOut})
def accept_suggestion(request, suggestion_id: int, payload: AcceptIn):
    found = suggestions.get(request.user, suggestion_id, "change")
    fields = {k: v for k, v in payload.dict().items() if v}
    risk = suggestions.accept(request.user, found, **fields)
    return Status(201, services.get_risk(request.user, risk.pk))


@router.post("/suggestions/{suggestion_id}/dismiss", response=SuggestionOut)
def dismiss_suggestion(request, suggestion_id: int, payload: DismissIn):
    found = suggestions.get(request.user, suggestion_id, "change")
    return suggestions.dismiss(request.user, found, reason=payload.reason)


# -- reviews --------------------------------------------------------------------------------------
@router.get("/sessions", response=list[SessionOut])
@paginate(PageNumberPagination)
def list_sessions(request, state: str = ""):
    rows = reviews.sessions(request.user)
    return rows.filter(state=state) if state else rows


@router.get("/sessions/{session_id}", response=SessionDetailOut)
def get_session(request, session_id: int):
    session = reviews.get_session(request.user, session_id)
    session.items_visible = reviews.agenda(session, request.user)
    return _session_out(session)


def _session_out(session):
    return {
        **{f: getattr(session, f) for f in SessionOut.model_fields if f != "place_id"},
        "place_id": session.place_id,
        "items": session.items_visible,
    }


@router.post("/sessions/{session_id}/items/{item_id}/decision", response=DecisionOut)
def decide(request, session_id: int, item_id: int, payload: DecisionIn):
    """Record the decision on one agenda item. The same decision sent twice answers the recorded
    one (``recorded: false``); a different decision on a decided item answers 409."""
    session = reviews.get_session(request.user, session_id, "change")
    item, created = reviews.decide(
        session,
        item_id,
        request.user,
        decision=payload.decision,
        note=payload.note,
        new_level=payload.new_level,
        department=payload.department_id,
        matter=payload.matter,
        actions=[
            {"title": a.title, "owner": a.owner_id, "due_at": a.due_at} for a in payload.actions
        ],
    )
    item.recorded = created
    return item


@router.post("/sessions/{session_id}/close", response=SessionOut)
def close_session(request, session_id: int, payload: CloseSessionIn):
    session = reviews.get_session(request.user, session_id, "change")
    return reviews.close_session(
        session, request.user, minutes=payload.minutes, attendees=payload.attendees
    )


@router.get("/sessions/{session_id}/pack/{fmt}")
def session_pack(request, session_id: int, fmt: str):
    from . import documents

    session = reviews.get_session(request.user, session_id)
    data, content_type, name = documents.pack(session, request.user, fmt)
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@router.post("/wartime", response={201: WartimeOut})
def set_wartime(request, payload: WartimeIn):
    period = reviews.set_wartime(
        request.user,
        place=payload.place_id,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        reason=payload.reason,
    )
    return Status(201, period)


@router.post("/handovers/{handover_id}/{step}", response=HandOverOut)
def handover_step(request, handover_id: int, step: str, payload: StepIn):
    """``review`` · ``notify`` · ``transfer`` · ``answer`` (the department's feedback) · ``archive``."""
    handover = services.get_handover(request.user, handover_id, "change")
    if step not in ("review", "notify", "transfer", "answer", "archive"):
        raise ServiceError(_("未知操作：%(a)s") % {"a": step}, code="unknown_action")
    return services.handover_step(
        handover, request.user, step, note=payload.note, feedback=payload.feedback
    )


@router.post("/review-actions/{action_id}/complete", response=ReviewActionOut)
def complete_action(request, action_id: int, payload: ResultIn):
    action = services.get_action(request.user, action_id, "change")
    return services.complete_action(action, request.user, result=payload.result)


# -- one risk -------------------------------------------------------------------------------------
@router.get("/{risk_id}", response=RiskDetailOut)
def get_risk(request, risk_id: int):
    return services.view_risk(request.user, risk_id)


class RiskLogOut(Schema):
    day: date
    text: str
    author: str

    @staticmethod
    def resolve_author(obj):
        return str(obj.author or "")


class TaskForceOut(Schema):
    leader: str
    members: list[str]
    plan: str
    created_at: datetime
    logs: list[RiskLogOut]

    @staticmethod
    def resolve_leader(obj):
        return str(obj.leader)

    @staticmethod
    def resolve_members(obj):
        return [str(m) for m in obj.members.all()]

    @staticmethod
    def resolve_logs(obj):
        return list(obj.logs.select_related("author"))


@router.get("/{risk_id}/task-force", response=TaskForceOut)
def get_task_force(request, risk_id: int):
    """The task force (专班) of a risk with its daily log; 404 when it has none."""
    from fengqiao.core.errors import NotFound

    from .models import TaskForce

    risk = services.get_risk(request.user, risk_id)
    force = TaskForce.objects.filter(risk=risk).select_related("leader").first()
    if force is None:
        raise NotFound(_("该风险尚未组建专班"))
    return force


@router.get("/{risk_id}/timeline", response=list[RiskTimelineOut])
def get_timeline(request, risk_id: int):
    return list(kernel.timeline(services.get_risk(request.user, risk_id)))


def _load(request, risk_id):
    return services.get_risk(request.user, risk_id)


def _respond(request, risk_id, result):
    return services.get_risk(request.user, risk_id)


# POST /{risk_id}/actions/<name> for every action of the registry (core.actions), each with its
# own request body in the OpenAPI. Close-out requests carry files: POST /{risk_id}/close-request.
registry.add_api_operations(
    router, id_param="risk_id", load=_load, respond=_respond, response=RiskDetailOut
)


@router.post("/{risk_id}/people", response={201: RiskDetailOut})
def add_person(request, risk_id: int, payload: RiskPersonIn):
    """Add a person involved to a risk (linked to the registry as ``RiskPersonIn`` says)."""
    risk = services.get_risk(request.user, risk_id, "change")
    services.add_person(
        risk,
        request.user,
        name=payload.name,
        id_number=payload.id_number,
        phone=payload.phone,
        role=payload.role,
        person=payload.person_id,
    )
    return Status(201, services.get_risk(request.user, risk_id))


@router.post("/{risk_id}/close-request", response=RiskDetailOut)
def close_request(
    request, risk_id: int, note: Form[str] = "", evidence: File[list[UploadedFile]] = None
):
    """Apply for close-out (销号) with evidence files (multipart: ``note``, ``evidence``)."""
    risk = services.get_risk(request.user, risk_id)
    services.request_close(risk, request.user, note=note, files=evidence or [])
    return services.get_risk(request.user, risk_id)
