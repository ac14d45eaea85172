"""JSON API: POST /api/v1/assistant/ask (public, residents), POST /api/v1/assistant/screen (staff/keys)."""

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from fengqiao.core.errors import NotFound, ServiceError
from fengqiao.core.throttle import client_ip
from fengqiao.org.models import Place

from . import services

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
