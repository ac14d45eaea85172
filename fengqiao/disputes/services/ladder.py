"""The five-level mediation ladder: start, next level, assignment, progress, hearing, outcome."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from fengqiao.core import audit, notifications, pii
from fengqiao.core.authz import scoped
from fengqiao.core.errors import Conflict, Forbidden, ServiceError
from fengqiao.core.workflow import apply, locked

from ..models import (
    Attempt,
    Dispute,
    Hearing,
    HearingParticipant,
)
from ._common import _parse_datetime, _scoped
from .agreements import _committee_name
from .registration import _close_attempt, _current_attempt, _pick_mediator


# -- the ladder -------------------------------------------------------------------------------
def start_mediation(dispute, actor, *, mediator=None, location="", note="", now=None):
    """L1: hand the dispute to an elder (乡贤/五老) from the place's pool."""
    now = now or timezone.now()
    with locked(dispute, actor) as dispute:
        chosen = _pick_mediator(dispute, 1, mediator)
        dispute, entry = apply(
            dispute,
            "start",
            actor,
            changes={"level": 1, "mediator": chosen},
            note=note or _("交由第一级调解：%(who)s") % {"who": chosen or _("待指派")},
            data={"level": 1, "mediator": chosen.pk if chosen else None},
            now=now,
        )
        Attempt.objects.create(
            dispute=dispute, level=1, mediator=chosen, started_at=now, location=location
        )
    return dispute


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
    skip_reason = (skip_reason or "").strip()
    lawyer_choice = (lawyer_choice or "").strip()
    # Every check on the locked row: of two concurrent calls the second waits here and then
    # sees the level the first one reached (tests/disputes/test_race.py).
    with locked(dispute, actor) as dispute:
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
                _("只能转到更高一级（当前第%(level)s级）") % {"level": current},
                code="invalid_level",
            )
        if target > current + 1 and len(skip_reason) < 4:
            raise ServiceError(
                _("从第%(a)s级直接转到第%(b)s级属于越级，请说明越级理由")
                % {"a": current, "b": target},
                code="skip_reason_required",
            )
        if target == 3 and not lawyer_choice:
            raise ServiceError(
                _("第三级律师须由当事人从律师名册中选择，请记录当事人的选择"),
                code="lawyer_choice_required",
            )
        if target == 3 and mediator in (None, ""):
            raise ServiceError(_("请选择当事人选定的律师"), code="lawyer_required")
        chosen = _pick_mediator(dispute, target, mediator)
        _close_attempt(dispute, Attempt.Outcome.FAILED, now, summary=_append(None, note, dispute))
        dispute, entry = apply(
            dispute,
            "next_level",
            actor,
            changes={"level": target, "mediator": chosen},
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
        message="dispute.unassigned",
        params={"number": dispute.number, "level": level},
        url=f"/disputes/{dispute.pk}/",
        target=dispute,
    )


def assign_mediator(dispute, actor, mediator, *, note="", now=None):
    with locked(dispute, actor) as dispute:
        chosen = _pick_mediator(dispute, dispute.level, mediator)
        if chosen is None:
            raise ServiceError(_("请选择调解员"), code="mediator_required")
        dispute, _entry = apply(
            dispute,
            "assign",
            actor,
            changes={"mediator": chosen},
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
    with locked(dispute, actor) as dispute:
        dispute, _entry = apply(
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
    with locked(dispute, actor) as dispute:
        _require_level(dispute, 4, _("听证"))
        dispute, _entry = apply(
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
    """The hearing ``pk`` where its dispute is in ``actor``'s scope, else 404."""
    return scoped(Hearing.objects.select_related("attempt__dispute__place", "chair"), actor, pk)


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
    from .. import documents

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


def agree(dispute, actor, *, note, now=None):
    """The parties reached an agreement at the current level."""
    now = now or timezone.now()
    with locked(dispute, actor) as dispute:
        dispute, _entry = apply(dispute, "agree", actor, note=note, now=now)
        _close_attempt(
            dispute, Attempt.Outcome.AGREEMENT, now, summary=_append(None, note, dispute)
        )
    return dispute


def withdraw(dispute, actor, *, note, now=None):
    now = now or timezone.now()
    with locked(dispute, actor) as dispute:
        dispute, _entry = apply(dispute, "withdraw", actor, note=note, now=now)
        _close_attempt(
            dispute, Attempt.Outcome.WITHDRAWN, now, summary=_append(None, note, dispute)
        )
    return dispute


def refer(dispute, actor, *, note, referral, guidance, now=None):
    """Mediation cannot settle it: guide the parties to the court, arbitration or another body."""
    now = now or timezone.now()
    if referral and referral not in Attempt.Referral.values:
        raise ServiceError(_("引导途径不正确"), code="invalid_referral")
    with locked(dispute, actor) as dispute:
        dispute, _entry = apply(
            dispute,
            "refer",
            actor,
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
    dispute, _entry = apply(dispute, "supervise", actor, note=note, now=now)
    recipients = [dispute.mediator] if dispute.mediator_id else []
    notifications.notify(
        recipients,
        kind="dispute.supervise",
        message="dispute.supervise",
        params={"number": dispute.number, "note": note[:80]},
        url=f"/disputes/{dispute.pk}/",
        target=dispute,
    )
    return dispute
