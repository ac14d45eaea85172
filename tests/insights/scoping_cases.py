"""The command centre in the generated scoping matrix (tests/test_scoping_matrix.py): figures are
scoped to the user's jurisdiction; a place outside it answers 404."""

from fengqiao.cases import services
from fengqiao.cases.defaults import install
from fengqiao.cases.models import Case, Category
from tests.scoping import ScopedEndpoint


def make_case(grid, users):
    install(Category)
    case, _created = services.report(
        place=grid,
        category=Category.objects.get(code="cityscape"),
        description=f"insights-matrix {grid.code}",
        source=Case.Source.GRID_WORKER,
        actor=users["grid_worker"],
    )
    return services.dispatch(case, users["dispatcher"], data={"department": _dept(grid)})


def _dept(grid):
    from fengqiao.org.models import Department

    return Department.objects.get(code="D1").pk


def _place_urls(case):
    code = case.place.code
    return [
        f"/insights/?place={code}",
        f"/insights/disputes/?place={code}",
        f"/insights/export.xlsx?place={code}",
        f"/insights/export.pdf?place={code}",
        f"/api/v1/insights/cases?place={code}",
        f"/api/v1/insights/disputes?place={code}",
        f"/api/v1/insights/visits?place={code}",
        f"/api/v1/insights/stays?place={code}",
        f"/insights/evaluation/?place={code}",
        f"/insights/evaluation/export.xlsx?place={code}",
        f"/api/v1/insights/evaluation?place={code}",
        f"/api/v1/insights/evaluation/{code}",
        f"/insights/reports/?place={code}",
        f"/insights/reports/week.pdf?place={code}",
        f"/api/v1/insights/reports/week?place={code}",
        f"/insights/map/?place={code}",
        f"/insights/map/layers.json?place={code}",
        f"/insights/map/places/{case.place.pk}.json",
    ]


SCOPED = [
    ScopedEndpoint(
        name="insights.figures",
        make=make_case,
        list_urls=[
            "/insights/?by=grid",
            "/api/v1/insights/cases?by=grid",
            "/insights/map/",
            "/insights/map/layers.json",
            "/insights/evaluation/?by=grid",
            "/api/v1/insights/evaluation?by=grid",
            "/insights/reports/",
            "/api/v1/insights/reports/week",
        ],
        detail_urls=_place_urls,
        marker=lambda case: case.place.name,
        url_names=[
            "insights:export",
            "insights:grid_card",
            "/api/v1/insights/evaluation/{code}",
            "insights:report",
            "/api/v1/insights/reports/{kind}",
        ],
    )
]


def make_alert_import(grid, users):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from fengqiao.insights import services as insights

    csv = f"报警时间,警情类别,地点,警情编号\n2026-03-05 08:15,治安,{grid.code},M{grid.code}\n"
    return insights.import_alerts(
        users["dispatcher"],
        place_code=grid.code,
        source="110",
        upload=SimpleUploadedFile(f"matrix-{grid.code}.csv", csv.encode()),
    )


SCOPED.append(
    ScopedEndpoint(
        name="insights.alerts",
        make=make_alert_import,
        list_urls=["/insights/alerts/", "/api/v1/insights/alert-imports"],
        detail_urls=lambda batch: [
            f"/insights/alerts/imports/{batch.pk}/",
            f"/api/v1/insights/alert-imports/{batch.pk}",
            f"/insights/alerts/?place={batch.place.code}",
            f"/api/v1/insights/alerts?place={batch.place.code}",
        ],
        marker=lambda batch: batch.filename,
        url_names=["insights:alert_import", "/api/v1/insights/alert-imports/{import_id}"],
    )
)


def make_village_status(place, users):
    """The 无案村 status of ``place``'s village this quarter (a grid: its village), evaluated by
    the system, with a public-order case in it so its reasons list a record."""
    from django.utils import timezone

    from fengqiao.insights import villages
    from fengqiao.org.models import Place

    village = place if place.level == Place.Level.VILLAGE else place.parent
    grid = (
        place if place.level == Place.Level.GRID else Place.objects.filter(parent=village).first()
    )
    if grid is not None and "grid_worker" in users:
        install(Category)
        case, _created = services.report(
            place=grid,
            category=Category.objects.get(code="public_order"),
            description=f"village-matrix {village.code}",
            source=Case.Source.GRID_WORKER,
            actor=users["grid_worker"],
        )
        services.dispatch(case, users["dispatcher"], data={"department": _dept(grid)})
    return villages.evaluate("quarter", timezone.localdate(), where=village)[0]


def _village_code(status):
    from fengqiao.org.models import Place

    return f'"{Place.objects.get(pk=status.place_id).code}"'


SCOPED.append(
    ScopedEndpoint(
        name="insights.villages",
        make=make_village_status,
        level="village",
        list_urls=["/insights/villages/", "/api/v1/insights/villages", "/insights/map/layers.json"],
        detail_urls=lambda s: [
            f"/insights/villages/{s.pk}/",
            f"/api/v1/insights/villages/{s.pk}",
            f"/insights/villages/?place={s.place.code}",
            f"/insights/villages/export.xlsx?place={s.place.code}",
            f"/api/v1/insights/villages?place={s.place.code}",
        ],
        marker=_village_code,
        url_names=[
            "insights:village",
            "insights:village_act",
            "/api/v1/insights/villages/{status_id}",
            *[
                f"/api/v1/insights/villages/{{status_id}}/actions/{name}"
                for name in ("nominate", "confirm", "return", "revoke")
            ],
        ],
    )
)
