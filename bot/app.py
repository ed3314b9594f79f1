"""The FastAPI application: web chat, webhooks, health; senders and Telegram run alongside."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text

import console
from bot import api, housekeeping
from bot.campaigns import CampaignRunner
from bot.channels import webchat
from bot.hub import Hub
from bot.runtime import Runtime
from bot.scheduler import Scheduler
from bot.settings import Settings, get_settings
from content.package import get_package
from content.procedures import get_procedures

log = logging.getLogger(__name__)
STATIC = Path(webchat.__file__).resolve().parent / "static"


def _wait_alerts(runtime: Runtime, settings: Settings, telegram) -> asyncio.Task | None:  # type: ignore[no-untyped-def]
    """Staff alerts on long waits, when switched on and a Telegram bot can send them."""
    if not (settings.console_alert_minutes and settings.console_alert_chat_id and telegram):
        return None
    from bot.alerts import WaitAlerts

    async def send(text: str) -> None:
        await telegram.bot.send_message(chat_id=settings.console_alert_chat_id, text=text)

    return asyncio.create_task(WaitAlerts(runtime.db, settings, send).run_forever())


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    runtime = Runtime(settings)
    hub = Hub()
    telegram = whatsapp = None
    if settings.telegram_bot_token:
        from bot.channels.telegram import TelegramChannel

        telegram = TelegramChannel(settings, runtime.core)
    if settings.whatsapp_enabled:
        from bot.channels.whatsapp import WhatsAppChannel

        whatsapp = WhatsAppChannel(settings, runtime.core, runtime.db)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.migrate()
        # Load the package and build the search index before the first question, not during it.
        await asyncio.to_thread(get_package)
        await asyncio.to_thread(get_procedures)
        runtime.add_sender(webchat.WebDeliverer(hub)).start()
        if telegram:
            runtime.add_sender(
                telegram,
                rate=settings.telegram_rate_global,
                per_chat_rate=settings.telegram_rate_per_chat,
                per_chat_burst=settings.telegram_burst_per_chat,
            ).start()
            await telegram.start()
        if whatsapp:
            sender = runtime.add_sender(
                whatsapp,
                rate=settings.whatsapp_rate,
                per_chat_rate=settings.whatsapp_rate_per_recipient,
                per_chat_burst=settings.whatsapp_burst_per_recipient,
            )
            whatsapp.on_requeue = sender.notify
            sender.start()
        chores = asyncio.create_task(
            housekeeping.run_forever(
                runtime.db,
                settings.keep_update_ids_days,
                settings.retention_months,
                settings.data_dir,
            )
        )
        scheduler = Scheduler(
            runtime.db, settings, on_outbox=lambda ch: runtime.core.on_outbox(ch, 0)
        )
        jobs = asyncio.create_task(scheduler.run_forever())
        campaigns = asyncio.create_task(app.state.campaigns.run_forever())
        alerts = _wait_alerts(runtime, settings, telegram)
        log.info(
            "Qonys is up: web chat on /, Telegram %s, WhatsApp %s",
            settings.telegram_mode or "off",
            "on" if whatsapp else "off",
        )
        yield
        chores.cancel()
        jobs.cancel()
        campaigns.cancel()
        if alerts:
            alerts.cancel()
        if telegram:
            await telegram.stop()
        await runtime.close()

    app = FastAPI(title="Qonys", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.runtime, app.state.hub, app.state.telegram = runtime, hub, telegram
    app.state.campaigns = CampaignRunner(runtime.db, settings, on_outbox=runtime.wake)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
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

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> JSONResponse:
        try:
            async with runtime.db.sessions() as s:
                await s.execute(text("SELECT 1"))
        except Exception as exc:  # report, do not raise: this is what the probe is for
            return JSONResponse({"status": "unhealthy", "database": str(exc)[:200]}, 503)
        return JSONResponse({"status": "ok", "database": "ok"})

    return app
