"""The only writers of the risk register. Each function checks permission and jurisdiction, changes
a risk only through the workflow kernel (timeline, deadlines, notifications) and runs in one
transaction. Reviews, suggestions and wartime live in ``reviews.py`` and ``suggestions.py``."""

from __future__ import annotations

import secrets
import uuid

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengqiao.core import audit, notifications, pii
from fengqiao.core.errors import Conflict, Forbidden, NotFound, ServiceError
from fengqiao.core.workflow import (
    append_timeline,
    apply,
    locked,
    open_deadlines,
    start_deadline,
)
from fengqiao.org.models import Department, Place, Station, User

from .models import (
    RANK,
    HandOver,
    Level,
    LevelChange,
    ReviewAction,
    Risk,
    RiskCategory,
    RiskPerson,
    TaskForce,
    TaskForceLog,
)
from .workflow import setting

EVIDENCE_TYPES = {
    b"%PDF": ("application/pdf", "pdf", "document"),
    b"\xff\xd8\xff": ("image/jpeg", "jpg", "photo"),
    b"\x89PNG": ("image/png", "png", "photo"),
    b"PK\x03\x04": ("application/zip", "docx", "document"),
}
MAX_EVIDENCE_BYTES = 10 * 1024 * 1024


def need(actor, perm):
    if actor is None or not actor.is_authenticated or not actor.has_perm(perm):
        raise Forbidden(_("您没有执行此操作的权限"))


def get_risk(actor, pk, action="view"):
    need(actor, "risks.view_risk")
    return Risk.objects.select_related(
        "category", "place", "unit", "responsible_department", "responsible_leader"
    ).get_scoped(actor, action, pk=pk)


def view_risk(actor, pk):
    """The risk detail for reading: scoped, and every view is written to the audit log."""
    return record_view(actor, get_risk(actor, pk))


def record_view(actor, risk):
    """Audit one reading of a risk's detail (risk data is sensitive)."""
    audit.record("risk.view", user=actor, target=risk, data={"level": risk.level})
    return risk


# -- filing -------------------------------------------------------------------------------------
def _place(value, actor):
    place = value if isinstance(value, Place) else Place.objects.filter(pk=value or 0).first()
    if place is None or place.level < Place.Level.TOWN:
        raise ServiceError(_("请选择风险所在的乡镇、村（社区）或网格"), code="invalid_place")
    if not actor.covers(place):
        raise NotFound(_("所选地点不在您的辖区内"))
    return place


def _category(value):
    if isinstance(value, RiskCategory):
        return value
    found = RiskCategory.objects.filter(
        Q(code=value) | Q(pk=value if str(value).isdigit() else -1), active=True
    ).first()
    if found is None:
        raise ServiceError(_("请选择风险类别"), code="invalid_category")
    return found


def _user(value, label):
    if value in (None, ""):
        return None
    if isinstance(value, User):
        return value
    found = User.objects.filter(pk=value if str(value).isdigit() else -1, is_active=True).first()
    if found is None:
        raise ServiceError(_("%(label)s不存在") % {"label": label}, code="invalid_user")
    return found


def _people(people):
    clean, errors = [], []
    for i, raw in enumerate(p for p in (people or []) if p and (p.get("name") or "").strip()):
        id_number = pii.normalise(raw.get("id_number") or "", "id_number")
        phone = pii.normalise(raw.get("phone") or "", "phone")
        if id_number and not pii.valid_id_number(id_number):
            errors.append(_("第%(n)s位人员：身份证号码不正确") % {"n": i + 1})
        if phone and not pii.valid_phone(phone):
            errors.append(_("第%(n)s位人员：联系电话不正确") % {"n": i + 1})
        person = raw.get("person_id", raw.get("person"))
        if person not in (None, "") and not str(getattr(person, "pk", person)).isdigit():
            errors.append(_("第%(n)s位人员：实有人口编号不正确") % {"n": i + 1})
        clean.append(
            {
                "name": raw["name"].strip()[:50],
                "id_number": id_number,
                "phone": phone,
                "role": (raw.get("role") or "").strip()[:50],
                "person": None if person in (None, "") else person,
            }
        )
    if errors:
        raise ServiceError("；".join(errors), code="invalid_people", details={"errors": errors})
    return clean


def _registry_links(actor, rows):
    """Each row's registry person (``registry.Person``) or ``None``, in order.

    A person chosen explicitly must be one ``actor`` may see (``Person.objects.restrict``), else
    the whole request is refused (404, the answer for a record out of scope, with a clear
    message); its ID number must agree with the one entered. Without a choice, the ID number's
    keyed hash is looked up among the people ``actor`` may see: a match links, no match (or a
    match out of scope, which is never disclosed) leaves the row unlinked."""
    from fengqiao.registry.models import Person

    visible = Person.objects.restrict(actor)
    wanted = {}
    for row in rows:
        if row.get("person") is not None:
            pk = int(getattr(row["person"], "pk", row["person"]))
            wanted[pk] = None
    if wanted:
        for found in visible.filter(pk__in=list(wanted)):
            wanted[found.pk] = found
    hashes = {pii.blind_index(r["id_number"], "id_number") for r in rows if r["id_number"]}
    by_hash = {}
    if hashes:
        by_hash = {p.id_hash: p for p in visible.filter(id_hash__in=hashes)}
    links, errors = [], []
    for i, row in enumerate(rows):
        id_hash = pii.blind_index(row["id_number"], "id_number") if row["id_number"] else ""
        if row.get("person") is not None:
            found = wanted[int(getattr(row["person"], "pk", row["person"]))]
            if found is None:
                raise NotFound(
                    _("第%(n)s位人员：所选实有人口不存在或不在您的辖区内，不能关联") % {"n": i + 1},
                    code="person_out_of_scope",
                )
            if id_hash and found.id_hash and id_hash != found.id_hash:
                errors.append(_("第%(n)s位人员：身份证号与所选实有人口不一致") % {"n": i + 1})
            links.append(found)
        else:
            links.append(by_hash.get(id_hash) if id_hash else None)
    if errors:
        raise ServiceError("；".join(errors), code="invalid_people", details={"errors": errors})
    return links


def _create_people(risk, rows, links):
    created = []
    for row, person in zip(rows, links, strict=True):
        fields = {k: v for k, v in row.items() if k != "person"}
        created.append(RiskPerson.objects.create(risk=risk, person=person, **fields))
    return created


def apply_risk(
    actor,
    *,
    place,
    category,
    title,
    description,
    source=Risk.Source.SCREENING,
    level=Level.BLUE,
    plan="",
    people=(),
    units_involved="",
    units=(),
    responsible_department=None,
    responsible_unit_name="",
    responsible_leader=None,
    responsible_person=None,
    disputes=(),
    cases=(),
    now=None,
):
    """A station applies to put a risk on the register (state ``applied``)."""
    need(actor, "risks.apply_risk")
    now = now or timezone.now()
    place = _place(place, actor)
    title, description = (title or "").strip(), (description or "").strip()
    missing = [n for n, v in ((_("风险名称"), title), (_("风险描述"), description)) if not v]
    if missing:
        raise ServiceError(
            _("缺少必填项：%(fields)s") % {"fields": "、".join(missing)}, code="required"
        )
    if source not in Risk.Source.values:
        raise ServiceError(_("来源不正确"), code="invalid_source")
    if level not in RANK or level == Level.NONE:
        raise ServiceError(_("申报等级须为绿、蓝、橙、红之一"), code="invalid_level")
    category = _category(category)
    people = _people(people)
    links = _registry_links(actor, people)
    unit_rows = _registry_units(actor, units)
    department = None
    if responsible_department not in (None, ""):
        department = Department.objects.filter(
            pk=getattr(responsible_department, "pk", responsible_department)
        ).first()
        if department is None:
            raise ServiceError(_("责任单位不存在"), code="invalid_department")
    leader = _user(responsible_leader, _("责任领导"))
    person = _user(responsible_person, _("责任人"))
    from fengqiao.disputes.models import Dispute

    dispute_rows = list(Dispute.objects.restrict(actor).filter(pk__in=[int(d) for d in disputes]))
    unit = (
        actor.station
        or Station.objects.filter(places__path__in=place.ancestor_paths())
        .filter(kind="station")
        .first()
    )
    with transaction.atomic():
        risk = Risk.objects.create(
            number=f"tmp-{secrets.token_hex(8)}",
            title=title[:120],
            description=description,
            category=category,
            source=source,
            place=place,
            level=level,
            proposed_level=level,
            plan=(plan or "").strip(),
            units_involved=(units_involved or "").strip()[:300],
            unit=unit,
            responsible_department=department,
            responsible_unit_name=(responsible_unit_name or "").strip()[:100],
            responsible_leader=leader,
            responsible_person=person,
            applied_by=actor,
            applied_at=now,
        )
        risk.number = f"FX{timezone.localtime(now):%Y}{risk.pk:06d}"
        risk.save(update_fields=["number"])
        _create_people(risk, people, links)
        if unit_rows:
            risk.units.set(unit_rows)
        if dispute_rows:
            risk.disputes.set(dispute_rows)
        if cases:
            from fengqiao.cases.models import Case

            risk.cases.set(Case.objects.restrict(actor).filter(pk__in=[int(c) for c in cases]))
        append_timeline(
            risk,
            "apply",
            actor=actor,
            to_state=risk.state,
            note=_("申报风险：%(title)s（申报等级：%(level)s）")
            % {"title": risk.title, "level": risk.get_proposed_level_display()},
            data={"source": source, "level": level, "unit": unit.name if unit else ""},
            now=now,
        )
        reviewers = _staff(place, ["leader"])
        notifications.notify(
            [u for u in reviewers if u.has_perm("risks.review_risk")],
            kind="risk.applied",
            message="risk.applied",
            params={"number": risk.number, "title": title},
            url=f"/risks/{risk.pk}/",
            target=risk,
        )
    return risk


def _registry_units(actor, units):
    """The registry units (``registry.Unit``) chosen, each one the actor may see; any other id
    refuses the request (404 with a clear message, nothing written)."""
    from fengqiao.registry.models import Unit

    ids = set()
    for value in units or ():
        value = getattr(value, "pk", value)
        if value in (None, ""):
            continue
        if not str(value).isdigit():
            raise ServiceError(_("实有单位编号不正确"), code="invalid_unit")
        ids.add(int(value))
    found = list(Unit.objects.restrict(actor).filter(pk__in=ids)) if ids else []
    if len(found) != len(ids):
        raise NotFound(_("所选实有单位不存在或不在您的辖区内，不能关联"), code="unit_out_of_scope")
    return found


def risks_of_unit(actor, unit):
    """The risks ``actor`` may see that involve a registry unit (the registry's unit page)."""
    if not actor.has_perm("risks.view_risk"):
        return []
    rows = Risk.objects.restrict(actor).filter(units=unit).select_related("category")
    return list(rows.order_by("-applied_at", "-id"))


def add_person(risk, actor, *, name, id_number="", phone="", role="", person=None, now=None):
    """Add one person involved to a risk on the register or in the filing chain; linked to the
    registry as :func:`_registry_links` says. Written to the risk's timeline (name masked)."""
    need(actor, "risks.apply_risk")
    rows = _people(
        [{"name": name, "id_number": id_number, "phone": phone, "role": role, "person": person}]
    )
    if not rows:
        raise ServiceError(_("请填写涉及人员姓名"), code="required")
    links = _registry_links(actor, rows)
    with locked(risk, actor) as row:
        if row.state == Risk.State.CLOSED:
            raise Conflict(_("风险已销号，不能再添加涉及人员"), code="closed")
        (added,) = _create_people(row, rows, links)
        append_timeline(
            row,
            "add_person",
            actor=actor,
            from_state=row.state,
            to_state=row.state,
            note=_("添加涉及人员：%(name)s%(linked)s")
            % {
                "name": pii.mask_name(rows[0]["name"]),
                "linked": _("（已关联实有人口）") if added.person_id else "",
            },
            data={"risk_person": added.pk, "linked": bool(added.person_id)},
            now=now,
        )
    return added


def people_of(actor, risk):
    """The people of ``risk`` as ``actor`` may see them (masked), with their registry links."""
    return list(RiskPerson.objects.restrict(actor).filter(risk=risk).select_related("person"))


def risks_of_person(actor, person):
    """Where a registry person is involved in risks ``actor`` may see (the registry page)."""
    return list(
        RiskPerson.objects.restrict(actor)
        .filter(person=person)
        .select_related("risk", "risk__category")
        .order_by("-risk__applied_at", "-id")
    )


def link_registry_people(risks=None, *, batch=1000):
    """Link unlinked people involved to the registry by ID number (a system job, re-runnable:
    hourly as ``risk_people_links``, so residents registered after a risk was filed — by hand or
    by an import — are linked; and once for older rows by migration 0006). The registry person
    must live in the risk's county, the level that files and reviews the risk. Returns the count
    linked. One query per batch of rows for the registry side (``id_hash`` is unique there)."""
    from fengqiao.registry.models import Person

    rows = RiskPerson.objects.filter(person__isnull=True).exclude(id_hash="")
    if risks is not None:
        rows = rows.filter(risk__in=risks)
    rows = rows.values_list("pk", "id_hash", "risk__place_path").order_by("pk")
    linked, last = 0, 0
    while True:
        chunk = list(rows.filter(pk__gt=last)[:batch])
        if not chunk:
            return linked
        last = chunk[-1][0]
        people = {
            p["id_hash"]: p
            for p in Person.objects.filter(id_hash__in={h for _pk, h, _path in chunk}).values(
                "pk", "id_hash", "place_path"
            )
        }
        for pk, id_hash, place_path in chunk:
            match = people.get(id_hash)
            if match is None or not match["place_path"].startswith(county_path(place_path)):
                continue
            linked += RiskPerson.objects.filter(pk=pk, person__isnull=True).update(
                person_id=match["pk"]
            )


def county_path(path):
    """``/city/county/…/`` → ``/city/county/`` (places are rooted at the city level)."""
    parts = (path or "").strip("/").split("/")
    return "/" + "/".join(parts[:2]) + "/"


def _staff(place, roles):
    from fengqiao.org.services import staff_for_place

    return staff_for_place(place, roles)


def act(risk, name, actor, *, note="", data=None, attachments=(), now=None):
    """Take a plain transition (``return``, ``approve``, ``file_city``, ``resubmit`` …)."""
    data = dict(data or {})
    if name == "approve":
        level = data.get("level") or ""
        if level and (level not in RANK or level == "none"):
            raise ServiceError(_("预警等级不正确"), code="invalid_level")
        data["from_level"] = ""
    if name == "file_city":
        data["city_reference"] = (data.get("city_reference") or "").strip()
    risk, entry = apply(risk, name, actor, note=note, data=data, attachments=attachments, now=now)
    return risk


def approve(risk, actor, *, level="", note="", now=None):
    return act(risk, "approve", actor, note=note, data={"level": level}, now=now)


def return_risk(risk, actor, *, note, now=None):
    return act(risk, "return", actor, note=note, now=now)


def file_city(risk, actor, *, city_reference, note="", now=None):
    return act(
        risk, "file_city", actor, note=note, data={"city_reference": city_reference}, now=now
    )


def resubmit(risk, actor, *, note="", now=None):
    return act(risk, "resubmit", actor, note=note, now=now)


# -- levels -------------------------------------------------------------------------------------
def propose_level(risk, actor, *, to_level, reason, now=None):
    """Propose raising, lowering or releasing the colour; a reason is required."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("调整预警等级须填写理由"), code="reason_required")
    if to_level not in RANK:
        raise ServiceError(_("预警等级不正确"), code="invalid_level")
    try:
        risk, _entry = apply(
            risk,
            "propose_level",
            actor,
            note=reason,
            data={"to_level": to_level, "reason": reason},
            now=now,
        )
    except IntegrityError:  # a concurrent proposal won the unique constraint
        raise Conflict(_("已有一项等级调整待审批"), code="proposal_pending") from None
    return risk


def decide_level(risk, actor, *, approve, note="", now=None):
    """The approver approves or rejects the open proposal (rejection needs a reason)."""
    name = "approve_level" if approve else "reject_level"
    risk, _entry = apply(risk, name, actor, note=note, data={"reason": note}, now=now)
    return risk


def change_level(risk, actor, *, to_level, reason, now=None):
    """Propose and approve in one step, by someone who may approve (the approver is the actor)."""
    need(actor, "risks.approve_level")
    with transaction.atomic():
        risk = propose_level(risk, actor, to_level=to_level, reason=reason, now=now)
        return decide_level(risk, actor, approve=True, note=reason, now=now)


def level_history(risk):
    """The colours the risk has had: approved changes, oldest first (the timeline and chart)."""
    return list(
        LevelChange.objects.filter(risk=risk, state="approved")
        .select_related("approver", "proposed_by")
        .order_by("id")
    )


def level_changed(risk, old, new, actor, now):
    """Called by the flow inside the transaction whenever the colour changed (incl. approval).

    Records the initial colour as history, tells the leaders about orange and red (三长报告),
    gives a new red risk a day to set up its task force, and brings the next review forward
    when the new colour is reviewed more often."""
    if not old:
        LevelChange.objects.create(
            risk=risk,
            from_level="",
            to_level=new,
            reason=_("县局审核确定"),
            state="approved",
            proposed_by=risk.applied_by,
            proposed_at=risk.applied_at,
            approver=actor,
            decided_at=now,
        )
    if new in ("orange", "red") and RANK[new] > RANK.get(old or "none", 0):
        leaders = _staff(risk.place, ["leader"])
        notifications.notify(
            leaders,
            kind="risk.level_report",
            message="risk.level_report",
            params={
                "number": risk.number,
                "title": risk.title,
                "level": risk.level,
                "description": risk.description[:300],
            },
            url=f"/risks/{risk.pk}/",
            target=risk,
        )
        append_timeline(
            risk,
            "level_report",
            actor=actor,
            from_state=risk.state,
            to_state=risk.state,
            note=_("已报告领导（%(n)s人）") % {"n": len(leaders)},
            data={"notified": [u.pk for u in leaders], "level": new},
            now=now,
        )
    if new == "red" and not TaskForce.objects.filter(risk=risk).exists():
        start_deadline(
            risk, "task_force", now + _hours("TASK_FORCE_HOURS", 24), policy="risk_review", now=now
        )
    from . import reviews

    reviews.reschedule(risk, now)


def _hours(name, default):
    from datetime import timedelta

    return timedelta(hours=int(setting(name, default)))


# -- task force (专班) ------------------------------------------------------------------------------
def create_task_force(risk, actor, *, leader, members, plan, now=None):
    plan = (plan or "").strip()
    leader = _user(leader, _("专班组长"))
    if leader is None or not plan:
        raise ServiceError(_("组建专班须指定组长并填写工作方案"), code="required")
    member_rows = [m for m in (_user(m, _("专班成员")) for m in members or []) if m]
    with transaction.atomic():
        risk, _entry = apply(
            risk,
            "task_force",
            actor,
            note=_("组建专班，组长：%(leader)s") % {"leader": leader},
            data={"leader": leader.pk, "members": [m.pk for m in member_rows]},
            now=now,
        )
        if TaskForce.objects.filter(risk=risk).exists():
            raise Conflict(_("该风险已组建专班"), code="task_force_exists")
        force = TaskForce.objects.create(
            risk=risk, leader=leader, plan=plan, created_by=actor, created_at=now or timezone.now()
        )
        force.members.set({leader, *member_rows})
        notifications.notify(
            list(force.members.all()),
            kind="risk.task_force",
            message="risk.task_force",
            params={"number": risk.number},
            url=f"/risks/{risk.pk}/task-force/",
            target=risk,
        )
    return force


def log_task_force(risk, actor, *, text, day=None):
    need(actor, "risks.log_task_force")
    risk = get_risk(actor, risk.pk, "change")
    force = TaskForce.objects.filter(risk=risk).first()
    if force is None:
        raise Conflict(_("该风险尚未组建专班"), code="no_task_force")
    text = (text or "").strip()
    if not text:
        raise ServiceError(_("请填写专班工作情况"), code="required")
    return TaskForceLog.objects.create(
        task_force=force, day=day or timezone.localdate(), text=text, author=actor
    )


# -- hand-over (推送) -----------------------------------------------------------------------------
def hand_over(risk, actor, *, department, matter, now=None):
    matter = (matter or "").strip()
    if not matter:
        raise ServiceError(_("请填写推送事项"), code="required")
    dept = Department.objects.filter(pk=getattr(department, "pk", department) or 0).first()
    if dept is None:
        raise ServiceError(_("请选择职能部门"), code="invalid_department")
    from .workflow import handover_flow

    with transaction.atomic():
        risk, _entry = apply(
            risk, "hand_over", actor, note=matter, data={"department": dept.name}, now=now
        )
        now = now or timezone.now()
        handover = HandOver.objects.create(
            risk=risk,
            department=dept,
            matter=matter,
            place=risk.place,
            created_by=actor,
            created_at=now,
        )
        append_timeline(
            handover, "register", actor=actor, to_state="registered", note=matter, now=now
        )
        start_deadline(
            handover,
            "step",
            handover_flow.deadline_due(handover, "step", now),
            policy="risk_step",
            now=now,
        )
    return handover


def handover_step(handover, actor, step, *, note="", feedback="", now=None):
    if step == "answer":
        feedback = (feedback or note or "").strip()
        if not feedback:
            raise ServiceError(_("请填写部门反馈"), code="required")
        note = note or feedback
    handover, _entry = apply(
        handover,
        step,
        actor,
        note=note,
        data={"feedback": feedback} if step == "answer" else {},
        now=now,
    )
    return handover


def get_handover(actor, pk, action="view"):
    return HandOver.objects.select_related("risk", "department").get_scoped(actor, action, pk=pk)


# -- close-out (销号) -----------------------------------------------------------------------------
def evidence_files(files):
    """Uploaded evidence → attachment dicts; the type is decided by the content."""
    out = []
    for upload in files or []:
        head = upload.read(8)
        upload.seek(0)
        kind = next((v for k, v in EVIDENCE_TYPES.items() if head.startswith(k)), None)
        if kind is None:
            raise ServiceError(
                _("证明材料“%(name)s”格式不支持（可上传PDF、JPG、PNG、DOCX）")
                % {"name": upload.name},
                code="invalid_evidence",
            )
        if upload.size > MAX_EVIDENCE_BYTES:
            raise ServiceError(
                _("证明材料“%(name)s”超过10MB") % {"name": upload.name}, code="too_large"
            )
        content_type, ext, label = kind
        if ext == "docx":
            content_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        out.append(
            {
                "file": ContentFile(upload.read(), name=f"risk-{uuid.uuid4().hex}.{ext}"),
                "name": (upload.name or "evidence")[:200],
                "content_type": content_type,
                "size": upload.size,
                "kind": label,
            }
        )
    return out


def request_close(risk, actor, *, note, files=(), now=None):
    attachments = evidence_files(files)
    return act(
        risk,
        "request_close",
        actor,
        note=(note or "").strip(),
        data={"evidence": [a["name"] for a in attachments]},
        attachments=attachments,
        now=now,
    )


def approve_close(risk, actor, *, note="", now=None):
    return act(risk, "approve_close", actor, note=note, now=now)


def reject_close(risk, actor, *, note, now=None):
    return act(risk, "reject_close", actor, note=note, now=now)


def reopen(risk, actor, *, note, level="", now=None):
    """The risk recurred: back on the register (counted as a recurrence in assessment)."""
    if level and (level not in RANK or level == "none"):
        raise ServiceError(_("预警等级不正确"), code="invalid_level")
    data = {"level": level, "from_level": risk.level} if level else {}
    return act(risk, "reopen", actor, note=note, data=data, now=now)


# -- review actions ---------------------------------------------------------------------------------
def complete_action(action, actor, *, result, now=None):
    if action.owner_id != actor.pk and not actor.has_perm("risks.run_review"):
        raise Forbidden(_("只有措施责任人或会商组织者可以办结"))
    result = (result or "").strip()
    if not result:
        raise ServiceError(_("请填写完成情况"), code="required")
    action, _entry = apply(action, "complete", actor, note=result, data={"result": result}, now=now)
    return action


def get_action(actor, pk, action="view"):
    return ReviewAction.objects.select_related("risk", "owner").get_scoped(actor, action, pk=pk)


DEADLINE_LABELS = {
    "review": gettext_lazy("会商"),
    "city_filing": gettext_lazy("报市局备案"),
    "task_force": gettext_lazy("组建专班"),
}


def open_deadline_list(risk):
    """Open deadlines, each with ``label``: the kind in the reader's language."""
    deadlines = list(open_deadlines(risk))
    for deadline in deadlines:
        deadline.label = DEADLINE_LABELS.get(deadline.kind, deadline.kind)
    return deadlines


# -- assessment -----------------------------------------------------------------------------------
def figures(actor, *, since=None):
    """Per filing unit (station): risks found, reviews on time / due, close-outs, recurrences."""
    need(actor, "risks.view_risk_figures")
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import Count, Sum

    from fengqiao.core.models import Deadline

    rows = Risk.objects.restrict(actor)
    if since:
        rows = rows.filter(applied_at__gte=since)
    per_unit = {}
    for row in rows.values("unit_id", "unit__name").annotate(
        found=Count("id"),
        closed=Count("id", filter=Q(state="closed")),
        recurrences=Sum("recurrence_count"),
        red=Count("id", filter=Q(level="red") & ~Q(state="closed")),
    ):
        per_unit[row["unit_id"]] = {
            "unit": row["unit__name"] or _("（未指定单位）"),
            "found": row["found"],
            "closed": row["closed"],
            "recurrences": row["recurrences"] or 0,
            "red": row["red"],
            "reviews_on_time": 0,
            "reviews_due": 0,
        }
    risk_units = dict(rows.values_list("pk", "unit_id"))
    reviews = Deadline.objects.filter(
        content_type=ContentType.objects.get_for_model(Risk),
        object_id__in=list(risk_units),
        kind="review",
    ).exclude(state="open", breached=False)
    for object_id, state, breached in reviews.values_list("object_id", "state", "breached"):
        unit = per_unit.get(risk_units.get(object_id))
        if unit is None:
            continue
        unit["reviews_due"] += 1
        if state == "met" and not breached:
            unit["reviews_on_time"] += 1
    return sorted(per_unit.values(), key=lambda u: (-u["found"], str(u["unit"])))
