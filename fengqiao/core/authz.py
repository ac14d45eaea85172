"""The one authorization point for pages and API operations: login, permission, jurisdiction.

Pages::

    @authorize(Case, perm="cases.view_case")
    def detail(request, case): ...            # the record in scope replaces the ``pk`` argument

    @authorize(perm="cases.dispatch_case")     # no record: login + permission only
    def dispatch_console(request): ...

API operations::

    case = authorize_api(request, Case, pk, perm="cases.view_case")

The order is fixed and the same everywhere:

1. not signed in → the login page (pages) / 401 (the API's own authentication);
2. without the permission → 403 (:class:`~fengqiao.core.errors.Forbidden`), whatever the id;
3. the record is out of the user's jurisdiction, or does not exist → 404
   (:class:`~fengqiao.core.errors.NotFound`), never 403, so ids leak nothing.

``perm`` is one permission name, or :class:`AnyOf` of several (the user needs one of them).
``model`` may be a model or a queryset of a scoped model (``Case.objects.select_related(...)``);
``action`` is passed to ``restrict(user, action)`` (``"change"`` where the model distinguishes).
Services keep checking permissions themselves (``actor.has_perm``); this decorator is the
entrance check, not the only one.
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.db import models
from django.utils.translation import gettext as _

from .errors import Forbidden, NotFound


class AnyOf(tuple):
    """Several permissions of which the user needs one: ``AnyOf("a.x", "a.y")``."""

    def __new__(cls, *perms):
        return super().__new__(cls, perms)


def has_perm(user, perm) -> bool:
    """``perm`` is None (any signed-in user), a permission name, or :class:`AnyOf`."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if perm is None:
        return True
    if isinstance(perm, AnyOf):
        return any(user.has_perm(p) for p in perm)
    return user.has_perm(perm)


def require_perm(user, perm):
    """Raise :class:`Forbidden` unless ``user`` holds ``perm`` (see :func:`has_perm`)."""
    if not has_perm(user, perm):
        api_key = getattr(user, "api_key", None)
        if api_key is not None:
            raise Forbidden(
                _(
                    "接口密钥“%(name)s”没有此操作的权限（%(perm)s）：请用 fengqiao apikey create"
                    " --role 角色 --place 辖区代码 签发带角色的密钥"
                )
                % {
                    "name": api_key.name,
                    "perm": " / ".join(perm) if isinstance(perm, AnyOf) else perm,
                }
            )
        raise Forbidden(_("没有权限执行此操作"))


def _queryset(model):
    if isinstance(model, models.QuerySet):
        return model
    return model._default_manager.all()


def scoped(model, user, pk, action="view"):
    """The record ``pk`` of ``model`` (model or queryset) in ``user``'s jurisdiction, else 404."""
    qs = _queryset(model)
    if not hasattr(qs, "get_scoped"):
        raise TypeError(f"{qs.model.__name__} is not a scoped model (core.scoping.ScopedModel)")
    try:
        return qs.get_scoped(user, action, pk=pk)
    except NotFound:
        raise NotFound(
            _("%(what)s不存在或无权访问") % {"what": qs.model._meta.verbose_name}
        ) from None


def authorize(model=None, perm=None, action="view", *, pk="pk"):
    """View decorator: signed in, holding ``perm``, and (with ``model``) the record in scope.

    With ``model``, the URL argument ``pk`` (name configurable) is replaced by the scoped record,
    passed as the view's second positional argument.
    """

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            require_perm(user, perm)
            if model is not None:
                record = scoped(model, user, kwargs.pop(pk), action)
                return view(request, record, *args, **kwargs)
            return view(request, *args, **kwargs)

        wrapper.authorization = {"model": model, "perm": perm, "action": action}
        return wrapper

    return decorate


def authorize_api(request, model, pk, perm=None, action="view"):
    """The API's counterpart of :func:`authorize`: 403 without ``perm``, 404 out of scope.

    The API's authentication (session with second factor, or an integration key) has already run.
    """
    require_perm(request.user, perm)
    return scoped(model, request.user, pk, action)


__all__ = ["AnyOf", "authorize", "authorize_api", "has_perm", "require_perm", "scoped"]
