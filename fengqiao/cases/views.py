"""Staff pages: my queue, dispatcher console, supervision board, case detail and actions,
staff entry, grid QR codes and the figures."""

from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from fengqiao.core import sms
from fengqiao.core.authz import authorize
from fengqiao.core.errors import ServiceError
from fengqiao.core.models import Attachment, TimelineEntry
from fengqiao.core.workflow import open_deadlines
from fengqiao.org.models import Department, Place, Team
from fengqiao.web.lists import export_list, staff_list, wants_export

from . import queries, services, uploads
from .actions import registry
from .forms import SpawnDisputeForm, StaffReportForm
from .lists import (
    INCOMING,
    CaseFilter,
    CaseTable,
    DispatchTable,
    QueueTable,
    SupervisionFilter,
    SupervisionTable,
    case_facets,
    console_order,
)
from .models import Case, DispatchRule, SupervisionCard
from .presenters import CASES, deadline_label, full_timeline, map_context

# Lists never show the reporter: not loading the encrypted columns saves two decryptions per row.
PERSONAL = ("reporter_name", "reporter_phone")


@authorize(perm="cases.view_case")
def queue(request):
    """我的工单: what waits for me, nearest deadline first (live countdowns), on the shared list."""
    tab = request.GET.get("tab", "mine")
    tab = tab if tab in ("mine", "all") else "mine"
    rows = queries.my_queue(request.user, tab)
    if wants_export(request):
        return export_list(
            request,
            CaseTable,
            rows.select_related("category", "place", "department").defer(*PERSONAL),
            kind="cases.queue",
            filename="cases.xlsx",
            filterset_class=CaseFilter,
            extra_query=("tab",),
        )
    listing = staff_list(
        request,
        QueueTable,
        rows,
        filterset_class=CaseFilter,
        facets=case_facets(),
        extra_query=("tab",),
        exportable=True,
        page_rows=queries.page_rows,  # the JSON queue's query: plain rows, labels precomputed
    )
    return render(request, "cases/queue.html", {"listing": listing, "tab": tab})


def _suggest(cases):
    """Suggested unit per case from the dispatch rules, with one query for all rules."""
    rules = list(DispatchRule.objects.select_related("place", "department", "team"))
    for case in cases:
        best = None
        for rule in rules:
            cat_ok = rule.category_id in (case.category_id, case.category.parent_id)
            if cat_ok and case.place_path.startswith(rule.place.path):
                key = (rule.category_id == case.category_id, len(rule.place.path))
                if best is None or key > best[0]:
                    best = (key, rule)
        case.suggested = best[1] if best else None


@authorize(perm="cases.dispatch_case")
def dispatch_console(request):
    """调度台: extension requests and returned cases on top; then the incoming cases, new reports
    first (then urgency, then time left), with filters and their counts, likely duplicates with
    one-click merge, batch actions (keyboard: j/k move, x select, a select all)."""
    user = request.user
    scoped = Case.objects.restrict(user)
    rows = console_order(
        scoped.filter(state__in=INCOMING)
        .select_related("category__parent", "place", "likely_duplicate_of")
        .defer(*PERSONAL, *(f"likely_duplicate_of__{f}" for f in PERSONAL))
    )
    if wants_export(request):
        return export_list(
            request,
            DispatchTable,
            rows,
            kind="cases.console",
            filename="dispatch.xlsx",
            filterset_class=CaseFilter,
        )
    listing = staff_list(
        request,
        DispatchTable,
        rows,
        filterset_class=CaseFilter,
        facets=case_facets(),
        exportable=True,
    )
    _suggest(listing.rows)
    extensions = list(
        scoped.filter(extension_pending__isnull=False, state__in=("claimed", "in_progress"))
        .select_related("category", "department")
        .defer(*PERSONAL)
        .order_by("handle_due_at")[:20]
    )
    returned = list(
        scoped.filter(state="returned")
        .select_related("category", "place")
        .defer(*PERSONAL)
        .order_by("next_due_at", "id")[:20]
    )
    reasons = {}
    if returned:
        entries = TimelineEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Case),
            object_id__in=[c.pk for c in returned],
            transition="return",
        ).order_by("at", "id")
        for entry in entries.only("object_id", "note", "data"):
            reasons[entry.object_id] = entry.data.get("reason") or entry.note
    for case in returned:
        case.return_reason = reasons.get(case.pk, "")
    return render(
        request,
        "cases/dispatch.html",
        {
            "listing": listing,
            "departments": Department.objects.order_by("code"),
            "extensions": extensions,
            "returned": returned,
            "batch_actions": BATCH_ACTIONS,
            "results": request.session.pop("bulk_results", None),
        },
    )


# Batch actions of the console: transition name → the payload's data built from the form.
BATCH_ACTIONS = (("dispatch", gettext_lazy("批量派单")), ("accept", gettext_lazy("批量受理")))


@authorize(perm="cases.dispatch_case")
@require_POST
def bulk_dispatch(request):
    """Batch action on the ticked cases through the action registry: every case is loaded in the
    user's scope and checked on its own locked row; one result per case (a failure of one never
    undoes the others)."""
    ids = request.POST.getlist("ids")
    back = request.POST.get("back", "")
    target = reverse("cases:dispatch") + (back if back.startswith("?") else "")
    if not ids:
        messages.error(request, _("请先勾选要派单的事件"))
        return redirect(target)
    name = request.POST.get("action") or "dispatch"
    if name not in dict(BATCH_ACTIONS):
        messages.error(request, _("不支持的批量操作"))
        return redirect(target)
    data = {}
    if name == "dispatch":
        data = {"department": request.POST.get("department") or None}
    results = services.bulk_act(
        ids[:200], request.user, name, {"note": request.POST.get("note", ""), "data": data}
    )
    done = [r for r in results if r["ok"]]
    if done:
        messages.success(
            request,
            (_("已派单 %(n)d 件") if name == "dispatch" else _("已受理 %(n)d 件"))
            % {"n": len(done)},
        )
    failed = [r for r in results if not r["ok"]]
    if failed:
        messages.error(request, _("%(n)d 件未完成，见下方逐件说明") % {"n": len(failed)})
        request.session["bulk_results"] = [
            {"number": r.get("number") or f"#{r['id']}", "message": str(r["message"])}
            for r in failed
        ]
    return redirect(target)


@authorize(perm="cases.view_supervisioncard")
def supervision(request):
    """督办看板: cards by level; the town and county review lists (cases still open)."""
    user = request.user
    in_scope = Case.objects.restrict(user).values("pk")
    cards = SupervisionCard.objects.filter(case_id__in=in_scope)
    counts = dict(
        cards.filter(case__state__in=Case.OPEN_STATES)
        .values_list("level")
        .annotate(n=Count("id"))
        .values_list("level", "n")
    )
    rows = (
        cards.filter(case__state__in=Case.OPEN_STATES)
        .select_related("case__category", "case__place", "department")
        .defer(*(f"case__{f}" for f in PERSONAL))
        .order_by("-level", "-issued_at", "-id")
    )
    if wants_export(request):
        return export_list(
            request,
            SupervisionTable,
            rows,
            kind="cases.supervision",
            filename="supervision.xlsx",
            filterset_class=SupervisionFilter,
        )
    listing = staff_list(
        request, SupervisionTable, rows, filterset_class=SupervisionFilter, exportable=True
    )
    level = listing.query.get("level", "")
    levels = [
        (value, label, counts.get(value, 0)) for value, label in SupervisionCard.Level.choices
    ]
    return render(
        request,
        "cases/supervision.html",
        {"listing": listing, "levels": levels, "level": level},
    )


def _detail_context(request, case, spawn_form=None):
    user = request.user
    entries = full_timeline(case)
    merge_candidates = []
    if user.has_perm("cases.accept_case") and case.state in ("reported", "accepted"):
        merge_candidates = list(
            Case.objects.restrict(user)
            .filter(
                category_id=case.category_id,
                place_id=case.place_id,
                state__in=Case.OPEN_STATES,
                duplicate_of__isnull=True,
            )
            .exclude(pk=case.pk)
            .order_by("-reported_at")[:10]
        )
    actions = services.allowed_actions(case, user)
    teams = (
        Team.objects.filter(place__path__in=case.place.ancestor_paths())
        if "dispatch" in actions or "accept" in actions
        else []
    )
    deadlines = list(open_deadlines(case))
    for deadline in deadlines:
        deadline.label = deadline_label(deadline.kind)
    cards = list(case.cards.order_by("-issued_at")[:10])
    for card in cards:
        card.kind_label = deadline_label(card.deadline_kind) if card.deadline_kind else ""
    return {
        "case": case,
        "entries": entries,
        "actions": actions,
        "deadlines": deadlines,
        "cards": cards,
        "merge_candidates": merge_candidates,
        "departments": Department.objects.order_by("code")
        if "accept" in actions or "dispatch" in actions
        else [],
        "teams": teams,
        "suggested": services.suggested_rule(case)
        if "dispatch" in actions or "accept" in actions
        else None,
        "satisfaction_choices": Case.Satisfaction.choices,
        "can_reveal": user.has_perm("core.reveal_personal_data"),
        "sms_notes": sms.for_target(case),
        "can_retry_sms": can_retry_sms(user),
        "spawn_form": spawn_form
        or (
            SpawnDisputeForm(types=services.dispute_types()) if "spawn_dispute" in actions else None
        ),
        **map_context([case.place], [case]),
    }


@authorize(CASES, perm="cases.view_case")
def detail(request, case):
    return render(request, "cases/detail.html", _detail_context(request, case))


@authorize(CASES, perm="cases.view_case")
@require_POST
def act(request, case, name):
    pk = case.pk
    attachments, rejected = [], []
    if request.FILES:
        attachments, rejected = uploads.process_files(request.FILES.getlist("photos"))
    for item in rejected:
        messages.warning(request, _("文件未采用：%(item)s") % {"item": item})
    try:
        registry.handle_form(request, case, name, attachments=attachments)
    except ServiceError as exc:
        messages.error(request, exc.message)
        case = services.get_case(request.user, pk)
        return render(
            request, "cases/detail.html", _detail_context(request, case), status=exc.status
        )
    messages.success(request, _("操作已完成"))
    if name in ("return",) or not Case.objects.restrict(request.user).filter(pk=pk).exists():
        return redirect("cases:queue")
    return redirect("cases:detail", pk=pk)


def can_retry_sms(user):
    """Whoever answers residents (handles or dispatches cases) may send a failed reply again."""
    return user.has_perm("cases.handle_case") or user.has_perm("cases.dispatch_case")


@authorize(CASES, perm="cases.view_case")
@require_POST
def sms_retry(request, case, note_id):
    """Send a failed text message to the reporter again (``core.sms.retry``); only a message about
    this case, which the reader sees (404 otherwise). Back to ``next`` (the hand-off page) or the case."""
    from django.core.exceptions import PermissionDenied
    from django.utils.http import url_has_allowed_host_and_scheme

    from fengqiao.core.models import Notification

    if not can_retry_sms(request.user):
        raise PermissionDenied
    note = Notification.objects.filter(
        pk=note_id, channel="sms", target_type="cases.case", target_id=str(case.pk)
    ).first()
    if note is None:
        raise Http404
    try:
        sms.retry(note, actor=request.user)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("短信已重新排队发送"))
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("cases:detail", pk=case.pk)


@authorize(CASES, perm="cases.view_case")
@require_POST
def spawn_dispute(request, case):
    """转矛盾纠纷调解: register the dispute from this case, then open the dispute's page."""
    pk = case.pk
    form = SpawnDisputeForm(request.POST, types=services.dispute_types())
    status = 400
    if form.is_valid():
        try:
            case, dispute = services.spawn_dispute(
                case,
                request.user,
                parties=form.parties(),
                type=form.cleaned_data["type"],
                note=form.cleaned_data["note"],
            )
        except ServiceError as exc:
            field = exc.details.get("field")
            form.add_error(field if field in form.fields else None, exc.message)
            status = exc.status
            case = services.get_case(request.user, pk)
        else:
            messages.success(
                request, _("已转矛盾纠纷调解：%(number)s") % {"number": dispute.number}
            )
            return redirect("disputes:detail", pk=dispute.pk)
    return render(request, "cases/detail.html", _detail_context(request, case, form), status=status)


@authorize(CASES, perm="cases.view_case")
def attachment(request, case, attachment_id):
    entry_ids = [e.pk for e in full_timeline(case)]
    item = Attachment.objects.filter(pk=attachment_id, entry_id__in=entry_ids).first()
    if item is None:
        raise Http404
    return FileResponse(item.file.open("rb"), content_type=item.content_type)


def _grids(user):
    return list(
        Place.objects.restrict(user)
        .filter(level=Place.Level.GRID)
        .select_related("parent")
        .order_by("path")
    )


@authorize(perm="cases.add_case")
def new(request):
    """Staff entry: a call or a walk-in, entered by a grid worker, hotline operator or dispatcher."""
    grids = _grids(request.user)
    form = StaffReportForm(request.POST or None, groups=services.categories(), grids=grids)
    # Only the channels the user's roles work (a grid worker cannot record a 110 transfer).
    form.fields["source"].choices = [
        c for c in form.fields["source"].choices if services.source_allowed(request.user, c[0])
    ]
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            grid = next((g for g in grids if g.pk == data["grid"]), None)
            attachments, rejected = uploads.process_files(
                request.FILES.getlist("photos"),
                request.FILES.get("voice"),
                keep_location=data["share_location"],
            )
            try:
                case, created = services.report(
                    place=grid,
                    category=data["category"],
                    description=data["description"],
                    source=data["source"],
                    actor=request.user,
                    client_id=data["client_id"],
                    location_text=data["location_text"],
                    lat=data["lat"],
                    lng=data["lng"],
                    reporter_name=data["reporter_name"],
                    reporter_phone=data["reporter_phone"],
                    anonymous=data["anonymous"],
                    share_location=data["share_location"],
                    urgency=data["urgency"] or None,
                    attachments=attachments,
                )
            except ServiceError as exc:
                field = exc.details.get("field")
                form.add_error(field if field in form.fields else None, exc.message)
            else:
                for item in rejected:
                    messages.warning(request, _("文件未采用：%(item)s") % {"item": item})
                messages.success(
                    request,
                    (
                        _("已登记，查询码 %(code)s（请告知反映人）")
                        if created
                        else _("该登记已提交过：%(code)s")
                    )
                    % {"code": case.tracking_code},
                )
                return redirect("cases:detail", pk=case.pk)
        status = 400
    return render(
        request, "cases/new.html", {"form": form, **map_context(grids[:60])}, status=status
    )


@authorize(perm="cases.add_case")
def grids(request):
    return render(request, "cases/grids.html", {"grids": _grids(request.user)})


def figures_page(request):
    """Moved to the command centre's figures (/insights/); old links keep working."""
    from fengqiao.insights.views import legacy_cases_figures

    return legacy_cases_figures(request)


@authorize(perm="cases.accept_case")
def triage_queue(request):
    """待定位: reports no grid could be found for, waiting in the county's triage queue."""
    from . import triage

    rows = list(triage.queue(request.user)[:100])
    grids = Place.objects.restrict(request.user).filter(level=Place.Level.GRID).order_by("path")
    return render(
        request,
        "cases/triage.html",
        {"rows": rows, "grids": list(grids[:2000]), **map_context(grids[:500])},
    )


@require_POST
@authorize(perm="cases.accept_case")
def triage_place(request, pk):
    """Place one report: a grid picked from the list, or a point (lat/lng) picked on the map."""
    from . import triage
    from .models import PendingReport

    pending = PendingReport.objects.get_scoped(request.user, pk=pk)
    grid = None
    code = request.POST.get("grid", "").strip()
    if code:
        grid = Place.objects.restrict(request.user).filter(code=code[:24]).first()
        if grid is None:
            raise Http404
    lat = lng = None
    if not grid:
        try:
            lat = float(request.POST.get("lat", ""))
            lng = float(request.POST.get("lng", ""))
        except ValueError:
            lat = lng = None
    try:
        case = triage.place(pending, request.user, grid=grid, lat=lat, lng=lng)
    except ServiceError as exc:
        if exc.status == 404:
            raise
        messages.error(request, exc.message)
        return redirect("cases:triage")
    messages.success(request, _("已定位，事件 %(n)s 进入正常流程") % {"n": case.number})
    return redirect("cases:detail", pk=case.pk)
