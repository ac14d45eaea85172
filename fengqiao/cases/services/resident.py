"""The reporter, with the tracking code: add information, confirm, rate."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from fengqiao.core import audit
from fengqiao.core.errors import Conflict, NotFound, ServiceError
from fengqiao.core.workflow import apply, locked

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


def resident_add_info(case, *, note, attachments=()):
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
            attachments=attachments,
        )
    return case


def resident_confirm(case, *, solved, note=""):
    """The reporter checks the result: solved → verified and closed; not solved → rework."""
    note = clean_text(note, field=_("说明"), max_length=300)
    with locked(case) as case:
        if solved:
            case, _entry = apply(
                case, "confirm", None, system=True, actor_name=_("反映人"), note=note
            )
            case, _entry = apply(case, "close", None, system=True, actor_name=_("系统"))
        else:
            if not note:
                raise ServiceError(
                    _("请说明哪里没有解决"), code="required", details={"field": "note"}
                )
            case, _entry = apply(
                case, "rework", None, system=True, actor_name=_("反映人"), note=note
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
