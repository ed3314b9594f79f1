"""The content studio in headless Chromium, as two editors and a person use it: the Pavlodar
housing page is changed in Kazakh, the Telegram and WhatsApp previews show the change, a
figure without a source is refused with its line, the fixed text goes for review, a second
editor publishes it, the web chat answers with the new text without a restart, Russian and
English show as stale, and a rollback brings the old text back.

Needs Debian's Chromium at /usr/bin/chromium; skipped without it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from bot.app import create_app
from tests.conftest import LiveServer, make_settings
from tests.console_helpers import PASSWORD, add_staff
from tests.test_console_browser import DESKTOP, TIMEOUT_MS, screenshot

PAGE = "regions/pavlodar/housing.kk.md"
NEW = "Жаңа сөйлем: Павлодарда баспана іздеуді ерте бастаңыз."
BAD = "Бір бөлмелі пәтер 150 000 теңге тұрады."


pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("package_kept")]


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'qonys.db'}"
    app = create_app(make_settings(tmp_path, url, default_locale="kk"))
    async with LiveServer(app) as live:
        live.app = app  # type: ignore[attr-defined]
        yield live


async def editor(browser: Browser, url: str, login: str) -> Page:
    context = await browser.new_context(base_url=url, locale="kk-KZ", **DESKTOP)
    context.set_default_timeout(TIMEOUT_MS)
    page = await context.new_page()
    await page.goto("/console/login")
    await page.locator('input[name="login"]').fill(login)
    await page.locator('input[name="password"]').fill(PASSWORD)
    await page.locator("form.login button.primary").click()
    await expect(page).to_have_url(f"{url}/console/content")
    return page


async def with_first_line(page: Page, line: str, body: str) -> None:
    """`line` first in the page's text (its front matter is in the fields above), as typed."""
    box = page.locator("#body")
    await box.fill(f"{line}\n\n{body.lstrip()}")
    await box.press("End")  # an input event, as typing makes


async def ask_in_web_chat(browser: Browser, url: str) -> str:
    context = await browser.new_context(base_url=url, locale="kk-KZ", **DESKTOP)
    page = await context.new_page()
    await page.goto("/")
    for action in ("lang:kk", "t:pavlodar:housing"):
        await page.evaluate(
            "a => fetch('/api/chat/messages', {method: 'POST', headers: {'Content-Type': "
            "'application/json'}, body: JSON.stringify({action: a})})", action)  # fmt: skip
    await page.reload()
    await expect(page.locator("#log .msg.bot").last).to_be_visible()
    text = await page.locator("#log").inner_text()
    await context.close()
    return text


async def test_an_editor_changes_a_page_and_a_second_publishes_it(
    server: LiveServer, browser: Browser
) -> None:
    runtime = server.app.state.runtime
    await add_staff(runtime, "aigerim", "editor")
    await add_staff(runtime, "bolat", "editor")
    aigerim = await editor(browser, server.url, "aigerim")
    await aigerim.goto(f"/console/content/edit?doc={PAGE}")
    await expect(aigerim.locator("#title")).not_to_have_value("")  # the front matter as fields
    original = await aigerim.locator("#body").input_value()

    await with_first_line(aigerim, BAD, original)
    findings = aigerim.locator("#studio-check .findings .error")
    await expect(findings.first).to_contain_text("150 000")
    await expect(findings.first).to_contain_text("15")  # the line it is on

    await with_first_line(aigerim, NEW, original)
    await expect(findings).to_have_count(0)
    previews = aigerim.locator("#studio-check .preview")
    await expect(previews.filter(has_text="Telegram")).to_contain_text(NEW)
    await expect(previews.filter(has_text="WhatsApp")).to_contain_text(NEW)
    await aigerim.evaluate("window.scrollTo(0, 0)")
    await screenshot(aigerim, "studio-edit.png")
    await aigerim.locator("#reason").fill("Баспана туралы кеңес")
    await aigerim.locator('button[name="submit"]').click()
    await expect(aigerim).to_have_url(f"{server.url}/console/content/history?doc={PAGE}")
    assert NEW not in await ask_in_web_chat(browser, server.url)

    bolat = await editor(browser, server.url, "bolat")
    await bolat.goto("/console/content/review")
    await expect(bolat.locator(".review .diff")).to_contain_text(NEW)
    await bolat.locator('.review button[name="approve"]').click()
    await expect(bolat.locator(".review")).to_have_count(0)
    assert NEW in await ask_in_web_chat(browser, server.url)  # live, no restart

    await bolat.goto(f"/console/content/translate?page={PAGE[:-6]}")
    await expect(bolat.locator("th .state.review")).to_have_count(2)  # ru and en are stale

    # Back to the text as shipped: a change like any other, published after review.
    await bolat.goto(f"/console/content/history?doc={PAGE}")
    await bolat.locator("form.shipped button").click()
    await expect(bolat).to_have_url(f"{server.url}/console/content/review")
    aigerim_again = await editor(browser, server.url, "aigerim")
    await aigerim_again.goto("/console/content/review")
    await aigerim_again.locator('.review button[name="approve"]').click()
    await expect(aigerim_again.locator(".review")).to_have_count(0)
    assert NEW not in await ask_in_web_chat(browser, server.url)
