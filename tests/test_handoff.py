"""A person asks for a human, a caseworker of their region answers in the console, closes the
case, and the person rates it: end to end over HTTP on the real app, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from bot.i18n import Translator
from handlers import handoff
from storage.models import AuditEntry, Case, Contact, Message, utcnow
from tests.conftest import LiveServer, eventually
from tests.console_helpers import Console, add_staff

RU = Translator("ru")


async def chat(c: httpx.AsyncClient, text: str | None = None, action: str | None = None) -> None:
    body = {"text": text} if text is not None else {"action": action}
    assert (await c.post("/api/chat/messages", json=body)).status_code == 202


async def messages(c: httpx.AsyncClient) -> list[dict]:
    return (await c.get("/api/chat/messages")).json()["messages"]


async def last_bot(c: httpx.AsyncClient) -> dict:
    return [m for m in await messages(c) if m["from"] != "user"][-1]


async def ask_for_person(c: httpx.AsyncClient, region: str = "kostanay") -> dict:
    await chat(c, "/start")
    await chat(c, action="lang:ru")
    await chat(c, "оператор")
    notice = await last_bot(c)
    assert notice["text"] == RU.gettext(handoff.NOTICE)
    await chat(c, action="hfok")
    topics = await last_bot(c)
    assert [b["action"] for b in topics["buttons"]][:5] == [
        f"hft:{t}" for t in handoff.TOPIC_LABELS
    ]
    await chat(c, action="hft:documents")
    regions = await last_bot(c)
    assert f"hfr:documents:{region}" in [b["action"] for b in regions["buttons"]]
    await chat(c, action=f"hfr:documents:{region}")
    return await last_bot(c)


async def test_request_reply_close_and_rate(server: LiveServer) -> None:
    runtime = server.app.state.runtime
    await add_staff(runtime, "aigul", regions=("kostanay",))
    await add_staff(runtime, "boss", role="supervisor")
    person = httpx.AsyncClient(base_url=server.url)
    queued = await ask_for_person(person)
    assert "Костанай" in queued["text"] and "/menu" in queued["text"]
    await chat(person, "Какие справки нужны для квоты?")
    await chat(person, "И сколько ждать?")
    after = await messages(person)
    assert after[-1]["from"] == "user", "the bot stays quiet while a human holds the chat"

    worker = Console(server.url)
    assert (await worker.login("aigul")).status_code == 303
    queue = await worker.get("/console")
    async with runtime.db.sessions() as s:
        case = await s.scalar(select(Case))
    assert case.status == "waiting" and case.region == "kostanay" and case.topic == "documents"
    assert f"/console/cases/{case.id}" in queue.text
    page = await worker.get(f"/console/cases/{case.id}")
    assert "Какие справки нужны для квоты?" in page.text and "И сколько ждать?" in page.text

    r = await worker.post(
        f"/console/cases/{case.id}/reply", {"text": "Здравствуйте! Нужна справка о составе семьи."}
    )
    assert r.status_code == 303
    reply = await eventually(lambda: _agent_message(person))
    assert (
        reply["text"] == "Здравствуйте! Нужна справка о составе семьи."
        and reply["agent"] == "Aigul"
    )
    await worker.post(f"/console/cases/{case.id}/note", {"text": "Позвонить в пятницу"})
    page = await worker.get(f"/console/cases/{case.id}")
    assert "Позвонить в пятницу" in page.text
    assert "Позвонить в пятницу" not in str(await messages(person)), "notes are not sent"

    assert (
        await worker.post(f"/console/cases/{case.id}/close", {"outcome": "answered"})
    ).status_code == 303
    rating = await eventually(lambda: _with_buttons(person, "rt:"))
    assert [b["label"] for b in rating["buttons"]] == ["1", "2", "3", "4", "5"]
    await chat(person, "5")  # typing the number presses the button
    await chat(person, "Спасибо, всё понятно")
    async with runtime.db.sessions() as s:
        case = await s.get(Case, case.id)
    assert (case.status, case.rating, case.rating_comment) == ("closed", 5, "Спасибо, всё понятно")
    assert case.first_response_at and case.closed_by == "staff" and case.outcome == "answered"

    await chat(person, "как топить печь")  # the bot is back
    assert (await last_bot(person))["from"] == "bot"

    boss = Console(server.url)
    await boss.login("boss")
    stats = await boss.get("/console/stats")
    assert stats.status_code == 200 and "5.0" in stats.text
    async with runtime.db.sessions() as s:
        actions = [a.action for a in await s.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert {"view_case", "reply", "note", "close"} <= set(actions)
    for c in (person,):
        await c.aclose()
    await worker.aclose()
    await boss.aclose()


async def _agent_message(c: httpx.AsyncClient) -> dict | None:
    found = [m for m in await messages(c) if m["from"] == "agent"]
    return found[-1] if found else None


async def _with_buttons(c: httpx.AsyncClient, prefix: str) -> dict | None:
    last = await last_bot(c)
    actions = [b["action"] for b in last["buttons"]]
    return last if actions and all(a.startswith(prefix) for a in actions) else None


async def test_menu_takes_the_person_back_and_withdraws_the_request(server: LiveServer) -> None:
    runtime = server.app.state.runtime
    async with httpx.AsyncClient(base_url=server.url) as person:
        await ask_for_person(person)
        await chat(person, "/menu")
        last = await last_bot(person)
        assert any(b["action"] == "regions" for b in last["buttons"])
    async with runtime.db.sessions() as s:
        case = await s.scalar(select(Case))
    assert (case.status, case.closed_by, case.outcome) == ("closed", "person", "withdrawn")


async def test_the_search_offers_a_caseworker_when_it_finds_nothing(server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=server.url) as person:
        await chat(person, "/start")
        await chat(person, action="lang:ru")
        await chat(person, "рецепт плова с бараниной")
        last = await last_bot(person)
        assert "hf" in [b["action"] for b in last["buttons"]]
        await chat(person, "маманмен сөйлескім келеді")
        assert (await last_bot(person))["text"] == RU.gettext(handoff.NOTICE)


async def test_forged_rating_and_region_buttons_change_nothing(server: LiveServer) -> None:
    runtime = server.app.state.runtime
    async with httpx.AsyncClient(base_url=server.url) as person:
        await chat(person, "/start")
        await chat(person, action="lang:ru")
        await chat(person, action="hfr:documents:kostanay")  # no consent yet
        await chat(person, action="hfok")
        await chat(person, action="hfr:documents:mars")
        await chat(person, action="hft:weather")
        await chat(person, action="rt:1:5")
    async with runtime.db.sessions() as s:
        assert (await s.scalar(select(Case))) is None


def _at(local_hour: int, day: int) -> datetime:
    """A moment in November 2026, Almaty time (UTC+5)."""
    return datetime(2026, 11, day, local_hour - 5, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (_at(11, 23), "usual"),  # Monday 11:00
        (_at(20, 23), "Tuesday"),  # Monday evening: tomorrow
        (_at(12, 22), "Monday"),  # Sunday
    ],
)
async def test_the_wait_is_told_in_and_out_of_hours(
    server: LiveServer, monkeypatch: pytest.MonkeyPatch, moment: datetime, expected: str
) -> None:
    monkeypatch.setattr(handoff, "utcnow", lambda: moment)
    async with httpx.AsyncClient(base_url=server.url) as person:
        await chat(person, "/start")
        await chat(person, action="lang:en")
        await chat(person, "/operator")
        await chat(person, action="hfok")
        await chat(person, action="hft:money")
        await chat(person, action="hfr:money:-")
        text = (await last_bot(person))["text"]
    if expected == "usual":
        assert "as soon as they are free" in text  # no history yet: no number invented
    else:
        assert f"on {expected} " in text and "from 09:00" in text


async def test_messages_of_a_held_chat_are_stored_for_the_caseworker(server: LiveServer) -> None:
    runtime = server.app.state.runtime
    async with httpx.AsyncClient(base_url=server.url) as person:
        await ask_for_person(person)
        await chat(person, "x" * 10_000)
    async with runtime.db.sessions() as s:
        last = (await s.scalars(select(Message).order_by(Message.id.desc()))).first()
        case = await s.scalar(select(Case))
    assert last.direction == "in" and last.kind == "too_long"
    assert case.status == "waiting"


async def test_the_whatsapp_window_is_visible_in_the_reply_box(server: LiveServer) -> None:
    runtime = server.app.state.runtime
    await add_staff(runtime, "aigul", regions=("kostanay",))
    ids = {}
    async with runtime.db.transaction() as s:
        for name, hours in (("fresh", 1), ("stale", 30)):
            contact = Contact(channel="whatsapp", external_id=name, step="handoff", locale="kk")
            contact.step_data, contact.last_buttons = {}, []
            s.add(contact)
            await s.flush()
            written = utcnow() - timedelta(hours=hours)
            s.add(Message(contact_id=contact.id, channel="whatsapp", direction="in",
                          kind="text", text="Сәлеметсіз бе", created_at=written))  # fmt: skip
            case = Case(contact_id=contact.id, region="kostanay", topic="job", created_at=written)
            s.add(case)
            await s.flush()
            ids[name] = case.id
    worker = Console(server.url)
    await worker.login("aigul")
    warning = RU.gettext(
        "This person last wrote on WhatsApp more than 24 hours ago. WhatsApp now allows only an "
        "approved template. Qonys sends the template below, and your reply is delivered as soon "
        "as the person answers it."
    )
    fresh = await worker.get(f"/console/cases/{ids['fresh']}")
    stale = await worker.get(f"/console/cases/{ids['stale']}")
    assert warning not in fresh.text
    assert warning in stale.text and "Qonys-та сізге жаңа хабарлама бар" in stale.text
    await worker.aclose()
