"""Messages rendered at read time: a notification stores a message key and its parameters, and
the inbox (or any channel) renders them in the reader's language.

    register(Message("case.moved", title=gettext_lazy("%(number)s %(action)s"),
                     labels={"action": transition_label}))
    notify(users, kind="case.resolve", message="case.moved",
           params={"number": "FQ1", "action": "resolve"}, ...)

``labels`` maps a parameter holding a code (a transition name, a deadline kind) to a dict or a
callable giving its label, translated when the message is rendered. Other parameters are user
data (numbers, names, notes) and are shown as they are. ``body`` may name a parameter with
``body_param`` (a note typed by a person) or be a template; ``lines`` renders a list parameter
one line per item with ``line`` (digests).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import translation

MESSAGES: dict[str, Message] = {}
TOPIC = "notification_templates"
# a placeholder (%(name)s or %(name)d), a literal %%, or a stray % (refused in a template)
_TOKEN = re.compile(r"%\((\w+)\)([sd])|%%|%")


@dataclass(frozen=True)
class Message:
    key: str
    title: object  # a lazy translatable template with %(name)s placeholders
    body: object = ""
    body_param: str = ""
    labels: dict = field(default_factory=dict)
    lines: str = ""  # the name of a list parameter rendered with ``line``, one per line
    line: object = ""

    def _params(self, params):
        out = dict(params or {})
        for name, labels in self.labels.items():
            if name in out:
                code = out[name]
                label = labels(code) if callable(labels) else labels.get(code)
                out[name] = str(label) if label else code
        return out

    def placeholders(self) -> set[str]:
        """The parameters this message's text may name (what an edited template may use)."""
        names = {self.body_param} if self.body_param else set()
        for text in (self.title, self.body):
            names |= {m.group(1) for m in _TOKEN.finditer(str(text or "")) if m.group(1)}
        return names

    def render(self, params):
        values = self._params(params)
        custom_title, custom_body = _override(self.key)
        try:
            title = str(custom_title or self.title) % values
        except (KeyError, TypeError, ValueError):
            title = str(custom_title or self.title)
        if custom_body and not self.lines:
            try:
                body = custom_body % values
            except (KeyError, TypeError, ValueError):
                body = custom_body
        elif self.body_param:
            body = str(values.get(self.body_param) or "")
        elif self.lines:
            body = "\n".join(
                self.render_line(item) for item in (values.get(self.lines) or [])[:200]
            )
        else:
            try:
                body = str(self.body) % values if self.body else ""
            except (KeyError, TypeError, ValueError):
                body = str(self.body)
        return title, body

    def render_line(self, item):
        values = self._params(item)
        try:
            return str(self.line) % values
        except (KeyError, TypeError, ValueError):
            return ""


def _language() -> str:
    language = translation.get_language() or settings.LANGUAGE_CODE
    return "en" if language.startswith("en") else "zh"


def templates() -> dict:
    """The templates the system administrator set (``core.NotificationTemplate``), cached under
    the ``notification_templates`` topic: key → {"zh": (title, body), "en": (title, body)}."""
    from . import caching

    def compute():
        from .models import NotificationTemplate

        return {
            t.key: {"zh": (t.title_zh, t.body_zh), "en": (t.title_en, t.body_en)}
            for t in NotificationTemplate.objects.filter(active=True)
        }

    return caching.remember("core.notification_templates", compute, timeout=3600, topics=(TOPIC,))


def _override(key):
    found = templates().get(key)
    return found.get(_language(), ("", "")) if found else ("", "")


def check_template(key, text) -> list[str]:
    """The placeholders of ``text`` that message ``key`` does not have (a stray ``%`` counts as
    one: write ``%%`` for a percent sign)."""
    message = MESSAGES.get(key)
    allowed = message.placeholders() if message is not None else set()
    unknown = []
    for match in _TOKEN.finditer(text or ""):
        found = match.group(0)
        if found == "%%":
            continue
        if match.group(1) is None or match.group(1) not in allowed:
            unknown.append(found)
    return list(dict.fromkeys(unknown))


def register(*messages: Message):
    for message in messages:
        MESSAGES[message.key] = message


def render(key, params):
    """(title, body) in the active language, or None for an unknown key."""
    message = MESSAGES.get(key)
    return message.render(params) if message is not None else None


def message_data(key, params):
    """What a timeline entry written by the system keeps in its ``data`` so its note can be shown
    in the reader's language (:func:`entry_note`), not only in the language it was written in."""
    return {"message": key, "params": params}


def entry_note(entry):
    """A timeline entry's note: rendered from its message key when the system wrote one
    (:func:`message_data`), else the note as typed."""
    data = getattr(entry, "data", None) or {}
    key = data.get("message") if isinstance(data, dict) else None
    if key:
        rendered = render(key, data.get("params") or {})
        if rendered is not None:
            return rendered[0]
    from django.utils.translation import gettext

    from .models import REDACTED

    if entry.note == REDACTED:  # removed by law (core.redaction): in the reader's language
        return gettext(REDACTED)
    return entry.note


def label_entries(entries, flow, extra=None, states=None):
    """Timeline entries ready for a page, in the reader's language: ``label`` (the verb),
    ``from_label``/``to_label`` (states), ``actor_label`` ("系统" translated when no user acted)
    and ``note_text`` (:func:`entry_note`)."""
    from django.utils.translation import gettext

    verbs = {t.name: t.label for t in flow.transitions}
    extra, states = extra or {}, states or {}
    rows = list(entries)
    for row in rows:
        row.label = verbs.get(row.transition) or extra.get(row.transition) or row.transition
        row.from_label = states.get(row.from_state, row.from_state)
        row.to_label = states.get(row.to_state, row.to_state)
        row.actor_label = row.actor_name if row.actor_id else gettext(row.actor_name)
        row.note_text = entry_note(row)
    return rows
