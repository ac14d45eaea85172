"""Staff pages for base information: search, one place's file (一张档), person, house, unit pages,
forms to add addresses, houses, tenants, people and units. Views only call services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.core.authz import authorize
from fengqiao.core.dbrouting import on_replica
from fengqiao.core.errors import NotFound, ServiceError
from fengqiao.core.throttle import Throttle, client_ip
from fengqiao.org.models import Place
from fengqiao.risks import services as risk_services
from fengqiao.web.lists import export_list, staff_list, wants_export

from . import importer, services
from . import search as finder
from .lists import FLAG_LABELS, StayFilter, StayTable, stay_facets
from .models import Address, ForeignerStay, House, ImportJob, Person, PersonTag, Unit


def _perm(user, perm):
    if not user.has_perm(perm):
        raise PermissionDenied


def _scoped(model, request, pk, action="view"):
    try:
        return model.objects.get_scoped(request.user, action, pk=pk)
    except NotFound:
        raise Http404 from None


def _post_only(request):
    """Writes answer 405 to GET, but only after the scope check (out of scope is 404 first)."""
    if request.method != "POST":
        raise MethodNotAllowed


class MethodNotAllowed(ServiceError):
    status = 405
    code = "method_not_allowed"

    def __init__(self):
        super().__init__(_("请通过表单提交"))


def _grids(user):
    return (
        Place.objects.restrict(user).filter(level__gte=Place.Level.VILLAGE).order_by("path")[:500]
    )


@authorize(perm="registry.view_person")
@on_replica
def search(request):
    """Find a person, house, unit or address by name, ID number, phone or address."""
    q = request.GET.get("q", "").strip()
    kind = request.GET.get("kind", "all")
    results = finder.search(request.user, q, kind=kind) if q else None
    return render(
        request,
        "registry/search.html",
        {
            "q": q,
            "kind": kind,
            "results": results,
            "top_addresses": Address.objects.restrict(request.user)
            .filter(parent__isnull=True)
            .select_related("place")[:100],
        },
    )


@authorize(Address.objects.select_related("place", "station"), perm="registry.view_address")
def address_detail(request, address):
    """一张档: everything at this address and below it."""
    data = services.place_file(request.user, address)
    people = list(data["people"][:200])
    tags = {}
    for person in people:
        tags[person.pk] = services.visible_tags(request.user, person)
    for person in people:
        person.shown_tags = tags[person.pk]
    data["people"] = people
    data["houses"] = list(data["houses"][:200])
    data["units"] = list(data["units"][:200])
    data["stays"] = list(data["stays"][:100])
    data["chain"] = address.chain()
    data["levels"] = [
        (value, label) for value, label in Address.Level.choices if value > address.level
    ]
    return render(request, "registry/address.html", data)


@login_required
def address_new(request):
    _perm(request.user, "registry.add_address")
    parent_id = request.GET.get("parent") or request.POST.get("parent") or ""
    parent = _scoped(Address, request, parent_id) if parent_id else None
    form = request.POST
    if request.method == "POST":
        place = None
        if parent is None:
            place = Place.objects.restrict(request.user).filter(pk=form.get("place") or 0).first()
            if place is None and form.get("place"):
                raise Http404
        try:
            address = services.create_address(
                request.user,
                name=form.get("name"),
                level=form.get("level"),
                place=place,
                parent=parent,
                code=form.get("code", ""),
                centre_lat=form.get("centre_lat"),
                centre_lng=form.get("centre_lng"),
                started_on=form.get("started_on"),
            )
        except ServiceError as exc:
            messages.error(request, exc.message)
            status = exc.status
        else:
            messages.success(request, _("已添加地址：%(name)s") % {"name": address.full_name})
            return redirect("registry:address", pk=address.pk)
    else:
        status = 200
    levels = [
        (value, label)
        for value, label in Address.Level.choices
        if parent is None or value > parent.level
    ]
    return render(
        request,
        "registry/address_form.html",
        {"parent": parent, "places": _grids(request.user), "levels": levels, "form": form},
        status=status,
    )


@authorize(Address, perm="registry.change_address", action="change")
def address_retire(request, address):
    _post_only(request)
    services.retire_address(request.user, address, on=request.POST.get("on"))
    messages.success(request, _("地址已停用"))
    return redirect("registry:address", pk=address.pk)


PERSON_KEYS = (
    "name",
    "id_number",
    "phone",
    "birth_date",
    "sex",
    "registered_address",
    "residence",
    "inflow_reason",
    "inflow_date",
    "intended_stay",
    "note",
)


@login_required
def person_new(request):
    _perm(request.user, "registry.add_person")
    address_id = request.GET.get("address") or request.POST.get("address")
    address = _scoped(Address, request, address_id or 0)
    house_id = request.GET.get("house") or request.POST.get("house")
    house = _scoped(House, request, house_id) if house_id else None
    status = 200
    if request.method == "POST":
        data = {k: request.POST.get(k, "") for k in PERSON_KEYS}
        try:
            person = services.register_person(
                request.user, address=address, tags=request.POST.getlist("tags"), **data
            )
            if house is not None and house.is_rental:
                services.add_tenant(
                    request.user, house, person, moved_in=request.POST.get("moved_in")
                )
        except ServiceError as exc:
            messages.error(request, exc.message)
            status = exc.status
        else:
            messages.success(request, _("已登记：%(name)s") % {"name": person})
            if house is not None:
                return redirect("registry:house", pk=house.pk)
            return redirect("registry:person", pk=person.pk)
    return render(
        request,
        "registry/person_form.html",
        {
            "address": address,
            "house": house,
            "form": request.POST,
            "residences": Person.Residence.choices,
            "sexes": Person.Sex.choices,
            "tags": [
                (c, label)
                for c, label in PersonTag.Code.choices
                if services.tag_allowed(request.user, c)
            ],
        },
        status=status,
    )


@authorize(
    Person.objects.select_related("address", "place", "household", "work_unit"),
    perm="registry.view_person",
)
def person_detail(request, person):
    tags = services.visible_tags(request.user, person)
    return render(
        request,
        "registry/person.html",
        {
            "person": person,
            "tags": tags,
            "can_reveal": request.user.has_perm("core.reveal_personal_data"),
            "tag_choices": [
                (c, label)
                for c, label in PersonTag.Code.choices
                if services.tag_allowed(request.user, c)
            ],
            "tenancies": person.tenancies.select_related("house__address"),
            "members": person.household.members.all() if person.household_id else [],
            # The risks this resident is involved in, as far as the reader may see risks.
            "risks": risk_services.risks_of_person(request.user, person),
        },
    )


@authorize(Person, perm="registry.change_person", action="change")
def person_tag(request, person):
    _post_only(request)
    if request.POST.get("remove"):
        services.remove_tag(request.user, person, request.POST["remove"])
    else:
        services.add_tag(
            request.user, person, request.POST.get("code"), note=request.POST.get("note", "")
        )
    return redirect("registry:person", pk=person.pk)


HOUSE_KEYS = (
    "use",
    "ownership",
    "structure",
    "area",
    "rooms",
    "owner_name",
    "manager_name",
    "is_rental",
    "lease_filing_number",
    "max_occupants",
    "rent",
    "hazard",
    "pledge_signed",
)


@login_required
def house_new(request):
    _perm(request.user, "registry.add_house")
    address = _scoped(
        Address, request, request.GET.get("address") or request.POST.get("address") or 0
    )
    status = 200
    if request.method == "POST":
        try:
            house = services.register_house(
                request.user,
                address=address,
                **{k: request.POST.get(k, "") for k in HOUSE_KEYS},
            )
        except ServiceError as exc:
            messages.error(request, exc.message)
            status = exc.status
        else:
            messages.success(request, _("已登记房屋"))
            return redirect("registry:house", pk=house.pk)
    return render(
        request,
        "registry/house_form.html",
        {
            "address": address,
            "form": request.POST,
            "uses": House.Use.choices,
            "ownerships": House.Ownership.choices,
            "structures": House.Structure.choices,
            "hazards": House.Hazard.choices,
        },
        status=status,
    )


@authorize(House.objects.select_related("address", "owner", "landlord"), perm="registry.view_house")
def house_detail(request, house):
    tenancies = list(house.tenancies.select_related("person"))
    return render(
        request,
        "registry/house.html",
        {
            "house": house,
            "tenancies": tenancies,
            "current": [t for t in tenancies if t.moved_out is None],
            "overcrowded": services.overcrowded(house),
        },
    )


@authorize(House, perm="registry.change_house", action="change")
def tenancy_end(request, house, tenancy_id):
    _post_only(request)
    tenancy = house.tenancies.filter(pk=tenancy_id).first()
    if tenancy is None:
        raise Http404
    services.end_tenancy(request.user, tenancy, moved_out=request.POST.get("moved_out"))
    messages.success(request, _("已登记搬离"))
    return redirect("registry:house", pk=house.pk)


UNIT_KEYS = (
    "name",
    "kind",
    "licence_code",
    "org_code",
    "legal_representative",
    "staff_count",
    "security_contact",
    "security_phone",
    "fire_level",
    "protective_measures",
)


@login_required
def unit_new(request):
    _perm(request.user, "registry.add_unit")
    address = _scoped(
        Address, request, request.GET.get("address") or request.POST.get("address") or 0
    )
    status = 200
    if request.method == "POST":
        try:
            unit = services.register_unit(
                request.user, address=address, **{k: request.POST.get(k, "") for k in UNIT_KEYS}
            )
        except ServiceError as exc:
            messages.error(request, exc.message)
            status = exc.status
        else:
            messages.success(request, _("已登记单位"))
            return redirect("registry:unit", pk=unit.pk)
    return render(
        request,
        "registry/unit_form.html",
        {
            "address": address,
            "form": request.POST,
            "kinds": Unit.Kind.choices,
            "fire_levels": Unit.FireLevel.choices,
        },
        status=status,
    )


@authorize(Unit.objects.select_related("address"), perm="registry.view_unit")
def unit_detail(request, unit):
    return render(
        request,
        "registry/unit.html",
        {
            "unit": unit,
            "can_reveal": request.user.has_perm("core.reveal_personal_data"),
            # The risks this unit is involved in, as far as the reader may see risks.
            "risks": risk_services.risks_of_unit(request.user, unit),
        },
    )


def _url(name, **kwargs):
    return reverse(f"registry:{name}", kwargs=kwargs)


# -- import and export ----------------------------------------------------------------------------
def _xlsx_response(content, filename):
    response = HttpResponse(
        content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@authorize(perm="registry.import_registry")
def imports(request):
    """Upload an Excel file (dry run first); my recent import jobs."""
    status = 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, _("请选择要导入的 Excel 文件"))
            status = 400
        else:
            try:
                job = importer.start_import(
                    request.user,
                    request.POST.get("kind", ""),
                    upload,
                    dry_run=bool(request.POST.get("dry_run")),
                )
            except ServiceError as exc:
                messages.error(request, exc.message)
                status = exc.status
            else:
                return redirect("registry:import_job", pk=job.pk)
    jobs = ImportJob.objects.filter(created_by=request.user)[:20]
    return render(
        request,
        "registry/imports.html",
        {"jobs": jobs, "kinds": ImportJob.Kind.choices, "columns": importer.COLUMNS},
        status=status,
    )


def _job(request, pk):
    job = ImportJob.objects.filter(pk=pk, created_by=request.user).first()
    if job is None:
        raise Http404
    return job


@authorize(perm="registry.import_registry")
def import_job(request, pk):
    job = _job(request, pk)
    template = "registry/_import_progress.html" if request.htmx else "registry/import_job.html"
    return render(request, template, {"job": job, "errors": job.errors[:500]})


@authorize(perm="registry.import_registry")
def import_report(request, pk):
    job = _job(request, pk)
    return _xlsx_response(importer.error_report(job), f"import-{job.pk}-report.xlsx")


@authorize(perm="registry.import_registry")
def import_template(request):
    kind = request.GET.get("kind", "people")
    if kind not in importer.COLUMNS:
        raise Http404
    return _xlsx_response(importer.template(kind), f"{kind}-template.xlsx")


@authorize(perm="registry.export_registry")
def export(request):
    """GET ?kind=…: the masked export; POST with clear=1 and a reason: the unmasked one."""
    kind = request.POST.get("kind") or request.GET.get("kind")
    if kind:
        clear = request.method == "POST" and bool(request.POST.get("clear"))
        content = importer.export_xlsx(
            request.user, kind, clear=clear, reason=request.POST.get("reason", "")
        )
        suffix = "clear" if clear else "masked"
        return _xlsx_response(content, f"{kind}-{timezone.localdate():%Y%m%d}-{suffix}.xlsx")
    return render(request, "registry/export.html", {"kinds": ImportJob.Kind.choices})


# -- foreigners' stays ----------------------------------------------------------------------------
STAY_KEYS = (
    "surname",
    "given_name",
    "sex",
    "birth_date",
    "nationality",
    "passport_number",
    "visa_type",
    "visa_valid_until",
    "arrival",
    "expected_departure",
    "reporter_kind",
    "reporter_name",
    "reporter_phone",
)


def _stay_form_context(address, form, public):
    return {
        "address": address,
        "form": form,
        "reporters": ForeignerStay.Reporter.choices,
        "sexes": Person.Sex.choices,
        "public": public,
    }


@authorize(perm="registry.view_foreignerstay")
def stays(request):
    """境外人员住宿登记 on the shared list component: to check first, then by deadline; filters
    with counts (state, flags, nationality, overdue check); the filtered list as masked xlsx."""
    rows = (
        ForeignerStay.objects.restrict(request.user)
        .select_related("address")
        .order_by("state", "next_due_at", "-id")
    )
    if wants_export(request):
        return export_list(
            request,
            StayTable,
            rows,
            filterset_class=StayFilter,
            kind="registry.stays",
            filename="stays.xlsx",
        )
    listing = staff_list(
        request, StayTable, rows, filterset_class=StayFilter, facets=stay_facets(), exportable=True
    )
    return render(request, "registry/stays.html", {"listing": listing})


@authorize(perm="registry.add_foreignerstay")
def stay_new(request):
    address = _scoped(
        Address, request, request.GET.get("address") or request.POST.get("address") or 0
    )
    status = 200
    if request.method == "POST":
        try:
            stay = services.report_stay(
                address, {k: request.POST.get(k, "") for k in STAY_KEYS}, actor=request.user
            )
        except ServiceError as exc:
            messages.error(request, exc.message)
            status = exc.status
        else:
            messages.success(request, _("已登记：%(number)s") % {"number": stay.number})
            return redirect("registry:stay", pk=stay.pk)
    return render(
        request,
        "registry/stay_form.html",
        _stay_form_context(address, request.POST, False),
        status=status,
    )


def _stay_timeline(stay, timeline):
    """The stay's record with verbs, states, "system" and system notes in the reader's language."""
    from django.utils.translation import gettext_lazy

    from fengqiao.core.messages import label_entries

    from .workflow import flow

    return label_entries(
        timeline(stay),
        flow,
        extra={"escalate": gettext_lazy("超期提醒")},
        states=dict(ForeignerStay.State.choices),
    )


@authorize(
    ForeignerStay.objects.select_related("address", "checked_by"),
    perm="registry.view_foreignerstay",
)
def stay_detail(request, stay):
    return render(request, "registry/stay.html", _stay_context(request, stay))


def _stay_context(request, stay):
    from fengqiao.core.workflow import open_deadlines, timeline

    from .actions import registry

    stay.flag_labels = [FLAG_LABELS[f] for f in stay.flags()]
    return {
        "stay": stay,
        "timeline": _stay_timeline(stay, timeline),
        "deadlines": open_deadlines(stay),
        "can_reveal": request.user.has_perm("core.reveal_personal_data"),
        "actions": registry.available(stay, request.user),  # the buttons, from the registry
    }


@authorize(ForeignerStay, perm="registry.view_foreignerstay")
def stay_act(request, stay, action):
    """The stay page's forms post here (``registry.actions.registry``: permission, input,
    service, on the locked row); a GET is 405 (after the scope check). A refusal shows on the
    page with its status (409 for a stay no longer in a state that allows it)."""
    from .actions import registry

    _post_only(request)
    try:
        registry.handle_form(request, stay, action)
    except ServiceError as exc:
        if exc.status == 404:
            raise Http404 from None
        messages.error(request, exc.message)
        stay = (
            ForeignerStay.objects.restrict(request.user)
            .select_related("address", "checked_by")
            .get(pk=stay.pk)
        )
        return render(
            request, "registry/stay.html", _stay_context(request, stay), status=exc.status
        )
    messages.success(request, _("已记录现场核查") if action == "check" else _("已注销"))
    return redirect("registry:stay", pk=stay.pk)


# -- door plates (QR) and the public page of a place ----------------------------------------------
PUBLIC_REPORTS = Throttle("registry.stay.public", limit=20, window=3600)


def _public_url(request, address):
    return request.build_absolute_uri(reverse("registry:public_place", args=[address.qr_token]))


@authorize(Address.objects.select_related("place"), perm="registry.view_address")
def doorplate(request, address):
    """A printable door plate with the QR code of this building or room."""
    from fengqiao.cases.posters import qr_svg

    rooms = []
    if address.level == Address.Level.BUILDING and request.GET.get("rooms"):
        rooms = [
            (room, qr_svg(_public_url(request, room), scale=3))
            for room in services.address_subtree(address).filter(
                level=Address.Level.ROOM, in_use=True
            )[:200]
        ]
    return render(
        request,
        "registry/doorplate.html",
        {
            "address": address,
            "url": _public_url(request, address),
            "svg": qr_svg(_public_url(request, address), scale=6),
            "rooms": rooms,
        },
    )


def _public_address(token):
    address = (
        Address.objects.select_related("place").filter(qr_token=token, in_use=True).first()
        if token
        else None
    )
    if address is None:
        raise Http404
    return address


def public_place(request, token):
    """The resident page of a place, opened from its door-plate QR code. Shows only the address
    and what residents may do there; never any personal data."""
    address = _public_address(token)
    return render(request, "registry/public_place.html", {"address": address, "token": token})


def public_stay(request, token):
    """A landlord or hotel reports a foreign guest online (Chinese or English form)."""
    address = _public_address(token)
    status = 200
    if request.method == "POST":
        PUBLIC_REPORTS.consume(client_ip(request) or "unknown")
        try:
            stay = services.report_stay(address, {k: request.POST.get(k, "") for k in STAY_KEYS})
        except ServiceError as exc:
            messages.error(request, exc.message)
            status = exc.status
        else:
            return render(request, "registry/public_stay_done.html", {"stay": stay})
    return render(
        request,
        "registry/stay_form.html",
        _stay_form_context(address, request.POST, True),
        status=status,
    )
