"""Working days for deadlines: Monday–Friday, minus configured holidays, plus make-up days."""

from datetime import datetime, timedelta

from django.utils import timezone

from . import conf


def is_working_day(day, holidays=None, extra=None) -> bool:
    holidays = conf.holidays() if holidays is None else holidays
    extra = conf.working_days_extra() if extra is None else extra
    if day in extra:
        return True
    return day.weekday() < 5 and day not in holidays


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
