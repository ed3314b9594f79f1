"""Campaigns end to end: a supervisor defines "women 18–35 from Turkistan planning to move,
in Kazakh", writes and sends a campaign, and only the people who match and opted in get it,
once, paced through the outbox; STOP works anywhere; buttons are counted."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select

from bot.i18n import Translator
from handlers import subscriptions
from storage.models import Campaign, Consent, Contact, Delivery, Message, Profile, utcnow
from storage.segments import consent_kind
from tests.conftest import LiveServer, eventually, free_port, make_settings
from tests.console_helpers import Console, add_staff

KK = Translator("kk")
WOMEN_18_35_TURKISTAN = {
    "gender": "female",
    "age_band": ["18-29", "30-35"],
    "origin_region": "turkistan",
    "stage": "before",
    "language": "kk",
}


@pytest.fixture
async def server(tmp_path, database_url):  # type: ignore[no-untyped-def]
    from bot.app import create_app

    # Quiet hours that never apply, so the test does not depend on the time of day it runs.
    settings = make_settings(
        tmp_path, database_url, campaign_tick_seconds=0.1, quiet_hours="00:00-00:00"
    )
    app = create_app(settings)
    async with LiveServer(app, port=free_port()) as live:
        live.app = app
        yield live


async def person(
    runtime, ext: str, *, channel: str = "web", locale: str = "kk", topics=("women",), **profile
) -> int:  # type: ignore[no-untyped-def]
    """Someone who filled in a profile and chose topics, stored the way the bot stores them."""
    async with runtime.db.transaction() as s:
        contact = Contact(channel=channel, external_id=ext, locale=locale, step_data={},
                          last_buttons=[])  # fmt: skip
        s.add(contact)
        await s.flush()
        if profile:
            s.add(Profile(contact_id=contact.id, **profile))
        for topic in topics:
            s.add(Consent(contact_id=contact.id, kind=consent_kind(topic), version="t",
                          granted=True, channel=channel))  # fmt: skip
        return contact.id


WOMAN = {"gender": "female", "age_band": "30-35", "origin_region": "turkistan", "stage": "before"}


async def chat(c: httpx.AsyncClient, text: str | None = None, action: str | None = None) -> None:
    body = {"text": text} if text is not None else {"action": action}
    assert (await c.post("/api/chat/messages", json=body)).status_code == 202


async def bot_messages(c: httpx.AsyncClient) -> list[dict]:
    return [m for m in (await c.get("/api/chat/messages")).json()["messages"] if m["from"] == "bot"]


async def web_person_who_subscribes(server: LiveServer) -> tuple[httpx.AsyncClient, int]:
    """A real web-chat visitor: chooses Kazakh, opens /subscriptions, subscribes to women's news."""
    c = httpx.AsyncClient(base_url=server.url)
    await chat(c, "/start")
    await chat(c, action="lang:kk")
    await chat(c, "/subscriptions")
    shown = (await bot_messages(c))[-1]
    assert "sb:women:on" in [b["action"] for b in shown["buttons"]]
    await chat(c, action="sb:women:on")
    after = (await bot_messages(c))[-1]
    assert "sb:women:off" in [b["action"] for b in after["buttons"]], "now shown as subscribed"
    runtime = server.app.state.runtime
    async with runtime.db.transaction() as s:
        contact = await s.scalar(select(Contact).where(Contact.channel == "web"))
        s.add(Profile(contact_id=contact.id, **WOMAN))
    return c, contact.id


async def create_campaign(boss: Console, segment_filters: dict, **fields: object) -> int:
    r = await boss.post(
        "/console/segments", {"name": "Әйелдер 18–35, Түркістан", **segment_filters}
    )
    assert r.status_code == 303
    page = await boss.get("/console/campaigns")
    segment_id = int(re.findall(r"/console/segments/(\d+)", page.text)[-1])
    data = {"name": "Әйелдерге арналған пакет", "topic": "women", "segment_id": str(segment_id),
            "text_kk": "Сәлеметсіз бе! Әйелдерге арналған жаңа пакет дайын.",
            "buttons": ["p:women", "hf"], **fields}  # fmt: skip
    r = await boss.post("/console/campaigns", data)
    assert r.status_code == 303, r.text
    return int(r.headers["location"].rsplit("/", 1)[1])


async def test_women_from_turkistan_in_kazakh_get_it_once_and_nobody_else(
    server: LiveServer,
) -> None:
    runtime = server.app.state.runtime
    visitor, visitor_id = await web_person_who_subscribes(server)
    matching = [await person(runtime, f"w{i}", **WOMAN) for i in range(5)]
    others = [
        await person(runtime, "man", **{**WOMAN, "gender": "male"}),
        await person(runtime, "older", **{**WOMAN, "age_band": "36-44"}),
        await person(runtime, "almaty", **{**WOMAN, "origin_region": "almaty_region"}),
        await person(runtime, "moved", **{**WOMAN, "stage": "after"}),
        await person(runtime, "russian", locale="ru", **WOMAN),
        await person(runtime, "no-consent", topics=(), **WOMAN),
        await person(runtime, "youth-only", topics=("youth",), **WOMAN),
    ]
    await add_staff(runtime, "boss", role="supervisor")
    boss = Console(server.url)
    await boss.login("boss")

    size = await boss.post("/console/segments/size", WOMEN_18_35_TURKISTAN)
    # Eight match the filters; six of them chose women's news.
    assert "Подходят 8 человек" in size.text and "Женщинам: 6" in size.text
    campaign_id = await create_campaign(boss, WOMEN_18_35_TURKISTAN)
    page = await boss.get(f"/console/campaigns/{campaign_id}")
    assert "Сәлеметсіз бе!" in page.text and "<progress" not in page.text
    assert "<strong>6</strong>" in page.text, "the plan counts the six who will receive it"

    r = await boss.post(f"/console/campaigns/{campaign_id}/schedule", {"at": ""})
    assert r.status_code == 303

    async def done() -> Campaign | None:
        async with runtime.db.sessions() as s:
            c = await s.get(Campaign, campaign_id)
            return c if c.status == "done" else None

    finished = await eventually(done, within=20)
    assert finished.planned == 6
    async with runtime.db.sessions() as s:
        got = set(await s.scalars(select(Delivery.contact_id)))
        sent = await s.scalar(
            select(func.count()).select_from(Message).where(Message.campaign_id == campaign_id)
        )
    assert got == {visitor_id, *matching} and not got & set(others)
    assert sent == 6, "one message each"

    received = (await bot_messages(visitor))[-1]
    assert received["text"].startswith("Сәлеметсіз бе! Әйелдерге арналған жаңа пакет дайын.")
    assert KK.gettext("To stop these messages, send STOP.") in received["text"]
    actions = [b["action"] for b in received["buttons"]]
    assert actions == [f"nw:{campaign_id}:p:women", f"nw:{campaign_id}:hf"]

    await chat(visitor, action=f"nw:{campaign_id}:p:women")
    topic = (await bot_messages(visitor))[-1]
    assert topic["text"] != received["text"] and topic["buttons"], "the women's section opened"
    progress = await boss.get(f"/console/campaigns/{campaign_id}/progress")
    assert "6 / 6" in progress.text
    async with runtime.db.sessions() as s:
        clicks = await s.scalar(select(Delivery.clicks).where(Delivery.contact_id == visitor_id))
    assert clicks == 1


async def test_stop_in_any_language_ends_all_news_even_mid_conversation(
    server: LiveServer,
) -> None:
    runtime = server.app.state.runtime
    visitor, visitor_id = await web_person_who_subscribes(server)
    await chat(visitor, action="sb:youth:on")
    await chat(visitor, "/profile")  # in the middle of something: a consent question
    await chat(visitor, "Тоқта!")
    reply = (await bot_messages(visitor))[-1]
    assert "/subscriptions" in reply["text"]
    async with runtime.db.sessions() as s:
        rows = list(await s.scalars(select(Consent).where(Consent.contact_id == visitor_id)
                                    .order_by(Consent.id)))  # fmt: skip
    latest = {r.kind: r.granted for r in rows}
    assert latest == {"news:women": False, "news:youth": False}
    await chat(visitor, "/subscriptions")
    shown = (await bot_messages(visitor))[-1]
    assert {b["action"] for b in shown["buttons"]} >= {"sb:women:on", "sb:youth:on"}


@pytest.mark.parametrize("word", ["STOP", "стоп", "токта", "/stop"])
async def test_every_stop_word_works(server: LiveServer, word: str) -> None:
    visitor, _ = await web_person_who_subscribes(server)
    await chat(visitor, word)
    assert "/subscriptions" in (await bot_messages(visitor))[-1]["text"]


async def test_an_old_subscribe_button_pressed_twice_records_one_consent(
    server: LiveServer,
) -> None:
    visitor, visitor_id = await web_person_who_subscribes(server)
    await chat(visitor, action="sb:women:on")
    await chat(visitor, action="sb:nonsense:on")
    async with server.app.state.runtime.db.sessions() as s:
        count = await s.scalar(select(func.count()).select_from(Consent)
                               .where(Consent.contact_id == visitor_id))  # fmt: skip
    assert count == 1


async def test_a_forged_campaign_button_does_nothing(server: LiveServer) -> None:
    runtime = server.app.state.runtime
    visitor, visitor_id = await web_person_who_subscribes(server)
    await add_staff(runtime, "boss", role="supervisor")
    boss = Console(server.url)
    await boss.login("boss")
    campaign_id = await create_campaign(boss, {"gender": "female"})
    for forged in (f"nw:{campaign_id}:forget", "nw:999:hf", "nw:x:hf", f"nw:{campaign_id}:fg:yes"):
        await chat(visitor, action=forged)
    async with runtime.db.sessions() as s:
        assert await s.get(Contact, visitor_id) is not None, "nothing was erased"
        assert not list(await s.scalars(select(Delivery)))


async def test_pause_holds_the_queue_and_cancel_drops_it(server: LiveServer) -> None:
    runtime = server.app.state.runtime
    await add_staff(runtime, "boss", role="supervisor")
    boss = Console(server.url)
    await boss.login("boss")
    campaign_id = await create_campaign(boss, {"gender": "female"})
    ids = [await person(runtime, f"p{i}", **WOMAN) for i in range(3)]
    # People written, not yet sent; in one transaction, or the runner may see the campaign
    # running with nothing left to send and finish it first.
    async with runtime.db.transaction() as s:
        campaign = await s.get(Campaign, campaign_id)
        campaign.status = "running"
        campaign.written_all = True
        for cid in ids:
            s.add(Message(contact_id=cid, channel="whatsapp", direction="out", kind="text",
                          text="x", payload={}, status="pending", campaign_id=campaign_id,
                          next_attempt_at=utcnow() + timedelta(hours=1)))  # fmt: skip
    assert (await boss.post(f"/console/campaigns/{campaign_id}/pause")).status_code == 303
    assert await statuses(runtime, campaign_id) == {"held": 3}
    assert (await boss.post(f"/console/campaigns/{campaign_id}/pause")).status_code == 409
    assert (await boss.post(f"/console/campaigns/{campaign_id}/resume")).status_code == 303
    assert await statuses(runtime, campaign_id) == {"pending": 3}
    assert (await boss.post(f"/console/campaigns/{campaign_id}/cancel")).status_code == 303
    assert await statuses(runtime, campaign_id) == {"cancelled": 3}


async def statuses(runtime, campaign_id: int) -> dict[str, int]:  # type: ignore[no-untyped-def]
    async with runtime.db.sessions() as s:
        rows = await s.execute(
            select(Message.status, func.count())
            .where(Message.campaign_id == campaign_id)
            .group_by(Message.status)
        )
        return dict(rows.all())


async def test_caseworkers_cannot_reach_campaigns_and_forms_need_their_token(
    server: LiveServer,
) -> None:
    runtime = server.app.state.runtime
    await add_staff(runtime, "aigul", regions=("kostanay",))
    worker = Console(server.url)
    await worker.login("aigul")
    for path in ("/console/campaigns", "/console/segments/new", "/console/links"):
        assert (await worker.get(path)).status_code == 403
    await add_staff(runtime, "boss", role="supervisor")
    boss = Console(server.url)
    await boss.login("boss")
    forged = await boss.http.post("/console/segments", data={"name": "x", "csrf": "forged"})
    assert forged.status_code == 403
    flood = await boss.post("/console/segments/size", {"gender": [str(i) for i in range(5000)]})
    assert flood.status_code == 400, "a form of thousands of fields is refused outright"
    junk = {"gender": ["x" * 500] * 80, "nonsense": "1", "active_days": "-4"}
    r = await boss.post("/console/segments/size", junk)
    assert r.status_code == 200 and "Подходят 0 человек" in r.text
    assert subscriptions.TOPIC_LABELS.keys() == {"women", "youth", "programme"}


def test_no_two_features_claim_the_same_button_prefix() -> None:
    """A campaign button once shared "cp" with the checklist PDF and swallowed it."""
    from handlers import routers

    seen: dict[str, str] = {}
    for router in routers():
        for prefix in router.actions:
            assert seen.setdefault(prefix, router.name) == router.name, prefix


async def test_the_new_segment_page_opens(server: LiveServer) -> None:
    await add_staff(server.app.state.runtime, "boss", role="supervisor")
    boss = Console(server.url)
    await boss.login("boss")
    page = await boss.get("/console/segments/new")  # "new" is not a segment id
    assert page.status_code == 200 and 'id="segment-form"' in page.text
