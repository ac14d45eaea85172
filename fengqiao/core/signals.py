"""Security events that Django raises itself: logins, logouts, failed logins, role changes."""

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed
from django.dispatch import receiver

from . import audit


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


def _groups_changed(sender, instance, action, pk_set, **kwargs):
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    from django.contrib.auth.models import Group

    names = sorted(Group.objects.filter(pk__in=pk_set or []).values_list("name", flat=True))
    audit.record(
        "auth.roles_changed",
        target=instance if isinstance(instance, get_user_model()) else None,
        data={"change": action.removeprefix("post_"), "roles": names},
    )


def _permissions_changed(sender, instance, action, pk_set, **kwargs):
    if action in ("post_add", "post_remove", "post_clear"):
        audit.record(
            "auth.permissions_changed",
            target=instance,
            data={"change": action.removeprefix("post_"), "permission_ids": sorted(pk_set or [])},
        )


def connect_user_model_signals():
    user_model = get_user_model()
    m2m_changed.connect(_groups_changed, sender=user_model.groups.through, weak=False)
    m2m_changed.connect(
        _permissions_changed, sender=user_model.user_permissions.through, weak=False
    )


connect_user_model_signals()
