"""Assistant records: standard answers, law texts, asked questions, hand-offs, screened messages, alerts."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from fengqiao.core.pii import EncryptedField
from fengqiao.core.scoping import ScopedManager, ScopedModel

from .screener import LABELS


class Category(models.Model):
    """Category tree of standard answers, e.g. 户籍 → 出生登记 (stored as the path "户籍/出生登记")."""

    path = models.CharField(_("分类"), max_length=200, unique=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        ordering = ["path"]
        verbose_name = _("答案分类")
        verbose_name_plural = _("答案分类")

    def __str__(self):
        return self.path

    @property
    def name(self):
        return self.path.rsplit("/", 1)[-1]


class StandardAnswer(models.Model):
    key = models.CharField(_("编号"), max_length=64, unique=True)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="answers", verbose_name=_("分类")
    )
    question = models.CharField(_("标准问题"), max_length=300, blank=True, default="")
    paraphrases = models.JSONField(_("相似问法"), default=list, blank=True)
    answer = models.TextField(_("答案"))
    basis = models.JSONField(
        _("法律依据"), default=list, blank=True
    )  # [{"law": …, "article": int}]
    valid_from = models.DateField(_("生效日期"), null=True, blank=True)
    valid_until = models.DateField(_("失效日期"), null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("负责人"),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key"]
        verbose_name = _("标准答案")
        verbose_name_plural = _("标准答案")

    def __str__(self):
        return f"{self.key} {self.question or self.answer[:30]}"

    @property
    def basis_json(self) -> str:
        import json

        return json.dumps(self.basis, ensure_ascii=False)

    def is_valid_on(self, day) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_until is None or day <= self.valid_until
        )


class LawInstrument(models.Model):
    key = models.CharField(max_length=300, unique=True)  # title@version date
    title = models.CharField(_("名称"), max_length=250, db_index=True)
    version_date = models.DateField(_("版本日期"), null=True, blank=True)
    kind = models.CharField(_("效力层级"), max_length=20)
    level = models.PositiveSmallIntegerField(default=6)
    path = models.CharField(max_length=400)
    superseded_from = models.DateField(_("失效（被取代）日期"), null=True, blank=True)
    superseded_note = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        ordering = ["title", "version_date"]
        verbose_name = _("法律法规")
        verbose_name_plural = _("法律法规")

    def __str__(self):
        return f"{self.title}（{self.version_date or '-'}）"


class LawArticle(models.Model):
    instrument = models.ForeignKey(LawInstrument, on_delete=models.CASCADE, related_name="articles")
    number = models.PositiveIntegerField(_("条"))
    suffix = models.PositiveSmallIntegerField(default=0)  # 第X条之N
    chapter = models.CharField(max_length=200, blank=True, default="")
    text = models.TextField()

    class Meta:
        ordering = ["instrument_id", "number", "suffix"]
        constraints = [
            models.UniqueConstraint(
                fields=["instrument", "number", "suffix"], name="law_article_unique"
            )
        ]
        verbose_name = _("法条")
        verbose_name_plural = _("法条")

    def __str__(self):
        return f"{self.instrument.title} 第{self.number}条"


class AskedQuestion(models.Model):
    """Questions residents asked that got no confident answer: kept, counted and grouped for staff."""

    normalized = models.CharField(max_length=500, unique=True)
    text = models.CharField(_("问题"), max_length=500)
    count = models.PositiveIntegerField(_("次数"), default=1)
    confidence = models.FloatField(_("置信度"), default=0)
    group = models.CharField(
        _("归类"), max_length=64, blank=True, default=""
    )  # nearest standard answer key
    first_asked = models.DateTimeField(auto_now_add=True)
    last_asked = models.DateTimeField(auto_now=True)
    resolved = models.BooleanField(_("已补充答案"), default=False)

    class Meta:
        ordering = ["-count", "-last_asked"]
        verbose_name = _("未答问题")
        verbose_name_plural = _("未答问题")

    def __str__(self):
        return self.text


class Handoff(ScopedModel):
    """转人工: a resident's question waiting for the community officer of their grid."""

    class Status(models.TextChoices):
        OPEN = "open", _("待答复")
        ANSWERED = "answered", _("已答复")

    question = models.TextField(_("问题"))
    # personal data: encrypted at rest, shown masked, clear only through core.services.reveal
    contact = EncryptedField(_("联系方式"), kind="text")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    assistant_answer = models.TextField(blank=True, default="")
    reply = models.TextField(_("答复"), blank=True, default="")
    case_ref = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("转人工咨询")
        verbose_name_plural = _("转人工咨询")

    def __str__(self):
        return self.question[:40]


class Alert(ScopedModel):
    """A flagged group message, for the responsible officer of the group's grid."""

    class Status(models.TextChoices):
        OPEN = "open", _("待处理")
        DISMISSED = "dismissed", _("已忽略")
        CASE = "case", _("已转事件")

    group_name = models.CharField(_("群名称"), max_length=100, blank=True, default="")
    text = models.TextField(_("消息"))
    context = models.TextField(_("上下文"), blank=True, default="")
    label = models.CharField(
        _("类别"), max_length=40, choices=[(k, _(v)) for k, v in LABELS.items()]
    )
    score = models.FloatField(_("分值"))
    fraud = models.BooleanField(default=False)
    evidence = models.JSONField(default=list)
    warning_reply = models.TextField(_("预警回复"), blank=True, default="")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    case_ref = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("预警")
        verbose_name_plural = _("预警")

    def __str__(self):
        return f"{self.label} {self.text[:30]}"
