"""WhatsApp through the Cloud API: pywa sends and checks signatures; the webhook's few fields
we need are read here, so no raw update (phone numbers, texts) ever reaches a log.

- Identity: the business-scoped user id (BSUID) where Meta sends one, else the phone number.
- Menus: up to 3 buttons with short labels → reply buttons; up to 10 → a list; more → a
  numbered text menu (the core maps a typed number or label back to the button).
- The 24-hour customer-service window: outside it only an approved template may be sent; the
  message waits (status "waiting") and goes out as soon as the person writes again.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import secrets
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import yaml
from fastapi import APIRouter, Request, Response
from fastapi.responses import PlainTextResponse
from pywa import errors as wa_errors
from pywa.types import Button as WaButton
from pywa.types import Section, SectionList, SectionRow
from pywa.types.templates import TemplateLanguage
from pywa_async import WhatsApp
from sqlalchemy import func, select, update

from bot.channels.base import Caps, Deferred, Permanent, RetryAfter, Transient, Unreachable
from bot.core import Core
from bot.i18n import N_, Translator
from bot.outbox import Claimed, signed_text
from bot.settings import ROOT, Settings
from bot.textsplit import clean_text
from bot.types import Incoming, Kind
from storage.db import Database
from storage.models import Contact, Message, utcnow

log = logging.getLogger(__name__)

CHANNEL = "whatsapp"
WEBHOOK_PATH = "/webhooks/whatsapp"
WINDOW = timedelta(hours=24)
BUTTON_MAX, ROW_MAX, DESCRIPTION_MAX, BODY_MAX = 20, 24, 72, 1024
TEMPLATES = ROOT / "content" / "whatsapp" / "templates.yaml"
_THROTTLED = (wa_errors.RateLimitHit, wa_errors.SpamRateLimitHit, wa_errors.ThrottlingError)
CHOOSE = N_("Choose")  # the button that opens a WhatsApp list
_STATUS_RANK = {"pending": 0, "sending": 0, "sent": 1, "delivered": 2, "read": 3}


def shorten(label: str, limit: int) -> str | None:
    """A label within `limit` characters, cut only between words (with "…"), or None."""
    label = label.strip()
    if len(label) <= limit:
        return label
    words, out = label.split(), ""
    for word in words:
        candidate = f"{out} {word}".strip()
        if len(candidate) + 1 > limit:
            break
        out = candidate
    return f"{out}…" if out else None


def distinct(buttons: list[dict[str, str]]) -> list[dict[str, str]]:
    """One button per id: Meta refuses a message whose buttons or rows repeat an id (131009),
    and the person would see nothing. The first keeps its place; a repeat is logged."""
    seen: set[str] = set()
    kept = []
    for b in buttons:
        if b["action"] in seen:
            log.warning("dropped a second button with the id %s", b["action"])
            continue
        seen.add(b["action"])
        kept.append(b)
    return kept


def menu_shape(text: str, buttons: list[dict[str, str]]) -> dict[str, Any]:
    """Which WhatsApp form a message with buttons takes, with labels that fit it."""
    if not buttons:
        return {"kind": "text", "text": text}
    buttons = distinct(buttons)
    short = [shorten(b["label"], BUTTON_MAX) for b in buttons]
    if (
        len(buttons) <= 3
        and None not in short
        and len(set(short)) == len(short)
        and len(text) <= BODY_MAX
    ):
        return {"kind": "buttons", "text": text, "buttons": list(zip(short, buttons, strict=True))}
    rows = [shorten(b["label"], ROW_MAX) for b in buttons]
    if (
        len(buttons) <= 10
        and None not in rows
        and len(set(rows)) == len(rows)
        and len(text) <= BODY_MAX
    ):
        described = [
            (row, b, b["label"][:DESCRIPTION_MAX] if row != b["label"] else None)
            for row, b in zip(rows, buttons, strict=True)
        ]
        return {"kind": "list", "text": text, "rows": described}
    numbered = "\n".join(f"{i}. {b['label']}" for i, b in enumerate(buttons, 1))
    return {"kind": "text", "text": f"{text}\n\n{numbered}"}


def _dict(value: Any) -> dict[str, Any]:
    """A field that should hold an object; anything else (only a forgery sends it) is empty."""
    return value if isinstance(value, dict) else {}


def _dicts(value: Any) -> list[dict[str, Any]]:
    """The objects of a field that should hold a list of them."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


MAX_DEPTH = 32  # Meta's webhooks nest about 8 deep


def depth_ok(value: Any, limit: int = MAX_DEPTH) -> bool:
    """No deeper than `limit` (checked without recursion, so a forged body cannot blow
    the stack)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return False
        children = (
            item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        )
        stack.extend((child, depth + 1) for child in children)
    return True


def incomings(
    payload: dict[str, Any], oldest: float | None = None
) -> tuple[list[Incoming], list[dict[str, Any]]]:
    """The messages and the delivery statuses of one webhook call. Messages sent before
    `oldest` (a Unix time) are dropped: their ids may have been forgotten already, so a
    captured, validly signed payload replayed later is not handled a second time."""
    messages, statuses = [], []
    for entry in _dicts(payload.get("entry")):
        for change in _dicts(entry.get("changes")):
            value = _dict(change.get("value"))
            people = {str(c.get("wa_id")): c for c in _dicts(value.get("contacts"))}
            for m in _dicts(value.get("messages")):
                if oldest is not None and _sent_at(m) < oldest:
                    log.info("ignored a WhatsApp message older than the kept update ids")
                    continue
                if inc := _incoming(m, people):
                    messages.append(inc)
            statuses += _dicts(value.get("statuses"))
    return messages, statuses


def _sent_at(m: dict[str, Any]) -> float:
    """The message's Unix time; one without a readable time counts as now."""
    try:
        return float(str(m["timestamp"]))
    except (KeyError, ValueError):
        return time.time()


_TYPES: dict[str, Kind] = {
    "text": "text", "image": "photo", "video": "video", "sticker": "sticker",
    "document": "document", "location": "location", "contacts": "contact",
}  # fmt: skip


def _id(value: Any) -> str:
    """An id or number as text; empty when it has control characters, which none of Meta's
    has (and PostgreSQL refuses NUL)."""
    text = str(value or "")[:160]
    return text if text == clean_text(text) else ""


def _incoming(m: dict[str, Any], people: dict[str, Any]) -> Incoming | None:
    sender = _id(m.get("from"))
    person = people.get(sender) or {}
    user_id, wamid = _id(person.get("user_id")) or sender, _id(m.get("id"))
    if not user_id or not wamid:
        return None
    kind_of = m.get("type") if isinstance(m.get("type"), str) else ""
    name = _dict(person.get("profile")).get("name")
    kind: Kind = _TYPES.get(kind_of, "unsupported")
    inc = Incoming(
        channel=CHANNEL,
        user_id=user_id,
        kind=kind,
        update_id=wamid,
        message_id=wamid,
        display_name=name if isinstance(name, str) and name else None,
        phone=sender or None,
    )
    if kind_of == "text":
        inc.text = str(_dict(m.get("text")).get("body") or "")
    elif kind_of == "interactive":
        reply = _dict(m.get("interactive"))
        chosen = _dict(reply.get("button_reply")) or _dict(reply.get("list_reply"))
        inc.kind, inc.action = "action", str(chosen.get("id") or "")[:64]
    elif kind_of == "button":  # a quick reply under a template
        inc.text = str(_dict(m.get("button")).get("text") or "")
    elif kind_of == "audio":
        inc.kind = "voice" if _dict(m.get("audio")).get("voice") else "audio"
    elif kind_of == "reaction":
        inc.kind = "reaction"
    elif kind_of == "location":
        loc = _dict(m.get("location"))
        lat, lon = loc.get("latitude"), loc.get("longitude") or 0
        if isinstance(lat, int | float) and isinstance(lon, int | float):
            inc.location = (float(lat), float(lon))
    elif kind_of == "contacts":
        phones = [p.get("wa_id") or p.get("phone") for c in _dicts(m.get("contacts"))
                  for p in _dicts(c.get("phones"))]  # fmt: skip
        inc.attachments = [{"phone": str(phones[0]), "verified": False}] if phones else []
    if kind_of in ("image", "video", "document", "audio"):
        item = _dict(m.get(kind_of))
        inc.attachments = _media(kind_of, item) or inc.attachments
        if item.get("caption"):
            inc.text = str(item["caption"])
    return inc


def _media(kind_of: str, item: dict[str, Any]) -> list[dict[str, str]]:
    """Where a caseworker can fetch what the person sent: the media id and its type."""
    if not item.get("id"):
        return []
    mime = str(item.get("mime_type") or "application/octet-stream")[:100]
    found = {"media": kind_of, "ref": str(item["id"])[:100], "mime": mime}
    if item.get("filename"):
        found["name"] = str(item["filename"])[:120]
    return [found]


class WhatsAppChannel:
    name = CHANNEL
    caps = Caps(max_text=4096)
    throttle_pause = 10.0  # seconds after Meta says the number sends too fast
    pair_pause = 6.0  # seconds after "too many messages to this person" (about 1 per 6 s)

    def __init__(self, settings: Settings, core: Core, db: Database) -> None:
        self.settings, self.core, self.db = settings, core, db
        transport = _rewrite(settings.whatsapp_api_base) if settings.whatsapp_api_base else None
        session = httpx.AsyncClient(transport=transport, timeout=settings.send_timeout)
        self.wa = WhatsApp(
            phone_id=settings.whatsapp_phone_number_id,
            token=settings.whatsapp_access_token,
            session=session,
            app_secret=settings.whatsapp_app_secret,
            verify_token=settings.whatsapp_verify_token,
        )
        self.templates = yaml.safe_load(TEMPLATES.read_text(encoding="utf-8"))
        self.on_requeue = lambda: None

    # ---- sending -----------------------------------------------------------------------

    async def fetch(self, ref: str, limit: int) -> bytes:
        """A file the person sent: ask the Graph API where it is, then download it."""
        media = await self.wa.get_media_url(ref)
        if (media.file_size or 0) > limit:
            raise ValueError("file too large")
        return await self.wa.get_media_bytes(media.url)

    async def deliver(self, msg: Claimed) -> str | None:
        contact = await self._contact(msg.contact_id)
        # A template may go at any time; anything else only inside the 24-hour window.
        if msg.kind != "template" and utcnow() - contact.last_seen_at > WINDOW:
            await self._invite(contact)
            raise Deferred("24-hour window closed: sent a template, waiting for a reply")
        try:
            sent = await self._send(msg)
        except wa_errors.ReEngagementMessage as exc:
            await self._invite(contact)
            raise Deferred("window closed (131047): sent a template") from exc
        except wa_errors.TooManyMessages as exc:  # 131056: too many to this one person
            raise RetryAfter(self.pair_pause, whole_channel=False) from exc
        except _THROTTLED as exc:  # 130429, 131048, 4, 80007: slow the whole number down
            raise RetryAfter(self.throttle_pause) from exc
        except wa_errors.MessageUndeliverable as exc:
            raise Unreachable(str(exc)[:300]) from exc
        except (wa_errors.AuthorizationError, wa_errors.ServiceUnavailable, wa_errors.UnknownError,
                wa_errors.GenericError, httpx.HTTPError) as exc:  # fmt: skip
            raise Transient(str(exc)[:300]) from exc
        except wa_errors.WhatsAppError as exc:
            raise Permanent(str(exc)[:300]) from exc
        return sent.id

    async def _send(self, msg: Claimed):  # type: ignore[no-untyped-def]
        if msg.kind == "template":  # a campaign's approved template, in the person's language
            lang = self.templates["new_message"]["languages"].get(msg.payload.get("lang"), "kk")
            return await self.wa.send_template(
                to=msg.chat_id, name=msg.payload["template"], language=TemplateLanguage(lang),
                params=[],
            )  # fmt: skip
        media = msg.payload.get("media") or {}
        caption = (media.get("caption") or "")[:1024] or None
        if media.get("kind") == "image":
            return await self.wa.send_image(
                to=msg.chat_id, image=Path(media["path"]), caption=caption
            )
        if media.get("kind") == "document":
            path = Path(media["path"])
            return await self.wa.send_document(
                to=msg.chat_id, document=path, filename=path.name, caption=caption
            )
        if media.get("kind") == "location":
            return await self.wa.send_location(
                to=msg.chat_id,
                latitude=media["latitude"],
                longitude=media["longitude"],
                name=caption,
            )
        shape = menu_shape(signed_text(msg), msg.payload.get("buttons", []))
        if shape["kind"] == "buttons":
            buttons = [WaButton(title=t, callback_data=b["action"]) for t, b in shape["buttons"]]
            return await self.wa.send_message(to=msg.chat_id, text=shape["text"], buttons=buttons)
        if shape["kind"] == "list":
            rows = [SectionRow(title=t, callback_data=b["action"], description=d)
                    for t, b, d in shape["rows"]]  # fmt: skip
            choose = shorten(self._choose_label(msg), BUTTON_MAX) or "Menu"
            sections = SectionList(
                button_title=choose, sections=[Section(title=choose[:24], rows=rows)]
            )
            return await self.wa.send_message(to=msg.chat_id, text=shape["text"], buttons=sections)
        return await self.wa.send_message(to=msg.chat_id, text=shape["text"])

    def _choose_label(self, msg: Claimed) -> str:
        return Translator(msg.payload.get("lang") or self.settings.default_locale).gettext(CHOOSE)

    async def _invite(self, contact: Contact, already_waiting_ok: bool = False) -> None:
        """Once per wait: an approved template telling the person a message is waiting."""
        async with self.db.sessions() as s:
            waiting = await s.scalar(
                select(func.count()).select_from(Message)
                .where(Message.contact_id == contact.id, Message.status == "waiting")
            )  # fmt: skip
        if waiting > (1 if already_waiting_ok else 0):
            return
        spec = self.templates["new_message"]
        lang = spec["languages"][contact.locale or self.settings.default_locale]
        sent = await self.wa.send_template(
            to=contact.external_id, name=spec["name"], language=TemplateLanguage(lang), params=[]
        )
        row = Message(contact_id=contact.id, channel=CHANNEL, direction="out", kind="template",
                      text=spec["body"][contact.locale or self.settings.default_locale],
                      payload={"template": spec["name"]}, status="sent", external_id=sent.id,
                      sent_at=utcnow())  # fmt: skip
        async with self.db.transaction() as s:
            s.add(row)  # the transcript shows what the person received

    async def _contact(self, contact_id: int) -> Contact:
        async with self.db.sessions() as s:
            contact = await s.get(Contact, contact_id)
        assert contact is not None
        return contact

    # ---- receiving ---------------------------------------------------------------------

    def webhook_router(self) -> APIRouter:
        api = APIRouter()

        @api.get(WEBHOOK_PATH, include_in_schema=False)
        async def verify(request: Request) -> Response:
            q = request.query_params
            token = (self.settings.whatsapp_verify_token or "").encode()
            given = q.get("hub.verify_token", "").encode()
            if q.get("hub.mode") == "subscribe" and token and secrets.compare_digest(given, token):
                return PlainTextResponse(q.get("hub.challenge", ""))
            return Response(status_code=403)

        @api.post(WEBHOOK_PATH, include_in_schema=False)
        async def receive(request: Request) -> Response:
            body = await request.body()
            if not self._signed(body, request.headers.get("x-hub-signature-256", "")):
                return Response(status_code=401)
            try:
                payload = json.loads(body)
                assert isinstance(payload, dict) and depth_ok(payload)
                # A lone surrogate ("\ud800") decodes, but no database or platform takes it.
                json.dumps(payload, ensure_ascii=False).encode()
            except (ValueError, AssertionError, RecursionError):
                return Response(status_code=400)
            kept = self.settings.keep_update_ids_days * 86400
            messages, statuses = incomings(payload, oldest=time.time() - kept + 3600)
            for inc in messages:
                await self._receive(inc)
            await self._statuses(statuses)
            return Response(status_code=200)

        return api

    def _signed(self, body: bytes, header: str) -> bool:
        secret = (self.settings.whatsapp_app_secret or "").encode()
        expected = hmac.new(secret, body, hashlib.sha256).hexdigest()
        # As bytes: compare_digest refuses a str with non-ASCII, which a forger can send.
        given = header.removeprefix("sha256=").encode()
        return bool(secret) and secrets.compare_digest(given, expected.encode())

    async def _receive(self, inc: Incoming) -> None:
        await self._release_waiting(inc.user_id)  # the window is open again: waiting goes first
        await self.core.handle(inc)

    async def _release_waiting(self, user_id: str) -> None:
        async with self.db.transaction() as s:
            contact_id = await s.scalar(
                select(Contact.id).where(Contact.channel == CHANNEL, Contact.external_id == user_id)
            )
            if contact_id is None:
                return
            # This message reopens the 24-hour window, before anything is sent again.
            await s.execute(
                update(Contact).where(Contact.id == contact_id).values(last_seen_at=utcnow())
            )
            result = await s.execute(
                update(Message)
                .where(Message.contact_id == contact_id, Message.status == "waiting")
                .values(status="pending", next_attempt_at=utcnow(), claimed_at=None)
            )
        if result.rowcount:
            self.on_requeue()

    async def _statuses(self, statuses: list[dict[str, Any]]) -> None:
        """sent / delivered / read / failed, in any order: a status never goes backwards. A
        status can overtake our own record of the send (the wamid is stored just after Meta
        answers), so unknown ids are looked up again a few times before they are dropped."""
        pending = statuses
        for delay in (0.0, 0.1, 0.3, 0.6):
            if not pending:
                return
            await asyncio.sleep(delay)
            pending = await self._apply_statuses(pending)
        if pending:
            log.info("%d delivery statuses for unknown messages were ignored", len(pending))

    async def _apply_statuses(self, statuses: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Apply what matches a message of ours; return the statuses that match none.
        A failure 131047 (Meta often reports the closed window only here) parks the message
        and sends the invitation template, as at send time."""
        invite: list[int] = []
        unmatched: list[dict[str, Any]] = []
        async with self.db.transaction() as s:
            for st in statuses:
                wamid, status = str(st.get("id") or ""), str(st.get("status") or "")
                if not wamid:
                    continue
                row = await s.scalar(select(Message).where(Message.external_id == wamid))
                if row is None:
                    unmatched.append(st)
                    continue
                if row.direction != "out":
                    continue
                if status == "failed":
                    err = next(iter(_dicts(st.get("errors"))), {})
                    if str(err.get("code")) == "131047" and row.kind != "template":
                        row.status, row.external_id = "waiting", None
                        invite.append(row.contact_id)
                        continue
                    row.status, row.error = "failed", f"{err.get('code')}: {err.get('title')}"[:500]
                elif _STATUS_RANK.get(status, -1) > _STATUS_RANK.get(row.status or "", 0):
                    row.status = status
        for contact_id in dict.fromkeys(invite):
            await self._invite(await self._contact(contact_id), already_waiting_ok=True)
        return unmatched


def _rewrite(base: str) -> httpx.AsyncBaseTransport:
    """pywa always talks to graph.facebook.com; tests and proxies point it elsewhere."""
    target = httpx.URL(base)

    class Rewrite(httpx.AsyncHTTPTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            request.url = request.url.copy_with(
                scheme=target.scheme, host=target.host, port=target.port
            )
            return await super().handle_async_request(request)

    return Rewrite()
