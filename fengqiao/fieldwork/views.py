"""Staff pages for fieldwork: my visits with the weekly target, record a visit (with a starred
note), open follow-ups, patrols, publicity activities, the monthly bulletin. Views only call
services; records enter through ``core.authz``."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.core.authz import authorize
from fengqiao.core.errors import NotFound, ServiceError
from fengqiao.org.models import Place
from fengqiao.registry.models import Address
from fengqiao.registry.views import _post_only
from fengqiao.web.lists import export_list, staff_list, wants_export

from . import services
from .actions import registry
from .lists import (
    NoteFilter,
    NoteTable,
    PatrolFilter,
    PatrolTable,
    VisitFilter,
    VisitTable,
    note_facets,
    patrol_facets,
    visit_facets,
)
from .models import Activity, FieldNote, PatrolCircle, PatrolLog, PatrolShift, Visit


def home_panel(request):
    """The officer's weekly visit progress and open follow-ups on the staff home page."""
    user = request.user
    if not user.has_perm("fieldwork.add_visit"):
        return None
    return {
        "progress": services.weekly_progress(user),
        "follow_ups": services.open_follow_ups(user).count(),
    }


@authorize(perm="fieldwork.view_visit")
def visits(request):
    """走访记录 on the shared list component: mine or the whole jurisdiction, filters with counts,
    the filtered list as a masked xlsx."""
    rows = Visit.objects.restrict(request.user).select_related("address", "officer")
    view = "all" if request.GET.get("view") == "all" else "mine"
    if view == "mine":
        rows = rows.filter(officer=request.user)
    rows = rows.order_by("-visited_on", "-id")
    options = {"filterset_class": VisitFilter, "extra_query": ("view",)}
    if wants_export(request):
        return export_list(
            request,
            VisitTable,
            rows.select_related("household"),
            kind="fieldwork.visits",
            filename="visits.xlsx",
            **options,
        )
    listing = staff_list(
        request, VisitTable, rows, facets=visit_facets(), exportable=True, **options
    )
    return render(
        request,
        "fieldwork/visits.html",
        {"listing": listing, "view": view, "progress": services.weekly_progress(request.user)},
    )


VISIT_KEYS = (
    "purpose",
    "findings",
    "follow_up",
    "visited_on",
    "house",
    "unit",
    "household",
    "note",
)


@authorize(perm="fieldwork.add_visit")
def visit_new(request):
    address_id = request.GET.get("address") or request.POST.get("address") or 0
    try:
        address = Address.objects.select_related("place").get_scoped(request.user, pk=address_id)
    except NotFound:
        raise Http404 from None
    status = 200
    if request.method == "POST":
        data = {k: request.POST.get(k, "") for k in VISIT_KEYS}
        try:
            visit = services.record_visit(
                request.user, address=address, starred=bool(request.POST.get("starred")), **data
            )
        except ServiceError as exc:
            messages.error(request, exc.message)
            status = exc.status
        else:
            messages.success(request, _("已记录走访"))
            return redirect("fieldwork:visit", pk=visit.pk)
    return render(
        request,
        "fieldwork/visit_form.html",
        {
            "address": address,
            "form": request.POST,
            "purposes": Visit.Purpose.choices,
            "houses": address.houses.all()[:50],
            "units": address.units.all()[:50],
            "today": timezone.localdate(),
        },
        status=status,
    )


@authorize(
    Visit.objects.select_related("address", "officer", "house", "unit"), perm="fieldwork.view_visit"
)
def visit_detail(request, visit):
    return render(
        request,
        "fieldwork/visit.html",
        {"visit": visit, "notes": FieldNote.objects.restrict(request.user).filter(visit=visit)},
    )


@authorize(perm="fieldwork.view_fieldnote")
def followups(request):
    """待跟进的民情笔记 on the shared list component (oldest first), with 完成跟进 per row."""
    mine = request.GET.get("view", "mine") == "mine"
    rows = services.open_follow_ups(request.user, mine=mine)
    options = {"filterset_class": NoteFilter, "extra_query": ("view",)}
    if wants_export(request):
        return export_list(
            request, NoteTable, rows, kind="fieldwork.notes", filename="field-notes.xlsx", **options
        )
    listing = staff_list(request, NoteTable, rows, facets=note_facets(), exportable=True, **options)
    return render(
        request, "fieldwork/followups.html", {"listing": listing, "view": "mine" if mine else "all"}
    )


@authorize(perm="fieldwork.add_fieldnote")
def note_new(request):
    address_id = request.GET.get("address") or request.POST.get("address") or 0
    try:
        address = Address.objects.get_scoped(request.user, pk=address_id)
    except NotFound:
        raise Http404 from None
    status = 200
    if request.method == "POST":
        try:
            services.add_note(
                request.user,
                address=address,
                text=request.POST.get("text"),
                starred=bool(request.POST.get("starred")),
            )
        except ServiceError as exc:
            messages.error(request, exc.message)
            status = exc.status
        else:
            messages.success(request, _("已保存民情笔记"))
            return redirect("fieldwork:followups")
    return render(
        request,
        "fieldwork/note_form.html",
        {"address": address, "form": request.POST},
        status=status,
    )


@authorize(FieldNote, perm="fieldwork.change_fieldnote", action="change")
def note_act(request, note, name):
    """The follow-ups list's forms post here (``fieldwork.actions.registry``: permission, input,
    service on the locked row); a GET is 405 after the scope check; a refusal is its 4xx page."""
    _post_only(request)
    registry.handle_form(request, note, name)
    messages.success(request, _("已完成跟进"))
    return redirect("fieldwork:followups")


@authorize(perm="fieldwork.view_patrollog")
def patrols(request):
    circles = PatrolCircle.objects.restrict(request.user).prefetch_related("villages", "teams")
    logs = (
        PatrolLog.objects.restrict(request.user)
        .select_related("circle", "team", "case")
        .order_by("-started_at", "-id")
    )
    if wants_export(request):
        return export_list(
            request,
            PatrolTable,
            logs,
            filterset_class=PatrolFilter,
            kind="fieldwork.patrols",
            filename="patrols.xlsx",
        )
    listing = staff_list(
        request,
        PatrolTable,
        logs,
        filterset_class=PatrolFilter,
        facets=patrol_facets(),
        exportable=True,
    )
    today = timezone.localdate()
    shifts = (
        PatrolShift.objects.filter(circle__in=circles, day__gte=today)
        .select_related("team", "circle")
        .order_by("day", "shift")[:60]
    )
    return render(
        request,
        "fieldwork/patrols.html",
        {"circles": circles, "listing": listing, "shifts": shifts},
    )


# -- patrol circles: create, teams, rota, logs ----------------------------------------------------
TEAM_ROLES = ("grid_worker", "auxiliary_officer", "police_assistant", "community_officer")


def _team_candidates(circle):
    """Who may join a circle's teams: staff whose jurisdiction lies in one of its villages, and
    volunteers."""
    from django.db.models import Q

    from fengqiao.org.models import User

    inside = Q()
    for village in circle.villages.all():
        inside |= Q(jurisdictions__place__path__startswith=village.path)
    ids = User.objects.filter(
        (inside & Q(groups__name__in=TEAM_ROLES)) | Q(groups__name="volunteer"), is_active=True
    ).values("id")
    return User.objects.filter(id__in=ids).order_by("username")[:300]


@authorize(perm="fieldwork.add_patrolcircle")
def circle_new(request):
    """A patrol circle of 2–3 neighbouring villages of one town."""
    villages = (
        Place.objects.restrict(request.user)
        .filter(level=Place.Level.VILLAGE)
        .select_related("parent")
        .order_by("path")[:300]
    )
    status = 200
    if request.method == "POST":
        chosen = list(
            Place.objects.restrict(request.user).filter(
                pk__in=[v for v in request.POST.getlist("villages") if v.isdigit()],
                level=Place.Level.VILLAGE,
            )
        )
        try:
            circle = services.create_circle(
                request.user, name=request.POST.get("name"), villages=chosen
            )
        except ServiceError as exc:
            messages.error(request, exc.message)
            status = exc.status
        else:
            messages.success(request, _("已建立巡防圈"))
            return redirect("fieldwork:circle", pk=circle.pk)
    chosen_ids = set(request.POST.getlist("villages"))
    return render(
        request,
        "fieldwork/circle_form.html",
        {"villages": villages, "form": request.POST, "chosen": chosen_ids},
        status=status,
    )


@authorize(
    PatrolCircle.objects.select_related("place").prefetch_related("villages"),
    perm="fieldwork.view_patrolcircle",
)
def circle_detail(request, circle):
    """The circle's teams, its rota (from today), its logs; record a patrol here."""
    status = 200
    if request.method == "POST":
        from django.utils.dateparse import parse_datetime

        started = parse_datetime(request.POST.get("started_at") or "")
        ended = parse_datetime(request.POST.get("ended_at") or "")
        if started is not None and timezone.is_naive(started):
            started = timezone.make_aware(started)
        if ended is not None and timezone.is_naive(ended):
            ended = timezone.make_aware(ended)
        team = circle.teams.filter(pk=request.POST.get("team") or 0).first()
        try:
            log = services.record_patrol(
                request.user,
                circle,
                started_at=started,
                ended_at=ended,
                team=team,
                route=request.POST.get("route", ""),
                findings=request.POST.get("findings", ""),
            )
        except ServiceError as exc:
            messages.error(request, exc.message)
            status = exc.status
        else:
            messages.success(request, _("已记录巡防日志"))
            return redirect("fieldwork:patrol", pk=log.pk)
    today = timezone.localdate()
    can_organise = request.user.has_perm("fieldwork.change_patrolcircle") and (
        PatrolCircle.objects.restrict(request.user, "change").filter(pk=circle.pk).exists()
    )
    return render(
        request,
        "fieldwork/circle.html",
        {
            "circle": circle,
            "teams": circle.teams.prefetch_related("members"),
            "shifts": circle.shifts.filter(day__gte=today)
            .select_related("team")
            .order_by("day", "shift")[:93],
            "logs": circle.logs.select_related("team", "case", "recorded_by")[:50],
            "can_organise": can_organise,
            "candidates": _team_candidates(circle) if can_organise else [],
            "today": today,
            "now": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "form": request.POST,
        },
        status=status,
    )


@authorize(PatrolCircle, perm="fieldwork.change_patrolcircle", action="change")
def circle_teams(request, circle):
    """Split the chosen members into teams of N (10 by default)."""
    _post_only(request)
    ids = [v for v in request.POST.getlist("members") if v.isdigit()]
    members = [u for u in _team_candidates(circle) if str(u.pk) in ids]
    try:
        teams = services.form_teams(
            request.user, circle, members, size=request.POST.get("size") or 10
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已组建%(n)d个巡防队") % {"n": len(teams)})
    return redirect("fieldwork:circle", pk=circle.pk)


@authorize(PatrolCircle, perm="fieldwork.add_patrolshift", action="change")
def circle_rota(request, circle):
    """Generate the rota: each team every N days, rotating through the shifts."""
    _post_only(request)
    try:
        slots = services.generate_rota(
            request.user,
            circle,
            start=request.POST.get("start"),
            days=request.POST.get("days") or 30,
            every=request.POST.get("every") or 3,
            shifts=request.POST.get("shifts") or 3,
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已生成%(n)d个排班") % {"n": len(slots)})
    return redirect("fieldwork:circle", pk=circle.pk)


@authorize(
    PatrolLog.objects.select_related("circle", "team", "case", "recorded_by"),
    perm="fieldwork.view_patrollog",
)
def patrol_detail(request, log):
    from fengqiao.cases.services import leaf_categories

    can_report = "to_case" in registry.available(log, request.user)
    return render(
        request,
        "fieldwork/patrol.html",
        {
            "log": log,
            "can_report": can_report,
            "categories": leaf_categories() if can_report else [],
            "grids": Place.objects.restrict(request.user)
            .filter(level=Place.Level.GRID, path__startswith=log.place_path)
            .order_by("path")[:300]
            if can_report
            else [],
        },
    )


@authorize(PatrolLog, perm="cases.add_case", action="change")
def patrol_act(request, log, name):
    """The patrol page's form posts here (``fieldwork.actions.registry``): ``to_case``, the
    finding becomes a case (source: patrol). A refusal shows on the patrol page."""
    _post_only(request)
    try:
        log = registry.handle_form(request, log, name)
    except ServiceError as exc:
        if exc.status == 404:
            raise Http404 from None
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已转为案事件：%(number)s") % {"number": log.case.number})
    return redirect("fieldwork:patrol", pk=log.pk)


@authorize(Activity.objects.select_related("place", "organiser"), perm="fieldwork.view_activity")
def activity_detail(request, activity):
    return render(request, "fieldwork/activity.html", {"a": activity})


@authorize(perm="fieldwork.view_activity")
def activities(request):
    status = 200
    if request.method == "POST":
        place = (
            Place.objects.restrict(request.user).filter(pk=request.POST.get("place") or 0).first()
        )
        try:
            services.record_activity(
                request.user,
                place=place,
                topic=request.POST.get("topic"),
                title=request.POST.get("title"),
                held_on=request.POST.get("held_on"),
                attendance=request.POST.get("attendance"),
                location=request.POST.get("location", ""),
                summary=request.POST.get("summary", ""),
            )
        except ServiceError as exc:
            messages.error(request, exc.message)
            status = exc.status
        else:
            messages.success(request, _("已记录宣传活动"))
            return redirect("fieldwork:activities")
    return render(
        request,
        "fieldwork/activities.html",
        {
            "rows": Activity.objects.restrict(request.user).select_related("place")[:100],
            "topics": Activity.Topic.choices,
            "places": Place.objects.restrict(request.user)
            .filter(level__gte=Place.Level.VILLAGE)
            .order_by("path")[:300],
            "form": request.POST,
        },
        status=status,
    )


@authorize(perm="fieldwork.view_visit")
def bulletin(request):
    """The monthly security bulletin of a community: figures on the page, docx/pdf download."""
    from . import documents

    today = timezone.localdate()
    places = (
        Place.objects.restrict(request.user)
        .filter(level__gte=Place.Level.VILLAGE)
        .order_by("path")[:300]
    )
    try:
        year = int(request.GET.get("year") or today.year)
        month = int(request.GET.get("month") or today.month)
        if not (2000 <= year <= 2100 and 1 <= month <= 12):
            raise ValueError
    except ValueError:
        raise ServiceError(_("年月不正确"), code="invalid_month") from None
    places = list(places)
    wanted = request.GET.get("place", "")
    place = next((p for p in places if str(p.pk) == wanted), places[0] if places else None)
    if place is None:
        raise Http404
    figures = services.bulletin_figures(request.user, place, year, month)
    fmt = request.GET.get("format")
    if fmt in ("docx", "pdf"):
        content, content_type = documents.bulletin(figures, fmt)
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = (
            f'attachment; filename="bulletin-{place.code}-{year}{month:02d}.{fmt}"'
        )
        return response
    return render(
        request, "fieldwork/bulletin.html", {"f": figures, "places": places, "place": place}
    )
