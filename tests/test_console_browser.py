"""A caseworker in the console and a person in the web chat, both in headless Chromium, against
the real app: the request appears in the queue live over Server-Sent Events, the caseworker
answers, the answer reaches the chat, the case is closed and rated.

Needs Debian's Chromium at /usr/bin/chromium (`apt-get install chromium`); the module is skipped
without it. QONYS_SCREENSHOTS=1 also writes the README screenshots to docs/screenshots/.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Locator, Page, expect
from sqlalchemy import func, select

from bot.app import create_app
from storage.models import Case, Message
from tests.conftest import CHROMIUM, LiveServer, eventually, make_settings
from tests.console_helpers import PASSWORD, add_staff

if not CHROMIUM.exists():
    pytest.skip(
        "Chromium is not installed at /usr/bin/chromium (apt-get install -y chromium)",
        allow_module_level=True,
    )
pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "docs" / "screenshots"
DESKTOP = {"viewport": {"width": 1366, "height": 768}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
TIMEOUT_MS = 10_000

QUESTION = "Где получить справку о составе семьи?"
ANSWER = "Здравствуйте! Справку выдаёт ЦОН по месту жительства, с собой нужно удостоверение."

expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture
async def server(tmp_path: Path, database_url: str) -> AsyncIterator[LiveServer]:
    app = create_app(make_settings(tmp_path, database_url, default_locale="ru"))
    async with LiveServer(app) as live:
        live.app = app  # type: ignore[attr-defined]
        yield live


def last_bot(page: Page) -> Locator:
    return page.locator("#log .msg.bot").last


async def press(page: Page, action: str) -> None:
    """Press a button of the last bot message by its action."""
    await last_bot(page).locator(f'.buttons button[data-action="{action}"]').click()


async def write(page: Page, text: str) -> None:
    await page.locator("#text").fill(text)
    await page.locator("#text").press("Enter")


async def screenshot(page: Page, name: str) -> None:
    if os.environ.get("QONYS_SCREENSHOTS") == "1":
        await page.mouse.move(0, 0)  # no button left in its hover colour
        await page.wait_for_timeout(1000)  # nor in the fading tap highlight
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SCREENSHOTS / name))


async def signed_in(browser: Browser, url: str, login: str) -> tuple[BrowserContext, Page]:
    """A desktop browser with `login` signed in to the console, on its front page."""
    desk = await browser.new_context(base_url=url, locale="ru-RU", **DESKTOP)
    desk.set_default_timeout(TIMEOUT_MS)
    page = await desk.new_page()
    await page.goto("/console/login")
    await page.locator('input[name="login"]').fill(login)
    await page.locator('input[name="password"]').fill(PASSWORD)
    await page.locator("form.login button.primary").click()
    await expect(page).to_have_url(f"{url}/console")
    return desk, page


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_request_appears_live_is_answered_closed_and_rated(
    server: LiveServer, browser: Browser
) -> None:
    runtime = server.app.state.runtime  # type: ignore[attr-defined]
    await add_staff(runtime, "aigul", regions=("kostanay",))

    # The caseworker signs in and finds nobody waiting.
    desk, console = await signed_in(browser, server.url, "aigul")
    queue = console.locator("#queue")
    await expect(queue.locator("p.empty")).to_be_visible()
    await expect(queue.locator("table")).to_have_count(0)
    await expect(console).not_to_have_title(re.compile(r"^\("))

    # The person asks for a caseworker from a phone.
    phone = await browser.new_context(base_url=server.url, locale="ru-RU", **PHONE)
    phone.set_default_timeout(TIMEOUT_MS)
    chat = await phone.new_page()
    await chat.goto("/")
    await press(chat, "lang:ru")
    await expect(chat.locator("html")).to_have_attribute("lang", "ru")
    await write(chat, "оператор")
    await press(chat, "hfok")
    await press(chat, "hft:documents")
    await press(chat, "hfr:documents:kostanay")
    await expect(last_bot(chat).locator(".bubble")).to_contain_text("Костанай")
    await write(chat, QUESTION)
    # Confirmed at once although nobody answers it yet: a human holds the chat now.
    await expect(chat.locator("#log .msg.user .bubble").last).to_have_text(QUESTION)
    await expect(chat.locator("#log .msg.user.pending")).to_have_count(0, timeout=3000)

    # The queue fills without a reload, and the tab counts the waiting person.
    link = queue.locator('a[href^="/console/cases/"]')
    await expect(link).to_have_count(1)
    await expect(console).to_have_title(re.compile(r"^\(1\) "))
    await expect(console.locator("#waiting-badge")).to_have_text("1")
    await screenshot(console, "console-queue.png")

    await link.click()
    await expect(console).to_have_url(re.compile(r"/console/cases/\d+$"))
    transcript = console.locator("#transcript")
    await expect(transcript.locator(".msg.in .text").last).to_have_text(QUESTION)
    await console.locator("form.reply textarea[name=text]").fill(ANSWER)
    await console.locator("form.reply button.primary").click()
    await expect(transcript.locator(".msg.agent .text")).to_have_text([ANSWER])
    await screenshot(console, "console-case.png")

    # The answer reaches the chat, signed with the caseworker's name.
    agent = chat.locator("#log .msg.agent")
    await expect(agent.locator(".bubble")).to_have_text([ANSWER])
    await expect(agent.locator(".who")).to_have_text("👤 Aigul")
    await expect(chat.locator("#log .msg.user.pending")).to_have_count(0)
    await expect(chat.locator("#log .msg.user .bubble").last).to_have_text(QUESTION)
    await screenshot(chat, "webchat-caseworker.png")

    # The caseworker closes the case; the person rates it.
    close = console.locator('form[action$="/close"]')
    await close.locator('select[name="outcome"]').select_option("answered")
    await close.locator("button").click()
    await expect(console).to_have_url(f"{server.url}/console")
    rating = last_bot(chat).locator('.buttons button[data-action^="rt:"]')
    await expect(rating).to_have_text(["1", "2", "3", "4", "5"])
    await rating.filter(has_text=re.compile(r"^5$")).click()

    async def rated() -> Case | None:
        async with runtime.db.sessions() as s:
            case = await s.scalar(select(Case))
        return case if case is not None and case.rating is not None else None

    case = await eventually(rated)
    assert (case.status, case.rating, case.outcome) == ("closed", 5, "answered")
    await phone.close()
    await desk.close()


async def test_a_supervisor_builds_a_segment_sends_a_campaign_and_watches_it(
    tmp_path: Path, browser: Browser
) -> None:
    # Two full runs once hung in here (not reproduced since): a hang fails with where it was.
    async with asyncio.timeout(120):
        from tests.test_campaigns import WOMAN, person

        settings = make_settings(
            tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'q.db'}",
            campaign_tick_seconds=0.1, quiet_hours="00:00-00:00",
        )  # fmt: skip
        async with LiveServer(create_app(settings)) as server:
            runtime = server.app.state.runtime
            await add_staff(runtime, "dana", role="supervisor")
            for i in range(3):
                await person(runtime, f"w{i}", **WOMAN)
            await person(runtime, "w-north", **{**WOMAN, "origin_region": "almaty"})
            await person(runtime, "man", **{**WOMAN, "gender": "male"})

            desk, page = await signed_in(browser, server.url, "dana")
            await page.goto("/console/campaigns")

            # The size follows each tick without a reload.
            await page.locator('a[href="/console/segments/new"]').click()
            size = page.locator("#segment-size strong")
            await expect(size).to_contain_text("5")
            await page.locator('input[name="name"]').fill("Әйелдер 18–35, Түркістан")
            await page.locator('input[name="gender"][value="female"]').check()
            await expect(size).to_contain_text("4")
            await page.locator('input[name="origin_region"][value="turkistan"]').check()
            await expect(size).to_contain_text("3")
            await screenshot(page, "console-segment.png")
            await page.locator("#segment-form button.primary").click()

            # A campaign for the segment: the plan says who gets it before anything is sent.
            await page.locator('a[href^="/console/campaigns/new?segment="]').first.click()
            await page.locator('input[name="name"]').fill("Әйелдерге арналған пакет")
            await page.locator('textarea[name="text_kk"]').fill(
                "Сәлеметсіз бе! Әйелдерге арналған жаңа ақпарат пакеті дайын."
            )
            await page.locator('input[name="buttons"][value="p:women"]').check()
            await page.locator("form button.primary").click()
            await expect(page.locator("main")).to_contain_text("Әйелдерге арналған жаңа")
            await screenshot(page, "console-campaign.png")

            # Sent now: the progress bar fills by itself as the messages go out.
            await page.locator('button[name="at"][value=""]').click()
            await expect(page.locator("#progress progress")).to_have_attribute(
                "value", "3", timeout=20_000
            )
            async with runtime.db.sessions() as s:
                sent = await s.scalar(
                    select(func.count()).where(Message.campaign_id.is_not(None),
                                               Message.status == "sent")
                )  # fmt: skip
            assert sent == 3, "the three women from Turkistan, nobody else"
            await desk.close()
