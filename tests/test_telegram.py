"""Telegram end to end: the real app under uvicorn, aiogram pointed at a fake Bot API server
on loopback, in polling and webhook mode, with the platform failing the ways it does."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from bot.app import create_app
from bot.i18n import Translator
from content.scripts import to_arabic
from handlers.menu import MENU_QUESTION
from storage.models import Contact, Message
from tests.conftest import LiveServer, eventually, free_port, make_settings
from tests.fakes.telegram_api import FakeBotAPI

CYRILLIC = re.compile("[А-Яа-яӘәҒғҚқҢңӨөҰұҮүҺһІі]")
ARABIC = re.compile("[\u0600-\u06ff]")

USER = 700_100_200
RU = Translator("ru")
FIRST_BUILD = 30.0  # the first answer of a test process waits for the package and its index
MENU_Q = MENU_QUESTION


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as api:
        yield api


async def start_app(tmp_path: Path, database_url: str, fake: FakeBotAPI, *, webhook: bool, **kw):  # type: ignore[no-untyped-def]
    port = free_port()
    options = {
        "telegram_bot_token": fake.token,
        "telegram_api_base": fake.base_url,
        "public_url": f"http://127.0.0.1:{port}" if webhook else None,
        "telegram_rate_per_chat": 50.0,
        "send_timeout": 2.0,
        **kw,
    }
    settings = make_settings(tmp_path, database_url, **options)
    app = create_app(settings)
    return app, LiveServer(app, port=port)


@pytest.fixture
async def polling(tmp_path: Path, database_url: str, fake: FakeBotAPI):  # type: ignore[no-untyped-def]
    app, server = await start_app(tmp_path, database_url, fake, webhook=False)
    async with server:
        yield app


@pytest.fixture
async def webhook(tmp_path: Path, database_url: str, fake: FakeBotAPI):  # type: ignore[no-untyped-def]
    app, server = await start_app(tmp_path, database_url, fake, webhook=True)
    async with server:
        server.app = app
        yield server


def callback_datas(message: dict) -> list[str]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [b["callback_data"] for row in rows for b in row]


async def rows(app, direction: str = "out") -> list[Message]:  # type: ignore[no-untyped-def]
    async with app.state.runtime.db.sessions() as s:
        result = await s.scalars(
            select(Message).where(Message.direction == direction).order_by(Message.id)
        )
        return list(result)


async def test_polling_start_language_and_menu(polling, fake: FakeBotAPI) -> None:  # type: ignore[no-untyped-def]
    fake.push_update(fake.make_message(USER, "/start src_kostanay_fair", language_code="ru"))
    [greeting] = await fake.wait_for_messages(USER, count=1)
    assert RU.gettext("Choose a language:") in greeting["text"], "language_code is the hint"
    assert callback_datas(greeting) == [
        "lang:kk",
        "lang:ru",
        "lang:en",
        "lang:kk-latn",
        "lang:kk-arab",
    ]

    fake.push_update(fake.make_callback(USER, "lang:ru"))
    messages = await fake.wait_for_messages(USER, count=2)
    assert RU.gettext(MENU_Q) in messages[1]["text"]
    assert "help" in callback_datas(messages[1])
    await fake.wait_for_calls("answerCallbackQuery")

    async with polling.state.runtime.db.sessions() as s:
        contact = await s.scalar(select(Contact))
    assert (contact.locale, contact.source, contact.external_id) == (
        "ru",
        "src_kostanay_fair",
        str(USER),
    )


async def test_commands_are_registered_per_language(polling, fake: FakeBotAPI) -> None:  # type: ignore[no-untyped-def]
    await fake.wait_for_calls("setMyCommands", count=4)
    for lang in ("kk", "ru", "en"):
        commands = fake.bot_commands(language_code=lang)
        assert [c["command"] for c in commands] == [
            "start", "menu", "language", "checklist", "status", "appointment", "operator",
            "profile", "subscriptions", "stop", "mydata", "forget", "help",
        ]  # fmt: skip
        assert commands[1]["description"] == Translator(lang).gettext("Main menu")
    assert fake.bot_commands()[1]["description"] == Translator("kk").gettext("Main menu")


async def test_stickers_voice_photos_and_places_get_answers(polling, fake: FakeBotAPI) -> None:  # type: ignore[no-untyped-def]
    fake.push_update(fake.make_message(USER, "/start"))
    await fake.wait_for_messages(USER, count=1)
    fake.push_update(fake.make_callback(USER, "lang:ru"))
    await fake.wait_for_messages(USER, count=2)
    fake.push_updates(
        [
            fake.make_sticker(USER),
            fake.make_voice(USER),
            fake.make_photo(USER, caption="это мой дом"),
            fake.make_document(USER),
        ]
    )
    sent = await fake.wait_for_messages(USER, count=6)
    expected = [
        "Thank you for the sticker! I understand text and buttons.",
        "I cannot listen to voice messages yet. Please write your question in words.",
        "I cannot look at pictures yet. Please describe your question in words.",
        "I cannot open files yet. Please describe your question in words.",
    ]
    assert [m["text"] for m in sent[2:]] == [RU.gettext(e) for e in expected], "in order"
    assert all(callback_datas(m) == ["menu"] for m in sent[2:])


async def test_a_pin_near_rudny_names_the_town_and_its_region(polling, fake: FakeBotAPI) -> None:  # type: ignore[no-untyped-def]
    fake.push_update(fake.make_message(USER, "/start"))
    await fake.wait_for_messages(USER, count=1)
    fake.push_update(fake.make_callback(USER, "lang:ru"))
    await fake.wait_for_messages(USER, count=2, max_wait=FIRST_BUILD)
    fake.push_update(fake.make_location(USER, 52.95, 63.13))  # a street on Rudny's south side
    pin = (await fake.wait_for_messages(USER, count=3))[2]
    near = RU.gettext(
        "You are near {place}, {region}. Is that where you live or where you are going?"
    )
    assert pin["text"] == near.format(place="Рудный", region="Костанайская область")
    assert callback_datas(pin) == ["loc:live:rudny", "loc:go:rudny", "menu"]

    fake.push_update(fake.make_callback(USER, "loc:go:rudny"))
    overview = (await fake.wait_for_messages(USER, count=4))[3]
    said = RU.gettext("{place} — {region}. What I know for the region:")
    assert overview["text"].startswith(
        "📍 " + said.format(place="Рудный", region="Костанайская область")
    )
    assert "t:kostanay:housing" in callback_datas(overview), "the region's topics follow"
    async with polling.state.runtime.db.sessions() as s:
        kept = await s.scalar(select(Message).where(Message.kind == "location"))
    assert kept is not None and "63.1" not in str(kept.payload), "the point is not kept"


async def test_an_edited_question_is_answered_once(polling, fake: FakeBotAPI) -> None:  # type: ignore[no-untyped-def]
    fake.push_update(fake.make_message(USER, "/start"))
    await fake.wait_for_messages(USER, count=1)
    fake.push_update(fake.make_callback(USER, "lang:ru"))
    await fake.wait_for_messages(USER, count=2, max_wait=FIRST_BUILD)
    asked = fake.make_message(USER, "сколько стоит квартира в Павлодаре")
    fake.push_update(asked)
    first = (await fake.wait_for_messages(USER, count=3))[2]
    assert "t:pavlodar:jobs" in callback_datas(first), "the housing answer and its neighbours"

    edit = fake.make_edit(asked, "сколько стоит квартира в Экибастузе")
    fake.push_updates([edit, edit])  # Telegram re-delivers an update it thinks was lost
    second = (await fake.wait_for_messages(USER, count=4))[3]
    assert second["text"].startswith("📍 "), second["text"]
    assert "Экибастуз" in second["text"].split("\n")[0]
    fake.push_update(fake.make_edit(asked, "Сколько стоит квартира в Экибастузе "))  # a space
    live = fake.make_location(USER, 52.3, 76.9)
    fake.push_updates([live, fake.make_live_location_move(live, 52.31, 76.95)])
    await fake.wait_for_messages(USER, count=5)  # the pin is answered; its moving is not
    await asyncio.sleep(1.0)
    assert len(fake.sent_messages(USER)) == 5, [m["text"][:40] for m in fake.sent_messages(USER)]
    edits = [
        m for m in await rows(polling, "in") if m.external_id == str(asked["message"]["message_id"])
    ]
    assert [m.text for m in edits] == [
        "сколько стоит квартира в Павлодаре",
        "сколько стоит квартира в Экибастузе",
    ]


async def test_a_conversation_read_in_arabic_script(polling, fake: FakeBotAPI) -> None:  # type: ignore[no-untyped-def]
    fake.push_update(fake.make_message(USER, "/start", language_code="kk"))
    await fake.wait_for_messages(USER, count=1)
    fake.push_update(fake.make_callback(USER, "lang:kk-arab"))
    done = (await fake.wait_for_messages(USER, count=2, max_wait=FIRST_BUILD))[1]
    kk = Translator("kk")
    assert done["text"].startswith(to_arabic(kk.gettext("Done: I will write in English.")))
    labels = [b["text"] for row in done["reply_markup"]["inline_keyboard"] for b in row]
    assert to_arabic(kk.gettext("Help")) in labels, labels
    assert not any(CYRILLIC.search(label) for label in labels), labels

    fake.push_update(fake.make_message(USER, "قوستانايدا ٷي قانشا تۇرادى"))
    answer = (await fake.wait_for_messages(USER, count=3))[2]
    assert "t:kostanay:heating" in callback_datas(answer) or "t:kostanay:jobs" in callback_datas(
        answer
    ), "the Kostanay housing page and its neighbours"
    body, _, sources = answer["text"].partition(to_arabic(kk.gettext("Sources:")))
    assert ARABIC.search(body) and not CYRILLIC.search(body), body[:200]
    assert any(ch.isdigit() for ch in body), "figures stay as they are"
    assert CYRILLIC.search(sources), "names of sources stay as they are, to be found"


async def test_429_and_502_neither_lose_nor_duplicate(polling, fake: FakeBotAPI) -> None:  # type: ignore[no-untyped-def]
    fake.fail_next("sendMessage", 429, retry_after=1)
    fake.fail_next("sendMessage", 502)
    fake.push_update(fake.make_message(USER, "/start"))
    fake.push_update(fake.make_message(USER, "/help"))
    sent = await fake.wait_for_messages(USER, count=2, max_wait=15)
    await asyncio.sleep(1.5)  # time for any duplicate to show up
    sent = fake.sent_messages(USER)
    assert len(sent) == 2
    assert "lang:ru" in callback_datas(sent[0]) and callback_datas(sent[1]) == ["about", "menu"]
    statuses = [(m.status, m.attempts, m.external_id) for m in await rows(polling)]
    assert statuses[0] == ("sent", 2, str(sent[0]["message_id"])), "429 is free, 502 counts"
    assert [s for s, _, _ in statuses] == ["sent", "sent"]


async def test_timeouts_are_retried_until_delivered(tmp_path, database_url, fake) -> None:  # type: ignore[no-untyped-def]
    app, server = await start_app(tmp_path, database_url, fake, webhook=False, send_timeout=1.0)
    async with server:
        fake.delay_next("sendMessage", 3.0)
        fake.push_update(fake.make_message(USER, "/start"))
        await eventually(lambda: _sent_status(app), within=20)
    assert len(fake.sent_messages(USER)) >= 1  # at least once: a timed-out send is ambiguous


async def _sent_status(app) -> bool:  # type: ignore[no-untyped-def]
    out = await rows(app)
    return bool(out) and out[0].status == "sent" and out[0].attempts >= 2


async def test_a_person_who_blocked_the_bot(polling, fake: FakeBotAPI) -> None:  # type: ignore[no-untyped-def]
    fake.blocked_chats.add(USER)
    fake.push_update(fake.make_message(USER, "/start"))

    async def failed() -> bool:
        out = await rows(polling)
        return bool(out) and out[0].status == "failed"

    await eventually(failed)
    async with polling.state.runtime.db.sessions() as s:
        assert (await s.scalar(select(Contact))).blocked_at is not None


async def test_webhook_is_registered_with_a_secret(webhook, fake: FakeBotAPI) -> None:  # type: ignore[no-untyped-def]
    [call] = await fake.wait_for_calls("setWebhook")
    assert call["url"] == f"{webhook.url}/webhooks/telegram"
    assert call["secret_token"] == fake.webhook_secret_token and len(call["secret_token"]) >= 32


async def test_webhook_replay_is_handled_once(webhook, fake: FakeBotAPI) -> None:  # type: ignore[no-untyped-def]
    await fake.wait_for_calls("setWebhook")
    url = f"{webhook.url}/webhooks/telegram"
    update = fake.make_message(USER, "/start")
    assert (await fake.post_webhook(url, update))[0] == 200
    assert (await fake.post_webhook(url, update))[0] == 200  # Telegram re-delivers
    await fake.wait_for_messages(USER, count=1)
    await asyncio.sleep(0.5)
    assert len(fake.sent_messages(USER)) == 1
    assert len(await rows(webhook.app, "in")) == 1

    press = fake.make_callback(USER, "lang:kk")
    assert (await fake.post_webhook(url, press))[0] == 200
    messages = await fake.wait_for_messages(USER, count=2)
    assert Translator("kk").gettext(MENU_Q) in messages[1]["text"]


@pytest.mark.parametrize(
    ("secret", "body", "status"),
    [
        ("", b'{"update_id": 1}', 401),
        ("wrong-secret", b'{"update_id": 1}', 401),
        (None, b"{not json", 400),
        (None, b'{"update_id": "x", "message": 5}', 400),
        (None, b"\xff\xfe\x00", 400),
    ],
)
async def test_webhook_refuses_forgeries_and_junk(webhook, fake, secret, body, status) -> None:  # type: ignore[no-untyped-def]
    await fake.wait_for_calls("setWebhook")
    headers = {"content-type": "application/json"}
    token = fake.webhook_secret_token if secret is None else secret
    if token:
        headers["X-Telegram-Bot-Api-Secret-Token"] = token
    async with httpx.AsyncClient() as c:
        r = await c.post(f"{webhook.url}/webhooks/telegram", content=body, headers=headers)
    assert r.status_code == status
    async with webhook.app.state.runtime.db.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Message)) == 0
        assert await s.scalar(select(func.count()).select_from(Contact)) == 0


async def test_climate_chart_is_sent_as_a_photo_then_html_text(polling, fake: FakeBotAPI) -> None:  # type: ignore[no-untyped-def]
    fake.push_update(fake.make_message(USER, "/start"))
    await fake.wait_for_messages(USER, count=1)
    fake.push_update(fake.make_callback(USER, "lang:ru"))
    await fake.wait_for_messages(USER, count=2)
    fake.push_update(fake.make_message(USER, "какая зима в Павлодаре"))
    messages = await fake.wait_for_messages(USER, count=4, max_wait=15)
    photo, text = messages[2], messages[3]
    assert photo.get("photo") and "Казгидромет" in photo.get("caption", "")
    [call] = fake.calls("sendPhoto")
    assert call["photo"].data[:8] == b"\x89PNG\r\n\x1a\n"
    sent = fake.calls("sendMessage")[-1]
    assert sent["parse_mode"] == "HTML"
    assert text["entities"][0]["type"] == "bold", "the title is bold"
    assert "tm:pavlodar:climate" in callback_datas(text)


async def test_profile_on_telegram_with_a_verified_phone(polling, fake: FakeBotAPI) -> None:  # type: ignore[no-untyped-def]
    from content.questionnaire import get_questionnaires
    from storage.models import Consent, Profile

    q = get_questionnaires()
    fake.push_update(fake.make_message(USER, "/start"))
    await fake.wait_for_messages(USER, count=1)
    fake.push_update(fake.make_callback(USER, "lang:kk"))
    await fake.wait_for_messages(USER, count=2)
    fake.push_update(fake.make_message(USER, "/profile"))
    [*_, consent] = await fake.wait_for_messages(USER, count=3)
    assert consent["text"] == q.consent_text["kk"]
    fake.push_update(fake.make_callback(USER, "cs:yes:profile"))
    sent = await fake.wait_for_messages(USER, count=5)
    for question in q.profile:  # skip everything up to the phone
        if question.id == "phone":
            break
        if q.profile.index(question) and question.when:
            continue  # a question whose condition an empty profile does not meet
        fake.push_update(fake.make_callback(USER, f"qs:p:{question.id}"))
        sent = await fake.wait_for_messages(USER, count=len(sent) + 1)
    # a reply keyboard is not echoed in the returned Message (as in the real API): read the call
    keyboard = fake.calls("sendMessage")[-1]["reply_markup"]["keyboard"]
    assert keyboard[0][0]["request_contact"] is True, "Telegram's own share-number button"
    fake.push_update(fake.make_contact(USER, "77012345678", own=True))
    await fake.wait_for_messages(USER, count=len(sent) + 1)
    async with polling.state.runtime.db.sessions() as s:
        profile = await s.scalar(select(Profile))
        consents = list(await s.scalars(select(Consent)))
    assert (profile.phone, profile.phone_verified) == ("+77012345678", True)
    assert [(c.granted, c.channel) for c in consents] == [(True, "telegram")]


async def test_documents_and_map_pins_on_telegram(polling, fake: FakeBotAPI, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from bot import outbox
    from bot.types import Media, Reply

    fake.push_update(fake.make_message(USER, "/start"))
    await fake.wait_for_messages(USER, count=1)
    pdf = tmp_path / "checklist.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%test\n")
    rt = polling.state.runtime
    async with rt.db.transaction() as s:
        contact = await s.scalar(select(Contact))
        pin = Media(kind="location", latitude=52.287, longitude=76.967)
        for media in (Media(kind="document", path=str(pdf), caption="Тізім"), pin):
            s.add_all(outbox.new_rows(contact, Reply("", media=media), 4096, 0))
    rt.senders["telegram"].notify()
    sent = await fake.wait_for_messages(USER, count=3)
    assert sent[1]["document"]["file_name"] == "checklist.pdf"
    assert sent[2]["location"]["latitude"] == pytest.approx(52.287)
