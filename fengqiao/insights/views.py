"""Command-centre pages: the KPI board, dispute figures, exports and the map. Views call services."""

from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from fengqiao.core import audit
from fengqiao.core.authz import authorize
from fengqiao.core.dbrouting import on_replica
from fengqiao.core.errors import NotFound

from . import exports, figures, maps, services
from .models import AlertImport, VillageStatus

UTF8 = {"ensure_ascii": False}


def _filters(request):
    span = services.period(request.GET.get("start") or None, request.GET.get("end") or None)
    where = services.place(request.user, request.GET.get("place", "").strip())
    by = request.GET.get("by") or None
    if by not in figures.GROUPS:
        by = None
    return span, where, by


def _context(request, span, where):
    return {
        "start": span.start,
        "end": span.end,
        "place": where,
        "places": services.places(request.user),
        "groups": [(k, str(v)) for k, v in figures.GROUPS.items()],
        "query": request.GET.urlencode(),
    }


@authorize(perm="cases.view_figures")
@on_replica
def board(request):
    """统计分析: the case KPI tiles (环比/同比), charts and the table beside them."""
    span, where, by = _filters(request)
    data = services.case_board(request.user, span, where=where, by=by)
    chart = {
        "labels": [str(r["label"]) for r in data["rows"]],
        "accepted": [r["accepted"] for r in data["rows"]],
        "closed": [r["closed"] for r in data["rows"]],
        "on_time_rate": [r["on_time_rate"] for r in data["rows"]],
        "trend": data["trend"],
        "names": {
            "accepted": _("立案"),
            "closed": _("结案"),
            "on_time_rate": _("按期结案率"),
        },
    }
    risks = None
    if request.user.has_perm("risks.view_risk_figures"):
        risks = services.risk_board(request.user, span, where=where)
        chart["risks"] = [{"level": r["level"], "n": r["n"]} for r in risks["by_colour"]]
        chart["names"]["risks"] = _("在册风险（按预警颜色）")
        chart["names"]["colours"] = {
            "red": _("红色"),
            "orange": _("橙色"),
            "blue": _("蓝色"),
            "green": _("绿色"),
        }
    visits = stays = None
    if request.user.has_perm("fieldwork.view_visit"):
        visits = services.visit_board(request.user, span, where=where)
    if request.user.has_perm("registry.view_foreignerstay"):
        stays = services.stay_board(request.user, span, where=where)
    return render(
        request,
        "insights/board.html",
        {
            **_context(request, span, where),
            "data": data,
            "by": data["by"],
            "chart": chart,
            "risks": risks,
            "visits": visits,
            "stays": stays,
        },
    )


@authorize(perm="disputes.view_dispute_figures")
@on_replica
def disputes(request):
    """纠纷统计: by type and level, resolved at village level, success, recurrence."""
    span, where, _by = _filters(request)
    data = services.dispute_board(request.user, span, where=where)
    chart = {
        "types": [{"name": r["type"], "value": r["n"]} for r in data["by_type"]],
        "levels": [str(r["label"]) for r in data["levels"]],
        "current": [r["current"] for r in data["levels"]],
        "resolved": [r["resolved"] for r in data["levels"]],
        "success": [r["success_rate"] for r in data["levels"]],
        "names": {
            "current": _("在此层级"),
            "resolved": _("在此层级化解"),
            "success": _("成功率"),
            "types": _("按类型"),
        },
    }
    return render(
        request,
        "insights/disputes.html",
        {**_context(request, span, where), "f": data, "chart": chart},
    )


@authorize(perm="insights.export_figures")
@on_replica
def export(request, fmt):
    """The board as xlsx or PDF (the figures the user may see; audited)."""
    if fmt not in ("xlsx", "pdf"):
        raise NotFound(_("不支持的导出格式"))
    span, where, by = _filters(request)
    report = exports.collect(request.user, span, where=where, by=by)
    audit.record(
        "insights.export",
        user=request.user,
        request=request,
        data={
            "format": fmt,
            "start": span.start.isoformat(),
            "end": span.end.isoformat(),
            "place": where.code if where else None,
        },
    )
    name = f"figures_{span.start:%Y%m%d}_{span.end:%Y%m%d}"
    if fmt == "xlsx":
        body, content_type = exports.xlsx_bytes(report), exports.XLSX
    else:
        body, content_type = exports.pdf_bytes(report), "application/pdf"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@authorize(perm="insights.view_command_centre")
@on_replica
def map_page(request):
    """一张图: layers, grid cards, heat with a time slider; ``?screen=1`` is the big-screen mode."""
    span, where, _by = _filters(request)
    query = {"start": span.start.isoformat(), "end": span.end.isoformat()}
    if where is not None:
        query["place"] = where.code
    config = {
        "layers_url": reverse("insights:map_layers") + "?" + urlencode(query),
        "card_url": reverse("insights:grid_card", args=[0]),
        "screen": request.GET.get("screen") == "1",
        "refresh_seconds": 60,
        "labels": {
            "urgent": _("紧急"),
            "ordinary": _("一般"),
            "complex": _("复杂"),
            "overdue": _("超期"),
            "case": _("事件"),
            "dispute": _("矛盾纠纷"),
            "risk": _("风险"),
            "unit": _("重点单位"),
            "station": _("派出所"),
            "post": _("警务室"),
            "level": _("第%(n)s级"),
            "people": _("实有人口"),
            "houses": _("实有房屋"),
            "open_cases": _("在办事件"),
            "open_disputes": _("在调纠纷"),
            "risks": _("在册风险"),
            "red_risks": _("红色预警风险"),
            "grid_worker": _("网格员"),
            "community_officer": _("社区民警"),
            "nobody": _("未配备"),
            "all_categories": _("全部类别"),
            "day": _("截至"),
            "village_met": _("无案村达标"),
            "village_not_met": _("无案村未达标"),
            "village_confirmed": _("已确认"),
        },
        "colours": {"red": _("红色"), "orange": _("橙色"), "blue": _("蓝色"), "green": _("绿色")},
    }
    return render(
        request,
        "insights/map.html",
        {**_context(request, span, where), "config": config, "screen": config["screen"]},
    )


@authorize(perm="insights.view_command_centre")
@on_replica
def map_layers(request):
    span, where, _by = _filters(request)
    return JsonResponse(maps.layers(request.user, span, where), json_dumps_params=UTF8)


@authorize(perm="insights.view_command_centre")
@on_replica
def grid_card(request, pk):
    return JsonResponse(maps.grid_card(request.user, pk), json_dumps_params=UTF8)


def legacy_cases_figures(request):
    """/cases/figures/ moved to /insights/ (the old ``by=department`` etc. still work)."""
    return _redirect_with_query("insights:board", request)


def legacy_dispute_figures(request):
    return _redirect_with_query("insights:disputes", request)


def _redirect_with_query(name, request):
    url = reverse(name)
    if request.GET:
        url += "?" + urlencode(request.GET, doseq=True)
    return redirect(url, permanent=True)


# -- 110 / 12345 alerts ------------------------------------------------------------------------------
@authorize(perm="insights.view_alert")
def alerts_page(request):
    """警情统计: 110/12345 alerts by category with 环比/同比; the import form and recent imports."""
    from django.contrib import messages

    span, where, _by = _filters(request)
    if request.method == "POST":
        batch = services.import_alerts(
            request.user,
            place_code=request.POST.get("import_place", "").strip(),
            source=request.POST.get("source", ""),
            upload=_upload(request),
        )
        messages.success(
            request,
            _("导入完成：新增 %(created)d 条，重复 %(dup)d 条，有误 %(errors)d 行")
            % {
                "created": batch.created_rows,
                "dup": batch.duplicate_rows,
                "errors": batch.error_rows,
            },
        )
        return redirect("insights:alert_import", pk=batch.pk)
    data = services.alert_board(request.user, span, where=where)
    imports = (
        list(services.alert_imports(request.user)[:10])
        if request.user.has_perm("insights.view_alertimport")
        else []
    )
    return render(
        request,
        "insights/alerts.html",
        {
            **_context(request, span, where),
            "a": data,
            "imports": imports,
            "sources": AlertImport.Source.choices,
        },
    )


def _upload(request):
    from fengqiao.core.errors import ServiceError

    upload = request.FILES.get("file")
    if upload is None:
        raise ServiceError(_("请选择要导入的文件"), code="required", details={"field": "file"})
    return upload


@authorize(
    AlertImport.objects.select_related("place", "created_by"), perm="insights.view_alertimport"
)
def alert_import(request, batch):
    """One import: counts and the refused rows with their reasons."""
    return render(request, "insights/alert_import.html", {"batch": batch})


@authorize(perm="insights.import_alerts")
def alert_template(request):
    from . import alerts

    response = HttpResponse(alerts.template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="alerts_template.csv"'
    return response


# -- performance evaluation --------------------------------------------------------------------------
def _evaluation_filters(request):
    from . import evaluation

    span, where, _by = _filters(request)
    by = request.GET.get("by") or None
    return span, where, by if by in evaluation.LEVELS else None


@authorize(perm="insights.view_evaluation")
@on_replica
def evaluation_page(request):
    """绩效考核: weighted indicators per place or department, ranked; the weights form."""
    from django.contrib import messages

    from . import evaluation

    if request.method == "POST":
        services.set_weights(request.user, request.POST)
        messages.success(request, _("考核权重已保存"))
        return redirect(request.get_full_path())
    span, where, by = _evaluation_filters(request)
    data = services.evaluation_board(request.user, span, where=where, by=by)
    labels = dict((k, str(label)) for k, label, _d in evaluation.INDICATORS)
    return render(
        request,
        "insights/evaluation.html",
        {
            **_context(request, span, where),
            "e": data,
            "by": data["by"],
            "indicators": [(k, labels[k]) for k in evaluation.KEYS],
            "levels": [
                ("town", _("按乡镇（街道）")),
                ("village", _("按村（社区）")),
                ("grid", _("按网格")),
                ("department", _("按部门")),
            ],
        },
    )


@authorize(perm="insights.export_figures")
@on_replica
def evaluation_export(request):
    """The evaluation as xlsx (audited)."""
    span, where, by = _evaluation_filters(request)
    data = services.evaluation_board(request.user, span, where=where, by=by)
    report = exports.evaluation_report(data, where)
    audit.record(
        "insights.export",
        user=request.user,
        request=request,
        data={"format": "xlsx", "what": "evaluation", "start": data["period"]["start"]},
    )
    response = HttpResponse(exports.xlsx_bytes(report), content_type=exports.XLSX)
    response["Content-Disposition"] = (
        f'attachment; filename="evaluation_{span.start:%Y%m%d}_{span.end:%Y%m%d}.xlsx"'
    )
    return response


# -- situation reports -------------------------------------------------------------------------------
def _report_args(request):
    from . import reports

    kind = request.GET.get("kind") or "week"
    where = services.place(request.user, request.GET.get("place", "").strip())
    return kind, where, reports.parse_day(request.GET.get("date"))


@authorize(perm="insights.export_figures")
@on_replica
def reports_page(request):
    """情况通报: the weekly or monthly report of a place, shown and downloadable (PDF / docx)."""
    from . import reports

    kind, where, day = _report_args(request)
    report = reports.situation_report(request.user, kind, where=where, day=day)
    return render(
        request,
        "insights/reports.html",
        {
            "report": report,
            "kind": kind,
            "place": where,
            "places": services.places(request.user),
            "day": day,
            "query": request.GET.urlencode(),
        },
    )


@authorize(perm="insights.export_figures")
@on_replica
def report_download(request, kind, fmt):
    from . import reports

    if fmt not in ("pdf", "docx"):
        raise NotFound(_("不支持的导出格式"))
    _kind, where, day = _report_args(request)
    report = reports.situation_report(request.user, kind, where=where, day=day)
    audit.record(
        "insights.export",
        user=request.user,
        request=request,
        data={"format": fmt, "what": f"report_{kind}", "start": report["period"]["start"]},
    )
    if fmt == "pdf":
        body, content_type = reports.pdf_bytes(report), "application/pdf"
    else:
        body, content_type = reports.docx_bytes(report), reports.DOCX
    response = HttpResponse(body, content_type=content_type)
    name = f"report_{kind}_{report['period']['start'].replace('-', '')}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# -- 无案村 (case-free village) status ----------------------------------------------------------------
def _village_filters(request):
    from fengqiao.core.errors import ServiceError

    from . import villages

    kind = request.GET.get("period") or "quarter"
    if kind not in villages.PERIODS:
        raise ServiceError(
            _("周期须为月度、季度或年度"), code="invalid", details={"field": "period"}
        )
    from django.utils import timezone

    from .reports import parse_day

    day = parse_day(request.GET.get("date")) or timezone.localdate()
    where = services.place(request.user, request.GET.get("place", "").strip())
    met = {"1": True, "0": False}.get(request.GET.get("met", ""))
    state = request.GET.get("state") or None
    return kind, day, where, met, state


@authorize(perm="insights.view_villagestatus")
def villages_page(request):
    """无案村: the villages' status for a period, per town, with the share 达标 per town; the
    evaluate button (POST) for those who may."""
    from django.contrib import messages

    from . import villages

    kind, day, where, met, state = _village_filters(request)
    if request.method == "POST":
        done = villages.evaluate(kind, day, actor=request.user, where=where)
        messages.success(
            request,
            _("已评估 %(n)d 个村（社区），达标 %(met)d 个")
            % {"n": len(done), "met": sum(1 for s in done if s.met)},
        )
        return redirect(request.get_full_path())
    rows = list(villages.statuses(request.user, kind=kind, day=day, where=where))
    towns = villages.town_figures(request.user, rows)
    shown = [r for r in rows if (met is None or r.met == met) and (not state or r.state == state)]
    start, end = villages.period_bounds(kind, day)
    chart = {
        "labels": [t["name"] for t in towns],
        "share": [t["share"] for t in towns],
        "names": {"share": _("达标率")},
    }
    return render(
        request,
        "insights/villages.html",
        {
            "rows": shown,
            "towns": towns,
            "chart": chart,
            "kind": kind,
            "day": day,
            "start": start,
            "end": end,
            "place": where,
            "met": request.GET.get("met", ""),
            "state": state or "",
            "places": [p for p in services.places(request.user) if p.level <= 3],
            "periods": VillageStatus.Period.choices,
            "states": VillageStatus.State.choices,
            "query": request.GET.urlencode(),
        },
    )


@authorize(perm="insights.view_villagestatus")
def villages_export(request):
    """The list as xlsx (the filters of the page; audited)."""
    from . import villages

    kind, day, where, met, state = _village_filters(request)
    rows = [
        r
        for r in villages.statuses(request.user, kind=kind, day=day, where=where)
        if (met is None or r.met == met) and (not state or r.state == state)
    ]
    report = exports.villages_report(request.user, rows, villages.town_figures(request.user, rows))
    audit.record(
        "insights.export",
        user=request.user,
        request=request,
        data={"format": "xlsx", "what": "villages", "period": kind, "date": day.isoformat()},
    )
    response = HttpResponse(exports.xlsx_bytes(report), content_type=exports.XLSX)
    response["Content-Disposition"] = f'attachment; filename="villages_{kind}_{day:%Y%m%d}.xlsx"'
    return response


def _village_context(request, status):
    from fengqiao.core.workflow import timeline

    from . import villages

    return {
        "status": status,
        "reasons": villages.visible_reasons(request.user, status),
        "history": villages.history(request.user, status),
        "timeline": [
            (e, villages.registry.label(e.transition) if e.transition in villages.registry else "")
            for e in timeline(status)
        ],
        "actions": [
            (name, villages.registry.label(name))
            for name in villages.registry.available(status, request.user)
        ],
    }


@authorize(
    VillageStatus.objects.select_related("place__parent", "nominated_by", "confirmed_by"),
    perm="insights.view_villagestatus",
)
def village_detail(request, status):
    """One village's status for one period: the reasons (scoped), its history, the timeline and
    the nomination / confirmation buttons."""
    return render(request, "insights/village.html", _village_context(request, status))


@authorize(VillageStatus, perm="insights.view_villagestatus")
def village_act(request, status, name):
    """The detail page's buttons post here (``villages.registry``); a refusal shows on the page."""
    from django.contrib import messages
    from django.http import Http404

    from fengqiao.core.errors import ServiceError

    from . import villages

    if request.method != "POST":
        return redirect("insights:village", pk=status.pk)
    try:
        villages.registry.handle_form(request, status, name)
    except ServiceError as exc:
        if exc.status == 404:
            raise Http404 from None
        messages.error(request, exc.message)
        status = villages.get(request.user, status.pk)
        return render(
            request, "insights/village.html", _village_context(request, status), status=exc.status
        )
    messages.success(request, _("已保存"))
    return redirect("insights:village", pk=status.pk)
