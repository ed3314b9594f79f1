"""Telegram failing for a long while: every send answered by 5xx pages, 429s and requests that
hang until they time out, while people keep writing. Nothing is lost, nothing arrives twice,
and each person's replies arrive in the order they were written.

OUTAGE_SECONDS (default 20) sets the length; `make bench` runs it for three minutes."""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from pathlib import Path

from aiohttp import web
from sqlalchemy import func, select

from bot.app import create_app
from storage.models import ProcessedUpdate
from tests.conftest import LiveServer, eventually, make_settings
from tests.delivery_helpers import text_replies, unsent
from tests.fakes.telegram_api import FakeBotAPI, _nginx_page, parse_html, too_many_requests

OUTAGE = float(os.environ.get("OUTAGE_SECONDS", "20"))
CHATS = 8
QUESTIONS = ("көмір пеш қалай жағады", "құжаттар тізімі", "Павлодарда пәтер қанша тұрады")


class FailingTelegram(FakeBotAPI):
    """Sends fail until `until`, in turns of two seconds: a 502 page, a 429 with retry_after,
    a request that hangs past the client's timeout and then fails (it never took effect)."""

    def __init__(self) -> None:
        super().__init__()
        self.until = 0.0
        self.failures: Counter[str] = Counter()

    async def _respond(self, token: str, method: str, params: dict) -> web.Response:
        now = time.monotonic()
        if method.lower().startswith("send") and now < self.until:
            turn = int(now / 2) % 3
            if turn == 0:
                self.failures["502"] += 1
                return web.Response(status=502, text=_nginx_page(502), content_type="text/html")
            if turn == 1:
                self.failures["429"] += 1
                return too_many_requests(2).to_response()
            self.failures["timeout"] += 1
            await asyncio.sleep(3.0)
            return web.Response(status=504, text=_nginx_page(504), content_type="text/html")
        return await super()._respond(token, method, params)


async def test_a_long_outage_loses_nothing_and_keeps_order(
    tmp_path: Path, database_url: str
) -> None:
    async with FailingTelegram() as fake:
        settings = make_settings(
            tmp_path,
            database_url,
            telegram_bot_token=fake.token,
            telegram_api_base=fake.base_url,
            telegram_rate_per_chat=50.0,
            send_timeout=1.0,
            outbox_retry_cap_seconds=2.0,  # back-off stays short so the test ends soon after
            # ...and with retries that frequent, enough of them to outlast the outage, as the
            # defaults (20 attempts up to 5 minutes apart) outlast about two hours.
            outbox_max_attempts=int(OUTAGE) + 20,
        )
        app = create_app(settings)
        async with LiveServer(app):
            fake.until = time.monotonic() + OUTAGE
            chats = [asyncio.create_task(chat(fake, 800_000 + i)) for i in range(CHATS)]
            await asyncio.gather(*chats)
            db = app.state.runtime.db
            await eventually(lambda: settled(db), within=OUTAGE + 60, interval=0.5)
            async with db.sessions() as s:
                handled = await s.scalar(select(func.count()).select_from(ProcessedUpdate))
            rows = await text_replies(db)
    assert handled == CHATS * (2 + len(QUESTIONS)), "every update was handled"
    assert {status for _, _, status in rows} == {"sent"}, "no reply given up on"
    assert min(fake.failures.values()) > 0 and len(fake.failures) == 3, "all three kinds hit"
    for i in range(CHATS):
        expected = [parse_html(t)[0] for ext, t, _ in rows if ext == str(800_000 + i)]
        got = [m["text"] for m in fake.sent_messages(800_000 + i) if "text" in m]
        assert got == expected, "each reply once, in the order it was written"


async def chat(fake: FakeBotAPI, user: int) -> None:
    """Someone writing on through the outage, a message every couple of seconds."""
    updates = [fake.make_message(user, "/start"), fake.make_callback(user, "lang:kk")]
    updates += [fake.make_message(user, q) for q in QUESTIONS]
    for update in updates:
        fake.push_update(update)
        await asyncio.sleep(OUTAGE / 5 / 2)


async def settled(db) -> bool:  # type: ignore[no-untyped-def]
    """Every update handled and nothing left to send."""
    async with db.sessions() as s:
        handled = await s.scalar(select(func.count()).select_from(ProcessedUpdate))
    return handled == CHATS * (2 + len(QUESTIONS)) and await unsent(db) == 0
