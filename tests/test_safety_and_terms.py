"""Safety first and one word per concept, as a reader meets them: every heating page opens with
the carbon-monoxide rule and 112 before "More"; gas regions say what to do when gas smells; the
glossary check refuses a variant in running text but lets people be quoted as they spoke."""

from __future__ import annotations

import dataclasses
import re

import pytest

from bot.i18n import Translator
from bot.runtime import Runtime
from content import glossary
from content.check import check_glossary
from content.package import get_package
from content.render import Renderer
from tests.test_conversation import Chat, buttons

LIB = get_package().lib
# The damper rule in each language, as the first screen must state it.
DAMPER = {"kk": "жаппаңыз", "ru": "не закрывайте задвижку", "en": "do not close the stove's damper"}
# Regions where many homes burn gas (the issue names Atyrau and West Kazakhstan; Kostanay and
# Karaganda have gas in towns and some villages).
GAS_REGIONS = ("atyrau", "west_kazakhstan", "kostanay", "karaganda")


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
async def test_every_heating_page_opens_with_the_carbon_monoxide_rule_and_112(
    runtime: Runtime, lang: str
) -> None:
    chat = Chat(runtime, user=f"stove-{lang}")
    await chat.term.begin(lang=lang)
    more = Translator(lang).gettext("More")
    for region in LIB.regions:
        printed = await chat.incoming(kind="action", action=f"t:{region}:heating")
        first_screen = printed.split("  [1]")[0]
        assert more in buttons(printed), f"{region}: the rest of the page is under More"
        assert DAMPER[lang] in first_screen.lower(), f"{region}/{lang}: no damper rule"
        assert "112" in first_screen, f"{region}/{lang}: no 112 on the first screen"
        assert "103" not in first_screen, f"{region}/{lang}: one emergency number, 112"


def test_gas_regions_say_what_to_do_when_gas_smells() -> None:
    renderer = Renderer(LIB)
    smell = {"kk": "иіс", "ru": "запах", "en": "smell"}
    for region in GAS_REGIONS:
        for lang in ("kk", "ru", "en"):
            entry = LIB.entry(f"{region}/heating", lang)
            assert entry is not None
            more, _ = renderer.parts(entry, "more")
            gas = [p for p in more.split("\n\n") if "104" in p]
            assert gas, f"{region}/{lang}: no gas-emergency paragraph"
            assert smell[lang] in gas[0].lower(), f"{region}/{lang}: 104 without the smell of gas"


def test_fire_safety_is_on_every_heating_page() -> None:
    renderer = Renderer(LIB)
    for region in LIB.regions:
        entry = LIB.entry(f"{region}/heating", "ru")
        assert entry is not None
        more, _ = renderer.parts(entry, "more")
        assert "металлический лист" in more and "дымоход" in more, region


def test_no_heating_page_gives_the_co_advice_to_the_iom_evaluation() -> None:
    """The evaluation contains no carbon-monoxide advice; the emergency services' pages do."""
    for region in LIB.regions:
        for lang in ("kk", "ru", "en"):
            entry = LIB.entry(f"{region}/heating", lang)
            assert entry is not None
            for para in f"{entry.short}\n\n{entry.more}".split("\n\n"):
                if re.search(r"задвижк|damper|қақпағ", para, re.I) and "[^iom-2021]" in para:
                    pytest.fail(f"{region}/{lang}: CO advice cited to the IOM evaluation")


def test_a_variant_in_running_text_is_refused_but_quotes_and_brackets_are_not() -> None:
    terms = glossary.load()
    found = glossary.misuses("Ис газынан сақтаныңыз.", "kk", terms)
    assert [m.found for m in found] == ["Ис газынан"]
    assert "иіс газы" in found[0].message()
    assert not glossary.misuses("«Мен ис газынан уландым», — дейді ол.", "kk", terms)
    assert not glossary.misuses("иіс газы (угарный газ, ис газы)", "kk", terms)
    assert not glossary.misuses("Иіс газынан сақтаныңыз.", "kk", terms)
    # A variant is matched at the start of a word, in any inflection, in its own language only.
    assert glossary.misuses("Сходите в центр занятости района.", "ru", terms)
    assert not glossary.misuses("Сходите в центр занятости района.", "kk", terms)


def test_the_check_names_the_file_and_the_word() -> None:
    entry = LIB.entry("programme/heating", "kk")
    assert entry is not None
    broken = dataclasses.replace(
        entry, short=entry.short + "\n\nЭкономикалық мобильділік сертификаты."
    )
    lib = dataclasses.replace(LIB, entries={**LIB.entries, (entry.key, "kk"): broken})
    problems = [p for p in check_glossary(lib) if p.level == "error"]
    assert len(problems) == 1
    assert "programme/heating.kk.md" in problems[0].path
    assert "экономикалық ұтқырлық сертификаты" in problems[0].message
    assert not [p for p in check_glossary(LIB) if p.level == "error"]


def test_every_glossary_term_has_its_word_and_meaning_in_three_languages() -> None:
    for term in glossary.load():
        for lang in ("kk", "ru", "en"):
            assert term.term[lang].strip() and term.meaning[lang].strip(), (term.id, lang)
            own = glossary.misuses(term.term[lang], lang, [term])
            assert not own, f"{term.id}: the chosen word matches its own variant"
