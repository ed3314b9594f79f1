"""The FastAPI application: web chat, webhooks, health; senders and Telegram run alongside."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

import console
from bot import api, housekeeping, logredact
from bot.bodylimit import BodyLimit, TooLarge
from bot.campaigns import CampaignRunner
from bot.channels import webchat
from bot.leader import Job
from bot.runtime import Runtime
from bot.scheduler import Scheduler
from bot.settings import Settings, get_settings
from storage.models import HealthProbe

log = logging.getLogger(__name__)
HEALTH_TIMEOUT = 1.5  # seconds; a probe that hangs is as bad as one that fails
SCHEMA_READY = "QONYS_SCHEMA_READY"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
STATIC = Path(webchat.__file__).resolve().parent / "static"


class Hardened:
    """The web chat's own files get the page's headers: no framing, no sniffing."""

    def __init__(self, app) -> None:  # type: ignore[no-untyped-def]
        self.app = app

    async def __call__(self, scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        async def with_headers(message) -> None:  # type: ignore[no-untyped-def]
            if message["type"] == "http.response.start":
                extra = [(k.lower().encode(), v.encode()) for k, v in webchat.PAGE_HEADERS.items()]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, with_headers)


def _jobs(app: FastAPI, runtime: Runtime, settings: Settings, telegram) -> dict[str, Job]:  # type: ignore[no-untyped-def]
    """What runs in the background in one place only (with several workers, in one of them)."""
    scheduler = Scheduler(runtime.db, settings, on_outbox=lambda ch: runtime.core.on_outbox(ch, 0))
    jobs: dict[str, Job] = {
        "housekeeping": lambda: housekeeping.run_forever(
            runtime.db,
            settings.keep_update_ids_days,
            settings.retention_months,
            settings.data_dir,
            settings.webchat_idle_visitor_days,
        ),
        "reminders": scheduler.run_forever,
        "campaigns": app.state.campaigns.run_forever,
    }
    if telegram and settings.telegram_mode == "polling":
        jobs["telegram-polling"] = telegram.poll  # Telegram allows one getUpdates at a time
    if settings.console_alert_minutes and settings.console_alert_chat_id and telegram:
        from bot.alerts import WaitAlerts

        async def send(text: str) -> None:
            await telegram.bot.send_message(chat_id=settings.console_alert_chat_id, text=text)

        jobs["wait-alerts"] = WaitAlerts(runtime.db, settings, send).run_forever
    if settings.console_alert_chat_id and telegram:
        from bot.content_digest import ContentDigest

        async def digest(text: str) -> None:
            await telegram.bot.send_message(chat_id=settings.console_alert_chat_id, text=text)

        jobs["content-digest"] = ContentDigest(runtime.db, settings, digest).run_forever
    return jobs


def _content_loaded(task: asyncio.Task) -> None:
    if not task.cancelled() and (error := task.exception()):
        log.error("the content did not load; questions will fail: %s", error)


class WriteProbe:
    """Whether a write can succeed now: a scratch row written and deleted in one transaction
    (so a full disk or a read-only database shows), at most once every few seconds."""

    every = 5.0  # seconds

    def __init__(self) -> None:
        self.result, self.at = "ok", float("-inf")

    async def check(self, runtime: Runtime) -> str:
        now = asyncio.get_running_loop().time()
        if now - self.at < self.every:
            return self.result
        try:
            async with asyncio.timeout(HEALTH_TIMEOUT), runtime.db.transaction() as s:
                row = HealthProbe(data=os.urandom(2048).hex())  # a few pages' worth
                s.add(row)
                await s.flush()
                await s.delete(row)
            self.result = "ok"
        except Exception as exc:  # report, do not raise: this is what the probe is for
            self.result = f"cannot write: {type(exc).__name__}: {exc}"[:200]
        self.at = now
        return self.result


async def _check_database(runtime: Runtime, probe: WriteProbe) -> str:
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT):
            async with runtime.db.sessions() as s:
                await s.execute(text("SELECT 1"))
    except Exception as exc:  # report, do not raise: this is what the probe is for
        return f"{type(exc).__name__}: {exc}"[:200]
    return await probe.check(runtime)


async def _check_redis(runtime: Runtime) -> str:
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT):
            await runtime.redis.ping()  # type: ignore[union-attr]
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"[:200]
    return "ok"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    os.umask(0o077)  # the database, its WAL, PDFs and pictures: readable by this user only
    logredact.install()
    if not logging.getLogger().handlers:  # a worker process started by `qonys run --workers`
        logging.basicConfig(level=settings.log_level, format=LOG_FORMAT)
    runtime = Runtime(settings)
    hub = runtime.hub("webchat")
    telegram = whatsapp = None
    if settings.telegram_bot_token:
        from bot.channels.telegram import TelegramChannel

        telegram = TelegramChannel(settings, runtime.core)
    if settings.whatsapp_enabled:
        from bot.channels.whatsapp import WhatsAppChannel

        whatsapp = WhatsAppChannel(settings, runtime.core, runtime.db)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if os.environ.get(SCHEMA_READY) != "1":  # `qonys run` migrated before starting us
            await runtime.migrate()
        # The package and search index load while the server already answers greetings and
        # menus; the first question waits for them (a second or two after a start).
        loading = asyncio.create_task(runtime.content.run())
        loading.add_done_callback(_content_loaded)
        app.state.content = loading
        runtime.start()
        runtime.add_sender(webchat.WebDeliverer(hub)).start()
        if telegram:
            runtime.add_sender(
                telegram,
                rate=settings.telegram_rate_global,
                per_chat_rate=settings.telegram_rate_per_chat,
                per_chat_burst=settings.telegram_burst_per_chat,
            ).start()
            await telegram.start(poll=False)
        if whatsapp:
            sender = runtime.add_sender(
                whatsapp,
                rate=settings.whatsapp_rate,
                per_chat_rate=settings.whatsapp_rate_per_recipient,
                per_chat_burst=settings.whatsapp_burst_per_recipient,
            )
            whatsapp.on_requeue = sender.notify
            sender.start()
        jobs = [asyncio.create_task(runtime.jobs.run(name, job)) for name, job in
                _jobs(app, runtime, settings, telegram).items()]  # fmt: skip
        log.info(
            "Qonys is up: web chat on /, Telegram %s, WhatsApp %s",
            settings.telegram_mode or "off",
            "on" if whatsapp else "off",
        )
        yield
        for job in [*jobs, loading]:
            job.cancel()
        await asyncio.gather(*jobs, return_exceptions=True)
        if telegram:
            await telegram.stop()
        await runtime.close()

    app = FastAPI(title="Qonys", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.add_middleware(BodyLimit)
    app.state.runtime, app.state.hub, app.state.telegram = runtime, hub, telegram
    app.state.campaigns = CampaignRunner(runtime.db, settings, on_outbox=runtime.wake)
    app.mount("/static", Hardened(StaticFiles(directory=STATIC)), name="static")
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    charts = settings.data_dir / "charts"
    charts.mkdir(parents=True, exist_ok=True)
    app.mount("/media", StaticFiles(directory=charts), name="media")
    app.include_router(webchat.router(runtime, hub))
    app.include_router(api.router(runtime))
    console.install(app)
    if telegram:
        app.include_router(telegram.webhook_router())
    if whatsapp:
        app.include_router(whatsapp.webhook_router())
    app.state.whatsapp = whatsapp

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's default echoes the input, which fails on bytes that are not UTF-8 (a 500).
        errors = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))}
            for e in exc.errors()
        ]
        return JSONResponse({"detail": errors}, 422)

    @app.exception_handler(TooLarge)
    @app.exception_handler(webchat.Limited)
    async def refused(request: Request, exc: HTTPException) -> JSONResponse:
        # Said as the web chat says every refusal: {"error": why}, with the exception's headers
        # (Retry-After; Connection: close so an unread body is not read after all).
        return JSONResponse({"error": exc.detail}, exc.status_code, headers=exc.headers)

    @app.exception_handler(SQLAlchemyError)
    @app.exception_handler(RedisError)
    @app.exception_handler(OSError)
    async def unavailable(request: Request, exc: Exception) -> JSONResponse:
        # The database or Redis is away (restarting): nothing was stored, so say "try again"
        # (Telegram and Meta re-deliver on a 5xx) instead of a 500 that looks like a bug.
        path = logredact.redact_path(request.url.path)
        log.warning("%s %s: service unavailable: %s", request.method, path, exc)
        return JSONResponse({"detail": "temporarily unavailable, try again"}, 503,
                            headers={"Retry-After": "5"})  # fmt: skip

    probe = app.state.health_probe = WriteProbe()

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> JSONResponse:
        checks = {"database": await _check_database(runtime, probe)}
        if runtime.redis:
            checks["redis"] = await _check_redis(runtime)
        # Ready for traffic once questions can be answered without waiting for the package.
        if runtime.content.error and not runtime.content.ready:
            checks["content"] = "failed to load (see the log)"
        elif not runtime.content.ready:
            checks["content"] = "loading"
        healthy = all(v == "ok" for v in checks.values())
        return JSONResponse({"status": "ok" if healthy else "unhealthy", **checks},
                            200 if healthy else 503)  # fmt: skip

    return app
