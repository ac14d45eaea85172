"""Kernel records shared by every domain app: audit, timeline, deadlines, notifications, keys, jobs."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from .pii import EncryptedField


class AppendOnlyError(Exception):
    """Raised when code tries to change or remove history."""


class AppendOnlyQuerySet(models.QuerySet):
    """History tables: rows are added, never changed; audit rows leave only by retention purge."""

    def update(self, **kwargs):
        raise AppendOnlyError(f"{self.model._meta.db_table} is append-only")

    def delete(self):
        raise AppendOnlyError(f"{self.model._meta.db_table} is append-only")

    def purge_older_than(self, cutoff):
        """Retention: the one way audit rows leave (PostgreSQL also refuses rows < 180 days)."""
        if self.model is not AuditEvent:
            raise AppendOnlyError("only the audit log has a retention purge")
        return models.QuerySet.delete(self.filter(at__lt=cutoff))


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError(f"{self._meta.db_table} is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{self._meta.db_table} is append-only")


class AuditEvent(AppendOnlyModel):
    """Security history: append-only (database triggers refuse UPDATE and early DELETE)."""

    class Result(models.TextChoices):
        SUCCESS = "success", _("成功")
        FAILURE = "failure", _("失败")
        DENIED = "denied", _("拒绝")

    at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    username = models.CharField(max_length=150, blank=True)
    request_id = models.CharField(max_length=32, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    target_type = models.CharField(max_length=100, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_repr = models.CharField(max_length=200, blank=True)
    result = models.CharField(max_length=10, choices=Result.choices, default=Result.SUCCESS)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("审计日志")
        verbose_name_plural = _("审计日志")
        default_permissions = ("view",)
        # Permissions that belong to no single table live here, with the security history.
        permissions = [("reveal_personal_data", "可查看完整个人信息（需填写原因，留痕）")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username} {self.action} {self.result}"


class TimelineEntry(AppendOnlyModel):
    """Business history of a case, dispute or risk: one row per transition, append-only."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=150, blank=True)
    transition = models.CharField(max_length=64)
    from_state = models.CharField(max_length=32, blank=True)
    to_state = models.CharField(max_length=32, blank=True)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["content_type", "object_id", "at"], name="timeline_record")]
        verbose_name = _("时间线")
        verbose_name_plural = _("时间线")

    def __str__(self):
        return f"{self.transition} {self.from_state}→{self.to_state}"


# What a lawful redaction leaves in place of the words it removed (PIPL Art. 47). The database
# triggers admit exactly this value as a note's or a data value's replacement, nothing else.
REDACTED = gettext_noop("〔已删除〕")


class TimelineRedaction(AppendOnlyModel):
    """The record of one lawful redaction of a timeline entry (PIPL Art. 47): which of its texts
    were replaced by :data:`REDACTED`, when, by whom and why. The entry keeps its place, its
    transition, its actor and its time. The append-only triggers let an entry's ``note`` or a value
    of its ``data`` change only to :data:`REDACTED`, and only when a row here names that field
    (``note`` or ``data.<key>``): ordinary updates stay impossible (``core.redaction``)."""

    # No database constraint: on PostgreSQL the timeline is partitioned by month and its key is
    # (id, at), so a foreign key by id alone cannot exist (as for Attachment.entry).
    entry = models.ForeignKey(
        TimelineEntry, on_delete=models.PROTECT, related_name="redactions", db_constraint=False
    )
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=150, blank=True)
    reason = models.CharField(max_length=64)
    fields = models.JSONField(default=list)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("时间线删除记录")
        verbose_name_plural = _("时间线删除记录")

    def __str__(self):
        return f"{self.entry_id} {self.reason} {','.join(self.fields)}"


def attachment_path(instance, filename):
    return f"attachments/{timezone.now():%Y/%m}/{filename}"


class Attachment(models.Model):
    """A file carried by a timeline entry (photo, voice note, document)."""

    # No database constraint: on PostgreSQL the timeline is partitioned by month and a foreign
    # key would need the month too (core.partitions); timeline rows are never deleted.
    entry = models.ForeignKey(
        TimelineEntry, on_delete=models.PROTECT, related_name="attachments", db_constraint=False
    )
    file = models.FileField(upload_to=attachment_path, max_length=255)
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    kind = models.CharField(max_length=16, default="file")  # photo / voice / document / file

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")

    def __str__(self):
        return self.name


class Deadline(models.Model):
    """A time limit on a record, started and stopped by transitions, swept by the worker.

    ``next_check_at`` is the time of the next escalation step and is NULL once the deadline is
    stopped or has no step left: the sweep reads only rows whose ``next_check_at`` has passed, via a
    partial index, so its cost follows what is due, not what is open.
    """

    class State(models.TextChoices):
        OPEN = "open", _("计时中")
        MET = "met", _("按期")
        BREACHED = "breached", _("超期")

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    kind = models.CharField(max_length=32)
    policy = models.CharField(max_length=32, default="default")
    started_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField()
    stopped_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    breached = models.BooleanField(default=False)
    level = models.PositiveSmallIntegerField(default=0, help_text="escalation steps already taken")
    next_check_at = models.DateTimeField(null=True, blank=True)
    place_path = models.CharField(max_length=255, blank=True, db_index=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["next_check_at"],
                condition=Q(next_check_at__isnull=False),
                name="deadline_due",
            ),
            models.Index(fields=["content_type", "object_id", "kind"], name="deadline_record"),
        ]
        verbose_name = _("时限")
        verbose_name_plural = _("时限")

    def __str__(self):
        return f"{self.kind} due {self.due_at:%Y-%m-%d %H:%M}"


class DeadlineTracked(models.Model):
    """A record with deadlines (cases, disputes, joint tasks, risks …).

    ``next_due_at`` is the earliest due time of the record's open :class:`Deadline` rows, kept by
    the kernel (``core.workflow``) whenever a deadline starts or stops — never written by domain
    code. Queues sort by it and figures read it; whether each deadline was met or breached is on
    the :class:`Deadline` row itself.
    """

    next_due_at = models.DateTimeField(
        _("最近时限"), null=True, blank=True, db_index=True, editable=False
    )

    class Meta:
        abstract = True


class Notification(models.Model):
    """Outbox and in-app inbox: created in the business transaction, delivered by the worker."""

    class State(models.TextChoices):
        PENDING = "pending", _("待发送")
        DELIVERED = "delivered", _("已送达")
        FAILED = "failed", _("发送失败")

    # a staff user (in-app inbox), or none for a message to a resident's phone (``address``)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        null=True,
        blank=True,
    )
    channel = models.CharField(max_length=16, default="inapp")
    # channels outside the site (SMS): where to, encrypted at rest (core.pii), and the language
    # the text is rendered in when sent (the resident's, known when they wrote)
    address = EncryptedField(_("联系电话"), kind="phone")
    language = models.CharField(max_length=16, blank=True, default="")
    kind = models.CharField(max_length=48)
    # Rendered at read time in the reader's language (core.messages); title and body are the
    # rendering at write time, kept for channels outside the site and for unknown keys.
    message = models.CharField(max_length=64, blank=True)
    params = models.JSONField(default=dict, blank=True)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    target_type = models.CharField(max_length=100, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(state="pending"),
                name="notification_pending",
            ),
            models.Index(fields=["recipient", "read_at"], name="notification_inbox"),
        ]
        verbose_name = _("通知")
        verbose_name_plural = _("通知")

    def __str__(self):
        return self.title

    def _rendered(self):
        if not hasattr(self, "_render_cache"):
            from . import messages

            found = messages.render(self.message, self.params) if self.message else None
            self._render_cache = found or (self.title, self.body)
        return self._render_cache

    @property
    def display_title(self):
        """The title in the active language (the reader's), from the message key."""
        return self._rendered()[0]

    @property
    def display_body(self):
        return self._rendered()[1]


class NotificationTemplate(models.Model):
    """The wording of one notification (a ``core.messages`` key) as the system administrator set
    it on /settings/, in Chinese and English; an empty field keeps the built-in text. Versioned and
    audited by ``core.versioning.save``; the placeholders a message may use are checked there."""

    key = models.CharField(_("通知"), max_length=64, unique=True)
    title_zh = models.CharField(_("标题（中文）"), max_length=200, blank=True)
    body_zh = models.TextField(_("正文（中文）"), blank=True)
    title_en = models.CharField(_("标题（英文）"), max_length=200, blank=True)
    body_en = models.TextField(_("正文（英文）"), blank=True)
    active = models.BooleanField(_("启用"), default=True)
    version = models.PositiveIntegerField(_("版本"), default=1)

    class Meta:
        ordering = ["key"]
        verbose_name = _("通知模板")
        verbose_name_plural = _("通知模板")

    def __str__(self):
        return self.key


class ApiKey(models.Model):
    """An integration key (``fengqiao apikey create``). Only a SHA-256 of the key is stored."""

    name = models.CharField(max_length=100, unique=True)
    prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="api_keys",
        help_text="the service account the key acts as",
    )
    # The key's own role and jurisdiction (``fengqiao apikey create NAME --role R --place CODE``):
    # the key then acts as its account with exactly that role in that place's subtree (permissions
    # from the role's code, scope from the place), whatever other roles the account holds. A key
    # without a role keeps its account's own roles (none for the default integration account).
    role = models.CharField(_("角色"), max_length=32, blank=True, default="")
    place = models.ForeignKey(
        "org.Place",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("辖区"),
    )

    class Meta:
        verbose_name = _("接口密钥")
        verbose_name_plural = _("接口密钥")

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"


class PeriodicJob(models.Model):
    """When each periodic job is next due; workers claim a run by moving ``next_run_at``."""

    name = models.CharField(max_length=64, primary_key=True)
    next_run_at = models.DateTimeField(default=timezone.now)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_result = models.TextField(blank=True)

    class Meta:
        verbose_name = _("周期任务")
        verbose_name_plural = _("周期任务")

    def __str__(self):
        return self.name


class SettingVersion(AppendOnlyModel):
    """One saved version of a setting staff can change (a category and its deadlines, a dispatch
    rule, a dispute type, a holiday, a notification template): the full record as saved, who saved
    it and when. Append-only; ``core.versioning.save`` writes it with the record and the audit row.
    A case keeps the version of its category's deadline rule it started with (``Case.deadline_rule``)."""

    target_type = models.CharField(max_length=100)
    target_id = models.CharField(max_length=64)
    version = models.PositiveIntegerField()
    data = models.JSONField(default=dict, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("设置版本")
        verbose_name_plural = _("设置版本")
        default_permissions = ("view",)
        constraints = [
            models.UniqueConstraint(
                fields=["target_type", "target_id", "version"], name="setting_version_unique"
            )
        ]
        indexes = [models.Index(fields=["target_type", "target_id"], name="setting_version_target")]

    def __str__(self):
        return f"{self.target_type}:{self.target_id} v{self.version}"
