"""The only writers of disputes. Each function checks permission and jurisdiction, changes state
through the workflow kernel (timeline, deadlines, notifications) and runs in one transaction."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from fengqiao.core import audit, notifications, pii
from fengqiao.core.errors import Conflict, Forbidden, NotFound, ServiceError
from fengqiao.core.workflow import append_timeline, apply, start_deadline, stop_deadlines
from fengqiao.org.models import Department, Place, User

from .models import (
    LEVELS,
    Agreement,
    Attempt,
    Dispute,
    DisputeType,
    Hearing,
    HearingParticipant,
    JointTask,
    JudicialConfirmation,
    MediatorPoolMember,
    Party,
    Performance,
    ReturnVisit,
)
from .workflow import JUDICIAL_WINDOW_DAYS, pending_effects, setting

# Defaults from the national people's-mediation statistics; editable (admin) as DisputeType rows.
DEFAULT_TYPES = [
    ("marriage_family", "婚姻家庭纠纷"),
    ("neighbour", "邻里纠纷"),
    ("housing_land", "房屋宅基地纠纷"),
    ("contract", "合同纠纷"),
    ("business", "生产经营纠纷"),
    ("damages", "损害赔偿纠纷"),
    ("forest_land", "山林土地纠纷"),
    ("expropriation", "征地拆迁纠纷"),
    ("environment", "环境污染纠纷"),
    ("labour", "劳动争议纠纷"),
    ("consumer", "消费纠纷"),
    ("medical", "医疗纠纷"),
    ("traffic", "道路交通事故纠纷"),
    ("property_management", "物业纠纷"),
    ("other", "其他纠纷"),
]

# The role a level's mediator normally holds (used when checking a pick outside the pool).
LEVEL_ROLES = {
    1: ("mediator",),
    2: ("police_assistant",),
    3: ("lawyer",),
    4: ("community_officer",),
    5: ("dispatcher", "leader"),
}

# 民转刑 risk: weights of yes/no factors, and the scales of the graded ones.
RISK_FLAGS = {
    "threats": (25, _("有威胁、扬言报复等言行")),
    "violence": (30, _("已发生肢体冲突或伤害")),
    "weapons": (30, _("涉及凶器、危险物品")),
    "repeated": (15, _("多次调解未果或反复发生")),
    "vulnerable": (10, _("涉及精神异常、独居老人等特殊人群")),
}
RISK_HIGH, RISK_MEDIUM = 60, 30


def ensure_types():
    for order, (code, name) in enumerate(DEFAULT_TYPES):
        DisputeType.objects.get_or_create(code=code, defaults={"name": name, "order": order})


def _need(actor, perm):
    if actor is None or not actor.is_authenticated or not actor.has_perm(perm):
        raise Forbidden(_("您没有执行此操作的权限"))


def _scoped(actor, dispute, action="view"):
    if not Dispute.objects.restrict(actor, action).filter(pk=dispute.pk).exists():
        raise NotFound(_("矛盾纠纷不存在或无权访问"))


def get_dispute(actor, pk, action="view"):
    return Dispute.objects.select_related("type", "place", "mediator").get_scoped(
        actor, action, pk=pk
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
    with transaction.atomic():
        dispute = Dispute.objects.create(
            number=f"tmp-{secrets.token_hex(8)}",
            tracking_code=secrets.token_urlsafe(12),
            title=title[:120],
            type=dispute_type,
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
        title=_("民转刑高风险纠纷：%(number)s %(title)s（风险分%(score)s）")
        % {"number": dispute.number, "title": dispute.title, "score": dispute.risk_score},
        body=_("已列入风险清单，请关注并及时化解。"),
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
    if active and not user.has_role(*LEVEL_ROLES[level], "mediator", "lawyer"):
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
    if not mediator.has_role(*LEVEL_ROLES[level]):
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


# -- the ladder -------------------------------------------------------------------------------
def start_mediation(dispute, actor, *, mediator=None, location="", note="", now=None):
    """L1: hand the dispute to an elder (乡贤/五老) from the place's pool."""
    now = now or timezone.now()
    _scoped(actor, dispute, "change")
    with transaction.atomic():
        chosen = _pick_mediator(dispute, 1, mediator)

        def effects(record):
            record.level, record.mediator = 1, chosen

        dispute, entry = _apply(
            dispute,
            "start",
            actor,
            effects,
            note=note or _("交由第一级调解：%(who)s") % {"who": chosen or _("待指派")},
            data={"level": 1, "mediator": chosen.pk if chosen else None},
            now=now,
        )
        Attempt.objects.create(
            dispute=dispute, level=1, mediator=chosen, started_at=now, location=location
        )
    return dispute


def _apply(dispute, name, actor, effects=None, *, note="", data=None, now=None, system=False):
    """``core.workflow.apply`` with a per-call effects hook (the flow calls ``pending_effects``)."""
    token = pending_effects.set(effects)
    try:
        return apply(dispute, name, actor, note=note, data=data, now=now, system=system)
    finally:
        pending_effects.reset(token)


def next_level(
    dispute,
    actor,
    *,
    note,
    to_level=None,
    mediator=None,
    skip_reason="",
    lawyer_choice="",
    location="",
    now=None,
):
    """The current level failed: record it and move up (normally one level; skipping needs a
    reason). At L3 the lawyer is the one the parties chose from the roster, and the choice is
    recorded."""
    now = now or timezone.now()
    _scoped(actor, dispute, "change")
    dispute.refresh_from_db()
    if dispute.state != Dispute.State.MEDIATING:
        raise Conflict(_("只有调解中的纠纷可以转下一级"), code="invalid_state")
    current = dispute.level
    try:
        target = int(to_level) if to_level not in (None, "") else current + 1
    except (TypeError, ValueError):
        raise ServiceError(_("层级必须是1至5"), code="invalid_level") from None
    if current >= 5:
        raise ServiceError(
            _("已是最高一级（联席调），调解不成请引导当事人通过诉讼、仲裁等途径解决"),
            code="top_level",
        )
    if target <= current or target > 5:
        raise ServiceError(
            _("只能转到更高一级（当前第%(level)s级）") % {"level": current}, code="invalid_level"
        )
    skip_reason = (skip_reason or "").strip()
    if target > current + 1 and len(skip_reason) < 4:
        raise ServiceError(
            _("从第%(a)s级直接转到第%(b)s级属于越级，请说明越级理由") % {"a": current, "b": target},
            code="skip_reason_required",
        )
    lawyer_choice = (lawyer_choice or "").strip()
    if target == 3 and not lawyer_choice:
        raise ServiceError(
            _("第三级律师须由当事人从律师名册中选择，请记录当事人的选择"),
            code="lawyer_choice_required",
        )
    if target == 3 and mediator in (None, ""):
        raise ServiceError(_("请选择当事人选定的律师"), code="lawyer_required")
    with transaction.atomic():
        chosen = _pick_mediator(dispute, target, mediator)
        _close_attempt(dispute, Attempt.Outcome.FAILED, now, summary=_append(None, note, dispute))

        def effects(record):
            record.level, record.mediator = target, chosen

        dispute, entry = _apply(
            dispute,
            "next_level",
            actor,
            effects,
            note=note,
            data={
                "from_level": current,
                "level": target,
                "mediator": chosen.pk if chosen else None,
                "mediator_name": str(chosen) if chosen else "",
                "skip_reason": skip_reason,
                "lawyer_choice": lawyer_choice,
            },
            now=now,
        )
        Attempt.objects.create(
            dispute=dispute,
            level=target,
            mediator=chosen,
            started_at=now,
            location=location,
            skip_reason=skip_reason,
            lawyer_choice=lawyer_choice,
        )
        if chosen is None:
            _tell_coordinators(dispute, target)
    return dispute


def _append(attempt, note, dispute):
    current = attempt or _current_attempt(dispute)
    existing = current.summary if current else ""
    return f"{existing}\n{note}".strip() if existing else note


def _tell_coordinators(dispute, level):
    from fengqiao.org.services import staff_for_place

    notifications.notify(
        staff_for_place(dispute.place, ["dispatcher", "community_officer"]),
        kind="dispute.unassigned",
        title=_("矛盾纠纷 %(number)s 已转第%(level)s级，本地调解员库无人，请指派")
        % {"number": dispute.number, "level": level},
        url=f"/disputes/{dispute.pk}/",
        target=dispute,
    )


def assign_mediator(dispute, actor, mediator, *, note="", now=None):
    _scoped(actor, dispute, "change")
    dispute.refresh_from_db()
    with transaction.atomic():
        chosen = _pick_mediator(dispute, dispute.level, mediator)
        if chosen is None:
            raise ServiceError(_("请选择调解员"), code="mediator_required")

        def effects(record):
            record.mediator = chosen

        dispute, _entry = _apply(
            dispute,
            "assign",
            actor,
            effects,
            note=note or _("指派调解员：%(who)s") % {"who": chosen},
            data={"mediator": chosen.pk, "level": dispute.level},
            now=now,
        )
        attempt = _current_attempt(dispute)
        if attempt is not None:
            attempt.mediator = chosen
            attempt.save(update_fields=["mediator"])
    return dispute


def record_progress(dispute, actor, *, note, location="", now=None):
    """What happened in a session of the current level (who, when, where, what)."""
    with transaction.atomic():
        dispute, _entry = _apply(
            dispute, "progress", actor, note=note, data={"location": location}, now=now
        )
        attempt = _current_attempt(dispute)
        if attempt is not None:
            attempt.summary = _append(attempt, note, dispute)
            if location:
                attempt.location = location[:200]
            attempt.save(update_fields=["summary", "location"])
    return dispute


def _require_level(dispute, level, what):
    if dispute.level != level or dispute.state != Dispute.State.MEDIATING:
        raise Conflict(
            _("%(what)s只能在第%(level)s级调解中进行") % {"what": what, "level": level},
            code="wrong_level",
        )


def record_hearing(
    dispute,
    actor,
    *,
    held_at,
    location,
    statements,
    defence,
    deliberation,
    decision,
    minutes,
    participants,
    now=None,
):
    """听证调 (L4): participants with their roles, statements, defence, deliberation, decision, minutes."""
    now = now or timezone.now()
    _scoped(actor, dispute, "change")
    dispute.refresh_from_db()
    _require_level(dispute, 4, _("听证"))
    fields = {
        _("听证时间"): held_at,
        _("地点"): location,
        _("陈述"): statements,
        _("申辩"): defence,
        _("评议"): deliberation,
        _("听证意见"): decision,
        _("听证笔录"): minutes,
    }
    missing = [k for k, v in fields.items() if not (v.strip() if isinstance(v, str) else v)]
    people = [
        (str(p.get("name") or "").strip(), p.get("role") or "")
        for p in (participants or [])
        if str(p.get("name") or "").strip()
    ]
    if not people:
        missing.append(_("参加人"))
    if missing:
        raise ServiceError(
            _("听证记录缺少：%(fields)s") % {"fields": "、".join(missing)},
            code="required",
            details={"missing": missing},
        )
    bad = [name for name, role in people if role not in HearingParticipant.Role.values]
    if bad:
        raise ServiceError(
            _("参加人身份不正确：%(n)s") % {"n": "、".join(bad)}, code="invalid_role"
        )
    if isinstance(held_at, str):
        held_at = _parse_datetime(held_at, _("听证时间"))
    with transaction.atomic():
        dispute, _entry = _apply(
            dispute,
            "hearing",
            actor,
            note=_("听证：%(decision)s") % {"decision": decision.strip()[:200]},
            data={"participants": len(people), "location": location},
            now=now,
        )
        attempt = _current_attempt(dispute)
        if attempt is None:
            attempt = Attempt.objects.create(
                dispute=dispute, level=4, mediator=actor, started_at=now
            )
        if hasattr(attempt, "hearing"):
            raise Conflict(_("本次听证调已有听证记录"), code="hearing_exists")
        hearing = Hearing.objects.create(
            attempt=attempt,
            chair=dispute.mediator or actor,
            held_at=held_at,
            location=location.strip()[:200],
            statements=statements.strip(),
            defence=defence.strip(),
            deliberation=deliberation.strip(),
            decision=decision.strip(),
            minutes=minutes.strip(),
            recorded_by=actor,
        )
        HearingParticipant.objects.bulk_create(
            HearingParticipant(hearing=hearing, name=name[:50], role=role) for name, role in people
        )
    return hearing


def get_hearing(actor, pk):
    hearing = (
        Hearing.objects.select_related("attempt__dispute__place", "chair").filter(pk=pk).first()
    )
    if hearing is None:
        raise NotFound(_("矛盾纠纷不存在或无权访问"))
    _scoped(actor, hearing.attempt.dispute)
    return hearing


def hearing_minutes_document(hearing, actor, fmt):
    """The hearing minutes (听证笔录) as docx or PDF, for the participants to check and sign.

    The one place the participants' names are printed in clear, so it is handled like the
    agreement: scope plus ``hold_hearing``, ``mediate_dispute`` or ``follow_up_dispute``; every
    generation, and every refusal, is written to the audit log."""
    dispute = hearing.attempt.dispute
    if not any(
        actor.has_perm(f"disputes.{p}")
        for p in ("hold_hearing", "mediate_dispute", "follow_up_dispute")
    ):
        audit.record(
            "dispute.hearing_minutes_generated",
            user=actor,
            target=dispute,
            result="denied",
            data={"format": fmt, "hearing": hearing.pk},
        )
        raise Forbidden(_("您没有生成听证笔录的权限"))
    _scoped(actor, dispute)
    if fmt not in ("docx", "pdf"):
        raise ServiceError(_("不支持的格式"), code="invalid_format")
    from . import documents

    # A legal record: Chinese whatever the page language, like the agreement.
    with translation.override(settings.LANGUAGE_CODE):
        minutes = {
            "hearing_id": hearing.pk,
            "dispute_number": dispute.number,
            "title": dispute.title,
            "committee": _committee_name(dispute.place),
            "held_at": timezone.localtime(hearing.held_at).strftime("%Y-%m-%d %H:%M"),
            "location": hearing.location,
            "chair": str(hearing.chair),
            "participants": [
                {"role": str(p.get_role_display()), "name": pii.clear_value(p.name)}
                for p in hearing.participants.all()
            ],
            "statements": hearing.statements,
            "defence": hearing.defence,
            "deliberation": hearing.deliberation,
            "decision": hearing.decision,
            "minutes": hearing.minutes,
        }
    data = documents.minutes_bytes(minutes, fmt)
    audit.record(
        "dispute.hearing_minutes_generated",
        user=actor,
        target=dispute,
        data={"format": fmt, "hearing": hearing.pk, "participants": len(minutes["participants"])},
    )
    return data


def _parse_datetime(value, label):
    parsed = None
    for fmt in ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"):
        try:
            parsed = datetime.strptime(value.strip(), fmt)
            break
        except ValueError:
            continue
    if parsed is None:
        raise ServiceError(_("%(f)s格式不正确") % {"f": label}, code="invalid_datetime")
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


def _parse_date(value, label):
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except (TypeError, ValueError):
        raise ServiceError(
            _("%(f)s格式不正确（YYYY-MM-DD）") % {"f": label}, code="invalid_date"
        ) from None


def dispatch_joint_tasks(dispute, actor, tasks, *, now=None):
    """联席调 (L5): 派单 a task with a deadline to each department."""
    now = now or timezone.now()
    _scoped(actor, dispute, "change")
    dispute.refresh_from_db()
    _require_level(dispute, 5, _("联席调派单"))
    clean = []
    for raw in tasks or []:
        dept = raw.get("department")
        if not isinstance(dept, Department):
            dept = Department.objects.filter(pk=dept).first()
        text = (raw.get("task") or "").strip()
        if dept is None or not text:
            raise ServiceError(_("每项派单须有部门和任务内容"), code="invalid_task")
        due = raw.get("due_at")
        due = _parse_datetime(due, _("办理期限")) if isinstance(due, str) else due
        if due is None or due <= now:
            raise ServiceError(_("办理期限须晚于现在"), code="invalid_due")
        clean.append((dept, text, due))
    if not clean:
        raise ServiceError(_("请至少派出一项任务"), code="required")
    with transaction.atomic():
        dispute, _entry = _apply(
            dispute,
            "dispatch_joint",
            actor,
            note=_("联席调派单：%(depts)s") % {"depts": "、".join(d.name for d, _t, _d in clean)},
            data={"departments": [d.pk for d, _t, _d in clean]},
            now=now,
        )
        attempt = _current_attempt(dispute)
        rows = JointTask.objects.bulk_create(
            JointTask(attempt=attempt, department=d, task=t, due_at=due, dispatched_at=now)
            for d, t, due in clean
        )
        for row in rows:  # each task's deadline on the kernel: overdue tasks are chased
            start_deadline(
                dispute, f"joint:{row.pk}", row.due_at, policy="dispute_followup", now=now
            )
        staff = User.objects.filter(department__in=[d for d, _t, _d in clean], is_active=True)
        notifications.notify(
            staff,
            kind="dispute.joint_task",
            title=_("联席调任务：%(number)s %(title)s")
            % {"number": dispute.number, "title": dispute.title},
            url="/disputes/joint/",
            target=dispute,
        )
    return rows


def visible_tasks(actor):
    disputes = Dispute.objects.restrict(actor)
    rows = JointTask.objects.filter(attempt__dispute__in=disputes)
    if actor.has_role("department_staff") and not actor.has_place_scope():
        rows = rows.filter(department_id=actor.department_id)
    return rows.select_related("department", "attempt__dispute")


def _task_for(actor, task_id):
    task = visible_tasks(actor).filter(pk=task_id).first()
    if task is None:
        raise NotFound(_("任务不存在或无权访问"))
    if actor.department_id != task.department_id and not actor.has_perm(
        "disputes.coordinate_joint"
    ):
        raise Forbidden(_("只有承办部门可以办理该任务"))
    return task


def claim_joint_task(task_id, actor, *, now=None):
    _need(actor, "disputes.handle_joint_task")
    now = now or timezone.now()
    with transaction.atomic():
        task = _task_for(actor, task_id)
        # Lock the task row, then re-read its state: of two staff claiming at once, the second
        # waits here and then gets a clear conflict (tests/disputes/test_race.py).
        task = JointTask.objects.select_for_update().get(pk=task.pk)
        if task.state == JointTask.State.DONE:
            raise Conflict(_("任务已反馈"), code="already_done")
        if task.state != JointTask.State.DISPATCHED:
            raise Conflict(_("任务已签收"), code="already_claimed")
        task.state, task.claimed_by = JointTask.State.CLAIMED, actor
        task.save(update_fields=["state", "claimed_by"])
        _apply(
            task.attempt.dispute,
            "joint_task",
            actor,
            note=_("%(dept)s 签收联席调任务") % {"dept": task.department},
            data={"task": task.pk, "state": task.state},
            now=now,
        )
    return task


def complete_joint_task(task_id, actor, *, result, now=None):
    _need(actor, "disputes.handle_joint_task")
    now = now or timezone.now()
    result = (result or "").strip()
    if not result:
        raise ServiceError(_("请填写办理结果"), code="required")
    with transaction.atomic():
        task = _task_for(actor, task_id)
        task = JointTask.objects.select_for_update().get(pk=task.pk)
        if task.state == JointTask.State.DONE:
            raise Conflict(_("任务已反馈"), code="already_done")
        task.state, task.result, task.done_at = JointTask.State.DONE, result, now
        task.claimed_by = task.claimed_by or actor
        task.save(update_fields=["state", "result", "done_at", "claimed_by"])
        stop_deadlines(task.attempt.dispute, (f"joint:{task.pk}",), now=now)
        _apply(
            task.attempt.dispute,
            "joint_task",
            actor,
            note=_("%(dept)s 反馈：%(result)s") % {"dept": task.department, "result": result[:200]},
            data={"task": task.pk, "state": task.state, "overdue": task.overdue},
            now=now,
        )
    return task


def record_joint_minutes(dispute, actor, *, minutes, now=None):
    minutes = (minutes or "").strip()
    if not minutes:
        raise ServiceError(_("请填写联席会议纪要"), code="required")
    _scoped(actor, dispute, "change")
    dispute.refresh_from_db()
    _require_level(dispute, 5, _("联席会议纪要"))
    with transaction.atomic():
        dispute, _entry = _apply(dispute, "joint_minutes", actor, note=minutes[:500], now=now)
        attempt = _current_attempt(dispute)
        attempt.minutes = minutes
        attempt.save(update_fields=["minutes"])
    return dispute


def agree(dispute, actor, *, note, now=None):
    """The parties reached an agreement at the current level."""
    now = now or timezone.now()
    with transaction.atomic():

        def effects(record):
            record.outcome = Dispute.Outcome.AGREEMENT
            record.resolved_level, record.resolved_at = record.level, now

        dispute, _entry = _apply(dispute, "agree", actor, effects, note=note, now=now)
        _close_attempt(
            dispute, Attempt.Outcome.AGREEMENT, now, summary=_append(None, note, dispute)
        )
    return dispute


def withdraw(dispute, actor, *, note, now=None):
    now = now or timezone.now()
    with transaction.atomic():

        def effects(record):
            record.outcome, record.closed_at = Dispute.Outcome.WITHDRAWN, now

        dispute, _entry = _apply(dispute, "withdraw", actor, effects, note=note, now=now)
        _close_attempt(
            dispute, Attempt.Outcome.WITHDRAWN, now, summary=_append(None, note, dispute)
        )
    return dispute


def refer(dispute, actor, *, note, referral, guidance, now=None):
    """Mediation cannot settle it: guide the parties to the court, arbitration or another body."""
    now = now or timezone.now()
    if referral and referral not in Attempt.Referral.values:
        raise ServiceError(_("引导途径不正确"), code="invalid_referral")
    with transaction.atomic():

        def effects(record):
            record.outcome, record.closed_at = Dispute.Outcome.REFERRED, now

        dispute, _entry = _apply(
            dispute,
            "refer",
            actor,
            effects,
            note=note,
            data={"referral": referral, "guidance": (guidance or "").strip()},
            now=now,
        )
        _close_attempt(
            dispute,
            Attempt.Outcome.REFERRED,
            now,
            referral=referral,
            guidance=guidance.strip(),
            summary=_append(None, note, dispute),
        )
    return dispute


def supervise(dispute, actor, *, note, now=None):
    def effects(record):
        record.supervision_count += 1

    dispute, _entry = _apply(dispute, "supervise", actor, effects, note=note, now=now)
    recipients = [dispute.mediator] if dispute.mediator_id else []
    notifications.notify(
        recipients,
        kind="dispute.supervise",
        title=_("督办：%(number)s %(note)s") % {"number": dispute.number, "note": note[:80]},
        url=f"/disputes/{dispute.pk}/",
        target=dispute,
    )
    return dispute


# -- agreement --------------------------------------------------------------------------------
REQUIRED_PARTS = {
    "parties": _("当事人的基本情况"),
    "facts": _("纠纷的主要事实"),
    "issues": _("争议事项"),
    "responsibilities": _("各方当事人的责任"),
    "terms": _("达成协议的内容"),
    "performance_manner": _("履行方式"),
    "performance_due": _("履行期限"),
}


def _committee_name(place):
    node = place
    while node is not None and node.level > Place.Level.VILLAGE:
        node = node.parent
    return f"{(node or place).name}人民调解委员会"


def _clean_terms(terms):
    clean = []
    for index, raw in enumerate(terms or []):
        text = str(raw.get("text") or "").strip()
        due = raw.get("due_on")
        if not text and not due:
            continue
        if not text:
            raise ServiceError(_("第%(n)s条协议内容为空") % {"n": index + 1}, code="invalid_terms")
        if not due:
            raise ServiceError(
                _("第%(n)s条协议须写明履行期限") % {"n": index + 1}, code="invalid_terms"
            )
        clean.append({"text": text, "due_on": _parse_date(due, _("履行期限")).isoformat()})
    return clean


def _party_info(party):
    """A party's basic information in clear: only for the agreement (audited by the caller)."""
    return {
        "side": party.get_side_display(),
        "kind": party.kind,
        "name": pii.clear_value(party.name),
        "gender": party.gender,
        "id_number": pii.clear_value(party.id_number),
        "address": pii.clear_value(party.address),
        "phone": pii.clear_value(party.phone),
        "legal_representative": pii.clear_value(party.legal_representative),
        "representative": pii.clear_value(party.representative),
        "representative_relation": party.representative_relation,
    }


def missing_parts(content):
    """Which parts the People's Mediation Law (第二十九条) requires are missing."""
    missing = []
    parties = content.get("parties") or []
    if len(parties) < 2 or any(
        not p.get("name") or not p.get("id_number") or not p.get("address") for p in parties
    ):
        missing.append(
            str(REQUIRED_PARTS["parties"]) + _("（每方当事人的姓名/名称、证件号码、住址）")
        )
    for key in ("facts", "issues", "responsibilities", "performance_manner"):
        if not (content.get(key) or "").strip():
            missing.append(str(REQUIRED_PARTS[key]))
    if not content.get("terms"):
        missing.append(str(REQUIRED_PARTS["terms"]))
    return missing


def _build_content(dispute, fields, actor, now):
    terms = _clean_terms(fields.get("terms"))
    due = max((t["due_on"] for t in terms), default="")
    # The agreement is a legal document in Chinese whatever the page language (docs/disputes.md).
    with translation.override(settings.LANGUAGE_CODE):
        parties = [_party_info(p) for p in dispute.parties.all()]
    mediator = dispute.mediator or actor
    return {
        "committee": _committee_name(dispute.place),
        "dispute_number": dispute.number,
        "type": dispute.type.name,
        "place": dispute.place.full_name,
        "parties": parties,
        "facts": (fields.get("facts") or "").strip(),
        "issues": (fields.get("issues") or "").strip(),
        "responsibilities": (fields.get("responsibilities") or "").strip(),
        "terms": terms,
        "performance_manner": (fields.get("performance_manner") or "").strip(),
        "performance_due": due,
        "mediator": str(mediator),
        "made_on": timezone.localdate(now).isoformat(),
    }


def canonical(content) -> str:
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _integrity_key() -> bytes:
    key = getattr(settings, "DISPUTES_AGREEMENT_KEY", "") or ""
    if key:
        return key.encode()
    return hmac.new(
        settings.SECRET_KEY.encode(), b"fengqiao.disputes.agreement", hashlib.sha256
    ).digest()


def integrity_code(number, version, content) -> str:
    message = f"{number}\n{version}\n{canonical(content)}".encode()
    return hmac.new(_integrity_key(), message, hashlib.sha256).hexdigest()


def short_code(code: str) -> str:
    """The printed form: the first 24 hex digits in groups of four."""
    head = code[:24].upper()
    return "-".join(head[i : i + 4] for i in range(0, 24, 4))


def agreement_content(agreement) -> dict:
    return json.loads(pii.clear_value(agreement.content) or "{}")


def _agreement_fields(content):
    return {
        k: content.get(k)
        for k in ("facts", "issues", "responsibilities", "terms", "performance_manner")
    }


def draft_agreement(
    dispute, actor, *, facts, issues, responsibilities, terms, performance_manner, now=None
):
    """Write the draft agreement of an agreed dispute (or update the current draft).

    Every part the law requires must be present; the draft gets its number and integrity code
    now, so the printed copy the parties sign carries them."""
    now = now or timezone.now()
    _need(actor, "disputes.mediate_dispute")
    _scoped(actor, dispute, "change")
    dispute.refresh_from_db()
    fields = {
        "facts": facts,
        "issues": issues,
        "responsibilities": responsibilities,
        "terms": terms,
        "performance_manner": performance_manner,
    }
    content = _build_content(dispute, fields, actor, now)
    _check_complete(content)
    with transaction.atomic():
        draft = dispute.agreements.filter(state=Agreement.State.DRAFT).first()
        signed = (
            dispute.agreements.filter(state=Agreement.State.SIGNED).order_by("-version").first()
        )
        if draft is None:
            version = (
                dispute.agreements.order_by("-version").values_list("version", flat=True).first()
                or 0
            ) + 1
            draft = Agreement(
                dispute=dispute,
                version=version,
                number=_agreement_number(dispute, version, now),
                supersedes=signed,
                created_by=actor,
                created_at=now,
            )
        _store(draft, content)
        _apply(
            dispute,
            "draft_agreement",
            actor,
            note=_("调解协议书 %(number)s 第%(v)s版（草稿）")
            % {"number": draft.number, "v": draft.version},
            data={"agreement": draft.pk, "version": draft.version},
            now=now,
        )
        audit.record(
            "dispute.agreement_drafted",
            user=actor,
            target=draft,
            data={"dispute": dispute.number, "version": draft.version},
        )
    return draft


def _check_complete(content):
    missing = missing_parts(content)
    if missing:
        raise ServiceError(
            _("调解协议书缺少法定内容：%(parts)s") % {"parts": "；".join(missing)},
            code="agreement_incomplete",
            details={"missing": missing},
        )


def _store(agreement, content):
    agreement.content = pii.Sensitive(canonical(content), "text")
    agreement.integrity_code = integrity_code(agreement.number, agreement.version, content)
    agreement.performance_due = (
        date.fromisoformat(content["performance_due"]) if content.get("performance_due") else None
    )
    agreement.save()


def _agreement_number(dispute, version, now):
    base = f"TJ{timezone.localtime(now):%Y}-{dispute.pk:06d}"
    return base if version == 1 else f"{base}-{version}"


def get_agreement(actor, pk, action="view"):
    disputes = Dispute.objects.restrict(actor, action)
    agreement = (
        Agreement.objects.select_related("dispute").filter(pk=pk, dispute__in=disputes).first()
    )
    if agreement is None:
        raise NotFound(_("调解协议书不存在或无权访问"))
    return agreement


def revise_agreement(agreement, actor, *, now=None, **fields):
    """Edit an agreement. A draft is updated; a signed agreement is never altered: the edit
    becomes a new draft version that supersedes it once signed. Returns (agreement, is_new)."""
    if agreement.state == Agreement.State.SUPERSEDED:
        raise Conflict(_("该版本已被新版本取代，不能修改"), code="superseded")
    dispute = agreement.dispute
    current = _agreement_fields(agreement_content(agreement))
    current.update({k: v for k, v in fields.items() if v is not None})
    if agreement.state == Agreement.State.DRAFT:
        return draft_agreement(dispute, actor, now=now, **current), False
    draft = dispute.agreements.filter(state=Agreement.State.DRAFT).first()
    if draft is not None:  # the pending new version is what gets edited
        current = _agreement_fields(agreement_content(draft))
        current.update({k: v for k, v in fields.items() if v is not None})
        return draft_agreement(dispute, actor, now=now, **current), False
    return draft_agreement(dispute, actor, now=now, **current), True


def sign_agreement(agreement, actor, *, signed_at=None, now=None):
    """The parties signed (or sealed / fingerprinted) it, the mediator signed and the committee
    sealed it: it takes effect and is frozen. Performance, return visit and the 30-day judicial
    confirmation window start."""
    now = now or timezone.now()
    signed_at = signed_at or now
    _need(actor, "disputes.mediate_dispute")
    dispute = agreement.dispute
    _scoped(actor, dispute, "change")
    with transaction.atomic():
        agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
        if agreement.state != Agreement.State.DRAFT:
            raise Conflict(_("该协议书已签署，不能重复签署"), code="already_signed")
        content = agreement_content(agreement)
        _check_complete(content)
        if integrity_code(agreement.number, agreement.version, content) != agreement.integrity_code:
            raise Conflict(_("协议内容校验失败，请重新生成"), code="integrity")
        previous = dispute.agreements.filter(state=Agreement.State.SIGNED).first()
        if previous is not None:
            Agreement.objects.filter(pk=previous.pk).update(state=Agreement.State.SUPERSEDED)
            Performance.objects.filter(agreement=previous, state=Performance.State.PENDING).delete()
        Agreement.objects.filter(pk=agreement.pk).update(
            state=Agreement.State.SIGNED, signed_at=signed_at, signed_by=actor
        )
        agreement.refresh_from_db()
        Performance.objects.bulk_create(
            Performance(
                agreement=agreement,
                term_index=i,
                term=t["text"],
                due_on=date.fromisoformat(t["due_on"]),
            )
            for i, t in enumerate(content["terms"])
        )
        visit_days = int(setting("RETURN_VISIT_DAYS", 7))
        base = max(
            agreement.performance_due or timezone.localdate(signed_at),
            timezone.localdate(signed_at),
        )
        ReturnVisit.objects.filter(dispute=dispute, visited_at__isnull=True).delete()
        ReturnVisit.objects.create(dispute=dispute, due_on=base + timedelta(days=visit_days))
        _apply(
            dispute,
            "sign_agreement",
            actor,
            note=_("调解协议书 %(number)s 签署生效") % {"number": agreement.number},
            data={"agreement": agreement.pk, "version": agreement.version},
            now=now,
        )
    return agreement


def document_for(agreement, actor, fmt):
    """Generate the docx or PDF. It prints the parties' clear names and ID numbers, so it is a
    reveal: scope and permission are checked and every generation is audited."""
    if not (
        actor.has_perm("disputes.mediate_dispute") or actor.has_perm("disputes.follow_up_dispute")
    ):
        audit.record(
            "dispute.agreement_generated",
            user=actor,
            target=agreement,
            result="denied",
            data={"format": fmt},
        )
        raise Forbidden(_("您没有生成调解协议书的权限"))
    _scoped(actor, agreement.dispute)
    from . import documents

    content = agreement_content(agreement)
    info = {
        "number": agreement.number,
        "version": agreement.version,
        "state": agreement.state,
        "code": short_code(agreement.integrity_code),
        "signed_at": agreement.signed_at,
    }
    if fmt == "docx":
        data = documents.docx_bytes(content, info)
    elif fmt == "pdf":
        data = documents.pdf_bytes(content, info)
    else:
        raise ServiceError(_("不支持的格式"), code="invalid_format")
    audit.record(
        "dispute.agreement_generated",
        user=actor,
        target=agreement,
        data={"format": fmt, "dispute": agreement.dispute.number, "version": agreement.version},
    )
    return data


def verify_agreement(actor, number, code):
    """Check a printed agreement: the number exists and the code matches the stored content's HMAC."""
    _need(actor, "disputes.verify_agreement")
    number = (number or "").strip()
    given = "".join(ch for ch in (code or "") if ch.isalnum()).lower()
    agreement = Agreement.objects.select_related("dispute").filter(number=number).first()
    result = {"number": number, "valid": False, "agreement": None, "reason": ""}
    if agreement is None or len(given) < 16:
        result["reason"] = _("编号不存在或校验码不完整")
    else:
        recomputed = integrity_code(
            agreement.number, agreement.version, agreement_content(agreement)
        )
        stored_ok = hmac.compare_digest(recomputed, agreement.integrity_code)
        matches = hmac.compare_digest(recomputed[: len(given)], given[:64])
        result["agreement"] = agreement
        if not stored_ok:
            result["reason"] = _("系统中保存的协议内容与校验码不一致，疑似被篡改")
        elif not matches:
            result["reason"] = _("校验码与该编号的协议不符，文书可能被篡改或不是本系统出具")
        else:
            result["valid"] = True
            result["reason"] = {
                Agreement.State.SIGNED: _("校验通过：该协议书真实有效"),
                Agreement.State.DRAFT: _("校验通过，但该版本尚未签署生效"),
                Agreement.State.SUPERSEDED: _("校验通过，但该版本已被新版本取代"),
            }[agreement.state]
    audit.record(
        "dispute.agreement_verified",
        user=actor,
        target=agreement if agreement else ("disputes.agreement", "", number[:60]),
        result="success" if result["valid"] else "failure",
        data={"number": number[:60]},
    )
    return result


# -- after the agreement ---------------------------------------------------------------------
def _signed(dispute):
    agreement = dispute.agreements.filter(state=Agreement.State.SIGNED).order_by("-version").first()
    if agreement is None:
        raise Conflict(_("尚无已生效的调解协议书"), code="no_agreement")
    return agreement


def record_judicial_confirmation(
    dispute,
    actor,
    *,
    court,
    applied_on,
    outcome="pending",
    decided_on=None,
    confirmation_number="",
    note="",
    now=None,
):
    """司法确认: the application (within 30 days of the agreement taking effect) and the court's
    ruling. Called again to add the outcome to an earlier application."""
    now = now or timezone.now()
    _need(actor, "disputes.follow_up_dispute")
    _scoped(actor, dispute, "change")
    agreement = _signed(dispute)
    court = (court or "").strip()
    if not court:
        raise ServiceError(_("请填写受理法院"), code="required")
    applied_on = _parse_date(applied_on, _("申请日期"))
    effective = timezone.localdate(agreement.signed_at)
    window_ends = effective + timedelta(days=JUDICIAL_WINDOW_DAYS)
    if outcome not in JudicialConfirmation.Outcome.values:
        raise ServiceError(_("司法确认结果不正确"), code="invalid_outcome")
    if applied_on < effective:
        raise ServiceError(_("申请日期不能早于协议生效日"), code="invalid_date")
    existing = (
        getattr(agreement, "judicial_confirmation", None)
        if hasattr(agreement, "judicial_confirmation")
        else None
    )
    if existing is None and applied_on > window_ends:
        raise ServiceError(
            _("已超过司法确认申请期限（协议生效之日起三十日内，截至%(d)s）") % {"d": window_ends},
            code="window_passed",
        )
    confirmation_number = (confirmation_number or "").strip()
    if outcome != "pending":
        decided_on = _parse_date(decided_on or timezone.localdate(now), _("裁定日期"))
        if outcome == "confirmed" and not confirmation_number:
            raise ServiceError(_("确认有效须填写裁定书文号"), code="required")
    with transaction.atomic():
        if existing is None:
            jc = JudicialConfirmation.objects.create(
                agreement=agreement,
                court=court,
                applied_on=applied_on,
                window_ends_on=window_ends,
                note=note,
            )
            _apply(
                dispute,
                "apply_confirmation",
                actor,
                note=_("向%(court)s申请司法确认") % {"court": court},
                data={"agreement": agreement.pk, "applied_on": applied_on.isoformat()},
                now=now,
            )
        else:
            jc = existing
            if jc.outcome != "pending":
                raise Conflict(_("司法确认结果已记录"), code="already_decided")
        if outcome != "pending":
            jc.outcome, jc.decided_on, jc.confirmation_number = (
                outcome,
                decided_on,
                confirmation_number,
            )
            jc.save(update_fields=["outcome", "decided_on", "confirmation_number"])
            _apply(
                dispute,
                "record_confirmation",
                actor,
                note=_("司法确认：%(o)s %(n)s")
                % {"o": jc.get_outcome_display(), "n": confirmation_number},
                data={"outcome": outcome, "confirmation_number": confirmation_number},
                now=now,
            )
    return jc


def record_performance(dispute, actor, *, term_index, performed_on, note="", now=None):
    """One agreed term was performed; when all are, the dispute moves to 已履行."""
    now = now or timezone.now()
    _need(actor, "disputes.follow_up_dispute")
    _scoped(actor, dispute, "change")
    agreement = _signed(dispute)
    performed_on = _parse_date(performed_on, _("履行日期"))
    if performed_on > timezone.localdate(now):
        raise ServiceError(_("履行日期不能晚于今天"), code="invalid_date")
    with transaction.atomic():
        row = (
            Performance.objects.select_for_update()
            .filter(agreement=agreement, term_index=term_index)
            .first()
        )
        if row is None:
            raise NotFound(_("没有这条协议条款"))
        if row.state == Performance.State.PERFORMED:
            raise Conflict(_("该条款已记录履行"), code="already_performed")
        row.state, row.performed_on, row.note = (
            Performance.State.PERFORMED,
            performed_on,
            (note or "").strip(),
        )
        row.save(update_fields=["state", "performed_on", "note"])
        left = Performance.objects.filter(agreement=agreement).exclude(
            state=Performance.State.PERFORMED
        )
        name = "record_performance" if left.exists() else "complete_performance"
        _apply(
            dispute,
            name,
            actor,
            note=_("第%(n)s条已履行（%(d)s）%(late)s")
            % {
                "n": row.term_index + 1,
                "d": performed_on,
                "late": "" if row.on_time else _("，逾期"),
            },
            data={"term": row.term_index, "on_time": row.on_time},
            now=now,
        )
    return row


def record_return_visit(dispute, actor, *, note, satisfaction, method="", performed=None, now=None):
    """回访: how the parties are doing; closes the dispute."""
    now = now or timezone.now()
    _need(actor, "disputes.follow_up_dispute")
    _scoped(actor, dispute, "change")
    if satisfaction not in ReturnVisit.Satisfaction.values:
        raise ServiceError(_("请选择满意度"), code="required")
    with transaction.atomic():
        visit = dispute.return_visits.filter(visited_at__isnull=True).order_by("due_on").first()
        if visit is None:
            visit = ReturnVisit(dispute=dispute, due_on=timezone.localdate(now))

        def effects(record):
            record.closed_at = now

        _apply(
            dispute,
            "return_visit",
            actor,
            effects,
            note=note,
            data={"satisfaction": satisfaction, "performed": performed},
            now=now,
        )
        if performed is True:  # the visit confirms the terms not yet recorded as performed
            Performance.objects.filter(
                agreement__dispute=dispute,
                agreement__state=Agreement.State.SIGNED,
                state__in=(Performance.State.PENDING, Performance.State.BREACHED),
            ).update(
                state=Performance.State.PERFORMED,
                performed_on=timezone.localdate(now),
                note=_("回访确认已履行"),
            )
        visit.visited_at, visit.visitor, visit.method = now, actor, (method or "")[:20]
        visit.satisfaction, visit.performed, visit.note = satisfaction, performed, note.strip()
        visit.save()
    return visit


# -- tracking by a party: fengqiao/disputes/tracking.py (the one throttle) ---------------------
from .tracking import TooManyAttempts, track, track_limits, track_locked_until  # noqa: E402, F401


# -- figures ----------------------------------------------------------------------------------
def figures(actor, *, start=None, end=None):
    """Dispute figures over what ``actor`` may see (optionally registered in [start, end))."""
    _need(actor, "disputes.view_dispute_figures")
    rows = Dispute.objects.restrict(actor)
    if start:
        rows = rows.filter(registered_at__gte=start)
    if end:
        rows = rows.filter(registered_at__lt=end)
    return compute_figures(rows)


def compute_figures(rows):
    """The dispute figures live in the one figures module (``insights.figures``)."""
    from fengqiao.insights.figures import dispute_figures

    return dispute_figures(rows)


def _ratio(a, b):
    return round(a / b, 4) if b else None
