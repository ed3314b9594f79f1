"""Console sign-in under attack: the attempt limit holds when many guesses arrive at once (on
SQLite and PostgreSQL), password checks never stall other requests, a guesser cannot lock a
colleague out of a browser or an address that has not failed, and every lock is logged."""

from __future__ import annotations

import asyncio
import re
import time

import httpx
import pytest
from sqlalchemy import select

from console import auth
from storage.models import AuditEntry
from tests.conftest import LiveServer
from tests.console_helpers import PASSWORD, Console, add_staff
from tests.test_status import cli


def from_address(server: LiveServer, address: str) -> Console:
    """A browser on another machine: loopback has 127.0.0.0/8 to connect from."""
    console = Console(server.url)
    transport = httpx.AsyncHTTPTransport(local_address=address)
    console.http = httpx.AsyncClient(base_url=server.url, transport=transport, timeout=30)
    return console


async def guess(server: LiveServer, login: str, password: str) -> int:
    c = Console(server.url)
    try:
        return (await c.login(login, password)).status_code
    finally:
        await c.aclose()


async def test_concurrent_guesses_get_no_more_checks_than_the_limit(
    server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    await add_staff(server.app.state.runtime, "aigul", regions=("kostanay",))
    checks = 0
    real = auth._verify

    def counted(stored: str, password: str) -> bool:
        nonlocal checks
        checks += 1
        return real(stored, password)

    monkeypatch.setattr(auth, "_verify", counted)
    codes = await asyncio.gather(*(guess(server, "aigul", f"wrong {n}") for n in range(30)))
    assert checks <= 5, f"{checks} passwords were checked for 30 simultaneous guesses"
    assert codes.count(401) == checks and codes.count(429) == 30 - checks


async def test_password_checks_do_not_stall_the_server(
    server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    await add_staff(server.app.state.runtime, "aigul", regions=("kostanay",))
    real = auth._verify

    def slow(stored: str, password: str) -> bool:
        time.sleep(0.4)  # an expensive hash, holding whatever thread runs it
        return real(stored, password)

    monkeypatch.setattr(auth, "_verify", slow)
    signing_in = asyncio.create_task(guess(server, "aigul", PASSWORD))
    await asyncio.sleep(0.1)
    async with httpx.AsyncClient(base_url=server.url) as c:
        started = time.monotonic()
        assert (await c.get("/healthz")).status_code == 200
        took = time.monotonic() - started
    assert await signing_in == 303
    assert took < 0.3, f"/healthz waited {took:.2f} s behind a password check"


async def test_a_guesser_cannot_lock_out_the_real_person(server: LiveServer) -> None:
    runtime = server.app.state.runtime
    await add_staff(runtime, "admin", role="admin")
    owner = from_address(server, "127.0.0.1")
    assert (await owner.login("admin")).status_code == 303  # their usual browser
    await owner.http.post("/console/logout", data={"csrf": owner.csrf})
    attacker = from_address(server, "127.0.0.2")
    for n in range(5):
        assert (await attacker.login("admin", f"guess {n}")).status_code == 401
    locked = await attacker.login("admin")  # even the right password, from there
    assert locked.status_code == 429
    elsewhere = from_address(server, "127.0.0.3")  # a colleague's machine that never failed
    assert (await elsewhere.login("admin")).status_code == 303
    assert (await owner.login("admin")).status_code == 303
    async with runtime.db.sessions() as s:
        locks = list(
            await s.scalars(select(AuditEntry).where(AuditEntry.action == "sign_in_locked"))
        )
    assert len(locks) == 1 and locks[0].staff_login == "admin"
    assert re.search(r"login_ip 127\.0\.0\.2", locks[0].detail or "")
    for c in (owner, attacker, elsewhere):
        await c.aclose()


async def test_guessing_from_many_addresses_stops_at_the_login_limit(server: LiveServer) -> None:
    runtime = server.app.state.runtime
    await add_staff(runtime, "aigul", regions=("kostanay",))
    owner = Console(server.url)
    assert (await owner.login("aigul")).status_code == 303  # known browser: device cookie
    limit = runtime.settings.console_login_attempts * 10
    codes = []
    for n in range(limit + 2):
        guesser = from_address(server, f"127.0.{1 + n // 4}.{10 + n % 4}")
        codes.append((await guesser.login("aigul", f"guess {n}")).status_code)
        await guesser.aclose()
    assert codes[:limit] == [401] * limit and codes[limit:] == [429, 429]
    fresh = from_address(server, "127.0.99.1")  # a new browser now waits too…
    assert (await fresh.login("aigul")).status_code == 429
    assert (await owner.login("aigul")).status_code == 303  # …but not the person's own
    result = await cli(runtime.settings, "users", "unlock", "aigul")
    assert result.exit_code == 0, result.output
    assert (await fresh.login("aigul")).status_code == 303, "an admin let the new browser in"
    for c in (owner, fresh):
        await c.aclose()
