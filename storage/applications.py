"""Applications and their statuses as the state systems report them: validate, then record.

Every way in (CSV import, the JSON API, the console) goes through `validate` and `record`, so
the same rules hold everywhere: all rows are checked before any is written, a row already
known changes nothing, and each new status is an event in the application's history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pydantic import BaseModel, Field, ValidationError, field_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import iin as iins
from bot import phones
from storage.models import Application, ApplicationEvent, utcnow

NUMBER = r"^[A-Za-z0-9\-/.]{1,40}$"  # an application number as the state systems write it
COLUMNS = (
    "application_no",
    "programme",
    "region",
    "phone",
    "iin",
    "birth_date",
    "status",
    "status_date",
)


class Row(BaseModel):
    """One application at one status, as a state system sends it."""

    model_config = {"extra": "ignore", "str_strip_whitespace": True}

    application_no: str = Field(min_length=1, max_length=40, pattern=NUMBER)
    programme: str
    region: str
    phone: str | None = None
    iin: str | None = None
    birth_date: date | None = None
    status: str
    status_date: date

    @field_validator("phone", "iin", "birth_date", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if value in ("", None) else value

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        digits = phones.key(value)
        if digits is None:
            raise ValueError("phone must have 10 to 15 digits")
        return digits

    @field_validator("iin")
    @classmethod
    def _iin(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not iins.is_valid(value):
            raise ValueError("IIN is not 12 digits with a valid check digit")
        return value


@dataclass
class Known:
    """What a row may name: the status ids of each programme and the receiving regions."""

    statuses: dict[str, set[str]]  # programme -> status ids
    regions: set[str]


def validate(raw: dict[str, object], known: Known) -> tuple[Row | None, list[str]]:
    try:
        row = Row.model_validate(raw)
    except ValidationError as exc:
        return None, [f"{'.'.join(map(str, e['loc'])) or 'row'}: {e['msg']}" for e in exc.errors()]
    errors = []
    if row.programme not in known.statuses:
        errors.append(f"programme: must be one of {', '.join(sorted(known.statuses))}")
    elif row.status not in known.statuses[row.programme]:
        errors.append(f"status: {row.status!r} is not a status of {row.programme}")
    if row.region not in known.regions:
        errors.append(f"region: {row.region!r} is not a receiving region id")
    return (row if not errors else None), errors


async def record(
    s: AsyncSession, row: Row, secret_key: str, source: str, identity: bool = False
) -> Application | None:
    """Create or update the application; returns it when its current status changed. The
    phone, IIN and birth date of a known application are only filled in where missing, unless
    the caller may change them (`identity`): a status import never re-keys an application."""
    app = await s.scalar(select(Application).where(Application.number == row.application_no))
    created = app is None
    if app is None:
        app = Application(number=row.application_no, status=row.status, status_date=row.status_date)
        s.add(app)
    app.programme, app.region = row.programme, row.region
    if row.phone and (identity or created or app.phone is None):
        app.phone = row.phone
    if row.iin and (identity or created or app.iin_hash is None):
        app.iin_hash = iins.keyed_hash(secret_key, row.iin)
    if row.birth_date and (identity or created or app.birth_date is None):
        app.birth_date = row.birth_date
    await s.flush()
    seen = await s.scalar(
        select(ApplicationEvent.id).where(
            ApplicationEvent.application_id == app.id,
            ApplicationEvent.status == row.status,
            ApplicationEvent.status_date == row.status_date,
        )
    )
    if seen:
        return None
    s.add(
        ApplicationEvent(
            application_id=app.id,
            status=row.status,
            status_date=row.status_date,
            source=source[:40],
        )
    )
    changed = created or (row.status_date, row.status) != (app.status_date, app.status)
    if created or row.status_date >= app.status_date:  # an older event only fills the history
        app.status, app.status_date = row.status, row.status_date
    app.updated_at = utcnow()
    await s.flush()
    return app if changed and app.status == row.status else None


async def history(s: AsyncSession, app: Application) -> list[ApplicationEvent]:
    rows = await s.scalars(
        select(ApplicationEvent)
        .where(ApplicationEvent.application_id == app.id)
        .order_by(ApplicationEvent.status_date, ApplicationEvent.id)
    )
    return list(rows)
