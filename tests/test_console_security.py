"""The console refuses what it must: no login, another region's case or application, a form
without its CSRF token, guessed passwords, an ended session, a role that is not enough, and
HTML in what a person writes."""

from __future__ import annotations

import asyncio
import re
from datetime import date
from pathlib import Path

import httpx
from fastapi.routing import APIRoute
from sqlalchemy import func, select

from bot.app import create_app
from bot.settings import Settings
from storage.models import Application, Case, CaseNote, Contact, Message
from tests.conftest import LiveServer, make_settings
from tests.console_helpers import Console, add_staff


async def _serve(settings: Settings) -> LiveServer:
    return LiveServer(create_app(settings))


async def waiting_case(runtime, region: str, text: str = "Помогите с документами") -> int:  # type: ignore[no-untyped-def]
    """A person of `region` who asked for a caseworker and wrote one message."""
    async with runtime.db.transaction() as s:
        contact = Contact(channel="web", external_id=f"v-{region}-{text[:8]}", display_name=None)
        contact.step_data, contact.last_buttons = {"case": 0}, []
        contact.step = "handoff"
        s.add(contact)
        await s.flush()
        case = Case(contact_id=contact.id, region=region, topic="documents", status="waiting")
        s.add(case)
        s.add(Message(contact_id=contact.id, channel="web", direction="in", kind="text", text=text))
        await s.flush()
        return case.id


def _flat(routes) -> list:  # type: ignore[no-untyped-def]
    """Routes of the app, with included routers opened up (FastAPI wraps them)."""
    out = []
    for route in routes:
        inner = getattr(route, "original_router", None)
        out += _flat(inner.routes) if inner is not None else [route]
    return out


def console_routes(app) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    out = []
    for route in _flat(app.routes):
        if isinstance(route, APIRoute) and route.path.startswith("/console"):
            if route.path == "/console/login":
                continue
            path = re.sub(r"\{[^}]+\}", "1", route.path)
            out += [(method, path) for method in route.methods]
    return out


async def test_every_console_route_wants_a_login(server: LiveServer) -> None:
    routes = console_routes(server.app)
    assert len(routes) >= 20, routes
    async with httpx.AsyncClient(base_url=server.url) as c:
        for method, path in routes:
            r = await c.request(method, path, data={"text": "x"})
            if method == "GET" and path != "/console/events":
                assert r.status_code == 303, (method, path, r.status_code)
                assert r.headers["location"].startswith("/console/login?next=")
            else:
                assert r.status_code == 401, (method, path, r.status_code)


async def test_a_caseworker_cannot_reach_another_regions_case(server: LiveServer) -> None:
    runtime = server.app.state.runtime
    await add_staff(runtime, "aigul", regions=("kostanay",))
    theirs = await waiting_case(runtime, "pavlodar", "<b>секрет</b> Павлодар")
    mine = await waiting_case(runtime, "kostanay")
    worker = Console(server.url)
    await worker.login("aigul")
    page = await worker.get("/console?view=region")
    assert f"/console/cases/{mine}" in page.text and f"/console/cases/{theirs}" not in page.text
    for path in (f"/console/cases/{theirs}", f"/console/cases/{theirs}/transcript"):
        r = await worker.get(path)
        assert r.status_code == 404 and "Павлодар" not in r.text
    assert (await worker.get(f"/console/cases/{theirs}/media/1")).status_code == 404
    for action, data in [
        ("claim", {}),
        ("reply", {"text": "hello"}),
        ("note", {"text": "hello"}),
        ("close", {"outcome": "answered"}),
        ("assign", {"to": "1"}),
    ]:
        r = await worker.post(f"/console/cases/{theirs}/{action}", data)
        assert r.status_code == 404, (action, r.status_code)
    async with runtime.db.sessions() as s:
        case = await s.get(Case, theirs)
        assert (case.status, case.assignee_id) == ("waiting", None)
        outbound = await s.scalar(select(func.count()).where(Message.direction == "out"))
        assert outbound == 0 and await s.scalar(select(func.count()).select_from(CaseNote)) == 0
    await worker.aclose()


async def test_forms_without_the_csrf_token_are_refused(server: LiveServer) -> None:
    runtime = server.app.state.runtime
    await add_staff(runtime, "aigul", regions=("kostanay",))
    case_id = await waiting_case(runtime, "kostanay")
    worker = Console(server.url)
    await worker.login("aigul")
    for token in (None, "", "forged-token"):
        data = {"text": "hi"} if token is None else {"text": "hi", "csrf": token}
        r = await worker.http.post(f"/console/cases/{case_id}/reply", data=data)
        assert r.status_code == 403
    r = await worker.http.post(
        f"/console/cases/{case_id}/claim", headers={"X-CSRF-Token": "forged"}
    )
    assert r.status_code == 403
    async with runtime.db.sessions() as s:
        assert (await s.get(Case, case_id)).status == "waiting"
        assert await s.scalar(select(func.count()).where(Message.direction == "out")) == 0
    # The token in a header works as well as in the form (htmx sends it so).
    ok = await worker.http.post(
        f"/console/cases/{case_id}/claim", headers={"X-CSRF-Token": worker.csrf}
    )
    assert ok.status_code == 303
    # A login form posted from elsewhere (no matching cookie) is refused too.
    async with httpx.AsyncClient(base_url=server.url) as stranger:
        r = await stranger.post(
            "/console/login", data={"login": "aigul", "password": "x", "csrf": "guess"}
        )
        assert r.status_code == 403
    await worker.aclose()


async def test_guessing_passwords_is_throttled(server: LiveServer) -> None:
    runtime = server.app.state.runtime
    await add_staff(runtime, "aigul", regions=("kostanay",))
    guesser = Console(server.url)
    for n in range(5):
        assert (await guesser.login("aigul", f"wrong password {n}")).status_code == 401
    locked = await guesser.login("aigul")  # even the right password waits now
    assert locked.status_code == 429 and "15" in locked.text
    assert auth_cookie(guesser) is None
    await guesser.aclose()


def auth_cookie(c: Console) -> str | None:
    return c.http.cookies.get("qonys_console", domain="127.0.0.1")


async def test_sessions_end_on_logout_and_are_new_at_each_login(server: LiveServer) -> None:
    runtime = server.app.state.runtime
    await add_staff(runtime, "aigul", regions=("kostanay",))
    worker = Console(server.url)
    worker.http.cookies.set("qonys_console", "planted-by-an-attacker", "127.0.0.1", "/console")
    await worker.login("aigul")
    token = auth_cookie(worker)
    assert token and token != "planted-by-an-attacker"
    assert (await worker.get("/console")).status_code == 200
    await worker.post("/console/logout")
    async with httpx.AsyncClient(base_url=server.url) as replay:
        replay.cookies.set("qonys_console", token, path="/console")
        assert (await replay.get("/console")).status_code == 303
    await worker.aclose()


async def test_idle_sessions_expire(tmp_path: Path, database_url: str) -> None:
    settings = make_settings(tmp_path, database_url, console_idle_minutes=0.01)
    live = await _serve(settings)
    async with live:
        await add_staff(live.app.state.runtime, "aigul", regions=("kostanay",))
        worker = Console(live.url)
        await worker.login("aigul")
        await asyncio.sleep(1.0)
        assert (await worker.get("/console")).status_code == 303
        await worker.aclose()


async def test_roles(server: LiveServer) -> None:
    runtime = server.app.state.runtime
    await add_staff(runtime, "aigul", regions=("kostanay",))
    await add_staff(runtime, "boss", role="supervisor")
    await add_staff(runtime, "root", role="admin")
    expected = {
        "aigul": {"/console/stats": 403, "/console/audit": 403, "/console/staff": 403},
        "boss": {"/console/stats": 200, "/console/audit": 200, "/console/staff": 403},
        "root": {"/console/stats": 200, "/console/audit": 200, "/console/staff": 200},
    }
    for login, pages in expected.items():
        c = Console(server.url)
        await c.login(login)
        for path, status in pages.items():
            assert (await c.get(path)).status_code == status, (login, path)
        await c.aclose()
    worker = Console(server.url)
    await worker.login("aigul")
    r = await worker.post("/console/canned", {"locale": "ru", "title": "t", "text": "x"})
    assert r.status_code == 403, "only supervisors keep the ready replies"
    r = await worker.post(
        "/console/staff", {"login": "evil", "role": "admin", "password": "x" * 12}
    )
    assert r.status_code == 403
    await worker.aclose()


async def test_what_a_person_writes_is_shown_as_text(server: LiveServer) -> None:
    runtime = server.app.state.runtime
    await add_staff(runtime, "aigul", regions=("kostanay",))
    hostile = "<script>alert(1)</script><img src=x onerror=alert(2)>{{ 7*7 }}"
    case_id = await waiting_case(runtime, "kostanay", hostile)
    worker = Console(server.url)
    await worker.login("aigul")
    page = await worker.get(f"/console/cases/{case_id}")
    assert "<script>alert(1)" not in page.text and "<img src=x" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "{{ 7*7 }}" in page.text and ">49<" not in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    await worker.aclose()


async def test_applications_of_another_region_stay_hidden(server: LiveServer) -> None:
    runtime = server.app.state.runtime
    await add_staff(runtime, "aigul", regions=("kostanay",))
    async with runtime.db.transaction() as s:
        s.add(
            Application(
                number="PV-1",
                programme="resettler",
                region="pavlodar",
                status="received",
                status_date=date(2026, 11, 2),
            )
        )
    worker = Console(server.url)
    await worker.login("aigul")
    page = await worker.get("/console/applications", params={"number": "PV-1"})
    assert "PV-1" in page.text and "received" not in page.text.split("PV-1", 1)[1][:200]
    r = await worker.post(
        "/console/applications/PV-1/status", {"status": "review", "status_date": "2026-11-20"}
    )
    assert r.status_code == 404
    async with runtime.db.sessions() as s:
        assert (await s.scalar(select(Application))).status == "received"
    await worker.aclose()
