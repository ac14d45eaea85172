"""Base information (一标三实): standard addresses, actual houses, actual population, actual units,
and foreigners' accommodation registrations.

Every record hangs off a standard :class:`Address` ("街不漏巷、巷不漏院、院不漏房、房不漏人") and belongs to
an org place (the grid) through ``ScopedModel``, so the one jurisdiction filter
(``Model.objects.restrict``) applies. Only ``services`` write these tables.

The upper part of the public-security address hierarchy (province/city/county → town/street →
community/village → grid) is the ``org.Place`` tree; :class:`Address` continues it below the grid:
group → road/lane → compound/natural village → building → unit → room.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fengqiao.core.models import DeadlineTracked
from fengqiao.core.pii import EncryptedField
from fengqiao.core.scoping import ScopedModel


def _qr_token():
    return secrets.token_urlsafe(12)


class Address(ScopedModel):
    """A standard address element (标准地址) below the grid."""

    class Level(models.IntegerChoices):
        GROUP = 1, _("村民小组")
        ROAD = 2, _("街路巷")
        COMPOUND = 3, _("小区/自然村")
        BUILDING = 4, _("楼栋")
        UNIT = 5, _("单元")
        ROOM = 6, _("户室")

    code = models.CharField(_("地址编码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    level = models.PositiveSmallIntegerField(_("层级"), choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("上级地址"),
    )
    full_name = models.CharField(_("完整地址"), max_length=400, db_index=True, editable=False)
    # Chain of ids from the top address element, e.g. "/12/40/311/": a subtree is a prefix.
    tree_path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    station = models.ForeignKey(
        "org.Station",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("责任区（公安）"),
    )
    centre_lat = models.FloatField(_("中心纬度"), null=True, blank=True)
    centre_lng = models.FloatField(_("中心经度"), null=True, blank=True)
    in_use = models.BooleanField(_("在用"), default=True)
    started_on = models.DateField(_("启用日期"), null=True, blank=True)
    retired_on = models.DateField(_("停用日期"), null=True, blank=True)
    qr_token = models.CharField(max_length=32, unique=True, default=_qr_token, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["full_name", "id"]
        verbose_name = _("标准地址")
        verbose_name_plural = _("标准地址")
        permissions = [
            ("import_registry", "导入基础信息（Excel）"),
            ("export_registry", "导出基础信息（脱敏）"),
            ("export_registry_clear", "导出基础信息（不脱敏，须说明原因）"),
        ]

    def __str__(self):
        return self.full_name or self.name

    def chain(self):
        """This address and its ancestors, root first."""
        chain, node = [], self
        while node is not None:
            chain.append(node)
            node = node.parent
        return list(reversed(chain))


class Unit(ScopedModel):
    """An actual unit (实有单位): shop, firm, school, hospital, public place, key unit."""

    class Kind(models.TextChoices):
        SHOP = "shop", _("商铺")
        FIRM = "firm", _("企业")
        SCHOOL = "school", _("学校")
        HOSPITAL = "hospital", _("医院")
        PUBLIC_PLACE = "public_place", _("公共场所")
        KEY_UNIT = "key_unit", _("重点单位")
        OTHER = "other", _("其他")

    class FireLevel(models.TextChoices):
        GENERAL = "general", _("一般单位")
        KEY = "key", _("消防安全重点单位")
        HIGH = "high", _("火灾高危单位")

    name = models.CharField(_("单位名称"), max_length=150, db_index=True)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    address = models.ForeignKey(
        Address, on_delete=models.PROTECT, related_name="units", verbose_name=_("地址")
    )
    licence_code = models.CharField(_("统一社会信用代码/营业执照号"), max_length=32, blank=True)
    org_code = models.CharField(_("组织机构代码"), max_length=32, blank=True)
    legal_representative = EncryptedField(_("法定代表人"), kind="name")
    staff_count = models.PositiveIntegerField(_("从业人数"), default=0)
    security_contact = EncryptedField(_("治安负责人"), kind="name")
    security_phone = EncryptedField(_("负责人电话"), kind="phone", hash_field="security_phone_hash")
    security_phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    fire_level = models.CharField(
        _("消防等级"), max_length=8, choices=FireLevel.choices, default=FireLevel.GENERAL
    )
    protective_measures = models.TextField(_("技防/物防措施"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("实有单位")
        verbose_name_plural = _("实有单位")

    def __str__(self):
        return self.name


class Household(ScopedModel):
    """A household (户): its members are people with a relation to the head."""

    number = models.CharField(_("户号"), max_length=32, blank=True)
    address = models.ForeignKey(
        Address, on_delete=models.PROTECT, related_name="households", verbose_name=_("地址")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("户")
        verbose_name_plural = _("户")

    def __str__(self):
        return self.number or f"#{self.pk}"


class Person(ScopedModel):
    """An actual resident (实有人口). ``place`` is the grid of the current address."""

    class Sex(models.TextChoices):
        MALE = "m", _("男")
        FEMALE = "f", _("女")
        UNKNOWN = "", _("未知")

    class Residence(models.TextChoices):
        REGISTERED = "registered", _("户籍人口")
        FLOATING = "floating", _("流动人口")
        FOREIGN = "foreign", _("境外人员")
        UNSETTLED = "unsettled", _("未落户人员")

    class Relation(models.TextChoices):
        NONE = "", _("—")
        HEAD = "head", _("户主")
        SPOUSE = "spouse", _("配偶")
        CHILD = "child", _("子女")
        PARENT = "parent", _("父母")
        GRANDCHILD = "grandchild", _("孙子女")
        SIBLING = "sibling", _("兄弟姐妹")
        OTHER = "other", _("其他")

    name = models.CharField(_("姓名"), max_length=50, db_index=True)
    id_number = EncryptedField(_("公民身份号码"), kind="id_number", hash_field="id_hash")
    id_hash = models.CharField(max_length=64, blank=True, editable=False)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    sex = models.CharField(_("性别"), max_length=1, choices=Sex.choices, blank=True, default="")
    phone = EncryptedField(_("联系电话"), kind="phone", hash_field="phone_hash")
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    registered_address = models.CharField(_("户籍地址"), max_length=200, blank=True)
    address = models.ForeignKey(
        Address, on_delete=models.PROTECT, related_name="people", verbose_name=_("现住地址")
    )
    residence = models.CharField(
        _("人口类型"), max_length=12, choices=Residence.choices, default=Residence.REGISTERED
    )
    inflow_reason = models.CharField(_("流入原因"), max_length=100, blank=True)
    inflow_date = models.DateField(_("流入日期"), null=True, blank=True)
    intended_stay = models.CharField(_("拟居住期限"), max_length=50, blank=True)
    household = models.ForeignKey(
        Household,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
        verbose_name=_("所属户"),
    )
    relation = models.CharField(
        _("与户主关系"), max_length=12, choices=Relation.choices, blank=True, default=""
    )
    work_unit = models.ForeignKey(
        Unit,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="staff",
        verbose_name=_("工作单位"),
    )
    note = models.TextField(_("备注"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("实有人口")
        verbose_name_plural = _("实有人口")
        constraints = [
            models.UniqueConstraint(
                fields=["id_hash"], condition=~Q(id_hash=""), name="person_unique_id_number"
            )
        ]
        indexes = [models.Index(fields=["id_hash"], name="person_id_hash")]
        permissions = [
            ("label_key_person", "查看/标注：重点人员"),
            ("label_correction", "查看/标注：社区矫正对象"),
            ("label_released", "查看/标注：刑满释放人员"),
            ("label_mental", "查看/标注：严重精神障碍患者"),
            ("label_care", "查看/标注：关爱对象（独居老人、残疾人、留守儿童）"),
        ]

    def __str__(self):
        from fengqiao.core.pii import mask_name

        return mask_name(self.name)


class PersonTag(models.Model):
    """A tag on a person. Special-group tags are labelled: only holders of the label see them."""

    class Code(models.TextChoices):
        PARTY_MEMBER = "party_member", _("党员")
        VETERAN = "veteran", _("退役军人")
        VOLUNTEER = "volunteer", _("志愿者")
        LANDLORD = "landlord", _("房东")
        KEY_PERSON = "key_person", _("重点人员")
        COMMUNITY_CORRECTION = "community_correction", _("社区矫正对象")
        RELEASED_PRISONER = "released_prisoner", _("刑满释放人员")
        SEVERE_MENTAL = "severe_mental", _("严重精神障碍患者")
        ELDERLY_ALONE = "elderly_alone", _("独居老人")
        DISABLED = "disabled", _("残疾人")
        LEFT_BEHIND_CHILD = "left_behind_child", _("留守儿童")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="tags")
    code = models.CharField(_("标签"), max_length=24, choices=Code.choices)
    label = models.CharField(max_length=40, blank=True, editable=False)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("人员标签")
        verbose_name_plural = _("人员标签")
        constraints = [models.UniqueConstraint(fields=["person", "code"], name="person_tag_unique")]

    def __str__(self):
        return self.get_code_display()


class House(ScopedModel):
    """An actual house (实有房屋) at a standard address (usually a room or a building)."""

    class Use(models.TextChoices):
        OWN = "own", _("自住")
        RENTAL = "rental", _("出租")
        BUSINESS = "business", _("经营")
        MIXED = "mixed", _("居住兼经营")
        VACANT = "vacant", _("空置")
        OTHER = "other", _("其他")

    class Ownership(models.TextChoices):
        PRIVATE = "private", _("私有")
        PUBLIC = "public", _("公有")
        COLLECTIVE = "collective", _("集体")
        OTHER = "other", _("其他")

    class Structure(models.TextChoices):
        CONCRETE = "concrete", _("钢混")
        BRICK = "brick", _("砖混")
        WOOD = "wood", _("砖木/木结构")
        STEEL = "steel", _("钢结构")
        OTHER = "other", _("其他")

    class Hazard(models.TextChoices):
        NONE = "none", _("无隐患")
        LOW = "low", _("一般隐患")
        HIGH = "high", _("重大隐患")

    address = models.ForeignKey(
        Address, on_delete=models.PROTECT, related_name="houses", verbose_name=_("地址")
    )
    use = models.CharField(_("用途"), max_length=10, choices=Use.choices, default=Use.OWN)
    ownership = models.CharField(
        _("产权性质"), max_length=12, choices=Ownership.choices, default=Ownership.PRIVATE
    )
    structure = models.CharField(
        _("结构"), max_length=10, choices=Structure.choices, default=Structure.CONCRETE
    )
    area = models.DecimalField(
        _("面积（㎡）"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    rooms = models.PositiveSmallIntegerField(_("房间数"), default=1)
    owner = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_houses",
        verbose_name=_("房主"),
    )
    owner_name = EncryptedField(_("房主姓名"), kind="name")
    manager_name = EncryptedField(_("管理人"), kind="name")
    is_rental = models.BooleanField(_("出租房屋"), default=False)
    lease_filing_number = models.CharField(_("租赁备案号"), max_length=40, blank=True)
    landlord = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="let_houses",
        verbose_name=_("出租人"),
    )
    max_occupants = models.PositiveSmallIntegerField(_("最多居住人数"), null=True, blank=True)
    rent = models.DecimalField(
        _("月租金（元）"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    hazard = models.CharField(
        _("隐患等级"), max_length=6, choices=Hazard.choices, default=Hazard.NONE
    )
    pledge_signed = models.BooleanField(_("已签治安责任承诺书"), default=False)
    last_visit_at = models.DateTimeField(_("最近走访"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["address__full_name", "id"]
        verbose_name = _("实有房屋")
        verbose_name_plural = _("实有房屋")

    def __str__(self):
        return str(self.address)


class Tenancy(models.Model):
    """A tenant of a rental house, from move-in to move-out."""

    house = models.ForeignKey(House, on_delete=models.CASCADE, related_name="tenancies")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="tenancies")
    moved_in = models.DateField(_("入住日期"))
    moved_out = models.DateField(_("搬离日期"), null=True, blank=True)

    class Meta:
        ordering = ["-moved_in", "id"]
        verbose_name = _("租住")
        verbose_name_plural = _("租住")
        constraints = [
            models.UniqueConstraint(
                fields=["house", "person"],
                condition=Q(moved_out__isnull=True),
                name="tenancy_one_open_per_person",
            )
        ]

    def __str__(self):
        return f"{self.person} @ {self.house}"


class ForeignerStay(ScopedModel, DeadlineTracked):
    """A foreign guest's accommodation registration (境外人员住宿登记), reported by a landlord or a
    hotel; checked on site by the station within 3 working days when scattered (散居)."""

    class Reporter(models.TextChoices):
        LANDLORD = "landlord", _("房东")
        HOTEL = "hotel", _("旅馆")

    class State(models.TextChoices):
        REPORTED = "reported", _("已登记待核查")
        CHECKED = "checked", _("已核查")
        CANCELLED = "cancelled", _("已注销（离开）")

    number = models.CharField(_("登记号"), max_length=24, unique=True)
    state = models.CharField(
        _("状态"), max_length=10, choices=State.choices, default=State.REPORTED
    )
    address = models.ForeignKey(
        Address, on_delete=models.PROTECT, related_name="stays", verbose_name=_("住宿地址")
    )
    reporter_kind = models.CharField(_("报告人类型"), max_length=10, choices=Reporter.choices)
    reporter_name = EncryptedField(_("报告人"), kind="name")
    reporter_phone = EncryptedField(_("报告人电话"), kind="phone")
    surname = models.CharField(_("英文姓"), max_length=60)
    given_name = models.CharField(_("英文名"), max_length=60, blank=True)
    sex = models.CharField(_("性别"), max_length=1, choices=Person.Sex.choices, blank=True)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    nationality = models.CharField(_("国籍（ISO 代码）"), max_length=3)
    passport_number = EncryptedField(_("护照号码"), kind="id_number", hash_field="passport_hash")
    passport_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    visa_type = models.CharField(_("签证/居留种类"), max_length=20)
    visa_valid_until = models.DateField(_("签证有效期至"))
    arrival = models.DateField(_("入住日期"))
    expected_departure = models.DateField(_("拟离开日期"))
    departed_on = models.DateField(_("离开日期"), null=True, blank=True)
    checked_at = models.DateTimeField(_("核查时间"), null=True, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    check_note = models.TextField(_("核查情况"), blank=True)
    reported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-reported_at", "-id"]
        verbose_name = _("境外人员住宿登记")
        verbose_name_plural = _("境外人员住宿登记")
        permissions = [("check_foreignerstay", "核查境外人员住宿登记")]

    def __str__(self):
        return self.number

    @property
    def full_name(self):
        return f"{self.surname} {self.given_name}".strip()

    def flags(self, today=None):
        """Overstay / expiring-visa flags of an active stay."""
        from django.utils import timezone

        today = today or timezone.localdate()
        if self.state == self.State.CANCELLED:
            return []
        out = []
        if self.visa_valid_until < today:
            out.append("visa_expired")
        elif (self.visa_valid_until - today).days <= 7:
            out.append("visa_expiring")
        if self.expected_departure < today:
            out.append("overstay")
        return out


class ImportJob(models.Model):
    """One Excel import: dry run or real, its per-row report, its progress."""

    class Kind(models.TextChoices):
        ADDRESSES = "addresses", _("标准地址")
        HOUSES = "houses", _("房屋")
        PEOPLE = "people", _("人口")
        UNITS = "units", _("单位")

    class State(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("处理中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    dry_run = models.BooleanField(_("试导入"), default=True)
    state = models.CharField(_("状态"), max_length=8, choices=State.choices, default=State.QUEUED)
    file = models.FileField(upload_to="registry/imports/%Y/%m/")
    filename = models.CharField(max_length=200, blank=True)
    place_path = models.CharField(max_length=255, blank=True)
    total_rows = models.PositiveIntegerField(default=0)
    done_rows = models.PositiveIntegerField(default=0)
    ok_rows = models.PositiveIntegerField(default=0)
    error_rows = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    message = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("导入任务")
        verbose_name_plural = _("导入任务")

    def __str__(self):
        return f"{self.get_kind_display()} {self.filename}"

    @property
    def percent(self):
        return int(100 * self.done_rows / self.total_rows) if self.total_rows else 0
