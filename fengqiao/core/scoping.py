"""The one jurisdiction filter. Every list, detail, search, export and API call goes through it.

A record is visible to a user when
* the user holds a place-scoped role (grid worker, officer, leader, …) and the record's place lies
  in the subtree of one of the user's jurisdictions (``place_path`` prefix), or
* the record's model says the user is assigned to it (``scope_assignment_q``): a department's
  staff see what was dispatched to their department, a mediator the disputes given to them.
Anything else is invisible and answers 404, never 403, so ids leak nothing.
"""

from django.db import models
from django.db.models import Q

from .errors import NotFound

NOTHING = Q(pk__in=[])


def scope_q(user, model, action="view") -> Q:
    if user is None or not user.is_authenticated or not user.is_active:
        return NOTHING
    q = NOTHING
    path_field = getattr(model, "scope_path_field", None)
    if path_field and user.has_place_scope():
        for path in user.scope_paths():
            q |= Q(**{f"{path_field}__startswith": path})
    assignment = getattr(model, "scope_assignment_q", None)
    if assignment is not None:
        q |= assignment(user, action)
    return q


class ScopedQuerySet(models.QuerySet):
    def restrict(self, user, action="view"):
        """Only the rows ``user`` may see (or act on, for ``action='change'``)."""
        return self.filter(scope_q(user, self.model, action))

    def get_scoped(self, user, action="view", **lookup):
        """One row in scope, or :class:`NotFound` (also for rows that exist out of scope)."""
        try:
            return self.restrict(user, action).get(**lookup)
        except (self.model.DoesNotExist, ValueError, TypeError) as exc:
            raise NotFound(f"{self.model._meta.verbose_name}不存在或无权访问") from exc


ScopedManager = models.Manager.from_queryset(ScopedQuerySet)


class ScopedModel(models.Model):
    """A record that belongs to a place. ``place_path`` copies the place's path for fast scoping."""

    place = models.ForeignKey("org.Place", on_delete=models.PROTECT, related_name="+")
    place_path = models.CharField(max_length=255, db_index=True, editable=False, default="")

    objects = ScopedManager()
    scope_path_field = "place_path"

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.place_id and (not self.place_path or self._place_changed()):
            self.place_path = self.place.path
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "place_path"}
        super().save(*args, **kwargs)

    def _place_changed(self):
        cached = self._state.fields_cache.get("place")
        return cached is not None and cached.path != self.place_path
