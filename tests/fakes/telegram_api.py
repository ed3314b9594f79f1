"""A fake Telegram Bot API server on loopback for end-to-end tests of an aiogram 3 bot.

The fake speaks the documented Bot API wire protocol (https://core.telegram.org/bots/api):
``POST|GET /bot<token>/<method>`` with urlencoded, multipart or JSON bodies, answering
``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code": ..., "description": ...}``
with the HTTP status equal to ``error_code``.  Every object it returns is complete enough for
aiogram's pydantic models.

Typical use::

    async with FakeBotAPI() as fake:
        session = AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url))
        bot = Bot(fake.token, session=session)
        fake.push_update(fake.make_message(42, "/start"))
        ...  # run the dispatcher, then
        [reply] = await fake.wait_for_messages(42)

Failure kinds and what aiogram 3.31 raises for them (see ``BaseSession.check_response`` and
``AiohttpSession.make_request``):

* ``fail_next(m, status=429, retry_after=N)`` or a ``rate_limit()`` overrun: JSON 429 with
  ``parameters.retry_after`` -> ``TelegramRetryAfter`` with ``.retry_after == N``.
* ``fail_next(m, status=502)`` (also 503/504): nginx's HTML "502 Bad Gateway" page, *not*
  JSON, as Telegram's front end sends it -> ``ClientDecodeError`` ("Failed to decode object").
  Note that ``ClientDecodeError`` is *not* a ``TelegramAPIError`` subclass.
* ``fail_next(m, status=500)`` or ``fail_next(m, status=502, html=False)``: a JSON error body
  -> ``TelegramServerError`` (``RestartingTelegram`` if the description mentions "restart").
* chat id in ``blocked_chats`` (403) -> ``TelegramForbiddenError``.
* invalid parameters (400) -> ``TelegramBadRequest``; unknown method (404) ->
  ``TelegramNotFound``; getUpdates while a webhook is set or superseded by a newer getUpdates
  (409) -> ``TelegramConflictError``; upload over 50 MB (413) -> ``TelegramEntityTooLarge``.
* ``delay_next(m, s)`` longer than the client's request timeout -> ``TelegramNetworkError``
  ("Request timeout error").

Delivery ambiguity of ``delay_next``: the fake performs the method *first* and only delays the
*answer*.  A client that gives up waiting therefore sees a timeout although the message was
delivered (it is in ``sent_messages()``), which is exactly what can happen with the real server:
a timeout never proves that a message was *not* sent, and a blind retry can produce a duplicate.

Known simplifications (documented so nobody relies on them by accident):

* ``parse_mode="HTML"`` is parsed like Telegram does (supported tags only, entities in UTF-16
  units, surrounding whitespace trimmed, errors like "can't parse entities: Unsupported start
  tag"); Markdown/MarkdownV2 text is echoed verbatim without validation.
* Any numeric ``chat_id`` is accepted (positive = private chat, negative = group); file ids and
  URLs are not checked against Telegram's storage and URLs are not downloaded.
* Rate limiting is off unless ``rate_limit()`` is called.
* setWebhook accepts plain-HTTP loopback URLs (any port) so tests can run a local webhook;
  any other URL must be HTTPS on port 80/88/443/8443 as on the real server.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import hashlib
import inspect
import itertools
import json
import math
import mimetypes
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from aiohttp import ClientSession, ClientTimeout, web

from tests.fakes.loopback import LoopbackServer

JSONDict = dict[str, Any]
MethodHandler = Callable[["_Context"], Awaitable[Any]]
CustomHandler = Callable[[JSONDict], Any]

DEFAULT_TOKEN = "123456789:AAFakeTokenForQonysTestsOnly0000000"
DEFAULT_FIRST_NAME = "Айгүл"
DEFAULT_LANGUAGE = "ru"

MAX_TEXT_LENGTH = 4096  # UTF-16 code units after entity parsing
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # the Bot API's upload limit
PHOTO_SIZES = ((90, 68), (320, 240), (800, 600))
NGINX_STATUSES = frozenset({502, 503, 504})
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"

_TOKEN_RE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
_COMMAND_RE = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?=\s|$)")
_BOT_COMMAND_NAME_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_SECRET_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_BUTTON_URL_RE = re.compile(r"^(?:https?|tg)://\S+$")
_TAG_RE = re.compile(r"<(/?)([^\s<>/]*)([^<>]*)>")
_ATTR_RE = re.compile(r"""([\w-]+)\s*(?:=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
_HTML_ENTITY_RE = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")

# Parameters that carry JSON-serialised objects in form data, with the noun the real API uses
# in its "can't parse ... JSON object" error.
_JSON_PARAMS = {
    "reply_markup": "reply keyboard markup",
    "entities": "entities",
    "caption_entities": "caption entities",
    "commands": "commands",
    "scope": "scope",
    "allowed_updates": "allowed updates",
    "link_preview_options": "link preview options",
    "reply_parameters": "reply parameters",
}
_INLINE_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
# Update types getUpdates returns when allowed_updates is empty (documented default).
_OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_HTML_TAG_ENTITIES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}


# --------------------------------------------------------------------------- errors & records


class ApiError(Exception):
    """An error answer of the Bot API: HTTP status == ``error_code``."""

    def __init__(
        self, error_code: int, description: str, parameters: JSONDict | None = None
    ) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def to_response(self) -> web.Response:
        body: JSONDict = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return web.json_response(body, status=self.error_code)


def bad_request(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}")


def too_many_requests(retry_after: int) -> ApiError:
    return ApiError(
        429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
    )


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request, as recorded in ``FakeBotAPI.requests``."""

    filename: str | None
    content_type: str | None
    data: bytes


@dataclass(frozen=True)
class _Failure:
    status: int
    retry_after: int
    description: str | None
    html: bool


@dataclass
class _StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes

    def as_file(self) -> JSONDict:
        """A ``File`` object as getFile returns it."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
            "file_path": self.file_path,
        }


@dataclass
class _SlidingWindow:
    """At most ``limit`` hits in any ``window`` seconds."""

    limit: int
    window: float = 1.0
    hits: deque[float] = field(default_factory=deque)

    def retry_after(self, now: float) -> int | None:
        while self.hits and self.hits[0] <= now - self.window:
            self.hits.popleft()
        if len(self.hits) < self.limit:
            return None
        return max(1, math.ceil(self.hits[0] + self.window - now))

    def hit(self, now: float) -> None:
        self.hits.append(now)


class _Signal:
    """A broadcast wake-up: every waiter of the current generation is woken by ``fire()``."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, seconds: float) -> None:
        """Return when fired or after ``seconds``, whichever comes first."""
        event = self._event
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), max(seconds, 0))


@dataclass(frozen=True)
class _Context:
    method: str
    params: JSONDict
    bot_user: JSONDict


# --------------------------------------------------------------------------- parameter helpers


def _optional_int(params: JSONDict, name: str) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise bad_request(f"invalid {name} specified") from None


def _optional_float(params: JSONDict, name: str) -> float | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise bad_request(f"invalid {name} specified") from None


def _flag(params: JSONDict, name: str) -> bool:
    return params.get(name) in (True, 1, "true", "True", "1")


def _chat_id(params: JSONDict) -> int:
    """The target chat; usernames (``@channel``) are unknown to the fake."""
    value = params.get("chat_id")
    if value is None or value == "":
        raise bad_request("chat_id is empty")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise bad_request("chat not found") from None


def _message_id(params: JSONDict) -> int:
    message_id = _optional_int(params, "message_id")
    if message_id is None:
        raise bad_request("message identifier is not specified")
    return message_id


def _loose_int(value: Any) -> int | None:
    with contextlib.suppress(TypeError, ValueError):
        return int(value)
    return None


def _decode_json_params(params: JSONDict) -> None:
    """aiogram sends nested objects as JSON strings inside form data: decode them in place."""
    for name, noun in _JSON_PARAMS.items():
        value = params.get(name)
        if isinstance(value, str):
            try:
                params[name] = json.loads(value)
            except json.JSONDecodeError:
                raise bad_request(f"can't parse {noun} JSON object") from None


def _resolve_attachments(params: JSONDict) -> None:
    """Replace ``attach://<name>`` values by the uploaded part called ``<name>``."""
    for key, value in list(params.items()):
        if isinstance(value, str) and value.startswith("attach://"):
            part = value.removeprefix("attach://")
            uploaded = params.pop(part, None)
            if not isinstance(uploaded, UploadedFile):
                raise bad_request(f"wrong file identifier/HTTP URL specified for {key}")
            params[key] = uploaded


# --------------------------------------------------------------------------- text & entities


def utf16_len(text: str) -> int:
    """Telegram measures texts and entity offsets in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _unescape(text: str) -> str:
    """The four named HTML entities Telegram supports, plus numeric ones."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("#x"):
            return chr(int(name[2:], 16))
        if name.startswith("#"):
            return chr(int(name[1:]))
        return {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}[name]

    return _HTML_ENTITY_RE.sub(replace, text)


def _tag_attributes(raw: str) -> dict[str, str]:
    return {
        m.group(1).lower(): m.group(2) or m.group(3) or m.group(4) or ""
        for m in _ATTR_RE.finditer(raw)
    }


def _open_html_entity(name: str, raw_attrs: str, byte_offset: int) -> JSONDict | None:
    """The entity a start tag opens, or None for tags that produce no entity."""
    kind = _HTML_TAG_ENTITIES.get(name)
    if kind is None:
        raise bad_request(
            f'can\'t parse entities: Unsupported start tag "{name}" at byte offset {byte_offset}'
        )
    attrs = _tag_attributes(raw_attrs)
    if name == "span" and attrs.get("class") != "tg-spoiler":
        raise bad_request('can\'t parse entities: Tag "span" must have class "tg-spoiler"')
    if name == "a":
        return {"type": "text_link", "url": attrs["href"]} if attrs.get("href") else None
    if name == "tg-emoji":
        emoji_id = attrs.get("emoji-id")
        return {"type": "custom_emoji", "custom_emoji_id": emoji_id} if emoji_id else None
    if name == "blockquote" and "expandable" in attrs:
        return {"type": "expandable_blockquote"}
    if name == "code" and attrs.get("class", "").startswith("language-"):
        return {"type": "code", "language": attrs["class"].removeprefix("language-")}
    return {"type": kind}


def parse_html(source: str) -> tuple[str, list[JSONDict]]:
    """Parse Telegram-flavoured HTML into plain text and MessageEntity dicts.

    Mirrors the real parser's contract: only the documented tags are allowed, every ``<`` must
    start a tag (escape it as ``&lt;`` otherwise), tags must nest properly, and a
    ``<pre><code class="language-x">`` pair becomes a single ``pre`` entity with a language.
    """
    pieces: list[str] = []
    position = 0  # UTF-16 offset in the output text
    stack: list[tuple[str, JSONDict | None, int]] = []
    entities: list[JSONDict] = []
    index = 0
    while index < len(source):
        lt = source.find("<", index)
        chunk = _unescape(source[index : len(source) if lt == -1 else lt])
        pieces.append(chunk)
        position += utf16_len(chunk)
        if lt == -1:
            break
        byte_offset = len(source[:lt].encode())
        match = _TAG_RE.match(source, lt)
        if match is None:
            raise bad_request(
                f'can\'t parse entities: Unsupported start tag "" at byte offset {byte_offset}'
            )
        closing, name, attrs = match.group(1) == "/", match.group(2).lower(), match.group(3)
        if closing:
            _close_html_tag(stack, entities, name, position, byte_offset)
        else:
            stack.append((name, _open_html_entity(name, attrs, byte_offset), position))
        index = match.end()
    if stack:
        raise bad_request(
            "can't parse entities: Can't find end tag corresponding to start tag "
            f'"{stack[-1][0]}"'
        )
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(pieces), entities


def _close_html_tag(
    stack: list[tuple[str, JSONDict | None, int]],
    entities: list[JSONDict],
    name: str,
    position: int,
    byte_offset: int,
) -> None:
    if not stack:
        raise bad_request(f"can't parse entities: Unexpected end tag at byte offset {byte_offset}")
    open_name, entity, start = stack.pop()
    if name != open_name:
        raise bad_request(
            f"can't parse entities: Unmatched end tag at byte offset {byte_offset}, "
            f'expected "</{open_name}>", found "</{name}>"'
        )
    if entity is None or position == start:
        return
    if entity["type"] == "code" and stack and stack[-1][0] == "pre":
        pre = stack[-1][1]
        if pre is not None and "language" in entity:
            pre["language"] = entity["language"]
        return
    entity = {**entity, "offset": start, "length": position - start}
    if entity["type"] == "code":
        entity.pop("language", None)
    entities.append(entity)


def _strip_text(text: str, entities: list[JSONDict]) -> tuple[str, list[JSONDict]]:
    """Telegram trims surrounding whitespace and shifts/clips entities accordingly."""
    stripped = text.strip()
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    total = utf16_len(stripped)
    result = []
    for entity in entities:
        start = max(0, entity["offset"] - lead)
        end = min(total, entity["offset"] + entity["length"] - lead)
        if end > start:
            result.append({**entity, "offset": start, "length": end - start})
    return stripped, result


def format_text(text: str, parse_mode: Any, entities: Any) -> tuple[str, list[JSONDict]]:
    """Text and entities as the server stores them after parsing ``parse_mode``."""
    if isinstance(parse_mode, str) and parse_mode.lower() == "html":
        text, parsed = parse_html(text)
    else:
        parsed = _explicit_entities(entities)
    return _strip_text(text, parsed)


def _explicit_entities(entities: Any) -> list[JSONDict]:
    """Entities passed by the client instead of a parse_mode."""
    if entities is None:
        return []
    valid = isinstance(entities, list) and all(
        isinstance(e, dict)
        and isinstance(e.get("type"), str)
        and isinstance(e.get("offset"), int)
        and isinstance(e.get("length"), int)
        for e in entities
    )
    if not valid:
        raise bad_request("can't parse entities JSON object")
    return [dict(e) for e in entities]


def command_entities(text: str) -> list[JSONDict]:
    """The ``bot_command`` entity clients add for a leading ``/command``."""
    match = _COMMAND_RE.match(text)
    if match is None:
        return []
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(match.group())}]


# --------------------------------------------------------------------------- reply markup


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict):
        raise bad_request(
            "can't parse inline keyboard button: InlineKeyboardButton must be an Object"
        )
    text = button.get("text")
    if not isinstance(text, str) or not text:
        raise bad_request("can't parse inline keyboard button: Text must be non-empty")
    if not any(action in button for action in _INLINE_BUTTON_ACTIONS):
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    data = button.get("callback_data")
    if "callback_data" in button and (
        not isinstance(data, str) or not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA_BYTES
    ):
        raise bad_request("BUTTON_DATA_INVALID")
    url = button.get("url")
    if "url" in button and (not isinstance(url, str) or not _BUTTON_URL_RE.match(url)):
        raise bad_request(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")


def _check_rows(rows: Any, field_name: str, markup_name: str) -> list[list[Any]]:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(f'field "{field_name}" of the {markup_name} must be an Array of Arrays')
    return rows


def validate_reply_markup(markup: Any) -> JSONDict | None:
    """Validate any reply_markup; return it when it is an InlineKeyboardMarkup.

    Only inline keyboards are attached to the sent Message (``Message.reply_markup`` is an
    InlineKeyboardMarkup in the Bot API); reply keyboards, ReplyKeyboardRemove and ForceReply
    are accepted but not echoed, as on the real server.
    """
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = _check_rows(markup["inline_keyboard"], "inline_keyboard", "InlineKeyboardMarkup")
        for row in rows:
            for button in row:
                _check_inline_button(button)
        return {"inline_keyboard": rows}
    if "keyboard" in markup:
        for row in _check_rows(markup["keyboard"], "keyboard", "ReplyKeyboardMarkup"):
            for button in row:
                text = button.get("text") if isinstance(button, dict) else button
                if not isinstance(text, str) or not text:
                    raise bad_request("can't parse keyboard button: Text must be non-empty")
        return None
    if markup.get("remove_keyboard") or markup.get("force_reply"):
        return None
    raise bad_request("can't parse reply keyboard markup JSON object")


def callback_datas(markup: JSONDict | None) -> list[str]:
    """All callback_data values of an inline keyboard."""
    if not markup:
        return []
    return [
        button["callback_data"]
        for row in markup.get("inline_keyboard", [])
        for button in row
        if "callback_data" in button
    ]


def _nginx_page(status: int) -> str:
    """The HTML error page Telegram's nginx front end returns for 5xx gateway errors."""
    try:
        title = f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        title = str(status)
    return (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n"
        "</body>\r\n</html>\r\n"
    )


def _check_webhook_url(url: str) -> None:
    """The real API wants a public HTTPS URL on port 80, 88, 443 or 8443.

    Deliberate deviation: loopback hosts (127.0.0.1, ::1, localhost) are accepted with any
    scheme and port, so end-to-end tests can point the webhook at a local server.
    """
    parts = urlsplit(url)
    if parts.hostname in _LOOPBACK_HOSTS:
        return
    if parts.scheme != "https" or not parts.hostname:
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    if parts.port not in (None, 80, 88, 443, 8443):
        raise bad_request("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")


def _update_type(update: JSONDict) -> str:
    return next((key for key in update if key != "update_id"), "")


# --------------------------------------------------------------------------- the server


class FakeBotAPI(LoopbackServer):
    """An in-process Bot API server on ``127.0.0.1`` (a free port unless ``port`` is given).

    State is shared by all tokens; the bot user of a request (``from`` of the messages it
    sends, getMe) is derived from the token of that request: id = the digits before ``:``.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        bot_first_name: str = "Qonys",
        bot_username: str = "qonys_test_bot",
    ) -> None:
        super().__init__(host, port)
        self.token = token
        self.bot_first_name = bot_first_name
        self.bot_username = bot_username

        self.requests: list[tuple[str, JSONDict]] = []
        """Every request as ``(canonical method name, params)``, failures included.

        Params are as received: form scalars stay strings (``chat_id == "42"``), JSON-in-form
        fields (reply_markup, commands, ...) are decoded, uploads are ``UploadedFile``."""
        self.blocked_chats: set[int] = set()
        """Chats whose user blocked the bot: sends to them answer 403."""
        self.webhook_url = ""
        self.webhook_secret_token: str | None = None

        self._methods: dict[str, MethodHandler] = self._builtin_methods()
        self._canonical = {name.lower(): name for name in self._methods}
        self._failures: dict[str, deque[_Failure]] = {}
        self._delays: dict[str, deque[float]] = {}
        self._per_chat_limit: int | None = None
        self._chat_windows: dict[int, _SlidingWindow] = {}
        self._global_window: _SlidingWindow | None = None

        self._updates: list[JSONDict] = []
        self._allowed_updates: list[str] = []
        self._update_ids = itertools.count(100_000_001)
        self._poll_generation = 0
        self._updates_signal = _Signal()
        self._activity = _Signal()

        self._users: dict[int, JSONDict] = {}
        self._messages: dict[tuple[int, int], JSONDict] = {}
        self._last_message_id: dict[int, int] = {}
        self._last_bot_message: dict[int, int] = {}
        self._sent: list[JSONDict] = []
        self._commands: dict[tuple[str, str], list[JSONDict]] = {}
        self._open_callbacks: set[str] = set()
        self._callback_ids = itertools.count(4_382_154_765_932_748_581)
        self._files: dict[str, _StoredFile] = {}
        self._file_objects: dict[str, JSONDict] = {}
        self._photo_sets: dict[str, list[JSONDict]] = {}
        self._file_counter = itertools.count(1)

    # ------------------------------------------------------------------ lifecycle

    max_body = MAX_UPLOAD_BYTES

    def routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)

    def on_stop(self) -> None:
        self._updates_signal.fire()  # answer pending long polls

    # ------------------------------------------------------------------ inspection

    def calls(self, method: str) -> list[JSONDict]:
        """Params of every request to ``method`` (case-insensitive), in order."""
        name = self._canonical_name(method)
        return [params for recorded, params in self.requests if recorded == name]

    def sent_messages(self, chat_id: int | None = None) -> list[JSONDict]:
        """The Message dicts returned by successful send* calls, in order (as sent, not edited)."""
        return [
            copy.deepcopy(m) for m in self._sent if chat_id is None or m["chat"]["id"] == chat_id
        ]

    def get_message(self, chat_id: int, message_id: int) -> JSONDict | None:
        """Current server-side state of a message (after edits), or None if unknown/deleted."""
        message = self._messages.get((chat_id, message_id))
        return copy.deepcopy(message) if message is not None else None

    def bot_commands(
        self, *, scope: JSONDict | None = None, language_code: str = ""
    ) -> list[JSONDict]:
        """Commands stored by setMyCommands for ``scope``/``language_code``."""
        return copy.deepcopy(self._commands.get(self._commands_key(scope, language_code), []))

    @property
    def pending_updates(self) -> list[JSONDict]:
        """Updates pushed but not yet confirmed through getUpdates' ``offset``."""
        return copy.deepcopy(self._updates)

    async def wait_for_messages(
        self, chat_id: int | None = None, *, count: int = 1, max_wait: float = 5.0
    ) -> list[JSONDict]:
        """Wait until at least ``count`` messages were sent (to ``chat_id``); return them all."""
        await self._wait_until(
            lambda: len(self.sent_messages(chat_id)) >= count,
            max_wait,
            f"{count} message(s) to chat {chat_id}",
        )
        return self.sent_messages(chat_id)

    async def wait_for_calls(
        self, method: str, *, count: int = 1, max_wait: float = 5.0
    ) -> list[JSONDict]:
        """Wait until ``method`` was requested at least ``count`` times; return all its params."""
        await self._wait_until(
            lambda: len(self.calls(method)) >= count, max_wait, f"{count} {method} call(s)"
        )
        return self.calls(method)

    async def _wait_until(self, predicate: Callable[[], bool], max_wait: float, what: str) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max_wait
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                seen = [method for method, _ in self.requests]
                raise TimeoutError(f"waited {max_wait}s for {what}; requests so far: {seen}")
            await self._activity.wait(remaining)

    # ------------------------------------------------------------------ behaviour switches

    def fail_next(
        self,
        method: str,
        status: int = 429,
        *,
        retry_after: int = 1,
        description: str | None = None,
        html: bool | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail without side effects.

        429 answers ``{"ok": false, "error_code": 429, "description": "Too Many Requests: retry
        after N", "parameters": {"retry_after": N}}``.  502/503/504 answer nginx's HTML page
        unless ``html=False``; other statuses answer a JSON error with ``description`` (default:
        the HTTP reason phrase).
        """
        failure = _Failure(
            status=status,
            retry_after=retry_after,
            description=description,
            html=status in NGINX_STATUSES if html is None else html,
        )
        queue = self._failures.setdefault(self._canonical_name(method), deque())
        queue.extend([failure] * times)

    def delay_next(self, method: str, seconds: float, *, times: int = 1) -> None:
        """Delay the *answer* of the next ``times`` calls of ``method``.

        The method takes effect before the delay (see the module docstring): a client that
        times out may still have delivered its message.
        """
        queue = self._delays.setdefault(self._canonical_name(method), deque())
        queue.extend([seconds] * times)

    def rate_limit(
        self, per_chat_per_second: int | None = None, global_per_second: int | None = None
    ) -> None:
        """Answer 429 (with retry_after) to send*/edit* calls over these sliding-window limits.

        Only accepted calls count towards the windows.  ``None`` switches a limit off; the real
        limits are roughly 1/s per chat and 30/s overall.
        """
        self._per_chat_limit = per_chat_per_second
        self._chat_windows.clear()
        self._global_window = _SlidingWindow(global_per_second) if global_per_second else None

    def add_method(self, name: str, handler: CustomHandler) -> None:
        """Serve an extra Bot API method: ``handler(params)`` returns the ``result`` (may be async
        and may raise ``ApiError``)."""

        async def call(ctx: _Context) -> Any:
            result = handler(ctx.params)
            return await result if inspect.isawaitable(result) else result

        self._methods[name] = call
        self._canonical[name.lower()] = name

    # ------------------------------------------------------------------ HTTP plumbing

    def _canonical_name(self, method: str) -> str:
        return self._canonical.get(method.lower(), method)

    async def _handle_method(self, request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        method = self._canonical_name(request.match_info["method"])
        try:
            params = await self._read_params(request)
        except ApiError as error:
            self._record(method, {})
            return error.to_response()
        self._record(method, params)
        delay = self._pop(self._delays, method)
        response = await self._respond(token, method, params)
        if delay:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), delay)
        return response

    def _record(self, method: str, params: JSONDict) -> None:
        self.requests.append((method, params))
        self._activity.fire()

    @staticmethod
    def _pop(queues: dict[str, deque[Any]], method: str) -> Any:
        queue = queues.get(method)
        return queue.popleft() if queue else None

    async def _respond(self, token: str, method: str, params: JSONDict) -> web.Response:
        if not _TOKEN_RE.match(token):
            return ApiError(401, "Unauthorized").to_response()
        handler = self._methods.get(method)
        if handler is None:
            return ApiError(404, "Not Found: method not found").to_response()
        failure = self._pop(self._failures, method)
        if failure is not None:
            return self._failure_response(failure)
        try:
            windows = self._check_chat_access(method, params)
            result = await handler(_Context(method, params, self._bot_user(token)))
        except ApiError as error:
            return error.to_response()
        for window in windows:
            window.hit(time.monotonic())
        self._activity.fire()
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    def _failure_response(failure: _Failure) -> web.Response:
        if failure.html:
            return web.Response(
                status=failure.status, text=_nginx_page(failure.status), content_type="text/html"
            )
        if failure.status == 429:
            error = too_many_requests(failure.retry_after)
            if failure.description:
                error.description = failure.description
            return error.to_response()
        try:
            default = HTTPStatus(failure.status).phrase
        except ValueError:
            default = "Error"
        return ApiError(failure.status, failure.description or default).to_response()

    async def _read_params(self, request: web.Request) -> JSONDict:
        """Query string plus JSON, urlencoded or multipart body, nested JSON decoded."""
        params: JSONDict = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                params.update(await self._read_json(request))
            else:
                params.update(await self._read_form(request))
        _resolve_attachments(params)
        _decode_json_params(params)
        return params

    @staticmethod
    async def _read_json(request: web.Request) -> JSONDict:
        try:
            body = await request.json()
        except json.JSONDecodeError:
            raise bad_request("can't parse JSON encoded request") from None
        if not isinstance(body, dict):
            raise bad_request("JSON request must be an Object")
        return body

    @staticmethod
    async def _read_form(request: web.Request) -> JSONDict:
        try:
            form = await request.post()
        except web.HTTPRequestEntityTooLarge:
            raise ApiError(413, "Request Entity Too Large") from None
        params: JSONDict = {}
        for key, value in form.items():
            if isinstance(value, web.FileField):
                params[key] = UploadedFile(value.filename, value.content_type, value.file.read())
            else:
                params[key] = value
        return params

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        """Download endpoint for ``File.file_path`` (``/file/bot<token>/<file_path>``)."""
        path = request.match_info["path"]
        stored = next((f for f in self._files.values() if f.file_path == path), None)
        if stored is None:
            return ApiError(404, "Not Found").to_response()
        return web.Response(body=stored.data, content_type="application/octet-stream")

    # ------------------------------------------------------------------ chats, users, limits

    def _bot_user(self, token: str) -> JSONDict:
        return {
            "id": int(token.split(":", 1)[0]),
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def _chat(self, chat_id: int) -> JSONDict:
        if chat_id < 0:
            kind = "supergroup" if chat_id <= -1_000_000_000_000 else "group"
            return {"id": chat_id, "type": kind, "title": "Qonys test group"}
        user = self._users.get(chat_id, {})
        chat: JSONDict = {
            "id": chat_id,
            "type": "private",
            "first_name": user.get("first_name", DEFAULT_FIRST_NAME),
        }
        for key in ("last_name", "username"):
            if key in user:
                chat[key] = user[key]
        return chat

    @staticmethod
    def _is_chat_send(method: str) -> bool:
        return method.startswith(("send", "edit", "copy", "forward", "delete")) and (
            method not in {"deleteWebhook", "deleteMyCommands"}
        )

    def _check_chat_access(self, method: str, params: JSONDict) -> list[_SlidingWindow]:
        """403 for blocked chats, then the optional rate limits (only for chat sends).

        Returns the rate-limit windows the call must be counted in once it succeeded.
        """
        if not self._is_chat_send(method):
            return []
        chat_id = _loose_int(params.get("chat_id"))
        if chat_id in self.blocked_chats:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if method in {"sendChatAction", "deleteMessage"}:
            return []
        windows = [self._global_window] if self._global_window else []
        if self._per_chat_limit and chat_id is not None:
            windows.append(
                self._chat_windows.setdefault(chat_id, _SlidingWindow(self._per_chat_limit))
            )
        now = time.monotonic()
        waits = [wait for w in windows if (wait := w.retry_after(now)) is not None]
        if waits:
            raise too_many_requests(max(waits))
        return windows

    def _remember_user(
        self,
        user_id: int,
        *,
        first_name: str | None = None,
        language_code: str | None = None,
        username: str | None = None,
    ) -> JSONDict:
        """The User object of a human; the profile persists across builder calls."""
        profile = self._users.get(user_id, {})
        user: JSONDict = {
            "id": user_id,
            "is_bot": False,
            "first_name": first_name or profile.get("first_name", DEFAULT_FIRST_NAME),
        }
        if username or "username" in profile:
            user["username"] = username or profile["username"]
        user["language_code"] = language_code or profile.get("language_code", DEFAULT_LANGUAGE)
        self._users[user_id] = user
        return user

    def _next_message_id(self, chat_id: int) -> int:
        """Message ids are per chat and shared by both sides of a private chat."""
        message_id = self._last_message_id.get(chat_id, 0) + 1
        self._last_message_id[chat_id] = message_id
        return message_id

    def _store_bot_message(self, bot_user: JSONDict, chat_id: int, content: JSONDict) -> JSONDict:
        message = {
            "message_id": self._next_message_id(chat_id),
            "from": bot_user,
            "chat": self._chat(chat_id),
            "date": int(time.time()),
            **content,
        }
        self._messages[(chat_id, message["message_id"])] = message
        self._last_bot_message[chat_id] = message["message_id"]
        return message

    def _send(self, ctx: _Context, chat_id: int, content: JSONDict) -> JSONDict:
        """Create a bot message with the common send options applied; record it as sent."""
        markup = validate_reply_markup(ctx.params.get("reply_markup"))
        if markup is not None:
            content["reply_markup"] = markup
        reply_to = self._replied_message(ctx.params, chat_id)
        if reply_to is not None:
            content["reply_to_message"] = reply_to
        if _flag(ctx.params, "protect_content"):
            content["has_protected_content"] = True
        message = self._store_bot_message(ctx.bot_user, chat_id, content)
        self._sent.append(copy.deepcopy(message))
        return message

    def _replied_message(self, params: JSONDict, chat_id: int) -> JSONDict | None:
        reply = params.get("reply_parameters")
        reply_id = reply.get("message_id") if isinstance(reply, dict) else None
        reply_id = _loose_int(reply_id or params.get("reply_to_message_id"))
        if reply_id is None:
            return None
        original = self._messages.get((chat_id, reply_id))
        if original is None:
            allow = isinstance(reply, dict) and reply.get("allow_sending_without_reply")
            if allow or _flag(params, "allow_sending_without_reply"):
                return None
            raise bad_request("message to be replied not found")
        return {k: v for k, v in original.items() if k != "reply_to_message"}

    # ------------------------------------------------------------------ method table

    def _builtin_methods(self) -> dict[str, MethodHandler]:
        return {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "sendLocation": self._send_location,
            "sendChatAction": self._send_chat_action,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "getFile": self._get_file,
        }

    async def _get_me(self, ctx: _Context) -> JSONDict:
        return {
            **ctx.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    # ------------------------------------------------------------------ getUpdates

    async def _get_updates(self, ctx: _Context) -> list[JSONDict]:
        """Long polling: unconfirmed updates are returned again until ``offset`` confirms them.

        A newer getUpdates call terminates a waiting older one with 409, as the real server does
        when two bot instances poll at once.
        """
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        params = ctx.params
        limit = min(max(_optional_int(params, "limit") or 100, 1), 100)
        timeout = max(_optional_float(params, "timeout") or 0.0, 0.0)
        if isinstance(params.get("allowed_updates"), list):
            self._allowed_updates = list(params["allowed_updates"])
        self._confirm(_optional_int(params, "offset") or 0)

        self._poll_generation += 1
        generation = self._poll_generation
        self._updates_signal.fire()  # wakes older pollers, which see they were superseded
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            pending = self._deliverable_updates()
            remaining = deadline - loop.time()
            if pending or remaining <= 0 or self._closing.is_set():
                return copy.deepcopy(pending[:limit])
            await self._updates_signal.wait(remaining)

    def _confirm(self, offset: int) -> None:
        """Positive offsets drop updates below them; negative ones keep only the last -offset."""
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]

    def _deliverable_updates(self) -> list[JSONDict]:
        """Drop updates of types the bot did not subscribe to (the server never stores them)."""

        def allowed(update: JSONDict) -> bool:
            kind = _update_type(update)
            if self._allowed_updates:
                return kind in self._allowed_updates
            return kind not in _OPT_IN_UPDATES

        self._updates = [u for u in self._updates if allowed(u)]
        return self._updates

    # ------------------------------------------------------------------ sending

    @staticmethod
    def _message_text(params: JSONDict) -> tuple[str, list[JSONDict]]:
        raw = params.get("text")
        if raw is None or raw == "":
            raise bad_request("message text is empty")
        text, entities = format_text(str(raw), params.get("parse_mode"), params.get("entities"))
        if not text:
            raise bad_request("message text is empty")
        if utf16_len(text) > MAX_TEXT_LENGTH:
            raise bad_request("message is too long")
        return text, entities

    @staticmethod
    def _caption(params: JSONDict) -> JSONDict:
        raw = params.get("caption")
        if not raw:
            return {}
        text, entities = format_text(
            str(raw), params.get("parse_mode"), params.get("caption_entities")
        )
        if utf16_len(text) > MAX_CAPTION_LENGTH:
            raise bad_request("message caption is too long")
        content: JSONDict = {"caption": text} if text else {}
        if entities:
            content["caption_entities"] = entities
        return content

    async def _send_message(self, ctx: _Context) -> JSONDict:
        chat_id = _chat_id(ctx.params)
        text, entities = self._message_text(ctx.params)
        content: JSONDict = {"text": text}
        if entities:
            content["entities"] = entities
        return self._send(ctx, chat_id, content)

    async def _send_photo(self, ctx: _Context) -> JSONDict:
        chat_id = _chat_id(ctx.params)
        photo = ctx.params.get("photo")
        if not photo:
            raise bad_request("there is no photo in the request")
        content = {"photo": self._photo_for(photo), **self._caption(ctx.params)}
        return self._send(ctx, chat_id, content)

    async def _send_document(self, ctx: _Context) -> JSONDict:
        chat_id = _chat_id(ctx.params)
        document = ctx.params.get("document")
        if not document:
            raise bad_request("there is no document in the request")
        content = {"document": self._document_for(document), **self._caption(ctx.params)}
        return self._send(ctx, chat_id, content)

    async def _send_location(self, ctx: _Context) -> JSONDict:
        chat_id = _chat_id(ctx.params)
        latitude = _optional_float(ctx.params, "latitude")
        longitude = _optional_float(ctx.params, "longitude")
        if latitude is None or not -90 <= latitude <= 90:
            raise bad_request("wrong latitude specified")
        if longitude is None or not -180 <= longitude <= 180:
            raise bad_request("wrong longitude specified")
        location: JSONDict = {"latitude": latitude, "longitude": longitude}
        accuracy = _optional_float(ctx.params, "horizontal_accuracy")
        if accuracy is not None:
            location["horizontal_accuracy"] = accuracy
        for key in ("live_period", "heading", "proximity_alert_radius"):
            value = _optional_int(ctx.params, key)
            if value is not None:
                location[key] = value
        return self._send(ctx, chat_id, {"location": location})

    async def _send_chat_action(self, ctx: _Context) -> bool:
        _chat_id(ctx.params)
        if ctx.params.get("action") not in _CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    # ------------------------------------------------------------------ files

    def _new_file(self, folder: str, data: bytes, extension: str, prefix: str) -> _StoredFile:
        number = next(self._file_counter)
        digest = hashlib.sha256(f"{number}:{len(data)}".encode()).hexdigest()
        stored = _StoredFile(
            file_id=f"{prefix}AxkBAAI{number:05d}{digest[:40]}",
            file_unique_id=f"AQAD{digest[40:52]}",
            file_path=f"{folder}/file_{number}.{extension}",
            data=data,
        )
        self._files[stored.file_id] = stored
        return stored

    def _new_photo(self, data: bytes) -> list[JSONDict]:
        """A PhotoSize array (smallest first) for one picture; registered for reuse."""
        sizes = []
        for width, height in PHOTO_SIZES:
            stored = self._new_file("photos", data, "jpg", "AgACAgIAA")
            sizes.append(
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "file_size": max(1, len(data) * width // PHOTO_SIZES[-1][0]),
                    "width": width,
                    "height": height,
                }
            )
        for size in sizes:
            self._photo_sets[size["file_id"]] = sizes
        return copy.deepcopy(sizes)

    def _photo_for(self, photo: UploadedFile | str) -> list[JSONDict]:
        """Photo sizes for an upload, a known/unknown file_id, or an HTTP URL."""
        if isinstance(photo, UploadedFile):
            return self._new_photo(photo.data)
        if photo in self._photo_sets:
            return copy.deepcopy(self._photo_sets[photo])
        sizes = self._new_photo(b"")
        if not photo.startswith(("http://", "https://")):
            sizes[-1]["file_id"] = photo  # an id the fake never issued: echo it back
        return sizes

    def _document_for(self, document: UploadedFile | str) -> JSONDict:
        if isinstance(document, str) and document in self._file_objects:
            return copy.deepcopy(self._file_objects[document])
        if isinstance(document, UploadedFile):
            name = document.filename or "document"
            data = document.data
            mime = document.content_type
        else:
            name = urlsplit(document).path.rsplit("/", 1)[-1] or "document"
            data, mime = b"", None
        if not mime or mime == "application/octet-stream":
            mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
        stored = self._new_file("documents", data, name.rsplit(".", 1)[-1], "BQACAgIAA")
        result = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": name,
            "mime_type": mime,
            "file_size": len(data),
        }
        if isinstance(document, str) and not document.startswith(("http://", "https://")):
            result["file_id"] = document
        self._file_objects[result["file_id"]] = result
        return copy.deepcopy(result)

    async def _get_file(self, ctx: _Context) -> JSONDict:
        stored = self._files.get(str(ctx.params.get("file_id", "")))
        if stored is None:
            raise bad_request("invalid file_id")
        return stored.as_file()

    # ------------------------------------------------------------------ editing

    def _own_message(self, ctx: _Context, action: str) -> tuple[int, JSONDict]:
        chat_id = _chat_id(ctx.params)
        message = self._messages.get((chat_id, _message_id(ctx.params)))
        if message is None:
            raise bad_request(f"message to {action} not found")
        if message["from"]["id"] != ctx.bot_user["id"]:
            raise bad_request(f"message can't be {action}ed")
        return chat_id, message

    def _apply_edit(self, chat_id: int, old: JSONDict, new: JSONDict) -> JSONDict:
        if new == old:
            raise bad_request(NOT_MODIFIED)
        new["edit_date"] = int(time.time())
        self._messages[(chat_id, new["message_id"])] = new
        return new

    @staticmethod
    def _with_markup(message: JSONDict, markup: JSONDict | None) -> JSONDict:
        message.pop("reply_markup", None)
        if markup is not None:
            message["reply_markup"] = markup
        return message

    async def _edit_message_text(self, ctx: _Context) -> JSONDict | bool:
        """Like the real API, omitting reply_markup removes the message's inline keyboard."""
        text, entities = self._message_text(ctx.params)
        markup = validate_reply_markup(ctx.params.get("reply_markup"))
        if ctx.params.get("inline_message_id"):
            return True
        chat_id, old = self._own_message(ctx, "edit")
        if "text" not in old:
            raise bad_request("there is no text in the message to edit")
        new = {k: v for k, v in old.items() if k not in {"entities", "edit_date"}}
        new["text"] = text
        if entities:
            new["entities"] = entities
        old_comparable = {k: v for k, v in old.items() if k != "edit_date"}
        return self._apply_edit(chat_id, old_comparable, self._with_markup(new, markup))

    async def _edit_message_reply_markup(self, ctx: _Context) -> JSONDict | bool:
        markup = validate_reply_markup(ctx.params.get("reply_markup"))
        if ctx.params.get("inline_message_id"):
            return True
        chat_id, old = self._own_message(ctx, "edit")
        new = {k: v for k, v in old.items() if k != "edit_date"}
        old_comparable = dict(new)
        return self._apply_edit(chat_id, old_comparable, self._with_markup(new, markup))

    async def _delete_message(self, ctx: _Context) -> bool:
        chat_id = _chat_id(ctx.params)
        if self._messages.pop((chat_id, _message_id(ctx.params)), None) is None:
            raise bad_request("message to delete not found")
        return True

    # ------------------------------------------------------------------ callbacks & commands

    async def _answer_callback_query(self, ctx: _Context) -> bool:
        """Each query can be answered once; unknown or answered ids get the real 400."""
        query_id = str(ctx.params.get("callback_query_id") or "")
        if query_id not in self._open_callbacks:
            raise bad_request(QUERY_INVALID)
        self._open_callbacks.discard(query_id)
        return True

    @staticmethod
    def _commands_key(scope: Any, language_code: Any) -> tuple[str, str]:
        scope = scope if isinstance(scope, dict) else {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(language_code or "")

    async def _set_my_commands(self, ctx: _Context) -> bool:
        commands = ctx.params.get("commands")
        if not isinstance(commands, list):
            raise bad_request('parameter "commands" is required')
        if len(commands) > 100:
            raise bad_request("too many commands specified")
        for command in commands:
            if not isinstance(command, dict) or not _BOT_COMMAND_NAME_RE.match(
                str(command.get("command", ""))
            ):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise bad_request("command description must be non-empty")
        key = self._commands_key(ctx.params.get("scope"), ctx.params.get("language_code"))
        stored = [{"command": c["command"], "description": c["description"]} for c in commands]
        self._commands[key] = stored
        return True

    async def _get_my_commands(self, ctx: _Context) -> list[JSONDict]:
        key = self._commands_key(ctx.params.get("scope"), ctx.params.get("language_code"))
        return copy.deepcopy(self._commands.get(key, []))

    async def _delete_my_commands(self, ctx: _Context) -> bool:
        key = self._commands_key(ctx.params.get("scope"), ctx.params.get("language_code"))
        self._commands.pop(key, None)
        return True

    # ------------------------------------------------------------------ webhooks

    async def _set_webhook(self, ctx: _Context) -> bool:
        """An empty url removes the webhook; the secret is what post_webhook() sends later."""
        url = str(ctx.params.get("url") or "")
        secret = ctx.params.get("secret_token")
        if url:
            _check_webhook_url(url)
        if secret is not None and not _SECRET_TOKEN_RE.match(str(secret)):
            raise bad_request("bad webhook: secret token contains unallowed characters")
        if _flag(ctx.params, "drop_pending_updates"):
            self._updates.clear()
        if isinstance(ctx.params.get("allowed_updates"), list):
            self._allowed_updates = list(ctx.params["allowed_updates"])
        self.webhook_url = url
        self.webhook_secret_token = str(secret) if url and secret else None
        return True

    async def _delete_webhook(self, ctx: _Context) -> bool:
        if _flag(ctx.params, "drop_pending_updates"):
            self._updates.clear()
        self.webhook_url = ""
        self.webhook_secret_token = None
        return True

    async def _get_webhook_info(self, ctx: _Context) -> JSONDict:
        info: JSONDict = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.webhook_url:
            info["max_connections"] = 40
            if self._allowed_updates:
                info["allowed_updates"] = list(self._allowed_updates)
        return info

    async def post_webhook(
        self,
        url: str,
        update: JSONDict,
        secret_token: str | None = None,
        *,
        request_timeout: float = 10.0,
    ) -> tuple[int, str]:
        """POST ``update`` as JSON to a bot's webhook the way Telegram does.

        ``secret_token=None`` uses the secret registered through setWebhook (if any); pass
        ``""`` to send no ``X-Telegram-Bot-Api-Secret-Token`` header at all.
        Returns ``(HTTP status, response body)``.
        """
        self._register_update(update)
        secret = self.webhook_secret_token if secret_token is None else secret_token
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
        async with (
            ClientSession(timeout=ClientTimeout(total=request_timeout)) as session,
            session.post(url, json=update, headers=headers) as response,
        ):
            return response.status, await response.text()

    # ------------------------------------------------------------------ update builders

    def push_update(self, update: JSONDict) -> JSONDict:
        """Queue an update for getUpdates (an ``update_id`` is assigned if missing)."""
        if "update_id" not in update:
            update = {"update_id": next(self._update_ids), **update}
        self._register_update(update)
        self._updates.append(copy.deepcopy(update))
        self._updates.sort(key=lambda u: u["update_id"])
        self._updates_signal.fire()
        return update

    def push_updates(self, updates: Iterable[JSONDict]) -> None:
        for update in updates:
            self.push_update(update)

    def _register_update(self, update: JSONDict) -> None:
        """Remember callback query ids so answerCallbackQuery accepts them."""
        query = update.get("callback_query")
        if isinstance(query, dict) and "id" in query:
            self._open_callbacks.add(str(query["id"]))

    def _new_update(self, kind: str, payload: JSONDict) -> JSONDict:
        return copy.deepcopy({"update_id": next(self._update_ids), kind: payload})

    def _user_message(
        self,
        user_id: int,
        content: JSONDict,
        *,
        first_name: str | None = None,
        language_code: str | None = None,
        username: str | None = None,
    ) -> JSONDict:
        """An Update with a message the user sent in their private chat with the bot."""
        user = self._remember_user(
            user_id, first_name=first_name, language_code=language_code, username=username
        )
        message = {
            "message_id": self._next_message_id(user_id),
            "from": user,
            "chat": self._chat(user_id),
            "date": int(time.time()),
            **content,
        }
        self._messages[(user_id, message["message_id"])] = message
        return self._new_update("message", message)

    def make_message(
        self,
        user_id: int,
        text: str,
        *,
        language_code: str | None = None,
        first_name: str | None = None,
        username: str | None = None,
    ) -> JSONDict:
        """A text message; a leading ``/command`` gets its ``bot_command`` entity.

        ``language_code`` defaults to "ru" and ``first_name`` to "Айгүл" (or to what was used
        for this user before).
        """
        content: JSONDict = {"text": text}
        if entities := command_entities(text):
            content["entities"] = entities
        return self._user_message(
            user_id,
            content,
            first_name=first_name,
            language_code=language_code,
            username=username,
        )

    def make_callback(
        self,
        user_id: int,
        data: str,
        *,
        message_id: int | None = None,
        check_button: bool = True,
        first_name: str | None = None,
        language_code: str | None = None,
    ) -> JSONDict:
        """A button press on a bot message (default: the last one sent to this user).

        The query carries the *current* state of that message and a ``chat_instance``, as the
        real API does.  With ``check_button`` (default) pressing a button the message does not
        have raises ``ValueError`` -- a real user cannot do that.  Without any known bot
        message a placeholder message with that button is fabricated.
        """
        user = self._remember_user(user_id, first_name=first_name, language_code=language_code)
        target = message_id if message_id is not None else self._last_bot_message.get(user_id)
        message = self._messages.get((user_id, target)) if target is not None else None
        if message is None:
            message = self._placeholder_bot_message(user_id, data, target)
        elif check_button and data not in callback_datas(message.get("reply_markup")):
            raise ValueError(
                f"message {message['message_id']} in chat {user_id} has no button with "
                f"callback_data {data!r}; buttons: {callback_datas(message.get('reply_markup'))}"
            )
        query_id = str(next(self._callback_ids))
        self._open_callbacks.add(query_id)
        return self._new_update(
            "callback_query",
            {
                "id": query_id,
                "from": user,
                "message": message,
                "chat_instance": self._chat_instance(user_id),
                "data": data,
            },
        )

    def _placeholder_bot_message(self, chat_id: int, data: str, message_id: int | None) -> JSONDict:
        content = {
            "text": "…",
            "reply_markup": {"inline_keyboard": [[{"text": data, "callback_data": data}]]},
        }
        message = self._store_bot_message(self._bot_user(self.token), chat_id, content)
        if message_id is not None:
            del self._messages[(chat_id, message["message_id"])]
            message["message_id"] = message_id
            self._messages[(chat_id, message_id)] = message
            self._last_bot_message[chat_id] = message_id
        return message

    @staticmethod
    def _chat_instance(chat_id: int) -> str:
        digest = hashlib.sha256(f"chat-instance:{chat_id}".encode()).digest()
        return str(int.from_bytes(digest[:8], "big", signed=True))

    def make_sticker(self, user_id: int, *, emoji: str = "👍") -> JSONDict:
        stored = self._new_file("stickers", b"RIFF\x00\x00\x00\x00WEBP", "webp", "CAACAgIAA")
        sticker = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "set_name": "QonysTestStickers",
            "file_size": len(stored.data),
        }
        return self._user_message(user_id, {"sticker": sticker})

    def make_photo(
        self, user_id: int, caption: str | None = None, *, data: bytes = b"\xff\xd8\xff\xe0fake"
    ) -> JSONDict:
        content: JSONDict = {"photo": self._new_photo(data)}
        if caption:
            content["caption"] = caption
        return self._user_message(user_id, content)

    def make_voice(
        self, user_id: int, *, duration: int = 3, data: bytes = b"OggS\x00fake-opus"
    ) -> JSONDict:
        stored = self._new_file("voice", data, "oga", "AwACAgIAA")
        voice = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": len(data),
        }
        return self._user_message(user_id, {"voice": voice})

    def make_location(self, user_id: int, lat: float, lon: float) -> JSONDict:
        return self._user_message(user_id, {"location": {"latitude": lat, "longitude": lon}})

    def make_edit(self, update: JSONDict, text: str) -> JSONDict:
        """The user edits the text of a message they sent (an ``edited_message`` update: the
        same message_id and date, the new text and entities, and an ``edit_date``)."""
        message = copy.deepcopy(update["message"])
        message["text"] = text
        message.pop("entities", None)
        if entities := command_entities(text):
            message["entities"] = entities
        message["edit_date"] = max(int(time.time()), message["date"] + 1)
        self._messages[(message["chat"]["id"], message["message_id"])] = message
        return self._new_update("edited_message", message)

    def make_live_location_move(self, update: JSONDict, lat: float, lon: float) -> JSONDict:
        """A live location moving: Telegram sends it as an edit of the location message."""
        message = copy.deepcopy(update["message"])
        message["location"] = {"latitude": lat, "longitude": lon, "live_period": 900}
        message["edit_date"] = max(int(time.time()), message["date"] + 1)
        return self._new_update("edited_message", message)

    def make_document(
        self,
        user_id: int,
        *,
        file_name: str = "document.pdf",
        mime_type: str = "application/pdf",
        caption: str | None = None,
        data: bytes = b"%PDF-1.4 fake",
    ) -> JSONDict:
        stored = self._new_file("documents", data, file_name.rsplit(".", 1)[-1], "BQACAgIAA")
        document = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": len(data),
        }
        self._file_objects[stored.file_id] = document
        content: JSONDict = {"document": document}
        if caption:
            content["caption"] = caption
        return self._user_message(user_id, content)

    def make_contact(self, user_id: int, phone: str, *, own: bool = True) -> JSONDict:
        """A shared contact; ``own=True`` is the user's own number (``request_contact``)."""
        user = self._remember_user(user_id)
        contact: JSONDict = {"phone_number": phone, "first_name": user["first_name"]}
        if own:
            contact["user_id"] = user_id
        return self._user_message(user_id, {"contact": contact})
