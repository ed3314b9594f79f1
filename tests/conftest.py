"""Shared fixtures. Database tests run on SQLite always and on PostgreSQL when
TEST_DATABASE_URL names a server (`.ci/run` sets it); otherwise those cases are skipped."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.runtime import Runtime
from bot.settings import Settings, async_database_url

PG_URL = os.environ.get("TEST_DATABASE_URL")
NO_PG = "PostgreSQL tests need TEST_DATABASE_URL (e.g. postgresql://postgres@127.0.0.1/test)"

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgres",
        id="postgres",
        marks=[pytest.mark.postgres, pytest.mark.skipif(not PG_URL, reason=NO_PG)],
    ),
]


async def reset_postgres(url: str) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'qonys.db'}"
    url = async_database_url(PG_URL or "")
    await reset_postgres(url)
    return url


def make_settings(tmp_path: Path, database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "data_dir": tmp_path,
        "secret_key": "test-secret",
        "telegram_bot_token": None,
        "public_url": None,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path, database_url)


@pytest.fixture
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    rt = Runtime(settings)
    await rt.migrate()
    yield rt
    await rt.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """The real ASGI app under uvicorn on a loopback port, inside the test's event loop."""

    def __init__(self, app: object, port: int | None = None) -> None:
        self.app: Any = app
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.task: asyncio.Task | None = None

    async def __aenter__(self) -> LiveServer:
        self.task = asyncio.create_task(self.server.serve())
        for _ in range(200):
            if self.server.started:
                return self
            if self.task.done():
                self.task.result()
            await asyncio.sleep(0.05)
        raise RuntimeError("server did not start")

    async def __aexit__(self, *exc: object) -> None:
        self.server.should_exit = True
        if self.task:
            await asyncio.wait_for(self.task, 15)


@pytest.fixture
async def server(settings: Settings) -> AsyncIterator[LiveServer]:
    """The whole app (web chat, console, API) under uvicorn; `server.app` is the FastAPI app."""
    from bot.app import create_app

    async with LiveServer(create_app(settings)) as live:
        yield live


async def eventually(check, within: float = 10.0, interval: float = 0.05):  # type: ignore[no-untyped-def]
    """Poll an async or sync predicate until it returns something truthy."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {within}s")
        await asyncio.sleep(interval)


@pytest.fixture
def package_kept() -> Iterator[None]:
    """A publish swaps the package of the whole process: put the one before back afterwards
    (kept, not rebuilt). For the content studio's tests."""
    from content import package, procedures, questionnaire

    package.get_package()
    saved = [(m._live, dict(m._live)) for m in (package, procedures, questionnaire)]
    yield
    for live, before in saved:
        live.clear()
        live.update(before)


CHROMIUM = Path("/usr/bin/chromium")  # Debian's package; browser tests skip without it
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    """Headless Chromium for the console and studio browser tests (async Playwright)."""
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium (apt-get install -y chromium)")
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        b = await p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield b
        finally:
            await b.close()
