"""Every registered notification message (all domains) has its English: rendered in English with
plain parameters, no Chinese is left (issue 16 point 7)."""

import re

from django.utils import translation

from fengqiao.core import messages

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_message_key_renders_in_english_without_chinese(db):
    keys = sorted(messages.MESSAGES)
    # every domain registers its keys at start-up
    for prefix in ("case.", "dispute.", "risk.", "assistant.", "deadline."):
        assert any(k.startswith(prefix) for k in keys), prefix
    left = {}
    for key in keys:
        message = messages.MESSAGES[key]
        params = {name: "1" for name in message.placeholders()}
        if message.lines:
            params[message.lines] = [{name: "1" for name in ("number", "kind", "level")}]
        with translation.override("en"):
            title, body = message.render(params)
        if CJK.search(title + body):
            left[key] = (title, body)
        with translation.override("zh-hans"):
            assert CJK.search(message.render(params)[0]) or key.startswith("case.moved"), key
    assert not left, left
