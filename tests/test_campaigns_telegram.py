"""Campaigns on Telegram through the fake Bot API: a person who blocked the bot is marked
unreachable, /stop works there, and a poster's link and QR code count who came through it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import create_app
from storage.models import Contact
from tests.conftest import LiveServer, eventually, free_port, make_settings
from tests.console_helpers import Console, add_staff
from tests.fakes.telegram_api import FakeBotAPI
from tests.test_campaigns import create_campaign, person

READER, BLOCKER = 700_500_001, 700_500_002


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as api:
        yield api


@pytest.fixture
async def server(tmp_path: Path, database_url: str, fake: FakeBotAPI):  # type: ignore[no-untyped-def]
    settings = make_settings(
        tmp_path, database_url, telegram_bot_token=fake.token, telegram_api_base=fake.base_url,
        telegram_rate_per_chat=50.0, campaign_tick_seconds=0.1, quiet_hours="00:00-00:00",
        whatsapp_phone_number="+7 700 000 00 00",
    )  # fmt: skip
    app = create_app(settings)
    async with LiveServer(app, port=free_port()) as live:
        live.app = app
        yield live


async def test_blocked_person_is_marked_unreachable_and_stop_works_on_telegram(
    server: LiveServer, fake: FakeBotAPI
) -> None:
    runtime = server.app.state.runtime
    reader = await person(runtime, str(READER), channel="telegram", gender="female")
    blocker = await person(runtime, str(BLOCKER), channel="telegram", gender="female")
    fake.blocked_chats.add(BLOCKER)
    await add_staff(runtime, "boss", role="supervisor")
    boss = Console(server.url)
    await boss.login("boss")
    campaign_id = await create_campaign(boss, {"gender": "female"})
    await boss.post(f"/console/campaigns/{campaign_id}/schedule", {"at": ""})
    [news] = await fake.wait_for_messages(READER, count=1)
    assert news["text"].startswith("Сәлеметсіз бе!")
    assert [b["callback_data"] for row in news["reply_markup"]["inline_keyboard"] for b in row] == [
        f"nw:{campaign_id}:p:women", f"nw:{campaign_id}:hf"
    ]  # fmt: skip

    async def blocked() -> bool:
        async with runtime.db.sessions() as s:
            return (await s.get(Contact, blocker)).blocked_at is not None

    assert await eventually(blocked)
    results = await eventually(lambda: _done_page(boss, campaign_id))
    assert "заблокировали бота</dt><dd>1</dd>" in results, "one blocked the bot"

    fake.push_update(fake.make_message(READER, "/stop"))
    [_, stopped] = await fake.wait_for_messages(READER, count=2)
    assert "/subscriptions" in stopped["text"]
    async with runtime.db.sessions() as s:
        assert (await s.get(Contact, reader)).blocked_at is None


async def _done_page(boss: Console, campaign_id: int) -> str | None:
    page = await boss.get(f"/console/campaigns/{campaign_id}/progress")
    return page.text if "2 / 2" in page.text else None


async def test_a_poster_link_and_its_qr_code_count_who_came(
    server: LiveServer, fake: FakeBotAPI
) -> None:
    runtime = server.app.state.runtime
    await add_staff(runtime, "boss", role="supervisor")
    boss = Console(server.url)
    await boss.login("boss")
    assert (
        await boss.post("/console/links", {"code": "fair_kostanay", "label": "Ярмарка"})
    ).status_code == 303
    assert (
        await boss.post("/console/links", {"code": "bad code!", "label": "x"})
    ).status_code == 422
    page = await boss.get("/console/links")
    assert "https://t.me/qonys_test_bot?start=fair_kostanay" in page.text
    assert "https://wa.me/77000000000?text=/start%20fair_kostanay" in page.text
    qr = await boss.get("/console/links/fair_kostanay/telegram.png")
    assert qr.status_code == 200 and qr.content.startswith(b"\x89PNG")
    assert (await boss.get("/console/links/nope/telegram.png")).status_code == 404

    fake.push_update(fake.make_message(READER, "/start fair_kostanay", language_code="kk"))
    await fake.wait_for_messages(READER, count=1)
    page = await boss.get("/console/links")
    row = page.text.split("fair_kostanay</code>")[1].split("</tr>")[0]
    assert '<td>1 <span class="pill">telegram 1</span></td>' in row
    async with runtime.db.sessions() as s:
        assert (await s.scalar(select(Contact.source))) == "fair_kostanay"
