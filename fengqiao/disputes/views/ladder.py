"""The mediation ladder: workbench, register, detail with timeline and the buttons, hearing."""

from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_http_methods

from fengqiao.core import workflow as kernel
from fengqiao.core.authz import authorize, require_perm
from fengqiao.core.errors import ServiceError
from fengqiao.core.models import Deadline
from fengqiao.org.models import Place
from fengqiao.web.lists import export_list, staff_list, wants_export

from .. import services
from ..actions import registry
from ..lists import (
    DisputeFilter,
    DisputeTable,
    dispute_facets,
    dispute_sorts,
    workbench_order,
)
from ..models import (
    LEVELS,
    Agreement,
    Attempt,
    Dispute,
    DisputeType,
    HearingParticipant,
    JointTask,
    JudicialConfirmation,
    Party,
    ReturnVisit,
)
from ..services import RISK_FLAGS
from ..services._common import risk_factor_labels
from ..workflow import flow
from ._common import DISPUTES


@authorize(perm="disputes.view_dispute")
def workbench(request):
    """My disputes by deadline (then risk); place-scoped staff may switch to everything in their
    area. On the shared list: filters with counts, other orders, pages, xlsx export."""
    user = request.user
    view = request.GET.get("view") or ("mine" if not user.has_place_scope() else "all")
    view = view if view in ("mine", "all") else "mine"
    if "state" not in request.GET:  # the default: what is still being mediated
        request.GET = request.GET.copy()
        request.GET["state"] = "open"
    rows = Dispute.objects.restrict(user).select_related("type", "place", "mediator")
    if view == "mine":
        rows = rows.filter(mediator=user)
    rows = workbench_order(rows)
    if wants_export(request):
        return export_list(
            request,
            DisputeTable,
            rows.prefetch_related("parties"),
            kind="disputes.workbench",
            filename="disputes.xlsx",
            filterset_class=DisputeFilter,
            extra_query=("view",),
            sorts=dispute_sorts(),
        )
    listing = staff_list(
        request,
        DisputeTable,
        rows,
        filterset_class=DisputeFilter,
        facets=dispute_facets(),
        extra_query=("view",),
        exportable=True,
        sorts=dispute_sorts(),
    )
    now = timezone.now()
    for item in listing.rows:
        item.overdue = item.next_due_at is not None and item.next_due_at < now
    return render(
        request,
        "disputes/workbench.html",
        {
            "listing": listing,
            "view": view,
            "state": listing.query.get("state", ""),
            "q": listing.query.get("q", ""),
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


@authorize(perm="disputes.register_dispute")
@require_http_methods(["GET", "POST"])
def register(request):
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
    # The buttons come from the action registry; the steps done on their own page (hearing,
    # joint dispatch, the agreement) from the same kernel check. None out of the change scope.
    actions = registry.available(dispute, user)
    steps = [
        name for name in PAGE_STEPS if flow.refusal(dispute, flow.transition(name), user) is None
    ]
    if (actions or steps) and not (
        Dispute.objects.restrict(user, "change").filter(pk=dispute.pk).exists()
    ):
        actions, steps = [], []
    next_levels = list(range(dispute.level + 1, 6)) if dispute.level < 5 else []
    pools = {level: services.pool_for(dispute.place, level) for level in next_levels}
    pools_current = (
        services.pool_for(dispute.place, dispute.level)
        if {"assign", "start"} & set(actions)
        else []
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
        "checklist": [row for row in services.agreement_checklist(parties) if row["missing"]],
        "attempts": attempts,
        "agreements": agreements,
        "signed": signed,
        "draft": draft,
        "confirmation": confirmation,
        "timeline": _labelled(kernel.timeline(dispute)),
        "actions": actions,
        "steps": steps,
        "next_levels": next_levels,
        "pools": pools,
        "pools_current": pools_current,
        "deadlines": deadlines,
        "now": timezone.now(),
        "referrals": [c for c in Attempt.Referral.choices if c[0]],
        "satisfactions": ReturnVisit.Satisfaction.choices,
        "outcomes": JudicialConfirmation.Outcome.choices,
        "risk_flags": [(k, label) for k, (_w, label) in RISK_FLAGS.items()],
        "risk_factors": risk_factor_labels(dispute.risk_factors),
        "levels": LEVELS,
        "visit": dispute.return_visits.filter(visited_at__isnull=True).first(),
        "can_reveal": user.has_perm("core.reveal_personal_data"),
        "can_edit_parties": user.has_perm("disputes.register_dispute")
        or user.has_perm("disputes.mediate_dispute"),
        "track_url": request.build_absolute_uri(
            reverse("disputes:track", args=[dispute.tracking_code])
        ),
    }


# Kernel transitions done on a page of their own rather than one form on the detail page.
PAGE_STEPS = ("hearing", "dispatch_joint", "draft_agreement")

EXTRA_LABELS = {
    "register": _l("登记"),
    "risk_alert": _l("民转刑风险提醒"),
    "remind": _l("提醒"),
    "escalate": _l("超时"),
    "party_updated": _l("修改当事人信息"),
}


def _labelled(entries):
    """Verbs, states, "system" and the notes the system wrote, in the reader's language."""
    from fengqiao.core.messages import label_entries

    return label_entries(entries, flow, EXTRA_LABELS, dict(Dispute.State.choices))


DEADLINE_LABELS = {
    "mediation": _l("本级调解时限"),
    "judicial_confirmation": _l("司法确认申请期限"),
    "performance": _l("履行期限"),
    "return_visit": _l("回访"),
}


@authorize(DISPUTES, perm="disputes.view_dispute")
def detail(request, dispute):
    return render(request, "disputes/detail.html", _detail_context(request, dispute))


@authorize(DISPUTES)
@require_http_methods(["GET", "POST"])
def act(request, dispute, action):
    """Every button of the detail page posts here (``disputes.actions.registry``: the action's
    permission is checked there); a GET (after the scope check) goes back to the page."""
    if request.method == "GET" or action not in registry:
        return redirect("disputes:detail", pk=dispute.pk)
    try:
        registry.handle_form(request, dispute, action)
    except ServiceError as exc:
        if exc.status == 404:
            raise Http404 from None
        messages.error(request, exc.message)
        context = _detail_context(request, services.get_dispute(request.user, dispute.pk))
        context["form"] = request.POST
        context["failed_action"] = action
        return render(request, "disputes/detail.html", context, status=exc.status)
    messages.success(request, _("已保存"))
    return redirect("disputes:detail", pk=dispute.pk)


@authorize(DISPUTES, perm="disputes.view_dispute")
@require_http_methods(["GET", "POST"])
def hearing(request, dispute):
    """听证调 record form: participants with roles, statements, defence, deliberation, decision."""
    attempt = dispute.attempts.filter(level=4).select_related("hearing").order_by("-id").first()
    existing = getattr(attempt, "hearing", None) if attempt else None
    form = request.POST if request.method == "POST" else {}
    status = 200
    if request.method == "POST":
        require_perm(request.user, "disputes.hold_hearing")
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
