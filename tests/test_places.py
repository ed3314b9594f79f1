"""Towns, pins and long messages as people write them: the region is found from a town in any
spelling and case form and the town is named in the answer; a name several regions share
asks which; a pin finds the nearest settlement; a story before a question does not change
the answer and a second question is offered."""

from __future__ import annotations

import re

import pytest

from bot.i18n import Translator
from bot.runtime import Runtime
from content.package import get_package
from content.questions import questions
from content.scripts import to_arabic, to_latin
from handlers.menu import HELP_TEXT
from tests.test_conversation import Chat, buttons

KK, RU, EN = Translator("kk"), Translator("ru"), Translator("en")
CYRILLIC = re.compile("[А-Яа-яӘәҒғҚқҢңӨөҰұҮүҺһІі]")


@pytest.fixture(scope="module")
def index():  # type: ignore[no-untyped-def]
    return get_package().index


@pytest.mark.parametrize(
    ("text", "region", "place"),
    [
        ("Рудныйда жұмыс табу қиын ба?", "kostanay", "rudny"),
        ("Екібастұзда пәтер жалдау қанша тұрады?", "pavlodar", "ekibastuz"),
        ("сколько стоит дом в Лисаковске", "kostanay", "lisakovsk"),
        ("какая зима в Балхаше", "karaganda", "balkhash"),
        ("how do people heat houses in Rudny", "kostanay", "rudny"),
        ("Щучинскіде мектеп бар ма", "akmola", "shchuchinsk"),
        ("Риддерге көшсек", "east_kazakhstan", "ridder"),
        ("from Ekibastuz", "pavlodar", "ekibastuz"),
        ("в Рудном работа", "kostanay", "rudny"),
        ("экибастузе квартира", "pavlodar", "ekibastuz"),  # lower case, as typed
        ("лисаковскте жумыс", "kostanay", "lisakovsk"),  # Kazakh ending on a Russian name
        ("в Зыряновске школы", "east_kazakhstan", "altai_town"),  # the old name of Altai
        ("в кульсарах жара летом", "atyrau", "kulsary"),  # a Russian plural name
        ("Есіл қаласында жұмыс", "akmola", "esil"),  # "town" settles which Esil
        ("Аксу, Павлодарская область, работа", "pavlodar", "aksu_pavlodar"),
        ("قوستانايدا ٴۇي قانشا تۇرادى", "kostanay", None),  # Arabic script, the centre
    ],
)
def test_a_town_decides_the_region(index, text: str, region: str, place: str | None) -> None:  # type: ignore[no-untyped-def]
    where = index.places.where(text)
    assert (where.region, where.place) == (region, place)


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("скока стоит снять хату в павлодаре", "pavlodar"),  # not "СКО"+"ка": Petropavl
        ("в Усть-Каменогорске квартира", "east_kazakhstan"),
        ("Шымкенттен Павлодарға көшсек", "pavlodar"),  # where they go, not where from
        ("из Туркестана в Петропавловск", "north_kazakhstan"),
        ("Павлодардан", "pavlodar"),  # only one place named: it is the one asked about
    ],
)
def test_regions_and_where_people_come_from(index, text: str, region: str) -> None:  # type: ignore[no-untyped-def]
    assert index.places.where(text).region == region


@pytest.mark.parametrize(
    "text",
    [
        "сколько семей переехало",  # families, not Semey
        "еңбек ақы қанша",  # a wage, though villages are called Еңбек
        "көші-қон бөлімі қайда",  # migration, though Qosshy is also spelt "Коши"
        "Алматыға қарағанда қымбат па",  # "compared with Almaty", not Karaganda
    ],
)
def test_common_words_are_not_places(index, text: str) -> None:  # type: ignore[no-untyped-def]
    assert index.places.where(text).region is None


def test_names_several_regions_share_ask(index) -> None:  # type: ignore[no-untyped-def]
    aksu = index.places.where("Аксуда жұмыс бар ма")
    assert aksu.region is None
    assert {r for r, _ in aksu.choices} == {"akmola", "pavlodar"}
    esil = index.places.where("Есілде үй қанша тұрады")
    assert {r for r, _ in esil.choices} == {"akmola", "north_kazakhstan"}
    [result, *_] = index.search("Аксуда жұмыс бар ма")
    assert result.topic == "jobs" and result.choices == aksu.choices


def test_a_story_before_the_question_does_not_change_the_answer(index) -> None:  # type: ignore[no-untyped-def]
    story = (
        "Сәлеметсіз бе! Мен Түркістан облысынан боламын, үш балам бар, жолдасым жүргізуші. "
        "Биыл Павлодарға көшейік деп отырмыз. Ол жақта жұмыс табу оңай ма?"
    )
    assert questions(story) == ["Ол жақта жұмыс табу оңай ма?"]
    assert index.ask(story).results[0].key == "pavlodar/jobs"
    money = "Мен биыл Қостанайға көшкім келеді. Мемлекет қанша ақша береді?"
    assert index.ask(money).results[0].key == "programme/subsidies"


def test_two_questions_in_one_message(index) -> None:  # type: ignore[no-untyped-def]
    asked = index.ask("Риддерде қыс қатты ма, көмір қанша тұрады")
    assert asked.results[0].key == "east_kazakhstan/climate"
    assert [r.key for r in asked.also] == ["east_kazakhstan/heating"]
    # "…, and in Pavlodar?": the same question for another place
    asked = index.ask("Павлодарда пәтер қымбат па әлде Қостанайда ма")
    assert [r.key for r in asked.also] == ["kostanay/housing"]
    assert index.ask("Павлодар").also == []


def test_a_pin_finds_the_nearest_settlement() -> None:
    gazetteer = get_package().lib.places
    place, km = gazetteer.nearest(52.95, 63.13)  # type: ignore[misc]
    assert (place.id, place.region) == ("rudny", "kostanay") and km < 5
    place, km = gazetteer.nearest(41.2, 68.5)  # type: ignore[misc]  # near Zhetisai, the south
    assert place.region == "turkistan"
    place, km = gazetteer.nearest(48.85, 2.35)  # type: ignore[misc]  # Paris
    assert km > 3000


async def test_a_town_is_named_in_the_answer(runtime: Runtime) -> None:
    chat = Chat(runtime)
    await chat.term.begin(lang="kk")
    printed = await chat.say("Екібастұзда пәтер жалдау қанша тұрады?")
    said = KK.gettext("{place} — {region}. What I know for the region:")
    assert "📍 " + said.format(place="Екібастұз", region="Павлодар облысы") in printed


async def test_an_ambiguous_town_asks_for_its_region(runtime: Runtime) -> None:
    chat = Chat(runtime)
    await chat.term.begin(lang="ru")
    printed = await chat.say("работа в Аксу есть?")
    assert (
        RU.gettext("There is more than one {place}. Which region is yours?").format(place="Аксу")
        in printed
    )
    offered = buttons(printed)
    assert offered == ["Акмолинская область", "Павлодарская область", RU.gettext("Menu")]
    printed = await chat.say("2")  # the second region, typed as people do on WhatsApp
    said = RU.gettext("{place} — {region}. What I know for the region:")
    assert "📍 " + said.format(place="Аксу", region="Павлодарская область") in printed


async def test_the_other_question_is_offered(runtime: Runtime) -> None:
    chat = Chat(runtime)
    await chat.term.begin(lang="kk")
    printed = await chat.say("Риддерде қыс қатты ма, көмір қанша тұрады?")
    assert KK.gettext("You also asked about this:") in printed
    heating = get_package().lib.entry("east_kazakhstan/heating", "kk")
    assert heating is not None and heating.title in buttons(printed)


async def test_a_pin_in_the_south_asks_where_to(runtime: Runtime) -> None:
    chat = Chat(runtime)
    await chat.term.begin(lang="en")
    printed = await chat.incoming(kind="location", location=(41.2, 68.5))
    asked = EN.gettext(
        "You are near {place}, {region}. Which region are you thinking of moving to?"
    )
    assert asked.split("{")[0] in printed and "Turkistan Region" in printed
    assert "Pavlodar" in " ".join(buttons(printed)), "the receiving regions to choose from"


async def test_reading_in_latin_letters(runtime: Runtime) -> None:
    chat = Chat(runtime)
    await chat.term.begin(lang=None)
    printed = await chat.say("4")  # Qazaqşa (latyn)
    assert to_latin(KK.gettext("Done: I will write in English.")) in printed
    assert not CYRILLIC.search(printed), printed
    contact = await chat.contact()
    assert (contact.locale, contact.script) == ("kk", "latn")
    assert to_latin(KK.gettext("Help")) in buttons(printed)
    # the label typed back in Cyrillic (or in Latin) presses the same button
    printed = await chat.say(KK.gettext("Help"))
    assert to_latin(KK.gettext(HELP_TEXT)).split("\n")[0] in printed


def test_the_studio_checks_an_edited_places_file() -> None:
    """Staff may correct the gazetteer in the studio: a broken edit is refused with why."""
    from content.validate import tree_file
    from storage.revisions import editable_files

    assert "places/kostanay.yaml" in editable_files()
    lib = get_package().lib
    text = (lib.root / "places" / "kostanay.yaml").read_text(encoding="utf-8")
    assert tree_file("places/kostanay.yaml", text, lib) == []
    moved = text.replace("lat: 52.97244", "lat: 12.97244", 1)  # Rudny sent to Africa
    assert [f.message for f in tree_file("places/kostanay.yaml", moved, lib)] == [
        "place rudny: coordinates outside Kazakhstan"
    ]


def test_a_question_is_weighed_as_scikit_learn_would(index) -> None:  # type: ignore[no-untyped-def]
    """The hand-written query vector (content/tfidf.py) must stay scikit-learn's: the index
    is fitted with it, and the two drifting apart would quietly change every ranking."""
    import numpy as np

    from content.normalise import normalise
    from content.tfidf import QueryVectorizer

    questions_ = ["Екібастұзда пәтер жалдау қанша тұрады?", "печку как топить", "a", "", "үй"]
    for fitted in (index.vectorizer, index.topic_vectorizer):
        mine = QueryVectorizer(fitted)
        for q in questions_:
            text = normalise(q)
            want = fitted.transform([text]).toarray().ravel()
            idx, data = mine.vector(text)
            got = np.zeros_like(want, dtype=np.float64)
            got[idx] = data
            assert np.abs(got - want).max() < 1e-6, q


async def test_mydata_says_which_letters_kazakh_is_read_in(runtime: Runtime) -> None:
    chat = Chat(runtime)
    await chat.term.begin(lang=None)
    await chat.say("5")  # قازاقشا (توتە)
    printed = await chat.say("/mydata")
    assert to_arabic(KK.gettext("Language: {lang}")).split("{")[0].strip() in printed
    assert "قازاقشا (توتە)" in printed, "the language as it was chosen, not transliterated twice"
