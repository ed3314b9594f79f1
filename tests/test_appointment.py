"""Booking a visit: office → service → day → time; confirmation, moving, cancelling; no double
booking under concurrent presses; reminders the day before and two hours before."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from pathlib import Path
from unittest import mock
from zoneinfo import ZoneInfo

import yaml
from click.testing import CliRunner
from sqlalchemy import func, select

from bot import outbox
from bot.channels.terminal import render_row
from bot.cli import main
from bot.clock import FakeClock
from bot.i18n import Translator
from bot.runtime import Runtime
from bot.scheduler import Scheduler
from bot.types import Incoming
from bot.workdays import is_working_day
from content.procedures import get_procedures
from storage.models import Slot
from tests.test_conversation import Chat, buttons

EN, KK = Translator("en"), Translator("kk")
SERVICE = "consultation"
# A test office: invented for the tests only, never shipped as content.
OFFICE = {
    "id": "test-cc",
    "region": "pavlodar",
    "kind": "career_centre",
    "name": {"kk": "Сынақ орталығы", "ru": "Тестовый центр", "en": "Test centre"},
    "address": {"kk": "Сынақ көшесі, 1", "ru": "ул. Тестовая, 1", "en": "1 Test Street"},
    "hours": {"kk": "09:00–18:00", "ru": "09:00–18:00", "en": "9:00–18:00"},
    "services": [SERVICE, "application"],
    "latitude": 52.28,
    "longitude": 76.97,
    "avg_wait_days": 12,
    "avg_wait_as_of": "2026-11-01",
}
ZONE = ZoneInfo("Asia/Almaty")


def next_working_day(after: int = 2) -> date:
    day = date.today() + timedelta(days=after)
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


async def setup_office(rt: Runtime, tmp_path: Path, day: date, times: str = "10:00-11:00") -> None:
    path = tmp_path / "offices.yaml"
    path.write_text(yaml.safe_dump({"offices": [OFFICE]}, allow_unicode=True), encoding="utf-8")
    db = ["--db", rt.settings.database_url]
    with mock.patch("bot.cli.get_settings", return_value=rt.settings):
        result = await asyncio.to_thread(
            CliRunner().invoke, main, ["offices", "import", str(path), *db]
        )
    assert result.exit_code == 0, result.output
    args = [
        "slots",
        "add",
        "--office",
        "test-cc",
        "--from",
        day.isoformat(),
        "--to",
        day.isoformat(),
        "--times",
        times,
        "--every",
        "30",
        *db,
    ]
    with mock.patch("bot.cli.get_settings", return_value=rt.settings):
        result = await asyncio.to_thread(CliRunner().invoke, main, args)
    assert result.exit_code == 0 and "2 new visit times" in result.output, result.output


async def book_first(chat: Chat, lang: Translator, service_title: str) -> str:
    printed = await chat.say("/appointment")
    printed = await chat.say(buttons(printed)[0])  # the only region
    printed = await chat.say(buttons(printed)[0])  # the only office
    printed = await chat.say(service_title)
    printed = await chat.say(buttons(printed)[0])  # the first day
    return await chat.say(buttons(printed)[0])  # the first time


async def test_book_see_address_and_what_to_bring_move_and_cancel(
    runtime: Runtime, tmp_path: Path
) -> None:
    day = next_working_day()
    await setup_office(runtime, tmp_path, day)
    chat = Chat(runtime)
    await chat.term.begin(lang="en")
    service = get_procedures().services[SERVICE]
    printed = await book_first(chat, EN, service.title.en)
    assert "Booked." in printed and "1 Test Street" in printed and "10:00" in printed
    assert service.bring.en in printed and "12 days" in printed
    assert "[location:" in printed
    printed = await chat.say("/appointment")
    assert "You already have a visit booked" in printed
    printed = await chat.say(EN.gettext("Move"))
    printed = await chat.say(buttons(printed)[0])  # the day
    assert buttons(printed)[0] == "10:30"  # 10:00 is mine, so not offered
    printed = await chat.say("10:30")
    assert "Moved." in printed and "10:30" in printed
    async with runtime.db.sessions() as s:
        booked = list(await s.scalars(select(Slot).where(Slot.contact_id.is_not(None))))
    assert len(booked) == 1  # the 10:00 slot was freed
    printed = await chat.say(EN.gettext("Cancel the visit"))
    assert "Cancelled" in printed
    async with runtime.db.sessions() as s:
        assert await s.scalar(select(func.count()).where(Slot.contact_id.is_not(None))) == 0


async def test_in_kazakh_with_no_offices_it_says_how_to_find_one(runtime: Runtime) -> None:
    chat = Chat(runtime)
    await chat.term.begin(lang="kk")
    printed = await chat.say("/appointment")
    assert (
        KK.gettext(
            "Centres have not opened online booking in Qonys yet. Call or visit the career centre "
            "of your district: its address is on egov.kz and enbek.kz."
        )
        in printed
    )


async def test_two_people_pressing_the_same_time_cannot_both_get_it(
    runtime: Runtime, tmp_path: Path
) -> None:
    day = next_working_day()
    await setup_office(runtime, tmp_path, day)
    async with runtime.db.sessions() as s:
        slot_id = await s.scalar(select(Slot.id).order_by(Slot.starts_at).limit(1))
    people = [f"p{n}" for n in range(8)]
    for user in people:
        await Chat(runtime, user).term.begin(lang="en")

    async def press(user: str) -> None:
        await runtime.core.handle(
            Incoming(
                channel="terminal", user_id=user, kind="action", action=f"ab:{slot_id}:{SERVICE}"
            )
        )

    await asyncio.gather(*(press(u) for u in people))
    async with runtime.db.sessions() as s:
        slot = await s.get(Slot, slot_id)
    assert slot.contact_id is not None
    said = []
    for user in people:
        chat = Chat(runtime, user)
        contact = await chat.contact()
        rows = await outbox.take_for_contact(runtime.db, contact.id)
        said.append("\n".join(render_row(r.text or "", r.payload) for r in rows))
    assert sum("Booked." in t for t in said) == 1
    assert sum("someone has just taken this time" in t for t in said) == 7


async def test_reminders_the_day_before_and_two_hours_before_once_each(
    runtime: Runtime, tmp_path: Path
) -> None:
    day = next_working_day(after=3)
    await setup_office(runtime, tmp_path, day)
    chat = Chat(runtime)
    await chat.term.begin(lang="en")
    await book_first(chat, EN, get_procedures().services[SERVICE].title.en)
    contact = await chat.contact()
    start = datetime(day.year, day.month, day.day, 10, 0, tzinfo=ZONE)
    clock = FakeClock(start - timedelta(hours=30))
    jobs = Scheduler(runtime.db, runtime.settings, clock)
    assert await jobs.run_once() == 0
    clock.current = start - timedelta(hours=23)
    assert await jobs.run_once() == 1
    assert await jobs.run_once() == 0
    rows = await outbox.take_for_contact(runtime.db, contact.id)
    assert "your visit is tomorrow" in rows[0].text and "1 Test Street" in rows[0].text
    clock.current = start - timedelta(hours=1, minutes=50)
    assert await jobs.run_once() == 1
    rows = await outbox.take_for_contact(runtime.db, contact.id)
    assert "in two hours" in rows[0].text
    clock.current = start + timedelta(hours=1)
    assert await jobs.run_once() == 0


async def test_two_schedulers_send_each_reminder_once(runtime: Runtime, tmp_path: Path) -> None:
    day = next_working_day(after=3)
    await setup_office(runtime, tmp_path, day)
    for user in ("a", "b"):
        chat = Chat(runtime, user)
        await chat.term.begin(lang="en")
        await book_first(chat, EN, get_procedures().services[SERVICE].title.en)
    start = datetime(day.year, day.month, day.day, 10, 0, tzinfo=ZONE)
    clock = FakeClock(start - timedelta(hours=20))
    one, two = (Scheduler(runtime.db, runtime.settings, clock) for _ in range(2))
    sent = await asyncio.gather(one.run_once(), two.run_once())
    assert sum(sent) == 2  # two people, one reminder each, whichever worker sent it
