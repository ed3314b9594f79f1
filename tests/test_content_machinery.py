"""The content rules on a small tree made in the test: what `qonys content check` catches,
how MCI amounts and sources are shown, and how spellings fold together."""

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


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    root.mkdir()
    for name in ("sources.yaml", "figures.yaml"):
        shutil.copy(REAL / name, root / name)
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
        body = "Көшуге {{ mci(70) }} беріледі [^mlsp-package-2026].\n\n<!-- more -->\n\nТолығырақ."
        (root / "programme" / f"subsidies.{lang}.md").write_text(
            entry_text("Төлемдер", body, "[mlsp-package-2026]"), encoding="utf-8"
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
            entry_text("Климат", "Қысы суық: −47,0 °C тіркелген [^iom-2021]."), encoding="utf-8"
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


def test_figure_without_source(tree: Path) -> None:
    path = tree / "regions" / "pavlodar" / "climate.en.md"
    path.write_text(
        entry_text("Climate", "Winters reach −47 °C.\n\nSince 1907 [^iom-2021]."), encoding="utf-8"
    )
    found = problems(tree)
    assert any("climate.en.md: a figure without a source" in p and "−47" in p for p in found)
    assert not any("Since 1907" in p for p in found), "a cited line passes"


def test_years_alone_need_no_source(tree: Path) -> None:
    path = tree / "regions" / "pavlodar" / "climate.en.md"
    path.write_text(
        entry_text("Climate", "From 2026 the rules changed.\n\nMore [^iom-2021]."), encoding="utf-8"
    )
    assert problems(tree) == []


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
        ("{{ mci(70 }}", "does not render"),
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


def test_mci_is_shown_in_tenge_with_its_source(tree: Path) -> None:
    lib, _ = load(tree)
    renderer = Renderer(lib, mci_year=2026)
    text = renderer.render(lib.entry("programme/subsidies", "kk"), "short")
    assert "70" in text and "302" in text and "750" in text and "₸" in text
    body = text.split("\n\n")[0]
    assert body.count("[1]") == 1 and "[2]" in body, "MCI source and the package source"
    footer = text.split("\n\n")[-1].splitlines()
    assert footer[1].startswith("[1] ") and footer[1].endswith("08.12.2025")
    assert footer[2].startswith("[2] ") and footer[2].endswith("30.12.2025")
    older = Renderer(lib, mci_year=2025).render(lib.entry("programme/subsidies", "kk"), "short")
    assert "275" in older and "240" in older


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
