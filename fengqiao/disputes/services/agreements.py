"""The mediation agreement (draft, versions, signature, documents, verification) and what follows it: judicial confirmation, performance, return visit."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import date, timedelta

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from fengqiao.core import audit, pii
from fengqiao.core.authz import scoped
from fengqiao.core.errors import Conflict, Forbidden, NotFound, ServiceError
from fengqiao.core.workflow import apply, locked
from fengqiao.org.models import Place

from ..models import (
    Agreement,
    JudicialConfirmation,
    Performance,
    ReturnVisit,
)
from ..workflow import JUDICIAL_WINDOW_DAYS, setting
from ._common import _need, _parse_date, _scoped

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


log = logging.getLogger("fengqiao.disputes")
_warned_dev_key = False


def key_id(key: bytes) -> str:
    """A short, non-secret id of a signing key, stored with each agreement's integrity code."""
    return hashlib.sha256(b"fengqiao.agreement.kid\n" + key).hexdigest()[:8]


def _integrity_keys() -> tuple[bytes, list[bytes]]:
    """The current signing key and the retired ones that still verify (AGREEMENT_OLD_KEYS)."""
    global _warned_dev_key
    derived = hmac.new(
        settings.SECRET_KEY.encode(), b"fengqiao.disputes.agreement", hashlib.sha256
    ).digest()
    key = (getattr(settings, "AGREEMENT_KEY", "") or "").encode()
    old = [k.encode() for k in getattr(settings, "AGREEMENT_OLD_KEYS", []) or [] if k]
    if not key:
        if not settings.DEBUG and not _warned_dev_key:
            _warned_dev_key = True
            log.warning(
                "FENGQIAO_AGREEMENT_KEY is not set: agreements are signed with a development key "
                "derived from SECRET_KEY; set it in production (see docs/deploy.md)"
            )
        return derived, old
    # Agreements signed before a real key was first set keep verifying (while SECRET_KEY stays).
    return key, [*old, derived]


def _key_for(kid: str) -> bytes | None:
    """The configured key with this id (current or retired), or None if it is no longer configured."""
    current, old = _integrity_keys()
    for key in (current, *old):
        if key_id(key) == kid:
            return key
    return None


def _mac(key: bytes, number, version, content) -> str:
    message = f"{number}\n{version}\n{canonical(content)}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def integrity_code(number, version, content) -> str:
    """The HMAC with the current key (new agreements are signed with it)."""
    return _mac(_integrity_keys()[0], number, version, content)


def current_key_id() -> str:
    return key_id(_integrity_keys()[0])


def recompute_code(agreement, content) -> str | None:
    """The agreement's code recomputed with the key it was signed with; None if that key is gone.
    Agreements stored before key ids existed (empty id) are tried against every configured key."""
    if agreement.integrity_key_id:
        key = _key_for(agreement.integrity_key_id)
        if key is None:
            return None
        return _mac(key, agreement.number, agreement.version, content)
    current, old = _integrity_keys()
    codes = [_mac(k, agreement.number, agreement.version, content) for k in (current, *old)]
    for code in codes:
        if hmac.compare_digest(code, agreement.integrity_code):
            return code
    return codes[0]


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
    fields = {
        "facts": facts,
        "issues": issues,
        "responsibilities": responsibilities,
        "terms": terms,
        "performance_manner": performance_manner,
    }
    with locked(dispute, actor) as dispute:
        content = _build_content(dispute, fields, actor, now)
        _check_complete(content)
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
        apply(
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
    agreement.integrity_key_id = current_key_id()
    agreement.performance_due = (
        date.fromisoformat(content["performance_due"]) if content.get("performance_due") else None
    )
    agreement.save()


def _agreement_number(dispute, version, now):
    base = f"TJ{timezone.localtime(now):%Y}-{dispute.pk:06d}"
    return base if version == 1 else f"{base}-{version}"


def get_agreement(actor, pk, action="view"):
    """The agreement ``pk`` where its dispute is in ``actor``'s scope (for ``action``), else 404."""
    return scoped(Agreement.objects.select_related("dispute"), actor, pk, action)


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
    with locked(agreement.dispute, actor) as dispute:
        agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
        if agreement.state != Agreement.State.DRAFT:
            raise Conflict(_("该协议书已签署，不能重复签署"), code="already_signed")
        content = agreement_content(agreement)
        _check_complete(content)
        if recompute_code(agreement, content) != agreement.integrity_code:
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
        apply(
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
    from .. import documents

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
        recomputed = recompute_code(agreement, agreement_content(agreement))
        result["agreement"] = agreement
        if recomputed is None:
            result["reason"] = _(
                "该协议书的签名密钥已停用，无法在线校验，请联系出具机构核实（密钥编号 %(kid)s）"
            ) % {"kid": agreement.integrity_key_id}
        elif not hmac.compare_digest(recomputed, agreement.integrity_code):
            result["reason"] = _("系统中保存的协议内容与校验码不一致，疑似被篡改")
        elif not hmac.compare_digest(recomputed[: len(given)], given[:64]):
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


def judicial_application(dispute):
    """The judicial confirmation applied for on the dispute's signed agreement (409 if none)."""
    confirmation = JudicialConfirmation.objects.filter(agreement=_signed(dispute)).first()
    if confirmation is None:
        raise Conflict(_("尚未申请司法确认"), code="not_applied")
    return confirmation


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
    with locked(dispute, actor) as dispute:
        return _judicial(
            dispute, actor, court, applied_on, outcome, decided_on, confirmation_number, note, now
        )


def _judicial(
    dispute, actor, court, applied_on, outcome, decided_on, confirmation_number, note, now
):
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
    if existing is None:
        jc = JudicialConfirmation.objects.create(
            agreement=agreement,
            court=court,
            applied_on=applied_on,
            window_ends_on=window_ends,
            note=note,
        )
        apply(
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
        apply(
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
    performed_on = _parse_date(performed_on, _("履行日期"))
    if performed_on > timezone.localdate(now):
        raise ServiceError(_("履行日期不能晚于今天"), code="invalid_date")
    with locked(dispute, actor) as dispute:
        agreement = _signed(dispute)
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
        apply(
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
    if satisfaction not in ReturnVisit.Satisfaction.values:
        raise ServiceError(_("请选择满意度"), code="required")
    with locked(dispute, actor) as dispute:
        visit = dispute.return_visits.filter(visited_at__isnull=True).order_by("due_on").first()
        if visit is None:
            visit = ReturnVisit(dispute=dispute, due_on=timezone.localdate(now))
        apply(
            dispute,
            "return_visit",
            actor,
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
