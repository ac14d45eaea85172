"""One action registry per domain: the staff vocabulary written once.

An :class:`Action` names what a button, a form post and an API call do — its ``name`` is the
transition's name — and says which service does it, what input it takes (a ninja ``Schema``, which
is also the action's OpenAPI request body), which permission it needs and how it is labelled::

    registry = ActionRegistry("cases", flow=flow)
    registry.add(Action("resolve", resolve, ResolveIn, "cases.handle_case", _("处置完毕")))

    registry.act(case, "resolve", actor, {"note": "…"})     # validate, check, call the service
    registry.available(case, actor)                          # the names for the buttons
    registry.handle_form(request, case, "resolve")           # an HTML form post
    registry.add_api_operations(router, ...)                 # POST /{id}/actions/<name> each

One registry may span several kinds of record (the assistant's hand-offs and alerts): each action
then names its ``model``, and the API operations are added once per kind::

    registry.add_api_operations(router, model=Alert, api_path="/alerts/{id}/actions/{name}", ...)

A service is ``service(record, actor, payload, **context)``: ``payload`` is the validated input as
a dict, ``context`` what does not travel as JSON (uploaded ``attachments``). Services do their
checks and writes on the locked row (``core.workflow.locked`` / ``apply``); the registry's own
permission check only answers early and shapes the buttons.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from .errors import Forbidden, ServiceError


class NoteIn(Schema):
    """The input of an action that takes nothing but an optional note."""

    note: str = ""


@dataclass(frozen=True)
class Action:
    name: str
    service: Callable
    schema: type[Schema] = NoteIn
    permission: str | None = None
    label: str = ""
    # The transitions whose availability decides the button (default: the one named ``name``;
    # empty for an action that is no transition, e.g. writing an agreement draft).
    transitions: tuple[str, ...] | None = None
    # An extra condition for the button (``show(record, actor) -> bool``).
    show: Callable | None = None
    # Builds the payload from an HTML post (``from_form(request) -> dict``); default: the
    # schema's fields read from ``request.POST`` (nested schemas from the same flat POST).
    from_form: Callable | None = None
    button: bool = True  # listed by ``available`` (False: reachable by API/form only)
    # The kind of record the action is taken on, in a registry spanning several kinds (None: the
    # registry's one kind). An action is unknown on a record of another kind.
    model: type | None = None

    def applies_to(self, record) -> bool:
        return self.model is None or isinstance(record, self.model)


class ActionRegistry:
    """The actions of one domain, in button order."""

    def __init__(self, domain: str, *, flow=None, actions=(), api_path="/{id}/actions/{name}"):
        self.domain = domain
        self.flow = flow
        # Where each action's API operation lives on the router: ``{id}`` is the record's path
        # parameter, ``{name}`` the action's name (e.g. ``"/joint-tasks/{id}/{name}"``).
        self.api_path = api_path
        self._actions: dict[str, Action] = {}
        for action in actions:
            self.add(action)

    # -- declaration ----------------------------------------------------------------------
    def add(self, action: Action) -> Action:
        if action.name in self._actions:
            raise ValueError(f"{self.domain}: action {action.name!r} declared twice")
        self._actions[action.name] = action
        return action

    def __iter__(self):
        return iter(self._actions.values())

    def __contains__(self, name):
        return name in self._actions

    def names(self, model=None) -> list[str]:
        """The action names (with ``model``: only those taken on that kind of record)."""
        return [a.name for a in self._of(model)]

    def _of(self, model):
        return [a for a in self if model is None or a.model in (None, model)]

    def get(self, name: str) -> Action:
        try:
            return self._actions[name]
        except KeyError:
            raise _unknown(name) from None

    def label(self, name: str) -> str:
        action = self.get(name)
        if action.label:
            return str(action.label)
        if self.flow is not None and name in self.flow._by_name:
            return str(self.flow.transition(name).label or name)
        return name

    # -- doing ------------------------------------------------------------------------------
    def validate(self, action: Action, payload) -> dict:
        """The payload checked against the action's schema, as a plain dict (400 if invalid)."""
        if isinstance(payload, BaseModel):
            payload = payload.model_dump()
        try:
            return action.schema.model_validate(dict(payload or {})).model_dump()
        except PydanticValidationError as exc:
            details = [
                {"field": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", "")}
                for e in exc.errors()
            ]
            field = details[0]["field"] if details else ""
            raise ServiceError(
                _("提交的数据不正确"),
                code="validation_error",
                details={"field": field, "errors": details},
            ) from None

    def act(self, record, name, actor, payload=None, **context):
        """Take action ``name`` on ``record`` as ``actor``: what every form and API call does."""
        action = self.get(name)
        if not action.applies_to(record):
            raise _unknown(name)
        if action.permission and not actor.has_perm(action.permission):
            raise Forbidden(_("您没有执行“%(action)s”的权限") % {"action": self.label(name)})
        return action.service(record, actor, self.validate(action, payload), **context)

    def available(self, record, actor) -> list[str]:
        """The actions ``actor`` may take on ``record`` now, in declaration order (buttons).

        Reads the record as it is (no lock): state, permissions and a dry run of the guards.
        """
        now = timezone.now()
        names = []
        for action in self:
            if not action.button or not action.applies_to(record):
                continue
            if action.permission and not actor.has_perm(action.permission):
                continue
            if not self._transitions_allow(action, record, actor, now):
                continue
            if action.show is not None and not action.show(record, actor):
                continue
            names.append(action.name)
        return names

    def _transitions_allow(self, action, record, actor, now):
        names = action.transitions if action.transitions is not None else (action.name,)
        if not names or self.flow is None:
            return True
        for name in names:
            transition = self.flow._by_name.get(name)
            if transition is not None and self.flow.refusal(record, transition, actor, now=now):
                continue
            if transition is not None:
                return True
        return False

    # -- HTML forms ------------------------------------------------------------------------
    def form_payload(self, request, name) -> dict:
        action = self.get(name)
        if action.from_form is not None:
            return action.from_form(request)
        return from_post(action.schema, request.POST)

    def handle_form(self, request, record, name, **context):
        """An HTML post of action ``name``: the payload from the form, then :meth:`act`.
        Raises :class:`ServiceError` for the view to show on the page."""
        return self.act(record, name, request.user, self.form_payload(request, name), **context)

    # -- the JSON API ------------------------------------------------------------------------
    def add_api_operations(
        self,
        router,
        *,
        id_param: str,
        load: Callable,
        respond: Callable,
        response=None,
        context: Callable | None = None,
        model=None,
        api_path: str | None = None,
        unknown: bool = False,
    ):
        """One ``POST /{<id_param>}/actions/<name>`` operation per action on ``router`` (the path
        from ``api_path``), each with its own request body (the action's schema) in the OpenAPI.

        ``load(request, id)`` returns the record in the caller's scope (404 otherwise);
        ``respond(request, id, result)`` the answer; ``context(request)`` extra service keywords.
        ``model`` (a registry spanning several kinds): only the actions on that kind, under
        ``api_path`` (default: the registry's). ``unknown``: also the catch-all for any other
        name, hidden from the OpenAPI: 404 out of scope (``load`` first), else 400
        ``unknown_action`` naming the actions there are.
        """
        options = {} if response is None else {"response": response}
        for action in self._of(model):
            view = self._api_view(action, id_param, load, respond, context)
            router.post(
                self._path(id_param, action.name, api_path),
                **options,
                operation_id=f"{self.domain}_action_{action.name}",
                summary=self.label(action.name),
                description=_api_description(action),
                url_name=f"{self.domain}_action_{action.name}",
            )(view)
        if unknown:
            router.post(
                self._path(id_param, "{name}", api_path), **options, include_in_schema=False
            )(self._unknown_view(id_param, load, model))

    def _unknown_view(self, id_param, load, model):
        registry = self

        def view(request, name: str, **kwargs):
            load(request, kwargs[id_param])
            raise ServiceError(
                _("未知操作：%(a)s") % {"a": name[:40]},
                code="unknown_action",
                details={"allowed": registry.names(model)},
            )

        kind = f"_{model.__name__.lower()}" if model is not None else ""
        view.__name__ = f"{self.domain}_unknown_action{kind}"
        view.__signature__ = inspect.Signature(
            [
                inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD),
                inspect.Parameter(id_param, inspect.Parameter.KEYWORD_ONLY, annotation=int),
                inspect.Parameter("name", inspect.Parameter.KEYWORD_ONLY, annotation=str),
            ]
        )
        view.__annotations__ = {id_param: int, "name": str}
        return view

    def api_paths(self, prefix: str, id_param: str, model=None, api_path=None) -> list[str]:
        """The OpenAPI paths :meth:`add_api_operations` creates under ``prefix`` (scoping tests)."""
        return [prefix + self._path(id_param, name, api_path) for name in self.names(model)]

    def _path(self, id_param, name, api_path=None):
        return (api_path or self.api_path).format(id=f"{{{id_param}}}", name=name)

    def _api_view(self, action, id_param, load, respond, context):
        registry = self

        def view(request, **kwargs):
            record_id = kwargs[id_param]
            payload = kwargs["payload"]
            record = load(request, record_id)
            extra = context(request) if context is not None else {}
            result = registry.act(record, action.name, request.user, payload, **extra)
            return respond(request, record_id, result)

        view.__name__ = f"{self.domain}_{action.name}"
        view.__signature__ = inspect.Signature(
            [
                inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD),
                inspect.Parameter(id_param, inspect.Parameter.KEYWORD_ONLY, annotation=int),
                inspect.Parameter(
                    "payload", inspect.Parameter.KEYWORD_ONLY, annotation=action.schema
                ),
            ]
        )
        view.__annotations__ = {id_param: int, "payload": action.schema}
        return view


def _unknown(name):
    return ServiceError(
        _("未知操作：%(name)s") % {"name": str(name)[:40]}, code="unknown_transition"
    )


def _api_description(action):
    text = str(action.label or action.name)
    if action.permission:
        text += f" (`{action.permission}`)"
    return text


def _nested_schema(annotation):
    """The schema class of a field typed as a schema (or ``Schema | None``), else None."""
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        if inspect.isclass(arg) and issubclass(arg, BaseModel):
            return arg
    return None


def _is_list(annotation):
    origin = typing.get_origin(annotation)
    if origin in (list, tuple, set):
        return True
    return any(typing.get_origin(arg) in (list, tuple, set) for arg in typing.get_args(annotation))


def from_post(schema, post) -> dict:
    """Read a schema's fields from a flat HTML POST: empty values are left out (the schema's
    default applies), list fields read every value, nested schemas read the same POST."""
    payload = {}
    for name, info in schema.model_fields.items():
        nested = _nested_schema(info.annotation)
        if nested is not None:
            payload[name] = from_post(nested, post)
        elif _is_list(info.annotation):
            values = [v for v in post.getlist(name) if v not in ("", None)]
            if values:
                payload[name] = values
        else:
            value = post.get(name)
            if value not in (None, ""):
                payload[name] = value
    return payload
