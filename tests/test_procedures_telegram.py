"""Checklist, status and booking on Telegram through the fake Bot API: the PDF arrives as a
document, a phone Telegram confirmed opens the status at once, a booking carries a map pin."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, time
from pathlib import Path

import pytest
from sqlalchemy import select

from bot import status_updates
from bot.i18n import Translator
from content.procedures import get_procedures
from storage import appointments as appts
from storage.models import Contact, Profile
from tests.fakes.telegram_api import FakeBotAPI, callback_datas
from tests.test_appointment import OFFICE, SERVICE, ZONE, next_working_day
from tests.test_status import IIN, row
from tests.test_telegram import USER, start_app

RU = Translator("ru")


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as api:
        yield api


@pytest.fixture
async def polling(tmp_path: Path, database_url: str, fake: FakeBotAPI):  # type: ignore[no-untyped-def]
    app, server = await start_app(tmp_path, database_url, fake, webhook=False)
    async with server:
        yield app


class Person:
    """Presses the buttons Telegram shows, as a person would, counting the bot's messages."""

    def __init__(self, fake: FakeBotAPI, seen: int) -> None:
        self.fake, self.seen = fake, seen

    async def press(self, prefix: str, expect: int = 1) -> list[dict]:
        last = self.fake.sent_messages(USER)[-1]
        data = next(d for d in callback_datas(last.get("reply_markup")) if d.startswith(prefix))
        self.fake.push_update(self.fake.make_callback(USER, data))
        self.seen += expect
        return await self.fake.wait_for_messages(USER, count=self.seen)

    async def say(self, text: str, expect: int = 1) -> list[dict]:
        self.fake.push_update(self.fake.make_message(USER, text))
        self.seen += expect
        return await self.fake.wait_for_messages(USER, count=self.seen)


async def begin(app, fake: FakeBotAPI, **profile: object) -> int:  # type: ignore[no-untyped-def]
    fake.push_update(fake.make_message(USER, "/start"))
    await fake.wait_for_messages(USER, count=1)
    fake.push_update(fake.make_callback(USER, "lang:ru"))
    await fake.wait_for_messages(USER, count=2)
    db = app.state.runtime.db
    async with db.transaction() as s:
        contact = await s.scalar(select(Contact).where(Contact.channel == "telegram"))
        s.add(
            Profile(
                contact_id=contact.id, children_ages=[], extra={}, answered=["phone"], **profile
            )
        )
    return 2


async def test_checklist_pdf_arrives_as_a_document(polling, fake: FakeBotAPI) -> None:  # type: ignore[no-untyped-def]
    person = Person(fake, await begin(polling, fake, programme="kandas", adults=2, children=1))
    await person.say("/checklist", expect=2)  # why, then the consent to agree to
    await person.press("cs:yes", expect=2)  # thanks, then the lists
    messages = await person.press("cl:kandas")
    assert get_procedures().checklists["kandas"].title.ru in messages[-1]["text"]
    messages = await person.press("cp:", expect=2)
    [call] = fake.calls("sendDocument")
    assert call["document"].data[:5] == b"%PDF-"
    assert messages[-2]["document"]["file_name"].endswith(".pdf")


async def test_a_phone_telegram_confirmed_opens_the_status(polling, fake: FakeBotAPI) -> None:  # type: ignore[no-untyped-def]
    person = Person(fake, await begin(polling, fake, phone="+77011112233", phone_verified=True))
    runtime = polling.state.runtime
    actor = status_updates.Actor("csv")
    outcome = await status_updates.apply(runtime.db, runtime.settings, [row()], actor)
    assert outcome.ok
    await person.say("/status")
    messages = await person.say("KZ-2026-0001")
    assert get_procedures().statuses["received"].title.ru in messages[-1]["text"]
    assert IIN not in str(messages)


async def test_booking_on_telegram_sends_a_map_pin(polling, fake: FakeBotAPI) -> None:  # type: ignore[no-untyped-def]
    person = Person(fake, await begin(polling, fake))
    db = polling.state.runtime.db
    day = next_working_day()
    async with db.transaction() as s:
        await appts.save_office(s, appts.OfficeIn.model_validate(OFFICE))
        await appts.publish(s, "test-cc", [datetime.combine(day, time(10), tzinfo=ZONE)], 30)
    await person.say("/appointment")
    await person.press("ag:")
    await person.press("ao:")
    await person.press(f"av:test-cc:{SERVICE}")
    await person.press("ad:")
    messages = await person.press("ab:", expect=2)
    assert messages[-2].get("location") and "ул. Тестовая, 1" in messages[-1]["text"]
