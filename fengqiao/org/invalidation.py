"""Who covers which place, and the place tree, are cached (``core.caching``): these signals drop
the cached values whenever a role, a jurisdiction, an account's active flag or a place changes."""

from django.db.models.signals import m2m_changed, post_delete, post_save

from fengqiao.core import caching

from .models import Department, Jurisdiction, Place, Station, User


def _roles(**kwargs):
    caching.invalidate("roles")


def _places(**kwargs):
    caching.invalidate("places", "roles")


def _units(**kwargs):
    caching.invalidate("units")


def connect():
    uid = "fengqiao.org.invalidation"
    m2m_changed.connect(_roles, sender=User.groups.through, dispatch_uid=f"{uid}.groups")
    m2m_changed.connect(_roles, sender=Station.places.through, dispatch_uid=f"{uid}.stations")
    for model in (Jurisdiction, User, Station):
        post_save.connect(_roles, sender=model, dispatch_uid=f"{uid}.save.{model.__name__}")
        post_delete.connect(_roles, sender=model, dispatch_uid=f"{uid}.delete.{model.__name__}")
    post_save.connect(_places, sender=Place, dispatch_uid=f"{uid}.save.place")
    post_delete.connect(_places, sender=Place, dispatch_uid=f"{uid}.delete.place")
    for model in (Department,):
        post_save.connect(_units, sender=model, dispatch_uid=f"{uid}.save.unit.{model.__name__}")
        post_delete.connect(
            _units, sender=model, dispatch_uid=f"{uid}.delete.unit.{model.__name__}"
        )
