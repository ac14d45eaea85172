"""Settings of the cases app, each with a default (override in the Django settings or the environment)."""

import os
from datetime import date

from django.conf import settings


def _get(name, default):
    value = getattr(settings, name, None)
    if value is not None:
        return value
    env = os.environ.get(name if name.startswith("FENGQIAO_") else f"FENGQIAO_{name}")
    return env if env is not None else default


def map_tile_url() -> str:
    """An internal tile server URL template (``https://tiles.local/{z}/{x}/{y}.png``); empty =
    offline: grid polygons on a plain background."""
    return str(_get("FENGQIAO_MAP_TILE_URL", "") or "")


def _calendar() -> dict[str, frozenset]:
    """The holiday calendar staff edit (``cases.Holiday``), cached until it changes."""
    from fengqiao.core import caching

    def compute():
        from .models import Holiday

        days = {"holiday": set(), "workday": set()}
        for day, kind in Holiday.objects.values_list("day", "kind"):
            days.setdefault(kind, set()).add(day)
        return {kind: frozenset(values) for kind, values in days.items()}

    return caching.remember("cases.holidays", compute, timeout=600, topics=("holidays",))


def holidays() -> set[date]:
    """Non-working weekdays: the holiday calendar (settings page) plus the ISO dates of
    ``FENGQIAO_HOLIDAYS=2026-10-01,2026-10-02``."""
    raw = _get("FENGQIAO_HOLIDAYS", ())
    if isinstance(raw, str):
        raw = [item for item in raw.split(",") if item.strip()]
    return {date.fromisoformat(str(item).strip()) for item in raw} | set(_calendar()["holiday"])


def working_days_extra() -> set[date]:
    """Weekend days that are working days (调休): the calendar plus ``FENGQIAO_WORKDAYS``."""
    raw = _get("FENGQIAO_WORKDAYS", ())
    if isinstance(raw, str):
        raw = [item for item in raw.split(",") if item.strip()]
    return {date.fromisoformat(str(item).strip()) for item in raw} | set(_calendar()["workday"])


def duplicate_window_hours() -> float:
    return float(_get("FENGQIAO_CASE_DUPLICATE_HOURS", 72))


def duplicate_radius_m() -> float:
    return float(_get("FENGQIAO_CASE_DUPLICATE_METRES", 150))


def reopen_window_days() -> int:
    """Days after closure within which the reporter may ask to reopen (``FENGQIAO_CASE_REOPEN_DAYS``)."""
    return int(_get("FENGQIAO_CASE_REOPEN_DAYS", 7))


MAX_PHOTOS = 6
MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_VOICE_BYTES = 4 * 1024 * 1024
MAX_VOICE_SECONDS = 120
# Decompression bombs: the pixel count is read from the header and checked before anything is
# decoded (a 300 KB PNG can claim 9,000 × 9,000 pixels, ~900 MB decoded).
MAX_PHOTO_PIXELS = 25_000_000
MAX_PHOTO_SIDE_PIXELS = 12_000
PHOTO_MAX_SIDE = 2000


def open311_jurisdiction() -> str:
    """The Open311 ``jurisdiction_id`` of this installation (e.g. ``fengxi.gov.cn``); empty = any
    ``jurisdiction_id`` a client sends is accepted."""
    return str(_get("FENGQIAO_OPEN311_JURISDICTION", "") or "")
