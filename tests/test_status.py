"""Application statuses: CSV import, the integration API, lookup by the owner only, the lock
after wrong attempts, and the message a subscriber gets when the status changes."""

from __future__ import annotations

import asyncio
import csv
import re
from datetime import date, timedelta
from pathlib import Path
from unittest import mock

import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, update

from bot import iin as iins
from bot import outbox
from bot.app import create_app
from bot.channels.terminal import render_row
from bot.cli import main
from bot.dates import date_text
from bot.i18n import Translator
from bot.runtime import Runtime
from bot.settings import Settings
from bot.workdays import add_working_days, is_working_day, working_days_between
from content.procedures import get_procedures
from handlers.status import LOCKED, NO_MATCH
from storage.models import Application, ApplicationEvent, LookupAttempt, Message, utcnow
from tests.conftest import LiveServer
from tests.test_conversation import Chat

EN, RU = Translator("en"), Translator("ru")
ST = get_procedures().statuses


def make_iin(first11: str) -> str:
    for n in range(1000):
        candidate = f"{first11[:7]}{n:04d}"
        for digit in "0123456789":
            if iins.is_valid(candidate + digit):
                return candidate + digit
    raise AssertionError("no valid IIN")


IIN = make_iin("900425300")
OTHER_IIN = make_iin("850101400")
BORN = "1990-04-25"


def row(**over: str) -> dict[str, str]:
    base = {
        "application_no": "KZ-2026-0001",
        "programme": "resettler",
        "region": "pavlodar",
        "phone": "+7 701 111 22 33",
        "iin": IIN,
        "birth_date": BORN,
        "status": "received",
        "status_date": "2026-11-02",
    }
    return {**base, **over}


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path


async def cli(settings: Settings, *args: str, db: bool = True):  # type: ignore[no-untyped-def]
    """The CLI as staff run it; in a thread, since it runs its own event loop."""
    argv = [*args, "--db", settings.database_url] if db else list(args)
    with mock.patch("bot.cli.get_settings", return_value=settings):  # same SECRET_KEY
        return await asyncio.to_thread(CliRunner().invoke, main, argv)


async def count(rt: Runtime, model) -> int:  # type: ignore[no-untyped-def]
    async with rt.db.sessions() as s:
        return await s.scalar(select(func.count()).select_from(model))


# ---- working days and the IIN


def test_working_days_skip_weekends_and_kazakh_holidays() -> None:
    assert not is_working_day(date(2026, 3, 23))  # Nauryz
    assert add_working_days(date(2026, 3, 20), 1) == date(2026, 3, 26)  # over Nauryz
    assert add_working_days(date(2026, 11, 20), 3) == date(2026, 11, 25)  # Fri + 3 = Wed
    assert working_days_between(date(2026, 11, 20), date(2026, 11, 25)) == 3


def test_iin_checksum() -> None:
    assert iins.is_valid("061211600012")
    assert not iins.is_valid("061211600013")
    assert not iins.is_valid("06121160001") and not iins.is_valid("０６１２１１６０００１２")
    assert iins.keyed_hash("a", IIN) != iins.keyed_hash("b", IIN)
    assert IIN not in iins.keyed_hash("a", IIN)


# ---- import


async def test_csv_import_is_idempotent_and_never_stores_the_iin(
    runtime: Runtime, tmp_path: Path
) -> None:
    rows = [
        row(),
        row(status="forwarded", status_date="2026-11-03"),
        row(
            application_no="KZ-2026-0002",
            programme="kandas",
            status="kandas_received",
            iin=OTHER_IIN,
            phone="",
        ),
    ]
    path = write_csv(tmp_path / "statuses.csv", rows)
    result = await cli(runtime.settings, "statuses", "import", str(path))
    assert result.exit_code == 0, result.output
    assert "3 rows checked; 2 applications changed status" in result.output
    again = await cli(runtime.settings, "statuses", "import", str(path))
    assert "0 applications changed" in again.output
    assert await count(runtime, ApplicationEvent) == 3
    async with runtime.db.sessions() as s:
        app = await s.scalar(select(Application).where(Application.number == "KZ-2026-0001"))
        dump = " ".join(str(v) for v in vars(app).values())
    assert app.status == "forwarded" and app.phone == "77011112233"
    assert IIN not in dump, dump
    assert app.iin_hash == iins.keyed_hash(runtime.settings.resolved_secret_key(), IIN)


async def test_a_file_with_bad_rows_imports_nothing_and_names_each_line(
    runtime: Runtime, tmp_path: Path
) -> None:
    rows = [
        row(),
        row(application_no="A-2", iin="123456789012"),  # bad check digit
        row(application_no="A-3", status="approved_maybe"),
        row(application_no="A-4", status_date="02.11.2026"),
        row(application_no="A-5", region="mars"),
        row(application_no="A-6", programme="kandas"),  # a resettler status on a kandas file
    ]
    path = write_csv(tmp_path / "bad.csv", rows)
    result = await cli(runtime.settings, "statuses", "import", str(path))
    assert result.exit_code != 0
    for line in (3, 4, 5, 6, 7):
        assert f"line {line}:" in result.output
    assert "line 2:" not in result.output
    assert "5 of 6 rows have errors; nothing was imported" in result.output
    assert await count(runtime, Application) == 0
    missing = tmp_path / "missing.csv"
    missing.write_text("application_no,status\nX,received\n", encoding="utf-8")
    result = await cli(runtime.settings, "statuses", "import", str(missing))
    assert "missing columns" in result.output and result.exit_code != 0


# ---- the API


async def test_api_needs_a_valid_token_and_rejects_half_files(settings: Settings) -> None:
    token = (await cli(settings, "tokens", "add", "egov", "--all-regions")).output.strip()
    assert token.startswith("qonys_")
    app = create_app(settings)
    async with LiveServer(app) as server, httpx.AsyncClient(base_url=server.url) as http:
        body = {"rows": [row()]}
        assert (await http.post("/api/v1/applications", json=body)).status_code == 401
        bad = {"Authorization": "Bearer qonys_forged"}
        assert (await http.post("/api/v1/applications", json=body, headers=bad)).status_code == 401
        auth = {"Authorization": f"Bearer {token}"}
        half = {"rows": [row(application_no="B-1"), row(application_no="B-2", iin="1")]}
        r = await http.post("/api/v1/applications", json=half, headers=auth)
        assert r.status_code == 422 and "2" in r.json()["errors"]
        r = await http.post("/api/v1/applications", json=body, headers=auth)
        assert r.status_code == 200 and r.json()["changed"] == 1
        r = await http.get("/api/v1/applications/KZ-2026-0001", headers=auth)
        assert r.json()["status"] == "received" and r.json()["history"][0]["source"] == "api:egov"
        assert "iin" not in r.text.lower().replace("iin_hash", "")
        assert (await http.get("/api/v1/applications/B-1", headers=auth)).status_code == 404
        junk = await http.post("/api/v1/applications", content=b"\xff{", headers=auth)
        assert junk.status_code == 422
        schema = (await http.get("/openapi.json")).json()
        assert "/api/v1/applications" in schema["paths"]
    assert (await cli(settings, "tokens", "revoke", "egov")).exit_code == 0
    async with (
        LiveServer(create_app(settings)) as server,
        httpx.AsyncClient(base_url=server.url) as http,
    ):
        r = await http.post("/api/v1/applications", json=body, headers=auth)
        assert r.status_code == 401


# ---- lookup


async def imported(rt: Runtime, tmp_path: Path, **over: str) -> None:
    path = write_csv(tmp_path / "s.csv", [row(**over)])
    assert (await cli(rt.settings, "statuses", "import", str(path))).exit_code == 0


async def test_owner_sees_status_with_deadline_and_history_iin_masked(
    runtime: Runtime, tmp_path: Path
) -> None:
    today = date.today()
    await imported(runtime, tmp_path, status_date=today.isoformat())
    chat = Chat(runtime)
    await chat.term.begin(lang="en")
    await chat.say("/status")
    printed = await chat.say("kz-2026-0001")
    assert "IIN" in printed
    await chat.say(IIN)
    printed = await chat.say("25.04.1990")
    assert ST["received"].title.en in printed and ST["received"].next.en in printed
    if ST["received"].deadline_days:
        due = add_working_days(today, ST["received"].deadline_days)
        assert date_text(due, "en") in printed
    assert EN.gettext("Notify me of changes") in printed
    async with runtime.db.sessions() as s:
        texts = " ".join(t or "" for t in await s.scalars(select(Message.text)))
        steps = " ".join(str(x) for x in await s.scalars(select(Message.payload)))
    assert IIN not in texts and "1990" not in texts and IIN not in steps


async def test_the_phone_the_messenger_confirmed_is_proof_enough(
    runtime: Runtime, tmp_path: Path
) -> None:
    await imported(runtime, tmp_path)
    chat = Chat(runtime)
    await chat.term.begin(lang="ru")
    contact = await chat.contact()
    async with runtime.db.transaction() as s:
        c = await s.get(type(contact), contact.id)
        c.phone = "87011112233"  # as a platform reports it, with the trunk 8
    await chat.say("/status")
    printed = await chat.say("KZ-2026-0001")
    assert ST["received"].title.ru in printed


async def test_unknown_number_and_wrong_iin_look_the_same_then_lock(
    runtime: Runtime, tmp_path: Path
) -> None:
    await imported(runtime, tmp_path)

    async def attempt(chat: Chat, number: str, iin: str, born: str) -> str:
        await chat.say("/status")
        first = await chat.say(number)
        second = await chat.say(iin)
        return first + second + await chat.say(born)

    chat = Chat(runtime, "mallory")
    await chat.term.begin(lang="en")
    printed = await chat.say("/status")
    await chat.say("KZ-2026-0001")
    assert "not a valid IIN" in await chat.say("123456789012")  # checksum before anything
    assert await count(runtime, LookupAttempt) == 0
    wrong = await attempt(chat, "KZ-2026-0001", OTHER_IIN, "25.04.1990")
    unknown = await attempt(chat, "KZ-2026-9999", IIN, "25.04.1990")
    strip = lambda t: re.sub(r"Attempts left: \d+|KZ-2026-\d+", "", t)  # noqa: E731
    assert strip(wrong) == strip(unknown)
    assert EN.gettext(NO_MATCH, left=3).split(".")[0] in wrong
    for _ in range(3):
        printed = await attempt(chat, "KZ-2026-0001", IIN, "01.01.1991")
    assert "Too many wrong attempts" in printed and re.search(
        r"\d\d:\d\d \d\d\.\d\d\.2026", printed
    )
    # Locked: even the right details do not help now.
    printed = await chat.say("/status")
    assert "Too many wrong attempts" in printed
    # An hour later the lock has lifted.
    async with runtime.db.transaction() as s:
        await s.execute(update(LookupAttempt).values(created_at=utcnow() - timedelta(hours=2)))
    printed = await attempt(chat, "KZ-2026-0001", IIN, "25.04.1990")
    assert ST["received"].title.en in printed


async def test_many_people_guessing_one_number_lock_the_number(
    runtime: Runtime, tmp_path: Path
) -> None:
    await imported(runtime, tmp_path)
    for n in range(5):
        chat = Chat(runtime, f"guesser{n}")
        await chat.term.begin(lang="en")
        await chat.say("/status")
        await chat.say("KZ-2026-0001")
        await chat.say(OTHER_IIN)
        await chat.say("01.01.1980")
    owner = Chat(runtime, "owner")
    await owner.term.begin(lang="en")
    await owner.say("/status")
    printed = await owner.say("KZ-2026-0001")
    assert EN.gettext(LOCKED, time="").split(".")[0] in printed


async def test_subscriber_hears_of_a_change_in_their_language(
    runtime: Runtime, tmp_path: Path
) -> None:
    await imported(runtime, tmp_path)
    chat = Chat(runtime)
    await chat.term.begin(lang="ru")
    await chat.say("/status")
    await chat.say("KZ-2026-0001")
    await chat.say(IIN)
    await chat.say("1990-04-25")
    printed = await chat.say(RU.gettext("Notify me of changes"))
    assert "KZ-2026-0001" in printed
    forged = await chat.incoming(kind="action", action="ss:1:000000000000")
    assert "больше не работает" in forged or "no longer" in forged
    await imported(runtime, tmp_path, status="forwarded", status_date="2026-11-03")
    contact = await chat.contact()
    rows = await outbox.take_for_contact(runtime.db, contact.id)
    text = "\n".join(render_row(r.text or "", r.payload) for r in rows)
    assert (
        ST["forwarded"].title.ru in text
        and RU.gettext("Your application has a new status.") in text
    )
    # The same import again: no second message.
    await imported(runtime, tmp_path, status="forwarded", status_date="2026-11-03")
    assert await outbox.take_for_contact(runtime.db, contact.id) == []


async def test_an_overdue_step_says_so(runtime: Runtime, tmp_path: Path) -> None:
    step = next(
        s for s in ST.values() if s.deadline_days and not s.final and "resettler" in s.programmes
    )
    await imported(runtime, tmp_path, status=step.id, status_date="2026-09-01")
    chat = Chat(runtime)
    await chat.term.begin(lang="en")
    await chat.say("/status")
    await chat.say("KZ-2026-0001")
    await chat.say(IIN)
    printed = await chat.say("25.04.1990")
    assert "working days late" in printed


@pytest.mark.parametrize("junk", ["", "💥", "x" * 60, "'; DROP TABLE applications; --"])
async def test_junk_numbers_are_refused_without_a_trace(runtime: Runtime, junk: str) -> None:
    chat = Chat(runtime)
    await chat.term.begin(lang="en")
    await chat.say("/status")
    printed = await chat.say(junk) if junk else await chat.incoming(kind="sticker")
    assert "does not look like an application number" in printed
    assert await count(runtime, LookupAttempt) == 0


async def test_free_text_leads_to_the_lookup(runtime: Runtime) -> None:
    chat = Chat(runtime)
    await chat.term.begin(lang="ru")
    printed = await chat.say("где моя заявка?")
    assert RU.gettext("Where is my application?") in printed
    printed = await chat.say(RU.gettext("Where is my application?"))
    assert RU.gettext("Send the number of your application, as it is on your receipt.") in printed
