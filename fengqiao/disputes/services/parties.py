"""Parties (当事人) after registration: edited at every stage of a dispute, and what the agreement
(人民调解协议书, 人民调解法第二十九条) will need from each of them, asked for before the mediation
reaches it."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengqiao.core import audit, messages, pii
from fengqiao.core.authz import AnyOf, require_perm
from fengqiao.core.errors import NotFound, ServiceError
from fengqiao.core.workflow import append_timeline, locked

from ..models import Party

EDIT_PERMISSION = AnyOf("disputes.register_dispute", "disputes.mediate_dispute")
TEXT_FIELDS = {
    "name": 100,
    "address": 200,
    "gender": 4,
    "legal_representative": 50,
    "representative": 50,
    "representative_relation": 30,
}
ENCRYPTED = ("name", "id_number", "phone", "address", "legal_representative", "representative")
# What the agreement needs of every party (人民调解法第二十九条: 当事人的基本情况).
NEEDED = {
    "name": gettext_lazy("姓名/名称"),
    "id_number": gettext_lazy("身份证号/统一社会信用代码"),
    "address": gettext_lazy("住址"),
}


def _clear(party, field):
    value = getattr(party, field)
    return pii.clear_value(value) if field in ENCRYPTED else (value or "")


def missing_for_agreement(party) -> list[str]:
    """The labels of what the agreement will need and this party's record lacks."""
    return [str(label) for field, label in NEEDED.items() if not str(_clear(party, field)).strip()]


def agreement_checklist(parties) -> list[dict]:
    """One row per party: {party, missing} — the dispute page's checklist."""
    return [{"party": p, "missing": missing_for_agreement(p)} for p in parties]


def update_party(party, actor, **fields) -> Party:
    """Edit a party at any stage (registered … closed): validated as at registration, on the
    dispute's locked row and in the actor's change scope (404 otherwise); a timeline entry
    names the changed fields (never their values) and the audit log records the edit."""
    require_perm(actor, EDIT_PERMISSION)
    with locked(party.dispute, actor) as dispute:
        row = Party.objects.select_for_update().filter(pk=party.pk, dispute=dispute).first()
        if row is None:
            raise NotFound(_("当事人不存在"))
        clean = {}
        for field, limit in TEXT_FIELDS.items():
            if field in fields:
                clean[field] = str(fields[field] or "").strip()[:limit]
        if "name" in clean and not clean["name"]:
            raise ServiceError(_("姓名/名称必填"), code="required", details={"field": "name"})
        kind = fields.get("kind", row.kind)
        if kind not in Party.Kind.values:
            raise ServiceError(_("类别不正确"), code="invalid_kind", details={"field": "kind"})
        clean["kind"] = kind
        if "side" in fields:
            if fields["side"] not in Party.Side.values:
                raise ServiceError(_("身份不正确"), code="invalid_side", details={"field": "side"})
            clean["side"] = fields["side"]
        if "id_number" in fields:
            id_number = pii.normalise(fields["id_number"] or "", "id_number")
            if id_number and kind == Party.Kind.PERSON and not pii.valid_id_number(id_number):
                raise ServiceError(
                    _("身份证号码不正确"), code="invalid_id_number", details={"field": "id_number"}
                )
            clean["id_number"] = id_number
        if "phone" in fields:
            phone = pii.normalise(fields["phone"] or "", "phone")
            if phone and not pii.valid_phone(phone):
                raise ServiceError(
                    _("联系电话不正确"), code="invalid_phone", details={"field": "phone"}
                )
            clean["phone"] = phone
        changed = sorted(f for f, v in clean.items() if str(_clear(row, f)) != str(v))
        if not changed:
            return row
        for field in changed:
            setattr(row, field, clean[field])
        row.save()
        append_timeline(
            dispute,
            "party_updated",
            actor=actor,
            from_state=dispute.state,
            to_state=dispute.state,
            note=messages.render("dispute.party_updated", {"fields": changed})[0],
            data={
                "party": row.pk,
                "fields": changed,
                **messages.message_data("dispute.party_updated", {"fields": changed}),
            },
        )
        audit.record("disputes.update_party", user=actor, target=row, data={"fields": changed})
    return row


def _field_labels(fields):
    """Changed party fields by their labels, in the reader's language."""
    names = []
    for name in fields or ():
        try:
            names.append(str(Party._meta.get_field(name).verbose_name))
        except Exception:  # noqa: BLE001 — a field since removed still shows by name
            names.append(str(name))
    return _("、").join(names)


messages.register(
    messages.Message(
        "dispute.party_updated",
        title=gettext_lazy("修改当事人信息：%(fields)s"),
        labels={"fields": _field_labels},
    )
)
