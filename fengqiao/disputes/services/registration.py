"""Registration, the 民转刑 risk assessment and the mediator pools."""

from __future__ import annotations

import secrets
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.core import audit, notifications, pii
from fengqiao.core.authz import AnyOf, has_perm
from fengqiao.core.errors import NotFound, ServiceError
from fengqiao.core.workflow import append_timeline
from fengqiao.org.models import Place, User

from ..models import (
    LEVELS,
    Attempt,
    Dispute,
    DisputeType,
    MediatorPoolMember,
    Party,
)
from ..workflow import setting
from ._common import (
    ANY_POOL_PERMISSION,
    LEVEL_PERMISSIONS,
    RISK_FLAGS,
    RISK_HIGH,
    RISK_MEDIUM,
    _need,
)


# -- risk ------------------------------------------------------------------------------------
def assess_risk(factors: dict | None):
    """Score the 民转刑 risk from the assessment factors. Returns (clean factors, score, level)."""
    factors = dict(factors or {})
    clean, score = {}, 0
    for key, (weight, _label) in RISK_FLAGS.items():
        if _truthy(factors.get(key)):
            clean[key] = True
            score += weight
    try:
        people = max(0, int(factors.get("people") or 0))
    except (TypeError, ValueError):
        raise ServiceError(_("涉及人数必须是整数"), code="invalid_risk") from None
    try:
        intensity = int(factors.get("intensity") or 0)
    except (TypeError, ValueError):
        raise ServiceError(_("激烈程度必须是0到3之间的整数"), code="invalid_risk") from None
    if not 0 <= intensity <= 3:
        raise ServiceError(_("激烈程度必须是0到3之间的整数"), code="invalid_risk")
    clean["people"], clean["intensity"] = people, intensity
    score += 20 if people >= 10 else 10 if people >= 5 else 5 if people >= 3 else 0
    score += intensity * 8
    score = min(score, 100)
    level = "high" if score >= RISK_HIGH else "medium" if score >= RISK_MEDIUM else "low"
    return clean, score, level


def _truthy(value):
    return value in (True, 1, "1", "true", "True", "on", "yes")


# -- registration ----------------------------------------------------------------------------
def _clean_parties(parties):
    if not isinstance(parties, list | tuple) or len([p for p in parties if p]) < 2:
        raise ServiceError(_("矛盾纠纷至少需要两方当事人"), code="parties_required")
    clean, errors = [], []
    for index, raw in enumerate(p for p in parties if p):
        label = _("第%(n)s方当事人") % {"n": index + 1}
        kind = raw.get("kind") or Party.Kind.PERSON
        if kind not in Party.Kind.values:
            errors.append(_("%(p)s：类别不正确") % {"p": label})
        name = (raw.get("name") or "").strip()
        if not name:
            errors.append(_("%(p)s：姓名/名称必填") % {"p": label})
        id_number = pii.normalise(raw.get("id_number") or "", "id_number")
        if id_number and kind == Party.Kind.PERSON and not pii.valid_id_number(id_number):
            errors.append(_("%(p)s：身份证号码不正确") % {"p": label})
        phone = pii.normalise(raw.get("phone") or "", "phone")
        if phone and not pii.valid_phone(phone):
            errors.append(_("%(p)s：联系电话不正确") % {"p": label})
        side = raw.get("side") or (Party.Side.APPLICANT if index == 0 else Party.Side.RESPONDENT)
        if side not in Party.Side.values:
            errors.append(_("%(p)s：身份不正确") % {"p": label})
        clean.append(
            {
                "kind": kind,
                "side": side,
                "name": name[:100],
                "id_number": id_number,
                "phone": phone,
                "address": (raw.get("address") or "").strip()[:200],
                "gender": (raw.get("gender") or "").strip()[:4],
                "legal_representative": (raw.get("legal_representative") or "").strip()[:50],
                "representative": (raw.get("representative") or "").strip()[:50],
                "representative_relation": (raw.get("representative_relation") or "").strip()[:30],
                "order": index,
            }
        )
    if errors:
        raise ServiceError("；".join(errors), code="invalid_parties", details={"errors": errors})
    return clean


def _clean_amount(amount):
    if amount in (None, ""):
        return None
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        raise ServiceError(_("涉及金额必须是数字"), code="invalid_amount") from None
    if value < 0 or value >= Decimal("1e12"):
        raise ServiceError(_("涉及金额超出范围"), code="invalid_amount")
    return value.quantize(Decimal("0.01"))


def _resolve_type(value):
    if isinstance(value, DisputeType):
        return value
    found = DisputeType.objects.filter(Q(code=value) | Q(pk=value if str(value).isdigit() else -1))
    found = found.filter(active=True).first()
    if found is None:
        raise ServiceError(_("请选择纠纷类型"), code="invalid_type")
    return found


def register_dispute(
    actor,
    *,
    place,
    type,
    title,
    facts,
    parties,
    claims="",
    amount=None,
    size=Dispute.Size.SMALL,
    risk=None,
    source_case_id=None,
    now=None,
):
    """Register a dispute with its parties and 民转刑 risk assessment."""
    _need(actor, "disputes.register_dispute")
    now = now or timezone.now()
    if not isinstance(place, Place):
        place = Place.objects.filter(pk=place).first()
    if place is None or place.level < Place.Level.TOWN:
        raise ServiceError(_("请选择纠纷发生的乡镇、村（社区）或网格"), code="invalid_place")
    if not actor.covers(place):
        raise NotFound(_("所选地点不在您的辖区内"))
    title, facts = (title or "").strip(), (facts or "").strip()
    missing = [n for n, v in ((_("纠纷名称"), title), (_("主要事实"), facts)) if not v]
    if missing:
        raise ServiceError(
            _("缺少必填项：%(fields)s") % {"fields": "、".join(missing)}, code="required"
        )
    if size not in Dispute.Size.values:
        raise ServiceError(_("规模不正确"), code="invalid_size")
    dispute_type = _resolve_type(type)
    clean_parties = _clean_parties(parties)
    amount = _clean_amount(amount)
    factors, score, level = assess_risk(risk)
    source_case_id = _source_case(actor, source_case_id)
    with transaction.atomic():
        dispute = Dispute.objects.create(
            number=f"tmp-{secrets.token_hex(8)}",
            tracking_code=secrets.token_urlsafe(12),
            title=title[:120],
            type=dispute_type,
            type_rule=dispute_type.rule(),
            size=size,
            facts=facts,
            claims=(claims or "").strip(),
            amount=amount,
            place=place,
            risk_factors=factors,
            risk_score=score,
            risk_level=level,
            on_risk_register=level == "high",
            source_case_id=source_case_id,
            registered_by=actor,
            registered_at=now,
        )
        dispute.number = f"JF{timezone.localtime(now):%Y}{dispute.pk:06d}"
        dispute.save(update_fields=["number"])
        rows = [Party(dispute=dispute, place=place, **p) for p in clean_parties]
        for row in rows:
            row.save()
        previous = _find_recurrence(dispute, rows, now)
        if previous is not None:
            dispute.recurrence_of, dispute.is_recurrence = previous, True
            dispute.save(update_fields=["recurrence_of", "is_recurrence"])
        append_timeline(
            dispute,
            "register",
            actor=actor,
            to_state=dispute.state,
            note=_("登记矛盾纠纷：%(title)s") % {"title": dispute.title},
            data={
                "risk_score": score,
                "risk_level": level,
                "recurrence_of": previous.number if previous else "",
                "source_case_id": source_case_id,
            },
            now=now,
        )
        if level == "high":
            _alert_high_risk(dispute, actor)
    return dispute


def _alert_high_risk(dispute, actor):
    from fengqiao.org.services import staff_for_place

    leaders = staff_for_place(dispute.place, ["leader"])
    notifications.notify(
        leaders,
        kind="dispute.high_risk",
        message="dispute.high_risk",
        params={"number": dispute.number, "title": dispute.title, "score": dispute.risk_score},
        url=f"/disputes/{dispute.pk}/",
        target=dispute,
    )
    append_timeline(
        dispute,
        "risk_alert",
        actor=actor,
        to_state=dispute.state,
        note=_("民转刑风险高，已提醒所领导并列入风险清单"),
        data={"notified": [u.pk for u in leaders]},
    )


def _find_recurrence(dispute, parties, now):
    """The latest earlier dispute between the same people (ID number, phone, or name when no ID
    is known), or of the same type at the same place, within ``DISPUTES_RECURRENCE_DAYS``."""
    since = now - timedelta(days=int(setting("RECURRENCE_DAYS", 180)))
    earlier = Dispute.objects.filter(registered_at__gte=since).exclude(pk=dispute.pk)
    hashes = Q()
    for party in parties:
        if party.id_hash:
            hashes |= Q(id_hash=party.id_hash)
        if party.phone_hash:
            hashes |= Q(phone_hash=party.phone_hash)
        if not party.id_hash and party.name_hash:
            hashes |= Q(name_hash=party.name_hash)
    shared = Party.objects.filter(hashes).exclude(dispute=dispute).values("dispute_id")
    same_people = Q(pk__in=shared) if hashes else Q(pk__in=[])
    # Same place: the same kind of dispute again in the same grid (or village) it was filed in.
    same_place = Q(place=dispute.place, type=dispute.type)
    return earlier.filter(same_people | same_place).order_by("-registered_at").first()


def _source_case(actor, source_case_id):
    """The case a dispute comes from, resolved through the jurisdiction filter (issue 14,
    finding 9): a case the actor cannot see is 404, never linked."""
    if source_case_id in (None, ""):
        return None
    from fengqiao.cases.models import Case

    try:
        pk = int(source_case_id)
    except (TypeError, ValueError):
        raise ServiceError(
            _("关联事件编号不正确"), code="invalid", details={"field": "source_case_id"}
        ) from None
    if not 0 < pk < 2**63 or not Case.objects.restrict(actor).filter(pk=pk).exists():
        raise NotFound(_("关联的事件不存在或不在您的辖区内"))
    return pk


def register_from_case(case, actor, *, parties, type="neighbour", title="", facts="", **extra):
    """Spawn a dispute from a 矛盾纠纷 case (fengqiao.cases). The case's place, title and
    description are the defaults; the dispute keeps the case id (``source_case_id``)."""
    return register_dispute(
        actor,
        place=case.place,
        type=type,
        title=title or getattr(case, "title", "") or _("由事件转入的矛盾纠纷"),
        facts=facts or getattr(case, "description", "") or getattr(case, "title", ""),
        parties=parties,
        source_case_id=case.pk,
        **extra,
    )


# -- mediator pools ---------------------------------------------------------------------------
def open_workload():
    return Count("disputes_mediating", filter=Q(disputes_mediating__state__in=Dispute.OPEN_STATES))


def pool_for(place, level):
    """Active pool members serving ``place`` (or an ancestor) at ``level``, least loaded first."""
    members = MediatorPoolMember.objects.filter(
        place__path__in=place.ancestor_paths(), level=level, active=True, user__is_active=True
    ).values("user_id")
    return list(
        User.objects.filter(pk__in=members)
        .annotate(workload=open_workload())
        .order_by("workload", "id")
    )


def add_to_pool(user, place, level, *, actor=None, speciality=""):
    if actor is not None:
        _need(actor, "disputes.assign_dispute")
        if not actor.covers(place):
            raise NotFound(_("所选地点不在您的辖区内"))
    if level not in LEVELS:
        raise ServiceError(_("层级必须是1至5"), code="invalid_level")
    member, _created = MediatorPoolMember.objects.update_or_create(
        user=user, place=place, level=level, defaults={"active": True, "speciality": speciality}
    )
    return member


def set_pool_member(actor, *, username, place, level, active=True, speciality=""):
    """Add a mediator to (or take them off) a place's pool at a level, by a coordinator."""
    _need(actor, "disputes.assign_dispute")
    user = User.objects.filter(username=(username or "").strip(), is_active=True).first()
    if user is None:
        raise ServiceError(_("没有这个工作人员账号"), code="invalid_user")
    if not isinstance(place, Place):
        place = Place.objects.filter(pk=place).first()
    if place is None or not actor.covers(place):
        raise NotFound(_("所选地点不在您的辖区内"))
    try:
        level = int(level)
    except (TypeError, ValueError):
        raise ServiceError(_("层级必须是1至5"), code="invalid_level") from None
    if level not in LEVELS:
        raise ServiceError(_("层级必须是1至5"), code="invalid_level")
    if active and not has_perm(user, AnyOf(LEVEL_PERMISSIONS[level], ANY_POOL_PERMISSION)):
        raise ServiceError(
            _("%(user)s 的角色不能担任第%(level)s级调解") % {"user": user, "level": level},
            code="invalid_mediator",
        )
    if not active:
        MediatorPoolMember.objects.filter(user=user, place=place, level=level).update(active=False)
        return None
    member = add_to_pool(user, place, level, speciality=speciality)
    audit.record(
        "dispute.pool_member",
        user=actor,
        target=member,
        data={"level": level, "place": place.code, "user": user.username},
    )
    return member


def _pick_mediator(dispute, level, mediator):
    """The mediator for ``level``: the one given (must be in the pool or hold the level's role),
    else the least-loaded pool member; None if the pool is empty."""
    pool = pool_for(dispute.place, level)
    if mediator in (None, ""):
        return pool[0] if pool else None
    if not isinstance(mediator, User):
        mediator = User.objects.filter(pk=mediator, is_active=True).first()
        if mediator is None:
            raise ServiceError(_("所选调解员不存在"), code="invalid_mediator")
    if mediator.pk in {u.pk for u in pool}:
        return mediator
    if level == 3:
        raise ServiceError(_("第三级须从律师名册中选择律师"), code="not_on_roster")
    if not has_perm(mediator, LEVEL_PERMISSIONS[level]):
        raise ServiceError(
            _("%(user)s 不在本地第%(level)s级调解员库中") % {"user": mediator, "level": level},
            code="invalid_mediator",
        )
    return mediator


def _current_attempt(dispute):
    return dispute.attempts.filter(outcome=Attempt.Outcome.PENDING).order_by("-id").first()


def _close_attempt(dispute, outcome, now, **fields):
    attempt = _current_attempt(dispute)
    if attempt is not None:
        attempt.outcome = outcome
        attempt.ended_at = now
        for key, value in fields.items():
            setattr(attempt, key, value)
        attempt.save()
    return attempt
