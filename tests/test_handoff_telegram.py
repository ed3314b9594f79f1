"""Handoff on Telegram: voice notes and photos reach the caseworker and play in the console,
the reply arrives signed with the caseworker's name, and long waits alert the staff chat."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from bot.alerts import WAITING_LONG, WaitAlerts
from bot.app import create_app
from bot.clock import FakeClock
from bot.i18n import Translator
from storage.models import Case, Contact, Message, utcnow
from tests.conftest import LiveServer, eventually, free_port, make_settings
from tests.console_helpers import Console, add_staff
from tests.fakes.telegram_api import FakeBotAPI

USER = 700_300_400
STAFF_CHAT = -100_555


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as api:
        yield api


@pytest.fixture
async def server(tmp_path: Path, database_url: str, fake: FakeBotAPI):  # type: ignore[no-untyped-def]
    settings = make_settings(
        tmp_path,
        database_url,
        telegram_bot_token=fake.token,
        telegram_api_base=fake.base_url,
        telegram_rate_per_chat=50.0,
        send_timeout=2.0,
        console_alert_minutes=5,
        console_alert_chat_id=str(STAFF_CHAT),
        scheduler_interval_seconds=0.2,
        public_url=None,
    )
    app = create_app(settings)
    async with LiveServer(app, port=free_port()) as live:
        live.app = app
        yield live


async def press(fake: FakeBotAPI, data: str, count: int) -> None:
    fake.push_update(fake.make_callback(USER, data))
    await fake.wait_for_messages(USER, count=count)


async def ask_for_person(fake: FakeBotAPI) -> None:
    fake.push_update(fake.make_message(USER, "/start", language_code="ru"))
    await fake.wait_for_messages(USER, count=1)
    await press(fake, "lang:ru", 2)
    fake.push_update(fake.make_message(USER, "/operator"))
    await fake.wait_for_messages(USER, count=3)
    await press(fake, "hfok", 4)
    await press(fake, "hft:money", 5)
    await press(fake, "hfr:money:pavlodar", 6)


async def test_voice_and_photo_reach_the_console_and_the_reply_is_signed(
    server: LiveServer, fake: FakeBotAPI
) -> None:
    runtime = server.app.state.runtime
    await add_staff(runtime, "dana", regions=("pavlodar",))
    await ask_for_person(fake)
    fake.push_update(fake.make_voice(USER, data=b"OggS\x00voice-of-the-person"))
    fake.push_update(fake.make_photo(USER, caption="это справка", data=b"\xff\xd8\xff\xe0photo"))

    async def stored() -> list[Message]:
        async with runtime.db.sessions() as s:
            found = await s.scalars(select(Message).where(Message.kind.in_(["voice", "photo"])))
            rows = list(found)
            return rows if len(rows) == 2 else []

    voice, photo = sorted(await eventually(stored), key=lambda m: m.kind != "voice")
    assert len(fake.sent_messages(USER)) == 6, "the bot said nothing to the voice note or photo"
    async with runtime.db.sessions() as s:
        case = await s.scalar(select(Case))
    worker = Console(server.url)
    await worker.login("dana")
    page = await worker.get(f"/console/cases/{case.id}")
    assert (
        f'<audio controls preload="none" src="/console/cases/{case.id}/media/{voice.id}">'
        in page.text
    )
    assert "это справка" in page.text
    played = await worker.get(f"/console/cases/{case.id}/media/{voice.id}")
    assert played.status_code == 200 and played.content == b"OggS\x00voice-of-the-person"
    assert played.headers["content-type"] == "audio/ogg"
    shown = await worker.get(f"/console/cases/{case.id}/media/{photo.id}")
    assert (
        shown.content == b"\xff\xd8\xff\xe0photo" and shown.headers["content-type"] == "image/jpeg"
    )

    await worker.post(f"/console/cases/{case.id}/reply", {"text": "Получили, спасибо!"})
    answer = (await fake.wait_for_messages(USER, count=7))[-1]
    assert answer["text"] == "👤 Dana:\nПолучили, спасибо!"
    await worker.aclose()


async def test_a_long_wait_alerts_the_staff_chat_once(server: LiveServer, fake: FakeBotAPI) -> None:
    runtime = server.app.state.runtime
    await ask_for_person(fake)
    async with runtime.db.transaction() as s:
        await s.execute(update(Case).values(created_at=utcnow() - timedelta(minutes=6)))
    alert = (await fake.wait_for_messages(STAFF_CHAT, count=1))[-1]
    expected = Translator("kk").gettext(WAITING_LONG, minutes=5)  # staff language: DEFAULT_LOCALE
    assert alert["text"].startswith(expected) and "/console/cases/" in alert["text"]
    async with runtime.db.sessions() as s:
        contact = await s.scalar(select(Contact).where(Contact.channel == "telegram"))
    assert str(USER) not in alert["text"] and (contact.display_name or "") not in alert["text"]
    await asyncio.sleep(0.6)
    assert len(fake.sent_messages(STAFF_CHAT)) == 1


async def test_two_workers_alert_once(runtime) -> None:  # type: ignore[no-untyped-def]
    async with runtime.db.transaction() as s:
        contact = Contact(channel="web", external_id="x", step_data={}, last_buttons=[])
        s.add(contact)
        await s.flush()
        s.add(Case(contact_id=contact.id, region="abai", topic="job", status="waiting"))
    sent: list[str] = []

    async def send(text: str) -> None:
        sent.append(text)

    clock = FakeClock(utcnow() + timedelta(minutes=30))
    settings = runtime.settings.model_copy(update={"console_alert_minutes": 10})
    workers = [WaitAlerts(runtime.db, settings, send, clock) for _ in range(2)]
    await asyncio.gather(*(w.run_once() for w in workers))
    await asyncio.gather(*(w.run_once() for w in workers))
    assert len(sent) == 1
