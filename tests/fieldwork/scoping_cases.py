"""Fieldwork's part of the generated scoping matrix: a visit with a starred note in the grid."""

from fengqiao.fieldwork import services
from tests.registry import helpers
from tests.scoping import ScopedEndpoint


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
            "/api/v1/fieldwork/visits",
            "/api/v1/fieldwork/follow-ups?mine=false",
        ],
        detail_urls=lambda v: [
            f"/fieldwork/visits/{v.pk}/",
            f"/fieldwork/notes/{v.note_id}/done/",
            f"/fieldwork/visits/new/?address={v.address_id}",
            f"/fieldwork/notes/new/?address={v.address_id}",
            f"/api/v1/fieldwork/visits/{v.pk}",
        ],
        marker=lambda v: f"{v.address.place.code}路",
        url_names=[
            "fieldwork:visit",
            "fieldwork:note_done",
            "/api/v1/fieldwork/visits/{visit_id}",
            "/api/v1/fieldwork/follow-ups/{note_id}/done",
        ],
    )
]
