"""Every screen a person can reach (tests/screens.py crawls them) reads in the person's
language: in Kazakh and Russian no English word of the interface, no internal code (a status,
a checklist or programme id, a language code as a value) and no unfilled placeholder; every
button fits WhatsApp's tightest form uncut, and every message goes through the WhatsApp shaper
to a Graph API that validates like Meta's."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
import yaml
from babel.messages.pofile import read_po

from bot.channels.whatsapp import BODY_MAX, ROW_MAX, WhatsAppChannel, distinct, menu_shape
from bot.outbox import Claimed
from bot.runtime import Runtime
from bot.settings import ROOT
from content.procedures import get_procedures
from content.scripts import render
from tests.conftest import make_settings
from tests.fakes.whatsapp_api import FakeGraphAPI
from tests.screens import Crawler, Screen

LANGS = ("kk", "ru", "en")
URL = re.compile(r"(https?://|www\.)\S+|\b[\w.-]+\.(kz|com|org|net|gov|int)\b\S*|\S+@\S+", re.I)
LATIN_WORD = re.compile(r"(?<![\w/])[A-Za-z][A-Za-z_]+(?![\w/])")
PLACEHOLDER = re.compile(r"\{[a-z_]*\}|%\(?[a-z_]+\)?[sd]|\bNone\b|\[(text|action|[a-z_]+)\]")
# Latin words a Kazakh or Russian reader meets as names: platforms, portals, file types.
NAMES = {
    "whatsapp", "telegram", "egov", "pdf", "qonys", "enbek", "migration", "kaspi", "halyk",
    "sms", "iom", "qr", "id", "gov", "app", "google", "maps", "play", "store", "online",
    "english", "language",  # the language button, in every language on purpose
}  # fmt: skip
SOURCE_LINE = re.compile(r"^\[\d+\] .*$", re.M)  # "[2] Kazakhstan Today, 2025": a title
QUOTED = re.compile(r"«[^»]*»")
NAME = re.compile(r"\b[A-Z][\w.]*(?: [A-Z][\w.]*)+")  # "Career Enbek", "Global News"


def english_interface_words() -> set[str]:
    """Every word of the English interface: the catalog's messages and the English texts of
    the questionnaires, checklists and statuses, less the names both languages share."""
    with (ROOT / "locales" / "en" / "LC_MESSAGES" / "messages.po").open("rb") as fp:
        ids = [m.id if isinstance(m.id, str) else " ".join(m.id) for m in read_po(fp) if m.id]
    texts = list(ids)
    for path in [*(ROOT / "content").glob("questionnaire/*.yaml"),
                 *(ROOT / "content").glob("checklists/*.yaml"),
                 ROOT / "content" / "statuses.yaml", ROOT / "content" / "topics.yaml"]:  # fmt: skip
        texts += list(_english(yaml.safe_load(path.read_text(encoding="utf-8"))))
    words = {w.lower() for t in texts for w in re.findall(r"[A-Za-z]{3,}", PLACEHOLDER.sub("", t))}
    return words - NAMES


def _english(data: object):  # type: ignore[no-untyped-def]
    if isinstance(data, dict):
        if isinstance(data.get("en"), str) and isinstance(data.get("kk"), str):
            yield data["en"]
        for value in data.values():
            yield from _english(value)
    elif isinstance(data, list):
        for value in data:
            yield from _english(value)


def internal_codes() -> set[str]:
    """Ids a person must never read as words: statuses, checklists, programmes, case states."""
    codes = {"kk", "ru", "en", "closed", "open", "waiting", "answered", "withdrawn", "left"}
    codes |= {"kandas", "resettler", "resettlers", "kandases", "arrival", "social_contract"}
    codes |= set(get_procedures().statuses)
    codes |= {p.stem for p in (ROOT / "content" / "checklists").glob("*.yaml")}
    return codes


def problems_in(screen: Screen, lang: str, words: set[str], codes: set[str]) -> list[str]:
    texts = [screen.text, *(b["label"] for b in screen.buttons)]
    if screen.media and screen.media.get("caption"):
        texts.append(screen.media["caption"])
    found = []
    for text in texts:
        found += [f"placeholder {m.group(0)!r}" for m in PLACEHOLDER.finditer(text)]
        if lang == "en":
            continue
        plain = NAME.sub(" ", QUOTED.sub(" ", SOURCE_LINE.sub(" ", URL.sub(" ", text))))
        for m in LATIN_WORD.finditer(plain):
            word = m.group(0)
            if word in codes or word.lower() in codes:
                found.append(f"internal code {word!r}")
            elif word.lower() in words:
                found.append(f"English word {word!r}")
    return [f"{screen.via}: {p} in {screen.text[:80]!r}" for p in found]


async def crawl_all(folder: Path) -> dict[str, list[Screen]]:
    runtime = Runtime(make_settings(folder, f"sqlite+aiosqlite:///{folder / 'qonys.db'}"))
    await runtime.migrate()
    try:
        return {lang: await Crawler(runtime, lang).crawl() for lang in LANGS}
    finally:
        await runtime.close()


@pytest.fixture(scope="module")
def screens(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Screen]]:
    """One crawl for the module (about 20 s a language), in its own event loop."""
    return asyncio.run(crawl_all(tmp_path_factory.mktemp("crawl")))


def test_the_crawl_reaches_every_kind_of_screen(screens: dict) -> None:
    """The crawl is only a proof if it gets everywhere: every questionnaire question, every
    checklist item, every package topic, the hand-off and its closing, /mydata."""
    from content.questionnaire import get_questionnaires

    for lang in LANGS:
        pressed = {b["action"] for s in screens[lang] for b in s.buttons}
        q = get_questionnaires()
        for question in [*q.profile, *q.assessment]:
            assert any(f":{question.id}" in a for a in pressed if a.startswith(("qa:", "qs:"))), (
                lang,
                question.id,
            )
        vias = {s.via.split(":", 1)[0] for s in screens[lang]}
        assert {"ci", "ck", "cl", "t", "r", "prog", "rt", "mydata", "/mydata"} <= vias


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_no_english_codes_or_placeholders_reach_a_person(screens: dict, lang: str) -> None:
    words, codes = english_interface_words(), internal_codes()
    problems = sorted({p for s in screens[lang] for p in problems_in(s, lang, words, codes)})
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:60])


def test_no_placeholders_in_english_either(screens: dict) -> None:
    problems = [p for s in screens["en"] for p in problems_in(s, "en", set(), set())]
    assert not problems, "\n".join(problems[:40])


@pytest.mark.parametrize("lang", LANGS)
def test_every_button_fits_whatsapp_uncut(screens: dict, lang: str) -> None:
    """Up to three buttons are reply buttons (≤ 20 characters), up to ten a list (rows ≤ 24);
    a label that does not fit would be cut, or push the menu into numbered text."""
    problems = _cut(screens[lang], lambda text: text)
    assert not problems, "\n".join(sorted(problems))


@pytest.mark.parametrize("script", ["latn", "arab"])
def test_kazakh_buttons_fit_in_latin_and_arabic_letters_too(screens: dict, script: str) -> None:
    """A reader of the Latin or Arabic script gets the same labels transliterated: ş for ш,
    a hamza before a front-vowel word — a label must still fit."""
    problems = _cut(screens["kk"], lambda text: render(text, script))
    assert not problems, "\n".join(sorted(problems))


def _cut(screens: list, shown_as) -> set[str]:  # type: ignore[no-untyped-def, type-arg]
    problems = set()
    for screen in screens:
        if not screen.buttons:
            continue
        buttons = [{**b, "label": shown_as(b["label"])} for b in screen.buttons]
        text = shown_as(screen.text)
        shape = menu_shape(text, buttons)
        labels = [b["label"] for b in distinct(buttons)]
        if len(labels) != len(buttons) or len(set(labels)) != len(labels):
            problems.add(f"one screen offers the same button twice: {labels} ({screen.via})")
        if shape["kind"] == "buttons":
            shown = [t for t, _ in shape["buttons"]]
        elif shape["kind"] == "list":
            shown = [t for t, _, _ in shape["rows"]]
        elif len(labels) <= 10 and len(text) <= BODY_MAX:
            shown = [b for b in labels if len(b) <= ROW_MAX]  # fell back to text: too long
        else:
            continue  # more than ten choices: numbered text, where nothing is cut
        problems |= {f"{len(label)} «{label}» ({screen.via})" for label in set(labels) - set(shown)}
    return problems


@pytest.mark.parametrize("lang", LANGS)
async def test_every_menu_goes_through_a_graph_api_that_validates_like_meta(
    screens: dict, lang: str, tmp_path: Path
) -> None:
    """Each message with buttons is sent as the WhatsApp channel sends it; the fake Graph API
    answers 131009 to repeated ids, too many rows and over-long titles, as Meta does."""
    async with FakeGraphAPI(token="test-token") as fake:
        settings = make_settings(
            tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'q.db'}",
            whatsapp_phone_number_id=fake.phone_id, whatsapp_access_token=fake.token,
            whatsapp_app_secret="s", whatsapp_verify_token="v", whatsapp_api_base=fake.base_url,
        )  # fmt: skip
        channel = WhatsAppChannel(settings, core=None, db=None)  # type: ignore[arg-type]
        sent, failures = set(), []
        for n, screen in enumerate(screens[lang]):
            key = (screen.text[:200], tuple(b["action"] for b in screen.buttons))
            if not screen.buttons or key in sent:
                continue
            sent.add(key)
            fake.open_window(screen.chat_id)
            payload = {"buttons": screen.buttons, "lang": lang}
            msg = Claimed(n, 1, screen.chat_id, screen.text, payload, 0)
            try:
                await channel._send(msg)
            except Exception as exc:
                failures.append(f"{screen.via}: {exc}")
        assert len(sent) > 100, "the crawl should have produced many menus"
        assert not failures, "\n".join(failures[:30])
