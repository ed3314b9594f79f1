"""The content rules on a small tree made in the test: what `qonys content check` catches,
how facts, MCI amounts and sources are shown, and how spellings fold together."""

from __future__ import annotations

import shutil
import textwrap
from datetime import date
from pathlib import Path

import pytest

from content.check import check
from content.loader import load
from content.normalise import normalise
from content.render import Renderer
from content.search import Index

REAL = Path(__file__).resolve().parents[1] / "content"


def entry_text(
    title: str, body: str, sources: str = "[iom-2021]", reviewed: str = "2026-11-01"
) -> str:
    return (
        textwrap.dedent(
            f"""\
        ---
        title: {title}
        keywords: [жылу, пеш, көмір]
        questions: ["Пешті қалай жағамыз?", "Көмір қайдан аламыз?"]
        sources: {sources}
        reviewed: {reviewed}
        ---
        """
        )
        + body
    )


FACTS = """\
mci.2025: {value: 3932, unit: KZT, period: '2025', source: budget-2026}
mci.2026: {value: 4325, unit: KZT, period: '2026', source: budget-2026}
subsidy.relocation: {value: 70, unit: MCI, period: '2026', source: mlsp-package-2026}
"""
REGION_FACTS = """\
climate.record_low: {value: -47.0, unit: degC, period: '2026-06', source: iom-2021}
"""


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    root.mkdir()
    shutil.copy(REAL / "sources.yaml", root / "sources.yaml")
    (root / "facts").mkdir()
    (root / "facts" / "kz.yaml").write_text(FACTS, encoding="utf-8")
    (root / "facts" / "pavlodar.yaml").write_text(REGION_FACTS, encoding="utf-8")
    (root / "topics.yaml").write_text(
        "region:\n"
        "  climate: {order: 1, label: {kk: Климат, ru: Климат, en: Climate},"
        " next: [], compare: true}\n"
        "programme:\n"
        "  subsidies: {order: 1, label: {kk: Төлемдер, ru: Выплаты, en: Payments}, next: []}\n",
        encoding="utf-8",
    )
    (root / "programme").mkdir()
    for lang in ("kk", "ru", "en"):
        body = 'Көшуге {{ fact("kz.subsidy.relocation") }} беріледі.\n\n<!-- more -->\n\nТолығырақ.'
        (root / "programme" / f"subsidies.{lang}.md").write_text(
            entry_text("Төлемдер", body, "[]"), encoding="utf-8"
        )
    region = root / "regions" / "pavlodar"
    region.mkdir(parents=True)
    (region / "region.yaml").write_text(
        "name: {kk: Павлодар облысы, ru: Павлодарская область, en: Pavlodar Region}\n"
        "centre: {kk: Павлодар, ru: Павлодар, en: Pavlodar}\n"
        "receives: [resettlers, kandases]\n"
        "aliases: [павлодар, pavlodar, павлодаре]\n",
        encoding="utf-8",
    )
    for lang in ("kk", "ru", "en"):
        (region / f"climate.{lang}.md").write_text(
            entry_text("Климат", 'Қысы суық: {{ fact("pavlodar.climate.record_low") }} °C.', "[]"),
            encoding="utf-8",
        )
    return root


def problems(root: Path, today: date = date(2026, 11, 22)) -> list[str]:
    lib, found = load(root)
    return [str(p) for p in found + check(lib, today)]


def test_a_clean_tree_passes(tree: Path) -> None:
    assert problems(tree) == []


def test_missing_translation(tree: Path) -> None:
    (tree / "programme" / "subsidies.ru.md").unlink()
    assert any("subsidies.ru.md: missing translation" in p for p in problems(tree))


@pytest.mark.parametrize(
    ("lang", "line", "figure"),
    [
        ("en", "Winters reach −47 °C [^iom-2021].", "−47"),
        ("en", "Rent is about 180,000 tenge a month [^iom-2021].", "180,000"),
        ("ru", "Аренда — около 180 000 тенге [^iom-2021].", "180 000"),
        ("kk", "Жалақы 13,2%-ға өсті [^iom-2021].", "13,2"),
        ("ru", "Звоните 112 [^iom-2021].", "112"),
        ("kk", "Халқының 389 669-ы қалада тұрады [^iom-2021].", "389 669"),
        # A year-like number that counts people is a figure; the year beside it is not.
        ("ru", "В 2025 году приехали 450 семей, или 2075 человек [^iom-2021].", "2075"),
        ("kk", "2025 жылы 2075 адам келген [^iom-2021].", "2075"),
        ("en", "In 2021, 1990 families moved [^iom-2021].", "1990"),
    ],
)
def test_a_figure_typed_into_prose_is_an_error(
    tree: Path, lang: str, line: str, figure: str
) -> None:
    path = tree / "regions" / "pavlodar" / f"climate.{lang}.md"
    path.write_text(entry_text("Climate", line), encoding="utf-8")
    found = problems(tree)
    assert any(f"climate.{lang}.md: a figure typed into prose: {figure!r}" in p for p in found)
    assert not any("'2025'" in p or "'2021'" in p for p in found), "the year itself is not one"


@pytest.mark.parametrize(
    ("lang", "line"),
    [
        ("en", "From 1 January 2026 the rules changed; see para 12 of Order No. 234."),
        ("en", "Children start grade 1 in September; Art. 50 of the Land Code."),
        ("kk", "2026 жылғы 1 қаңтардан бастап 12-тармақтың 4-тармақшасы өзгерді."),
        ("kk", "1-сынып, 170-бұйрықтың тізімі, 09:00-ден бастап."),
        ("ru", "С 1 января 2026 года, п. 46 приказа № 170, 2-й класс, форма 063/у, фото 3×4."),
        ("ru", "1. Первый пункт списка.\n2. Второй."),
    ],
)
def test_what_is_not_a_figure_needs_no_fact(tree: Path, lang: str, line: str) -> None:
    path = tree / "regions" / "pavlodar" / f"climate.{lang}.md"
    same_fact_as_the_translations = 'Қысы суық: {{ fact("pavlodar.climate.record_low") }} °C.'
    path.write_text(entry_text("Climate", f"{line}\n\n{same_fact_as_the_translations}", "[]"))
    assert problems(tree) == []


def test_facts_are_checked(tree: Path) -> None:
    facts = tree / "facts" / "pavlodar.yaml"
    facts.write_text(
        REGION_FACTS + "housing.asking_rent: {value: 180000, unit: KZT/month, period: '2025-09', "
        "source: no-such-source, review_by: 2026-01-01}\n"
        + "bad: {value: 1, unit: parsecs, period: '2025', source: iom-2021}\n",
        encoding="utf-8",
    )
    path = tree / "regions" / "pavlodar" / "climate.en.md"
    path.write_text(entry_text("Climate", 'Rent: {{ fact("pavlodar.rent.flat_3room") }}.'), "utf-8")
    found = problems(tree)
    assert any("unknown fact 'pavlodar.rent.flat_3room'" in p for p in found)
    assert any("pavlodar.housing.asking_rent: unknown source 'no-such-source'" in p for p in found)
    assert any("past its review-by date 2026-01-01" in p and p.startswith("warning") for p in found)
    assert any(
        "pavlodar.housing.asking_rent: no page" in p and p.startswith("warning") for p in found
    )
    assert any("fact bad" in p and "unknown unit 'parsecs'" in p for p in found)


def test_unknown_and_unlisted_sources(tree: Path) -> None:
    path = tree / "regions" / "pavlodar" / "climate.kk.md"
    path.write_text(entry_text("Климат", "Суық: −47 °C [^no-such-source]."), encoding="utf-8")
    found = problems(tree)
    assert any("'no-such-source' is not defined" in p for p in found)
    assert any("'no-such-source' is cited but not listed" in p for p in found)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("# Тақырып\n\nМәтін.", "no headings"),
        ("Қараңыз: https://egov.kz", "no links"),
        ("<b>Қалың</b> мәтін", "no HTML tags"),
        ("| a | b |\n|---|---|", "no tables"),
        ("Сөз " * 200, "short part is"),
        ('{{ fact("kz.subsidy.relocation" }}', "does not render"),
        ("{{ unknown_function() }}", "does not render"),
    ],
)
def test_forbidden_forms(tree: Path, body: str, message: str) -> None:
    path = tree / "regions" / "pavlodar" / "climate.kk.md"
    path.write_text(entry_text("Климат", body, "[]"), encoding="utf-8")
    assert any(message in p for p in problems(tree))


def test_stale_content_is_a_warning(tree: Path) -> None:
    found = problems(tree, today=date(2028, 1, 1))
    assert found and all(p.startswith("warning:") and "older than 12 months" in p for p in found)


def test_bad_front_matter_and_region(tree: Path) -> None:
    (tree / "programme" / "subsidies.en.md").write_text(
        "---\ntitle: [unclosed\n---\ntext", encoding="utf-8"
    )
    (tree / "regions" / "pavlodar" / "region.yaml").write_text("name: {kk: x}\n", encoding="utf-8")
    found = problems(tree)
    assert any("subsidies.en.md" in p and "bad YAML" in p for p in found)
    assert any("region.yaml" in p and p.startswith("error") for p in found)


def test_an_mci_fact_is_shown_in_tenge_with_both_sources(tree: Path) -> None:
    lib, _ = load(tree)
    renderer = Renderer(lib, mci_year=2026)
    text = renderer.render(lib.entry("programme/subsidies", "kk"), "short")
    assert "70 АЕК (2026 жылы 302 750 ₸)" in text.replace("\u00a0", " ")
    body = text.split("\n\n")[0]
    assert body.endswith("беріледі [1] [2]."), "the fact's source, then the MCI's"
    footer = text.split("\n\n")[-1].splitlines()
    assert footer[1].startswith("[1] ") and footer[1].endswith("30.12.2025")
    assert footer[2].startswith("[2] ") and footer[2].endswith("08.12.2025")
    older = Renderer(lib, mci_year=2025).render(lib.entry("programme/subsidies", "kk"), "short")
    assert "275" in older and "240" in older


def test_a_fact_reads_naturally_in_each_language(tree: Path) -> None:
    lib, _ = load(tree)
    r = Renderer(lib)
    assert r.show("pavlodar.climate.record_low", "ru", unit=True) == "−47 °C"
    assert r.show("pavlodar.climate.record_low", "en") == "−47"


def test_html_is_escaped_except_bold(tree: Path) -> None:
    lib, _ = load(tree)
    entry = lib.entry("regions/pavlodar/climate".removeprefix("regions/"), "kk")
    entry.short = "**Маңызды** <script>alert(1)</script> & т.б."
    html = Renderer(lib).render(entry, "short", "html")
    assert html.startswith("<b>Маңызды</b> &lt;script&gt;")
    assert "&amp;" in html


@pytest.mark.parametrize(
    "spellings",
    [
        [
            "Қостанайда қыс қандай?",
            "костанайда кыс кандай",
            "Qostanaıda qys qandaı",
            "kostanaida kys kandai",
        ],
        [
            "үй жалдау қанша тұрады",
            "уй жалдау канша турады",
            "uy zhaldau qansha turady",
            "üi jaldau qanşa turady",
        ],
        ["Жезқазған", "Жезказган", "Zhezkazgan", "Jezkazgan"],
        ["Өскемен", "Оскемен", "Öskemen", "Oskemen"],
        ["шаһар", "шахар", "şahar", "s'ahar", "shahar"],
    ],
)
def test_spellings_fold_together(spellings: list[str]) -> None:
    assert len({normalise(s) for s in spellings}) == 1, [normalise(s) for s in spellings]


@pytest.mark.parametrize(
    ("query", "region"),
    [
        ("павлодарда уй жалдау", "pavlodar"),
        ("В Павлодаре холодно?", "pavlodar"),
        ("pavlodarga koshu", "pavlodar"),
        ("павладарда жумыс", "pavlodar"),  # a typo in the name
        ("қыс қандай", None),
    ],
)
def test_region_is_found_in_any_form(tree: Path, query: str, region: str | None) -> None:
    index = Index(load(tree)[0])
    assert index.region_of(query)[0] == region


@pytest.mark.parametrize(
    ("lang", "text", "wrong"),
    [
        ("en", 'Registration lasts at most {{ fact("kz.deadline") }} year.', "years"),
        ("ru", 'Регистрация — не больше {{ fact("kz.deadline") }} года.', "years"),
        ("kk", 'Тіркеу {{ fact("kz.deadline") }} айға дейін.', "months"),
    ],
)
def test_a_duration_called_by_another_unit_is_an_error(
    tree: Path, lang: str, text: str, wrong: str
) -> None:
    """One working day shown as 'one year' is a wrong figure, though the number is right."""
    facts = tree / "facts" / "kz.yaml"
    facts.write_text(
        facts.read_text(encoding="utf-8")
        + "deadline: {value: 1, unit: working days, period: '2024', source: budget-2026}\n",
        encoding="utf-8",
    )
    page = tree / "programme" / f"subsidies.{lang}.md"
    page.write_text(entry_text("Төлемдер", text, "[]"), encoding="utf-8")
    found = problems(tree)
    assert any(f"kz.deadline is in working days but the text calls it {wrong}" in p for p in found)
    page.write_text(entry_text("Төлемдер", 'Within {{ fact("kz.deadline") }} working day.', "[]"))
    assert not any("kz.deadline is in" in p for p in problems(tree))


def test_a_translation_that_states_other_figures_is_an_error(tree: Path) -> None:
    """A figure corrected in one language and left in another reads differently to people."""
    page = tree / "programme" / "subsidies.ru.md"
    page.write_text(entry_text("Выплаты", "Подробности — в карьерном центре.", "[]"))
    found = problems(tree)
    assert any(
        "subsidies.ru.md: does not name 'kz.subsidy.relocation', which the kk page does" in p
        for p in found
    )
    assert not any("subsidies.en.md" in p for p in found)
