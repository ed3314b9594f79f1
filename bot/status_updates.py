"""Status updates from outside (CSV import, the JSON API, the console): all rows are checked
first; then, in one transaction, they are recorded and every subscriber of an application whose
status changed gets a message in the outbox. Nothing is written when any row is wrong."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.outbox import PRIORITY_REPLY, enqueue
from bot.settings import Settings
from storage import applications
from storage.db import Database


@dataclass
class Outcome:
    errors: dict[int, list[str]] = field(default_factory=dict)  # row number -> problems
    rows: int = 0
    changed: int = 0
    notified: int = 0
    channels: set[str] = field(default_factory=set)  # senders to wake

    @property
    def ok(self) -> bool:
        return not self.errors


def check(raw_rows: list[dict[str, object]]) -> tuple[list[applications.Row], dict[int, list[str]]]:
    from handlers.status import known

    rules, rows, errors = known(), [], {}
    seen: dict[str, int] = {}
    for n, raw in enumerate(raw_rows, 1):
        row, problems = applications.validate(raw, rules)
        if row is not None:
            key = f"{row.application_no}|{row.status}|{row.status_date}"
            if key in seen:
                problems = [f"the same status as row {seen[key]}"]
            seen.setdefault(key, n)
        if problems:
            errors[n] = problems
        elif row is not None:
            rows.append(row)
    return rows, errors


async def apply(
    db: Database, settings: Settings, raw_rows: list[dict[str, object]], source: str
) -> Outcome:
    from handlers.status import notify_subscribers

    rows, errors = check(raw_rows)
    outcome = Outcome(errors=errors, rows=len(raw_rows))
    if errors:
        return outcome
    secret = settings.resolved_secret_key()
    # Oldest first, so an application's current status is the latest one whatever the order.
    rows.sort(key=lambda r: (r.status_date, r.application_no))
    async with db.transaction() as s:
        changed = {}
        for row in rows:
            if app := await applications.record(s, row, secret, source):
                changed[app.id] = app
        for app in changed.values():
            for contact, reply in await notify_subscribers(s, settings, app):
                enqueue(s, contact, reply, PRIORITY_REPLY)
                outcome.notified += 1
                outcome.channels.add(contact.channel)
        outcome.changed = len(changed)
    return outcome
