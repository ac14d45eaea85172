"""The assistant's notifications as message keys (``core.messages``): rendered when read, in
the reader's language. Registered by ``apps.ready``."""

from django.utils.translation import gettext, gettext_lazy

from fengqiao.core import messages

from .screener import LABELS


def _screen_label(code):
    return gettext(LABELS[code]) if code in LABELS else None


messages.register(
    messages.Message(
        "assistant.handoff", title=gettext_lazy("群众咨询待答复：%(question)s"), body_param="body"
    ),
    messages.Message(
        "assistant.alert",
        title=gettext_lazy("群消息预警（%(label)s）：%(group)s"),
        body_param="text",
        labels={"label": _screen_label},
    ),
)
