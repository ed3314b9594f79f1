"""The security review as tests, for what test_console_security, test_telegram, test_whatsapp
and test_status leave open: CSRF tokens bound to their session, hostile text typed into the
chats shown literally in the console, region scope on slots, imports, reassignment and
campaigns, and forged button data that changes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import httpx
import pytest
from markupsafe import escape
from sqlalchemy import func, select

from bot.app import create_app
from bot.i18n import Translator
from bot.runtime import Runtime
from storage.models import (
    Application,
    Campaign,
    Case,
    Contact,
    Delivery,
    Message,
    Office,
    Profile,
    Slot,
    StatusSubscription,
    utcnow,
)
from tests.conftest import LiveServer, free_port, make_settings
from tests.console_helpers import Console, add_staff
from tests.fakes.telegram_api import FakeBotAPI
from tests.test_console_security import waiting_case
from tests.test_conversation import Chat

HOSTILE = [
    "<script>alert(1)</script>",
    "{{7*7}} {% for x in range(3) %}x{% endfor %}",
    "'; DROP TABLE contacts; --",
    '" onmouseover="alert(2)',
]
EN = Translator("en")


# ---- CSRF ----------------------------------------------------------------------------------


async def test_a_csrf_token_is_good_only_in_its_own_session(server: LiveServer) -> None:
    runtime = server.app.state.runtime
    await add_staff(runtime, "aigul", regions=("kostanay",))
    await add_staff(runtime, "berik", regions=("kostanay",))
    case_id = await waiting_case(runtime, "kostanay")
    first, second, other = Console(server.url), Console(server.url), Console(server.url)
    await first.login("aigul")
    await second.login("aigul")  # the same person in a second browser: a session of its own
    await other.login("berik")
    assert len({first.csrf, second.csrf, other.csrf}) == 3
    for victim, stolen in ((second, first.csrf), (other, first.csrf), (first, other.csrf)):
        r = await victim.http.post(f"/console/cases/{case_id}/claim", data={"csrf": stolen})
        assert r.status_code == 403
        r = await victim.http.post(
            f"/console/cases/{case_id}/note", data={"text": "x"}, headers={"X-CSRF-Token": stolen}
        )
        assert r.status_code == 403
    # After signing out and in again, the page's old token is dead too.
    old = first.csrf
    await first.post("/console/logout")
    await first.login("aigul")
    assert first.csrf != old
    r = await first.http.post(f"/console/cases/{case_id}/claim", data={"csrf": old})
    assert r.status_code == 403
    async with runtime.db.sessions() as s:
        case = await s.get(Case, case_id)
        assert (case.status, case.assignee_id) == ("waiting", None)
    assert (await first.post(f"/console/cases/{case_id}/claim")).status_code == 303
    for c in (first, second, other):
        await c.aclose()


# ---- hostile text through the chats, read in the console ----------------------------------


@pytest.fixture
async def with_telegram(
    tmp_path: Path, database_url: str
) -> AsyncIterator[tuple[LiveServer, FakeBotAPI]]:
    """The whole app with the web chat and a Telegram webhook (to a fake Bot API)."""
    async with FakeBotAPI() as fake:
        port = free_port()
        settings = make_settings(
            tmp_path,
            database_url,
            telegram_bot_token=fake.token,
            telegram_api_base=fake.base_url,
            public_url=f"http://127.0.0.1:{port}",
            telegram_rate_per_chat=1000.0,
        )
        async with LiveServer(create_app(settings), port=port) as live:
            await fake.wait_for_calls("setWebhook")
            yield live, fake


async def test_hostile_chat_text_is_shown_literally_in_the_console(with_telegram) -> None:  # type: ignore[no-untyped-def]
    live, fake = with_telegram
    runtime = live.app.state.runtime
    hook = f"{live.url}/webhooks/telegram"
    for text in HOSTILE:  # typed on Telegram, by a person whose name is hostile too
        update = fake.make_message(700_100_300, text, first_name="<b>Evil</b>{{7*7}}")
        assert (await fake.post_webhook(hook, update))[0] == 200
    async with httpx.AsyncClient(base_url=live.url) as visitor:
        for text in HOSTILE:  # and typed into the web chat
            assert (
                await visitor.post("/api/chat/messages", json={"text": text})
            ).status_code == 202
    async with runtime.db.transaction() as s:
        contacts = list(await s.scalars(select(Contact).order_by(Contact.id)))
        assert [c.channel for c in contacts] == ["telegram", "web"], "the tables are intact"
        for contact in contacts:
            # The person asked for a human and shared what they had written.
            first = await s.scalar(
                select(func.min(Message.id)).where(Message.contact_id == contact.id)
            )
            s.add(Case(contact_id=contact.id, region="kostanay", topic="documents",
                       context_from_id=first))  # fmt: skip
            # What a person answers in the profile questionnaire lands in the dossier.
            s.add(Profile(contact_id=contact.id, profession=HOSTILE[0], destination="kostanay"))
    async with runtime.db.sessions() as s:
        stored = list(await s.scalars(select(Message.text).where(Message.direction == "in")))
        assert all(text in stored for text in HOSTILE), "stored as typed, not run as SQL"
        case_ids = list(await s.scalars(select(Case.id).order_by(Case.id)))
    await add_staff(runtime, "aigul", regions=("kostanay",))
    worker = Console(live.url)
    await worker.login("aigul")
    pages = [await worker.get(f"/console/cases/{i}") for i in case_ids]
    pages.append(await worker.get("/console?view=region"))
    for page in pages:
        assert page.status_code == 200
        assert "<script>alert(1)" not in page.text and "<b>Evil" not in page.text
        assert 'onmouseover="alert' not in page.text
    assert "&lt;b&gt;Evil&lt;/b&gt;{{7*7}}" in pages[0].text, "the name, as typed"
    for page in pages[:2]:
        # Once in the transcript and once in the dossier (the profession).
        assert page.text.count(str(escape(HOSTILE[0]))) >= 2
        for text in HOSTILE:
            assert str(escape(text)) in page.text, text
        assert "xxx" not in page.text, "a Jinja loop typed by a person never runs"
    async with runtime.db.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Contact)) == 2
    await worker.aclose()


# ---- region scope -------------------------------------------------------------------------


async def test_a_caseworker_cannot_act_for_another_region(server: LiveServer) -> None:
    runtime = server.app.state.runtime
    await add_staff(runtime, "aigul", regions=("kostanay",))
    pavlodar_worker = await add_staff(runtime, "pavel", regions=("pavlodar",))
    await add_staff(runtime, "boss", role="supervisor")
    mine = await waiting_case(runtime, "kostanay")
    async with runtime.db.transaction() as s:
        s.add(
            Office(id="pv-centre", region="pavlodar", kind="career_centre", name={"ru": "Павлодар"},
                   address={}, services=["any"])
        )  # fmt: skip
        s.add(Campaign(name="Pavlodar news", topic="programme", texts={"ru": "x"},
                       buttons=[], created_by="boss"))  # fmt: skip
    worker = Console(server.url)
    await worker.login("aigul")
    # Opening times at another region's office.
    r = await worker.post(
        "/console/slots",
        {"office": "pv-centre", "date_from": "2026-12-07", "date_to": "2026-12-08"},
    )
    assert r.status_code == 404
    assert "pv-centre" not in (await worker.get("/console/slots")).text
    # Importing another region's applications, hidden among one's own.
    csv_text = (
        "application_no,programme,region,status,status_date\n"
        "KS-9,resettler,kostanay,received,2026-11-02\n"
        "PV-9,resettler,pavlodar,received,2026-11-02\n"
    )
    r = await worker.post(
        "/console/applications/import", files={"file": ("s.csv", csv_text.encode(), "text/csv")}
    )
    assert r.status_code == 303
    assert "is not one of yours" in (await worker.get(r.headers["location"])).text
    # Handing one's case to a caseworker of another region.
    r = await worker.post(f"/console/cases/{mine}/assign", {"to": str(pavlodar_worker)})
    assert r.status_code == 422
    # Campaigns and segments are the supervisors', whatever id is typed.
    for path in ("/console/campaigns/1", "/console/campaigns/1/edit", "/console/segments/new"):
        assert (await worker.get(path)).status_code == 403, path
    for path in ("/console/campaigns/1/schedule", "/console/campaigns/1/cancel"):
        assert (await worker.post(path)).status_code == 403, path
    async with runtime.db.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Slot)) == 0
        assert await s.scalar(select(func.count()).select_from(Application)) == 0
        assert (await s.get(Case, mine)).assignee_id is None
        assert (await s.get(Campaign, 1)).status == "draft"
    await worker.aclose()


# ---- forged button data -------------------------------------------------------------------


async def test_forged_buttons_change_nothing(runtime: Runtime) -> None:
    victim, attacker = Chat(runtime, "victim"), Chat(runtime, "attacker")
    for chat in (victim, attacker):
        await chat.say("/start")
        await chat.incoming(kind="action", action="lang:en")
    async with runtime.db.transaction() as s:
        ids = {c.external_id: c.id for c in await s.scalars(select(Contact))}
        campaign = Campaign(name="News", topic="programme", texts={"en": "x"}, buttons=["menu"],
                            created_by="boss", status="done")  # fmt: skip
        s.add(campaign)
        await s.flush()
        s.add(Delivery(campaign_id=campaign.id, contact_id=ids["victim"], channel="terminal"))
        closed = Case(contact_id=ids["victim"], region="kostanay", topic="documents",
                      status="closed", closed_at=utcnow(), first_response_at=utcnow())  # fmt: skip
        s.add(closed)
        app = Application(number="KS-7", programme="resettler", region="kostanay",
                          status="received", status_date=date(2026, 11, 2))  # fmt: skip
        s.add(app)
        await s.flush()
        cid, case_id, app_id = campaign.id, closed.id, app.id
    outdated = EN.gettext("This button no longer works. Here is the menu.")
    sorry = EN.gettext("Sorry, something went wrong on my side. Please try again in a minute.")
    forged = [
        f"nw:{cid}:evil",  # an action the campaign never offered
        "nw:99999999999999999999999:menu",  # ids past what any table holds
        "nw:²:menu",  # "²" is a digit to str.isdigit
        f"rt:{case_id}:1",  # rating the victim's case
        f"rt:{case_id}:5x",
        "rt:99999999999999999999999:5",
        "ab:99999999999999999999999:any",
        "ab:²:any",
        f"ss:{app_id}:0000000000ab",  # following an application without the signature
        f"su:{app_id}:é",
        "sb:women:maybe",
    ]
    for action in forged:
        said = await attacker.incoming(kind="action", action=action)
        assert outdated in said and sorry not in said, (action, said)
    # A real campaign id with a real button counts nothing for the one who never got it.
    said = await attacker.incoming(kind="action", action=f"nw:{cid}:menu")
    assert sorry not in said
    async with runtime.db.sessions() as s:
        deliveries = list(await s.scalars(select(Delivery)))
        assert [(d.contact_id, d.clicks) for d in deliveries] == [(ids["victim"], 0)]
        assert (await s.get(Case, case_id)).rating is None
        assert await s.scalar(select(func.count()).select_from(Slot)) == 0
        assert await s.scalar(select(func.count()).select_from(StatusSubscription)) == 0
