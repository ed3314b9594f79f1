"""The public side protects itself: request bodies are read only up to each route's limit,
the API checks its token before reading a body, the web chat limits new visitors, messages
and open streams per visitor and per address (429 with Retry-After), visitors who never wrote
anything are not kept, and the page and its files carry strict security headers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, update

from bot.app import create_app
from bot.bodylimit import limit_for
from bot.housekeeping import erase_inactive
from storage.models import Contact, Message, utcnow
from tests.conftest import LiveServer, make_settings

MB = 1024 * 1024


class Feed:
    """A request body that counts how much of it the server took before answering."""

    def __init__(self, total: int, chunk: int = 64 * 1024) -> None:
        self.total, self.chunk, self.sent = total, chunk, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self.sent < self.total:
            self.sent += self.chunk
            yield b"x" * self.chunk
            await asyncio.sleep(0)


async def post_stream(url: str, feed: Feed, headers: dict[str, str]) -> int | None:
    async with httpx.AsyncClient(timeout=20) as c:
        try:
            r = await c.post(url, content=feed, headers=headers)
        except (httpx.WriteError, httpx.ReadError, httpx.RemoteProtocolError):
            return None  # the server closed the connection once it had answered
    return r.status_code


@pytest.fixture
async def with_whatsapp(tmp_path: Path, database_url: str) -> AsyncIterator[LiveServer]:
    settings = make_settings(
        tmp_path,
        database_url,
        whatsapp_phone_number_id="100200300",
        whatsapp_access_token="token",
        whatsapp_app_secret="app-secret",
        whatsapp_api_base="http://127.0.0.1:9",  # nothing is sent in these tests
    )
    async with LiveServer(create_app(settings)) as live:
        yield live


async def declared_post(server: LiveServer, path: str, headers: dict, length: int) -> int:
    """A request that says it carries `length` bytes and sends two: the answer must come
    without the rest."""
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    head = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {length}"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    writer.write(("\r\n".join(head) + "\r\n\r\n{}").encode())
    await writer.drain()
    status_line = await reader.readline()
    writer.close()
    return int(status_line.split()[1])


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/api/chat/messages", {"content-type": "application/json"}),
        ("/webhooks/whatsapp", {"content-type": "application/json"}),
        ("/api/v1/applications", {"authorization": "Bearer forged"}),
        ("/console/login", {"content-type": "application/x-www-form-urlencoded"}),
    ],
)
async def test_a_huge_body_is_not_read(with_whatsapp: LiveServer, path: str, headers: dict) -> None:
    server = with_whatsapp
    # Declared: answered at once, without waiting for (or reading) the 400 MB.
    status = await asyncio.wait_for(declared_post(server, path, headers, 400 * MB), 5)
    assert status in (401, 413)
    # Streamed without a length: cut off near the route's limit, not read to its end.
    feed = Feed(200 * MB)
    status = await post_stream(server.url + path, feed, headers)
    assert status in (None, 401, 413)
    assert feed.sent < limit_for(path) + 16 * MB, f"{feed.sent // MB} MB of 200 were read"


async def test_the_api_checks_the_token_before_the_body(server: LiveServer) -> None:
    feed = Feed(50 * MB)
    status = await post_stream(
        server.url + "/api/v1/applications", feed, {"authorization": "Bearer forged"}
    )
    assert status in (None, 401)
    assert feed.sent < 16 * MB


@pytest.fixture
async def limited(tmp_path: Path, database_url: str) -> AsyncIterator[LiveServer]:
    settings = make_settings(
        tmp_path,
        database_url,
        webchat_new_visitors_per_minute=5,
        webchat_messages_per_minute=4,
        webchat_address_messages_per_minute=6,
        webchat_streams_per_visitor=2,
        webchat_streams_per_address=3,
    )
    async with LiveServer(create_app(settings)) as live:
        yield live


async def test_new_visitors_per_address_are_limited(limited: LiveServer) -> None:
    statuses = []
    for _ in range(8):  # a client that never keeps its cookie: a new visitor every time
        async with httpx.AsyncClient(base_url=limited.url) as c:
            r = await c.post("/api/chat/messages", json={"text": "/start"})
            statuses.append(r.status_code)
            if r.status_code == 429:
                assert int(r.headers["retry-after"]) >= 1
    assert statuses.count(202) == 5 and statuses[5:] == [429, 429, 429]
    async with limited.app.state.runtime.db.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Contact)) == 5
    async with httpx.AsyncClient(base_url=limited.url) as c:
        page = await c.get("/")
    assert page.status_code == 429 and "Бір минут күтіп" in page.text


async def test_messages_per_visitor_and_per_address_are_limited(limited: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=limited.url) as first:
        codes = [
            (await first.post("/api/chat/messages", json={"text": f"сәлем {i}"})).status_code
            for i in range(6)
        ]
        assert codes == [202] * 4 + [429, 429]
    async with httpx.AsyncClient(base_url=limited.url) as second:  # same address, new visitor
        codes = [
            (await second.post("/api/chat/messages", json={"text": f"hi {i}"})).status_code
            for i in range(6)
        ]
    assert codes == [202, 202] + [429] * 4, "the address had 6 a minute; the first took 4"
    async with limited.app.state.runtime.db.sessions() as s:
        n = await s.scalar(select(func.count()).where(Message.direction == "in"))
    assert n == 6, "refused messages change nothing"


async def test_open_streams_per_visitor_are_limited(limited: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=limited.url, timeout=10) as c:
        await c.get("/")
        held = []
        for _ in range(2):
            stream = c.stream("GET", "/api/chat/stream")
            response = await stream.__aenter__()
            assert response.status_code == 200
            held.append(stream)
        third = await c.get("/api/chat/stream")
        assert third.status_code == 429 and "retry-after" in third.headers
        await held.pop().__aexit__(None, None, None)  # closing one frees its slot

        async def reopened() -> int:
            async with c.stream("GET", "/api/chat/stream") as r:
                return r.status_code

        for _ in range(50):
            if (status := await reopened()) == 200:
                break
            await asyncio.sleep(0.05)
        assert status == 200
        for stream in held:
            await stream.__aexit__(None, None, None)


async def test_visitors_who_never_wrote_are_not_kept(limited: LiveServer) -> None:
    runtime = limited.app.state.runtime
    async with httpx.AsyncClient(base_url=limited.url) as idle:
        await idle.post("/api/chat/messages", json={"text": "/start"})
        await idle.post("/api/chat/messages", json={"action": "lang:ru"})
    async with httpx.AsyncClient(base_url=limited.url) as asker:
        await asker.post("/api/chat/messages", json={"text": "/start"})
        await asker.post("/api/chat/messages", json={"text": "Павлодарда қыс қандай?"})
    async with runtime.db.transaction() as s:
        await s.execute(update(Contact).values(last_seen_at=utcnow() - timedelta(days=8)))
    assert await erase_inactive(runtime.db, retention_months=24, idle_visitor_days=7) == 1
    async with runtime.db.sessions() as s:
        kept = list(await s.scalars(select(Message.text).where(Message.direction == "in")))
    assert "Павлодарда қыс қандай?" in kept and "/start" in kept and len(kept) == 2


async def test_the_page_and_its_files_cannot_be_framed(server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=server.url) as c:
        for path in ("/", "/static/chat.js", "/static/chat.css"):
            r = await c.get(path)
            assert r.status_code == 200, path
            csp = r.headers["content-security-policy"]
            assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp, path
            assert "unsafe-inline" not in csp
            assert r.headers["x-frame-options"] == "DENY" and r.headers["x-content-type-options"]
            assert r.headers["referrer-policy"] == "no-referrer"
