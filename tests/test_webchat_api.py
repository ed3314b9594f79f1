"""The web chat's HTTP side, against the real app under uvicorn: cookies, history, the live
stream, and bad input that must be refused without changing anything."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from bot.app import create_app
from bot.i18n import Translator
from storage.models import Message
from tests.conftest import LiveServer, eventually


async def history(client: httpx.AsyncClient, after: int = 0) -> dict:
    r = await client.get("/api/chat/messages", params={"after": after})
    assert r.status_code == 200
    return r.json()


async def bot_messages(client: httpx.AsyncClient) -> list[dict]:
    return [m for m in (await history(client))["messages"] if m["from"] == "bot"]


async def test_page_is_served_with_its_own_assets(server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=server.url) as c:
        page = await c.get("/", headers={"Accept-Language": "ru-RU,ru;q=0.9"})
        assert page.status_code == 200
        assert '<html lang="ru">' in page.text
        assert Translator("ru").gettext("Write a message…") in page.text
        assert "http://" not in page.text and "https://" not in page.text, "no third-party CDN"
        for asset in ("/static/chat.js", "/static/chat.css", "/static/qonys.svg"):
            assert (await c.get(asset)).status_code == 200
        cookie = page.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie


async def test_start_language_and_menu_over_http(server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=server.url) as c:
        assert (await c.post("/api/chat/messages", json={"text": "/start"})).status_code == 202
        greeting = await eventually(lambda: bot_messages(c))
        assert [b["action"] for b in greeting[-1]["buttons"]] == [
            "lang:kk",
            "lang:ru",
            "lang:en",
            "lang:kk-latn",
            "lang:kk-arab",
        ]
        r = await c.post("/api/chat/messages", json={"action": "lang:ru"})
        assert r.status_code == 202
        data = await history(c)
        assert data["locale"] == "ru"
        assert data["messages"][-2] == {**data["messages"][-2], "from": "user", "text": "Русский"}
        assert (
            Translator("ru").gettext("What would you like to do? Choose below.")
            in (data["messages"][-1]["text"])
        )


async def test_live_stream_delivers_replies_and_resumes(server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as c:
        await c.post("/api/chat/messages", json={"text": "/start"})
        events: list[dict] = []

        async def listen() -> None:
            async with c.stream("GET", "/api/chat/stream") as r:
                assert r.headers["content-type"].startswith("text/event-stream")
                async for line in r.aiter_lines():
                    if line.startswith("data:"):
                        events.append(json.loads(line[5:]))

        task = asyncio.create_task(listen())
        await eventually(lambda: len(events) >= 2)  # history: /start and the greeting
        await c.post("/api/chat/messages", json={"action": "lang:en"})
        await eventually(lambda: any(e["locale"] == "en" and e["from"] == "bot" for e in events))
        task.cancel()
        ids = [e["id"] for e in events]
        assert ids == sorted(set(ids)), "each message once, in order"

        last = ids[1]
        resumed: list[dict] = []
        async with c.stream("GET", "/api/chat/stream", headers={"Last-Event-ID": str(last)}) as r:
            async for line in r.aiter_lines():
                if line.startswith("data:"):
                    resumed.append(json.loads(line[5:]))
                    if resumed[-1]["id"] == ids[-1]:
                        break
        assert [e["id"] for e in resumed] == ids[2:]


async def test_visitors_do_not_see_each_other(server: LiveServer) -> None:
    async with (
        httpx.AsyncClient(base_url=server.url) as a,
        httpx.AsyncClient(base_url=server.url) as b,
    ):
        await a.post("/api/chat/messages", json={"text": "/start secret_source"})
        await eventually(lambda: bot_messages(a))
        assert (await history(b))["messages"] == []
        b.cookies.set("qonys_visitor", "guessed-token")
        assert (await history(b))["messages"] == []


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        (b"{not json", {"content-type": "application/json"}, 400),
        (b'{"text": 5}', {"content-type": "application/json"}, 400),
        (b'{"action": "lang:kk\\" OR 1=1"}', {"content-type": "application/json"}, 400),
        (b'{"action": "\\u049b\\u0430\\u0437"}', {"content-type": "application/json"}, 400),
        (b"{}", {"content-type": "application/json"}, 400),
        (b'{"text": "' + b"a" * 40_000 + b'"}', {"content-type": "application/json"}, 413),
        (b"\x00\xff\xfe binary junk", {"content-type": "application/octet-stream"}, 415),
    ],
)
async def test_bad_posts_are_refused_and_change_nothing(
    server: LiveServer, body: bytes, headers: dict, status: int
) -> None:
    async with httpx.AsyncClient(base_url=server.url) as c:
        r = await c.post("/api/chat/messages", content=body, headers=headers)
        assert r.status_code == status
        assert "error" in r.json()
    async with server.app.state.runtime.db.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Message)) == 0


async def test_healthz(server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=server.url) as c:
        # 503 "content: loading" for the first seconds after a start, then ready.
        await eventually(lambda: _status(c, 200), within=30)
        r = await c.get("/healthz")
        assert r.json() == {"status": "ok", "database": "ok"}


async def _status(c: httpx.AsyncClient, code: int) -> bool:
    return (await c.get("/healthz")).status_code == code


async def test_healthz_reports_a_dead_database(tmp_path: Path) -> None:
    from tests.conftest import make_settings

    db_file = tmp_path / "x.db"
    app = create_app(make_settings(tmp_path, f"sqlite+aiosqlite:///{db_file}"))
    async with LiveServer(app) as live, httpx.AsyncClient(base_url=live.url) as c:
        await eventually(lambda: _status(c, 200), within=30)
        await app.state.runtime.db.engine.dispose()  # drop pooled connections…
        db_file.rename(tmp_path / "moved.db")
        db_file.mkdir()  # …so the next connection finds no database there
        r = await c.get("/healthz")
        assert r.status_code == 503 and r.json()["status"] == "unhealthy"
        db_file.rmdir()
        (tmp_path / "moved.db").rename(db_file)
        assert (await c.get("/healthz")).status_code == 200, "recovers by itself"


async def test_climate_answer_shows_the_chart_and_formatted_text(server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=server.url) as c:
        await c.post("/api/chat/messages", json={"text": "/start"})
        await c.post("/api/chat/messages", json={"action": "lang:kk"})
        await c.post("/api/chat/messages", json={"action": "t:pavlodar:climate"})
        messages = (await history(c))["messages"]
        image, text = messages[-2], messages[-1]
        assert image["image"]["url"].startswith("/media/climate-pavlodar-kk-")
        png = await c.get(image["image"]["url"])
        assert png.status_code == 200 and png.headers["content-type"] == "image/png"
        assert text["html"] is True and text["text"].startswith("<b>")
        assert "<script" not in text["text"]


async def test_the_checklist_pdf_downloads_only_for_its_owner(server: LiveServer) -> None:
    from storage.models import Contact, Profile

    async with httpx.AsyncClient(base_url=server.url) as owner:
        await owner.post("/api/chat/messages", json={"text": "/start"})
        await owner.post("/api/chat/messages", json={"action": "lang:en"})
        await owner.post("/api/chat/messages", json={"action": "cs:yes:checklist"})
        db = server.app.state.runtime.db
        async with db.transaction() as s:
            contact = await s.scalar(select(Contact).where(Contact.channel == "web"))
            profile = await s.get(Profile, contact.id)
            profile.programme, profile.adults, profile.answered = "kandas", 2, ["programme"]
        await owner.post("/api/chat/messages", json={"action": "cl:kandas"})
        await owner.post("/api/chat/messages", json={"action": "cp:kandas"})
        files = await eventually(lambda: _files(owner))
        url = files[-1]["url"]
        pdf = await owner.get(url)
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        assert pdf.headers["content-type"] == "application/pdf"
        async with httpx.AsyncClient(base_url=server.url) as stranger:
            await stranger.post("/api/chat/messages", json={"text": "/start"})
            assert (await stranger.get(url)).status_code == 404
            first_id = (await history(owner))["messages"][0]["id"]
            assert (await stranger.get(f"/api/chat/files/{first_id}")).status_code == 404
            assert (await stranger.get("/api/chat/files/99999999")).status_code == 404


async def _files(client: httpx.AsyncClient) -> list[dict]:
    return [m["file"] for m in await bot_messages(client) if m.get("file")]
