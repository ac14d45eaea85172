"""Command-centre services: figures for what the actor may see, for a place and a period.

Read-only over other apps' records (through their scoped managers); the only writers of insights'
own tables. Permission and jurisdiction are checked here, so pages, API and exports agree.
"""

from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from fengqiao.core.errors import Forbidden, ServiceError
from fengqiao.org.models import Place

from . import figures, rollup
from .figures import Period

MAX_DAYS = 366 * 3
NEXT_LEVEL = {
    Place.Level.CITY: "town",
    Place.Level.COUNTY: "town",
    Place.Level.TOWN: "village",
    Place.Level.VILLAGE: "grid",
    Place.Level.GRID: "grid",
}


def need(actor, *perms):
    """The actor holds at least one of ``perms``."""
    if actor is None or not actor.is_authenticated or not any(actor.has_perm(p) for p in perms):
        raise Forbidden(_("您没有执行此操作的权限"))


def period(start=None, end=None, *, today=None):
    """A period from two ISO dates (strings or dates); the last 30 days by default."""
    default = figures.default_period(today)
    start = parse_date(start) if isinstance(start, str) else start
    end = parse_date(end) if isinstance(end, str) else end
    if start is None and end is None:
        return default
    end = end or default.end
    start = start or end - timedelta(days=29)
    if end < start:
        start, end = end, start
    if (end - start).days > MAX_DAYS:
        start = end - timedelta(days=MAX_DAYS)
    return Period(start, end)


def place(actor, code):
    """The place ``code`` within the actor's jurisdiction (404 otherwise), or None for all."""
    if not code:
        return None
    return Place.objects.get_scoped(actor, code=code)


def places(actor, limit=400):
    """The places the actor may pick (county down to grid), tree order."""
    return list(
        Place.objects.restrict(actor)
        .filter(level__gte=Place.Level.COUNTY)
        .only("pk", "code", "name", "level", "path")
        .order_by("path")[:limit]
    )


def default_group(actor, where):
    if where is not None:
        return NEXT_LEVEL[where.level]
    levels = [p.count("/") - 1 for p in actor.scope_paths()] if actor.has_place_scope() else []
    top = min(levels) if levels else Place.Level.COUNTY
    return NEXT_LEVEL.get(top, "town")


def _within(rows, where, field="place_path"):
    return rows.filter(**{f"{field}__startswith": where.path}) if where is not None else rows


def jurisdiction_q(actor, field="place_path"):
    """Figures cover the user's jurisdiction (its places' subtrees): the same set for the live
    query and the roll-up."""
    q = Q(pk__in=[])
    if actor.has_place_scope():
        for path in actor.scope_paths():
            q |= Q(**{f"{field}__startswith": path})
    return q


def case_rows(actor, where=None):
    from fengqiao.cases.models import Case

    need(actor, "cases.view_figures")
    return _within(Case.objects.filter(jurisdiction_q(actor)), where)


def case_source(actor, where=None):
    """The roll-up when it is built (fast at any size), else the cases themselves."""
    rows = case_rows(actor, where)
    if rollup.ready():
        return rollup.RollupSource(
            actor.scope_paths() if actor.has_place_scope() else (), where, rows
        )
    return figures.LiveSource(rows)


def dispute_rows(actor, where=None):
    from fengqiao.disputes.models import Dispute

    need(actor, "disputes.view_dispute_figures")
    return _within(Dispute.objects.restrict(actor), where)


def case_board(actor, span, *, where=None, by=None):
    """The KPI board of cases: tiles with 环比/同比, the table grouped ``by``, the daily trend."""
    source = case_source(actor, where)
    by = by or default_group(actor, where)
    if by not in figures.GROUPS:
        raise ServiceError(_("分组方式不正确"), code="invalid", details={"field": "by"})
    trend = (
        source.trend(span)
        if isinstance(source, rollup.RollupSource)
        else figures.case_trend(source.rows, span)
    )
    return {
        "period": {"start": span.start.isoformat(), "end": span.end.isoformat()},
        "place": _place_out(where),
        "by": by,
        "source": "rollup" if isinstance(source, rollup.RollupSource) else "live",
        "kpis": figures.case_kpis(source, span),
        "rows": figures.case_table(source, span, by),
        "trend": trend,
    }


def dispute_board(actor, span, *, where=None):
    rows = figures.disputes_in_period(dispute_rows(actor, where), span)
    data = figures.dispute_figures(rows)
    data["period"] = {"start": span.start.isoformat(), "end": span.end.isoformat()}
    data["place"] = _place_out(where)
    return data


def _place_out(where):
    if where is None:
        return None
    return {"code": where.code, "name": where.name, "level": where.level}


def risk_board(actor, span, *, where=None):
    from fengqiao.risks.models import Risk

    need(actor, "risks.view_risk_figures")
    rows = _within(Risk.objects.filter(jurisdiction_q(actor)), where)
    data = figures.risk_figures(rows, span)
    data["period"] = {"start": span.start.isoformat(), "end": span.end.isoformat()}
    data["place"] = _place_out(where)
    return data


def _officers(actor, where):
    """The users carrying a weekly visit target whose jurisdiction lies inside the scope."""
    from fengqiao.fieldwork import targets

    return targets.officers_in(actor, where)


def visit_board(actor, span, *, where=None):
    """Visits against target for the officers of the place (``fieldwork.view_visit``)."""
    from fengqiao.fieldwork.models import Visit

    need(actor, "fieldwork.view_visit")
    visits = _within(Visit.objects.filter(jurisdiction_q(actor)), where)
    data = figures.visit_figures(visits, _officers(actor, where), span)
    data["period"] = {"start": span.start.isoformat(), "end": span.end.isoformat()}
    data["place"] = _place_out(where)
    return data


def stay_board(actor, span, *, where=None):
    """Foreigners' registrations checked on time (``registry.view_foreignerstay``)."""
    from fengqiao.registry.models import ForeignerStay

    need(actor, "registry.view_foreignerstay")
    stays = _within(ForeignerStay.objects.filter(jurisdiction_q(actor)), where)
    data = figures.stay_figures(stays, span)
    data["period"] = {"start": span.start.isoformat(), "end": span.end.isoformat()}
    data["place"] = _place_out(where)
    return data


# -- 110 / 12345 alerts ------------------------------------------------------------------------------
def alert_board(actor, span, *, where=None):
    """警情 by category with 环比/同比 (``insights.view_alert``), from the imported alerts."""
    from .models import Alert

    need(actor, "insights.view_alert")
    rows = _within(Alert.objects.filter(jurisdiction_q(actor)), where)
    data = figures.alert_figures(rows, span)
    data["period"] = {"start": span.start.isoformat(), "end": span.end.isoformat()}
    data["place"] = _place_out(where)
    return data


def alert_imports(actor):
    """The alert imports the actor may see, newest first."""
    from .models import AlertImport

    need(actor, "insights.view_alertimport")
    return AlertImport.objects.restrict(actor).select_related("place", "created_by")


def alert_import(actor, pk):
    from .models import AlertImport

    need(actor, "insights.view_alertimport")
    return AlertImport.objects.select_related("place", "created_by").get_scoped(actor, pk=pk)


def import_alerts(actor, *, place_code, source, upload):
    """Import a CSV/xlsx of alerts for a place in the jurisdiction (the actor's own place when
    there is only one)."""
    from . import alerts

    need(actor, "insights.import_alerts")
    target = place(actor, place_code) if place_code else _only_place(actor)
    return alerts.import_alerts(actor, place=target, source=source, upload=upload)


def _only_place(actor):
    paths = actor.scope_paths()
    if len(paths) != 1:
        raise ServiceError(_("请选择导入的区划"), code="required", details={"field": "place"})
    return Place.objects.get(path=paths[0])


# -- performance evaluation (insights.evaluation) ---------------------------------------------------
MAX_EVALUATED = 120


def evaluation_board(actor, span, *, where=None, by=None):
    """Scores per place (the next level down by default) or department for the period, ranked;
    each row with the indicator values behind its score."""
    from . import evaluation

    need(actor, "insights.view_evaluation")
    need(actor, "cases.view_figures")
    by = by or default_group(actor, where)
    if by not in evaluation.LEVELS:
        raise ServiceError(_("分组方式不正确"), code="invalid", details={"field": "by"})
    weighting = evaluation.weights()
    cases = {(r["kind"], r["key"]): r for r in case_board(actor, span, where=where, by=by)["rows"]}
    if by == "department":
        units = [(kind, key, r["label"], None) for (kind, key), r in cases.items()]
    else:
        level = figures.PLACE_LEVELS[by]
        units = [
            ("place", p.pk, p.name, p)
            for p in _within(
                Place.objects.restrict(actor).filter(level=level), where, field="path"
            ).order_by("path")[:MAX_EVALUATED]
        ]
    rows = []
    for kind, key, label, unit_place in units:
        c = cases.get((kind, key), {})
        rework = c.get("rework_rate")
        values = {
            "on_time": c.get("on_time_rate"),
            "no_rework": None if rework is None else round(1 - rework, 4),
            "satisfaction": c.get("satisfaction_rate"),
            "visits": None,
            "local": None,
            "risks_closed": None,
        }
        if unit_place is not None:
            values.update(_place_indicators(actor, span, unit_place))
        rows.append(
            {
                "kind": kind,
                "key": key,
                "code": unit_place.code if unit_place is not None else "",
                "label": str(label),
                "values": values,
                "score": evaluation.score(values, weighting),
            }
        )
    return {
        "period": {"start": span.start.isoformat(), "end": span.end.isoformat()},
        "place": _place_out(where),
        "by": by,
        "weights": [
            {"key": k, "label": str(lab), "weight": weighting[k]}
            for k, lab, _d in evaluation.INDICATORS
        ],
        "rows": evaluation.ranked(rows),
    }


def _place_indicators(actor, span, where):
    out = {}
    if actor.has_perm("fieldwork.view_visit"):
        v = visit_board(actor, span, where=where)["rate"]
        out["visits"] = None if v is None else min(1.0, v)
    if actor.has_perm("disputes.view_dispute_figures"):
        out["local"] = dispute_board(actor, span, where=where)["resolved_in_village_share"]
    if actor.has_perm("risks.view_risk_figures"):
        r = risk_board(actor, span, where=where)
        out["risks_closed"] = figures.rate(r["closed_out"], r["closed_out"] + r["on_register"])
    return out


def evaluation_detail(actor, span, code, *, by=None):
    """One place's row of the evaluation (among its siblings, for its rank)."""
    target = place(actor, code)
    parent = target.parent if target.parent_id and actor.covers(target.parent) else None
    level = {v: k for k, v in figures.PLACE_LEVELS.items()}.get(target.level)
    if level is None:
        raise ServiceError(_("该区划不参与考核"), code="invalid", details={"field": "place"})
    board = evaluation_board(actor, span, where=parent, by=level)
    row = next((r for r in board["rows"] if r["kind"] == "place" and r["key"] == target.pk), None)
    if row is None:
        from fengqiao.core.errors import NotFound

        raise NotFound(_("地点不存在或无权访问"))
    return {**board, "row": row, "place": _place_out(target)}


@transaction.atomic
def set_weights(actor, data):
    """Set the indicator weights (0–100 each, at least one above 0); audited."""
    from fengqiao.core import audit

    from . import evaluation
    from .models import IndicatorWeight

    need(actor, "insights.change_indicatorweight")
    clean = {}
    for key in evaluation.KEYS:
        raw = data.get(key)
        try:
            value = int(raw)
        except (TypeError, ValueError):
            raise ServiceError(
                _("权重须为0至100的整数"), code="invalid", details={"field": key}
            ) from None
        if not 0 <= value <= 100:
            raise ServiceError(_("权重须为0至100的整数"), code="invalid", details={"field": key})
        clean[key] = value
    if not any(clean.values()):
        raise ServiceError(_("至少一项指标的权重大于0"), code="invalid")
    for key, value in clean.items():
        IndicatorWeight.objects.update_or_create(key=key, defaults={"weight": value})
    audit.record("insights.weights", user=actor, data=clean)
    return clean
