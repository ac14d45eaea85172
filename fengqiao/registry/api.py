"""JSON API for base information, mounted at /api/v1/registry/. Handlers only call services;
reads go through ``restrict``/``authorize_api`` (404 out of scope); personal data is masked
(reveal goes through the audited ``core.services.reveal``); labelled tags show only to holders
of the label, and showing them is audited."""

from datetime import date, datetime
from decimal import Decimal

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate

from fengqiao.core.authz import authorize_api, require_perm
from fengqiao.core.dbrouting import on_replica
from fengqiao.core.errors import NotFound, ServiceError
from fengqiao.org.models import Place

from . import search as finder
from . import services
from .actions import registry as stay_actions
from .models import Address, ForeignerStay, House, Person, Unit

router = Router(tags=["registry"])


# -- schemas --------------------------------------------------------------------------------------
class AddressOut(Schema):
    id: int
    code: str
    name: str
    full_name: str
    level: int
    level_label: str
    parent_id: int | None
    place_id: int
    place: str
    station_id: int | None
    centre_lat: float | None
    centre_lng: float | None
    in_use: bool
    started_on: date | None
    retired_on: date | None

    @staticmethod
    def resolve_level_label(obj):
        return str(obj.get_level_display())

    @staticmethod
    def resolve_place(obj):
        return obj.place.name


class AddressIn(Schema):
    name: str
    level: int
    place_id: int | None = None
    parent_id: int | None = None
    code: str = ""
    centre_lat: float | None = None
    centre_lng: float | None = None
    started_on: str | None = None


class TagOut(Schema):
    code: str
    label: str
    note: str


class PersonOut(Schema):
    id: int
    name: str
    id_number: str
    phone: str
    birth_date: date | None
    sex: str
    residence: str
    address_id: int
    address: str
    place_id: int
    household_id: int | None
    relation: str
    work_unit_id: int | None
    tags: list[TagOut] = []

    @staticmethod
    def resolve_name(obj):
        return str(obj)

    @staticmethod
    def resolve_id_number(obj):
        return str(obj.id_number)

    @staticmethod
    def resolve_phone(obj):
        return str(obj.phone)

    @staticmethod
    def resolve_address(obj):
        return obj.address.full_name

    @staticmethod
    def resolve_tags(obj):
        return [
            {"code": t.code, "label": str(t.get_code_display()), "note": t.note}
            for t in getattr(obj, "shown_tags", [])
        ]


class PersonDetailOut(PersonOut):
    registered_address: str
    inflow_reason: str
    inflow_date: date | None
    intended_stay: str
    note: str
    created_at: datetime
    updated_at: datetime


class PersonIn(Schema):
    address_id: int
    name: str
    id_number: str = ""
    phone: str = ""
    birth_date: str | None = None
    sex: str = ""
    residence: str = "registered"
    registered_address: str = ""
    inflow_reason: str = ""
    inflow_date: str | None = None
    intended_stay: str = ""
    note: str = ""
    tags: list[str] = []


class PersonPatch(Schema):
    name: str | None = None
    id_number: str | None = None
    phone: str | None = None
    birth_date: str | None = None
    residence: str | None = None
    registered_address: str | None = None
    inflow_reason: str | None = None
    inflow_date: str | None = None
    intended_stay: str | None = None
    note: str | None = None
    address_id: int | None = None


class TagIn(Schema):
    code: str
    note: str = ""


class TenancyOut(Schema):
    id: int
    person_id: int
    person: str
    moved_in: date
    moved_out: date | None

    @staticmethod
    def resolve_person(obj):
        return str(obj.person)


class HouseOut(Schema):
    id: int
    address_id: int
    address: str
    place_id: int
    use: str
    ownership: str
    structure: str
    area: Decimal | None
    rooms: int
    owner_name: str
    manager_name: str
    is_rental: bool
    lease_filing_number: str
    landlord_id: int | None
    max_occupants: int | None
    rent: Decimal | None
    hazard: str
    pledge_signed: bool
    last_visit_at: datetime | None

    @staticmethod
    def resolve_address(obj):
        return obj.address.full_name

    @staticmethod
    def resolve_owner_name(obj):
        return str(obj.owner_name)

    @staticmethod
    def resolve_manager_name(obj):
        return str(obj.manager_name)


class HouseDetailOut(HouseOut):
    tenants: list[TenancyOut]
    overcrowded: bool

    @staticmethod
    def resolve_tenants(obj):
        return list(obj.tenancies.select_related("person"))

    @staticmethod
    def resolve_overcrowded(obj):
        return services.overcrowded(obj)


class HouseIn(Schema):
    address_id: int
    use: str = "own"
    ownership: str = "private"
    structure: str = "concrete"
    area: str | None = None
    rooms: int | None = None
    owner_name: str = ""
    manager_name: str = ""
    is_rental: bool = False
    lease_filing_number: str = ""
    max_occupants: int | None = None
    rent: str | None = None
    hazard: str = "none"
    pledge_signed: bool = False
    landlord_id: int | None = None


class TenantIn(Schema):
    person_id: int
    moved_in: str | None = None


class MoveOutIn(Schema):
    moved_out: str | None = None


class UnitOut(Schema):
    id: int
    name: str
    kind: str
    address_id: int
    address: str
    place_id: int
    licence_code: str
    org_code: str
    legal_representative: str
    staff_count: int
    security_contact: str
    security_phone: str
    fire_level: str
    protective_measures: str

    @staticmethod
    def resolve_address(obj):
        return obj.address.full_name

    @staticmethod
    def resolve_legal_representative(obj):
        return str(obj.legal_representative)

    @staticmethod
    def resolve_security_contact(obj):
        return str(obj.security_contact)

    @staticmethod
    def resolve_security_phone(obj):
        return str(obj.security_phone)


class UnitIn(Schema):
    address_id: int
    name: str
    kind: str = "other"
    licence_code: str = ""
    org_code: str = ""
    legal_representative: str = ""
    staff_count: int = 0
    security_contact: str = ""
    security_phone: str = ""
    fire_level: str = "general"
    protective_measures: str = ""


class SearchOut(Schema):
    by: str
    people: list[PersonOut]
    houses: list[HouseOut]
    units: list[UnitOut]
    addresses: list[AddressOut]


class PlaceFileOut(Schema):
    address: AddressOut
    children: list[AddressOut]
    houses: list[HouseOut]
    people: list[PersonOut]
    units: list[UnitOut]
    case_ids: list[int]
    dispute_ids: list[int]
    visit_ids: list[int]


# -- addresses ------------------------------------------------------------------------------------
@router.get("/addresses", response=list[AddressOut])
@paginate(PageNumberPagination)
def list_addresses(request, q: str = "", parent_id: int | None = None, in_use: bool | None = None):
    require_perm(request.user, "registry.view_address")
    rows = Address.objects.restrict(request.user).select_related("place")
    if q:
        rows = rows.filter(
            pk__in=[a.pk for a in finder.search(request.user, q, kind="addresses")["addresses"]]
        )
    if parent_id is not None:
        rows = rows.filter(parent_id=parent_id)
    if in_use is not None:
        rows = rows.filter(in_use=in_use)
    return rows.order_by("full_name", "id")


@router.post("/addresses", response={201: AddressOut})
def create_address(request, payload: AddressIn):
    place = None
    if payload.parent_id is None:
        place = get_object_or_404(Place, pk=payload.place_id or 0)
    parent = None
    if payload.parent_id is not None:
        parent = authorize_api(request, Address, payload.parent_id, perm="registry.add_address")
    address = services.create_address(
        request.user,
        name=payload.name,
        level=payload.level,
        place=place,
        parent=parent,
        code=payload.code,
        centre_lat=payload.centre_lat,
        centre_lng=payload.centre_lng,
        started_on=payload.started_on,
    )
    return Status(201, address)


@router.get("/addresses/{address_id}", response=AddressOut)
def get_address(request, address_id: int):
    return authorize_api(
        request, Address.objects.select_related("place"), address_id, perm="registry.view_address"
    )


@router.get("/addresses/{address_id}/file", response=PlaceFileOut)
def get_place_file(request, address_id: int):
    """一张档: everything at the address and below it."""
    address = authorize_api(
        request, Address.objects.select_related("place"), address_id, perm="registry.view_address"
    )
    data = services.place_file(request.user, address)
    people = list(data["people"][:500])
    services.attach_visible_tags(request.user, people)
    return {
        "address": address,
        "children": list(data["children"].select_related("place")),
        "houses": list(data["houses"][:500]),
        "people": people,
        "units": list(data["units"][:500]),
        "case_ids": [c.pk for c in data["cases"]],
        "dispute_ids": [d.pk for d in data["disputes"]],
        "visit_ids": [v.pk for v in data["visits"]],
    }


@router.post("/addresses/{address_id}/retire", response=AddressOut)
def retire_address(request, address_id: int, payload: MoveOutIn):
    address = authorize_api(request, Address, address_id, perm="registry.change_address")
    return services.retire_address(request.user, address, on=payload.moved_out)


# -- people ---------------------------------------------------------------------------------------
@router.get("/people", response=list[PersonOut])
@paginate(PageNumberPagination)
def list_people(request, q: str = "", address_id: int | None = None, residence: str = ""):
    require_perm(request.user, "registry.view_person")
    if q:
        rows = finder.search(request.user, q, kind="people")["people"]
    else:
        rows = Person.objects.restrict(request.user).select_related("address")
        if address_id is not None:
            rows = rows.filter(address_id=address_id)
        if residence:
            rows = rows.filter(residence=residence)
        rows = rows.order_by("name", "id")
    return services.TaggedPeople(request.user, rows)


@router.post("/people", response={201: PersonDetailOut})
def register_person(request, payload: PersonIn):
    require_perm(request.user, "registry.add_person")
    address = authorize_api(request, Address, payload.address_id, perm="registry.add_person")
    data = payload.dict()
    data.pop("address_id")
    tags = data.pop("tags")
    person = services.register_person(request.user, address=address, tags=tags, **data)
    services.attach_visible_tags(request.user, [person])
    return Status(201, person)


@router.get("/people/{person_id}", response=PersonDetailOut)
def get_person(request, person_id: int):
    person = authorize_api(
        request,
        Person.objects.select_related("address"),
        person_id,
        perm="registry.view_person",
    )
    services.attach_visible_tags(request.user, [person])
    return person


@router.patch("/people/{person_id}", response=PersonDetailOut)
def update_person(request, person_id: int, payload: PersonPatch):
    person = authorize_api(
        request, Person, person_id, perm="registry.change_person", action="change"
    )
    data = {k: v for k, v in payload.dict().items() if v is not None}
    if "address_id" in data:
        data["address"] = authorize_api(request, Address, data.pop("address_id"))
    person = services.update_person(request.user, person, **data)
    services.attach_visible_tags(request.user, [person])
    return person


@router.post("/people/{person_id}/tags", response={201: TagOut})
def add_tag(request, person_id: int, payload: TagIn):
    person = authorize_api(
        request, Person, person_id, perm="registry.change_person", action="change"
    )
    tag = services.add_tag(request.user, person, payload.code, note=payload.note)
    return Status(201, {"code": tag.code, "label": str(tag.get_code_display()), "note": tag.note})


@router.delete("/people/{person_id}/tags/{code}", response={204: None})
def remove_tag(request, person_id: int, code: str):
    person = authorize_api(
        request, Person, person_id, perm="registry.change_person", action="change"
    )
    services.remove_tag(request.user, person, code)
    return Status(204, None)


# -- houses ---------------------------------------------------------------------------------------
@router.get("/houses", response=list[HouseOut])
@paginate(PageNumberPagination)
def list_houses(request, rental: bool | None = None, address_id: int | None = None):
    require_perm(request.user, "registry.view_house")
    rows = House.objects.restrict(request.user).select_related("address")
    if rental is not None:
        rows = rows.filter(is_rental=rental)
    if address_id is not None:
        rows = rows.filter(address_id=address_id)
    return rows.order_by("id")


@router.post("/houses", response={201: HouseDetailOut})
def register_house(request, payload: HouseIn):
    address = authorize_api(request, Address, payload.address_id, perm="registry.add_house")
    data = payload.dict()
    data.pop("address_id")
    landlord = data.pop("landlord_id")
    house = services.register_house(request.user, address=address, landlord=landlord, **data)
    return Status(201, house)


@router.get("/houses/{house_id}", response=HouseDetailOut)
def get_house(request, house_id: int):
    return authorize_api(
        request, House.objects.select_related("address"), house_id, perm="registry.view_house"
    )


@router.post("/houses/{house_id}/tenants", response={201: TenancyOut})
def add_tenant(request, house_id: int, payload: TenantIn):
    house = authorize_api(request, House, house_id, perm="registry.change_house", action="change")
    tenancy = services.add_tenant(request.user, house, payload.person_id, moved_in=payload.moved_in)
    return Status(201, tenancy)


@router.post("/houses/{house_id}/tenants/{tenancy_id}/end", response=TenancyOut)
def end_tenancy(request, house_id: int, tenancy_id: int, payload: MoveOutIn):
    house = authorize_api(request, House, house_id, perm="registry.change_house", action="change")
    tenancy = house.tenancies.filter(pk=tenancy_id).first()
    if tenancy is None:
        raise NotFound(_("租住记录不存在"))
    return services.end_tenancy(request.user, tenancy, moved_out=payload.moved_out)


# -- units ----------------------------------------------------------------------------------------
@router.get("/units", response=list[UnitOut])
@paginate(PageNumberPagination)
def list_units(request, kind: str = ""):
    require_perm(request.user, "registry.view_unit")
    rows = Unit.objects.restrict(request.user).select_related("address")
    if kind:
        rows = rows.filter(kind=kind)
    return rows.order_by("name", "id")


@router.post("/units", response={201: UnitOut})
def register_unit(request, payload: UnitIn):
    address = authorize_api(request, Address, payload.address_id, perm="registry.add_unit")
    data = payload.dict()
    data.pop("address_id")
    return Status(201, services.register_unit(request.user, address=address, **data))


@router.get("/units/{unit_id}", response=UnitOut)
def get_unit(request, unit_id: int):
    return authorize_api(
        request, Unit.objects.select_related("address"), unit_id, perm="registry.view_unit"
    )


# -- search ---------------------------------------------------------------------------------------
@router.get("/search", response=SearchOut)
@on_replica
def search(request, q: str, kind: str = "all"):
    """Find people, houses, units and addresses by name, ID number, phone or address (scoped)."""
    require_perm(request.user, "registry.view_person")
    found = finder.search(request.user, q, kind=kind)
    services.attach_visible_tags(request.user, found["people"])
    return found


# -- foreigners' accommodation registration -------------------------------------------------------
STAY_FLAGS = ("visa_expired", "visa_expiring", "overstay")


class StayOut(Schema):
    id: int
    number: str
    state: str
    state_label: str
    address_id: int
    address: str
    place_id: int
    reporter_kind: str
    reporter_name: str
    reporter_phone: str
    surname: str
    given_name: str
    sex: str
    nationality: str
    passport_number: str
    visa_type: str
    visa_valid_until: date
    arrival: date
    expected_departure: date
    departed_on: date | None
    checked_at: datetime | None
    check_note: str
    next_due_at: datetime | None
    flags: list[str]
    reported_at: datetime

    @staticmethod
    def resolve_state_label(obj):
        return str(obj.get_state_display())

    @staticmethod
    def resolve_address(obj):
        return obj.address.full_name

    @staticmethod
    def resolve_reporter_name(obj):
        return str(obj.reporter_name)

    @staticmethod
    def resolve_reporter_phone(obj):
        return str(obj.reporter_phone)

    @staticmethod
    def resolve_passport_number(obj):
        return str(obj.passport_number)

    @staticmethod
    def resolve_flags(obj):
        return obj.flags()


def _stays(user):
    return ForeignerStay.objects.restrict(user).select_related("address")


@router.get("/stays", response=list[StayOut])
@paginate(PageNumberPagination)
def list_stays(request, state: str = "", flag: str = ""):
    """Foreigners' accommodation registrations; ``flag``: visa_expired, visa_expiring, overstay."""
    from datetime import timedelta

    from django.utils import timezone

    require_perm(request.user, "registry.view_foreignerstay")
    rows = _stays(request.user).order_by("-reported_at", "-id")
    if state:
        rows = rows.filter(state=state)
    if flag:
        if flag not in STAY_FLAGS:
            raise ServiceError(_("未知的标记"), code="invalid_flag")
        today = timezone.localdate()
        rows = rows.exclude(state=ForeignerStay.State.CANCELLED)
        rows = {
            "visa_expired": rows.filter(visa_valid_until__lt=today),
            "visa_expiring": rows.filter(
                visa_valid_until__gte=today, visa_valid_until__lte=today + timedelta(days=7)
            ),
            "overstay": rows.filter(expected_departure__lt=today),
        }[flag]
    return rows


@router.get("/stays/{stay_id}", response=StayOut)
def get_stay(request, stay_id: int):
    return authorize_api(request, _stays(request.user), stay_id, perm="registry.view_foreignerstay")


def _stay_for(request, stay_id):
    return authorize_api(request, _stays(request.user), stay_id, perm="registry.view_foreignerstay")


# One operation per action of ``registry.actions.registry`` (check, cancel), each with its own
# request body in the OpenAPI; the record loaded in the caller's jurisdiction (404 otherwise), the
# action's permission checked by the registry, state and the rest on the locked row (409).
stay_actions.add_api_operations(
    router,
    id_param="stay_id",
    load=_stay_for,
    respond=lambda request, pk, stay: _stay_for(request, pk),
    response=StayOut,
    unknown=True,  # any other name: 404 out of scope, else 400 naming the actions there are
)
