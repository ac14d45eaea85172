"""Working days for deadlines: the national calendar (public holidays and make-up working days, from
the ``chinese_calendar`` package), overridden by the editable holiday calendar (``cases.Holiday``)
and the ``FENGQIAO_HOLIDAYS`` / ``FENGQIAO_WORKDAYS`` settings. For a year the package does not know
yet, Monday–Friday (plus the same overrides)."""

import logging
from datetime import datetime, timedelta

import chinese_calendar
from django.utils import timezone

from . import conf

log = logging.getLogger("fengqiao.cases")
_unknown_years: set[int] = set()


def national_working_day(day) -> bool | None:
    """Whether ``day`` is a working day by the State Council's calendar; None for a year the
    installed ``chinese_calendar`` does not cover (upgrade it, or fill the holiday calendar)."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        if day.year not in _unknown_years:
            _unknown_years.add(day.year)
            log.warning(
                "chinese_calendar has no holidays for %s: Monday-Friday plus the holiday calendar",
                day.year,
            )
        return None


def base_working_day(day) -> bool:
    """The national calendar where known, else Monday–Friday (before local overrides)."""
    known = national_working_day(day)
    return day.weekday() < 5 if known is None else known


def is_working_day(day, holidays=None, extra=None) -> bool:
    holidays = conf.holidays() if holidays is None else holidays
    extra = conf.working_days_extra() if extra is None else extra
    if day in extra:
        return True
    if day in holidays:
        return False
    return base_working_day(day)


def add_working_days(start: datetime, days: int) -> datetime:
    """``start`` moved forward by ``days`` working days, keeping the local time of day.

    A start on a non-working day counts from the beginning (09:00) of the next working day.
    """
    holidays, extra = conf.holidays(), conf.working_days_extra()
    local = timezone.localtime(start)
    if not is_working_day(local.date(), holidays, extra):
        while not is_working_day(local.date(), holidays, extra):
            local = local + timedelta(days=1)
        local = local.replace(hour=9, minute=0, second=0, microsecond=0)
    remaining = days
    while remaining > 0:
        local = local + timedelta(days=1)
        if is_working_day(local.date(), holidays, extra):
            remaining -= 1
    # Re-anchor in the local zone (DST-safe for zones that have it).
    naive = local.replace(tzinfo=None)
    return timezone.make_aware(naive, timezone.get_current_timezone())
