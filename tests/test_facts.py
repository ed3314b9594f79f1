"""The facts registry from the family's side: the questions a family asks get a figure with
its source and period wherever a dated publication gives one (and a way to find it where none
does), one change to a fact reaches every page, comparison and estimate, the estimate's
arithmetic holds for households of 1, 2, 5 and 9 people, and the comparison and the estimate
work in a conversation."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from bot.runtime import Runtime
from content import figuresets as fs
from content.estimate import estimate, rooms_for
from content.package import get_package
from content.render import number_text
from handlers.compare import comparison
from handlers.estimate import render as render_estimate
from tests.test_conversation import Chat, buttons
from tests.test_status import cli

CONTENT = Path(__file__).resolve().parents[1] / "content"
LANGS = ("kk", "ru", "en")
# Which page answers which of the family's questions, and where to look when we have nothing.
QUESTIONS = {
    "rent": ("housing", "krisha.kz"),
    "wage": ("jobs", "enbek.kz"),
    "winter": ("climate", "Kazhydromet"),
    "coal": ("heating", "akimat"),
}
SOURCE_LINE = re.compile(r"^\[\d+\] .+, (\d{2}\.)?(\d{2}\.)?\d{4}$|^\[\d+\] .+, \D+$", re.M)


def page(region: str, topic: str, lang: str) -> str:
    p = get_package()
    return p.renderer.render(p.lib.entry(f"{region}/{topic}", lang), "short")


def metric(metric_id: str) -> fs.Metric:
    return next(m for m in fs.COMPARED if m.id == metric_id)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("question", sorted(QUESTIONS))
def test_every_region_answers_with_a_dated_figure_or_says_where_to_look(
    question: str, lang: str
) -> None:
    p = get_package()
    topic, guidance = QUESTIONS[question]
    answered = 0
    for region in p.lib.regions:
        text = page(region, topic, lang)
        keys = [k.format(region=region).split("@")[0] for k in metric(question).keys]
        key = next((k for k in keys if k in p.lib.facts), None)
        if key is None:
            assert (
                guidance.lower()
                in p.renderer.render(p.lib.entry(f"{region}/{topic}", "en"), "more").lower()
                + page(region, topic, "en").lower()
                or "kazhydromet" in text.lower()
            ), (
                region,
                question,
            )
            continue
        candidate = next(
            k for k in metric(question).keys if k.format(region=region).startswith(key)
        )
        month = int(candidate.split("@")[1]) if "@" in candidate else None
        shown = p.renderer.show(key, lang, month=month)
        assert shown.split("…")[0] in text, f"{region}/{topic}.{lang} does not show {key}"
        assert SOURCE_LINE.search(text), f"{region}/{topic}.{lang}: no dated source line"
        answered += 1
    assert answered >= 5, f"only {answered} regions answer {question!r} with a figure"


@pytest.mark.parametrize(
    ("question", "lang", "key", "figure"),
    [
        ("Павлодарда 2 бөлмелі пәтер жалдау қанша?", "kk", "pavlodar/housing",
         "pavlodar.rent.flat_2room"),
        ("сколько стоит дом в Костанае", "ru", "kostanay/housing", "kostanay.housing.house_price"),
        ("what is the average salary in Petropavl", "en", "north_kazakhstan/jobs",
         "north_kazakhstan.wages.average"),
        ("Қостанайда қаңтарда орташа температура қанша?", "kk", "kostanay/climate",
         "kostanay.climate.jan_forecast_2026"),
        ("сколько угля нужно на зиму и сколько он стоит в Кокшетау", "ru", "akmola/heating",
         "akmola.heating.coal_price_city"),
    ],
)  # fmt: skip
def test_the_familys_questions_get_a_figure_with_its_source(
    question: str, lang: str, key: str, figure: str
) -> None:
    p = get_package()
    best = p.index.search(question, lang=lang, k=1)[0]
    assert best.key == key
    text = page(*key.split("/"), lang)
    assert p.renderer.show(figure, lang) in text
    assert "₸" in text or "°C" in text
    assert SOURCE_LINE.search(text)


def test_one_change_to_a_fact_reaches_every_page_comparison_and_estimate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    p = get_package()
    key, r = fs.RELOCATION, get_package().renderer
    old = p.lib.facts[key]
    pages = [e for e in p.lib.entries.values() if key in e.short + e.more]
    assert len(pages) >= 6, "the relocation subsidy is shown on several pages"

    def tenge(mci: float, lang: str) -> str:
        return number_text(r.tenge(mci), lang).replace("\u00a0", " ")

    monkeypatch.setitem(p.lib.facts, key, dataclasses.replace(old, value=75))
    for entry in pages:
        both = (r.render(entry, "short") + r.render(entry, "more")).replace("\u00a0", " ")
        assert tenge(70, entry.lang) not in both, f"{entry.key}.{entry.lang} kept the old value"
        assert tenge(75, entry.lang) in both, f"{entry.key}.{entry.lang} lost the figure"
    compared = comparison("ru", "pavlodar", "kostanay").replace("\u00a0", " ")
    assert tenge(75, "ru") in compared and tenge(70, "ru") not in compared
    estimated = render_estimate("en", "pavlodar", 2, 0).replace("\u00a0", " ")
    assert number_text(r.tenge(75) * 2, "en") in estimated
    # No page and no other fact states the figure a second time.
    for path in [*CONTENT.glob("programme/*.md"), *CONTENT.glob("regions/*/*.md")]:
        assert not re.search(r"302[\s,\u00a0]?750", path.read_text(encoding="utf-8")), path
    twins = [k for k, f in p.lib.facts.items() if f.unit == "MCI" and f.value == 70]
    assert twins == [], "no second copy of the amount in MCI"


@pytest.mark.parametrize(("adults", "children"), [(1, 0), (2, 0), (2, 3), (3, 6)])
def test_the_estimates_arithmetic(adults: int, children: int) -> None:
    lib = get_package().lib
    mci = lib.mci[lib.latest_mci_year()][0]
    people = adults + children
    e = estimate(lib, "pavlodar", adults, children)
    relocation, rent_subsidy = e.paid
    assert relocation.low == relocation.high == 70 * mci * people
    assert (rent_subsidy.low, rent_subsidy.high) == (15 * mci * 12, 30 * mci * 12)
    rooms = {1: 1, 2: 1, 5: 3, 9: 3}[people]
    assert e.rooms == rooms == rooms_for(people)
    rent = lib.facts[f"pavlodar.rent.flat_{rooms}room"].value
    coal = lib.facts["pavlodar.heating.coal_price_city"].value
    costs = {c.id: c for c in e.costs}
    assert costs["rent"].low == costs["rent"].high == rent * 12
    assert (costs["coal"].low, costs["coal"].high) == (5 * coal, 10 * coal)
    paid = (relocation.low + rent_subsidy.low, relocation.high + rent_subsidy.high)
    spent = (rent * 12 + 5 * coal, rent * 12 + 10 * coal)
    assert e.gap == (spent[0] - paid[1], spent[1] - paid[0])
    text = render_estimate("ru", "pavlodar", adults, children).replace("\u00a0", " ")
    assert f"{70 * mci * people:,.0f}".replace(",", " ") + " ₸" in text
    assert "расчёт, а не обещание" in text and "Источники:" in text


def test_a_region_without_prices_says_so_instead_of_guessing() -> None:
    lib = get_package().lib
    e = estimate(lib, "ulytau", 2, 1)
    assert e.missing == ["rent", "coal"] and e.costs == [] and e.gap is None
    text = render_estimate("en", "ulytau", 2, 1)
    assert "no dated price" in text and "krisha.kz" in text and "gap" not in text


def test_two_regions_side_by_side() -> None:
    text = comparison("kk", "pavlodar", "kostanay")
    lib = get_package().lib
    r = get_package().renderer
    for key in ("pavlodar.rent.flat_2room", "kostanay.rent.flat_2room",
                "kostanay.heating.gasification", "pavlodar.climate.jan_forecast_2026"):  # fmt: skip
        assert r.show(key, "kk", unit=True) in text
    assert "жалақының қандай бөлігі" in text and "%" in text
    assert r.show(fs.RELOCATION, "kk") in text, "the payments, the same everywhere, once"
    assert text.count(lib.regions["pavlodar"].name["kk"]) >= 6


async def test_the_estimate_and_the_comparison_in_a_conversation(runtime: Runtime) -> None:
    chat = Chat(runtime)
    await chat.say("/start")
    await chat.say("2")  # Русский
    printed = await chat.say("/estimate")
    assert "В какой регион" in printed
    printed = await chat.say("Павлодарская область")
    assert buttons(printed) == [str(n) for n in range(1, 7)]
    printed = await chat.say("2")
    assert buttons(printed) == [str(n) for n in range(0, 9)]
    printed = await chat.say("3")
    assert "2 взрослых, 3 ребёнка" in printed and "Придётся добавить своих" in printed
    assert "Поговорить со специалистом" in buttons(printed) or any(
        "специалист" in b for b in buttons(printed)
    )
    printed = await chat.say("Сравнить цифры")
    printed = await chat.say("Костанайская область")
    assert "Аренда 2-комнатной квартиры" in printed and "Источники:" in printed
    forged = await chat.incoming(kind="action", action="esth:pavlodar:99:1")
    assert "₸" not in forged


async def test_the_content_report(runtime: Runtime) -> None:
    result = await cli(runtime.settings, "content", "report", db=False)
    assert result.exit_code == 0
    assert "| pavlodar | rent | 3 |" in result.output
    assert "## Questions without a sourced answer" in result.output
    assert "| ulytau |" in result.output
