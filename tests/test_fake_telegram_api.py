"""FakeBotAPI must be indistinguishable from the Bot API for a real aiogram ``Bot``."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiogram import Bot, Dispatcher, F
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    ClientDecodeError,
    RestartingTelegram,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    TelegramObject,
    Update,
)
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import ClientSession, web

from tests.fakes.telegram_api import FakeBotAPI, UploadedFile, parse_html

USER = 700_100_200
OTHER_USER = 700_100_300


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as api:
        yield api


@pytest.fixture
async def bot(fake: FakeBotAPI) -> AsyncIterator[Bot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url))
    bot = Bot(fake.token, session=session)
    yield bot
    await session.close()


async def raw_call(
    fake: FakeBotAPI, method: str, *, data: dict[str, str] | None = None, json: Any = None
) -> tuple[int, dict[str, Any]]:
    """Call the fake without aiogram, to send what aiogram's own validation would refuse."""
    url = f"{fake.base_url}/bot{fake.token}/{method}"
    async with ClientSession() as http, http.post(url, data=data, json=json) as response:
        return response.status, await response.json()


def dumped(obj: TelegramObject | None) -> dict[str, Any] | None:
    """Compare objects by content: ``==`` also compares the private bot binding."""
    return None if obj is None else obj.model_dump()


def keyboard(*datas: str) -> InlineKeyboardMarkup:
    buttons = [InlineKeyboardButton(text=d.upper(), callback_data=d) for d in datas]
    return InlineKeyboardMarkup(inline_keyboard=[buttons])


# ----------------------------------------------------------------------------- basics


async def test_get_me_describes_the_bot_of_the_token(bot: Bot, fake: FakeBotAPI) -> None:
    me = await bot.get_me()

    assert me.id == bot.id == 123456789
    assert me.is_bot is True
    assert (me.first_name, me.username) == ("Qonys", "qonys_test_bot")
    assert me.can_join_groups is True
    assert me.supports_inline_queries is False
    assert fake.calls("getme") == [{}]


async def test_send_message_echoes_inline_keyboard(bot: Bot, fake: FakeBotAPI) -> None:
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text="Иә", callback_data="yes")],
            [InlineKeyboardButton(text="Сайт", url="https://example.kz")],
        ]
    )

    message = await bot.send_message(USER, "Сәлем!", reply_markup=markup)

    assert isinstance(message, Message)
    assert message.text == "Сәлем!"
    assert message.chat.id == USER and message.chat.type == "private"
    assert message.chat.first_name
    assert message.from_user is not None and message.from_user.id == bot.id
    assert dumped(message.reply_markup) == dumped(markup)
    [sent] = fake.sent_messages(USER)
    assert dumped(Message.model_validate(sent)) == dumped(message)
    [params] = fake.calls("sendMessage")
    assert params["chat_id"] == str(USER)  # form data: every scalar arrives as a string
    assert params["reply_markup"]["inline_keyboard"][0][0] == {"text": "Иә", "callback_data": "yes"}


async def test_message_ids_grow_per_chat_and_are_shared_with_the_user(
    bot: Bot, fake: FakeBotAPI
) -> None:
    first = await bot.send_message(USER, "1")
    user_update = fake.make_message(USER, "hi")
    second = await bot.send_message(USER, "2")
    elsewhere = await bot.send_message(OTHER_USER, "1")

    assert first.message_id == 1
    assert user_update["message"]["message_id"] == 2
    assert second.message_id == 3
    assert elsewhere.message_id == 1
    assert [m["text"] for m in fake.sent_messages()] == ["1", "2", "1"]


async def test_html_is_parsed_into_entities_like_telegram(bot: Bot) -> None:
    message = await bot.send_message(
        USER, "  <b>Қош</b> келдіңіз, &lt;Айгүл&gt; 🇰🇿 <i>!</i>\n", parse_mode="HTML"
    )

    assert message.text == "Қош келдіңіз, <Айгүл> 🇰🇿 !"
    assert [(e.type, e.offset, e.length) for e in message.entities or []] == [
        ("bold", 0, 3),
        ("italic", 27, 1),  # the flag is 4 UTF-16 code units
    ]
    with pytest.raises(TelegramBadRequest, match='Unsupported start tag "br"'):
        await bot.send_message(USER, "a<br>b", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="Can't find end tag"):
        await bot.send_message(USER, "<b>bold", parse_mode="HTML")


def test_html_parser_handles_pre_code_links_and_quotes() -> None:
    text, entities = parse_html(
        '<pre><code class="language-python">x = 1</code></pre>\n'
        '<a href="https://gov.kz">gov</a> <blockquote expandable>q</blockquote> &amp;'
    )

    assert text == "x = 1\ngov q &"
    assert entities == [
        {"type": "pre", "language": "python", "offset": 0, "length": 5},
        {"type": "text_link", "url": "https://gov.kz", "offset": 6, "length": 3},
        {"type": "expandable_blockquote", "offset": 10, "length": 1},
    ]


async def test_unknown_method_and_case_insensitive_names(fake: FakeBotAPI) -> None:
    status, body = await raw_call(fake, "sendTelepathy", data={"chat_id": "1"})
    assert (status, body) == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found: method not found"},
    )

    status, body = await raw_call(fake, "SENDMESSAGE", json={"chat_id": USER, "text": "json"})
    assert status == 200 and body["ok"] is True
    assert body["result"]["text"] == "json"
    assert [method for method, _ in fake.requests] == ["sendTelepathy", "sendMessage"]


# ----------------------------------------------------------------------------- getUpdates


async def test_get_updates_long_polls_and_honours_offset(bot: Bot, fake: FakeBotAPI) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await fake.wait_for_calls("getUpdates")
    await asyncio.sleep(0.05)
    assert not poll.done()

    started = time.monotonic()
    pushed = fake.push_update(fake.make_message(USER, "/start"))
    updates = await asyncio.wait_for(poll, 2)

    assert time.monotonic() - started < 1
    assert [u.update_id for u in updates] == [pushed["update_id"]]
    assert updates[0].message is not None and updates[0].message.text == "/start"
    # Not confirmed yet: returned again.
    assert [u.update_id for u in await bot.get_updates()] == [pushed["update_id"]]

    started = time.monotonic()
    assert await bot.get_updates(offset=pushed["update_id"] + 1, timeout=1) == []
    assert time.monotonic() - started >= 0.9
    assert fake.pending_updates == []


async def test_get_updates_limit_negative_offset_and_allowed_updates(
    bot: Bot, fake: FakeBotAPI
) -> None:
    fake.push_updates(fake.make_message(USER, str(n)) for n in range(3))

    assert len(await bot.get_updates(limit=2)) == 2
    [last] = await bot.get_updates(offset=-1)
    assert last.message is not None and last.message.text == "2"

    fake.push_update(fake.make_callback(USER, "x"))
    assert [u.event_type for u in await bot.get_updates(allowed_updates=["message"])] == ["message"]


async def test_newer_get_updates_terminates_the_older_one(bot: Bot, fake: FakeBotAPI) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=10))
    await fake.wait_for_calls("getUpdates")
    second = asyncio.create_task(bot.get_updates(timeout=10))

    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates"):
        await asyncio.wait_for(first, 2)
    fake.push_update(fake.make_message(USER, "hi"))
    assert len(await asyncio.wait_for(second, 2)) == 1


# ----------------------------------------------------------------------------- failures


async def test_429_raises_retry_after_without_sending(bot: Bot, fake: FakeBotAPI) -> None:
    fake.fail_next("sendMessage", status=429, retry_after=7)

    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(USER, "flood")

    assert caught.value.retry_after == 7
    assert "Too Many Requests: retry after 7" in str(caught.value)
    assert fake.sent_messages() == []
    await bot.send_message(USER, "later")  # the failure was consumed
    assert len(fake.calls("sendMessage")) == 2
    assert len(fake.sent_messages()) == 1


async def test_502_html_page_raises_client_decode_error(bot: Bot, fake: FakeBotAPI) -> None:
    fake.fail_next("sendMessage", status=502)

    with pytest.raises(ClientDecodeError, match="Failed to decode object") as caught:
        await bot.send_message(USER, "lost")

    assert not isinstance(caught.value, TelegramAPIError)
    assert "502 Bad Gateway" in str(caught.value)
    assert fake.sent_messages() == []


async def test_json_5xx_raises_server_error(bot: Bot, fake: FakeBotAPI) -> None:
    fake.fail_next("sendMessage", status=500)
    fake.fail_next("sendMessage", status=502, html=False, description="Telegram is restarting")

    with pytest.raises(TelegramServerError, match="Internal Server Error"):
        await bot.send_message(USER, "a")
    with pytest.raises(RestartingTelegram):
        await bot.send_message(USER, "b")
    assert fake.sent_messages() == []


async def test_blocked_chat_raises_forbidden(bot: Bot, fake: FakeBotAPI) -> None:
    fake.blocked_chats.add(USER)

    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(USER, "hello?")

    assert fake.sent_messages() == []
    await bot.send_message(OTHER_USER, "still fine")


async def test_bad_requests_match_the_real_api(bot: Bot, fake: FakeBotAPI) -> None:
    await bot.send_message(USER, "я" * 4096)
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(USER, "я" * 4097)
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(USER, "kb", reply_markup=keyboard("x" * 65))

    status, body = await raw_call(fake, "sendMessage", data={"chat_id": str(USER)})
    assert (status, body["description"]) == (400, "Bad Request: message text is empty")
    status, body = await raw_call(fake, "sendMessage", data={"text": "no chat"})
    assert (status, body["description"]) == (400, "Bad Request: chat_id is empty")
    assert len(fake.sent_messages()) == 1


async def test_request_timeout_shorter_than_delay(bot: Bot, fake: FakeBotAPI) -> None:
    fake.delay_next("sendMessage", 5)
    started = time.monotonic()

    with pytest.raises(TelegramNetworkError, match="Request timeout error"):
        await bot.send_message(USER, "slow", request_timeout=1)

    assert time.monotonic() - started < 3
    # The documented ambiguity: the server delivered it although the client gave up.
    assert [m["text"] for m in fake.sent_messages(USER)] == ["slow"]


async def test_rate_limit_answers_429_per_chat_and_globally(bot: Bot, fake: FakeBotAPI) -> None:
    fake.rate_limit(per_chat_per_second=1)
    await bot.send_message(USER, "1")
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(USER, "2")
    assert caught.value.retry_after == 1
    await bot.send_message(OTHER_USER, "other chat is fine")
    await asyncio.sleep(1.05)
    await bot.send_message(USER, "after the window")

    fake.rate_limit(global_per_second=2)
    await bot.send_message(1, "a")
    await bot.send_message(2, "b")
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(3, "c")
    assert len(fake.sent_messages()) == 5


# ----------------------------------------------------------------------------- media


async def test_send_photo_upload_file_id_and_url(bot: Bot, fake: FakeBotAPI) -> None:
    uploaded = await bot.send_photo(
        USER,
        BufferedInputFile(b"\xff\xd8jpeg", "cat.jpg"),
        caption="<b>Мысық</b>",
        parse_mode="HTML",
    )

    assert uploaded.photo is not None and len(uploaded.photo) == 3
    assert uploaded.photo[-1].width > uploaded.photo[0].width
    assert uploaded.caption == "Мысық"
    assert [e.type for e in uploaded.caption_entities or []] == ["bold"]
    photo_param = fake.calls("sendPhoto")[0]["photo"]
    assert isinstance(photo_param, UploadedFile)
    assert (photo_param.filename, photo_param.data) == ("cat.jpg", b"\xff\xd8jpeg")

    again = await bot.send_photo(USER, uploaded.photo[-1].file_id)
    assert [dumped(p) for p in again.photo or []] == [dumped(p) for p in uploaded.photo]
    by_url = await bot.send_photo(USER, "https://example.kz/cat.jpg")
    assert by_url.photo and by_url.photo[-1].file_id

    status, body = await raw_call(fake, "sendPhoto", data={"chat_id": str(USER)})
    assert (status, body["description"]) == (400, "Bad Request: there is no photo in the request")


async def test_send_document_and_download_it(bot: Bot, fake: FakeBotAPI) -> None:
    message = await bot.send_document(USER, BufferedInputFile(b"%PDF-1.7", "guide.pdf"))

    document = message.document
    assert document is not None
    assert (document.file_name, document.mime_type, document.file_size) == (
        "guide.pdf",
        "application/pdf",
        8,
    )
    assert document.file_unique_id
    file = await bot.get_file(document.file_id)
    downloaded = await bot.download(file)
    assert downloaded is not None and downloaded.read() == b"%PDF-1.7"


async def test_location_and_chat_action(bot: Bot) -> None:
    message = await bot.send_location(USER, 43.2389, 76.8897)

    assert message.location is not None
    assert (message.location.latitude, message.location.longitude) == (43.2389, 76.8897)
    assert await bot.send_chat_action(USER, "typing") is True
    with pytest.raises(TelegramBadRequest):
        await bot.send_location(USER, 91, 0)


# ----------------------------------------------------------------------------- callbacks, edits


async def test_callback_carries_the_original_message(bot: Bot, fake: FakeBotAPI) -> None:
    sent = await bot.send_message(USER, "Тілді таңдаңыз", reply_markup=keyboard("kk", "ru"))

    update = Update.model_validate(fake.make_callback(USER, "kk"))

    query = update.callback_query
    assert isinstance(query, CallbackQuery)
    assert query.data == "kk" and query.chat_instance
    assert isinstance(query.message, Message)
    assert query.message.message_id == sent.message_id
    assert dumped(query.message.reply_markup) == dumped(sent.reply_markup)
    assert await bot.answer_callback_query(query.id, text="Жарайды") is True
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(query.id)
    with pytest.raises(ValueError, match="no button"):
        fake.make_callback(USER, "en")


async def test_edit_message_text_and_markup(bot: Bot, fake: FakeBotAPI) -> None:
    sent = await bot.send_message(USER, "Ескі", reply_markup=keyboard("a"))

    edited = await bot.edit_message_text(
        "Жаңа", chat_id=USER, message_id=sent.message_id, reply_markup=keyboard("b")
    )
    assert isinstance(edited, Message)
    assert edited.text == "Жаңа" and edited.edit_date is not None
    assert dumped(edited.reply_markup) == dumped(keyboard("b"))
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_reply_markup(
            chat_id=USER, message_id=sent.message_id, reply_markup=keyboard("b")
        )

    cleared = await bot.edit_message_reply_markup(chat_id=USER, message_id=sent.message_id)
    assert isinstance(cleared, Message) and cleared.reply_markup is None
    assert dumped(Message.model_validate(fake.get_message(USER, sent.message_id))) == dumped(
        cleared
    )

    user_message = fake.make_message(USER, "менікі")["message"]
    with pytest.raises(TelegramBadRequest, match="message can't be edited"):
        await bot.edit_message_text("x", chat_id=USER, message_id=user_message["message_id"])
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=USER, message_id=999)


# ----------------------------------------------------------------------------- commands, webhook


async def test_commands_per_scope_and_language(bot: Bot) -> None:
    await bot.set_my_commands([BotCommand(command="start", description="Бастау")])
    await bot.set_my_commands(
        [BotCommand(command="start", description="Начать")], language_code="ru"
    )
    await bot.set_my_commands(
        [BotCommand(command="admin", description="Админ")],
        scope=BotCommandScopeChat(chat_id=USER),
    )

    assert [c.description for c in await bot.get_my_commands()] == ["Бастау"]
    assert [c.description for c in await bot.get_my_commands(language_code="ru")] == ["Начать"]
    scoped = await bot.get_my_commands(scope=BotCommandScopeChat(chat_id=USER))
    assert [c.command for c in scoped] == ["admin"]
    assert await bot.delete_my_commands() is True
    assert await bot.get_my_commands() == []
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Start!", description="x")])


async def test_webhook_lifecycle(bot: Bot, fake: FakeBotAPI) -> None:
    with pytest.raises(TelegramBadRequest, match="HTTPS URL must be provided"):
        await bot.set_webhook("http://qonys.example/webhook")
    with pytest.raises(TelegramBadRequest, match="ports 80, 88, 443 or 8443"):
        await bot.set_webhook("https://qonys.example:8080/webhook")
    assert await bot.set_webhook("http://127.0.0.1:8080/hook")  # loopback: test affordance

    assert await bot.set_webhook(
        "https://qonys.example/webhook", secret_token="s3cret", allowed_updates=["message"]
    )
    info = await bot.get_webhook_info()
    assert info.url == "https://qonys.example/webhook"
    assert info.allowed_updates == ["message"]
    with pytest.raises(TelegramConflictError, match="webhook is active"):
        await bot.get_updates()

    fake.push_update(fake.make_message(USER, "pending"))
    assert (await bot.get_webhook_info()).pending_update_count == 1
    assert await bot.delete_webhook(drop_pending_updates=True)
    info = await bot.get_webhook_info()
    assert (info.url, info.pending_update_count) == ("", 0)


async def test_post_webhook_feeds_an_aiogram_webhook_handler(bot: Bot, fake: FakeBotAPI) -> None:
    dispatcher = Dispatcher()

    @dispatcher.message(F.text == "/start")
    async def greet(message: Message) -> None:
        await message.answer("Сәлем!")

    app = web.Application()
    SimpleRequestHandler(
        dispatcher, bot, secret_token="s3cret", handle_in_background=False
    ).register(app, path="/webhook")
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/webhook"
    try:
        status, _ = await fake.post_webhook(url, fake.make_message(USER, "/start"), "wrong")
        assert status == 401
        status, _ = await fake.post_webhook(url, fake.make_message(USER, "/start"), "s3cret")
        assert status == 200
    finally:
        await runner.cleanup()

    assert [m["text"] for m in fake.sent_messages(USER)] == ["Сәлем!"]


async def test_polling_dispatcher_end_to_end(bot: Bot, fake: FakeBotAPI) -> None:
    dispatcher = Dispatcher()

    @dispatcher.message(F.text == "/start")
    async def start(message: Message) -> None:
        await message.answer("Тіл / Язык?", reply_markup=keyboard("kk", "ru"))

    @dispatcher.callback_query(F.data == "kk")
    async def choose(query: CallbackQuery) -> None:
        await query.answer()
        assert isinstance(query.message, Message)
        await query.message.edit_text("Қазақ тілі таңдалды")

    polling = asyncio.create_task(
        dispatcher.start_polling(bot, handle_signals=False, close_bot_session=False)
    )
    try:
        await fake.wait_for_calls("getUpdates")
        fake.push_update(fake.make_message(USER, "/start"))
        [menu] = await fake.wait_for_messages(USER)
        fake.push_update(fake.make_callback(USER, "kk"))
        await fake.wait_for_calls("editMessageText")
    finally:
        await dispatcher.stop_polling()
        await polling

    assert len(fake.calls("answerCallbackQuery")) == 1
    edited = fake.get_message(USER, menu["message_id"])
    assert edited is not None
    assert edited["text"] == "Қазақ тілі таңдалды"
    assert "reply_markup" not in edited  # editMessageText without markup drops the keyboard


# ----------------------------------------------------------------------------- update builders

BUILDERS: dict[str, tuple[Callable[[FakeBotAPI], dict[str, Any]], Callable[[Update], Any]]] = {
    "command": (
        lambda f: f.make_message(USER, "/start ref_42"),
        lambda u: [(e.type, e.offset, e.length) for e in u.message.entities],
    ),
    "text": (
        lambda f: f.make_message(USER, "Сәлем", language_code="kk", first_name="Асқар"),
        lambda u: (u.message.text, u.message.from_user.language_code, u.message.chat.first_name),
    ),
    "callback": (
        lambda f: f.make_callback(USER, "menu:main"),
        lambda u: (u.callback_query.data, u.callback_query.message.chat.id),
    ),
    "sticker": (lambda f: f.make_sticker(USER), lambda u: u.message.sticker.emoji),
    "photo": (
        lambda f: f.make_photo(USER, caption="Төлқұжат"),
        lambda u: (len(u.message.photo), u.message.caption),
    ),
    "voice": (lambda f: f.make_voice(USER), lambda u: u.message.voice.mime_type),
    "location": (
        lambda f: f.make_location(USER, 43.25, 76.95),
        lambda u: (u.message.location.latitude, u.message.location.longitude),
    ),
    "document": (lambda f: f.make_document(USER), lambda u: u.message.document.file_name),
    "contact": (
        lambda f: f.make_contact(USER, "+77011234567"),
        lambda u: (u.message.contact.phone_number, u.message.contact.user_id),
    ),
}
EXPECTED: dict[str, Any] = {
    "command": [("bot_command", 0, 6)],
    "text": ("Сәлем", "kk", "Асқар"),
    "callback": ("menu:main", USER),
    "sticker": "👍",
    "photo": (3, "Төлқұжат"),
    "voice": "audio/ogg",
    "location": (43.25, 76.95),
    "document": "document.pdf",
    "contact": ("+77011234567", USER),
}


@pytest.mark.parametrize("kind", list(BUILDERS))
def test_builders_produce_valid_updates(kind: str) -> None:
    fake = FakeBotAPI()
    build, inspect = BUILDERS[kind]

    raw = build(fake)
    update = Update.model_validate(raw)

    assert update.update_id == raw["update_id"]
    assert update.event_type == ("callback_query" if kind == "callback" else "message")
    assert inspect(update) == EXPECTED[kind]


def test_builder_update_ids_increase_and_profiles_persist() -> None:
    fake = FakeBotAPI()

    first = fake.make_message(USER, "a", first_name="Асқар", language_code="kk")
    second = fake.make_voice(USER)

    assert second["update_id"] == first["update_id"] + 1
    assert second["message"]["from"]["first_name"] == "Асқар"
    assert second["message"]["from"]["language_code"] == "kk"
    assert fake.make_message(OTHER_USER, "b")["message"]["from"]["language_code"] == "ru"
