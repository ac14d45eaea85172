"""The link to disputes (矛盾纠纷): spawning one from a case, following its outcome."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengqiao.core import pii
from fengqiao.core.errors import Conflict, NotFound, ServiceError
from fengqiao.core.workflow import Move, append_timeline, apply

from ..models import Case
from ..workflow import DISPUTE_CATEGORY, DISPUTE_OPEN, flow
from ._common import clean_text

# -- the dispute link (矛盾纠纷) -------------------------------------------------------------------
PARTY_KINDS = ("person", "organisation")
MAX_PARTIES = 10


def clean_parties(parties):
    """At least two parties, each with a name; kind person/organisation; phone, ID number and address
    optional (the agreement will need the last two) but valid.
    Returns them in the shape ``disputes.services.register_dispute`` takes (empty rows dropped)."""
    rows = [
        p
        for p in (parties or [])
        if isinstance(p, dict)
        and any(
            str(v or "").strip()
            for v in (p.get(k) for k in ("name", "phone", "id_number", "address"))
        )
    ]
    if len(rows) < 2:
        raise ServiceError(
            _("请至少填写两方当事人"), code="parties_required", details={"field": "parties"}
        )
    if len(rows) > MAX_PARTIES:
        raise ServiceError(
            _("当事人不能超过 %(n)d 方") % {"n": MAX_PARTIES},
            code="invalid_parties",
            details={"field": "parties"},
        )
    clean, errors = [], []
    for index, raw in enumerate(rows, start=1):
        label = _("第%(n)d方当事人") % {"n": index}
        name = clean_text(raw.get("name"), field=_("姓名/名称"), max_length=100)
        kind = str(raw.get("kind") or "person").strip()
        phone = pii.normalise(clean_text(raw.get("phone"), field=_("电话"), max_length=30), "phone")
        if not name:
            errors.append(_("%(p)s：请填写姓名/名称") % {"p": label})
        if kind not in PARTY_KINDS:
            errors.append(_("%(p)s：类别不正确") % {"p": label})
        if phone and not pii.valid_phone(phone):
            errors.append(_("%(p)s：手机号格式不正确") % {"p": label})
        # Optional here, but the agreement (人民调解法第二十九条) will need them: asked up front.
        id_number = pii.normalise(
            clean_text(raw.get("id_number"), field=_("身份证号/统一社会信用代码"), max_length=30),
            "id_number",
        )
        if id_number and kind == "person" and not pii.valid_id_number(id_number):
            errors.append(_("%(p)s：身份证号码不正确") % {"p": label})
        address = clean_text(raw.get("address"), field=_("住址"), max_length=200)
        clean.append(
            {"name": name, "kind": kind, "phone": phone, "id_number": id_number, "address": address}
        )
    if errors:
        raise ServiceError(
            "；".join(errors),
            code="invalid_parties",
            details={"field": "parties", "errors": errors},
        )
    return clean


def dispute_types():
    from fengqiao.disputes.models import DisputeType

    return list(DisputeType.objects.filter(active=True).order_by("order", "code"))


def _dispute_type(value):
    from fengqiao.disputes.models import DisputeType

    code = str(value or "").strip()
    found = DisputeType.objects.filter(code=code, active=True).first() if code else None
    if found is None:
        raise ServiceError(_("请选择纠纷类型"), code="invalid_type", details={"field": "type"})
    return found


def spawn_dispute(case, actor, *, parties, type, note=""):  # noqa: A002 — the disputes name
    """转矛盾纠纷调解: register a dispute from a 矛盾纠纷 case (accepted … in progress) and link
    both ways (``case.dispute``, ``dispute.source_case_id``), in one transaction. Returns
    (case, dispute). Twice → 409; another category → 400; out of scope → 404."""
    from fengqiao.disputes import services as disputes

    note = clean_text(note, field=_("说明"))
    if not Case.objects.restrict(actor, "change").filter(pk=case.pk).exists():
        raise NotFound(_("记录不存在或无权访问"))
    with transaction.atomic():
        locked = (
            Case.objects.select_for_update()
            .select_related("category", "place")
            .filter(pk=case.pk)
            .first()
        )
        if locked is None:
            raise NotFound(_("记录不存在或无权访问"))
        if locked.category.code != DISPUTE_CATEGORY:
            raise ServiceError(
                _("只有“矛盾纠纷”类事件可以转矛盾纠纷调解"), code="not_a_dispute_case"
            )
        if locked.dispute_id is not None:
            raise Conflict(_("该事件已转矛盾纠纷调解，不能重复转入"), code="already_spawned")
        if locked.state not in DISPUTE_OPEN:
            raise Conflict(
                _("当前状态“%(state)s”下不能转矛盾纠纷调解")
                % {"state": locked.get_state_display()},
                code="invalid_state",
            )
        move = flow.transition("spawn_dispute")
        move.guard(locked, Move(move, actor, {}, note, timezone.now()))
        dispute_type = _dispute_type(type)
        clean = clean_parties(parties)
        dispute = disputes.register_from_case(
            locked,
            actor,
            parties=clean,
            type=dispute_type,
            title=f"{locked.number} {locked.description[:60]}",
        )
        text = _("转矛盾纠纷调解：%(number)s（%(type)s）") % {
            "number": dispute.number,
            "type": dispute_type.name,
        }
        case, _entry = apply(
            locked,
            "spawn_dispute",
            actor,
            note=f"{text}\n{note}" if note else text,
            data={
                "dispute": dispute.pk,
                "dispute_id": dispute.pk,
                "dispute_number": dispute.number,
            },
        )
    return case, dispute


def spawn_action(case, actor, *, note="", data=None, attachments=()):
    data = dict(data or {})
    case, _dispute = spawn_dispute(
        case, actor, parties=data.get("parties") or [], type=data.get("type"), note=note
    )
    return case


# What the case records when its dispute reaches a state (the dispute's state → result text).
DISPUTE_OUTCOMES = {
    "agreed": gettext_lazy("矛盾纠纷调解达成一致，待签署人民调解协议书（编号%(number)s）"),
    "performing": gettext_lazy("矛盾纠纷已调解：达成协议，协议书已签署（编号%(number)s）"),
    "performed": gettext_lazy("矛盾纠纷已调解：协议已履行（编号%(number)s）"),
    "closed": gettext_lazy("矛盾纠纷已办结（编号%(number)s）"),
    "withdrawn": gettext_lazy("矛盾纠纷已办结：当事人撤回（编号%(number)s）"),
    "referred": gettext_lazy("矛盾纠纷已办结：已引导至诉讼、仲裁等途径（编号%(number)s）"),
}


# The dispute states that settle the case (resolved with the outcome); the others only write
# the step on the case's timeline.
SETTLING = ("performing", "performed", "closed", "withdrawn", "referred")


def follow_dispute(dispute, transition, entry, actor, data, now):
    """The case follows its dispute (``core.workflow.on_transition("disputes.dispute", …)``):
    an outcome goes on the case's timeline and an open case is resolved with it, by the kernel,
    inside the dispute's transaction; verification, closure and the return visit follow as for
    any case."""
    if not dispute.source_case_id or entry.from_state == entry.to_state:
        return
    template = DISPUTE_OUTCOMES.get(entry.to_state)
    if template is None:
        return
    # 达成协议 is recorded on the case only once the 人民调解协议书 is signed (the dispute moves
    # on to performing): an agreement reached orally but not yet put in writing is a step, not
    # an outcome (issue 16: the case said 达成协议 while no agreement could be produced).
    settles = entry.to_state in SETTLING
    # Stored text (the case's result, the reporter's tracking page): in the site language, not
    # in the language of whoever's page moved the dispute.
    with translation.override(settings.LANGUAGE_CODE):
        text = str(template) % {"number": dispute.number}
        actor_name = _("系统（矛盾纠纷联动）")
    link = {
        "dispute_id": dispute.pk,
        "dispute_number": dispute.number,
        "dispute_state": entry.to_state,
    }
    for case in Case.objects.filter(dispute_id=dispute.pk).order_by("pk"):
        if settles and case.state in DISPUTE_OPEN:
            apply(
                case,
                "dispute_settled",
                None,
                system=True,
                actor_name=actor_name,
                note=text,
                data={"result": text, **link},
                now=now,
            )
        else:
            append_timeline(
                case,
                "dispute_outcome",
                actor_name=actor_name,
                to_state=case.state,
                note=text,
                data=link,
                now=now,
            )
