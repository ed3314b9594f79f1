"""Personal data as the outside probe tried it: a closed case shows only its own span, a
destructive button works only as the confirmation just offered, an IIN typed anywhere is
masked before it is stored, CSV cells cannot be formulas, and erased words leave the SQLite
files (database and WAL) themselves."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import select, update

from bot.i18n import Translator
from bot.runtime import Runtime
from handlers.profile import ERASED, YES_DELETE
from storage.models import Case, Contact, Message, UnansweredQuestion, utcnow
from tests.conftest import LiveServer, eventually
from tests.console_helpers import Console, add_staff
from tests.test_conversation import Chat
from tests.test_handoff import ask_for_person, chat, last_bot, messages
from tests.test_status import cli

RU = Translator("ru")
IIN = "850101400120"  # a valid check digit: the probe's example


async def test_a_case_shows_only_its_own_span(server: LiveServer) -> None:
    runtime = server.app.state.runtime
    await add_staff(runtime, "aigul", regions=("kostanay",))
    person = httpx.AsyncClient(base_url=server.url)
    await chat(person, "/start")
    await chat(person, action="lang:ru")
    await chat(person, "Мой муж болеет, это личное")  # written to the bot two days ago
    async with runtime.db.transaction() as s:
        await s.execute(update(Message).values(created_at=utcnow() - timedelta(days=2)))
    await chat(person, "Как топить печь?")  # today, just before asking for a person
    await ask_for_person(person)
    await chat(person, "Какие справки нужны?")
    worker = Console(server.url)
    await worker.login("aigul")
    async with runtime.db.sessions() as s:
        case = await s.scalar(select(Case))
    await worker.post(f"/console/cases/{case.id}/reply", {"text": "Справка о составе семьи."})
    await worker.post(f"/console/cases/{case.id}/close", {"outcome": "answered"})
    await eventually(lambda: _rating_asked(person))
    await chat(person, "/menu")
    await chat(person, "Тайное после закрытия: где моя заявка")  # after the case closed
    page = (await worker.get(f"/console/cases/{case.id}")).text
    assert "Как топить печь?" in page, "the shared context"
    assert "Какие справки нужны?" in page, "the case itself"
    assert "Мой муж болеет" not in page, "older than the context the person agreed to"
    assert "Тайное после закрытия" not in page, "written to the bot after the case closed"
    live = (await worker.get(f"/console/cases/{case.id}/transcript")).text
    assert "Тайное после закрытия" not in live and "Мой муж болеет" not in live
    await person.aclose()
    await worker.aclose()


async def _rating_asked(c: httpx.AsyncClient) -> bool:
    return any(b["action"].startswith("rt:") for b in (await last_bot(c))["buttons"])


async def test_erasure_needs_the_confirmation_just_offered(server: LiveServer) -> None:
    runtime = server.app.state.runtime
    person = httpx.AsyncClient(base_url=server.url)
    await chat(person, "/start")
    await chat(person, action="lang:ru")
    await chat(person, "сколько дают подъемных")
    for forged in ("fg:yes", "fg:", "fg:AAAAAAAA"):  # posted without any offer
        await chat(person, action=forged)
    await chat(person, "/forget")
    offered = [b["action"] for b in (await last_bot(person))["buttons"]]
    yes = next(a for a in offered if a.startswith("fg:"))
    await chat(person, action="menu")  # "No, keep"
    await chat(person, action=yes)  # the old "Yes, delete", pressed later
    async with runtime.db.sessions() as s:
        kept = list(await s.scalars(select(Message.text).where(Message.direction == "in")))
    assert "сколько дают подъемных" in kept, "nothing was erased"
    await chat(person, "/forget")
    yes = next(b for b in (await last_bot(person))["buttons"] if b["action"].startswith("fg:"))
    await chat(person, action=yes["action"])
    said = [m["text"] for m in await messages(person) if m["from"] == "bot"]
    assert any(t.startswith(RU.gettext(ERASED)) for t in said)
    async with runtime.db.sessions() as s:
        texts = list(await s.scalars(select(Message.text)))
    assert "сколько дают подъемных" not in texts
    await person.aclose()


async def test_the_chat_api_takes_json_from_its_own_site_only(server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=server.url) as c:
        r = await c.post(
            "/api/chat/messages",
            content='{"text": "/forget"}',
            headers={"content-type": "text/plain"},
        )
        assert r.status_code == 415
        r = await c.post(
            "/api/chat/messages",
            json={"text": "/start"},
            headers={"origin": "https://evil.example"},
        )
        assert r.status_code == 403
        r = await c.post(
            "/api/chat/messages", json={"text": "/start"}, headers={"sec-fetch-site": "cross-site"}
        )
        assert r.status_code == 403
        ours = await c.post(
            "/api/chat/messages", json={"text": "/start"}, headers={"origin": server.url}
        )
        assert ours.status_code == 202


async def test_an_iin_typed_anywhere_is_masked(server: LiveServer) -> None:
    runtime = server.app.state.runtime
    await add_staff(runtime, "aigul", regions=("kostanay",))
    person = httpx.AsyncClient(base_url=server.url)
    await chat(person, "/start")
    await chat(person, action="lang:ru")
    await chat(person, f"мой ИИН {IIN[:6]} {IIN[6:]} zzzz qqqq")  # nothing answers it
    await ask_for_person(person)
    await chat(person, f"вот мой иин: {IIN}, а номер заявки KZ-1")
    async with runtime.db.sessions() as s:
        stored = [t or "" for t in await s.scalars(select(Message.text))]
        unanswered = list(await s.scalars(select(UnansweredQuestion.text)))
        case = await s.scalar(select(Case))
    assert unanswered and all(IIN[6:] not in t for t in unanswered)
    assert not [t for t in stored if IIN in t or f"{IIN[:6]} {IIN[6:]}" in t]
    assert any("************, а номер заявки KZ-1" in t for t in stored), "the rest is kept"
    worker = Console(server.url)
    await worker.login("aigul")
    page = (await worker.get(f"/console/cases/{case.id}")).text
    assert IIN not in page and "************" in page
    await person.aclose()
    await worker.aclose()


async def test_unanswered_questions_csv_has_no_formulas(runtime: Runtime) -> None:
    chat_ = Chat(runtime)
    await chat_.say("/start")
    await chat_.say("2")
    await chat_.say('=HYPERLINK("http://evil.example","zzzz")')
    await chat_.say("-2+3 qqqq xxxx")
    result = await cli(runtime.settings, "unanswered", "--days", "1")
    rows = list(csv.reader(io.StringIO(result.output)))
    questions = [r[2] for r in rows[1:]]
    assert questions and all(q.startswith("'") for q in questions), questions
    assert "'=HYPERLINK(" in result.output


async def test_erased_words_leave_the_sqlite_files(runtime: Runtime, tmp_path: Path) -> None:
    if not runtime.db.is_sqlite:
        return  # PostgreSQL: VACUUM and backup retention, as the README says
    marker = "MARKERxq7z9 мой секрет"
    chat_ = Chat(runtime)
    await chat_.say("/start")
    await chat_.say("2")
    for _ in range(5):
        await chat_.say(marker)
    database = Path(runtime.db.engine.url.database or "")
    assert marker.encode() in database.read_bytes() + _wal(database).read_bytes()
    await chat_.say("/forget")
    printed = await chat_.say(RU.gettext(YES_DELETE))
    assert RU.gettext(ERASED)[:20] in printed
    for path in (database, _wal(database)):
        data = path.read_bytes() if path.exists() else b""
        assert marker.encode() not in data, f"the erased words are still in {path.name}"
    async with runtime.db.sessions() as s:
        assert (await s.scalar(select(Contact))).locale == "ru"


def _wal(database: Path) -> Path:
    return database.with_name(database.name + "-wal")
