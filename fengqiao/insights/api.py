"""/api/v1/insights/: the same figures as the board, as JSON (scoped to the caller)."""

from datetime import date, datetime

from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import LimitOffsetPagination, paginate

from fengqiao.core.dbrouting import on_replica

from . import figures, services

router = Router(tags=["insights"])


class KpiOut(Schema):
    key: str
    label: str
    kind: str
    value: float | None
    previous: float | None
    year_before: float | None
    mom: float | None
    yoy: float | None


class CaseRowOut(Schema):
    kind: str
    key: int | None
    label: str
    accepted: int
    closed: int
    due: int
    due_closed: int
    due_on_time: int
    reworked: int
    extended: int
    urgent_base: int
    urgent_in_time: int
    rated: int
    satisfied: int
    close_rate: float | None
    on_time_rate: float | None
    rework_rate: float | None
    extension_rate: float | None
    arrival_rate: float | None
    satisfaction_rate: float | None
    mean_hours_to_close: float | None


class PeriodOut(Schema):
    start: date
    end: date


class FiguresPlaceOut(Schema):
    code: str
    name: str
    level: int


class DayOut(Schema):
    day: date
    accepted: int
    closed: int


class CaseBoardOut(Schema):
    period: PeriodOut
    place: FiguresPlaceOut | None
    by: str
    kpis: list[KpiOut]
    rows: list[CaseRowOut]
    trend: list[DayOut]


def _args(request, start, end, place):
    return services.period(start, end), services.place(request.user, place)


@router.get("/cases", response=CaseBoardOut)
@on_replica
def case_figures(
    request,
    start: date | None = None,
    end: date | None = None,
    place: str = "",
    by: str | None = None,
):
    """Case figures for a place (code; default: the whole jurisdiction) and period (default: the
    last 30 days): KPIs with 环比/同比 (rates as 0..1; changes of rates in points, of counts
    relative), the table grouped ``by`` (town, village, grid, department, category), the trend."""
    span, where = _args(request, start, end, place)
    return services.case_board(request.user, span, where=where, by=by)


@router.get("/disputes")
@on_replica
def dispute_figures(request, start: date | None = None, end: date | None = None, place: str = ""):
    """Dispute figures over the disputes registered in the period: by type, level and village,
    share resolved at village level, success rate per level, recurrences."""
    span, where = _args(request, start, end, place)
    return services.dispute_board(request.user, span, where=where)


@router.get("/risks")
@on_replica
def risk_figures(request, start: date | None = None, end: date | None = None, place: str = ""):
    """Risks on the register by colour, found and closed out in the period, reviews on time."""
    span, where = _args(request, start, end, place)
    return services.risk_board(request.user, span, where=where)


class OfficerVisitsOut(Schema):
    user_id: int
    name: str
    done: int
    target: int
    rate: float | None


class VisitFiguresOut(Schema):
    period: PeriodOut
    place: FiguresPlaceOut | None
    visits: int
    done: int
    target: int
    rate: float | None
    officers: list[OfficerVisitsOut]


class StayFiguresOut(Schema):
    period: PeriodOut
    place: FiguresPlaceOut | None
    reported: int
    checked: int
    checks_due: int
    checked_on_time: int
    checked_on_time_rate: float | None
    pending: int
    overdue: int


@router.get("/visits", response=VisitFiguresOut)
@on_replica
def visit_figures(request, start: date | None = None, end: date | None = None, place: str = ""):
    """Visits against target: households visited per officer and week, summed, against the weekly
    target × days / 7, for the officers whose jurisdiction lies in the place."""
    span, where = _args(request, start, end, place)
    return services.visit_board(request.user, span, where=where)


@router.get("/stays", response=StayFiguresOut)
@on_replica
def stay_figures(request, start: date | None = None, end: date | None = None, place: str = ""):
    """Foreigners' accommodation registrations: reported, checked, on-site checks due in the period
    held on time (3 working days), pending and overdue now."""
    span, where = _args(request, start, end, place)
    return services.stay_board(request.user, span, where=where)


@router.get("/groups")
@on_replica
def groups(request):
    """The groupings the case table accepts."""
    services.need(request.user, "cases.view_figures", "disputes.view_dispute_figures")
    return [{"key": k, "label": str(v)} for k, v in figures.GROUPS.items()]


# -- 110 / 12345 alerts ------------------------------------------------------------------------------
class AlertCategoryOut(Schema):
    category: str
    n: int
    previous: int
    year_before: int
    mom: float | None
    yoy: float | None
    sources: dict[str, int]


class AlertTotalOut(Schema):
    n: int
    previous: int
    year_before: int
    mom: float | None
    yoy: float | None


class AlertSourceOut(Schema):
    source: str
    n: int


class AlertFiguresOut(Schema):
    period: PeriodOut
    place: FiguresPlaceOut | None
    total: AlertTotalOut
    by_source: list[AlertSourceOut]
    categories: list[AlertCategoryOut]


class AlertRowErrorOut(Schema):
    row: int
    column: str
    message: str


class AlertImportOut(Schema):
    id: int
    source: str
    place: FiguresPlaceOut
    filename: str
    created_at: datetime
    created_by: str
    total_rows: int
    created_rows: int
    duplicate_rows: int
    error_rows: int

    @staticmethod
    def resolve_created_by(obj):
        return obj.created_by.username


class AlertImportDetailOut(AlertImportOut):
    errors: list[AlertRowErrorOut]


@router.get("/alerts", response=AlertFiguresOut)
@on_replica
def alert_figures(request, start: date | None = None, end: date | None = None, place: str = ""):
    """110 / 12345 alerts (imported) by category: the period, 环比 and 同比 with relative changes,
    totals per source."""
    span, where = _args(request, start, end, place)
    return services.alert_board(request.user, span, where=where)


@router.get("/alert-imports", response=list[AlertImportOut])
@paginate(LimitOffsetPagination)
def alert_imports(request):
    """The alert imports in the caller's jurisdiction, newest first."""
    return services.alert_imports(request.user)


@router.get("/alert-imports/{import_id}", response=AlertImportDetailOut)
def alert_import(request, import_id: int):
    """One import: counts and the refused rows (row number, column, reason)."""
    return services.alert_import(request.user, import_id)


@router.post("/alert-imports", response={201: AlertImportDetailOut})
def create_alert_import(
    request, source: Form[str], file: File[UploadedFile], place: Form[str] = ""
):
    """Import a CSV or xlsx of alerts (columns 报警时间, 警情类别, 地点; optional 警情编号, 地址,
    简要情况) for a place (code; default: the caller's only place). Rows are validated one by
    one; duplicates of alerts already imported are skipped."""
    batch = services.import_alerts(request.user, place_code=place, source=source, upload=file)
    return Status(201, batch)


# -- performance evaluation --------------------------------------------------------------------------
class WeightOut(Schema):
    key: str
    label: str
    weight: int


class EvaluationRowOut(Schema):
    kind: str
    key: int | None
    code: str
    label: str
    values: dict[str, float | None]
    score: float | None
    rank: int | None


class EvaluationOut(Schema):
    period: PeriodOut
    place: FiguresPlaceOut | None
    by: str
    weights: list[WeightOut]
    rows: list[EvaluationRowOut]


class EvaluationDetailOut(EvaluationOut):
    row: EvaluationRowOut


@router.get("/evaluation", response=EvaluationOut)
@on_replica
def evaluation(
    request,
    start: date | None = None,
    end: date | None = None,
    place: str = "",
    by: str | None = None,
):
    """Performance evaluation: per place (town, village, grid) or department, the indicators
    (0..1), the weighted score (0–100) and the rank."""
    span, where = _args(request, start, end, place)
    return services.evaluation_board(request.user, span, where=where, by=by)


@router.get("/evaluation/{code}", response=EvaluationDetailOut)
@on_replica
def evaluation_detail(request, code: str, start: date | None = None, end: date | None = None):
    """One place's evaluation (its indicators, score and rank among its siblings)."""
    return services.evaluation_detail(request.user, services.period(start, end), code)


# -- situation reports -------------------------------------------------------------------------------
class ReportSectionOut(Schema):
    title: str
    header: list[str]
    rows: list[list[str]]


class ReportOut(Schema):
    title: str
    kind: str
    period: PeriodOut
    sections: list[ReportSectionOut]


@router.get("/reports/{kind}", response=ReportOut)
@on_replica
def situation_report(request, kind: str, date: date | None = None, place: str = ""):
    """The weekly (``week``: the last complete Monday–Sunday before ``date``) or monthly
    (``month``: the last complete month) situation report of a place, as JSON sections; the same
    report as PDF/docx at /insights/reports/<kind>.pdf|docx."""
    from . import reports

    data = reports.situation_report(
        request.user, kind, where=services.place(request.user, place), day=date
    )
    data["sections"] = [
        {
            "title": str(t),
            "header": [str(h) for h in hs],
            "rows": [[str(c) for c in r] for r in rows],
        }
        for t, hs, rows in data["sections"]
    ]
    data["title"] = str(data["title"])
    return data


# -- 无案村 (case-free village) status -----------------------------------------------------------------
class VillageRecordOut(Schema):
    type: str
    id: int
    label: str
    at: str | None = None


class VillageReasonOut(Schema):
    criterion: str
    name: str
    kind: str
    allowed: int
    count: int
    records: list[VillageRecordOut]
    hidden: int


class VillageStatusOut(Schema):
    id: int
    place: FiguresPlaceOut
    town: str
    period: str
    start: date
    end: date
    met: bool
    state: str
    evaluated_at: datetime
    unmet: list[str]

    @staticmethod
    def resolve_town(obj):
        if isinstance(obj, dict):
            return obj["town"]
        return obj.place.parent.name if obj.place.parent_id else ""

    @staticmethod
    def resolve_unmet(obj):
        if isinstance(obj, dict):
            return obj["unmet"]
        return [r["criterion"] for r in obj.reasons or []]


class VillageTimelineOut(Schema):
    at: datetime
    actor: str
    action: str
    note: str


class VillageStatusDetailOut(VillageStatusOut):
    criteria: dict[str, int]
    reasons: list[VillageReasonOut]
    nominated_at: datetime | None
    confirmed_at: datetime | None
    history: list[VillageStatusOut]
    timeline: list[VillageTimelineOut]
    actions: list[str]


def _village_detail(request, status):
    from fengqiao.core.workflow import timeline

    from . import villages

    return {
        **{f: getattr(status, f) for f in ("id", "place", "period", "start", "end", "met")},
        "state": status.state,
        "evaluated_at": status.evaluated_at,
        "reasons": villages.visible_reasons(request.user, status),
        "criteria": status.criteria or {},
        "nominated_at": status.nominated_at,
        "confirmed_at": status.confirmed_at,
        "town": status.place.parent.name if status.place.parent_id else "",
        "unmet": [r["criterion"] for r in status.reasons or []],
        "history": villages.history(request.user, status),
        "timeline": [
            {"at": e.at, "actor": e.actor_name, "action": e.transition, "note": e.note}
            for e in timeline(status)
        ],
        "actions": villages.registry.available(status, request.user),
    }


@router.get("/villages", response=list[VillageStatusOut])
@paginate(LimitOffsetPagination)
def village_statuses(
    request,
    period: str = "quarter",
    date: date | None = None,
    place: str = "",
    met: bool | None = None,
    state: str = "",
):
    """无案村: the status of the caller's villages for the month, quarter or year containing
    ``date`` (default today), with the criteria not met; filters by place, result and state."""
    from django.utils import timezone

    from fengqiao.core.errors import ServiceError

    from . import villages

    if period not in villages.PERIODS:
        raise ServiceError("period: month | quarter | year", code="invalid")
    return villages.statuses(
        request.user,
        kind=period,
        day=date or timezone.localdate(),
        where=services.place(request.user, place),
        met=met,
        state=state or None,
    )


@router.get("/villages/{status_id}", response=VillageStatusDetailOut)
def village_status(request, status_id: int):
    """One village's status: the offending records of each unmet criterion (those outside the
    caller's jurisdiction only counted), its history, timeline and the actions the caller may take."""
    from . import villages

    return _village_detail(request, villages.get(request.user, status_id))


def _load_village(request, status_id):
    from . import villages

    return villages.get(request.user, status_id)


def _respond_village(request, status_id, result):
    from . import villages

    return _village_detail(request, villages.get(request.user, status_id))


def _add_village_actions():
    from . import villages

    villages.registry.add_api_operations(
        router,
        id_param="status_id",
        load=_load_village,
        respond=_respond_village,
        response=VillageStatusDetailOut,
    )


_add_village_actions()
