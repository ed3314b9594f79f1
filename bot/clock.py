"""Time for scheduled work. Production reads the system clock; tests move a fake one."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo


class Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock(Clock):
    def __init__(self, start: datetime) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> datetime:
        self.current += timedelta(**delta)
        return self.current


def in_span(span: str, local: time) -> bool:
    """Whether a local time falls in "HH:MM-HH:MM"; a span may wrap midnight (21:00-09:00)."""
    start, _, end = span.partition("-")
    a, b = time.fromisoformat(start.strip()), time.fromisoformat(end.strip())
    return (local >= a or local < b) if a > b else a <= local < b


def after_span(span: str, when: datetime, zone: ZoneInfo) -> datetime:
    """`when`, or the end of the span if `when` falls in it (quiet hours: wait for morning)."""
    local = when.astimezone(zone)
    if not in_span(span, local.time()):
        return when
    end = time.fromisoformat(span.partition("-")[2].strip())
    candidate = datetime.combine(local.date(), end, zone)
    if candidate <= local:
        candidate += timedelta(days=1)
    return candidate.astimezone(UTC)
