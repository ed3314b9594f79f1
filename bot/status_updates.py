"""Status updates from outside (CSV import, the JSON API, the console): all rows are checked
first; then, in one transaction, they are recorded and every subscriber of an application whose
status changed gets a message in the outbox. Nothing is written when any row is wrong.

Who sends the rows matters: an actor acts only on its regions (a row may neither create an
application elsewhere, nor touch or move one that is elsewhere), and the identity of an
existing application (phone, IIN, birth date) changes only when the actor may do that
explicitly, never as a side effect of a status import."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import iin as iins
from bot.outbox import PRIORITY_REPLY, enqueue
from bot.settings import Settings
from storage import applications
from storage.db import Database
from storage.models import Application


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


@dataclass(frozen=True)
class Actor:
    """Who imports: recorded as the events' source, limited to `regions` (None: all)."""

    source: str
    regions: frozenset[str] | None = None
    identity: bool = False  # may change the phone, IIN or birth date of an application

    @classmethod
    def of(cls, source: str, regions: Iterable[str] | None, identity: bool = False) -> Actor:
        scope = None if regions is None or "*" in regions else frozenset(regions)
        return cls(source, scope, identity)

    def covers(self, region: str) -> bool:
        return self.regions is None or region in self.regions


IDENTITY = {"phone": "phone", "iin": "IIN", "birth_date": "birth date"}


def check(
    raw_rows: list[dict[str, object]],
) -> tuple[list[tuple[int, applications.Row]], dict[int, list[str]]]:
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
            rows.append((n, row))
    return rows, errors


async def allowed(
    s: AsyncSession, rows: list[tuple[int, applications.Row]], actor: Actor, secret: str
) -> dict[int, list[str]]:
    """The rows this actor may not write: another region's application, a move to or from a
    region it does not cover, or a changed identity it may not change. By row number."""
    numbers = {row.application_no for _, row in rows}
    known = {
        a.number: a
        for a in await s.scalars(select(Application).where(Application.number.in_(numbers)))
    }
    errors: dict[int, list[str]] = {}
    for n, row in rows:
        problems, app = [], known.get(row.application_no)
        if not actor.covers(row.region):
            problems.append(f"region {row.region!r} is not one of yours")
        if app is not None and not actor.covers(app.region):
            problems.append(f"application {app.number} is of a region you do not cover")
        elif app is not None and not actor.identity:
            problems += [
                f"the {label} differs from the application's: a supervisor changes it on the "
                "application's page"
                for name, label in IDENTITY.items()
                if _differs(app, row, name, secret)
            ]
        if problems:
            errors[n] = problems
    return errors


def _differs(app: Application, row: applications.Row, name: str, secret: str) -> bool:
    given = getattr(row, name)
    if given is None:
        return False
    if name == "iin":
        return app.iin_hash is not None and app.iin_hash != iins.keyed_hash(secret, given)
    return getattr(app, name) not in (None, given)


async def apply(
    db: Database, settings: Settings, raw_rows: list[dict[str, object]], actor: Actor
) -> Outcome:
    from handlers.status import notify_subscribers

    rows, errors = check(raw_rows)
    outcome = Outcome(errors=errors, rows=len(raw_rows))
    if errors:
        return outcome
    secret = settings.resolved_secret_key()
    async with db.transaction() as s:
        outcome.errors = await allowed(s, rows, actor, secret)
        if outcome.errors:
            return outcome
        # Oldest first, so an application's current status is the latest one whatever the order.
        rows.sort(key=lambda nr: (nr[1].status_date, nr[1].application_no))
        changed = {}
        for _, row in rows:
            if app := await applications.record(s, row, secret, actor.source, actor.identity):
                changed[app.id] = app
        for app in changed.values():
            for contact, reply in await notify_subscribers(s, settings, app):
                enqueue(s, contact, reply, PRIORITY_REPLY)
                outcome.notified += 1
                outcome.channels.add(contact.channel)
        outcome.changed = len(changed)
    return outcome
