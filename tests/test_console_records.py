"""Staff-side records in the console: a new status reaches the application's subscribers, a
CSV with another region's row imports nothing, visit times open only at one's own offices,
and supervisors' ready replies appear in the reply box."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from storage import appointments as appts
from storage.models import (
    Application,
    ApplicationEvent,
    Case,
    Contact,
    Message,
    Slot,
    StatusSubscription,
)
from tests.conftest import LiveServer
from tests.console_helpers import Console, add_staff


async def test_a_new_status_from_the_console_is_messaged_to_subscribers(server: LiveServer) -> None:
    runtime = server.app.state.runtime
    await add_staff(runtime, "dana", regions=("pavlodar",))
    async with runtime.db.transaction() as s:
        contact = Contact(channel="web", external_id="p1", locale="ru", step_data={})
        contact.last_buttons = []
        app = Application(number="PV-7", programme="resettler", region="pavlodar",
                          status="received", status_date=date(2026, 11, 2))  # fmt: skip
        s.add_all([contact, app])
        await s.flush()
        s.add(StatusSubscription(contact_id=contact.id, application_id=app.id))
    worker = Console(server.url)
    await worker.login("dana")
    page = await worker.get("/console/applications", params={"number": "PV-7"})
    assert "PV-7" in page.text and 'name="status"' in page.text
    r = await worker.post(
        "/console/applications/PV-7/status", {"status": "review", "status_date": "2026-11-20"}
    )
    assert r.status_code == 303
    assert "Сохранено." in (await worker.get(r.headers["location"])).text
    async with runtime.db.sessions() as s:
        assert (await s.scalar(select(Application))).status == "review"
        event = await s.scalar(select(ApplicationEvent).where(ApplicationEvent.status == "review"))
        assert event.source == "console:dana"
        told = await s.scalar(select(Message).where(Message.direction == "out"))
    assert told is not None and told.contact_id == contact.id
    bad = await worker.post(
        "/console/applications/PV-7/status", {"status": "no_such", "status_date": "2026-11-21"}
    )
    shown = (await worker.get(bad.headers["location"])).text
    assert "Сохранено." not in shown and "no_such" in shown
    await worker.aclose()


async def test_a_csv_with_another_regions_row_imports_nothing(server: LiveServer) -> None:
    runtime = server.app.state.runtime
    await add_staff(runtime, "dana", regions=("pavlodar",))
    worker = Console(server.url)
    await worker.login("dana")
    csv = (
        "application_no,programme,region,phone,iin,birth_date,status,status_date\n"
        "PV-1,resettler,pavlodar,,,,received,2026-11-02\n"
        "KS-1,resettler,kostanay,,,,received,2026-11-02\n"
    )
    files = {"file": ("statuses.csv", csv.encode(), "text/csv")}
    r = await worker.http.post(
        "/console/applications/import", data={"csrf": worker.csrf}, files=files
    )
    assert r.status_code == 303
    shown = (await worker.get(r.headers["location"])).text
    assert "region &#39;kostanay&#39; is not one of yours" in shown and "3:" in shown
    ours = {"file": ("statuses.csv", csv.rsplit("KS-1", 1)[0].encode(), "text/csv")}
    r = await worker.http.post(
        "/console/applications/import", data={"csrf": worker.csrf}, files=ours
    )
    assert "Импортировано: 1" in (await worker.get(r.headers["location"])).text
    async with runtime.db.sessions() as s:
        assert [a.number for a in await s.scalars(select(Application))] == ["PV-1"]
    await worker.aclose()


async def test_visit_times_open_only_at_ones_own_offices(server: LiveServer) -> None:
    runtime = server.app.state.runtime
    await add_staff(runtime, "dana", regions=("pavlodar",))
    async with runtime.db.transaction() as s:
        for oid, region in (("pv-cc", "pavlodar"), ("ks-cc", "kostanay")):
            office = appts.OfficeIn(id=oid, region=region, name={"ru": oid}, address={"ru": "—"},
                                    services=["consultation"])  # fmt: skip
            await appts.save_office(s, office)
    worker = Console(server.url)
    await worker.login("dana")
    page = await worker.get("/console/slots")
    assert "pv-cc" in page.text and "ks-cc" not in page.text
    plan = {"date_from": "2026-11-23", "date_to": "2026-11-29", "first": "09:00",
            "last": "10:00", "every_minutes": "30", "minutes": "30", "service": "any"}  # fmt: skip
    r = await worker.post("/console/slots", {"office": "pv-cc", **plan})
    assert r.status_code == 303
    assert (await worker.post("/console/slots", {"office": "ks-cc", **plan})).status_code == 404
    async with runtime.db.sessions() as s:
        by_office = dict(
            (await s.execute(select(Slot.office_id, func.count()).group_by(Slot.office_id))).all()
        )
    assert by_office == {"pv-cc": 5 * 2}, "Monday to Friday, 09:00 and 09:30 (10:00 is the end)"
    await worker.aclose()


async def test_ready_replies_are_kept_by_supervisors_and_offered_in_the_reply_box(
    server: LiveServer,
) -> None:
    runtime = server.app.state.runtime
    await add_staff(runtime, "dana", regions=("pavlodar",))
    await add_staff(runtime, "boss", role="supervisor")
    boss = Console(server.url)
    await boss.login("boss")
    text = "Справку выдаёт ЦОН по месту жительства."
    await boss.post("/console/canned", {"locale": "ru", "title": "Справка", "text": text})
    async with runtime.db.transaction() as s:
        contact = Contact(channel="web", external_id="p2", locale="ru", step_data={})
        contact.last_buttons = []
        s.add(contact)
        await s.flush()
        case = Case(contact_id=contact.id, region="pavlodar", topic="documents")
        s.add(case)
    worker = Console(server.url)
    await worker.login("dana")
    page = await worker.get(f"/console/cases/{case.id}")
    assert f'data-text="{text}"' in page.text and "ru · Справка" in page.text
    await boss.aclose()
    await worker.aclose()
