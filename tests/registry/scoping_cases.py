"""Registry's part of the generated scoping matrix (see tests/scoping.py): an address tree with a
rental house, a tenant and a unit in the grid, every page and API path against a sibling grid."""

from fengqiao.registry import services
from fengqiao.registry.actions import registry as stay_actions
from tests.registry import helpers
from tests.scoping import ScopedEndpoint


def _make(grid, users):
    gw = users["grid_worker"]
    room = helpers.tree(grid, gw, road=f"{grid.code}路")
    person = helpers.person(gw, room, name=f"居{grid.code[-3:]}")
    house = helpers.rental(gw, room)
    tenancy = services.add_tenant(gw, house, person)
    unit = services.register_unit(gw, address=room.parent, name=f"单位{grid.code}")
    room.person, room.house, room.unit, room.tenancy = person, house, unit, tenancy
    return room


def _details(room):
    return [
        f"/registry/addresses/{room.pk}/",
        f"/registry/people/{room.person.pk}/",
        f"/registry/houses/{room.house.pk}/",
        f"/registry/units/{room.unit.pk}/",
        f"/registry/people/new/?address={room.pk}",
        f"/registry/houses/new/?address={room.pk}",
        f"/registry/units/new/?address={room.pk}",
        f"/registry/addresses/new/?parent={room.pk}",
        f"/registry/addresses/{room.pk}/retire/",
        f"/registry/people/{room.person.pk}/tags/",
        f"/registry/houses/{room.house.pk}/tenancies/{room.tenancy.pk}/end/",
        f"/api/v1/registry/addresses/{room.pk}",
        f"/api/v1/registry/addresses/{room.pk}/file",
        f"/api/v1/registry/people/{room.person.pk}",
        f"/api/v1/registry/houses/{room.house.pk}",
        f"/api/v1/registry/units/{room.unit.pk}",
    ]


SCOPED = [
    ScopedEndpoint(
        name="registry",
        make=_make,
        list_urls=[
            "/registry/",
            "/registry/?q=%E5%B1%85",
            "/registry/?q=3%E5%B9%A2&kind=addresses",
        ],
        detail_urls=_details,
        marker=lambda room: room.parent.parent.full_name,
        url_names=[
            "registry:address",
            "registry:person",
            "registry:house",
            "registry:unit",
            "registry:address_retire",
            "registry:person_tag",
            "registry:tenancy_end",
            "/api/v1/registry/addresses/{address_id}",
            "/api/v1/registry/addresses/{address_id}/file",
            "/api/v1/registry/addresses/{address_id}/retire",
            "/api/v1/registry/people/{person_id}",
            "/api/v1/registry/people/{person_id}/tags",
            "/api/v1/registry/people/{person_id}/tags/{code}",
            "/api/v1/registry/houses/{house_id}",
            "/api/v1/registry/houses/{house_id}/tenants",
            "/api/v1/registry/houses/{house_id}/tenants/{tenancy_id}/end",
            "/api/v1/registry/units/{unit_id}",
        ],
    ),
]


def _import_job(grid, users):
    """A dry-run import by the grid's worker: only its creator sees it."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from fengqiao.registry import importer
    from tests.registry.test_import_export import xlsx

    upload = xlsx([["某人", "", "", "", "", "未落户人员", "NOPE", ""]], name=f"{grid.code}.xlsx")
    upload = SimpleUploadedFile(f"imp{grid.code}.xlsx", upload.read())
    return importer.start_import(users["grid_worker"], "people", upload, dry_run=True)


SCOPED.append(
    ScopedEndpoint(
        name="registry_imports",
        make=_import_job,
        list_urls=["/registry/imports/"],
        detail_urls=lambda job: [
            f"/registry/imports/{job.pk}/",
            f"/registry/imports/{job.pk}/report/",
        ],
        marker=lambda job: job.filename,
        url_names=["registry:import_job", "registry:import_report"],
    )
)


def _stay(grid, users):
    from tests.registry.test_stays import _data

    room = helpers.tree(grid, users["grid_worker"], road=f"宿{grid.code}路")
    return services.report_stay(room, _data(surname=f"S{grid.code}"))


SCOPED.append(
    ScopedEndpoint(
        name="registry_stays",
        make=_stay,
        list_urls=["/registry/stays/", "/registry/stays/?format=xlsx", "/api/v1/registry/stays"],
        detail_urls=lambda s: [
            f"/registry/stays/{s.pk}/",
            f"/api/v1/registry/stays/{s.pk}",
            f"/registry/stays/{s.pk}/act/check/",
            f"/registry/stays/{s.pk}/act/cancel/",
            f"/registry/stays/new/?address={s.address_id}",
            f"/registry/addresses/{s.address_id}/doorplate/",
        ],
        marker=lambda s: s.number,
        url_names=[
            "registry:stay",
            "registry:stay_act",
            "registry:doorplate",
            "/api/v1/registry/stays/{stay_id}",
            # POST only, one operation per action of registry.actions.registry; out of scope →
            # 404 (tests/security/test_live_write_idor.py, tests/registry/test_stay_actions.py)
            *stay_actions.api_paths("/api/v1/registry", "stay_id"),
        ],
    )
)
