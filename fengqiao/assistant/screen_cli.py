"""``fengqiao assistant screen --jsonl`` without Django: the JSON-lines loop and a light entry point.

Screening needs the model file and nothing of the web application, so ``fengqiao.cli`` runs this
directly instead of setting Django up (≈ 2 s of CPU for the apps, the URL configuration and the
system checks) — the command's output is the same either way (``tests/assistant/test_screen_speed.py``).
The management command (``fengqiao manage assistant screen --jsonl``, or any other spelling) uses the
same loop. This module imports only the standard library, numpy and the screener.
"""

from __future__ import annotations

import importlib
import json
import os
import sys

MAX_LINE = 100_000
MAX_TEXT = 2000  # as services.MAX_TEXT
BATCH = 256


def read_lines(stream):
    """(line number, object, error) for every non-empty line of a binary stream of JSON objects."""
    for n, raw in enumerate(stream, 1):
        if not raw.strip():
            continue
        if len(raw) > MAX_LINE:
            yield n, None, "行过长"
            continue
        try:
            obj = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            yield n, None, "不是UTF-8文本"
            continue
        except json.JSONDecodeError as exc:
            yield n, None, f"JSON格式错误：{exc.msg}"
            continue
        if not isinstance(obj, dict):
            yield n, None, "每行必须是一个JSON对象"
            continue
        yield n, obj, None


def screen_lines(stream, screen_texts, emit, error, batch_done=None) -> None:
    """Screen ``{id, text}`` lines in batches; ``emit(obj)`` each result, ``error(n, obj, message)``
    each bad line, ``batch_done()`` after each batch's results."""
    batch = []

    def flush():
        results = screen_texts([o["text"] for _, o in batch])
        for (_, o), r in zip(batch, results, strict=True):
            emit({"id": o.get("id"), **r.as_dict()})
        batch.clear()
        if batch_done is not None:
            batch_done()

    for n, obj, err in read_lines(stream):
        if err is None and (not isinstance(obj.get("text"), str) or not obj["text"].strip()):
            err = "缺少 text"
        if err:
            flush()
            error(n, obj, err)
            continue
        batch.append((n, obj))
        if len(batch) >= BATCH:
            flush()
    flush()


def error_object(n, obj, message) -> dict:
    return {
        "id": (obj or {}).get("id") if isinstance(obj, dict) else None,
        "line": n,
        "error": message,
    }


def main() -> int:
    """Screen standard input to standard output, as the management command does."""
    from .screener import Screener, model_path

    # FENGQIAO_HOME exactly as Django would see it, without setting Django up
    settings = importlib.import_module(
        os.environ.get("DJANGO_SETTINGS_MODULE") or "fengqiao.settings"
    )
    screener = Screener(model_path(str(settings.FENGQIAO_HOME)))
    out, err = sys.stdout, sys.stderr

    def screen_texts(texts):
        return screener.screen_many([str(t)[:MAX_TEXT] for t in texts])

    def emit(obj):
        out.write(json.dumps(obj, ensure_ascii=False) + "\n")

    def error(n, obj, message):
        out.flush()
        err.write(f"第{n}行：{message}\n")
        err.flush()
        emit(error_object(n, obj, message))

    screen_lines(sys.stdin.buffer, screen_texts, emit, error, out.flush)
    return 0
