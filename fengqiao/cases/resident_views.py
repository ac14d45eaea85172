"""Resident pages (no login): the grid's report page, its QR poster, the tracking page.

The tracking code is the resident's capability: whoever holds it may follow the case, add
information, confirm the result and rate it. Personal data is never shown on these pages.
"""

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from fengqiao.core.errors import ServiceError, Throttled
from fengqiao.core.models import Attachment
from fengqiao.core.throttle import Throttle, client_ip
from fengqiao.org.models import Place

from . import conf, posters, services, triage, uploads
from .forms import ReportForm, TrackForm
from .models import Case, PendingReport
from .presenters import map_context, public_timeline

# Tracking codes are short (6–12 letters and digits): wrong codes from one address are throttled,
# 20 within 15 minutes lock that address out of the tracking pages for 15 minutes.
TRACK_FAILURES = Throttle("cases.track", limit=20, window=15 * 60)
# Asking to reopen a closed case (申请重新办理): 3 requests per address within an hour.
REOPEN = Throttle("cases.reopen", limit=3, window=60 * 60)


def by_code(request, code):
    """The case of a tracking code, through the throttle: wrong codes count against the address."""
    ip = client_ip(request)
    TRACK_FAILURES.check(ip)
    try:
        return services.by_tracking_code(code)
    except ServiceError:
        TRACK_FAILURES.hit(ip)
        raise


def _grid(code):
    return get_object_or_404(
        Place.objects.select_related("parent__parent"), code=code, level=Place.Level.GRID
    )


def grid_url(request, grid):
    return request.build_absolute_uri(reverse("resident:report", args=[grid.code]))


def _location(grid, data):
    """The grid code for ``triage.intake``: the QR code's grid, unless the resident pinned a
    point outside it (then the point decides: another grid, the triage queue, or refused)."""
    lat, lng = data["lat"], data["lng"]
    if grid is None:
        return ""
    if lat is None or lng is None or triage.contains(grid, lat, lng):
        return grid.code
    return ""


@never_cache
def report(request, grid_code=None):
    """The report form: a grid's (opened from its QR code) or the county's (``/r/report/``, no
    grid: the point or the address decides). One rule for every channel (``cases.triage``): a
    report no grid can be found for waits in the county's triage queue (待定位)."""
    grid = _grid(grid_code) if grid_code else None
    county = None if grid else triage.default_county()
    if grid is None and county is None:
        raise Http404
    groups = services.categories()
    form = ReportForm(request.POST or None, groups=groups)
    status = 200
    if request.method == "POST":
        sensitive = bool(
            request.FILES.getlist("photos")
            or request.FILES.get("voice")
            or request.POST.get("lat")
            or request.POST.get("lng")
        )
        if sensitive and request.POST.get("sensitive_consent") not in ("on", "1", "true"):
            form.add_error(
                "sensitive_consent",
                _("您提供了地图位置、照片或语音，请单独勾选同意处理这些敏感个人信息，或去掉它们"),
            )
        if form.is_valid():
            data = form.cleaned_data
            no_point = data["lat"] is None or data["lng"] is None
            if grid is None and no_point and not data["location_text"].strip():
                form.add_error("location_text", _("请填写地点，或在地图上点选位置"))
        if form.is_valid():
            attachments, rejected = uploads.process_files(
                request.FILES.getlist("photos"),
                request.FILES.get("voice"),
                keep_location=data["share_location"],
            )
            try:
                result = triage.intake(
                    grid_code=_location(grid, data),
                    category=data["category"],
                    description=data["description"],
                    source=Case.Source.RESIDENT,
                    client_id=data["client_id"],
                    location_text=data["location_text"],
                    lat=data["lat"],
                    lng=data["lng"],
                    reporter_name=data["reporter_name"],
                    reporter_phone=data["reporter_phone"],
                    anonymous=data["anonymous"],
                    share_location=data["share_location"],
                    attachments=attachments,
                    consent={"notice": True, "sensitive": bool(data["sensitive_consent"])},
                )
            except ServiceError as exc:
                field = exc.details.get("field")
                if field == "lat":
                    field = "location_text"
                form.add_error(field if field in form.fields else None, exc.message)
            else:
                if not result.created:
                    messages.info(request, _("这份反映已经提交过了，无需重复提交。"))
                for item in rejected:
                    messages.warning(request, _("文件未采用：%(item)s") % {"item": item})
                if result.case is None:
                    return redirect("resident:pending", token=result.pending.uid)
                if result.created:
                    messages.success(request, _("提交成功！请记下您的查询码。"))
                return redirect("resident:track", code=result.case.tracking_code)
        status = 400
    if grid is not None:
        shown = [grid]
    else:
        shown = Place.objects.filter(level=Place.Level.GRID, path__startswith=county.path)
        shown = shown.exclude(boundary=None).order_by("path")[:500]
    context = {
        "grid": grid,
        "county": county,
        "form": form,
        "max_photos": conf.MAX_PHOTOS,
        "max_voice_seconds": conf.MAX_VOICE_SECONDS,
        "anonymous_codes": [c.code for c in services.leaf_categories() if c.allow_anonymous],
        **map_context(shown),
    }
    return render(request, "cases/resident_report.html", context, status=status)


@never_cache
def pending(request, token):
    """A report waiting in the triage queue (待定位): its token (an unguessable uuid, the
    resident's capability) leads to the tracking page once a dispatcher placed it."""
    row = PendingReport.objects.filter(uid=token).select_related("case").first()
    if row is None:
        raise Http404
    if row.case_id is not None:
        return redirect("resident:track", code=row.case.tracking_code)
    return render(request, "cases/resident_pending.html", {"pending": row})


def qr_png(request, grid_code):
    grid = _grid(grid_code)
    return HttpResponse(posters.qr_png(grid_url(request, grid)), content_type="image/png")


def assistant_url(request, grid):
    return request.build_absolute_uri(f"{reverse('assistant:chat')}?grid={grid.code}")


def poster(request, grid_code, fmt):
    grid = _grid(grid_code)
    url = grid_url(request, grid)
    chat = assistant_url(request, grid)
    if fmt == "pdf":
        response = HttpResponse(posters.poster_pdf(grid, url, chat), content_type="application/pdf")
    else:
        response = HttpResponse(posters.poster_png(grid, url, chat), content_type="image/png")
    response["Content-Disposition"] = f'inline; filename="poster-{grid.code}.{fmt}"'
    return response


@never_cache
def track_lookup(request):
    form = TrackForm(request.GET or None)
    if form.is_bound and form.is_valid():
        try:
            case = by_code(request, form.cleaned_data["code"])
        except Throttled:
            raise
        except ServiceError as exc:
            form.add_error("code", exc.message)
        else:
            return redirect("resident:track", code=case.tracking_code)
    return render(request, "cases/resident_lookup.html", {"form": form}, status=200)


def _case_or_404(request, code):
    try:
        return by_code(request, code)
    except Throttled:
        raise
    except ServiceError:
        raise Http404 from None


@never_cache
def track(request, code):
    case = _case_or_404(request, code)
    shown = case.duplicate_of if case.state == "merged" and case.duplicate_of_id else case
    entries = public_timeline(shown)
    return render(
        request,
        "cases/resident_track.html",
        {
            "case": case,
            "shown": shown,
            "entries": entries,
            "satisfaction_choices": Case.Satisfaction.choices,
            "can_reopen": _may_reopen(case),
            "reopen_days": conf.reopen_window_days(),
            "max_photos": 3,
        },
    )


def _may_reopen(case):
    from datetime import timedelta

    from django.utils import timezone

    if case.state != "closed" or case.closed_at is None:
        return False
    return timezone.now() <= case.closed_at + timedelta(days=conf.reopen_window_days())


@require_POST
def track_action(request, code, action):
    case = _case_or_404(request, code)
    try:
        if action == "add_info":
            attachments, rejected = uploads.process_files(request.FILES.getlist("photos")[:3])
            for item in rejected:
                messages.warning(request, _("文件未采用：%(item)s") % {"item": item})
            services.resident_add_info(
                case, note=request.POST.get("note", ""), attachments=attachments
            )
            messages.success(request, _("已补充，工作人员会看到。"))
        elif action == "confirm":
            solved = request.POST.get("solved") == "1"
            services.resident_confirm(case, solved=solved, note=request.POST.get("note", ""))
            messages.success(
                request, _("感谢确认，事件已办结。") if solved else _("已退回重新处理。")
            )
        elif action == "reopen":
            REOPEN.consume(client_ip(request))
            services.resident_reopen(case, reason=request.POST.get("reason", ""))
            messages.success(request, _("已申请重新办理，工作人员会重新处理。"))
        elif action == "withdraw":
            if request.POST.get("confirm") != "1":
                raise ServiceError(_("请勾选确认撤回同意"), code="required")
            services.withdraw_consent(case, contact=request.POST.get("contact", ""))
            messages.success(
                request, _("已撤回同意，您的个人信息已从本事件中删除；事件仍会继续办理。")
            )
        elif action == "rate":
            services.resident_rate(
                case,
                satisfaction=request.POST.get("satisfaction"),
                comment=request.POST.get("comment", ""),
            )
            messages.success(request, _("感谢您的评价！"))
        else:
            raise Http404
    except ServiceError as exc:
        messages.error(request, exc.message)
        response = track(request, code)
        response.status_code = exc.status
        return response
    return redirect("resident:track", code=case.tracking_code)


def track_file(request, code, attachment_id):
    """A file of the case the code belongs to (the reporter's own uploads and result photos)."""
    case = _case_or_404(request, code)
    allowed = {e.pk for e in public_timeline(case)}
    attachment = Attachment.objects.filter(pk=attachment_id, entry_id__in=allowed).first()
    if attachment is None:
        raise Http404
    return FileResponse(attachment.file.open("rb"), content_type=attachment.content_type)
