"""Every interface string exists in kk, ru and en, with the right plural forms and
placeholders, and the catalogs are in step with the code."""

from __future__ import annotations

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
