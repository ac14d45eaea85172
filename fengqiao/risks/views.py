"""Staff pages: the risk board (by colour and place), the apply form, the risk detail (level
timeline and chart, actions), the task-force page, suggestions, review sessions (the meeting
screen: big type, one risk at a time, decisions recorded live), figures and exports.

Views only call services. A refused action re-renders the page with the service's message and
status (4xx) and the user's input kept."""

from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from fengqiao.core import workflow as kernel
from fengqiao.core.authz import AnyOf, authorize
from fengqiao.core.errors import NotFound, ServiceError
from fengqiao.core.exports import list_xlsx, percent
from fengqiao.org.models import Department, Place, User
from fengqiao.registry.models import Unit
from fengqiao.web.lists import export_list, staff_list, wants_export

from . import documents, reviews, services, suggestions
from .actions import registry
from .lists import (
    RiskFilter,
    RiskTable,
    SessionFilter,
    SessionTable,
    SuggestionFilter,
    SuggestionTable,
    by_level,
    risk_facets,
    risk_sorts,
    session_facets,
    suggestion_facets,
)
from .models import (
    COLOURS,
    RANK,
    HandOver,
    Level,
    ReviewAction,
    ReviewItem,
    ReviewSession,
    Risk,
    RiskCategory,
    Suggestion,
    TaskForce,
)
from .workflow import flow, handover_flow

RISKS = Risk.objects.select_related(
    "category", "place", "unit", "responsible_department", "responsible_leader"
)
SESSIONS = ReviewSession.objects.select_related("place", "chair")


def _get(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except NotFound:
        raise Http404 from None


# -- board ----------------------------------------------------------------------------------------
@authorize(perm="risks.view_risk")
def board(request):
    """Open risks by colour, narrowed to a place; the filing chain and close-outs in progress."""
    user = request.user
    rows = Risk.objects.restrict(user).select_related("category", "place", "unit")
    places = list(Place.objects.restrict(user).filter(level__lte=Place.Level.VILLAGE)[:300])
    place_id = request.GET.get("place") or ""
    place = next((p for p in places if str(p.pk) == place_id), None)
    if place is not None:
        rows = rows.filter(place_path__startswith=place.path)
    q = request.GET.get("q", "").strip()
    if q:
        rows = rows.filter(title__icontains=q) | rows.filter(number__icontains=q)
    on_register = list(rows.filter(state__in=Risk.ON_REGISTER).order_by("applied_at"))
    columns = [
        {
            "colour": c,
            "label": Level(c).label,
            "risks": [r for r in on_register if r.level == c],
        }
        for c in COLOURS
    ]
    released = [r for r in on_register if r.level == "none"]
    in_chain = list(rows.filter(state__in=("applied", "returned")).order_by("applied_at"))
    by_place = (
        rows.filter(state__in=Risk.ON_REGISTER)
        .values("place__name", "level")
        .annotate(n=Count("id"))
        .order_by("place__name")
    )
    places_table = {}
    for row in by_place:
        places_table.setdefault(row["place__name"], {c: 0 for c in COLOURS})[row["level"]] = row[
            "n"
        ]
    return render(
        request,
        "risks/board.html",
        {
            "columns": columns,
            "released": released,
            "in_chain": in_chain,
            "places": places,
            "place": place,
            "q": q,
            "places_table": sorted(places_table.items()),
            "colours": COLOURS,
            "wartime": reviews.active_wartime(user),
            "now": timezone.now(),
        },
    )


@authorize(perm="risks.view_risk")
def register_list(request):
    """The register as a list (beside the colour board): filters with counts, other orders,
    pages, xlsx export (the people involved masked unless asked with a reason)."""
    rows = by_level(
        Risk.objects.restrict(request.user).select_related(
            "category", "place", "responsible_department", "responsible_leader"
        )
    )
    if wants_export(request):
        return export_list(
            request,
            RiskTable,
            rows.prefetch_related("people"),
            kind="risks.list",
            filename="risks.xlsx",
            filterset_class=RiskFilter,
            sorts=risk_sorts(),
        )
    listing = staff_list(
        request,
        RiskTable,
        rows,
        filterset_class=RiskFilter,
        facets=risk_facets(),
        exportable=True,
        sorts=risk_sorts(),
    )
    now = timezone.now()
    for risk in listing.rows:
        risk.review_overdue = risk.next_review_at is not None and risk.next_review_at < now
    return render(request, "risks/list.html", {"listing": listing})


# -- apply ----------------------------------------------------------------------------------------
def _apply_context(request, form, suggestion=None):
    user = request.user
    return {
        "form": form,
        "suggestion": suggestion,
        "categories": RiskCategory.objects.filter(active=True),
        "places": Place.objects.restrict(user).filter(level__gte=Place.Level.TOWN)[:500],
        "levels": [(c, Level(c).label) for c in ("green", "blue", "orange", "red")],
        "sources": Risk.Source.choices,
        "departments": Department.objects.all()[:200],
        "staff": _staff_choices(user),
        "registry_units": Unit.objects.restrict(user).select_related("address")[:300],
        "chosen_units": set(form.getlist("units") if hasattr(form, "getlist") else ()),
        "people_rows": [
            {"i": i, **{k: form.get(f"person{i}_{k}", "") for k in PERSON_KEYS}} for i in range(3)
        ],
    }


PERSON_KEYS = ("name", "id_number", "phone", "role")


def _staff_choices(user):
    paths = user.scope_paths()
    if not paths:
        return User.objects.none()
    from django.db.models import Q

    q = Q(pk__in=[])
    for path in paths:
        q |= Q(jurisdictions__place__path__startswith=path)
    return User.objects.filter(q, is_active=True).distinct().order_by("id")[:200]


def _fields_from(post):
    people = []
    for i in range(3):
        row = {k: post.get(f"person{i}_{k}", "") for k in PERSON_KEYS}
        if row["name"].strip():
            people.append(row)
    return {
        "place": post.get("place") or None,
        "category": post.get("category", ""),
        "title": post.get("title", ""),
        "description": post.get("description", ""),
        "level": post.get("level", "blue"),
        "plan": post.get("plan", ""),
        "units_involved": post.get("units_involved", ""),
        "units": [u for u in post.getlist("units") if u],
        "responsible_department": post.get("responsible_department") or None,
        "responsible_unit_name": post.get("responsible_unit_name", ""),
        "responsible_leader": post.get("responsible_leader") or None,
        "responsible_person": post.get("responsible_person") or None,
        "people": people,
    }


@require_http_methods(["GET", "POST"])
@authorize(perm="risks.apply_risk")
def apply(request):
    form = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        fields = _fields_from(request.POST)
        fields["source"] = request.POST.get("source", "screening")
        try:
            risk = services.apply_risk(request.user, **fields)
        except ServiceError as exc:
            messages.error(request, exc.message)
            return render(
                request, "risks/apply.html", _apply_context(request, form), status=exc.status
            )
        messages.success(request, _("已申报：%(number)s，待县局审核") % {"number": risk.number})
        return redirect("risks:detail", pk=risk.pk)
    return render(request, "risks/apply.html", _apply_context(request, form))


# -- detail ---------------------------------------------------------------------------------------
def _detail_context(request, risk, form=None):
    user = request.user
    history = services.level_history(risk)
    chart = [
        {
            "at": timezone.localtime(h.decided_at or h.proposed_at).strftime("%Y-%m-%d %H:%M"),
            "level": h.to_level,
            "rank": RANK.get(h.to_level, 0),
            "label": str(Level(h.to_level).label),
        }
        for h in history
    ]
    if chart:
        chart.append(
            {
                "at": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
                "level": risk.level,
                "rank": RANK.get(risk.level, 0),
                "label": str(Level(risk.level).label),
                "now": True,
            }
        )
    available = set(registry.available(risk, user))
    if "propose_level" in available and user.has_perm("risks.approve_level"):
        available.add("change_level")
    proposal = risk.level_changes.filter(state="proposed").first()
    handovers = list(risk.handovers.select_related("department"))
    for h in handovers:
        h.steps = [t for t in handover_flow.available(h, user)]
    return {
        "risk": risk,
        "people": services.people_of(user, risk),
        "can_reveal": user.has_perm("core.reveal_personal_data"),
        "can_add_person": user.has_perm("risks.apply_risk") and risk.state != "closed",
        "history": history,
        "chart": chart,
        "timeline": _labelled(kernel.timeline(risk)),
        "deadlines": services.open_deadline_list(risk),
        "available": available,
        "proposal": proposal,
        "handovers": handovers,
        "task_force": TaskForce.objects.filter(risk=risk).first(),
        "actions": list(risk.actions.select_related("owner")),
        "disputes": list(risk.disputes.all()),
        "cases": list(risk.cases.all()),
        "units": list(risk.units.all()),
        "levels": [(c, Level(c).label) for c in ("green", "blue", "orange", "red")],
        "levels_all": [(c, Level(c).label) for c in ("none", "green", "blue", "orange", "red")],
        "departments": Department.objects.all()[:200],
        "staff": _staff_choices(user),
        "form": form or {},
        "now": timezone.now(),
    }


EXTRA_LABELS = {
    "apply": gettext_lazy("申报风险"),
    "supervise": gettext_lazy("督办"),
    "level_report": gettext_lazy("三长报告"),
    "escalate": gettext_lazy("超期提醒"),
    "add_person": gettext_lazy("添加涉及人员"),
}


def _labelled(entries):
    """Verbs, states, "system" and the notes the system wrote, in the reader's language."""
    from fengqiao.core.messages import label_entries

    return label_entries(entries, flow, EXTRA_LABELS, dict(Risk.State.choices))


@authorize(RISKS, perm="risks.view_risk")
def detail(request, risk):
    services.record_view(request.user, risk)
    return render(request, "risks/detail.html", _detail_context(request, risk))


@require_http_methods(["GET", "POST"])
@authorize(RISKS, perm="risks.view_risk")
def act(request, risk, action):
    """Every form of the detail page posts here (the action registry reads the form); a GET
    (after the scope check) goes back to the page."""
    pk = risk.pk
    if request.method == "GET" or action not in registry:
        return redirect("risks:detail", pk=risk.pk)
    try:
        registry.handle_form(request, risk, action, files=request.FILES.getlist("evidence"))
    except ServiceError as exc:
        messages.error(request, exc.message)
        risk = _get(services.get_risk, request.user, pk)
        context = _detail_context(request, risk, form={**request.POST.dict(), "action": action})
        return render(request, "risks/detail.html", context, status=exc.status)
    messages.success(request, _("已保存"))
    return redirect("risks:detail", pk=risk.pk)


@require_http_methods(["GET", "POST"])
@authorize(RISKS, perm="risks.apply_risk", action="change")
def add_person(request, risk):
    """Add one person involved (linked to the registry by ID number where the user sees them)."""
    if request.method == "GET":
        return redirect("risks:detail", pk=risk.pk)
    post = request.POST
    try:
        added = services.add_person(
            risk,
            request.user,
            **{k: post.get(k, "") for k in PERSON_KEYS},
            person=post.get("person") or None,
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
        risk = _get(services.get_risk, request.user, risk.pk)
        form = {**post.dict(), "action": "add_person"}
        context = _detail_context(request, risk, form=form)
        return render(request, "risks/detail.html", context, status=exc.status)
    if added.person_id:
        messages.success(request, _("已添加涉及人员，并已关联实有人口"))
    else:
        messages.success(request, _("已添加涉及人员（未找到可关联的实有人口）"))
    return redirect("risks:detail", pk=risk.pk)


@require_http_methods(["GET", "POST"])
@authorize(
    HandOver.objects.select_related("risk", "department"),
    perm=AnyOf("risks.hand_over", "risks.handle_handover"),
)
def handover_step(request, handover, step):
    if request.method == "GET":
        return redirect("risks:detail", pk=handover.risk_id)
    try:
        if step not in ("review", "notify", "transfer", "answer", "archive"):
            raise ServiceError(_("未知操作"), code="unknown_action")
        services.handover_step(
            handover,
            request.user,
            step,
            note=request.POST.get("note", ""),
            feedback=request.POST.get("feedback", ""),
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
        if not request.user.has_perm("risks.view_risk"):
            return HttpResponse(exc.message, status=exc.status)
        risk = _get(services.get_risk, request.user, handover.risk_id)
        return render(
            request,
            "risks/detail.html",
            _detail_context(request, risk, form=request.POST.dict()),
            status=exc.status,
        )
    messages.success(request, _("已保存"))
    return redirect("risks:detail", pk=handover.risk_id)


@require_http_methods(["GET", "POST"])
@authorize(ReviewAction.objects.select_related("risk", "owner"), perm="risks.view_risk")
def complete_action(request, action):
    if request.method == "GET":
        return redirect("risks:detail", pk=action.risk_id)
    try:
        services.complete_action(action, request.user, result=request.POST.get("result", ""))
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("risks:detail", pk=action.risk_id)
    messages.success(request, _("措施已办结"))
    return redirect("risks:detail", pk=action.risk_id)


# -- task force -----------------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
@authorize(RISKS, perm="risks.view_risk")
def task_force(request, risk):
    status = 200
    if request.method == "POST":
        what = request.POST.get("what")
        try:
            if what == "create":
                services.create_task_force(
                    risk,
                    request.user,
                    leader=request.POST.get("leader") or None,
                    members=request.POST.getlist("members"),
                    plan=request.POST.get("plan", ""),
                )
            else:
                services.log_task_force(risk, request.user, text=request.POST.get("text", ""))
        except ServiceError as exc:
            messages.error(request, exc.message)
            status = exc.status
        else:
            messages.success(request, _("已保存"))
            return redirect("risks:task_force", pk=risk.pk)
    force = TaskForce.objects.filter(risk=risk).prefetch_related("members").first()
    return render(
        request,
        "risks/task_force.html",
        {
            "risk": risk,
            "force": force,
            "logs": list(force.logs.select_related("author")) if force else [],
            "staff": _staff_choices(request.user),
            "form": request.POST if status != 200 else {},
        },
        status=status,
    )


# -- suggestions ----------------------------------------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def suggestion_list(request):
    rows = _get(suggestions.visible, request.user)
    if request.method == "POST":
        found = suggestions.collect()
        messages.success(request, _("扫描完成，新发现线索 %(n)s 条") % {"n": found})
        return redirect("risks:suggestions")
    if "state" not in request.GET:  # the default: what waits for a decision
        request.GET = request.GET.copy()
        request.GET["state"] = "pending"
    rows = rows.order_by("-created_at", "-id")
    if wants_export(request):
        return export_list(
            request,
            SuggestionTable,
            rows,
            kind="risks.suggestions",
            filename="risk-suggestions.xlsx",
            filterset_class=SuggestionFilter,
        )
    listing = staff_list(
        request,
        SuggestionTable,
        rows,
        filterset_class=SuggestionFilter,
        facets=suggestion_facets(),
        exportable=True,
    )
    return render(request, "risks/suggestions.html", {"listing": listing})


@require_http_methods(["GET", "POST"])
@authorize(Suggestion.objects.select_related("place", "category"), perm="risks.manage_suggestion")
def suggestion(request, found):
    if request.method == "POST":
        try:
            if request.POST.get("what") == "dismiss":
                suggestions.dismiss(request.user, found, reason=request.POST.get("reason", ""))
                messages.success(request, _("已不予采纳"))
                return redirect("risks:suggestions")
            fields = _fields_from(request.POST)
            fields = {k: v for k, v in fields.items() if v not in (None, "", [])}
            risk = suggestions.accept(request.user, found, **fields)
        except ServiceError as exc:
            messages.error(request, exc.message)
            context = _apply_context(request, request.POST, suggestion=found)
            return render(request, "risks/suggestion.html", context, status=exc.status)
        messages.success(request, _("已采纳并申报：%(number)s") % {"number": risk.number})
        return redirect("risks:detail", pk=risk.pk)
    form = {
        "title": found.title[:120],
        "description": found.detail or found.title,
        "category": found.category.code if found.category_id else "",
        "place": str(found.place_id),
        "level": "orange" if found.source == "dispute" else "blue",
    }
    return render(request, "risks/suggestion.html", _apply_context(request, form, found))


# -- reviews --------------------------------------------------------------------------------------
def _dt(value):
    parsed = parse_datetime(value or "")
    if parsed is None:
        return None
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)


@login_required
@require_http_methods(["GET", "POST"])
def session_list(request):
    user = request.user
    rows = _get(reviews.sessions, user)
    status = 200
    if request.method == "POST":
        what = request.POST.get("what")
        try:
            if what == "wartime":
                reviews.set_wartime(
                    user,
                    place=request.POST.get("place") or None,
                    starts_at=_dt(request.POST.get("starts_at")),
                    ends_at=_dt(request.POST.get("ends_at")),
                    reason=request.POST.get("reason", ""),
                )
                messages.success(request, _("战时模式已启用，会商已按战时频次排定"))
            elif what == "end_wartime":
                from .models import WartimePeriod

                period = WartimePeriod.objects.get_scoped(user, pk=request.POST.get("period") or 0)
                reviews.end_wartime(user, period)
                messages.success(request, _("战时模式已结束"))
            elif what == "schedule":
                services.need(user, "risks.run_review")
                n = reviews.schedule_reviews()
                messages.success(request, _("已排定会商议题 %(n)s 项") % {"n": n})
            else:
                session = reviews.create_session(
                    user,
                    place=request.POST.get("place") or None,
                    slot_at=_dt(request.POST.get("slot_at")) or timezone.now(),
                    title=request.POST.get("title", ""),
                )
                return redirect("risks:session", pk=session.pk)
        except ServiceError as exc:
            messages.error(request, exc.message)
            status = exc.status
        else:
            return redirect("risks:sessions")
    rows = rows.annotate(n=Count("items")).order_by("-slot_at", "-id")
    if wants_export(request):
        return export_list(
            request,
            SessionTable,
            rows,
            kind="risks.sessions",
            filename="risk-reviews.xlsx",
            filterset_class=SessionFilter,
        )
    listing = staff_list(
        request,
        SessionTable,
        rows,
        filterset_class=SessionFilter,
        facets=session_facets(),
        exportable=True,
    )
    counties = Place.objects.restrict(user).filter(level=Place.Level.COUNTY)
    return render(
        request,
        "risks/sessions.html",
        {
            "listing": listing,
            "wartime": reviews.active_wartime(user),
            "counties": counties,
            "places": Place.objects.restrict(user).filter(level__lte=Place.Level.GRID)[:300],
            "form": request.POST if status != 200 else {},
            "can_wartime": user.has_perm("risks.set_wartime"),
            "missed": reviews.missed_reviews(user).count(),
        },
        status=status,
    )


@authorize(SESSIONS, perm="risks.run_review")
def session(request, sess):
    """The meeting screen: one risk at a time (``?item=``), big type, decisions recorded live."""
    return _session_page(request, sess)


def _session_page(request, sess, *, item_id=None, status=200, form=None):
    items = reviews.agenda(sess, request.user)
    wanted = item_id or request.GET.get("item")
    current = next((i for i in items if str(i.pk) == str(wanted)), None)
    if current is None:
        current = next((i for i in items if not i.decision), items[0] if items else None)
    index = items.index(current) if current else 0
    risk = current.risk if current else None
    return render(
        request,
        "risks/session.html",
        {
            "session": sess,
            "items": items,
            "current": current,
            "index": index,
            "prev": items[index - 1] if index > 0 else None,
            "next": items[index + 1] if current and index + 1 < len(items) else None,
            "risk": risk,
            "history": services.level_history(risk) if risk else [],
            "open_actions": list(risk.actions.filter(state="open").select_related("owner"))
            if risk
            else [],
            "decisions": ReviewItem.Decision.choices,
            "levels_all": [(c, Level(c).label) for c in ("none", "green", "blue", "orange", "red")],
            "departments": Department.objects.all()[:200],
            "staff": _staff_choices(request.user),
            "decided": sum(1 for i in items if i.decision),
            "form": form or {},
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@authorize(SESSIONS, perm="risks.run_review", action="change")
def decide(request, sess, item_id):
    if request.method == "GET":
        return redirect(f"/risks/reviews/{sess.pk}/?item={item_id}")
    post = request.POST
    actions = []
    if post.get("action_title", "").strip():
        actions.append(
            {
                "title": post.get("action_title"),
                "owner": post.get("action_owner"),
                "due_at": post.get("action_due", ""),
            }
        )
    try:
        item, created = reviews.decide(
            sess,
            item_id,
            request.user,
            decision=post.get("decision", ""),
            note=post.get("note", ""),
            new_level=post.get("new_level", ""),
            department=post.get("department") or None,
            matter=post.get("matter", ""),
            actions=actions,
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
        return _session_page(request, sess, item_id=item_id, status=exc.status, form=post.dict())
    if created:
        messages.success(request, _("决定已记录：%(d)s") % {"d": item.get_decision_display()})
    else:
        messages.info(request, _("该决定此前已记录，未重复保存"))
    following = next((i for i in reviews.agenda(sess, request.user) if not i.decision), None)
    url = f"/risks/reviews/{sess.pk}/"
    return redirect(f"{url}?item={following.pk}" if following else url)


@require_http_methods(["GET", "POST"])
@authorize(SESSIONS, perm="risks.run_review", action="change")
def close_session(request, sess):
    if request.method == "GET":
        return redirect("risks:session", pk=sess.pk)
    try:
        reviews.close_session(
            sess,
            request.user,
            minutes=request.POST.get("minutes", ""),
            attendees=request.POST.get("attendees", ""),
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
        return _session_page(request, sess, status=exc.status, form=request.POST.dict())
    messages.success(request, _("会商已结束，纪要已保存"))
    return redirect("risks:session", pk=sess.pk)


@authorize(SESSIONS, perm="risks.run_review")
def session_pack(request, sess, fmt):
    try:
        data, content_type, name = documents.pack(sess, request.user, fmt)
    except ServiceError as exc:
        return HttpResponse(exc.message, status=exc.status)
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@authorize(perm="risks.view_risk")
def export(request):
    response = HttpResponse(documents.register_xlsx(request.user), content_type=documents.XLSX)
    stamp = datetime.now().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="risk-register-{stamp}.xlsx"'
    return response


def _on_time(row):
    return row["reviews_on_time"] / row["reviews_due"] if row["reviews_due"] else None


# The figures as xlsx: counts as numbers, the share of reviews on time as a percentage.
FIGURE_COLUMNS = (
    (gettext_lazy("单位"), lambda r: str(r["unit"])),
    (gettext_lazy("发现风险"), lambda r: r["found"]),
    (gettext_lazy("按时会商"), lambda r: r["reviews_on_time"]),
    (gettext_lazy("应会商"), lambda r: r["reviews_due"]),
    (gettext_lazy("按时会商率"), percent(_on_time, 1)),
    (gettext_lazy("销号"), lambda r: r["closed"]),
    (gettext_lazy("反弹"), lambda r: r["recurrences"]),
    (gettext_lazy("在册红色"), lambda r: r["red"]),
)


@authorize(perm="risks.view_risk_figures")
def figures(request):
    rows = services.figures(request.user)
    if wants_export(request):
        return list_xlsx(
            request, rows, FIGURE_COLUMNS, kind="risks.figures", filename="risk-figures.xlsx"
        )
    for row in rows:
        row["on_time_rate"] = _on_time(row)
    return render(request, "risks/figures.html", {"rows": rows})
