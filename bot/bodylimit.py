"""Request bodies are read up to a limit per route and no further.

An ASGI middleware, so it holds before any framework code buffers a body: a declared
Content-Length over the limit is answered 413 without reading a byte, and a body streamed
without one is cut off at the limit. The app protects itself, with or without a proxy.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.exceptions import HTTPException

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

KB, MB = 1024, 1024 * 1024
# The longest matching prefix wins; the last entry is the default. Each limit is stated in
# the README ("Security").
LIMITS: tuple[tuple[str, int], ...] = (
    ("/api/chat/messages", 32 * KB),  # a web-chat message: 20 000 characters at most
    ("/webhooks/telegram", 1 * MB),  # Telegram's updates are a few kilobytes
    ("/webhooks/whatsapp", 1 * MB),  # Meta batches a few messages and statuses
    ("/api/v1/", 2 * MB),  # up to 5 000 status rows
    ("/console/applications/import", 2 * MB + 64 * KB),  # a 2 MB CSV in a form
    ("/console/campaigns", 5 * MB + 64 * KB),  # a campaign picture of up to 5 MB
    ("/console/content", 2 * MB),  # an editor's page or an import for translators
    ("", 64 * KB),  # any other form or request
)


def limit_for(path: str) -> int:
    return max((p for p in LIMITS if path.startswith(p[0])), key=lambda p: len(p[0]))[1]


class TooLarge(HTTPException):
    """Raised by the body stream past the limit: the framework answers it as a 413."""

    def __init__(self, limit: int) -> None:
        # Closing the connection stops the server from reading (and discarding) the rest.
        super().__init__(413, f"request body over {limit // KB} KB", {"Connection": "close"})


class BodyLimit:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = limit_for(scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _too_large(send, limit)
            return
        seen, started = 0, False
        # A body the app answered without reading (a refused token, a 404) would otherwise be
        # read to its end by the server to keep the connection: such answers close it.
        unread = bool(declared) or _header(scope, b"transfer-encoding") is not None

        async def limited_receive() -> Message:
            nonlocal seen, unread
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                unread = bool(message.get("more_body"))
                if seen > limit:
                    raise TooLarge(limit)
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                if unread:
                    message["headers"] = [*message.get("headers", []), (b"connection", b"close")]
            await send(message)

        try:
            await self.app(scope, limited_receive, tracked_send)
        except TooLarge:
            if not started:
                await _too_large(send, limit)


def _header(scope: Scope, wanted: bytes) -> bytes | None:
    for name, value in scope.get("headers", []):
        if name == wanted:
            return bytes(value)
    return None


def _content_length(scope: Scope) -> int | None:
    value = _header(scope, b"content-length")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


async def _too_large(send: Send, limit: int) -> None:
    body = json.dumps({"error": f"request body over {limit // KB} KB"}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
