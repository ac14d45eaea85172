"""JSON API under /api/v1/assistant/: ``ask`` (public, residents), ``screen`` (staff/keys), and the
staff's hand-off queue and alerts inbox with their actions (``assistant.actions.registry``)."""

from datetime import datetime

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from fengqiao.core.authz import authorize_api, require_perm
from fengqiao.core.errors import NotFound, ServiceError
from fengqiao.core.throttle import client_ip
from fengqiao.org.models import Place

from . import services
from .actions import ALERT_PATH, HANDOFF_PATH, registry
from .models import Alert, Handoff

router = Router(tags=["assistant"])


class AskIn(Schema):
    id: str | int | None = None
    question: str = Field(..., max_length=2000)


class KBMatch(Schema):
    id: str
    score: float


class CitationOut(Schema):
    law: str
    article: int
    text: str
    article_suffix: int | None = None
    superseded: bool | None = None
    notice: str | None = None


class AskOut(Schema):
    id: str | int | None = None
    answer: str
    kb_matches: list[KBMatch]
    citations: list[CitationOut]
    confidence: float
    handoff: bool
    ai_generated: bool = True
    ai_generated_by_llm: bool = False


class ScreenIn(Schema):
    id: str | int | None = None
    text: str = Field(..., max_length=2000)
    grid: str | None = Field(
        None, description="网格代码：给出时，命中即向该网格的民警和网格员发出预警"
    )
    group_name: str | None = Field(None, max_length=100)
    context: str | None = Field(None, max_length=4000)


class ScreenOut(Schema):
    id: str | int | None = None
    label: str
    score: float
    fraud: bool
    evidence: list[str]
    alert_id: int | None = None


@router.post("/ask", response=AskOut, auth=None, summary="向智能助手提问（群众端，无需登录）")
def ask(request, payload: AskIn):
    services.CHAT.consume(client_ip(request))  # 429 with Retry-After when over
    result = services.ask(payload.question)
    return result.as_dict(payload.id)


@router.post(
    "/screen", response=ScreenOut, summary="筛查一条群消息（诈骗、威胁、自伤、走失、纠纷激化）"
)
def screen(request, payload: ScreenIn):
    if not payload.text.strip():
        raise ServiceError(_("text 不能为空"))
    place = None
    if payload.grid:
        place = Place.objects.restrict(request.user).filter(code=payload.grid).first()
        if place is None:
            raise NotFound(_("网格不存在或无权访问"))
    result, alert = services.screen_message(
        payload.text, place, group_name=payload.group_name or "", context=payload.context or ""
    )
    return {"id": payload.id, **result.as_dict(), "alert_id": alert.pk if alert else None}


# -- staff: hand-offs (转人工) and alerts, in the caller's jurisdiction ---------------------------
HANDOFFS = Handoff.objects.select_related("place")
ALERTS = Alert.objects.select_related("place")


class HandoffOut(Schema):
    id: int
    place_code: str
    question: str
    contact: str = Field(description="联系方式（脱敏）")
    status: str
    assistant_answer: str
    reply: str
    case_ref: str = Field(description="咨询事件的查询码（空：事件未建立）")
    created_at: datetime

    @staticmethod
    def resolve_place_code(obj):
        return obj.place.code

    @staticmethod
    def resolve_contact(obj):
        return str(obj.contact)  # masked (pii.Sensitive); clear only through core.services.reveal


class HandoffDetailOut(HandoffOut):
    actions: list[str] = Field(description="当前用户现在可执行的操作")


class AlertOut(Schema):
    id: int
    place_code: str
    group_name: str
    text: str
    label: str
    score: float
    fraud: bool
    evidence: list[str]
    warning_reply: str
    status: str
    case_ref: str = Field(description="转成的事件的查询码")
    created_at: datetime

    @staticmethod
    def resolve_place_code(obj):
        return obj.place.code


class AlertDetailOut(AlertOut):
    actions: list[str] = Field(description="当前用户现在可执行的操作")


def _with_actions(request, record):
    record.actions = registry.available(record, request.user)
    return record


@router.get("/handoffs", response=list[HandoffOut], summary="转人工咨询（本辖区）")
@paginate(PageNumberPagination)
def list_handoffs(request, status: str = ""):
    require_perm(request.user, "assistant.view_handoff")
    rows = HANDOFFS.restrict(request.user)
    return rows.filter(status=status) if status else rows


@router.get("/handoffs/{handoff_id}", response=HandoffDetailOut, summary="一条转人工咨询")
def get_handoff(request, handoff_id: int):
    handoff = authorize_api(request, HANDOFFS, handoff_id, perm="assistant.view_handoff")
    return _with_actions(request, handoff)


@router.get("/alerts", response=list[AlertOut], summary="群消息预警（本辖区）")
@paginate(PageNumberPagination)
def list_alerts(request, status: str = ""):
    require_perm(request.user, "assistant.view_alert")
    rows = ALERTS.restrict(request.user)
    return rows.filter(status=status) if status else rows


@router.get("/alerts/{alert_id}", response=AlertDetailOut, summary="一条群消息预警")
def get_alert(request, alert_id: int):
    alert = authorize_api(request, ALERTS, alert_id, perm="assistant.view_alert")
    return _with_actions(request, alert)


# One operation per action (its own request body in the OpenAPI), from the one registry: the
# permission of each action is checked by the registry and again by its service; the record is
# loaded in the caller's jurisdiction (404 otherwise).
registry.add_api_operations(
    router,
    model=Handoff,
    api_path=HANDOFF_PATH,
    id_param="handoff_id",
    load=lambda request, pk: authorize_api(request, HANDOFFS, pk, perm="assistant.view_handoff"),
    respond=lambda request, pk, handoff: get_handoff(request, pk),
    response=HandoffDetailOut,
    unknown=True,  # any other name: 404 out of scope, else 400 naming the actions there are
)
registry.add_api_operations(
    router,
    model=Alert,
    api_path=ALERT_PATH,
    id_param="alert_id",
    load=lambda request, pk: authorize_api(request, ALERTS, pk, perm="assistant.view_alert"),
    respond=lambda request, pk, alert: get_alert(request, pk),
    response=AlertDetailOut,
    unknown=True,
)
