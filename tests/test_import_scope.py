"""Imports act only on the importer's regions and never re-key an application: the outside
probe's takeover (a Kostanay caseworker importing a row for a Pavlodar application with their
own phone and IIN) is refused whole, through the console, the CLI and the API alike."""

from __future__ import annotations

from datetime import date

import httpx
from sqlalchemy import select

from bot import iin as iins
from bot.runtime import Runtime
from storage.models import Application, ApplicationEvent, AuditEntry
from tests.conftest import LiveServer
from tests.console_helpers import Console, add_staff
from tests.test_status import cli

HEADER = "application_no,programme,region,phone,iin,birth_date,status,status_date\n"
TAKEOVER = (
    "KZ-PAV-1,resettler,kostanay,+77470000666,850101400120,1985-01-01,not_included,2026-12-01\n"
)
OWN_IIN = "061211600012"


async def pavlodar_application(runtime: Runtime) -> None:
    secret = runtime.settings.resolved_secret_key()
    async with runtime.db.transaction() as s:
        s.add(
            Application(
                number="KZ-PAV-1",
                programme="resettler",
                region="pavlodar",
                phone="77011112233",
                iin_hash=iins.keyed_hash(secret, OWN_IIN),
                birth_date=date(1990, 5, 5),
                status="received",
                status_date=date(2026, 11, 20),
            )
        )


async def unchanged(runtime: Runtime) -> Application:
    async with runtime.db.sessions() as s:
        app = await s.scalar(select(Application).where(Application.number == "KZ-PAV-1"))
        events = list(await s.scalars(select(ApplicationEvent)))
    secret = runtime.settings.resolved_secret_key()
    assert (app.region, app.phone, app.status) == ("pavlodar", "77011112233", "received")
    assert app.iin_hash == iins.keyed_hash(secret, OWN_IIN) and app.birth_date == date(1990, 5, 5)
    assert events == [], "not even a history event was written"
    return app


async def upload(worker: Console, text: str) -> str:
    files = {"file": ("statuses.csv", text.encode(), "text/csv")}
    r = await worker.post("/console/applications/import", files=files)
    assert r.status_code == 303
    return (await worker.get(r.headers["location"])).text


async def test_a_caseworker_cannot_take_over_another_regions_application(
    server: LiveServer,
) -> None:
    runtime = server.app.state.runtime
    await pavlodar_application(runtime)
    await add_staff(runtime, "aigul", regions=("kostanay",))
    worker = Console(server.url)
    await worker.login("aigul")
    ours = "KZ-KOS-5,resettler,kostanay,,,,received,2026-12-01\n"
    shown = await upload(worker, HEADER + ours + TAKEOVER)
    assert "KZ-PAV-1 is of a region you do not cover" in shown
    assert "3:" in shown, "the refusal names the file's line"
    await unchanged(runtime)
    async with runtime.db.sessions() as s:
        assert await s.scalar(select(Application).where(Application.number == "KZ-KOS-5")) is None
    # The application still answers "not found" to the caseworker, as before.
    page = await worker.get("/console/applications", params={"number": "KZ-PAV-1"})
    assert "850101400120" not in page.text and "not_included" not in page.text
    await worker.aclose()


async def test_an_import_never_changes_who_the_application_belongs_to(server: LiveServer) -> None:
    runtime = server.app.state.runtime
    await pavlodar_application(runtime)
    await add_staff(runtime, "dana", role="supervisor")
    supervisor = Console(server.url)
    await supervisor.login("dana")
    rekey = "KZ-PAV-1,resettler,pavlodar,+77470000666,,,review,2026-12-01\n"
    shown = await upload(supervisor, HEADER + rekey)
    assert "phone differs from the application" in shown
    await unchanged(runtime)
    # A status-only row, and one that fills nothing new, still import.
    shown = await upload(supervisor, HEADER + "KZ-PAV-1,resettler,pavlodar,,,,review,2026-12-01\n")
    async with runtime.db.sessions() as s:
        app = await s.scalar(select(Application))
    assert app.status == "review" and app.phone == "77011112233"
    # The explicit, audited way: the supervisor corrects the phone with a reason.
    r = await supervisor.post(
        "/console/applications/KZ-PAV-1/identity",
        {"phone": "+7 747 000 0666", "reason": "the applicant changed SIM (call of 05.12)"},
    )
    assert r.status_code == 303
    async with runtime.db.sessions() as s:
        app = await s.scalar(select(Application))
        entry = await s.scalar(select(AuditEntry).where(AuditEntry.action == "change_identity"))
    assert app.phone == "77470000666"
    assert entry.staff_login == "dana" and "phone" in entry.detail and "SIM" in entry.detail
    assert "0666" not in entry.detail, "the log names the field, not the value"
    await supervisor.aclose()


async def test_a_caseworker_cannot_change_identity_directly(server: LiveServer) -> None:
    runtime = server.app.state.runtime
    await pavlodar_application(runtime)
    await add_staff(runtime, "berik", regions=("pavlodar",))
    worker = Console(server.url)
    await worker.login("berik")
    r = await worker.post(
        "/console/applications/KZ-PAV-1/identity", {"phone": "+77470000666", "reason": "x"}
    )
    assert r.status_code == 403
    await unchanged(runtime)
    await worker.aclose()


async def test_the_cli_import_keeps_identity_unless_told(runtime: Runtime, tmp_path) -> None:  # type: ignore[no-untyped-def]
    await pavlodar_application(runtime)
    path = tmp_path / "statuses.csv"
    path.write_text(HEADER + TAKEOVER.replace("kostanay", "pavlodar"), encoding="utf-8")
    result = await cli(runtime.settings, "statuses", "import", str(path))
    assert result.exit_code != 0 and "differs from the application" in result.output
    await unchanged(runtime)
    result = await cli(runtime.settings, "statuses", "import", str(path), "--update-identity")
    assert result.exit_code == 0, result.output
    async with runtime.db.sessions() as s:
        assert (await s.scalar(select(Application))).phone == "77470000666"


async def test_api_tokens_act_only_on_their_regions(server: LiveServer) -> None:
    runtime = server.app.state.runtime
    settings = runtime.settings
    await pavlodar_application(runtime)
    kostanay = (await cli(settings, "tokens", "add", "kos", "--region", "kostanay")).output
    reader = (await cli(settings, "tokens", "add", "ro", "--all-regions", "--read-only")).output
    unscoped = await cli(settings, "tokens", "add", "nowhere")
    assert unscoped.exit_code != 0, "a token's scope is always stated"
    listed = (await cli(settings, "tokens", "list")).output
    assert "kos\tkostanay\tread-write" in listed and "ro\tall regions\tread-only" in listed

    def auth(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token.strip()}"}

    takeover = {
        "rows": [
            {"application_no": "KZ-PAV-1", "programme": "resettler", "region": "kostanay",
             "phone": "+77470000666", "status": "not_included", "status_date": "2026-12-01"}
        ]
    }  # fmt: skip
    async with httpx.AsyncClient(base_url=server.url) as c:
        r = await c.post("/api/v1/applications", json=takeover, headers=auth(kostanay))
        assert r.status_code == 422 and "region you do not cover" in r.text
        r = await c.get("/api/v1/applications/KZ-PAV-1", headers=auth(kostanay))
        assert r.status_code == 404
        r = await c.get("/api/v1/applications/KZ-PAV-1", headers=auth(reader))
        assert r.status_code == 200 and r.json()["region"] == "pavlodar"
        r = await c.post("/api/v1/applications", json=takeover, headers=auth(reader))
        assert r.status_code == 403
        office = {"id": "pv-1", "region": "pavlodar", "name": {"ru": "ПВ"},
                  "address": {"ru": "—"}, "services": []}  # fmt: skip
        r = await c.put("/api/v1/offices/pv-1", json=office, headers=auth(kostanay))
        assert r.status_code == 404
        r = await c.put("/api/v1/offices/pv-1", json=office, headers=auth(reader))
        assert r.status_code == 403
    await unchanged(runtime)
