"""A fake WhatsApp Cloud API (Meta Graph API) server on loopback for end-to-end tests.

The fake serves what a WhatsApp channel built on ``pywa_async.WhatsApp`` uses, under any
version prefix ``/v<digits>.<digits>``:

* ``POST /v*/{phone_id}/messages`` -- send (text, interactive button/list, image, document,
  audio, video, sticker, location, reaction, template) or mark as read (``status: read``);
* ``POST /v*/{phone_id}/media`` -- multipart upload, answers ``{"id": "<media id>"}``;
* ``GET /v*/{media_id}`` and ``GET /whatsapp_business/attachments/?mid=...`` -- media URL
  and download (also for media of inbound messages made by the ``make_*`` builders).

pywa overwrites the session's ``base_url`` with ``https://graph.facebook.com/v{version}``, so
route it here with ``rewrite_transport``::

    async with FakeGraphAPI() as fake:
        session = httpx.AsyncClient(transport=rewrite_transport(fake.base_url))
        wa = pywa_async.WhatsApp(phone_id=fake.phone_id, token=fake.token, session=session)
        await fake.post_webhook(url, fake.make_text("77011234567", "Сәлем"), app_secret=...)

Errors use the Graph error body ``{"error": {"message", "type", "code", "error_data":
{"messaging_product", "details"}, "fbtrace_id"}}``; pywa 4.5 raises (``pywa.errors``):

* missing/wrong ``Authorization: Bearer`` -> HTTP 401, code 190 -> ``ExpiredAccessToken``.
* structural problems (missing ``to``/``messaging_product``, wrong types, text > 4096, caption
  > 1024, unknown media id, ...) -> HTTP 400, code 100 "(#100) Invalid parameter" -> the base
  ``WhatsAppError`` (pywa has no class for 100).  Unknown phone id/path: code 100 as well.
* interactive limits (button count/title, list rows/titles) -> HTTP 400, code 131009
  "(#131009) Parameter value is not valid" -> ``InvalidParameter``.  This follows the real API,
  whose answers for these cases are seen in public logs (e.g. details "Invalid buttons count.
  Min allowed buttons: 1, Max allowed buttons: 3", "Total row count exceed max allowed count:
  10"); the detail texts of the other limits are the fake's own wording.
* free-form message while the 24-hour window is closed -> HTTP 400, code 131047 ->
  ``ReEngagementMessage``.  The real API often reports this only later in a ``failed`` status
  webhook; set ``window_failure = "status"`` to get that behaviour (the send succeeds and the
  failed status payload is appended to ``pending_statuses``).
* ``fail_next(130429)`` -> ``RateLimitHit``; ``131048`` -> ``SpamRateLimitHit``; ``131056`` ->
  ``TooManyMessages``; ``131026`` -> ``MessageUndeliverable`` (all HTTP 400);
  ``fail_next(500)`` -> HTTP 500, code 131000 -> ``UnknownError``; ``fail_next(503)`` ->
  HTTP 503, code 131016 -> ``ServiceUnavailable``; with ``html=True`` the body is an HTML page
  and pywa raises the base ``WhatsAppError`` with ``code == http_status``.  Upload over the size
  limit -> code 131053 -> ``MediaUploadError``.
* ``delay_next(s)`` longer than the httpx timeout -> ``httpx.ReadTimeout`` (not a pywa error).
  The request takes effect *before* the delay: a timed-out message may have been sent.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import hashlib
import hmac
import itertools
import json
import re
import secrets
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Literal

import httpx
from aiohttp import ClientSession, ClientTimeout, web

from tests.fakes.loopback import LoopbackServer

JSONDict = dict[str, Any]

DEFAULT_TOKEN = "EAAQonysFakeGraphAccessToken000000"
DEFAULT_PHONE_ID = "123456789012345"
DEFAULT_WABA_ID = "102290129340398"
DEFAULT_DISPLAY_PHONE = "77001234567"
DEFAULT_NAME = "Айгүл"
WINDOW_SECONDS = 24 * 3600
LOOKASIDE_URL = "https://lookaside.fbsbx.com/whatsapp_business/attachments/"
_VERSION = r"{version:v\d+\.\d+}"
_BSUID_RE = re.compile(r"^[A-Z]{2}\.(?:ENT\.)?[A-Za-z0-9]{1,128}$")
_MB = 1024 * 1024
_DOC_TYPES = (
    "text/plain", "application/pdf", "application/msword", "application/vnd.ms-excel",
    "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
)  # fmt: skip
_AV_TYPES = (
    "audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg", "video/mp4", "video/3gpp",
)  # fmt: skip
_MEDIA_LIMITS = {  # mime type -> upload size limit
    "image/jpeg": 5 * _MB, "image/png": 5 * _MB, "image/webp": 500 * 1024,
    **dict.fromkeys(_AV_TYPES, 16 * _MB), **dict.fromkeys(_DOC_TYPES, 100 * _MB),
}  # fmt: skip
_INTERACTIVE_TYPES = frozenset({
    "button", "list", "cta_url", "flow", "location_request_message", "product", "product_list",
    "catalog_message", "call_permission_request", "voice_call",
})  # fmt: skip
_MESSAGE_TYPES = frozenset({
    "text", "image", "video", "audio", "sticker", "document", "location", "reaction", "template",
    "interactive",
})  # fmt: skip
_TEMPLATE_COMPONENTS = frozenset({"header", "body", "button", "carousel", "limited_time_offer"})

# code -> (HTTP status, title, details); the API error message is "(#code) title" unless in
# _MESSAGES.  Titles/details follow Meta's error-code table.
GRAPH_ERRORS: dict[int, tuple[int, str, str]] = {
    130429: (400, "Rate limit hit", "Cloud API message throughput has been reached."),
    131026: (400, "Message Undeliverable", "Unable to deliver message to the recipient."),
    131047: (400, "Re-engagement message", "Message failed to send because more than 24 hours "
             "have passed since the customer last replied to this number."),
    131048: (400, "Spam rate limit hit", "Message failed to send because there are restrictions "
             "on how many messages can be sent from this phone number."),
    131056: (400, "(Business Account, Consumer Account) pair rate limit hit", "Too many messages "
             "sent from the sender phone number to the same recipient phone number in a short "
             "period of time."),
    131053: (400, "Media upload error", "Unable to upload the media used in the message."),
    131000: (500, "Something went wrong", "Message failed to send due to an unknown error."),
    131016: (503, "Service unavailable", "A service is temporarily unavailable."),
}  # fmt: skip
_MESSAGES = {
    131047: "More than 24 hours have passed since the recipient last replied to the sender number."
}
_HTTP_ALIASES = {500: 131000, 503: 131016}


class GraphError(Exception):
    """An error answer of the Graph API."""

    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        details: str | None = None,
        *,
        kind: str = "OAuthException",
        subcode: int | None = None,
        user_title: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details
        self.kind, self.subcode, self.user_title = kind, subcode, user_title

    @classmethod
    def from_code(cls, code: int, http_status: int | None = None) -> GraphError:
        code = _HTTP_ALIASES.get(code, code)
        status, title, details = GRAPH_ERRORS.get(code, (400, "Error", "Injected failure"))
        message = _MESSAGES.get(code, f"(#{code}) {title}")
        user_title = title if code in _MESSAGES else None
        return cls(http_status or status, code, message, details, user_title=user_title)

    def to_response(self) -> web.Response:
        error: JSONDict = {"message": self.message, "type": self.kind, "code": self.code}
        if self.details is not None:
            error["error_data"] = {"messaging_product": "whatsapp", "details": self.details}
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        if self.user_title:
            error["error_user_title"] = self.user_title
        error["fbtrace_id"] = "A" + secrets.token_urlsafe(16)[:22]
        return web.json_response({"error": error}, status=self.status)


def _invalid(details: str) -> GraphError:
    return GraphError(400, 100, "(#100) Invalid parameter", details)


def _required(name: str) -> GraphError:
    return GraphError(400, 100, f"(#100) The parameter {name} is required.", f"{name} is required")


def _value(details: str) -> GraphError:
    return GraphError(400, 131009, "(#131009) Parameter value is not valid", details)


def _unknown_object(method: str, node: str) -> GraphError:
    return GraphError(
        400,
        100,
        f"Unsupported {method} request. Object with ID '{node}' does not exist, cannot be loaded "
        "due to missing permissions, or does not support this operation. Please read the Graph "
        "API documentation at https://developers.facebook.com/docs/graph-api",
        kind="GraphMethodException",
        subcode=33,
    )


def _string(obj: Any, key: str, where: str, max_len: int, *, required: bool = True) -> str:
    value = obj.get(key) if isinstance(obj, dict) else None
    if value is None:
        if required:
            raise _required(where)
        return ""
    if not isinstance(value, str):
        raise _invalid(f"Param {where} must be a string.")
    if len(value) > max_len:
        raise _invalid(f"Param {where} must be at most {max_len} characters long.")
    if required and not value.strip():
        raise _invalid(f"Param {where} must be a non-empty string.")
    return value


def _digits(phone: Any) -> str:
    text = str(phone)
    cleaned = re.sub(r"[\s()+-]", "", text)
    return cleaned if cleaned.isdigit() else ""


def default_bsuid(wa_id: str) -> str:
    """The deterministic BSUID the fake assigns to a phone number (e.g. "KZ.1502576394655843")."""
    number = int.from_bytes(hashlib.sha256(f"bsuid:{wa_id}".encode()).digest()[:8], "big")
    return f"KZ.{number % 10**16:016d}"


@dataclass
class UploadedFile:
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass
class StoredMedia:
    id: str
    data: bytes
    mime_type: str
    filename: str | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def url(self) -> str:
        return f"{LOOKASIDE_URL}?mid={self.id}&ext={int(time.time())}&hash=fake"


@dataclass
class _Failure:
    code: int
    http_status: int | None
    html: bool


class _RewriteTransport(httpx.AsyncBaseTransport):
    def __init__(self, base_url: str, inner: httpx.AsyncBaseTransport | None) -> None:
        self._target = httpx.URL(base_url)
        self._inner = inner or httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        target = self._target
        request.url = request.url.copy_with(
            scheme=target.scheme, host=target.host, port=target.port
        )
        request.headers["Host"] = target.netloc.decode()
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def rewrite_transport(
    base_url: str, inner: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncBaseTransport:
    """An httpx transport sending *every* request to ``base_url``'s scheme/host/port (the path
    and query stay), e.g. ``https://graph.facebook.com/v26.0/1/messages`` ->
    ``http://127.0.0.1:PORT/v26.0/1/messages``; lookaside media URLs are rewritten too."""
    return _RewriteTransport(base_url, inner)


class FakeGraphAPI(LoopbackServer):
    """An in-process WhatsApp Cloud API on ``127.0.0.1`` (a free port unless ``port`` is given)."""

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        phone_id: str = DEFAULT_PHONE_ID,
        waba_id: str = DEFAULT_WABA_ID,
        display_phone_number: str = DEFAULT_DISPLAY_PHONE,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        super().__init__(host, port)
        self.token, self.phone_id, self.waba_id = token, phone_id, waba_id
        self.display_phone_number = display_phone_number

        self.requests: list[tuple[str, Any]] = []
        """Every request as ``(path, JSON body or multipart form)``, failures included."""
        self.last_inbound: dict[str, float] = {}
        """Epoch seconds of each user's last inbound message, keyed by wa_id *and* BSUID."""
        self.media: dict[str, StoredMedia] = {}
        self.read_receipts: list[str] = []
        """Message ids marked as read (``status: read``), in order."""
        self.window_failure: Literal["reject", "status"] = "reject"
        self.pending_statuses: list[JSONDict] = []
        """Status webhooks the fake would send (window_failure="status"); post them yourself."""

        self._sent: list[JSONDict] = []
        self._failures: dict[str, deque[_Failure]] = {}
        self._delays: dict[str, deque[float]] = {}
        self._bsuids: dict[str, str] = {}
        self._wa_ids: dict[str, str] = {}
        self._names: dict[str, str] = {}
        self._counter = itertools.count(1)
        self._activity = asyncio.Event()

    # ------------------------------------------------------------------ lifecycle

    max_body = 101 * _MB

    def routes(self, app: web.Application) -> None:
        app.router.add_post(f"/{_VERSION}/{{node}}/messages", self._handle_messages)
        app.router.add_post(f"/{_VERSION}/{{node}}/media", self._handle_upload)
        app.router.add_get(f"/{_VERSION}/{{node}}", self._handle_media_url)
        app.router.add_get("/whatsapp_business/attachments/", self._handle_download)
        app.router.add_route("*", "/{tail:.*}", self._handle_unknown)

    # ------------------------------------------------------------------ inspection and switches

    def sent(self, to: str | None = None) -> list[JSONDict]:
        """Accepted message payloads (as posted, plus ``"wamid"``), in order; ``to`` is a wa_id
        or BSUID and also matches messages sent to the other id of the same user."""
        keys = self._aliases(to) if to is not None else set()
        return [
            copy.deepcopy(m)
            for m in self._sent
            if to is None or _digits(m.get("to", "")) in keys or m.get("recipient") in keys
        ]

    async def wait_for_sent(
        self, to: str | None = None, *, count: int = 1, max_wait: float = 5.0
    ) -> list[JSONDict]:
        """Wait until at least ``count`` messages were accepted (for ``to``); return them all."""
        async with asyncio.timeout(max_wait):
            while True:
                self._activity.clear()
                if len(self.sent(to)) >= count:
                    break
                await self._activity.wait()
        return self.sent(to)

    def fail_next(
        self,
        code: int,
        *,
        http_status: int | None = None,
        times: int = 1,
        html: bool = False,
        endpoint: Literal["messages", "media"] = "messages",
    ) -> None:
        """Fail the next ``times`` requests to ``endpoint`` (after the auth check, without side
        effects) with Graph error ``code``; 500/503 mean 131000/131016 with that HTTP status.
        See the module docstring for what pywa raises."""
        failure = _Failure(code, http_status, html)
        self._failures.setdefault(endpoint, deque()).extend([failure] * times)

    def delay_next(
        self, seconds: float, *, times: int = 1, endpoint: Literal["messages", "media"] = "messages"
    ) -> None:
        """Delay the *answer* of the next ``times`` requests (they take effect first)."""
        self._delays.setdefault(endpoint, deque()).extend([seconds] * times)

    # ------------------------------------------------------------------ 24-hour window

    def _aliases(self, who: str) -> set[str]:
        who = str(who)
        wa_id = self._wa_ids.get(who) or _digits(who)
        return {k for k in (who, wa_id, self._bsuids.get(wa_id, "")) if k}

    def bsuid_for(self, wa_id: str, bsuid: str | None = None) -> str:
        """The BSUID of ``wa_id`` (``bsuid`` if given, else the one used before or a default)."""
        wa_id = str(wa_id)
        bsuid = bsuid or self._bsuids.get(wa_id) or default_bsuid(wa_id)
        self._bsuids[wa_id], self._wa_ids[bsuid] = bsuid, wa_id
        return bsuid

    def open_window(self, who: str, *, at: float | None = None) -> None:
        """Record an inbound message of ``who`` (wa_id or BSUID) at ``at`` (default: now)."""
        for key in self._aliases(who):
            self.last_inbound[key] = time.time() if at is None else at

    def close_window(self, who: str) -> None:
        for key in self._aliases(who):
            self.last_inbound.pop(key, None)

    def window_open(self, who: str) -> bool:
        stamps = [self.last_inbound.get(key, 0.0) for key in self._aliases(who)]
        return time.time() - max(stamps, default=0.0) < WINDOW_SECONDS

    # ------------------------------------------------------------------ HTTP plumbing

    async def _serve(self, request: web.Request, endpoint: str, handler: Any) -> web.Response:
        try:
            body: Any = await (self._read_form(request) if endpoint == "media" else request.json())
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = None
        self.requests.append((request.path, body))
        delay = self._delays[endpoint].popleft() if self._delays.get(endpoint) else None
        try:
            self._check_auth(request)
            if request.match_info["node"] != self.phone_id:
                raise _unknown_object(request.method.lower(), request.match_info["node"])
            if self._failures.get(endpoint):
                response = self._failure_response(self._failures[endpoint].popleft())
            else:
                response = web.json_response(handler(body))
        except GraphError as error:
            response = error.to_response()
        self._activity.set()
        if delay:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), delay)
        return response

    @staticmethod
    async def _read_form(request: web.Request) -> JSONDict:
        form: JSONDict = {}
        for key, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                value = UploadedFile(value.filename, value.content_type, value.file.read())
            form[key] = value
        return form

    def _check_auth(self, request: web.Request) -> None:
        header = request.headers.get("Authorization", "")
        if not header:
            raise GraphError(401, 190, "An access token is required to request this resource.")
        if not hmac.compare_digest(header, f"Bearer {self.token}"):
            raise GraphError(401, 190, "Invalid OAuth access token - Cannot parse access token")

    @staticmethod
    def _failure_response(failure: _Failure) -> web.Response:
        error = GraphError.from_code(failure.code, failure.http_status)
        if failure.html:
            page = f"<html><body><h1>{error.status} Server Error</h1></body></html>"
            return web.Response(status=error.status, text=page, content_type="text/html")
        return error.to_response()

    async def _handle_messages(self, request: web.Request) -> web.Response:
        return await self._serve(request, "messages", self._send)

    async def _handle_upload(self, request: web.Request) -> web.Response:
        return await self._serve(request, "media", self._upload)

    async def _handle_unknown(self, request: web.Request) -> web.Response:
        self.requests.append((request.path, None))
        node = request.path.strip("/").split("/")[1] if request.path.count("/") > 1 else ""
        return _unknown_object(request.method.lower(), node or request.path).to_response()

    async def _handle_media_url(self, request: web.Request) -> web.Response:
        self.requests.append((request.path, dict(request.query)))
        try:
            self._check_auth(request)
            stored = self.media.get(request.match_info["node"])
            if stored is None:
                raise _unknown_object("get", request.match_info["node"])
        except GraphError as error:
            return error.to_response()
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "url": stored.url,
                "mime_type": stored.mime_type,
                "sha256": stored.sha256,
                "file_size": len(stored.data),
                "id": stored.id,
            }
        )

    async def _handle_download(self, request: web.Request) -> web.Response:
        self.requests.append((request.path, dict(request.query)))
        try:
            self._check_auth(request)
        except GraphError as error:
            return error.to_response()
        stored = self.media.get(request.query.get("mid", ""))
        if stored is None:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=stored.data, content_type=stored.mime_type.split(";")[0])

    # ------------------------------------------------------------------ sending

    def _next_wamid(self) -> str:
        raw = f"\x15\x02\x00\x11\x18\x12FAKE{next(self._counter):012d}{secrets.token_hex(4)}"
        return "wamid." + base64.b64encode(raw.encode()).decode()

    def _send(self, body: Any) -> JSONDict:
        if not isinstance(body, dict):
            raise _invalid("The request body must be a JSON object.")
        product = body.get("messaging_product")
        if product is None:
            raise _required("messaging_product")
        if product != "whatsapp":
            raise _invalid(
                f'Param messaging_product must be one of {{WHATSAPP}} - got "{product}".'
            )
        if body.get("status") == "read":
            _string(body, "message_id", "message_id", 256)
            self.read_receipts.append(body["message_id"])
            return {"success": True}
        to, recipient = body.get("to"), body.get("recipient")
        if not to and not recipient:
            raise _required("to")
        if to and not _digits(to):
            raise _invalid(f"Param to must be a valid phone number - got {to!r}.")
        if recipient and not _BSUID_RE.match(str(recipient)):
            raise _invalid(
                f"Param recipient must be a business-scoped user ID - got {recipient!r}."
            )
        kind = body.get("type", "text")
        if kind not in _MESSAGE_TYPES:
            raise _invalid(f"Param type is not a supported message type - got {kind!r}.")
        if not isinstance(body.get(kind), dict):
            raise _required(kind)
        getattr(self, f"_check_{kind}")(body[kind], kind)
        who = _digits(to) if to else str(recipient)
        wamid = self._next_wamid()
        if kind != "template" and not self.window_open(who):
            if self.window_failure == "reject":
                raise GraphError.from_code(131047)
            self.pending_statuses.append(self.make_status(wamid, "failed", who, error_code=131047))
        self._sent.append({**copy.deepcopy(body), "wamid": wamid})
        contact = {"input": str(to), "wa_id": who} if to else {"input": who, "user_id": who}
        message: JSONDict = {"id": wamid}
        if kind == "template":
            message["message_status"] = "accepted"
        return {"messaging_product": "whatsapp", "contacts": [contact], "messages": [message]}

    def _check_text(self, content: JSONDict, kind: str) -> None:
        _string(content, "body", "text['body']", 4096)

    def _check_image(self, content: JSONDict, kind: str) -> None:
        has_id, has_link = "id" in content, "link" in content
        if has_id == has_link:
            raise _invalid(
                f"Param {kind} must contain exactly one of {kind}['id'] or {kind}['link']."
            )
        if has_id and str(content["id"]) not in self.media:
            raise _invalid(
                f"Param {kind}['id'] is not a valid whatsapp business account media attachment ID"
            )
        if has_link and not str(content["link"]).startswith(("http://", "https://")):
            raise _invalid(f"Param {kind}['link'] must be a valid http(s) URL.")
        if kind not in ("sticker", "audio"):
            _string(content, "caption", f"{kind}['caption']", 1024, required=False)

    _check_video = _check_audio = _check_sticker = _check_image

    def _check_document(self, content: JSONDict, kind: str) -> None:
        self._check_image(content, kind)
        _string(content, "filename", "document['filename']", 240, required=False)

    def _check_location(self, content: JSONDict, kind: str) -> None:
        for key, bound in (("latitude", 90), ("longitude", 180)):
            value = content.get(key)
            if value is None:
                raise _required(f"location['{key}']")
            try:
                number = float(value)
            except (TypeError, ValueError):
                number = float("nan")
            if not -bound <= number <= bound:
                raise _invalid(f"Param location['{key}'] must be a number in [-{bound}, {bound}].")

    def _check_reaction(self, content: JSONDict, kind: str) -> None:
        _string(content, "message_id", "reaction['message_id']", 256)
        _string(content, "emoji", "reaction['emoji']", 16, required=False)

    def _check_template(self, content: JSONDict, kind: str) -> None:
        _string(content, "name", "template['name']", 512)
        _string(content.get("language"), "code", "template['language']['code']", 15)
        components = content.get("components", [])
        if not isinstance(components, list):
            raise _invalid("Param template['components'] must be an array.")
        for i, component in enumerate(components):
            where = f"template['components'][{i}]"
            if not isinstance(component, dict) or component.get("type") not in _TEMPLATE_COMPONENTS:
                raise _invalid(
                    f"Param {where}['type'] must be one of {sorted(_TEMPLATE_COMPONENTS)}."
                )
            if component["type"] == "button" and not {"sub_type", "index"} <= component.keys():
                raise _required(f"{where}['sub_type'] and {where}['index']")
            for j, param in enumerate(component.get("parameters", [])):
                if not isinstance(param, dict) or "type" not in param:
                    raise _required(f"{where}['parameters'][{j}]['type']")

    def _check_interactive(self, content: JSONDict, kind: str) -> None:
        itype = content.get("type")
        if itype not in _INTERACTIVE_TYPES:
            raise _invalid(
                f"Param interactive['type'] must be one of {sorted(_INTERACTIVE_TYPES)}."
            )
        header = content.get("header")
        if isinstance(header, dict) and header.get("type") == "text":
            _string(header, "text", "interactive['header']['text']", 60)
        if "footer" in content:
            _string(content["footer"], "text", "interactive['footer']['text']", 60)
        action = content.get("action")
        if not isinstance(action, dict):
            raise _required("interactive['action']")
        if itype == "button":
            _string(content.get("body"), "text", "interactive['body']['text']", 1024)
            self._check_buttons(action.get("buttons"))
        elif itype == "list":
            _string(content.get("body"), "text", "interactive['body']['text']", 4096)
            self._check_list(action)
        elif "body" in content:
            _string(content["body"], "text", "interactive['body']['text']", 1024)

    @staticmethod
    def _check_buttons(buttons: Any) -> None:
        if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
            raise _value("Invalid buttons count. Min allowed buttons: 1, Max allowed buttons: 3")
        ids = []
        for i, button in enumerate(buttons):
            reply = button.get("reply") if isinstance(button, dict) else None
            if not isinstance(reply, dict) or button.get("type") != "reply":
                raise _invalid(
                    f"Param interactive['action']['buttons'][{i}]['type'] must be reply."
                )
            title = reply.get("title")
            if not isinstance(title, str) or not 1 <= len(title) <= 20:
                raise _value("Button title length invalid. Min length: 1, Max length: 20")
            ids.append(
                _string(reply, "id", f"interactive['action']['buttons'][{i}]['reply']['id']", 256)
            )
        if len(set(ids)) != len(ids):
            raise _value("Button ids must be unique.")

    @staticmethod
    def _check_list(action: JSONDict) -> None:
        label = action.get("button")
        if not isinstance(label, str) or not 1 <= len(label) <= 20:
            raise _value("Button label length invalid. Min length: 1, Max length: 20")
        sections = action.get("sections")
        if not isinstance(sections, list) or not all(isinstance(x, dict) for x in sections):
            raise _invalid("Param interactive['action']['sections'] must be an array of objects.")
        if not 1 <= len(sections) <= 10:
            raise _value(
                "Invalid sections count. Min allowed sections: 1, Max allowed sections: 10"
            )
        rows = [row for section in sections for row in section.get("rows") or []]
        if len(rows) > 10:
            raise _value("Total row count exceed max allowed count: 10")
        for section in sections:
            title = section.get("title")
            if len(sections) > 1 and not title:
                raise _value("Section title is required when there is more than one section.")
            if title and len(title) > 24:
                raise _value("Section title is too long. Max length is 24")
            if not section.get("rows"):
                raise _value("Each section must have at least one row.")
        ids = []
        for row in rows:
            title = row.get("title") if isinstance(row, dict) else None
            if not isinstance(title, str) or not 1 <= len(title) <= 24:
                raise _value("Row title is too long. Max length is 24")
            if len(row.get("description") or "") > 72:
                raise _value("Row description is too long. Max length is 72")
            ids.append(str(row.get("id") or ""))
            if not 1 <= len(ids[-1]) <= 200:
                raise _value("Row id length invalid. Min length: 1, Max length: 200")
        if len(set(ids)) != len(ids):
            raise _value("Row ids must be unique.")

    def _upload(self, form: Any) -> JSONDict:
        if not isinstance(form, dict) or form.get("messaging_product") is None:
            raise _required("messaging_product")
        if form["messaging_product"] != "whatsapp":
            raise _invalid("Param messaging_product must be one of {WHATSAPP}.")
        upload = form.get("file")
        if not isinstance(upload, UploadedFile):
            raise _required("file")
        mime = str(form.get("type") or upload.content_type or "")
        limit = _MEDIA_LIMITS.get(mime.split(";")[0].strip())
        if limit is None:
            raise _invalid(
                f"Param file must be a file with one of the following types: "
                f"{', '.join(sorted(_MEDIA_LIMITS))}. Received file of type '{mime}'."
            )
        if len(upload.data) > limit:
            raise GraphError.from_code(131053)
        return {"id": self.add_media(upload.data, mime, upload.filename).id}

    def add_media(self, data: bytes, mime_type: str, filename: str | None = None) -> StoredMedia:
        """Store media as if uploaded (or received from a user); returns it with its new id."""
        stored = StoredMedia(
            str(1_000_000_000_000_000 + next(self._counter)), data, mime_type, filename
        )
        self.media[stored.id] = stored
        return stored

    # ------------------------------------------------------------------ webhook builders

    def _envelope(self, value: JSONDict) -> JSONDict:
        metadata = {
            "display_phone_number": self.display_phone_number,
            "phone_number_id": self.phone_id,
        }
        value = {"messaging_product": "whatsapp", "metadata": metadata, **value}
        return {
            "object": "whatsapp_business_account",
            "entry": [{"id": self.waba_id, "changes": [{"value": value, "field": "messages"}]}],
        }

    def _inbound(
        self,
        wa_id: str,
        kind: str,
        content: Any,
        *,
        name: str | None = None,
        bsuid: str | None = None,
        **extra: Any,
    ) -> JSONDict:
        """A messages webhook of ``wa_id``; opens that user's 24-hour window."""
        wa_id = str(wa_id)
        bsuid = self.bsuid_for(wa_id, bsuid)
        name = self._names[wa_id] = name or self._names.get(wa_id, DEFAULT_NAME)
        message: JSONDict = {
            "from": wa_id,
            "from_user_id": bsuid,
            "id": self._next_wamid(),
            "timestamp": str(int(time.time())),
            "type": kind,
            **extra,
        }
        if content is not None:
            message[kind] = content
        self.open_window(wa_id)
        contact = {"profile": {"name": name}, "wa_id": wa_id, "user_id": bsuid}
        return self._envelope({"contacts": [contact], "messages": [message]})

    def _media(self, data: bytes, mime_type: str, filename: str | None = None) -> JSONDict:
        stored = self.add_media(data, mime_type, filename)
        return {"mime_type": mime_type, "sha256": stored.sha256, "id": stored.id, "url": stored.url}

    def _context(self, wa_id: str, message_id: str | None) -> JSONDict:
        """The ``context`` of a reply: the given bot message, or the last one sent to wa_id."""
        if message_id is None:
            last = self.sent(str(wa_id))
            message_id = last[-1]["wamid"] if last else self._next_wamid()
        return {"from": self.display_phone_number, "id": message_id}

    def make_text(
        self, wa_id: str, text: str, *, name: str | None = None, bsuid: str | None = None
    ) -> JSONDict:
        """A text message; ``name`` defaults to "Айгүл" (or the name used before for wa_id)."""
        return self._inbound(wa_id, "text", {"body": text}, name=name, bsuid=bsuid)

    def make_button_reply(
        self, wa_id: str, button_id: str, title: str, *, message_id: str | None = None
    ) -> JSONDict:
        reply = {"type": "button_reply", "button_reply": {"id": button_id, "title": title}}
        return self._inbound(wa_id, "interactive", reply, context=self._context(wa_id, message_id))

    def make_list_reply(
        self,
        wa_id: str,
        row_id: str,
        title: str,
        description: str = "",
        *,
        message_id: str | None = None,
    ) -> JSONDict:
        row = {
            "id": row_id,
            "title": title,
            **({"description": description} if description else {}),
        }
        reply = {"type": "list_reply", "list_reply": row}
        return self._inbound(wa_id, "interactive", reply, context=self._context(wa_id, message_id))

    def make_location(
        self,
        wa_id: str,
        lat: float,
        lon: float,
        *,
        name: str | None = None,
        address: str | None = None,
    ) -> JSONDict:
        location: JSONDict = {"latitude": lat, "longitude": lon}
        location.update({k: v for k, v in (("name", name), ("address", address)) if v})
        return self._inbound(wa_id, "location", location)

    def make_image(
        self, wa_id: str, caption: str | None = None, *, data: bytes = b"\xff\xd8\xff\xe0fake-jpeg"
    ) -> JSONDict:
        image = self._media(data, "image/jpeg")
        return self._inbound(wa_id, "image", {**({"caption": caption} if caption else {}), **image})

    def make_document(
        self,
        wa_id: str,
        *,
        filename: str = "document.pdf",
        mime_type: str = "application/pdf",
        caption: str | None = None,
        data: bytes = b"%PDF-1.4 fake",
    ) -> JSONDict:
        document = {"filename": filename, **self._media(data, mime_type, filename)}
        if caption:
            document["caption"] = caption
        return self._inbound(wa_id, "document", document)

    def make_audio(
        self, wa_id: str, voice: bool = True, *, data: bytes = b"OggS\x00fake"
    ) -> JSONDict:
        mime = "audio/ogg; codecs=opus" if voice else "audio/mpeg"
        return self._inbound(wa_id, "audio", {**self._media(data, mime), "voice": voice})

    def make_contacts(self, wa_id: str, phone: str, *, contact_name: str = "Ержан") -> JSONDict:
        card: JSONDict = {
            "name": {"formatted_name": contact_name, "first_name": contact_name},
            "phones": [{"phone": phone, "type": "CELL"}],
        }
        if _digits(phone):
            card["phones"][0]["wa_id"] = _digits(phone)
        return self._inbound(wa_id, "contacts", [card])

    def make_reaction(self, wa_id: str, message_id: str, emoji: str) -> JSONDict:
        return self._inbound(wa_id, "reaction", {"message_id": message_id, "emoji": emoji})

    def make_sticker(self, wa_id: str, *, animated: bool = False) -> JSONDict:
        sticker = {
            **self._media(b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
            "animated": animated,
        }
        return self._inbound(wa_id, "sticker", sticker)

    def make_unsupported(self, wa_id: str, *, unsupported_type: str | None = None) -> JSONDict:
        """An unsupported message (e.g. a poll), carrying error 131051 like Meta sends it."""
        error = {
            "code": 131051,
            "title": "Message type unknown",
            "message": "Message type unknown",
            "error_data": {"details": "Message type is currently not supported."},
        }
        content = {"type": unsupported_type} if unsupported_type else None
        return self._inbound(wa_id, "unsupported", content, errors=[error])

    def make_status(
        self, wamid: str, status: str, recipient_id: str, *, error_code: int | None = None
    ) -> JSONDict:
        """A status webhook (sent/delivered/read/played/failed) for a message sent to
        ``recipient_id`` (wa_id or BSUID); ``failed`` carries ``errors[]`` (default 131026).
        pywa 4.5 needs ``contacts`` here too, which Meta adds with BSUIDs."""
        recipient_id = str(recipient_id)
        if _BSUID_RE.match(recipient_id):
            ids: JSONDict = {"user_id": recipient_id}
            if recipient_id in self._wa_ids:
                ids = {"wa_id": self._wa_ids[recipient_id], **ids}
        else:
            ids = {"wa_id": recipient_id, "user_id": self.bsuid_for(recipient_id)}
        entry: JSONDict = {"id": wamid, "status": status, "timestamp": str(int(time.time()))}
        if "wa_id" in ids:
            entry["recipient_id"] = ids["wa_id"]
        entry["recipient_user_id"] = ids["user_id"]
        if status == "failed":
            code = error_code or 131026
            _, title, details = GRAPH_ERRORS.get(code, (400, "Error", "Message failed."))
            entry["errors"] = [
                {
                    "code": code,
                    "title": title,
                    "message": title,
                    "error_data": {"details": details},
                    "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
                }
            ]
        else:
            entry["pricing"] = {
                "billable": False,
                "pricing_model": "PMP",
                "category": "service",
                "type": "free_customer_service",
            }
        return self._envelope({"contacts": [ids], "statuses": [entry]})

    # ------------------------------------------------------------------ delivering webhooks

    @staticmethod
    def sign(body: bytes, app_secret: str) -> str:
        """The ``X-Hub-Signature-256`` value Meta sends for ``body``."""
        return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()

    async def post_webhook(
        self,
        url: str,
        payload: JSONDict,
        *,
        app_secret: str,
        signature: str | None = None,
        request_timeout: float = 10.0,
    ) -> tuple[int, str]:
        """POST ``payload`` like Meta (compact JSON, non-ASCII as ``\\uXXXX``) signed with
        ``app_secret``; ``signature`` forges the header value, ``""`` omits the header.
        Returns ``(HTTP status, response body)``."""
        body = json.dumps(payload, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json", "User-Agent": "facebookexternalua"}
        signature = self.sign(body, app_secret) if signature is None else signature
        if signature:
            headers["X-Hub-Signature-256"] = signature
        async with (
            ClientSession(timeout=ClientTimeout(total=request_timeout)) as session,
            session.post(url, data=body, headers=headers) as response,
        ):
            return response.status, await response.text()

    async def verify_webhook(
        self, url: str, verify_token: str, challenge: str = "1158201444"
    ) -> tuple[int, str]:
        """Meta's subscription check: GET with ``hub.mode=subscribe``, ``hub.verify_token`` and
        ``hub.challenge``; a correct endpoint answers 200 with the bare challenge."""
        params = {
            "hub.mode": "subscribe",
            "hub.verify_token": verify_token,
            "hub.challenge": challenge,
        }
        async with (
            ClientSession(timeout=ClientTimeout(total=10.0)) as session,
            session.get(url, params=params) as response,
        ):
            return response.status, await response.text()
