"""Every interface string exists in kk, ru and en, with the right plural forms and
placeholders, and the catalogs are in step with the code."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot.i18n import Translator, match_locale
from bot.settings import LOCALES, ROOT

LOCALES_DIR = ROOT / "locales"
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


def catalog(locale: str):  # type: ignore[no-untyped-def]
    with (LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as fp:
        return read_po(fp, locale=locale)


def extracted_ids(tmp_path: Path) -> set[str]:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
         "-k", "N_", "-k", "ngettext:1,2", "-o", str(pot), "."],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    with pot.open("rb") as fp:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fp) if m.id}


@pytest.mark.parametrize("locale", LOCALES)
def test_catalog_is_complete(locale: str) -> None:
    problems = []
    for m in catalog(locale):
        if not m.id:
            continue
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        if not all(strings):
            problems.append(f"untranslated: {m.id!r}")
        if m.fuzzy:
            problems.append(f"fuzzy: {m.id!r}")
        source = m.id if isinstance(m.id, str) else m.id[0]
        for s in strings:
            if set(PLACEHOLDER.findall(source)) != set(PLACEHOLDER.findall(s or "")):
                problems.append(f"placeholders differ: {m.id!r}")
    assert not problems, "\n".join(problems)


def test_catalogs_cover_every_string_in_the_code(tmp_path: Path) -> None:
    in_code = extracted_ids(tmp_path)
    for locale in LOCALES:
        in_catalog = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog(locale) if m.id}
        missing = in_code - in_catalog
        assert not missing, f"{locale}: run `make messages` and translate: {sorted(missing)}"


def test_plural_forms() -> None:
    assert catalog("ru").num_plurals == 3
    assert catalog("kk").num_plurals == 2
    assert catalog("en").num_plurals == 2


def test_translations_are_really_used() -> None:
    assert Translator("kk").gettext("Menu") == "Мәзір"
    assert Translator("ru").gettext("Menu") == "Меню"
    assert Translator("en").gettext("Menu") == "Menu"


@pytest.mark.parametrize(
    ("hint", "locale"),
    [
        ("ru-RU", "ru"),
        ("kk", "kk"),
        ("kk-KZ,ru;q=0.8", "kk"),
        ("en_GB", "en"),
        ("uz", None),
        ("", None),
        ("@@", None),
    ],
)
def test_platform_hints(hint: str, locale: str | None) -> None:
    assert match_locale(hint) == locale


SOURCES = [p for d in ("bot", "handlers", "content", "console") for p in (ROOT / d).rglob("*.py")]
GETTEXT = {"_", "gettext", "ngettext", "N_"}
# What a person reads: the text of a reply or a notice and the label of a button.
SHOWN = {"reply", "Button", "Reply"}
ENGLISH = re.compile(r"[A-Za-z]{2,}")
# A language named in itself (Kazakh also in its Latin letters); the product's name.
OWN_NAMES = {"English", "Qazaqşa (latyn)", "Qonys"}


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Call):
        return _name(node.func)
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def _escapes(tree: ast.AST) -> list[tuple[int, str]]:
    """Translations the extractor cannot see, and English shown without a translation."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):  # Babel on Python 3.11 skips calls in f-strings
            for inner in ast.walk(node):
                if (
                    isinstance(inner, ast.Call)
                    and _name(inner) in GETTEXT
                    and inner.args
                    and isinstance(inner.args[0], ast.Constant)
                ):  # a literal there is never extracted (a marked constant is: N_ elsewhere)
                    found.append((inner.lineno, f"{_name(inner)}() inside an f-string"))
        if not (isinstance(node, ast.Call) and _name(node) in SHOWN and node.args):
            continue
        first = node.args[0]
        parts = [first] if isinstance(first, ast.Constant) else []
        if isinstance(first, ast.JoinedStr):
            parts = [v for v in first.values if isinstance(v, ast.Constant)]
        for part in parts:
            text = part.value
            if isinstance(text, str) and ENGLISH.search(text) and text not in OWN_NAMES:
                found.append((node.lineno, f"untranslated text {part.value!r}"))
    return sorted(found)


def test_every_string_a_person_reads_goes_through_the_catalogs() -> None:
    """A `_()` inside an f-string is never extracted (kk and ru saw "Next:"), and a literal
    reply or button label is never translated: both fail here, with file and line."""
    problems = []
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        problems += [f"{path.relative_to(ROOT)}:{n}: {why}" for n, why in _escapes(tree)]
    assert not problems, "\n".join(problems)


def test_the_check_finds_what_it_is_for() -> None:
    code = (
        'ctx.reply(f"{head}\\n{ctx._(\'Next:\')} {t}")\nctx.reply("Done")\nButton(f"{n}. {x}", a)'
    )
    assert [why for _, why in _escapes(ast.parse(code))] == [
        "_() inside an f-string",
        "untranslated text 'Done'",
    ]


@pytest.mark.parametrize("locale", LOCALES)
def test_one_label_for_talking_to_a_caseworker(locale: str) -> None:
    """The menu, /help, the package's topic and campaign buttons all say it the same way,
    short enough for a WhatsApp button."""
    from bot.campaigns import CASEWORKER
    from content.package import get_package
    from handlers.handoff import TALK
    from handlers.menu import HELP_TEXT

    tr = Translator(locale)
    label = tr.gettext(TALK)
    assert CASEWORKER == TALK and len(label) <= 20
    assert label.casefold() in tr.gettext(HELP_TEXT).casefold()
    assert get_package().lib.topics["programme"]["caseworker"].label[locale] == label
