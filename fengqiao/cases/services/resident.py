"""The reporter, with the tracking code: add information, confirm, rate."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from fengqiao.core import audit, pii
from fengqiao.core.errors import Conflict, Forbidden, NotFound, ServiceError
from fengqiao.core.models import Attachment
from fengqiao.core.workflow import append_timeline, apply, locked

from ..models import Case
from ._common import clean_text
from .staff import _satisfaction


# -- the reporter (tracking code) --------------------------------------------------------------
def by_tracking_code(code):
    code = str(code or "").strip().upper()
    if not re.fullmatch(r"[A-Z0-9]{6,12}", code):
        raise NotFound(_("查询码不正确"))
    case = (
        Case.objects.select_related("category", "place", "duplicate_of")
        .filter(tracking_code=code)
        .first()
    )
    if case is None:
        raise NotFound(_("查询码不正确"))
    return case


def resident_add_info(case, *, note, attachments=(), trace=None):
    note = clean_text(note, field=_("补充内容"), required=True)
    with locked(case) as case:
        if not case.is_open:
            raise Conflict(
                _("事件已办结，不能再补充；如不满意请在评价中说明"), code="invalid_state"
            )
        case, _entry = apply(
            case,
            "add_info",
            None,
            system=True,
            actor_name=_("反映人"),
            note=note,
            data=trace,
            attachments=attachments,
        )
    return case


def resident_confirm(case, *, solved, note="", trace=None):
    """The reporter checks the result: solved → verified and closed; not solved → rework."""
    note = clean_text(note, field=_("说明"), max_length=300)
    with locked(case) as case:
        if solved:
            case, _entry = apply(
                case, "confirm", None, system=True, actor_name=_("反映人"), note=note, data=trace
            )
            case, _entry = apply(case, "close", None, system=True, actor_name=_("系统"), data=trace)
        else:
            if not note:
                raise ServiceError(
                    _("请说明哪里没有解决"), code="required", details={"field": "note"}
                )
            case, _entry = apply(
                case, "rework", None, system=True, actor_name=_("反映人"), note=note, data=trace
            )
    return case


def resident_rate(case, *, satisfaction, comment=""):
    """One rating per closure (a reopen clears it for the next round)."""
    satisfaction = _satisfaction(satisfaction)
    comment = clean_text(comment, field=_("评价"), max_length=300)
    with locked(case) as case:  # two ratings at once: the second sees the first
        if case.state == "closed" and case.satisfaction is not None:
            raise Conflict(_("您已评价过了，感谢您的反馈"), code="already_rated")
        case, _entry = apply(
            case,
            "rate",
            None,
            system=True,
            actor_name=_("反映人"),
            note=comment,
            data={"satisfaction": satisfaction, "comment": comment},
        )
    return case


def resident_reopen(case, *, reason):
    """申请重新办理: the reporter reopens a closed case with a reason, within the configured
    window after closure (``conf.reopen_window_days``); back to the dispatcher. Audited."""
    reason = clean_text(reason, field=_("重新办理的理由"), required=True, max_length=500)
    with locked(case) as case:
        case, _entry = apply(
            case, "request_reopen", None, system=True, actor_name=_("反映人"), note=reason
        )
        audit.record("cases.resident_reopen", target=case, data={"reopen_count": case.reopen_count})
    return case


# -- PIPL: the reporter withdraws consent (Art. 15, 47) ------------------------------------------
RESIDENT_UPLOADS = ("report", "add_info")


def _own_values(row):
    """The reporter's own values as given (clear), to be found in free text even where the
    pattern masking of ``pii.mask_text`` would miss them (an unusual name, an e-mail)."""
    values = []
    for field in ("reporter_name", "reporter_phone", "reporter_email"):
        value = getattr(row, field)
        clear = value.clear if value else ""
        if clear and len(clear) >= 2:
            values.append((clear, field))
    return values


def scrub_text(text, own=()):
    """Free text with the reporter's own values and any personal number or name masked."""
    if not text:
        return text
    text = str(text)
    kinds = {"reporter_name": "name", "reporter_phone": "phone", "reporter_email": "text"}
    for value, field in own:
        text = text.replace(value, pii.mask(value, kinds[field]) or "***")
    return pii.mask_text(text)


def _scrub_fields(row, fields, own):
    changed = False
    for field in fields:
        before = getattr(row, field)
        after = scrub_text(before, own)
        if after != before:
            setattr(row, field, after)
            changed = True
    return changed


def _scrub_params(params, own):
    if isinstance(params, dict):
        return {k: _scrub_params(v, own) for k, v in params.items()}
    if isinstance(params, list):
        return [_scrub_params(v, own) for v in params]
    if isinstance(params, str):
        return scrub_text(params, own)
    return params


def _scrub_copies(row, own):
    """The copies of the report outside the case: the triage queue's row it was placed from
    (待定位, personal fields cleared, free text masked) and the staff notifications about it
    (outbox and inbox: title, body and parameters masked). Returns whether anything changed."""
    from django.db.models import Q

    from fengqiao.core.models import Notification

    from ..models import PendingReport

    changed = False
    targets = [row]
    for pending in PendingReport.objects.select_for_update().filter(case=row):
        targets.append(pending)
        pending.reporter_name, pending.reporter_phone, pending.reporter_email = "", "", ""
        pending.lat, pending.lng, pending.anonymous = None, None, True
        _scrub_fields(pending, ("description", "location_text"), own)
        pending.save()
        changed = True
    about = Q()
    for target in targets:
        about |= Q(target_type=target._meta.label_lower, target_id=str(target.pk))
    for note in Notification.objects.select_for_update().filter(about):
        title, body = scrub_text(note.title, own), scrub_text(note.body, own)
        params = _scrub_params(note.params, own)
        if (title, body, params) != (note.title, note.body, note.params):
            note.title, note.body, note.params = title, body, params
            note.save(update_fields=["title", "body", "params"])
            changed = True
        if note.channel == "sms" and note.address:
            # a text message to the reporter: the number goes, an unsent message is never sent
            note.address = ""
            if note.state == Notification.State.PENDING:
                note.state, note.last_error = Notification.State.FAILED, "consent withdrawn"
            note.save(update_fields=["address", "state", "last_error"])
            changed = True
    return changed


# Timeline entries whose note is the reporter's own words, written after the report (the report's
# own note is its description, which the unit keeps, masked, like the case's); their ``data`` may
# carry a comment too.
RESIDENT_WORDS = ("add_info", "confirm", "rework", "rate", "request_reopen")


def _redact_timeline(row, own):
    """The reporter's words in the case's timeline (append-only): replaced by the redaction
    marker through ``core.redaction`` (the triggers' one narrow exception), the entries themselves
    — step, who, when — kept. Their own entries after the report (added information, confirmation,
    rating, reopening) lose their note and the texts in their data; any other entry (the report,
    staff notes) the texts that hold their personal data. Returns the number of entries."""
    from django.contrib.contenttypes.models import ContentType

    from fengqiao.core.models import TimelineEntry
    from fengqiao.core.redaction import KEPT_KEYS, redact_entry

    entries = TimelineEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(row), object_id=row.pk
    ).order_by("id")
    count = 0
    for entry in entries:
        data = entry.data if isinstance(entry.data, dict) else {}
        theirs = entry.actor_id is None and entry.transition in RESIDENT_WORDS
        note = bool(entry.note) and (theirs or scrub_text(entry.note, own) != entry.note)
        keys = [
            key
            for key, value in data.items()
            if key not in KEPT_KEYS
            and ((theirs and isinstance(value, str)) or _scrub_params(value, own) != value)
        ]
        if redact_entry(
            entry,
            note=note,
            keys=keys,
            reason="consent_withdrawn",
            actor_name=_("反映人"),
            record=row,
        ):
            count += 1
    return count


def withdraw_consent(case, *, contact=""):
    """撤回同意: the reporter (tracking code + the phone number they gave) withdraws consent; their
    personal data is removed from the case — name, phone, e-mail, the map point, the photos and
    voice notes they uploaded, their words in the timeline (redacted, ``core.redaction``) — while
    the unit keeps the case itself (category, place, masked description, the timeline's steps). Returns the list of what was removed. A wrong contact is 403; an anonymous report
    (no phone kept) needs only the code."""
    from django.contrib.contenttypes.models import ContentType

    with locked(case) as row:
        stored = row.reporter_phone.clear if row.reporter_phone else ""
        own = _own_values(row)
        if stored:
            given = pii.normalise(clean_text(contact, field=_("联系电话"), max_length=30), "phone")
            if given != stored:
                raise Forbidden(
                    _("联系电话与反映时留下的不一致"),
                    code="contact_mismatch",
                    details={"field": "contact"},
                )
        removed = []
        for field, label in (
            ("reporter_name", "name"),
            ("reporter_phone", "phone"),
            ("reporter_email", "email"),
        ):
            if getattr(row, field):
                setattr(row, field, "")
                removed.append(label)
        if row.lat is not None or row.lng is not None:
            row.lat, row.lng = None, None
            removed.append("location")
        files = Attachment.objects.filter(
            entry__content_type=ContentType.objects.get_for_model(row),
            entry__object_id=row.pk,
            entry__actor__isnull=True,
            entry__transition__in=RESIDENT_UPLOADS,
        )
        count = 0
        for item in files:
            item.file.delete(save=False)
            item.delete()
            count += 1
        if count:
            removed.append("files")
        row.anonymous, row.share_location = True, False
        if _scrub_fields(row, ("description", "location_text", "satisfaction_note"), own):
            removed.append("text")
        if _scrub_copies(row, own):
            removed.append("copies")
        if _redact_timeline(row, own):
            removed.append("timeline")
        row.save()
        append_timeline(
            row,
            "consent_withdrawn",
            actor_name=_("反映人"),
            to_state=row.state,
            from_state=row.state,
            note=_("反映人撤回个人信息处理同意，其个人信息已删除，事件继续办理"),
            data={"removed": removed, "files": count},
        )
        audit.record(
            "resident.consent_withdrawn",
            target=row,
            data={"removed": removed, "files": count},
        )
    return removed
