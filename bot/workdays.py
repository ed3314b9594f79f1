"""Working days in Kazakhstan: weekends and public holidays (with the days off moved when a
holiday falls on a weekend), from the maintained `holidays` library."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=16)
def _calendar(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("KZ", years=[year - 1, year, year + 1])


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _calendar(day.year)


def add_working_days(start: date, days: int) -> date:
    """The date `days` working days after `start` (a deadline "within N working days")."""
    day = start
    while days > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            days -= 1
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end`; 0 when end is not later."""
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        count += is_working_day(day)
    return count
