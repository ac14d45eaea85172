"""Fieldwork's part of the generated scoping matrix: a visit with a starred note in the grid."""

from django.utils import timezone

from fengqiao.fieldwork import services
from fengqiao.fieldwork.actions import NOTE_PATH, PATROL_PATH
from fengqiao.fieldwork.actions import registry as actions
from fengqiao.fieldwork.models import FieldNote, PatrolLog
from fengqiao.org import services as org_services
from fengqiao.org.models import Place
from tests.registry import helpers
from tests.scoping import ScopedEndpoint

API = "/api/v1/fieldwork"


def _make(grid, users):
    room = helpers.tree(grid, users["grid_worker"], road=f"访{grid.code}路")
    visit = services.record_visit(
        users["community_officer"],
        address=room,
        purpose="routine",
        findings=f"走访记录{grid.code}",
        note=f"待跟进{grid.code}",
        starred=True,
    )
    visit.note_id = visit.notes.get().pk
    return visit


SCOPED = [
    ScopedEndpoint(
        name="fieldwork",
        make=_make,
        list_urls=[
            "/fieldwork/visits/?view=all",
            "/fieldwork/followups/?view=all",
            "/fieldwork/visits/?view=all&format=xlsx",
            "/fieldwork/followups/?view=all&format=xlsx",
            "/api/v1/fieldwork/visits",
            "/api/v1/fieldwork/follow-ups?mine=false",
        ],
        detail_urls=lambda v: [
            f"/fieldwork/visits/{v.pk}/",
            f"/fieldwork/notes/{v.note_id}/act/done/",
            f"/fieldwork/visits/new/?address={v.address_id}",
            f"/fieldwork/notes/new/?address={v.address_id}",
            f"/api/v1/fieldwork/visits/{v.pk}",
        ],
        marker=lambda v: f"{v.address.place.code}路",
        url_names=[
            "fieldwork:visit",
            "fieldwork:note_act",
            "/api/v1/fieldwork/visits/{visit_id}",
            *actions.api_paths(API, "note_id", FieldNote, NOTE_PATH),
        ],
    )
]


def _circle(grid, users):
    """A patrol circle of the grid's town (organised by a town officer) whose only team is the
    grid's worker: the town's jurisdiction and the team's members see it, nobody else."""
    town = grid.parent.parent
    organiser = org_services.create_staff(
        username=f"town-officer-{grid.code}",
        password="x-Unused-9!",
        display_name=f"镇民警{grid.code}",
        roles=["community_officer"],
        places=[town],
    )
    villages = list(Place.objects.filter(parent=town, level=Place.Level.VILLAGE)[:3])
    circle = services.create_circle(organiser, name=f"巡防圈{grid.code}", villages=villages)
    services.form_teams(organiser, circle, [users["grid_worker"]], size=10)
    services.generate_rota(organiser, circle, start=timezone.localdate(), days=3, every=1)
    circle.log = services.record_patrol(
        organiser, circle, started_at=timezone.now(), findings=f"巡查{grid.code}"
    )
    return circle


SCOPED.append(
    ScopedEndpoint(
        name="fieldwork_patrols",
        make=_circle,
        list_urls=[
            "/fieldwork/patrols/",
            "/fieldwork/patrols/?format=xlsx",
            "/api/v1/fieldwork/circles",
            "/api/v1/fieldwork/patrols",
        ],
        detail_urls=lambda c: [
            f"/fieldwork/circles/{c.pk}/",
            f"/fieldwork/patrols/{c.log.pk}/",
            f"/fieldwork/patrols/{c.log.pk}/act/to_case/",
            f"/api/v1/fieldwork/circles/{c.pk}",
            f"/api/v1/fieldwork/patrols/{c.log.pk}",
        ],
        marker=lambda c: c.name,
        url_names=[
            "fieldwork:circle",
            "fieldwork:circle_teams",
            "fieldwork:circle_rota",
            "fieldwork:patrol",
            "fieldwork:patrol_act",
            "/api/v1/fieldwork/circles/{circle_id}",
            "/api/v1/fieldwork/patrols/{log_id}",
            *actions.api_paths(API, "log_id", PatrolLog, PATROL_PATH),
        ],
    )
)


def _activity(grid, users):
    return services.record_activity(
        users["community_officer"],
        place=grid,
        topic="anti_fraud",
        title=f"反诈宣传{grid.code}",
        held_on=timezone.localdate(),
        attendance=30,
    )


SCOPED.append(
    ScopedEndpoint(
        name="fieldwork_activities",
        make=_activity,
        list_urls=["/fieldwork/activities/", "/api/v1/fieldwork/activities"],
        detail_urls=lambda a: [
            f"/fieldwork/activities/{a.pk}/",
            f"/api/v1/fieldwork/activities/{a.pk}",
        ],
        marker=lambda a: a.title,
        url_names=["fieldwork:activity", "/api/v1/fieldwork/activities/{activity_id}"],
    )
)


def _officer(grid, users):
    """The grid's community officer (who carries a weekly visit target) with one visit there."""
    officer = users["community_officer"]
    room = helpers.tree(grid, users["grid_worker"], road=f"标{grid.code}路")
    services.record_visit(officer, address=room, purpose="routine", findings="周目标走访")
    return officer


SCOPED.append(
    ScopedEndpoint(
        name="fieldwork_targets",
        make=_officer,
        list_urls=[
            "/fieldwork/targets/",
            "/fieldwork/targets/?by=place",
            "/fieldwork/targets/?format=xlsx",
            "/api/v1/fieldwork/targets",
            "/api/v1/fieldwork/targets?by=place",
        ],
        detail_urls=lambda o: [
            f"/fieldwork/targets/{o.pk}/",
            f"/api/v1/fieldwork/targets/{o.pk}",
        ],
        marker=lambda o: o.display_name,
        url_names=["fieldwork:target", "/api/v1/fieldwork/targets/{officer_id}"],
    )
)
