"""Telegram through aiogram 3: polling or webhook in, outbox rows out.

aiogram parses and validates updates and performs API calls; the conversation itself is
the core's. Updates from groups are ignored: Qonys talks to people in private chats.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from typing import Any

from aiogram import Bot, F, Router
from aiogram import Dispatcher as AiogramDispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import (
    BotCommand,
    CallbackQuery,
    FSInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    Update,
)
from aiogram.types import Message as TgMessage
from fastapi import APIRouter, Request, Response
from pydantic import ValidationError

from bot.channels.base import Caps, Permanent, RetryAfter, Transient, Unreachable
from bot.core import Core
from bot.i18n import N_, Translator
from bot.outbox import Claimed, signed_text
from bot.settings import LOCALES, Settings
from bot.types import Incoming, Kind
from storage.db import unavailable

log = logging.getLogger(__name__)

CHANNEL = "telegram"
WEBHOOK_PATH = "/webhooks/telegram"
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]
COMMANDS = {
    "start": N_("Start again"),
    "menu": N_("Main menu"),
    "language": N_("Change the language"),
    "checklist": N_("My documents checklist"),
    "status": N_("Where is my application?"),
    "appointment": N_("Book a visit to the centre"),
    "operator": N_("Talk to a caseworker"),
    "profile": N_("Your profile and needs assessment"),
    "subscriptions": N_("News you chose to receive"),
    "stop": N_("Stop all news"),
    "mydata": N_("What I store about you"),
    "forget": N_("Delete everything about you"),
    "help": N_("What the bot can do"),
}
# Which attribute of a Message tells its kind; the first present one wins.
_KINDS: tuple[tuple[str, Kind], ...] = (
    ("text", "text"),
    ("sticker", "sticker"),
    ("photo", "photo"),
    ("video", "video"),
    ("video_note", "video"),
    ("animation", "video"),
    ("voice", "voice"),
    ("audio", "audio"),
    ("document", "document"),
    ("location", "location"),
    ("contact", "contact"),
)


def incoming_from_message(message: TgMessage, update_id: int) -> Incoming:
    kind: Kind = next((k for attr, k in _KINDS if getattr(message, attr, None)), "unsupported")
    user = message.from_user
    inc = Incoming(
        channel=CHANNEL,
        user_id=str(message.chat.id),
        kind=kind,
        text=message.text if kind == "text" else None,
        update_id=str(update_id),
        message_id=str(message.message_id),
        locale_hint=user.language_code if user else None,
        display_name=user.full_name if user else None,
    )
    if message.location:
        inc.location = (message.location.latitude, message.location.longitude)
    if message.contact:
        own = bool(user and message.contact.user_id == user.id)  # shared their own number
        inc.attachments = [{"phone": message.contact.phone_number, "verified": own}]
    if file := media_file(message):
        inc.attachments = [file]
        inc.text = message.caption
    return inc


# Default types of what Telegram sends without one (photos are always JPEG, voice OGG/Opus).
_MIME = {"photo": "image/jpeg", "voice": "audio/ogg", "video_note": "video/mp4"}


def media_file(message: TgMessage) -> dict[str, str] | None:
    """Where a caseworker can fetch a photo, voice note or document the person sent."""
    for attr in ("photo", "voice", "audio", "video", "video_note", "document"):
        item = getattr(message, attr, None)
        if not item:
            continue
        if attr == "photo":
            item = item[-1]  # the largest size
        mime = getattr(item, "mime_type", None) or _MIME.get(attr, "application/octet-stream")
        found = {"media": attr, "ref": item.file_id, "mime": mime}
        if name := getattr(item, "file_name", None):
            found["name"] = name[:120]
        return found
    return None


def ids_fit(update: Update) -> bool:
    """Telegram's ids are 64-bit integers; a longer one (only a forgery has it) would not fit
    the columns that keep it."""
    ids = [update.update_id]
    if message := update.message or update.edited_message:
        ids += [message.message_id, message.chat.id]
        ids += [message.from_user.id] if message.from_user else []
    if query := update.callback_query:
        ids.append(query.from_user.id)
    return all(-(2**63) <= i < 2**63 for i in ids)


def incoming_from_callback(query: CallbackQuery, update_id: int) -> Incoming:
    return Incoming(
        channel=CHANNEL,
        user_id=str(query.from_user.id),
        kind="action",
        action=query.data or "",
        update_id=str(update_id),
        locale_hint=query.from_user.language_code,
        display_name=query.from_user.full_name,
    )


def keyboard(buttons: list[dict[str, str]]) -> InlineKeyboardMarkup | ReplyKeyboardMarkup | None:
    """Rows of up to three buttons whose labels fit a phone screen side by side. A "share my
    phone" button only exists on the reply keyboard, so such a message gets one: its other
    buttons send their label as text, which the core maps back to the action."""
    if not buttons:
        return None
    if any(b.get("request") == "phone" for b in buttons):
        rows = [
            [KeyboardButton(text=b["label"], request_contact=b.get("request") == "phone")]
            for b in buttons
        ]
        return ReplyKeyboardMarkup(keyboard=rows, resize_keyboard=True, one_time_keyboard=True)
    rows: list[list[InlineKeyboardButton]] = [[]]
    width = 0
    for b in buttons:
        size = len(b["label"])
        if rows[-1] and (len(rows[-1]) == 3 or width + size > 28 or size > 14):
            rows.append([])
            width = 0
        rows[-1].append(InlineKeyboardButton(text=b["label"], callback_data=b["action"]))
        width += size
        if size > 14:
            rows.append([])
            width = 0
    return InlineKeyboardMarkup(inline_keyboard=[r for r in rows if r])


class TelegramChannel:
    name = CHANNEL
    caps = Caps(max_text=4096, html=True)

    def __init__(self, settings: Settings, core: Core) -> None:
        self.settings, self.core = settings, core
        assert settings.telegram_bot_token
        session = AiohttpSession(
            api=TelegramAPIServer.from_base(settings.telegram_api_base)
            if settings.telegram_api_base
            else TelegramAPIServer.from_base("https://api.telegram.org")
        )
        self.bot = Bot(settings.telegram_bot_token, session=session)
        self.dp = AiogramDispatcher()
        self.dp.include_router(self._router())
        self._tasks: set[asyncio.Task] = set()

    def _router(self) -> Router:
        router = Router(name="qonys")
        router.message.filter(F.chat.type == "private")
        router.message.register(self.on_message)
        router.edited_message.filter(F.chat.type == "private", F.text)
        router.edited_message.register(self.on_edited)
        router.callback_query.register(self.on_callback)
        return router

    async def on_message(self, message: TgMessage, event_update: Update) -> None:
        await self._handle(incoming_from_message(message, event_update.update_id))

    async def on_edited(self, message: TgMessage, event_update: Update) -> None:
        """A corrected question is answered again, once (the core skips an edit that changes
        nothing). Only text: a moving live location also arrives as an edit, many times."""
        incoming = incoming_from_message(message, event_update.update_id)
        incoming.edited = True
        await self._handle(incoming)

    async def on_callback(self, query: CallbackQuery, event_update: Update) -> None:
        await self._handle(incoming_from_callback(query, event_update.update_id))
        try:  # stops the spinner on the button; harmless if it fails
            await query.answer()
        except TelegramAPIError as exc:
            log.info("answerCallbackQuery failed: %s", exc)

    async def _handle(self, incoming: Incoming) -> None:
        """A webhook refuses an update while the database is away (Telegram sends it again);
        polling has already taken it from Telegram, so it waits here until it can be kept."""
        delay = 1.0
        while True:
            try:
                await self.core.handle(incoming)
                return
            except Exception as exc:
                if self.settings.telegram_mode != "polling" or not unavailable(exc):
                    raise
                log.warning("update %s waits for the database: %s", incoming.update_id, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)

    async def fetch(self, ref: str, limit: int) -> bytes:
        """A file the person sent, by its file id (the Bot API serves up to 20 MB)."""
        info = await self.bot.get_file(ref, request_timeout=int(self.settings.send_timeout))
        if not info.file_path or (info.file_size or 0) > limit:
            raise ValueError("file not available")
        data = await self.bot.download_file(info.file_path, timeout=int(self.settings.send_timeout))
        return data.read() if data else b""

    async def deliver(self, msg: Claimed) -> str | None:
        try:
            sent = await self._send(msg)
        except TelegramRetryAfter as exc:
            raise RetryAfter(exc.retry_after) from exc
        except (TelegramForbiddenError, TelegramNotFound) as exc:
            raise Unreachable(str(exc)) from exc
        except TelegramBadRequest as exc:
            raise Permanent(str(exc)) from exc
        except (TelegramServerError, TelegramNetworkError, ClientDecodeError) as exc:
            # ClientDecodeError: the front end answered an HTML error page (502/504 from nginx).
            raise Transient(str(exc)[:300]) from exc
        return str(sent.message_id)

    async def _send(self, msg: Claimed) -> TgMessage:
        timeout = int(self.settings.send_timeout)
        media = msg.payload.get("media") or {}
        chat, caption = int(msg.chat_id), (media.get("caption") or "")[:1024] or None
        if media.get("kind") == "image":
            return await self.bot.send_photo(
                chat_id=chat, photo=FSInputFile(media["path"]), caption=caption,
                request_timeout=timeout,
            )  # fmt: skip
        if media.get("kind") == "document":
            return await self.bot.send_document(
                chat_id=chat, document=FSInputFile(media["path"]), caption=caption,
                request_timeout=timeout,
            )  # fmt: skip
        if media.get("kind") == "location":
            return await self.bot.send_location(
                chat_id=chat, latitude=media["latitude"], longitude=media["longitude"],
                request_timeout=timeout,
            )  # fmt: skip
        return await self.bot.send_message(
            chat_id=int(msg.chat_id),
            text=signed_text(msg),
            parse_mode="HTML" if msg.payload.get("fmt") == "html" else None,
            reply_markup=keyboard(msg.payload.get("buttons", [])),
            request_timeout=timeout,
        )

    async def start(self, poll: bool = True) -> None:
        """Register commands and the webhook, and start polling unless the caller runs `poll`
        itself (with several workers, only one may); retries while Telegram is away."""
        self._spawn(self._configure())
        if poll and self.settings.telegram_mode == "polling":
            self._spawn(self.poll())

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _configure(self) -> None:
        delay = 1.0
        while True:
            try:
                await self.set_commands()
                if self.settings.telegram_mode == "webhook":
                    await self.bot.set_webhook(
                        url=f"{self.settings.public_url.rstrip('/')}{WEBHOOK_PATH}",  # type: ignore[union-attr]
                        secret_token=self.settings.resolved_webhook_secret(),
                        allowed_updates=ALLOWED_UPDATES,
                    )
                return
            except TelegramAPIError as exc:
                log.warning("telegram set-up failed (%s); retrying in %.0fs", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 300)

    async def set_commands(self) -> None:
        for locale in (*LOCALES, None):
            tr = Translator(locale or self.settings.default_locale)
            commands = [
                BotCommand(command=c, description=tr.gettext(d)) for c, d in COMMANDS.items()
            ]
            await self.bot.set_my_commands(commands, language_code=locale)

    async def poll(self) -> None:
        await self._drop_webhook()
        await self.dp.start_polling(
            self.bot, handle_signals=False, close_bot_session=False, allowed_updates=ALLOWED_UPDATES
        )

    async def _drop_webhook(self) -> None:
        # getUpdates is refused while a webhook is set: drop any left from a webhook deployment.
        try:
            await self.bot.delete_webhook(drop_pending_updates=False)
        except TelegramAPIError as exc:
            log.warning("deleteWebhook failed: %s", exc)

    async def stop(self) -> None:
        if self.settings.telegram_mode == "polling":
            with contextlib.suppress(RuntimeError):  # raised when polling never started
                await self.dp.stop_polling()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.bot.session.close()

    def webhook_router(self) -> APIRouter:
        api = APIRouter()
        secret = self.settings.resolved_webhook_secret()

        @api.post(WEBHOOK_PATH, include_in_schema=False)
        async def webhook(request: Request) -> Response:
            given = request.headers.get("x-telegram-bot-api-secret-token", "")
            if not secrets.compare_digest(given.encode(), secret.encode()):
                return Response(status_code=401)
            try:
                update = Update.model_validate_json(await request.body(), context={"bot": self.bot})
            except ValidationError:
                return Response(status_code=400)
            if not ids_fit(update):
                return Response(status_code=400)
            # Handled before the answer: a crash before it means Telegram re-delivers, and the
            # recorded update id makes that re-delivery harmless.
            await self.dp.feed_update(self.bot, update)
            return Response(status_code=200)

        return api
