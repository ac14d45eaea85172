"""Staff pages for fieldwork: my visits with the weekly target, record a visit (with a starred
note), open follow-ups, patrols, publicity activities, the monthly bulletin. Views only call
services; records enter through ``core.authz``."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.core.authz import authorize
from fengqiao.core.errors import NotFound, ServiceError
from fengqiao.org.models import Place
from fengqiao.registry.models import Address

from . import services
from .models import Activity, FieldNote, PatrolCircle, PatrolLog, Visit


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
    rows = Visit.objects.restrict(request.user).select_related("address", "officer")
    if request.GET.get("view", "mine") == "mine":
        rows = rows.filter(officer=request.user)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "fieldwork/visits.html",
        {
            "page": page,
            "view": request.GET.get("view", "mine"),
            "progress": services.weekly_progress(request.user),
        },
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
    mine = request.GET.get("view", "mine") == "mine"
    rows = services.open_follow_ups(request.user, mine=mine)
    return render(
        request,
        "fieldwork/followups.html",
        {"notes": rows[:200], "view": "mine" if mine else "all"},
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
def note_done(request, note):
    if request.method != "POST":
        return HttpResponse(status=405)
    services.close_follow_up(request.user, note, result=request.POST.get("result"))
    messages.success(request, _("已完成跟进"))
    return redirect("fieldwork:followups")


@authorize(perm="fieldwork.view_patrollog")
def patrols(request):
    circles = PatrolCircle.objects.restrict(request.user).prefetch_related("villages", "teams")
    logs = PatrolLog.objects.restrict(request.user).select_related("circle", "team", "case")[:50]
    today = timezone.localdate()
    from .models import PatrolShift

    shifts = (
        PatrolShift.objects.filter(circle__in=circles, day__gte=today)
        .select_related("team", "circle")
        .order_by("day", "shift")[:60]
    )
    return render(
        request,
        "fieldwork/patrols.html",
        {"circles": circles, "logs": logs, "shifts": shifts},
    )


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
