"""Staff pages (workbench, register, detail with timeline, hearing, joint board, agreement,
verification, figures, pools) and the party's public status page. Views only call services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, F, Prefetch, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_http_methods

from fengqiao.core import workflow as kernel
from fengqiao.core.errors import NotFound, ServiceError
from fengqiao.core.models import Deadline, TimelineEntry
from fengqiao.org.models import Department, Place

from . import services
from .actions import registry
from .models import (
    LEVELS,
    Agreement,
    Attempt,
    Dispute,
    DisputeType,
    HearingParticipant,
    JointTask,
    JudicialConfirmation,
    MediatorPoolMember,
    Party,
    ReturnVisit,
)
from .services import RISK_FLAGS
from .workflow import flow


def _perm(user, perm):
    if not user.has_perm(perm):
        raise PermissionDenied


def _dispute(request, pk, action="view"):
    try:
        return services.get_dispute(request.user, pk, action)
    except NotFound:
        raise Http404 from None


@login_required
def workbench(request):
    """My disputes by deadline; place-scoped staff may switch to everything in their area."""
    _perm(request.user, "disputes.view_dispute")
    user = request.user
    view = request.GET.get("view") or ("mine" if not user.has_place_scope() else "all")
    rows = Dispute.objects.restrict(user).select_related("type", "place", "mediator")
    if view == "mine":
        rows = rows.filter(mediator=user)
    state = request.GET.get("state", "open")
    if state == "open":
        rows = rows.filter(state__in=Dispute.OPEN_STATES)
    elif state == "after":
        rows = rows.filter(state__in=("performing", "performed"))
    elif state in Dispute.State.values:
        rows = rows.filter(state=state)
    q = request.GET.get("q", "").strip()
    if q:
        rows = rows.filter(Q(number__icontains=q) | Q(title__icontains=q))
    rows = rows.order_by(
        F("next_due_at").asc(nulls_last=True), "-risk_score", "registered_at", "id"
    )
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    items = list(page)
    now = timezone.now()
    for item in items:
        item.next_due = item.next_due_at
        item.overdue = item.next_due_at is not None and item.next_due_at < now
    return render(
        request,
        "disputes/workbench.html",
        {
            "page": page,
            "items": items,
            "view": view,
            "state": state,
            "q": q,
            "states": Dispute.State.choices,
            "now": now,
        },
    )


def _register_context(request, form):
    user = request.user
    places = Place.objects.restrict(user).filter(level__gte=Place.Level.TOWN).order_by("path")
    return {
        "form": form,
        "types": DisputeType.objects.filter(active=True),
        "places": places[:500],
        "sizes": Dispute.Size.choices,
        "sides": Party.Side.choices,
        "kinds": Party.Kind.choices,
        "risk_flags": [(k, label) for k, (_w, label) in RISK_FLAGS.items()],
        "party_rows": [
            {
                "i": i,
                **{key: form.get(f"party{i}_{key}", "") for key in PARTY_KEYS},
            }
            for i in range(3)
        ],
    }


PARTY_KEYS = (
    "kind",
    "side",
    "name",
    "gender",
    "id_number",
    "phone",
    "address",
    "legal_representative",
    "representative",
    "representative_relation",
)


def _parties_from(post):
    parties = []
    for i in range(3):
        row = {key: post.get(f"party{i}_{key}", "") for key in PARTY_KEYS}
        if any(v.strip() for k, v in row.items() if k not in ("kind", "side")):
            parties.append(row)
    return parties


@login_required
@require_http_methods(["GET", "POST"])
def register(request):
    _perm(request.user, "disputes.register_dispute")
    form = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        post = request.POST
        try:
            dispute = services.register_dispute(
                request.user,
                place=post.get("place") or None,
                type=post.get("type", ""),
                title=post.get("title", ""),
                facts=post.get("facts", ""),
                claims=post.get("claims", ""),
                amount=post.get("amount", ""),
                size=post.get("size", "small"),
                parties=_parties_from(post),
                risk={
                    **{k: post.get(f"risk_{k}") for k in RISK_FLAGS},
                    "people": post.get("risk_people") or 0,
                    "intensity": post.get("risk_intensity") or 0,
                },
            )
        except ServiceError as exc:
            messages.error(request, exc.message)
            return render(
                request, "disputes/register.html", _register_context(request, form), status=400
            )
        messages.success(
            request,
            _("已登记：%(number)s。当事人查询码：%(code)s")
            % {"number": dispute.number, "code": dispute.tracking_code},
        )
        return redirect("disputes:detail", pk=dispute.pk)
    return render(request, "disputes/register.html", _register_context(request, form))


def _detail_context(request, dispute):
    user = request.user
    parties = list(Party.objects.filter(dispute=dispute))
    attempts = list(
        Attempt.objects.filter(dispute=dispute)
        .select_related("mediator", "hearing")
        .prefetch_related(
            "hearing__participants",
            Prefetch("tasks", queryset=JointTask.objects.select_related("department")),
        )
    )
    agreements = list(
        Agreement.objects.filter(dispute=dispute)
        .select_related("judicial_confirmation")
        .prefetch_related("performances")
        .order_by("-version")
    )
    signed = next((a for a in agreements if a.state == Agreement.State.SIGNED), None)
    draft = next((a for a in agreements if a.state == Agreement.State.DRAFT), None)
    confirmation = getattr(signed, "judicial_confirmation", None) if signed else None
    available = {t.name for t in flow.available(dispute, user)}
    can_change = (
        available and Dispute.objects.restrict(user, "change").filter(pk=dispute.pk).exists()
    )
    if not can_change:
        available = set()
    next_levels = list(range(dispute.level + 1, 6)) if dispute.level < 5 else []
    pools = {level: services.pool_for(dispute.place, level) for level in next_levels}
    pools_current = (
        services.pool_for(dispute.place, dispute.level) if {"assign", "start"} & available else []
    )
    deadlines = list(kernel.open_deadlines(dispute))
    for row in deadlines:
        row.label = DEADLINE_LABELS.get(row.kind) or row.kind
    tasks = [t for a in attempts for t in a.tasks.all() if t.next_due_at is not None]
    for task in tasks:  # each joint task has its own deadline (its own small flow)
        task_deadline = Deadline(kind="feedback", due_at=task.next_due_at)
        task_deadline.label = f"{_('联席调任务')} · {task.department.name}"
        deadlines.append(task_deadline)
    deadlines.sort(key=lambda row: row.due_at)
    return {
        "dispute": dispute,
        "parties": parties,
        "attempts": attempts,
        "agreements": agreements,
        "signed": signed,
        "draft": draft,
        "confirmation": confirmation,
        "timeline": _labelled(kernel.timeline(dispute)),
        "available": available,
        "next_levels": next_levels,
        "pools": pools,
        "pools_current": pools_current,
        "deadlines": deadlines,
        "now": timezone.now(),
        "referrals": [c for c in Attempt.Referral.choices if c[0]],
        "satisfactions": ReturnVisit.Satisfaction.choices,
        "outcomes": JudicialConfirmation.Outcome.choices,
        "risk_flags": [(k, label) for k, (_w, label) in RISK_FLAGS.items()],
        "levels": LEVELS,
        "visit": dispute.return_visits.filter(visited_at__isnull=True).first(),
        "can_reveal": user.has_perm("core.reveal_personal_data"),
        "track_url": request.build_absolute_uri(
            reverse("disputes:track", args=[dispute.tracking_code])
        ),
    }


EXTRA_LABELS = {
    "register": _l("登记"),
    "risk_alert": _l("民转刑风险提醒"),
    "remind": _l("提醒"),
    "escalate": _l("超时"),
}


def _labelled(entries):
    labels = {t.name: t.label for t in flow.transitions}
    rows = list(entries)
    states = dict(Dispute.State.choices)
    for row in rows:
        row.label = labels.get(row.transition) or EXTRA_LABELS.get(row.transition) or row.transition
        row.from_label = states.get(row.from_state, row.from_state)
        row.to_label = states.get(row.to_state, row.to_state)
    return rows


DEADLINE_LABELS = {
    "mediation": _l("本级调解时限"),
    "judicial_confirmation": _l("司法确认申请期限"),
    "performance": _l("履行期限"),
    "return_visit": _l("回访"),
}


@login_required
def detail(request, pk):
    _perm(request.user, "disputes.view_dispute")
    dispute = _dispute(request, pk)
    return render(request, "disputes/detail.html", _detail_context(request, dispute))


@login_required
@require_http_methods(["GET", "POST"])
def act(request, pk, action):
    """Every button of the detail page posts here (``disputes.actions.registry``); a GET (after
    the scope check) goes back to the page."""
    dispute = _dispute(request, pk)
    if request.method == "GET" or action not in registry:
        return redirect("disputes:detail", pk=dispute.pk)
    try:
        registry.handle_form(request, dispute, action)
    except ServiceError as exc:
        if exc.status == 404:
            raise Http404 from None
        messages.error(request, exc.message)
        context = _detail_context(request, _dispute(request, pk))
        context["form"] = request.POST
        context["failed_action"] = action
        return render(request, "disputes/detail.html", context, status=exc.status)
    messages.success(request, _("已保存"))
    return redirect("disputes:detail", pk=dispute.pk)


@login_required
@require_http_methods(["GET", "POST"])
def hearing(request, pk):
    """听证调 record form: participants with roles, statements, defence, deliberation, decision."""
    _perm(request.user, "disputes.view_dispute")
    dispute = _dispute(request, pk)
    attempt = dispute.attempts.filter(level=4).select_related("hearing").order_by("-id").first()
    existing = getattr(attempt, "hearing", None) if attempt else None
    form = request.POST if request.method == "POST" else {}
    status = 200
    if request.method == "POST":
        _perm(request.user, "disputes.hold_hearing")
        names = request.POST.getlist("participant_name")
        roles = request.POST.getlist("participant_role")
        try:
            services.record_hearing(
                dispute,
                request.user,
                held_at=request.POST.get("held_at", ""),
                location=request.POST.get("location", ""),
                statements=request.POST.get("statements", ""),
                defence=request.POST.get("defence", ""),
                deliberation=request.POST.get("deliberation", ""),
                decision=request.POST.get("decision", ""),
                minutes=request.POST.get("minutes", ""),
                participants=[{"name": n, "role": r} for n, r in zip(names, roles, strict=False)],
            )
        except ServiceError as exc:
            if exc.status == 404:
                raise Http404 from None
            messages.error(request, exc.message)
            status = exc.status
        else:
            messages.success(request, _("听证记录已保存"))
            return redirect("disputes:detail", pk=dispute.pk)
    participants = (
        list(zip(form.getlist("participant_name"), form.getlist("participant_role"), strict=False))
        if form
        else []
    )
    while len(participants) < 6:
        participants.append(("", ""))
    return render(
        request,
        "disputes/hearing.html",
        {
            "dispute": dispute,
            "existing": existing,
            "form": form,
            "roles": HearingParticipant.Role.choices,
            "participants": participants,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def joint_dispatch(request, pk):
    """联席调: dispatch tasks to departments for a dispute at L5."""
    _perm(request.user, "disputes.view_dispute")
    dispute = _dispute(request, pk)
    status = 200
    if request.method == "POST":
        _perm(request.user, "disputes.coordinate_joint")
        depts = request.POST.getlist("department")
        texts = request.POST.getlist("task")
        dues = request.POST.getlist("due_at")
        tasks = [
            {"department": d, "task": t, "due_at": due}
            for d, t, due in zip(depts, texts, dues, strict=False)
            if d or t.strip()
        ]
        try:
            services.dispatch_joint_tasks(dispute, request.user, tasks)
        except ServiceError as exc:
            if exc.status == 404:
                raise Http404 from None
            messages.error(request, exc.message)
            status = exc.status
        else:
            messages.success(request, _("已派单"))
            return redirect("disputes:joint_board")
    departments = Department.objects.filter(
        Q(places__path__in=dispute.place.ancestor_paths())
        | Q(place__path__in=dispute.place.ancestor_paths())
    ).distinct()
    return render(
        request,
        "disputes/joint_dispatch.html",
        {"dispute": dispute, "departments": departments, "rows": range(4), "form": request.POST},
        status=status,
    )


@login_required
def joint_board(request):
    """联席调 task board: dispatched / claimed / done columns, overdue marked."""
    _perm(request.user, "disputes.handle_joint_task")
    tasks = list(services.visible_tasks(request.user).order_by("due_at", "id")[:300])
    columns = [
        (state, label, [t for t in tasks if t.state == state])
        for state, label in JointTask.State.choices
    ]
    return render(request, "disputes/joint_board.html", {"columns": columns, "now": timezone.now()})


@login_required
@require_http_methods(["GET", "POST"])
def joint_task(request, task_id, action):
    if not services.visible_tasks(request.user).filter(pk=task_id).exists():
        raise Http404
    if request.method == "GET":
        return redirect("disputes:joint_board")
    try:
        if action == "claim":
            services.claim_joint_task(task_id, request.user)
        elif action == "complete":
            services.complete_joint_task(
                task_id, request.user, result=request.POST.get("result", "")
            )
        else:
            raise Http404
    except ServiceError as exc:
        if exc.status == 404:
            raise Http404 from None
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已保存"))
    return redirect("disputes:joint_board")


def _agreement_or_404(request, agreement_id, action="view"):
    try:
        return services.get_agreement(request.user, agreement_id, action)
    except NotFound:
        raise Http404 from None


@login_required
@require_http_methods(["GET", "POST"])
def agreement_edit(request, pk):
    """Draft the agreement of an agreed dispute, or edit it (a signed one becomes a new version)."""
    _perm(request.user, "disputes.view_dispute")
    dispute = _dispute(request, pk)
    current = (
        dispute.agreements.filter(state=Agreement.State.DRAFT).first()
        or dispute.agreements.filter(state=Agreement.State.SIGNED).first()
    )
    initial = services._agreement_fields(services.agreement_content(current)) if current else {}
    if not initial:
        initial = {
            "facts": dispute.facts,
            "issues": dispute.claims,
            "responsibilities": "",
            "terms": [],
            "performance_manner": "",
        }
    status = 200
    if request.method == "POST":
        _perm(request.user, "disputes.mediate_dispute")
        post = request.POST
        terms = [
            {"text": t, "due_on": d}
            for t, d in zip(post.getlist("term_text"), post.getlist("term_due"), strict=False)
        ]
        fields = {
            "facts": post.get("facts", ""),
            "issues": post.get("issues", ""),
            "responsibilities": post.get("responsibilities", ""),
            "terms": terms,
            "performance_manner": post.get("performance_manner", ""),
        }
        try:
            if current is not None:
                agreement, is_new = services.revise_agreement(current, request.user, **fields)
            else:
                agreement, is_new = services.draft_agreement(dispute, request.user, **fields), False
        except ServiceError as exc:
            if exc.status == 404:
                raise Http404 from None
            messages.error(request, exc.message)
            status = exc.status
            initial = fields
        else:
            if is_new:
                messages.info(
                    request,
                    _("已签署的协议书不能修改，已生成新版本 %(n)s（第%(v)s版），签署后取代原协议")
                    % {"n": agreement.number, "v": agreement.version},
                )
            else:
                messages.success(request, _("调解协议书已生成：%(n)s") % {"n": agreement.number})
            return redirect("disputes:agreement", agreement_id=agreement.pk)
    terms = list(initial.get("terms") or [])
    terms += [{"text": "", "due_on": ""}] * max(1, 4 - len(terms))
    return render(
        request,
        "disputes/agreement_form.html",
        {"dispute": dispute, "initial": initial, "terms": terms, "current": current},
        status=status,
    )


@login_required
def agreement(request, agreement_id):
    """Preview: the document's parts in HTML, with the number, version, state and code."""
    _perm(request.user, "disputes.view_dispute")
    item = _agreement_or_404(request, agreement_id)
    content = services.agreement_content(item)
    # The preview shows the parties masked; the clear values only go into the audited documents.
    masked = []
    for party in content.get("parties", []):
        masked.append(
            {
                **party,
                "name": services.pii.mask(party.get("name", ""), "name"),
                "id_number": services.pii.mask(party.get("id_number", ""), "id_number"),
                "phone": services.pii.mask(party.get("phone", ""), "phone"),
                "address": services.pii.mask(party.get("address", ""), "text"),
            }
        )
    can_sign = (
        item.state == Agreement.State.DRAFT
        and request.user.has_perm("disputes.mediate_dispute")
        and Dispute.objects.restrict(request.user, "change").filter(pk=item.dispute_id).exists()
    )
    return render(
        request,
        "disputes/agreement.html",
        {
            "agreement": item,
            "content": content,
            "parties": masked,
            "code": services.short_code(item.integrity_code),
            "can_sign": can_sign,
            "versions": item.dispute.agreements.order_by("-version"),
        },
    )


@login_required
def agreement_download(request, agreement_id, fmt):
    _perm(request.user, "disputes.view_dispute")
    item = _agreement_or_404(request, agreement_id)
    if fmt not in ("docx", "pdf"):
        raise Http404
    try:
        data = services.document_for(item, request.user, fmt)
    except ServiceError as exc:
        if exc.status == 404:
            raise Http404 from None
        raise PermissionDenied(exc.message) from None
    content_type = (
        "application/pdf"
        if fmt == "pdf"
        else "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{item.number}.{fmt}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
def hearing_minutes(request, hearing_id, fmt):
    """听证笔录 with the participants' clear names: audited (services.hearing_minutes_document)."""
    _perm(request.user, "disputes.view_dispute")
    if fmt not in ("docx", "pdf"):
        raise Http404
    try:
        hearing = services.get_hearing(request.user, hearing_id)
        data = services.hearing_minutes_document(hearing, request.user, fmt)
    except ServiceError as exc:
        if exc.status == 404:
            raise Http404 from None
        raise PermissionDenied(exc.message) from None
    content_type = (
        "application/pdf"
        if fmt == "pdf"
        else "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    response = HttpResponse(data, content_type=content_type)
    name = f"{hearing.attempt.dispute.number}-hearing-{hearing.pk}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def agreement_sign(request, agreement_id):
    item = _agreement_or_404(request, agreement_id)
    if request.method == "GET":
        return redirect("disputes:agreement", agreement_id=item.pk)
    try:
        services.sign_agreement(item, request.user)
    except ServiceError as exc:
        if exc.status == 404:
            raise Http404 from None
        messages.error(request, exc.message)
        return redirect("disputes:agreement", agreement_id=item.pk)
    messages.success(request, _("协议已签署生效，司法确认30日期限、履行跟踪与回访已开始计时"))
    return redirect("disputes:detail", pk=item.dispute_id)


@login_required
@require_http_methods(["GET", "POST"])
def verify(request):
    """Staff check a printed agreement: number + integrity code."""
    _perm(request.user, "disputes.verify_agreement")
    result = None
    if request.method == "POST":
        result = services.verify_agreement(
            request.user, request.POST.get("number", ""), request.POST.get("code", "")
        )
    return render(request, "disputes/verify.html", {"result": result, "form": request.POST})


def figures(request):
    """Moved to the command centre's figures (/insights/disputes/); old links keep working."""
    from fengqiao.insights.views import legacy_dispute_figures

    return legacy_dispute_figures(request)


@login_required
@require_http_methods(["GET", "POST"])
def pools(request):
    """Mediator pools of the places in my area, with each mediator's open workload; coordinators
    add or remove members."""
    _perm(request.user, "disputes.view_mediatorpoolmember")
    places = Place.objects.restrict(request.user)
    status = 200
    if request.method == "POST":
        _perm(request.user, "disputes.assign_dispute")
        try:
            services.set_pool_member(
                request.user,
                username=request.POST.get("username", ""),
                place=request.POST.get("place") or None,
                level=request.POST.get("level"),
                active=request.POST.get("active", "1") == "1",
                speciality=request.POST.get("speciality", ""),
            )
        except ServiceError as exc:
            messages.error(request, exc.message)
            status = exc.status
        else:
            messages.success(request, _("已保存"))
            return redirect("disputes:pools")
    rows = (
        MediatorPoolMember.objects.filter(place__in=places, active=True)
        .select_related("user", "place")
        .annotate(
            workload=Count(
                "user__disputes_mediating",
                filter=Q(user__disputes_mediating__state__in=Dispute.OPEN_STATES),
            )
        )
        .order_by("level", "place__path", "id")[:500]
    )
    return render(
        request,
        "disputes/pools.html",
        {
            "rows": rows,
            "levels": LEVELS,
            "places": places.filter(level__gte=Place.Level.TOWN)[:500],
            "form": request.POST,
        },
        status=status,
    )


# -- the party's status page (public) --------------------------------------------------------
PUBLIC_TRANSITIONS = {
    "register": _("已登记受理"),
    "start": _("开始调解"),
    "next_level": _("转下一级调解"),
    "hearing": _("召开听证"),
    "dispatch_joint": _("多部门联席调解"),
    "agree": _("达成调解协议"),
    "sign_agreement": _("调解协议书签署生效"),
    "apply_confirmation": _("已申请司法确认"),
    "record_confirmation": _("司法确认结果已记录"),
    "complete_performance": _("协议已履行"),
    "return_visit": _("回访，已办结"),
    "withdraw": _("已撤回"),
    "refer": _("已引导至其他途径解决"),
}


def track_start(request):
    code = request.GET.get("code", "").strip()
    if code:
        return redirect("disputes:track", code=code[:32])
    return render(request, "disputes/track.html", {"dispute": None, "ask": True})


@require_http_methods(["GET", "POST"])
def track(request, code):
    """A party follows their dispute with the tracking code and the last 4 digits of their phone.
    Shows the state and the public steps only: no notes, no personal data."""
    if request.method == "GET":
        return render(request, "disputes/track.html", {"code": code, "dispute": None})
    try:
        dispute = services.track(code, request.POST.get("last4", ""))
    except (NotFound, services.TooManyAttempts) as exc:
        response = render(
            request,
            "disputes/track.html",
            {"code": code, "dispute": None, "error": exc.message, "locked": exc.status == 429},
            status=exc.status,
        )
        if exc.status == 429:
            response["Retry-After"] = str(exc.details["retry_after"])
        return response
    steps = [
        {"at": e.at, "label": PUBLIC_TRANSITIONS[e.transition], "level": e.data.get("level")}
        for e in TimelineEntry.objects.filter(
            content_type__app_label="disputes", content_type__model="dispute", object_id=dispute.pk
        ).order_by("at", "id")
        if e.transition in PUBLIC_TRANSITIONS
    ]
    agreement = dispute.agreements.filter(state=Agreement.State.SIGNED).first()
    return render(
        request,
        "disputes/track.html",
        {
            "code": code,
            "dispute": dispute,
            "steps": steps,
            "agreement": agreement,
            "level_label": LEVELS.get(dispute.level),
        },
    )
