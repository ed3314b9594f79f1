"""The web chat: a page at `/`, a small JSON API and a Server-Sent Events stream.

A visitor is anonymous: a random token in an HttpOnly cookie; the contact is keyed by a keyed
hash of that token, so a leaked database does not hand out live chat sessions.

The page is public, so it is limited: new visitors per address, messages per visitor and per
address, streams open at once per visitor and per address (settings `WEBCHAT_*`, shared
through Redis with several workers). Over a limit the answer is 429 with Retry-After, which
the page shows as a kind "wait a moment". Messages are accepted only as JSON from this site.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import secrets
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import or_, select
from sse_starlette.sse import EventSourceResponse, ServerSentEvent

from bot.channels.base import Caps
from bot.hub import Hub
from bot.i18n import N_, Translator, match_locale
from bot.outbox import Claimed
from bot.runtime import Runtime
from bot.settings import LOCALES
from bot.throttle import StreamSlots, Throttle, per_minute
from bot.types import Incoming
from content.scripts import render
from storage.models import Contact, Message, RowId, parse_id

CHANNEL = "web"
COOKIE = "qonys_visitor"
HERE = Path(__file__).resolve().parent
MAX_BODY = 32_768
MAX_TEXT = 20_000  # characters; the core keeps max_message_chars of them
HISTORY_LIMIT = 200
# The page and its files: nothing inline, nothing from elsewhere, never inside a frame.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

UI_STRINGS = {
    "placeholder": N_("Write a message…"),
    "send": N_("Send"),
    "offline": N_("No connection. Reconnecting…"),
    "error": N_("The message was not sent. Try again."),
    "subtitle": N_("Assistant for resettlers and kandases"),
    "map": N_("Open the map"),
    "slow": N_("Too many messages at once. Wait a moment, then try again."),
}
BUSY = N_(
    "Too many people are starting a chat from your network right now. Wait a minute and "
    "reload the page."
)


class Limited(HTTPException):
    """Over a limit: 429, and how long to wait."""

    def __init__(self, seconds: float) -> None:
        wait = str(max(1, round(seconds)))
        super().__init__(429, "too many requests, wait and try again", {"Retry-After": wait})


READER_TAGS = {"latn": "kk-Latn", "arab": "kk-Arab"}  # BCP 47: the page's lang attribute


def reader_locale(contact: Contact | None) -> str | None:
    """The language the page is in: Kazakh with its script where the reader chose one."""
    if contact is None or contact.locale is None:
        return None
    if contact.locale == "kk" and contact.script in READER_TAGS:
        return READER_TAGS[contact.script]
    return contact.locale


def address(request: Request) -> str:
    return request.client.host if request.client else "-"


def same_site(request: Request) -> bool:
    """A browser says where a request comes from; another site's page may not post here."""
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    return origin is None or origin.split("://", 1)[-1] == request.headers.get("host")


class WebDeliverer:
    """Delivering to the web means waking the visitor's open pages."""

    name = CHANNEL
    caps = Caps(max_text=8000, html=True)

    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    async def deliver(self, msg: Claimed) -> str | None:
        self.hub.publish(msg.chat_id)
        return None


class Post(BaseModel):
    text: str | None = Field(default=None, max_length=MAX_TEXT)
    action: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_:.\-]{1,64}$")


def router(runtime: Runtime, hub: Hub) -> APIRouter:
    api = APIRouter()
    settings = runtime.settings
    secret = settings.resolved_secret_key().encode()
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape())
    secure_cookie = (settings.public_url or "").startswith("https://")
    throttle = Throttle(settings.resolved_secret_key(), settings.redis_url)
    streams = StreamSlots(runtime.redis)
    new_visitors = per_minute(settings.webchat_new_visitors_per_minute)
    messages_each = per_minute(settings.webchat_messages_per_minute)
    messages_address = per_minute(settings.webchat_address_messages_per_minute)

    async def limit(rule, kind: str, value: str) -> None:  # type: ignore[no-untyped-def]
        if (wait := await throttle.hit(rule, throttle.key(kind, value))) is not None:
            raise Limited(wait)

    async def visitor(request: Request, response: Response) -> str:
        token = request.cookies.get(COOKIE)
        if not token or len(token) > 64:
            await limit(new_visitors, "new", address(request))
            token = secrets.token_urlsafe(24)
            response.set_cookie(
                COOKIE,
                token,
                max_age=365 * 24 * 3600,
                httponly=True,
                samesite="lax",
                secure=secure_cookie,
            )
        return hmac.new(secret, token.encode(), hashlib.sha256).hexdigest()[:40]

    @api.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def page(request: Request) -> HTMLResponse:
        strings = {
            loc: {k: Translator(loc).gettext(v) for k, v in UI_STRINGS.items()} for loc in LOCALES
        }
        for script, tag in READER_TAGS.items():  # the page's own words in the reader's script
            strings[tag] = {k: render(v, script) for k, v in strings["kk"].items()}
        hint = (
            match_locale(request.headers.get("accept-language")) or runtime.settings.default_locale
        )
        html = env.get_template("chat.html").render(
            strings=json.dumps(strings, ensure_ascii=False), locale=hint, ui=strings[hint]
        )
        response = HTMLResponse(html, headers={"Cache-Control": "no-store", **PAGE_HEADERS})
        try:
            await visitor(request, response)
        except Limited as exc:
            busy = "\n\n".join(Translator(loc).gettext(BUSY) for loc in LOCALES)
            headers = {**(exc.headers or {}), **PAGE_HEADERS}
            return HTMLResponse(f"<p>{busy}</p>", 429, headers=headers)
        return response

    @api.get("/api/chat/messages")
    async def history(request: Request, response: Response, after: RowId = 0) -> dict[str, Any]:
        key = await visitor(request, response)
        contact, rows = await _messages(runtime, key, max(0, after))
        return {
            "locale": reader_locale(contact),
            "messages": [as_json(r) for r in rows],
        }

    @api.post("/api/chat/messages", status_code=202)
    async def post(request: Request, response: Response) -> Any:
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != "application/json":
            return JSONResponse({"error": "send application/json"}, status_code=415)
        if not same_site(request):
            return JSONResponse({"error": "only this site's chat may post"}, status_code=403)
        key = await visitor(request, response)
        await limit(messages_each, "msg", key)
        await limit(messages_address, "msg-addr", address(request))
        body = await request.body()
        if len(body) > MAX_BODY:
            return JSONResponse({"error": "message too large"}, status_code=413)
        try:
            data = Post.model_validate_json(body)
        except ValidationError as exc:
            if any(e["type"] == "string_too_long" for e in exc.errors()):  # the same as too big
                return JSONResponse({"error": "message too large"}, status_code=413)
            return JSONResponse({"error": "expected JSON {text} or {action}"}, status_code=400)
        if not (data.text or data.action):
            return JSONResponse({"error": "empty message"}, status_code=400)
        inc = Incoming(
            channel=CHANNEL, user_id=key, locale_hint=request.headers.get("accept-language")
        )
        if data.action:
            inc.kind, inc.action = "action", data.action
        else:
            inc.text = data.text
        await runtime.core.handle(inc)
        hub.publish(key)  # the page shows its own message even when nobody answers it (handoff)
        return {"ok": True}

    @api.get("/api/chat/stream")
    async def stream(request: Request, response: Response, after: RowId = 0) -> EventSourceResponse:
        key = await visitor(request, response)
        last = _last_event_id(request, after)
        held = []
        for kind, value, most in (
            ("stream", key, settings.webchat_streams_per_visitor),
            ("stream-addr", address(request), settings.webchat_streams_per_address),
        ):
            slot_key = throttle.key(kind, value)
            slot = await streams.enter(slot_key, most)
            if slot is None:
                for k, s in held:
                    await streams.leave(k, s)
                raise Limited(15)
            held.append((slot_key, slot))
        wake = hub.subscribe(key)

        async def events():  # type: ignore[no-untyped-def]
            nonlocal last
            renewed = asyncio.get_running_loop().time()
            try:
                while True:
                    contact, rows = await _messages(runtime, key, last)
                    for row in rows:
                        last = row.id
                        data = {**as_json(row), "locale": reader_locale(contact)}
                        yield ServerSentEvent(
                            data=json.dumps(data, ensure_ascii=False),
                            event="message",
                            id=str(row.id),
                        )
                    wake.clear()
                    with contextlib.suppress(TimeoutError):  # a periodic re-read, just in case
                        await asyncio.wait_for(wake.wait(), timeout=10)
                    if asyncio.get_running_loop().time() - renewed > 20:
                        renewed = asyncio.get_running_loop().time()
                        for slot_key, slot in held:
                            await streams.renew(slot_key, slot)
            finally:
                hub.unsubscribe(key, wake)
                for slot_key, slot in held:
                    with contextlib.suppress(Exception):  # Redis away: the slot lapses itself
                        await streams.leave(slot_key, slot)

        return EventSourceResponse(events(), ping=15, headers=dict(response.headers))

    @api.get("/api/chat/files/{message_id}", include_in_schema=False)
    async def file(message_id: RowId, request: Request, response: Response) -> Response:
        """A document sent to this visitor (the checklist PDF); nobody else's."""
        key = await visitor(request, response)
        async with runtime.db.sessions() as s:
            row = await s.get(Message, message_id)
            contact = await s.get(Contact, row.contact_id) if row else None
        media = (row.payload or {}).get("media", {}) if row else {}
        ours = (runtime.settings.data_dir / "private", runtime.settings.data_dir / "booklets")
        path = Path(media.get("path") or "/nonexistent")  # written by us, not the visitor
        if (
            contact is None
            or contact.channel != CHANNEL
            or not hmac.compare_digest(contact.external_id, key)
            or media.get("kind") != "document"
            or not any(folder in path.parents for folder in ours)
            or not await asyncio.to_thread(path.is_file)
        ):
            return JSONResponse({"error": "not found"}, status_code=404)
        text = path.suffix == ".txt"  # a /mydata record; everything else is a PDF
        name = path.name if path.name.startswith("qonys-") else "qonys-checklist.pdf"
        name = "qonys-my-data.txt" if text else name
        return FileResponse(
            path,
            media_type="text/plain; charset=utf-8" if text else "application/pdf",
            filename=name,
            headers={"Cache-Control": "private, no-store"},
        )

    return api


def _last_event_id(request: Request, after: int) -> int:
    last = parse_id(request.headers.get("last-event-id"))
    return last if last is not None else max(0, after)


async def _messages(runtime: Runtime, key: str, after: int) -> tuple[Contact | None, list[Message]]:
    async with runtime.db.sessions() as s:
        contact = await s.scalar(
            select(Contact).where(Contact.channel == CHANNEL, Contact.external_id == key)
        )
        if contact is None:
            return None, []
        rows = await s.scalars(
            select(Message)
            .where(Message.contact_id == contact.id, Message.id > after)
            # A paused or cancelled campaign message has not been sent: it is not shown.
            .where(or_(Message.status.is_(None), Message.status.not_in(("held", "cancelled"))))
            .order_by(Message.id)
            .limit(HISTORY_LIMIT)
        )
        return contact, list(rows)


def as_json(row: Message) -> dict[str, Any]:
    payload = row.payload or {}
    data: dict[str, Any] = {
        "id": row.id,
        "from": "user" if row.direction == "in" else "bot",
        "kind": row.kind,
        "text": row.text or "",
        "buttons": payload.get("buttons", []) if row.direction == "out" else [],
        "at": row.created_at.isoformat() if row.created_at else None,
    }
    if row.direction == "out" and payload.get("agent"):
        data["from"], data["agent"] = "agent", payload["agent"]  # a caseworker wrote this
    if row.direction == "out" and payload.get("fmt") == "html":
        data["html"] = True  # rendered by the server with every character escaped but <b>
    media = payload.get("media") if row.direction == "out" else None
    if media and media.get("kind") == "image":
        data["image"] = {
            "url": f"/media/{Path(media['path']).name}",
            "alt": media.get("caption") or "",
        }
    if media and media.get("kind") == "document":
        data["file"] = {"url": f"/api/chat/files/{row.id}", "name": media.get("caption") or ""}
    if media and media.get("kind") == "location":
        lat, lon = media.get("latitude"), media.get("longitude")
        data["map"] = f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}"
    return data
