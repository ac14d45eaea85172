"""Security events that Django raises itself: logins, logouts, failed logins, permission changes."""

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver
from django.utils.translation import gettext as _

from . import audit
from .errors import Forbidden
from .models import ApiKey


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    audit.record("auth.login", user=user, target=user)


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit.record("auth.logout", user=user, target=user)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:150]
    audit.record("auth.login", result="failure", data={"username": username})


def _permissions_changed(sender, instance, action, pk_set, **kwargs):
    if action in ("post_add", "post_remove", "post_clear"):
        audit.record(
            "auth.permissions_changed",
            target=instance,
            data={"change": action.removeprefix("post_"), "permission_ids": sorted(pk_set or [])},
        )


def _apikey_saving(sender, instance, raw=False, **kwargs):
    if raw or instance.pk is None:
        instance._fq_before = None
        return
    old = sender.objects.filter(pk=instance.pk).values("name", "user_id", "revoked_at").first()
    if old and old["revoked_at"] is not None and instance.revoked_at != old["revoked_at"]:
        audit.record(
            "apikey.changed",
            target=instance,
            result="denied",
            data={"before": {"revoked_at": old["revoked_at"].isoformat()}, "after": {}},
        )
        raise Forbidden(_("已吊销的接口密钥不能恢复，请创建新密钥"))
    instance._fq_before = old


def _apikey_saved(sender, instance, raw=False, created=False, **kwargs):
    if raw or created:
        return  # creation is audited by the command that prints the key
    before = getattr(instance, "_fq_before", None) or {}
    after = {"name": instance.name, "user_id": instance.user_id, "revoked_at": instance.revoked_at}
    changed = {k: v for k, v in after.items() if before.get(k) != v}
    if not changed:
        return
    audit.record(
        "apikey.revoke" if "revoked_at" in changed else "apikey.changed",
        target=instance,
        data={
            "before": {k: _plain(before.get(k)) for k in changed},
            "after": {k: _plain(v) for k, v in changed.items()},
        },
    )


def _apikey_deleted(sender, instance, **kwargs):
    audit.record("apikey.deleted", target=("core.apikey", instance.pk, str(instance)))


def _plain(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def connect_user_model_signals():
    user_model = get_user_model()
    # Role (group) changes are guarded and audited by fengqiao.org.signals.
    m2m_changed.connect(
        _permissions_changed, sender=user_model.user_permissions.through, weak=False
    )
    pre_save.connect(_apikey_saving, sender=ApiKey, dispatch_uid="fq.core.apikey_pre")
    post_save.connect(_apikey_saved, sender=ApiKey, dispatch_uid="fq.core.apikey_post")
    post_delete.connect(_apikey_deleted, sender=ApiKey, dispatch_uid="fq.core.apikey_del")


connect_user_model_signals()
