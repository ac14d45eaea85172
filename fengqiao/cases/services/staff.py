"""Staff actions on a case (the action registry's services) and the queue."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from fengqiao.core.errors import Conflict, NotFound, ServiceError
from fengqiao.core.workflow import append_timeline, apply, locked
from fengqiao.org.models import Department, Team

from ..models import Case, Urgency
from ._common import clean_text
from .intake import _target_data, suggested_rule


# -- staff actions ----------------------------------------------------------------------------
def get_case(user, pk, action="view"):
    return Case.objects.select_related(
        "category__parent",
        "place__parent__parent__parent__parent",
        "department",
        "team",
        "assignee",
        "dispute",
    ).get_scoped(user, action, pk=pk)


def act(case, name, actor, *, note="", data=None, attachments=()):
    """Take one named staff action (``cases.actions.registry``: buttons, forms, API)."""
    from ..actions import registry

    return registry.act(
        case, name, actor, {"note": note, "data": data or {}}, attachments=attachments
    )


def accept(case, actor, *, note="", data=None, attachments=()):
    data = dict(data or {})
    urgency = data.get("urgency") or None
    if urgency and urgency not in Urgency.values:
        raise ServiceError(_("紧急程度不正确"), code="invalid_urgency")
    case, _entry = apply(case, "accept", actor, note=note, data={"urgency": urgency})
    return case


def reject(case, actor, *, note="", data=None, attachments=()):
    reason = clean_text((data or {}).get("reason") or note, field=_("不予受理理由"), max_length=300)
    case, _entry = apply(case, "reject", actor, note=reason, data={"reason": reason})
    return case


def merge(case, actor, *, note="", data=None, attachments=()):
    target_id = (data or {}).get("duplicate_of")
    try:
        target_id = int(target_id)
    except (TypeError, ValueError):
        raise ServiceError(
            _("请指定要合并到的事件"), code="required", details={"field": "duplicate_of"}
        ) from None
    if target_id == case.pk:
        raise ServiceError(_("不能合并到自身"), code="invalid_merge")
    if not Case.objects.restrict(actor).filter(pk=target_id).exists():
        raise NotFound(_("要合并到的事件不存在或无权访问"))
    # One transaction with both rows locked (in id order, so A→B and B→A cannot deadlock): the
    # target is checked as it is now, and two merges into each other cannot both succeed.
    with transaction.atomic():
        list(
            Case.objects.select_for_update()
            .filter(pk__in=sorted((case.pk, target_id)))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        with locked(case, actor) as case:
            target = Case.objects.filter(pk=target_id).first()
            if target is None:
                raise NotFound(_("要合并到的事件不存在或无权访问"))
            if not target.is_open or target.duplicate_of_id:
                raise Conflict(_("目标事件已办结或已被合并，不能合并到它"), code="invalid_merge")
            case, _entry = apply(
                case,
                "merge",
                actor,
                note=note or _("与 %(n)s 为同一事件，已合并办理") % {"n": target.number},
                data={"duplicate_of": target.pk, "number": target.number},
            )
            append_timeline(
                target,
                "merged_in",
                actor=actor,
                to_state=target.state,
                note=_("合并了 %(n)s 的反映") % {"n": case.number},
                data={"case": case.pk},
            )
    return case


def dispatch(case, actor, *, note="", data=None, attachments=()):
    """派单 to a department or a team; a case still reported is accepted first."""
    data = dict(data or {})
    department = team = None
    if data.get("department"):
        department = Department.objects.filter(pk=_int(data["department"], "department")).first()
        if department is None:
            raise ServiceError(
                _("承办部门不存在"), code="invalid_unit", details={"field": "department"}
            )
    elif data.get("team"):
        team = Team.objects.filter(pk=_int(data["team"], "team")).first()
        if team is None:
            raise ServiceError(_("承办团队不存在"), code="invalid_unit", details={"field": "team"})
    else:
        rule = suggested_rule(case)
        if rule is None:
            raise ServiceError(
                _("没有适用的派单规则，请选择承办部门或团队"),
                code="unit_required",
                details={"field": "department"},
            )
        department, team = rule.department, rule.team
    with locked(case, actor) as case:
        if case.state == "reported":  # read on the locked row
            case, _entry = apply(case, "accept", actor)
        case, _entry = apply(
            case,
            "dispatch",
            actor,
            note=note,
            data={**_target_data(department, team), "unit": str(department or team)},
        )
    return case


def bulk_dispatch(ids, actor, *, department=None, team=None, note=""):
    """Dispatch several cases: to one unit, or each by its dispatch rule. One result per case;
    a failure of one never undoes the others."""
    return bulk_act(
        ids, actor, "dispatch", {"note": note, "data": {"department": department, "team": team}}
    )


def bulk_act(ids, actor, name, payload):
    """One action of the registry on several cases, each loaded in ``actor``'s scope and checked
    on its own locked row (the action's service runs the kernel). One result per case, in order:
    ``{"id", "number", "ok"}`` and, on failure, ``code`` and ``message``; a failure of one never
    undoes the others."""
    from ..actions import registry

    results = []
    for pk in ids:
        number = ""
        try:
            case = get_case(actor, _int(pk, "ids"), "change")
            number = case.number
            registry.act(case, name, actor, payload)
            results.append({"id": case.pk, "number": number, "ok": True})
        except ServiceError as exc:
            results.append(
                {"id": pk, "number": number, "ok": False, "code": exc.code, "message": exc.message}
            )
    return results


def _int(value, field):
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ServiceError(_("编号格式不正确"), code="invalid", details={"field": field}) from None


def return_case(case, actor, *, note="", data=None, attachments=()):
    reason = clean_text((data or {}).get("reason") or note, field=_("退单理由"), max_length=300)
    case, _entry = apply(case, "return", actor, note=reason, data={"reason": reason})
    return case


def request_extension(case, actor, *, note="", data=None, attachments=()):
    days = _int((data or {}).get("days"), "days")
    if not 1 <= days <= 10:
        raise ServiceError(
            _("延期天数应为 1–10 个工作日"), code="invalid_days", details={"field": "days"}
        )
    case, _entry = apply(case, "request_extension", actor, note=note, data={"days": days})
    return case


def resolve(case, actor, *, note="", data=None, attachments=()):
    result = clean_text((data or {}).get("result") or note, field=_("处置结果"), required=True)
    case, _entry = apply(
        case, "resolve", actor, note=result, data={"result": result}, attachments=attachments
    )
    return case


def verify(case, actor, *, note="", data=None, attachments=()):
    """核查: passed → verified and (if the actor may) closed; failed → rework."""
    data = dict(data or {})
    passed = str(data.get("passed", "1")).lower() not in ("0", "false", "no", "")
    with locked(case, actor) as case:
        if not passed:
            case, _entry = apply(
                case,
                "rework",
                actor,
                note=clean_text(note, field=_("返工原因"), required=True),
                attachments=attachments,
            )
            return case
        case, _entry = apply(case, "verify", actor, note=note, attachments=attachments)
        if actor.has_perm("cases.close_case"):
            case, _entry = apply(case, "close", actor)
    return case


def return_visit(case, actor, *, note="", data=None, attachments=()):
    satisfaction = _satisfaction((data or {}).get("satisfaction"))
    case, _entry = apply(
        case,
        "return_visit",
        actor,
        note=note,
        data={"satisfaction": satisfaction, "comment": note[:300]},
    )
    return case


def _satisfaction(value):
    try:
        value = int(value)
    except (TypeError, ValueError):
        value = None
    if value not in Case.Satisfaction.values:
        raise ServiceError(
            _("请选择满意度（1–5）"), code="invalid_satisfaction", details={"field": "satisfaction"}
        )
    return value


def claim(case, actor):
    """签收. Two people racing: the row lock lets one win; the other gets a clear 409."""
    case, _entry = apply(case, "claim", actor)
    return case


def allowed_actions(case, user):
    """Buttons for this user now: the registry's actions whose transition the state, the
    permissions and a dry run of the guard allow."""
    from ..actions import registry

    return registry.available(case, user)


def queue(user, *, states=None, mine=False):
    """Open cases the user may see, nearest deadline first (the worker/department queue)."""
    rows = Case.objects.restrict(user).filter(state__in=states or Case.OPEN_STATES)
    if mine:
        mine_q = Q(assignee_id=user.pk)
        if user.department_id:
            mine_q |= Q(department_id=user.department_id)
        rows = rows.filter(mine_q)
    return rows.select_related("category", "place", "department").order_by("next_due_at", "id")
