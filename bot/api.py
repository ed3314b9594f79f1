"""The JSON API for state information systems: application statuses, offices and visit times.

Each integration has its own token (`qonys tokens add NAME --region R | --all-regions
[--read-only]`); only its SHA-256 is stored, so a copy of the database does not hand out
working tokens. A token acts only on the applications and offices of its regions (another
region's answers 404, as an unknown one does) and a read-only token never writes (403).
The token is checked before the request body is read. The schema is at /openapi.json.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo

from annotated_types import Interval
from fastapi import APIRouter, Depends, HTTPException, Path, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field, ValidationError, model_validator
from sqlalchemy import select

from bot import status_updates
from bot.runtime import Runtime
from bot.workdays import is_working_day
from storage import applications
from storage import appointments as appts
from storage.models import ApiToken, Application, Office, Slot, utcnow

bearer = HTTPBearer(auto_error=False)
# Days a plan or a query may name. Near the calendar's ends (year 1, 9999) a day's local
# midnight in UTC, or the day after it, does not exist.
Day = Annotated[date, Interval(ge=date(2000, 1, 1), le=date(2100, 12, 31))]
# Ids in paths have the form their records have, so junk (NUL included) never reaches a query.
Number = Annotated[str, Path(pattern=applications.NUMBER)]
OfficeId = Annotated[str, Path(pattern=r"^[a-z0-9_\-]{2,40}$")]


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> tuple[str, str]:
    token = "qonys_" + secrets.token_urlsafe(32)
    return token, token_hash(token)


class StatusRows(BaseModel):
    rows: list[dict[str, Any]] = Field(min_length=1, max_length=5000)


class SlotPlan(BaseModel):
    """Open times on working days from `date_from` to `date_to`, every `every_minutes` from
    `first` until `last` (local time)."""

    date_from: Day
    date_to: Day
    first: time = time(9, 0)
    last: time = time(13, 0)
    every_minutes: int = Field(30, ge=5, le=240)
    minutes: int = Field(30, ge=5, le=240)
    service: str = Field("any", max_length=32)

    @model_validator(mode="after")
    def _span(self) -> SlotPlan:
        if not 0 <= (self.date_to - self.date_from).days <= 92:
            raise ValueError("date_to must be on or after date_from, at most three months later")
        return self


@dataclass(frozen=True)
class Integration:
    name: str
    regions: tuple[str, ...]
    read_only: bool

    def covers(self, region: str | None) -> bool:
        return "*" in self.regions or (region is not None and region in self.regions)

    def writes(self) -> None:
        if self.read_only:
            raise HTTPException(403, "this token is read-only")

    def actor(self) -> status_updates.Actor:
        return status_updates.Actor.of(f"api:{self.name}", self.regions)


Model = TypeVar("Model", bound=BaseModel)


async def body_of(request: Request, model: type[Model]) -> Model:
    """The JSON body, read only now that the token is known (and no longer than the app's
    body limit lets through)."""
    try:
        return model.model_validate_json(await request.body())
    except ValidationError as exc:
        errors = [{"loc": list(map(str, e["loc"])), "msg": e["msg"]} for e in exc.errors()]
        raise HTTPException(422, errors) from None


def _schema(model: type[BaseModel]) -> dict[str, Any]:
    """The request body in the OpenAPI schema, although the route reads it itself."""
    schema = {"schema": model.model_json_schema(ref_template="#/components/schemas/{model}")}
    return {"requestBody": {"required": True, "content": {"application/json": schema}}}


async def integration(
    request: Request,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Integration:
    """The integration whose token came with the request, or 401."""
    if creds is None or not creds.credentials:
        raise HTTPException(401, "a bearer token is required", {"WWW-Authenticate": "Bearer"})
    runtime: Runtime = request.app.state.runtime
    async with runtime.db.transaction() as s:
        token = await s.scalar(
            select(ApiToken).where(ApiToken.token_hash == token_hash(creds.credentials))
        )
        if token is None or token.revoked_at is not None:
            raise HTTPException(401, "unknown or revoked token", {"WWW-Authenticate": "Bearer"})
        token.last_used_at = utcnow()
        return Integration(token.name, tuple(token.regions or ()), token.read_only)


Caller = Annotated[Integration, Depends(integration)]


def router(runtime: Runtime) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["integrations"])

    @api.post(
        "/applications",
        summary="Create or update applications and their statuses",
        openapi_extra=_schema(StatusRows),
    )
    async def post_statuses(request: Request, caller: Caller) -> JSONResponse:
        caller.writes()
        body = await body_of(request, StatusRows)
        outcome = await status_updates.apply(
            runtime.db, runtime.settings, body.rows, caller.actor()
        )
        if not outcome.ok:
            return JSONResponse({"imported": 0, "errors": outcome.errors}, 422)
        for channel in outcome.channels:
            runtime.core.on_outbox(channel, 0)
        return JSONResponse(
            {"imported": outcome.rows, "changed": outcome.changed, "notified": outcome.notified}
        )

    @api.get("/applications/{number}", summary="An application's current status and history")
    async def get_application(number: Number, caller: Caller) -> dict[str, Any]:
        async with runtime.db.sessions() as s:
            app = await s.scalar(select(Application).where(Application.number == number))
            if app is None or not caller.covers(app.region):
                raise HTTPException(404, "no such application")
            events = await applications.history(s, app)
        return {
            "application_no": app.number,
            "programme": app.programme,
            "region": app.region,
            "status": app.status,
            "status_date": app.status_date.isoformat(),
            "history": [
                {"status": e.status, "status_date": e.status_date.isoformat(), "source": e.source}
                for e in events
            ],
        }

    @api.put(
        "/offices/{office_id}",
        summary="Create or update an office",
        openapi_extra=_schema(appts.OfficeIn),
    )
    async def put_office(request: Request, office_id: OfficeId, caller: Caller) -> dict[str, Any]:
        caller.writes()
        body = await body_of(request, appts.OfficeIn)
        if body.id != office_id:
            raise HTTPException(422, "the id in the path and in the body differ")
        async with runtime.db.transaction() as s:
            known = await s.get(Office, office_id)
            if not caller.covers(body.region) or (known and not caller.covers(known.region)):
                raise HTTPException(404, "no such office in this token's regions")
            office = await appts.save_office(s, body)
            return appts.office_public(office)

    @api.post(
        "/offices/{office_id}/slots",
        summary="Open visit times at an office",
        openapi_extra=_schema(SlotPlan),
    )
    async def post_slots(request: Request, office_id: OfficeId, caller: Caller) -> dict[str, int]:
        caller.writes()
        plan = await body_of(request, SlotPlan)
        zone = ZoneInfo(runtime.settings.timezone)
        async with runtime.db.transaction() as s:
            office = await s.get(Office, office_id)
            if office is None or not caller.covers(office.region):
                raise HTTPException(404, "no such office")
            created = await appts.publish(
                s, office_id, plan_times(plan, zone), plan.minutes, plan.service
            )
        return {"created": created}

    @api.get("/offices/{office_id}/slots", summary="Visit times and whether they are booked")
    async def get_slots(office_id: OfficeId, day: Day, caller: Caller) -> list[dict[str, Any]]:
        zone = ZoneInfo(runtime.settings.timezone)
        start = datetime.combine(day, time(0), tzinfo=zone)
        async with runtime.db.sessions() as s:
            office = await s.get(Office, office_id)
            if office is None or not caller.covers(office.region):
                raise HTTPException(404, "no such office")
            slots = await s.scalars(
                select(Slot)
                .where(Slot.office_id == office_id, Slot.starts_at >= start)
                .where(Slot.starts_at < start + timedelta(days=1))
                .order_by(Slot.starts_at)
            )
            return [
                {
                    "id": slot.id,
                    "starts_at": slot.starts_at.astimezone(zone).isoformat(),
                    "service": slot.service,
                    "booked": slot.contact_id is not None,
                    "booked_service": slot.booked_service,
                }
                for slot in slots
            ]

    return api


def plan_times(plan: SlotPlan, zone: ZoneInfo) -> list[datetime]:
    out, day = [], plan.date_from
    while day <= plan.date_to:
        if is_working_day(day):
            out += appts.day_times(day, plan.first, plan.last, plan.every_minutes, zone)
        day += timedelta(days=1)
    return out
