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

from dataclasses import dataclass, field

MESSAGES: dict[str, Message] = {}


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

    def render(self, params):
        values = self._params(params)
        try:
            title = str(self.title) % values
        except (KeyError, TypeError, ValueError):
            title = str(self.title)
        if self.body_param:
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


def register(*messages: Message):
    for message in messages:
        MESSAGES[message.key] = message


def render(key, params):
    """(title, body) in the active language, or None for an unknown key."""
    message = MESSAGES.get(key)
    return message.render(params) if message is not None else None
