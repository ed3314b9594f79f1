"""The web chat driven end to end in headless Chromium against a real `qonys run` server.

Needs Debian's Chromium at /usr/bin/chromium (`apt-get install chromium`); the module is skipped
without it. Expected texts come from the gettext catalogs through `Translator`, so the tests
keep passing while the translations change.

QONYS_SCREENSHOTS=1 also writes the README screenshots to docs/screenshots/.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect, sync_playwright
from sqlalchemy import create_engine, text

from bot.i18n import Translator
from content.package import get_package
from content.scripts import to_arabic
from handlers import routers
from handlers.menu import HELP_TEXT, MENU_QUESTION, menu_items
from handlers.search import NOT_FOUND
from tests.conftest import CHROMIUM_ARGS

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(
        "Chromium is not installed at /usr/bin/chromium (apt-get install -y chromium)",
        allow_module_level=True,
    )
pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "docs" / "screenshots"
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
TIMEOUT_MS = 10_000

GREETING = (
    "Hello! I am Qonys, an assistant for people moving to the north of Kazakhstan and for kandases."
)
MENU = MENU_QUESTION
HELP = HELP_TEXT
FIRST_CHOOSE = "Let us first choose the language we will talk in."
routers()  # importing the feature modules registers their menu entries
MENU_LABELS = [item.label for item in menu_items()]

expect.set_options(timeout=TIMEOUT_MS)


def _(locale: str, msgid: str) -> str:
    return Translator(locale).gettext(msgid)


def first_line(s: str) -> str:
    return s.split("\n", 1)[0]


# --- fixtures -------------------------------------------------------------------------------


class Server:
    def __init__(self, url: str, db_path: Path) -> None:
        self.url = url
        self.db_path = db_path

    def query(self, sql: str, **params: object) -> list[tuple]:
        engine = create_engine(f"sqlite:///{self.db_path}")
        try:
            with engine.connect() as conn:
                return [tuple(r) for r in conn.execute(text(sql), params)]
        finally:
            engine.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("webchat")
    db_path = tmp / "qonys.db"
    port = _free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "REDIS_", "PUBLIC_", "SECRET_", "DEFAULT_"))
    }
    env.update(
        DATABASE_URL=f"sqlite:///{db_path}",
        DATA_DIR=str(tmp / "data"),
        DEFAULT_LOCALE="kk",
        LOG_LEVEL="WARNING",
    )
    qonys = Path(sys.executable).with_name("qonys")
    log_path = tmp / "server.log"
    with log_path.open("wb") as log:
        # cwd=tmp: no stray .env from the working directory leaks into the settings
        proc = subprocess.Popen(
            [str(qonys), "run", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=tmp,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            if proc.poll() is not None:
                pytest.fail(f"qonys run exited with {proc.returncode}:\n{log_path.read_text()}")
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"/healthz did not answer 200 in 20 s:\n{log_path.read_text()}")
            time.sleep(0.1)
        yield Server(url, db_path)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def new_page(server: Server, browser: Browser) -> Iterator[Callable[..., Page]]:
    """A page in a fresh browser context, i.e. a new visitor with no cookie."""
    contexts: list[BrowserContext] = []

    def make(path: str = "/", **options: object) -> Page:
        options.setdefault("locale", "en-US")
        context = browser.new_context(base_url=server.url, **options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.goto(path)
        return page

    yield make
    for context in contexts:
        context.close()


# --- helpers --------------------------------------------------------------------------------


def bot_bubbles(page: Page) -> Locator:
    return page.locator("#log .msg.bot .bubble")


def last_bot(page: Page) -> Locator:
    return page.locator("#log .msg.bot").last


def press(page: Page, label: str, *, tap: bool = False) -> None:
    """Press a button of the last bot message by its visible label (tap: with a finger)."""
    button = last_bot(page).locator(".buttons button", has_text=label)
    if tap:
        button.tap()
    else:
        button.click()


def type_and_enter(page: Page, message: str) -> None:
    page.locator("#text").fill(message)
    page.locator("#text").press("Enter")


def wait_for_greeting(page: Page, locale: str) -> None:
    expect(bot_bubbles(page).first).to_contain_text(first_line(_(locale, GREETING)))


def screenshot(page: Page, name: str) -> None:
    if os.environ.get("QONYS_SCREENSHOTS") == "1":
        page.mouse.move(0, 0)  # no button left in its hover colour
        page.wait_for_timeout(1000)  # nor in the fading tap highlight
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / name))


# --- tests ----------------------------------------------------------------------------------


def test_first_screen_on_a_phone(new_page: Callable[..., Page]) -> None:
    page = new_page(locale="kk-KZ", **PHONE)
    wait_for_greeting(page, "kk")
    expect(bot_bubbles(page)).to_have_count(1)
    expect(bot_bubbles(page).first).to_contain_text(_("kk", "Choose a language:"))
    buttons = page.locator("#log .msg.bot .buttons button")
    expect(buttons).to_have_text(
        ["Қазақша", "Русский", "English", "Qazaqşa (latyn)", "قازاقشا (توتە)"]
    )
    actions = buttons.evaluate_all("bs => bs.map(b => b.dataset.action)")
    assert actions == ["lang:kk", "lang:ru", "lang:en", "lang:kk-latn", "lang:kk-arab"]
    expect(page.locator("#log .msg.user")).to_have_count(0)  # the first /start is silent
    expect(page.locator("html")).to_have_attribute("lang", "kk")

    assert page.evaluate("window.innerWidth") == 360
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    for sel in ("#text", "#send"):
        expect(page.locator(sel)).to_be_visible()
        box = page.locator(sel).bounding_box()
        assert box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= 360, (sel, box)
        assert box["y"] + box["height"] <= 740, (sel, box)


def test_choose_russian_then_help(new_page: Callable[..., Page]) -> None:
    page = new_page()
    wait_for_greeting(page, "en")
    press(page, "Русский")
    expect(page.locator("#log .msg.user .bubble").last).to_have_text("Русский")
    expect(last_bot(page).locator(".bubble")).to_contain_text(_("ru", MENU))
    expect(last_bot(page).locator(".buttons button")).to_have_text(
        [_("ru", label) for label in MENU_LABELS]
    )
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.locator("#text")).to_have_attribute("placeholder", _("ru", "Write a message…"))

    press(page, _("ru", "Help"))
    expect(last_bot(page).locator(".bubble")).to_contain_text(first_line(_("ru", HELP)))
    expect(last_bot(page).locator(".buttons button")).to_have_text(
        [_("ru", "About Qonys"), _("ru", "Menu")]
    )


def test_free_text_before_and_after_choosing_a_language(new_page: Callable[..., Page]) -> None:
    # A browser language the bot does not speak: replies fall back to DEFAULT_LOCALE=kk.
    page = new_page(locale="de-DE")
    wait_for_greeting(page, "kk")
    type_and_enter(page, "привет")
    expect(page.locator("#text")).to_have_value("")
    expect(page.locator("#log .msg.user:not(.pending) .bubble")).to_have_text(["привет"])
    expect(bot_bubbles(page)).to_have_count(2)
    # no language yet: the bot asks for one first, in Kazakh
    expect(last_bot(page).locator(".bubble")).to_have_text(
        _("kk", FIRST_CHOOSE) + "\n\n" + _("kk", "Choose a language:")
    )
    expect(last_bot(page).locator(".buttons button")).to_have_text(
        ["Қазақша", "Русский", "English", "Qazaqşa (latyn)", "قازاقشا (توتە)"]
    )
    expect(page.locator("html")).to_have_attribute("lang", "kk")

    press(page, "Русский")
    expect(last_bot(page).locator(".bubble")).to_contain_text(_("ru", MENU))
    type_and_enter(page, "zzzz qqqq xxxx")
    expect(page.locator("#log .msg.user:not(.pending) .bubble")).to_have_text(
        ["привет", "Русский", "zzzz qqqq xxxx"]
    )
    expect(bot_bubbles(page)).to_have_count(4)
    expect(last_bot(page).locator(".bubble")).to_have_text(_("ru", NOT_FOUND))
    expect(last_bot(page).locator(".buttons button").last).to_have_text(_("ru", MENU_LABELS[-1]))


def test_reload_keeps_history_and_live_replies(new_page: Callable[..., Page]) -> None:
    # The browser asks for Russian, the person picks English: after a reload the page must
    # follow the stored choice, not the browser.
    page = new_page(locale="ru-RU")
    wait_for_greeting(page, "ru")
    press(page, "English")
    expect(last_bot(page).locator(".bubble")).to_contain_text(_("en", MENU))
    messages = page.locator("#log .msg")
    expect(messages).to_have_count(3)  # greeting, "English", menu

    page.reload()
    expect(messages).to_have_count(3)
    expect(bot_bubbles(page).first).to_contain_text(first_line(_("ru", GREETING)))
    expect(page.locator("#log .msg.user .bubble")).to_have_text(["English"])
    expect(last_bot(page).locator(".bubble")).to_contain_text(_("en", MENU))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#text")).to_have_attribute("placeholder", _("en", "Write a message…"))

    press(page, _("en", "Help"))
    expect(last_bot(page).locator(".bubble")).to_contain_text(first_line(_("en", HELP)))
    # exactly the pressed button and its answer were added: no second greeting after reload
    expect(messages).to_have_count(5)
    expect(page.locator("#log .msg.user .bubble")).to_have_text(["English", _("en", "Help")])


def test_deep_link_records_the_source(new_page: Callable[..., Page], server: Server) -> None:
    page = new_page("/?start=src_kostanay_fair")
    wait_for_greeting(page, "en")
    expect(page.locator("#log .msg.user")).to_have_count(0)  # "/start …" is not shown
    rows = server.query(
        "SELECT c.source FROM contacts c JOIN messages m ON m.contact_id = c.id "
        "WHERE m.direction = 'in' AND m.text = :text",
        text="/start src_kostanay_fair",
    )
    assert rows == [("src_kostanay_fair",)]


def test_kazakh_menu_on_a_phone(new_page: Callable[..., Page]) -> None:
    page = new_page(locale="kk-KZ", **PHONE)
    wait_for_greeting(page, "kk")
    press(page, "Қазақша", tap=True)
    expect(last_bot(page).locator(".bubble")).to_contain_text(_("kk", MENU))
    expect(last_bot(page).locator(".buttons button")).to_have_text(
        [_("kk", label) for label in MENU_LABELS]
    )
    expect(page.locator("html")).to_have_attribute("lang", "kk")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "webchat-phone.png")


def test_desktop_layout(new_page: Callable[..., Page]) -> None:
    page = new_page(locale="ru-RU", viewport={"width": 1280, "height": 800})
    wait_for_greeting(page, "ru")
    press(page, "Русский")
    expect(last_bot(page).locator(".bubble")).to_contain_text(_("ru", MENU))
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    log = page.locator("#log").bounding_box()
    assert log is not None and log["width"] < 1280  # the column is centred, not full width
    screenshot(page, "webchat-desktop.png")


def test_region_climate_with_chart_more_and_a_typed_question(new_page: Callable[..., Page]) -> None:
    lib = get_package().lib
    page = new_page(locale="ru-RU", **PHONE)
    wait_for_greeting(page, "ru")
    press(page, "Русский", tap=True)
    press(page, _("ru", "Regions: what life is like"), tap=True)
    press(page, lib.regions["pavlodar"].name["ru"], tap=True)
    expect(last_bot(page).locator(".bubble b").first).to_have_text(
        lib.entry("pavlodar/overview", "ru").title
    )
    press(page, lib.topics["region"]["climate"].label["ru"], tap=True)
    chart = page.locator("#log .msg.bot .bubble.picture img").last
    expect(chart).to_be_visible()
    assert chart.evaluate("img => img.complete && img.naturalWidth > 300")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    expect(last_bot(page).locator(".bubble b").first).to_have_text(
        lib.entry("pavlodar/climate", "ru").title
    )
    if os.environ.get("QONYS_SCREENSHOTS") == "1":
        chart.evaluate("img => img.closest('.msg').scrollIntoView({block: 'start'})")
    screenshot(page, "webchat-climate.png")
    press(page, _("ru", "More"), tap=True)
    expect(last_bot(page).locator(".buttons button", has_text=_("ru", "More"))).to_have_count(0)
    type_and_enter(page, "сколько дают подъемных")
    answer = page.locator("#log .msg.bot .bubble").filter(
        has=page.locator("b", has_text=lib.entry("programme/subsidies", "ru").title)
    )
    expect(answer).to_contain_text("₸")


def test_consent_and_first_profile_questions_in_the_browser(new_page: Callable[..., Page]) -> None:
    from content.questionnaire import get_questionnaires

    q = get_questionnaires()
    page = new_page(locale="en-US", **PHONE)
    wait_for_greeting(page, "en")
    press(page, "English", tap=True)
    press(page, _("en", "My profile and data"), tap=True)
    expect(last_bot(page).locator(".bubble")).to_have_text(q.consent_text["en"])
    press(page, _("en", "I agree"), tap=True)
    first = q.profile[0]
    expect(last_bot(page).locator(".bubble")).to_contain_text(first.text.en)
    press(page, first.options[0].label.en, tap=True)
    expect(last_bot(page).locator(".bubble")).to_contain_text("(2/")
    press(page, _("en", "Later"), tap=True)
    expect(last_bot(page).locator(".bubble")).to_contain_text(_("en", MENU))


def test_checklist_tick_and_pdf_in_kazakh(new_page: Callable[..., Page]) -> None:
    from content.procedures import get_procedures
    from content.questionnaire import get_questionnaires

    kandas = get_procedures().checklists["kandas"]
    first = get_questionnaires().profile[0]
    page = new_page(locale="kk-KZ", **PHONE)
    wait_for_greeting(page, "kk")
    press(page, "Қазақша", tap=True)
    press(page, _("kk", "My documents checklist"), tap=True)
    press(page, _("kk", "I agree"), tap=True)
    kandas_option = next(o for o in first.options if o.id == "kandas")
    press(page, kandas_option.label.kk, tap=True)  # the family questions begin; later is fine
    press(page, _("kk", "Later"), tap=True)
    press(page, _("kk", "My documents checklist"), tap=True)
    press(page, kandas.button.kk, tap=True)
    expect(last_bot(page).locator(".bubble")).to_contain_text("☐")
    if os.environ.get("QONYS_SCREENSHOTS") == "1":
        last_bot(page).evaluate("el => el.scrollIntoView({block: 'start'})")
    screenshot(page, "webchat-checklist.png")
    last_bot(page).locator(".buttons button").first.tap()
    press(page, _("kk", "I have it ✓"), tap=True)
    expect(last_bot(page).locator(".bubble")).to_contain_text("1")
    press(page, _("kk", "PDF to print"), tap=True)
    link = page.locator("#log .msg.bot a.attachment").last
    expect(link).to_be_visible()
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename.endswith(".pdf")


def test_kazakh_in_arabic_script_reads_right_to_left(new_page: Callable[..., Page]) -> None:
    page = new_page(locale="kk-KZ", **PHONE)
    wait_for_greeting(page, "kk")
    press(page, "قازاقشا (توتە)")
    done = last_bot(page).locator(".bubble")
    expect(done).to_contain_text(to_arabic(_("kk", "Done: I will write in English.")))
    expect(page.locator("html")).to_have_attribute("lang", "kk-Arab")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    assert done.evaluate("b => getComputedStyle(b).direction") == "rtl"
    expect(page.locator("#text")).to_have_attribute(
        "placeholder", to_arabic(_("kk", "Write a message…"))
    )
    type_and_enter(page, "قوستانايدا ٷي قانشا تۇرادى")
    answer = bot_bubbles(page).nth(2)  # the Kostanay housing page, in Arabic script
    expect(answer).to_be_visible(timeout=15_000)
    assert answer.evaluate("b => getComputedStyle(b).direction") == "rtl"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "webchat-arabic-script.png")
