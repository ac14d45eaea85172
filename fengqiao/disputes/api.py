"""JSON API for disputes, mounted at /api/v1/disputes/. Handlers only call services; every
read goes through ``Dispute.objects.restrict``; service errors become the common error format."""

from datetime import date, datetime
from decimal import Decimal

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate

from fengqiao.core import workflow as kernel
from fengqiao.core.authz import authorize_api, require_perm
from fengqiao.core.errors import NotFound

from . import services
from .actions import registry, task_registry
from .models import Agreement, Dispute, DisputeType, JointTask

router = Router(tags=["disputes"])


class TypeOut(Schema):
    code: str
    name: str
    small_hours: int
    large_hours: int


class DisputeOut(Schema):
    id: int
    number: str
    title: str
    type: str
    size: str
    state: str
    level: int
    place_id: int
    place: str
    mediator_id: int | None
    mediator: str
    risk_score: int
    risk_level: str
    on_risk_register: bool
    is_recurrence: bool
    outcome: str
    resolved_level: int | None
    source_case_id: int | None
    registered_at: datetime
    resolved_at: datetime | None
    closed_at: datetime | None

    @staticmethod
    def resolve_type(obj):
        return obj.type.code

    @staticmethod
    def resolve_place(obj):
        return obj.place.name

    @staticmethod
    def resolve_mediator(obj):
        return str(obj.mediator) if obj.mediator_id else ""


class PartyOut(Schema):
    id: int
    kind: str
    side: str
    name: str
    id_number: str
    phone: str
    representative: str

    @staticmethod
    def resolve_name(obj):
        return str(obj.name)

    @staticmethod
    def resolve_id_number(obj):
        return str(obj.id_number)

    @staticmethod
    def resolve_phone(obj):
        return str(obj.phone)

    @staticmethod
    def resolve_representative(obj):
        return str(obj.representative)


class AttemptOut(Schema):
    id: int
    level: int
    mediator_id: int | None
    started_at: datetime
    ended_at: datetime | None
    location: str
    summary: str
    outcome: str
    referral: str
    guidance: str
    lawyer_choice: str
    skip_reason: str


class AgreementOut(Schema):
    id: int
    number: str
    version: int
    state: str
    integrity_code: str
    performance_due: date | None
    signed_at: datetime | None

    @staticmethod
    def resolve_integrity_code(obj):
        return services.short_code(obj.integrity_code)


class DisputeDetailOut(DisputeOut):
    facts: str
    claims: str
    amount: Decimal | None
    risk_factors: dict
    tracking_code: str
    parties: list[PartyOut]
    attempts: list[AttemptOut]
    agreements: list[AgreementOut]

    @staticmethod
    def resolve_parties(obj):
        return list(obj.parties.all())

    @staticmethod
    def resolve_attempts(obj):
        return list(obj.attempts.all())

    @staticmethod
    def resolve_agreements(obj):
        return list(obj.agreements.all())


class TimelineOut(Schema):
    at: datetime
    actor_name: str
    transition: str
    from_state: str
    to_state: str
    note: str
    data: dict


class PartyIn(Schema):
    kind: str = "person"
    side: str = ""
    name: str
    gender: str = ""
    id_number: str = ""
    phone: str = ""
    address: str = ""
    legal_representative: str = ""
    representative: str = ""
    representative_relation: str = ""


class PartyPatchIn(Schema):
    """Only the fields sent are changed; an empty string clears an optional field."""

    kind: str | None = None
    side: str | None = None
    name: str | None = None
    gender: str | None = None
    id_number: str | None = None
    phone: str | None = None
    address: str | None = None
    legal_representative: str | None = None
    representative: str | None = None
    representative_relation: str | None = None


class PartyDetailOut(PartyOut):
    """A party, masked, with what the agreement still needs of it (人民调解法第二十九条)."""

    address: str
    missing_for_agreement: list[str]

    @staticmethod
    def resolve_address(obj):
        return str(obj.address)

    @staticmethod
    def resolve_missing_for_agreement(obj):
        return services.missing_for_agreement(obj)


class RegisterIn(Schema):
    place_id: int
    type: str
    title: str
    facts: str
    claims: str = ""
    amount: Decimal | None = None
    size: str = "small"
    parties: list[PartyIn]
    risk: dict = {}
    source_case_id: int | None = None


class TermIn(Schema):
    text: str
    due_on: str


class AgreementIn(Schema):
    facts: str = ""
    issues: str = ""
    responsibilities: str = ""
    terms: list[TermIn] = []
    performance_manner: str = ""


class AgreementWriteOut(AgreementOut):
    new_version: bool = False


class VerifyIn(Schema):
    number: str
    code: str


class VerifyOut(Schema):
    number: str
    valid: bool
    reason: str
    state: str | None = None
    version: int | None = None


class ParticipantIn(Schema):
    name: str
    role: str


class HearingIn(Schema):
    held_at: datetime
    location: str = ""
    statements: str = ""
    defence: str = ""
    deliberation: str = ""
    decision: str = ""
    minutes: str = ""
    participants: list[ParticipantIn] = []


class HearingOut(Schema):
    id: int
    held_at: datetime
    location: str
    decision: str
    chair_id: int


class JointTaskIn(Schema):
    department_id: int
    task: str
    due_at: datetime


class JointTaskOut(Schema):
    id: int
    dispute_id: int
    dispute_number: str
    department_id: int
    department: str
    task: str
    due_at: datetime
    state: str
    result: str
    overdue: bool

    @staticmethod
    def resolve_dispute_id(obj):
        return obj.attempt.dispute_id

    @staticmethod
    def resolve_dispute_number(obj):
        return obj.attempt.dispute.number

    @staticmethod
    def resolve_department(obj):
        return obj.department.name


DISPUTES = Dispute.objects.select_related("type", "place", "mediator")
AGREEMENTS = Agreement.objects.select_related("dispute")


def _base_rows(request):
    return Dispute.objects.restrict(request.user).select_related("type", "place", "mediator")


@router.get("/types", response=list[TypeOut])
def list_types(request):
    return list(DisputeType.objects.filter(active=True))


@router.get("/", response=list[DisputeOut])
@paginate(PageNumberPagination)
def list_disputes(
    request, state: str = "", level: int | None = None, mine: bool = False, risk_level: str = ""
):
    require_perm(request.user, "disputes.view_dispute")
    rows = _base_rows(request)
    if state:
        rows = rows.filter(state=state)
    if level:
        rows = rows.filter(level=level)
    if risk_level:
        rows = rows.filter(risk_level=risk_level)
    if mine:
        rows = rows.filter(mediator=request.user)
    return rows.order_by("-registered_at", "-id")


@router.post("/", response={201: DisputeDetailOut})
def register_dispute(request, payload: RegisterIn):
    dispute = services.register_dispute(
        request.user,
        place=payload.place_id,
        type=payload.type,
        title=payload.title,
        facts=payload.facts,
        claims=payload.claims,
        amount=payload.amount,
        size=payload.size,
        parties=[p.dict() for p in payload.parties],
        risk=payload.risk,
        source_case_id=payload.source_case_id,
    )
    return Status(201, _detail(request, dispute.pk))


def _detail(request, pk):
    return (
        _base_rows(request)
        .prefetch_related("parties", "attempts", "agreements")
        .get_scoped(request.user, pk=pk)
    )


@router.get("/figures")
def dispute_figures(request):
    return services.figures(request.user)


@router.post("/agreements/verify", response=VerifyOut)
def verify_agreement(request, payload: VerifyIn):
    result = services.verify_agreement(request.user, payload.number, payload.code)
    agreement = result.pop("agreement")
    return {
        **result,
        "reason": str(result["reason"]),
        "state": agreement.state if agreement and result["valid"] else None,
        "version": agreement.version if agreement and result["valid"] else None,
    }


@router.get("/joint-tasks", response=list[JointTaskOut])
@paginate(PageNumberPagination)
def list_joint_tasks(request, state: str = ""):
    require_perm(request.user, "disputes.handle_joint_task")
    rows = services.visible_tasks(request.user).order_by("due_at", "id")
    return rows.filter(state=state) if state else rows


def _task_result(request, task_id, task):
    return services.visible_tasks(request.user).get(pk=task.pk)


# ``claim`` (签收) and ``complete`` (反馈, with the result), one operation each, from the joint
# tasks' own registry: ``POST /joint-tasks/{task_id}/claim`` and ``…/complete``.
task_registry.add_api_operations(
    router,
    id_param="task_id",
    load=lambda request, pk: authorize_api(request, JointTask, pk),
    respond=_task_result,
    response=JointTaskOut,
    unknown=True,  # any other name: 404 out of scope, else 400 naming the actions there are
)


@router.get("/agreements/{agreement_id}", response=AgreementOut)
def get_agreement(request, agreement_id: int):
    return authorize_api(request, AGREEMENTS, agreement_id, perm="disputes.view_dispute")


@router.get("/agreements/{agreement_id}/download/{fmt}")
def download_agreement(request, agreement_id: int, fmt: str):
    agreement = authorize_api(request, AGREEMENTS, agreement_id, perm="disputes.view_dispute")
    data = services.document_for(agreement, request.user, fmt)
    kind = (
        "application/pdf"
        if fmt == "pdf"
        else "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    response = HttpResponse(data, content_type=kind)
    response["Content-Disposition"] = f'attachment; filename="{agreement.number}.{fmt}"'
    return response


@router.put("/agreements/{agreement_id}", response=AgreementWriteOut)
def revise_agreement(request, agreement_id: int, payload: AgreementIn):
    agreement = authorize_api(request, AGREEMENTS, agreement_id, action="change")
    fields = payload.dict()
    result, is_new = services.revise_agreement(agreement, request.user, **fields)
    result.new_version = is_new
    return result


@router.post("/agreements/{agreement_id}/sign", response=AgreementOut)
def sign_agreement(request, agreement_id: int):
    agreement = authorize_api(request, AGREEMENTS, agreement_id, action="change")
    return services.sign_agreement(agreement, request.user)


@router.get("/{dispute_id}", response=DisputeDetailOut)
def get_dispute(request, dispute_id: int):
    return authorize_api(
        request,
        _base_rows(request).prefetch_related("parties", "attempts", "agreements"),
        dispute_id,
        perm="disputes.view_dispute",
    )


@router.get("/{dispute_id}/timeline", response=list[TimelineOut])
def get_timeline(request, dispute_id: int):
    dispute = authorize_api(request, Dispute, dispute_id, perm="disputes.view_dispute")
    return list(kernel.timeline(dispute))


def _party(request, dispute_id, party_id, action):
    dispute = authorize_api(
        request, Dispute, dispute_id, perm="disputes.view_dispute", action=action
    )
    party = dispute.parties.filter(pk=party_id).first()
    if party is None:
        raise NotFound(_("当事人不存在"))
    return party


@router.get("/{dispute_id}/parties/{party_id}", response=PartyDetailOut)
def get_party(request, dispute_id: int, party_id: int):
    return _party(request, dispute_id, party_id, "view")


@router.patch("/{dispute_id}/parties/{party_id}", response=PartyDetailOut)
def patch_party(request, dispute_id: int, party_id: int, payload: PartyPatchIn):
    """Edit a party at any stage: only the fields sent change (validated as at registration,
    audited, on the timeline without the values); 404 out of the caller's change scope."""
    party = _party(request, dispute_id, party_id, "change")
    fields = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    return services.update_party(party, request.user, **fields)


@router.post("/{dispute_id}/agreements", response={201: AgreementOut})
def draft_agreement(request, dispute_id: int, payload: AgreementIn):
    dispute = authorize_api(request, DISPUTES, dispute_id)
    fields = payload.dict()
    return Status(201, services.draft_agreement(dispute, request.user, **fields))


@router.post("/{dispute_id}/hearing", response={201: HearingOut})
def record_hearing(request, dispute_id: int, payload: HearingIn):
    dispute = authorize_api(request, DISPUTES, dispute_id)
    data = payload.dict()
    hearing = services.record_hearing(dispute, request.user, **data)
    return Status(201, hearing)


@router.post("/{dispute_id}/joint-tasks", response={201: list[JointTaskOut]})
def dispatch_joint_tasks(request, dispute_id: int, payload: list[JointTaskIn]):
    dispute = authorize_api(request, DISPUTES, dispute_id)
    tasks = [{"department": t.department_id, "task": t.task, "due_at": t.due_at} for t in payload]
    rows = services.dispatch_joint_tasks(dispute, request.user, tasks)
    return Status(
        201, list(services.visible_tasks(request.user).filter(pk__in=[r.pk for r in rows]))
    )


def _action_result(request, dispute_id, result):
    return _detail(request, dispute_id)


# One operation per action (its own request body in the OpenAPI), from the one registry.
registry.add_api_operations(
    router,
    id_param="dispute_id",
    load=lambda request, pk: authorize_api(request, DISPUTES, pk),
    respond=_action_result,
    response=DisputeDetailOut,
    unknown=True,  # any other name: 404 out of scope, else 400 naming the actions there are
)
