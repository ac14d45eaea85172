"""The only writers of base information (一标三实). Views, the JSON API, the Excel importer and the
demo call these functions; each checks permission and jurisdiction and raises ``core.errors``.

Validation lives in small ``clean_*`` helpers that the importer reuses row by row, so a web form, an
API call and an Excel row are refused with the same message.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengqiao.cases.models import Case
from fengqiao.core import audit, pii
from fengqiao.core.errors import Conflict, Forbidden, NotFound, ServiceError
from fengqiao.disputes.models import Dispute
from fengqiao.fieldwork.models import Visit
from fengqiao.org.models import Place, Station

from .models import Address, ForeignerStay, House, Household, Person, PersonTag, Tenancy, Unit

CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CODE_RE = re.compile(r"^[0-9A-Za-z-]{1,40}$")

# Special-group tags (等保 mandatory access): the label (permission) a user must hold to see or set one.
SENSITIVE_TAGS = {
    PersonTag.Code.KEY_PERSON: "registry.label_key_person",
    PersonTag.Code.COMMUNITY_CORRECTION: "registry.label_correction",
    PersonTag.Code.RELEASED_PRISONER: "registry.label_released",
    PersonTag.Code.SEVERE_MENTAL: "registry.label_mental",
    PersonTag.Code.ELDERLY_ALONE: "registry.label_care",
    PersonTag.Code.DISABLED: "registry.label_care",
    PersonTag.Code.LEFT_BEHIND_CHILD: "registry.label_care",
}


# -- validation helpers ---------------------------------------------------------------------------
def clean_text(value, *, field, required=False, max_length=200):
    text = CONTROL_CHARS.sub("", str(value if value is not None else "")).strip()
    if required and not text:
        raise ServiceError(
            _("请填写%(field)s") % {"field": field}, code="required", details={"field": str(field)}
        )
    if len(text) > max_length:
        raise ServiceError(
            _("%(field)s不能超过 %(n)d 个字") % {"field": field, "n": max_length},
            code="too_long",
            details={"field": str(field)},
        )
    return text


def clean_date(value, *, field, required=False, allow_future=False):
    if value in (None, ""):
        if required:
            raise ServiceError(
                _("请填写%(field)s") % {"field": field},
                code="required",
                details={"field": str(field)},
            )
        return None
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        text = str(value).strip().replace("/", "-").replace(".", "-")
        try:
            value = date.fromisoformat(text)
        except ValueError:
            raise ServiceError(
                _("%(field)s不是有效日期：%(value)s") % {"field": field, "value": text[:20]},
                code="invalid_date",
                details={"field": str(field)},
            ) from None
    if value.year < 1900:
        raise ServiceError(
            _("%(field)s不是有效日期：%(value)s") % {"field": field, "value": value},
            code="invalid_date",
            details={"field": str(field)},
        )
    if not allow_future and value > timezone.localdate():
        raise ServiceError(
            _("%(field)s不能晚于今天") % {"field": field},
            code="future_date",
            details={"field": str(field)},
        )
    return value


def clean_decimal(value, *, field, max_value=Decimal("9999999")):
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ServiceError(
            _("%(field)s应为数字") % {"field": field},
            code="invalid_number",
            details={"field": str(field)},
        ) from None
    if not number.is_finite() or number < 0 or number > max_value:
        raise ServiceError(
            _("%(field)s超出范围") % {"field": field},
            code="invalid_number",
            details={"field": str(field)},
        )
    return number.quantize(Decimal("0.01"))


def clean_int(value, *, field, default=None, max_value=100000):
    if value in (None, ""):
        return default
    try:
        number = int(str(value).strip().split(".")[0]) if not isinstance(value, int) else value
    except ValueError:
        raise ServiceError(
            _("%(field)s应为整数") % {"field": field},
            code="invalid_number",
            details={"field": str(field)},
        ) from None
    if number < 0 or number > max_value:
        raise ServiceError(
            _("%(field)s超出范围") % {"field": field},
            code="invalid_number",
            details={"field": str(field)},
        )
    return number


_CHOICE_LABELS = {}


def _choice_labels(choices):
    """value or label → value for ``choices``: the values, the labels in the active language and
    in Chinese (the spreadsheets' language); built once per language instead of translating
    every label (and listing the values) on every row."""
    key = (choices, translation.get_language())
    table = _CHOICE_LABELS.get(key)
    if table is None:
        with translation.override("zh-hans"):
            table = {str(label): value for value, label in choices.choices}
        table.update({str(label): value for value, label in choices.choices})
        table.update({value: value for value in choices.values})
        _CHOICE_LABELS[key] = table
    return table


def clean_choice(value, choices, *, field, default=None):
    value = str(value if value is not None else "").strip()
    if not value and default is not None:
        return default
    # The value itself, or its label (spreadsheets carry the Chinese labels).
    found = _choice_labels(choices).get(value)
    if found is not None:
        return found
    raise ServiceError(
        _("%(field)s的取值不正确：%(value)s") % {"field": field, "value": value[:20]},
        code="invalid_choice",
        details={"field": str(field)},
    )


def clean_bool(value):
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in ("1", "true", "yes", "on", "是", "y", "√")


def clean_coord(value, low, high, field):
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ServiceError(
            _("坐标格式不正确"), code="invalid_location", details={"field": str(field)}
        ) from None
    if not low <= number <= high:
        raise ServiceError(
            _("坐标超出范围"), code="invalid_location", details={"field": str(field)}
        )
    return number


def birth_date_from_id(id_number: str) -> date | None:
    try:
        return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        return None


def clean_id_number(value, *, required=False):
    """A GB 11643 citizen ID number: 18 characters, a real birth date, the right check digit."""
    number = pii.normalise(str(value or ""), "id_number")
    if not number:
        if required:
            raise ServiceError(
                _("请填写公民身份号码"), code="required", details={"field": "id_number"}
            )
        return ""
    if not pii.ID_NUMBER_RE.match(number):
        raise ServiceError(
            _("公民身份号码应为18位（末位可为X）"),
            code="invalid_id_number",
            details={"field": "id_number"},
        )
    born = birth_date_from_id(number)
    if born is None or born > timezone.localdate() or born.year < 1900:
        raise ServiceError(
            _("公民身份号码中的出生日期不存在"),
            code="invalid_id_number",
            details={"field": "id_number"},
        )
    if not pii.valid_id_number(number):
        raise ServiceError(
            _("公民身份号码校验位不正确，请核对"),
            code="invalid_id_number",
            details={"field": "id_number"},
        )
    return number


def clean_phone(value):
    phone = pii.normalise(str(value or ""), "phone")
    if not phone:
        return ""
    if not pii.valid_phone(str(value)):
        raise ServiceError(
            _("电话号码格式不正确"), code="invalid_phone", details={"field": "phone"}
        )
    return phone


def _need(actor, perm):
    if not actor.has_perm(perm):
        raise Forbidden(_("您没有此项操作的权限"))


def _check_place(actor, place):
    """The place must be a village or grid inside the actor's jurisdiction."""
    if place is None:
        raise ServiceError(_("请选择所属网格"), code="required", details={"field": "place"})
    if place.level < Place.Level.VILLAGE:
        raise ServiceError(
            _("地址须挂在村（社区）或网格下"), code="invalid_place", details={"field": "place"}
        )
    if not actor.covers(place):
        raise Forbidden(
            _("“%(place)s”不在您的辖区内") % {"place": place.name}, code="out_of_jurisdiction"
        )


def _scoped_address(actor, address):
    """An address the actor may write to (re-read in scope; retired ones refused)."""
    if not isinstance(address, Address):
        try:
            pk = int(address)
        except (TypeError, ValueError):
            raise ServiceError(
                _("请选择地址"), code="required", details={"field": "address"}
            ) from None
        address = Address.objects.select_related("place").filter(pk=pk).first()
        if address is None:
            raise NotFound(_("地址不存在或无权访问"))
    if not actor.covers(address.place):
        raise Forbidden(
            _("地址“%(address)s”不在您的辖区内") % {"address": address.full_name},
            code="out_of_jurisdiction",
        )
    if not address.in_use:
        raise ServiceError(
            _("地址“%(address)s”已停用") % {"address": address.full_name}, code="address_retired"
        )
    return address


def _place_prefix(place):
    """Town + village names, the part of a written address above the road."""
    names, node = [], place
    while node is not None and node.level >= Place.Level.TOWN:
        if node.level <= Place.Level.VILLAGE:
            names.append(node.name)
        node = node.parent
    return "".join(reversed(names))


# -- standard addresses ---------------------------------------------------------------------------
@transaction.atomic
def create_address(
    actor,
    *,
    name,
    level,
    place=None,
    parent=None,
    code="",
    station=None,
    centre_lat=None,
    centre_lng=None,
    started_on=None,
):
    _need(actor, "registry.add_address")
    name = clean_text(name, field=_("名称"), required=True, max_length=100)
    try:
        level = int(level)
        Address.Level(level)
    except (TypeError, ValueError):
        raise ServiceError(
            _("地址层级不正确"), code="invalid_level", details={"field": "level"}
        ) from None
    if parent is not None:
        parent = _scoped_address(actor, parent)
        if level <= parent.level:
            raise ServiceError(
                _("下级地址的层级必须低于上级（%(parent)s）")
                % {"parent": parent.get_level_display()},
                code="invalid_level",
                details={"field": "level"},
            )
        place = parent.place
    else:
        _check_place(actor, place)
    code = clean_text(code, field=_("地址编码"), max_length=40)
    if code and not CODE_RE.match(code):
        raise ServiceError(
            _("地址编码只能包含数字、字母和连字符"), code="invalid_code", details={"field": "code"}
        )
    if isinstance(station, (int, str)) and station not in ("", None):
        station = Station.objects.filter(pk=station).first()
    address = Address(
        name=name,
        level=level,
        parent=parent,
        place=place,
        code=code or f"T{timezone.now():%y%m%d%H%M%S%f}",
        station=station or (parent.station if parent else None),
        centre_lat=clean_coord(centre_lat, -90, 90, "centre_lat"),
        centre_lng=clean_coord(centre_lng, -180, 180, "centre_lng"),
        started_on=clean_date(started_on, field=_("启用日期"), allow_future=True),
        full_name=(parent.full_name if parent else _place_prefix(place)) + name,
    )
    if Address.objects.filter(code=address.code).exists():
        raise Conflict(
            _("地址编码 %(code)s 已存在") % {"code": address.code}, code="duplicate_code"
        )
    if Address.objects.filter(parent=parent, place=place, name=name, in_use=True).exists():
        raise Conflict(
            _("同一上级下已有在用地址“%(name)s”") % {"name": name}, code="duplicate_address"
        )
    address.save()
    if not code:
        address.code = (parent.code if parent else place.code) + f"-{address.pk}"
    address.tree_path = (parent.tree_path if parent else "/") + f"{address.pk}/"
    address.save(update_fields=["code", "tree_path"])
    audit.record("registry.address.create", user=actor, target=address)
    return address


@transaction.atomic
def retire_address(actor, address, *, on=None):
    """Mark an address (and every element below it) retired; records stay linked to it."""
    _need(actor, "registry.change_address")
    address = _scoped_address(actor, address)
    on = clean_date(on, field=_("停用日期"), allow_future=True) or timezone.localdate()
    if address.started_on and on < address.started_on:
        raise ServiceError(_("停用日期不能早于启用日期"), code="invalid_date")
    count = Address.objects.filter(tree_path__startswith=address.tree_path, in_use=True).update(
        in_use=False, retired_on=on
    )
    audit.record("registry.address.retire", user=actor, target=address, data={"count": count})
    address.refresh_from_db()
    return address


def address_subtree(address):
    return Address.objects.filter(tree_path__startswith=address.tree_path)


# -- people ---------------------------------------------------------------------------------------
PERSON_FIELDS = (
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
    "relation",
    "note",
)


# The field labels of a person, translated only when a message needs one (the importer cleans
# tens of thousands of rows, most of them without an error).
_F_NAME = gettext_lazy("姓名")
_F_RESIDENCE = gettext_lazy("人口类型")
_F_BIRTH_DATE = gettext_lazy("出生日期")
_F_SEX = gettext_lazy("性别")
_F_REGISTERED_ADDRESS = gettext_lazy("户籍地址")
_F_INFLOW_REASON = gettext_lazy("流入原因")
_F_INTENDED_STAY = gettext_lazy("拟居住期限")
_F_NOTE = gettext_lazy("备注")
_F_INFLOW_DATE = gettext_lazy("流入日期")
_F_RELATION = gettext_lazy("与户主关系")


def clean_person(data, *, creating=True):
    """Validated person fields from a form, an API payload or an Excel row."""
    out = {}
    if creating or "name" in data:
        out["name"] = clean_text(data.get("name"), field=_F_NAME, required=True, max_length=50)
    residence = clean_choice(
        data.get("residence"), Person.Residence, field=_F_RESIDENCE, default="registered"
    )
    if creating or "residence" in data:
        out["residence"] = residence
    if creating or "id_number" in data:
        out["id_number"] = clean_id_number(
            data.get("id_number"), required=residence in ("registered", "floating")
        )
    if creating or "phone" in data:
        out["phone"] = clean_phone(data.get("phone"))
    if creating or "birth_date" in data:
        out["birth_date"] = clean_date(data.get("birth_date"), field=_F_BIRTH_DATE)
    id_number = out.get("id_number")
    if id_number:
        born = birth_date_from_id(id_number)
        if out.get("birth_date") and out["birth_date"] != born:
            raise ServiceError(
                _("出生日期与公民身份号码不一致"),
                code="birth_date_mismatch",
                details={"field": "birth_date"},
            )
        out["birth_date"] = born
        out["sex"] = "m" if int(id_number[16]) % 2 else "f"
    elif creating or "sex" in data:
        out["sex"] = clean_choice(data.get("sex"), Person.Sex, field=_F_SEX, default="")
    for key, label, length in (
        ("registered_address", _F_REGISTERED_ADDRESS, 200),
        ("inflow_reason", _F_INFLOW_REASON, 100),
        ("intended_stay", _F_INTENDED_STAY, 50),
        ("note", _F_NOTE, 2000),
    ):
        if creating or key in data:
            out[key] = clean_text(data.get(key), field=label, max_length=length)
    if creating or "inflow_date" in data:
        out["inflow_date"] = clean_date(data.get("inflow_date"), field=_F_INFLOW_DATE)
    if creating or "relation" in data:
        out["relation"] = clean_choice(
            data.get("relation"), Person.Relation, field=_F_RELATION, default=""
        )
    if out.get("residence") == "floating" and not out.get("inflow_date") and creating:
        out["inflow_date"] = timezone.localdate()
    return out


def duplicate_of(id_number):
    if not id_number:
        return None
    return Person.objects.filter(id_hash=pii.blind_index(id_number, "id_number")).first()


def _duplicate_error(existing, actor):
    if existing is not None and actor.covers(existing.place):
        message = _("该公民身份号码已登记：%(name)s（%(address)s）") % {
            "name": existing,
            "address": existing.address.full_name,
        }
        return Conflict(message, code="duplicate_person", details={"person_id": existing.pk})
    return Conflict(
        _("该公民身份号码已在其他辖区登记，请联系现住地网格员办理迁移"), code="duplicate_person"
    )


def register_person(actor, *, address, tags=(), household=None, work_unit=None, **data):
    _need(actor, "registry.add_person")
    tags = [check_tag(actor, code) for code in tags]
    return _register_person(actor, address, tags, household, work_unit, data)


@transaction.atomic
def _register_person(actor, address, tags, household, work_unit, data):
    address = _scoped_address(actor, address)
    fields = clean_person(data)
    existing = duplicate_of(fields.get("id_number"))
    if existing is not None:
        raise _duplicate_error(existing, actor)
    person = Person(address=address, place=address.place, **fields)
    if household is not None:
        person.household = household
    if work_unit is not None:
        person.work_unit = get_unit(actor, work_unit)
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError:
        raise _duplicate_error(duplicate_of(fields.get("id_number")), actor) from None
    for code in tags:
        _add_tag(actor, person, code, "")
    audit.record("registry.person.create", user=actor, target=person)
    return person


@transaction.atomic
def update_person(actor, person, **data):
    _need(actor, "registry.change_person")
    person = Person.objects.select_for_update().get_scoped(actor, "change", pk=person.pk)
    fields = clean_person(data, creating=False)
    if fields.get("id_number") and fields["id_number"] != pii.clear_value(person.id_number):
        existing = duplicate_of(fields["id_number"])
        if existing is not None and existing.pk != person.pk:
            raise _duplicate_error(existing, actor)
    if "address" in data and data["address"] not in (None, ""):
        address = _scoped_address(actor, data["address"])
        person.address = address
        person.place = address.place
    before = {k: str(getattr(person, k)) for k in fields}
    for key, value in fields.items():
        setattr(person, key, value)
    person.save()
    changed = sorted(k for k in fields if str(getattr(person, k)) != before[k])
    audit.record("registry.person.update", user=actor, target=person, data={"fields": changed})
    return person


def get_person(actor, pk, action="view"):
    _need(actor, "registry.view_person")
    return Person.objects.select_related("address", "place", "household", "work_unit").get_scoped(
        actor, action, pk=pk
    )


def tag_allowed(user, code) -> bool:
    perm = SENSITIVE_TAGS.get(code)
    return perm is None or user.has_perm(perm)


def check_tag(actor, code, person=None):
    """A valid tag code the actor holds the label for; a refusal is audited (outside any
    transaction that would roll the audit row back)."""
    code = clean_choice(code, PersonTag.Code, field=_("标签"))
    if not tag_allowed(actor, code):
        audit.record(
            "registry.label.set",
            user=actor,
            target=person,
            result="denied",
            data={"tag": code},
        )
        raise Forbidden(
            _("您没有“%(tag)s”标签的权限，不能标注") % {"tag": PersonTag.Code(code).label},
            code="label_required",
        )
    return code


def add_tag(actor, person, code, *, note=""):
    _need(actor, "registry.change_person")
    code = check_tag(actor, code, person)
    return _add_tag(actor, person, code, note)


@transaction.atomic
def _add_tag(actor, person, code, note):
    tag, created = PersonTag.objects.get_or_create(
        person=person,
        code=code,
        defaults={"note": clean_text(note, field=_("说明")), "created_by": actor},
    )
    if code in SENSITIVE_TAGS:
        audit.record("registry.label.set", user=actor, target=person, data={"tag": code})
    return tag


@transaction.atomic
def remove_tag(actor, person, code):
    _need(actor, "registry.change_person")
    if not tag_allowed(actor, code):
        raise Forbidden(_("您没有该标签的权限"), code="label_required")
    deleted, _n = PersonTag.objects.filter(person=person, code=code).delete()
    if deleted and code in SENSITIVE_TAGS:
        audit.record("registry.label.remove", user=actor, target=person, data={"tag": code})
    return deleted


def visible_tags(user, person, *, audit_view=True):
    """The person's tags this user may see. Seeing any labelled tag is audited."""
    tags = [t for t in person.tags.all() if tag_allowed(user, t.code)]
    sensitive = [t.code for t in tags if t.code in SENSITIVE_TAGS]
    if sensitive and audit_view:
        audit.record("registry.label.view", user=user, target=person, data={"tags": sensitive})
    return tags


def attach_visible_tags(user, people):
    """Set ``shown_tags`` on each person (one query); one audit row lists the people whose
    labelled tags were shown."""
    people = list(people)
    by_person = {p.pk: [] for p in people}
    for tag in PersonTag.objects.filter(person_id__in=by_person).order_by("id"):
        if tag_allowed(user, tag.code):
            by_person[tag.person_id].append(tag)
    shown = {}
    for person in people:
        person.shown_tags = by_person[person.pk]
        labelled = [t.code for t in person.shown_tags if t.code in SENSITIVE_TAGS]
        if labelled:
            shown[str(person.pk)] = labelled
    if shown:
        audit.record(
            "registry.label.view",
            user=user,
            target=("registry.person", ",".join(list(shown)[:20]), f"{len(shown)} people"),
            data={"tags": shown},
        )
    return people


class TaggedPeople:
    """A person queryset for paginated lists: labelled tags are attached (and audited) only for
    the page actually returned."""

    def __init__(self, user, rows):
        self.user, self.rows = user, rows

    def __len__(self):
        return len(self.rows) if isinstance(self.rows, list) else self.rows.count()

    def __getitem__(self, index):
        return attach_visible_tags(self.user, self.rows[index])


def visible_tag_codes(user):
    """Tag codes the user may see (for filters and lists)."""
    return [c for c in PersonTag.Code.values if tag_allowed(user, c)]


@transaction.atomic
def set_household(actor, person, *, head=None, relation="", number=""):
    """Put ``person`` in ``head``'s household (or start one with ``person`` as head)."""
    _need(actor, "registry.change_person")
    relation = clean_choice(relation, Person.Relation, field=_("与户主关系"), default="")
    if head is None or head.pk == person.pk:
        household = person.household or Household.objects.create(
            address=person.address, place=person.place, number=clean_text(number, field=_("户号"))
        )
        person.household, person.relation = household, "head"
    else:
        if not actor.covers(head.place):
            raise Forbidden(_("户主不在您的辖区内"), code="out_of_jurisdiction")
        if head.household is None:
            set_household(actor, head)
            head.refresh_from_db()
        if relation in ("", "head"):
            raise ServiceError(
                _("请选择与户主关系"), code="required", details={"field": "relation"}
            )
        person.household, person.relation = head.household, relation
    person.save(update_fields=["household", "relation", "updated_at"])
    return person


# -- units ----------------------------------------------------------------------------------------
def clean_unit(data):
    return {
        "name": clean_text(data.get("name"), field=_("单位名称"), required=True, max_length=150),
        "kind": clean_choice(data.get("kind"), Unit.Kind, field=_("类型"), default="other"),
        "licence_code": clean_text(data.get("licence_code"), field=_("执照号"), max_length=32),
        "org_code": clean_text(data.get("org_code"), field=_("组织机构代码"), max_length=32),
        "legal_representative": clean_text(
            data.get("legal_representative"), field=_("法定代表人"), max_length=50
        ),
        "staff_count": clean_int(data.get("staff_count"), field=_("从业人数"), default=0),
        "security_contact": clean_text(
            data.get("security_contact"), field=_("治安负责人"), max_length=50
        ),
        "security_phone": clean_phone(data.get("security_phone")),
        "fire_level": clean_choice(
            data.get("fire_level"), Unit.FireLevel, field=_("消防等级"), default="general"
        ),
        "protective_measures": clean_text(
            data.get("protective_measures"), field=_("技防/物防措施"), max_length=2000
        ),
    }


@transaction.atomic
def register_unit(actor, *, address, **data):
    _need(actor, "registry.add_unit")
    address = _scoped_address(actor, address)
    unit = Unit.objects.create(address=address, place=address.place, **clean_unit(data))
    audit.record("registry.unit.create", user=actor, target=unit)
    return unit


def get_unit(actor, pk, action="view"):
    if isinstance(pk, Unit):
        pk = pk.pk
    return Unit.objects.select_related("address").get_scoped(actor, action, pk=pk)


# -- houses ---------------------------------------------------------------------------------------
def clean_house(data):
    out = {
        "use": clean_choice(data.get("use"), House.Use, field=_("用途"), default="own"),
        "ownership": clean_choice(
            data.get("ownership"), House.Ownership, field=_("产权性质"), default="private"
        ),
        "structure": clean_choice(
            data.get("structure"), House.Structure, field=_("结构"), default="concrete"
        ),
        "area": clean_decimal(data.get("area"), field=_("面积")),
        "rooms": clean_int(data.get("rooms"), field=_("房间数"), default=1, max_value=999),
        "owner_name": clean_text(data.get("owner_name"), field=_("房主姓名"), max_length=50),
        "manager_name": clean_text(data.get("manager_name"), field=_("管理人"), max_length=50),
        "is_rental": clean_bool(data.get("is_rental")) or data.get("use") == "rental",
        "lease_filing_number": clean_text(
            data.get("lease_filing_number"), field=_("租赁备案号"), max_length=40
        ),
        "max_occupants": clean_int(
            data.get("max_occupants"), field=_("最多居住人数"), max_value=999
        ),
        "rent": clean_decimal(data.get("rent"), field=_("月租金")),
        "hazard": clean_choice(
            data.get("hazard"), House.Hazard, field=_("隐患等级"), default="none"
        ),
        "pledge_signed": clean_bool(data.get("pledge_signed")),
    }
    if out["is_rental"]:
        out["use"] = "rental" if out["use"] == "own" else out["use"]
    return out


@transaction.atomic
def register_house(actor, *, address, owner=None, landlord=None, **data):
    _need(actor, "registry.add_house")
    address = _scoped_address(actor, address)
    fields = clean_house(data)
    house = House(address=address, place=address.place, **fields)
    if owner is not None:
        house.owner = get_person(actor, getattr(owner, "pk", owner))
        house.owner_name = house.owner_name or house.owner.name
    if landlord is not None:
        house.landlord = get_person(actor, getattr(landlord, "pk", landlord))
    house.save()
    audit.record("registry.house.create", user=actor, target=house)
    return house


@transaction.atomic
def update_house(actor, house, **data):
    _need(actor, "registry.change_house")
    house = House.objects.select_for_update().get_scoped(actor, "change", pk=house.pk)
    fields = clean_house(
        {**{f: getattr(house, f) for f in ("use", "ownership", "structure")}, **data}
    )
    for key in data:
        if key in fields:
            setattr(house, key, fields[key])
    house.save()
    audit.record("registry.house.update", user=actor, target=house, data={"fields": sorted(data)})
    return house


def get_house(actor, pk, action="view"):
    _need(actor, "registry.view_house")
    return House.objects.select_related("address", "owner", "landlord").get_scoped(
        actor, action, pk=pk
    )


@transaction.atomic
def add_tenant(actor, house, person, *, moved_in=None):
    """Register ``person`` as a tenant of a rental house (from ``moved_in``)."""
    _need(actor, "registry.change_house")
    house = House.objects.select_for_update().get_scoped(actor, "change", pk=house.pk)
    if not house.is_rental:
        raise ServiceError(_("该房屋不是出租房屋，不能登记租客"), code="not_rental")
    person = get_person(actor, getattr(person, "pk", person))
    moved_in = clean_date(moved_in, field=_("入住日期")) or timezone.localdate()
    if house.tenancies.filter(person=person, moved_out__isnull=True).exists():
        raise Conflict(_("该租客已在此房屋登记"), code="duplicate_tenant")
    tenancy = Tenancy.objects.create(house=house, person=person, moved_in=moved_in)
    audit.record("registry.tenant.add", user=actor, target=house, data={"person": person.pk})
    return tenancy


@transaction.atomic
def end_tenancy(actor, tenancy, *, moved_out=None):
    _need(actor, "registry.change_house")
    house = House.objects.select_for_update().get_scoped(actor, "change", pk=tenancy.house_id)
    tenancy = house.tenancies.get(pk=tenancy.pk)
    if tenancy.moved_out is not None:
        raise Conflict(_("该租客已登记搬离"), code="already_moved_out")
    moved_out = clean_date(moved_out, field=_("搬离日期")) or timezone.localdate()
    if moved_out < tenancy.moved_in:
        raise ServiceError(_("搬离日期不能早于入住日期"), code="invalid_date")
    tenancy.moved_out = moved_out
    tenancy.save(update_fields=["moved_out"])
    audit.record(
        "registry.tenant.end", user=actor, target=house, data={"person": tenancy.person_id}
    )
    return tenancy


def current_tenants(house):
    return house.tenancies.filter(moved_out__isnull=True).select_related("person")


def overcrowded(house) -> bool:
    return bool(house.max_occupants) and current_tenants(house).count() > house.max_occupants


# -- one place's file (一张档) ----------------------------------------------------------------------
def place_file(actor, address):
    """Everything recorded at ``address`` and below it: houses, people, units, stays, cases,
    disputes, visits. Each list goes through the one jurisdiction filter."""
    _need(actor, "registry.view_address")
    subtree = Q(address__tree_path__startswith=address.tree_path)
    people = Person.objects.restrict(actor).filter(subtree).select_related("address")
    out = {
        "address": address,
        "children": Address.objects.restrict(actor).filter(parent=address),
        "houses": House.objects.restrict(actor).filter(subtree).select_related("address"),
        "people": people,
        "units": Unit.objects.restrict(actor).filter(subtree).select_related("address"),
        "stays": ForeignerStay.objects.restrict(actor).filter(subtree).select_related("address"),
        "cases": [],
        "disputes": [],
        "visits": [],
    }
    names = [a.full_name for a in address.chain()[-1:]] + [address.name]
    text_q = Q()
    for name in {n for n in names if len(n) >= 2}:
        text_q |= Q(location_text__contains=name)
    cases = Case.objects.restrict(actor).filter(place=address.place).filter(text_q)
    out["cases"] = list(cases.order_by("-id")[:50])
    case_ids = [c.pk for c in out["cases"]]
    people_ids = list(people.values_list("pk", flat=True)[:500])
    q = Q(source_case_id__in=case_ids) if case_ids else Q(pk__in=[])
    disputes = Dispute.objects.restrict(actor).filter(q)
    out["disputes"] = list(disputes.order_by("-id")[:50])
    out["people_ids"] = people_ids
    out["visits"] = list(
        Visit.objects.restrict(actor)
        .filter(Q(address__tree_path__startswith=address.tree_path))
        .select_related("officer")
        .order_by("-visited_on", "-id")[:50]
    )
    return out


# -- foreigners' accommodation registration -------------------------------------------------------
NATIONALITY_RE = re.compile(r"^[A-Z]{3}$")
PASSPORT_RE = re.compile(r"^[A-Z0-9]{5,20}$")


def clean_stay(data):
    nationality = clean_text(data.get("nationality"), field=_("国籍"), required=True).upper()
    if not NATIONALITY_RE.match(nationality):
        raise ServiceError(
            _("国籍请填写三位字母代码（如 USA、JPN）"),
            code="invalid_nationality",
            details={"field": "nationality"},
        )
    passport = clean_text(data.get("passport_number"), field=_("护照号码"), required=True)
    passport = passport.upper().replace(" ", "")
    if not PASSPORT_RE.match(passport):
        raise ServiceError(
            _("护照号码格式不正确"), code="invalid_passport", details={"field": "passport_number"}
        )
    out = {
        "surname": clean_text(data.get("surname"), field=_("英文姓"), required=True, max_length=60),
        "given_name": clean_text(data.get("given_name"), field=_("英文名"), max_length=60),
        "sex": clean_choice(data.get("sex"), Person.Sex, field=_("性别"), default=""),
        "birth_date": clean_date(data.get("birth_date"), field=_("出生日期")),
        "nationality": nationality,
        "passport_number": passport,
        "visa_type": clean_text(
            data.get("visa_type"), field=_("签证/居留种类"), required=True, max_length=20
        ),
        "visa_valid_until": clean_date(
            data.get("visa_valid_until"), field=_("签证有效期至"), required=True, allow_future=True
        ),
        "arrival": clean_date(
            data.get("arrival"), field=_("入住日期"), required=True, allow_future=True
        ),
        "expected_departure": clean_date(
            data.get("expected_departure"), field=_("拟离开日期"), required=True, allow_future=True
        ),
        "reporter_kind": clean_choice(
            data.get("reporter_kind"),
            ForeignerStay.Reporter,
            field=_("报告人类型"),
            default="landlord",
        ),
        "reporter_name": clean_text(
            data.get("reporter_name"), field=_("报告人"), required=True, max_length=50
        ),
        "reporter_phone": clean_phone(data.get("reporter_phone")),
    }
    if out["expected_departure"] < out["arrival"]:
        raise ServiceError(
            _("拟离开日期不能早于入住日期"),
            code="invalid_date",
            details={"field": "expected_departure"},
        )
    if out["arrival"] > timezone.localdate() + timedelta(days=1):
        raise ServiceError(
            _("请在客人入住后登记"), code="invalid_date", details={"field": "arrival"}
        )
    return out


def report_stay(address, data, *, actor=None):
    """A landlord or hotel reports a foreign guest (online, from the door-plate page, or staff
    on their behalf). Scattered (landlord) registrations start the station's 3-working-day
    on-site check on the kernel."""
    from fengqiao.cases.workdays import add_working_days
    from fengqiao.core.workflow import start_deadline

    from .workflow import CHECK_WORKING_DAYS

    if actor is not None:
        _need(actor, "registry.add_foreignerstay")
        address = _scoped_address(actor, address)
    elif not address.in_use:
        raise ServiceError(_("该地址已停用"), code="address_retired")
    fields = clean_stay(data)
    with transaction.atomic():
        stay = ForeignerStay(address=address, place=address.place, **fields)
        stay.number = f"JW{timezone.localtime():%Y%m%d%H%M%S}{secrets_suffix()}"
        stay.save()
        if stay.reporter_kind == ForeignerStay.Reporter.LANDLORD:
            now = timezone.now()
            start_deadline(stay, "onsite_check", add_working_days(now, CHECK_WORKING_DAYS), now=now)
        audit.record("registry.stay.report", user=actor, target=stay)
    return stay


def secrets_suffix():
    import secrets

    return f"{secrets.randbelow(10000):04d}"


def check_stay(actor, stay, *, note):
    from fengqiao.core.workflow import apply

    note = clean_text(note, field=_("核查情况"), required=True, max_length=2000)
    row, _entry = apply(stay, "check", actor, note=note)
    return row


def cancel_stay(actor, stay, *, departed_on=None, note=""):
    from fengqiao.core.workflow import apply

    departed = clean_date(departed_on, field=_("离开日期")) or timezone.localdate()
    if departed < stay.arrival:
        raise ServiceError(_("离开日期不能早于入住日期"), code="invalid_date")
    row, _entry = apply(
        stay,
        "cancel",
        actor,
        note=note,
        data={"departed_on": departed.isoformat()},
        changes={"departed_on": departed},
    )
    return row
