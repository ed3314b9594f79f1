"""What an operator relies on: no secrets or identifiers in the access log, /healthz that
notices when writes fail, files readable by the service alone, WhatsApp webhooks that survive
hostile nesting and replays, console notices that no URL can write, and a reproducible
install."""

from __future__ import annotations

import asyncio
import logging
import stat
import time
import tomllib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlalchemy import func, select, text

from bot.app import create_app
from storage.models import Message
from tests.conftest import LiveServer, make_settings
from tests.console_helpers import Console, add_staff
from tests.fakes.whatsapp_api import FakeGraphAPI

ROOT = Path(__file__).resolve().parents[1]
SECRET, VERIFY = "app-secret-for-tests", "verify-token-SECRET-4711"


FAIL_WRITES = {
    "sqlite": [
        f"CREATE TRIGGER full_{t} BEFORE INSERT ON {t} BEGIN "
        "SELECT RAISE(FAIL, 'database or disk is full'); END"
        for t in ("health_probes", "messages")
    ],
    "postgresql": [
        "CREATE FUNCTION disk_full() RETURNS trigger AS $$ BEGIN "
        "RAISE EXCEPTION 'could not extend file: No space left on device'; END $$ "
        "LANGUAGE plpgsql",
        *(
            f"CREATE TRIGGER full_{t} BEFORE INSERT ON {t} FOR EACH ROW "
            "EXECUTE FUNCTION disk_full()"
            for t in ("health_probes", "messages")
        ),
    ],
}
DROP_ON = {True: "", False: " ON {}"}


@pytest.fixture
async def wa(tmp_path: Path, database_url: str) -> AsyncIterator[LiveServer]:
    settings = make_settings(
        tmp_path / "data",
        database_url,
        whatsapp_phone_number_id="100200300",
        whatsapp_access_token="token",
        whatsapp_app_secret=SECRET,
        whatsapp_verify_token=VERIFY,
        whatsapp_api_base="http://127.0.0.1:9",
    )
    async with LiveServer(create_app(settings)) as live:
        yield live


async def test_the_access_log_keeps_no_secrets_or_numbers(
    tmp_path: Path, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(
        tmp_path, database_url, whatsapp_phone_number_id="1", whatsapp_access_token="t",
        whatsapp_app_secret=SECRET, whatsapp_verify_token=VERIFY,
    )  # fmt: skip
    live = LiveServer(create_app(settings))
    config = uvicorn.Config(live.app, host="127.0.0.1", port=live.port, log_level="info")
    live.server = uvicorn.Server(config)  # with its access log on
    access = logging.getLogger("uvicorn.access")
    access.addHandler(caplog.handler)
    async with live, httpx.AsyncClient(base_url=live.url) as c:
        params = {"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "42"}
        assert (await c.get("/webhooks/whatsapp", params=params)).text == "42"
        await c.get("/console/applications", params={"number": "KZ-PAV-77"})
        await c.get("/api/v1/applications/KZ-PAV-78")
    access.removeHandler(caplog.handler)
    lines = [r.getMessage() for r in caplog.records if r.name == "uvicorn.access"]
    assert len(lines) >= 3
    for line in lines:
        assert "SECRET-4711" not in line and "KZ-PAV-7" not in line, line
    assert any("/webhooks/whatsapp?…" in line for line in lines)


async def test_health_says_unhealthy_when_writes_fail(server: LiveServer) -> None:
    runtime = server.app.state.runtime
    async with httpx.AsyncClient(base_url=server.url) as c:
        for _ in range(100):
            r = await c.get("/healthz")
            if r.status_code == 200:
                break
            await asyncio.sleep(0.05)
        assert r.status_code == 200
        # Every write now fails, as on a full disk, while reads still work.
        async with runtime.db.transaction() as s:
            for statement in FAIL_WRITES[runtime.db.engine.dialect.name]:
                await s.execute(text(statement))
        server.app.state.health_probe.at = float("-inf")  # no cached answer
        r = await c.get("/healthz")
        assert r.status_code == 503 and "cannot write" in r.json()["database"]
        r = await c.post("/api/chat/messages", json={"text": "/start"})
        assert r.status_code >= 500, "writes really fail"
        async with runtime.db.transaction() as s:
            for table in ("health_probes", "messages"):
                await s.execute(
                    text(f"DROP TRIGGER full_{table}" + DROP_ON[runtime.db.is_sqlite].format(table))
                )
        server.app.state.health_probe.at = float("-inf")
        assert (await c.get("/healthz")).status_code == 200


async def test_files_are_created_for_the_service_alone(wa: LiveServer) -> None:
    settings = wa.app.state.runtime.settings
    async with httpx.AsyncClient(base_url=wa.url) as c:
        await c.post("/api/chat/messages", json={"text": "/start"})
    settings.resolved_secret_key()
    data_dir = settings.data_dir
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    found = [p for p in data_dir.rglob("*")]
    if wa.app.state.runtime.db.is_sqlite:
        found += [Path(wa.app.state.runtime.db.engine.url.database or "")]
    assert found
    for path in found:
        if path.exists():
            assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, f"{path} is open to others"


async def test_whatsapp_survives_deep_nesting_and_replays(wa: LiveServer) -> None:
    hook = f"{wa.url}/webhooks/whatsapp"
    deep = ("[" * 100_000 + "]" * 100_000).encode()
    nested = b'{"entry": ' + deep + b"}"
    async with httpx.AsyncClient() as c:
        for body in (nested, b'{"a":' * 50 + b"1" + b"}" * 50):
            r = await c.post(
                hook,
                content=body,
                headers={"x-hub-signature-256": FakeGraphAPI.sign(body, SECRET),
                         "content-type": "application/json"},
            )  # fmt: skip
            assert r.status_code == 400
    fake = FakeGraphAPI(token="token")
    old = fake.make_text("77011234567", "replayed after the ids were forgotten")
    message = old["entry"][0]["changes"][0]["value"]["messages"][0]
    message["timestamp"] = str(int(time.time()) - 8 * 86400)
    status, _ = await fake.post_webhook(hook, old, app_secret=SECRET)
    assert status == 200
    fresh = fake.make_text("77011234567", "a new message")
    assert (await fake.post_webhook(hook, fresh, app_secret=SECRET))[0] == 200
    async with wa.app.state.runtime.db.sessions() as s:
        texts = list(await s.scalars(select(Message.text).where(Message.direction == "in")))
        assert texts == ["a new message"]
        assert await s.scalar(select(func.count()).select_from(Message)) >= 1


async def test_console_notices_come_from_the_server_not_the_url(server: LiveServer) -> None:
    await add_staff(server.app.state.runtime, "dana", role="supervisor")
    worker = Console(server.url)
    await worker.login("dana")
    for path in ("/console/applications", "/console/slots"):
        page = await worker.get(path, params={"result": "Call 8-700-000 now: your quota is lost"})
        assert page.status_code == 200 and "quota is lost" not in page.text
    await worker.aclose()


def test_installs_are_pinned_by_a_lock_file() -> None:
    lock = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    pinned = {
        line.split("==")[0].strip().lower().replace("_", "-")
        for line in lock.splitlines()
        if "==" in line and not line.startswith("#")
    }
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    for spec in project["dependencies"] + project["optional-dependencies"]["test"]:
        name = spec.split("[")[0].split(">")[0].split("=")[0].split("<")[0].strip().lower()
        assert name.replace("_", "-") in pinned, f"{name} is not pinned"
    assert "-c requirements.lock" in (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "requirements.lock" in (ROOT / "deploy" / "Containerfile").read_text(encoding="utf-8")
