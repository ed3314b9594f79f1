"""Interface strings through gettext catalogs in `locales/` (kk, ru, en).

Catalogs are compiled by `make messages-compile`; when a `.mo` is missing or older than its
`.po` (a fresh clone, an edited catalog) it is compiled here in memory, so the bot never falls
back to English silently.
"""

from __future__ import annotations

import io
import logging
from functools import lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from bot.settings import LOCALES, get_settings

log = logging.getLogger(__name__)
DOMAIN = "messages"


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated later, where the locale is known."""
    return message


@lru_cache(maxsize=8)
def translations(locale: str, locales_dir: Path | None = None) -> Translations:
    base = locales_dir or get_settings().locales_dir
    po = base / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    mo = po.with_suffix(".mo")
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as fp:
            return Translations(fp, domain=DOMAIN)
    if not po.exists():
        log.warning("no catalog for %s at %s", locale, po)
        return Translations()
    with po.open("rb") as fp:
        catalog = read_po(fp, locale=locale, domain=DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(buf, domain=DOMAIN)


class Translator:
    """gettext and ngettext bound to one locale."""

    def __init__(self, locale: str) -> None:
        self.locale = locale
        self._t = translations(locale)

    def gettext(self, message: str, **params: object) -> str:
        text = self._t.gettext(message)
        return text.format(**params) if params else text

    def ngettext(self, singular: str, plural: str, n: int, **params: object) -> str:
        return self._t.ngettext(singular, plural, n).format(n=n, **params)


def match_locale(hint: str | None) -> str | None:
    """Map a platform hint ('ru-RU', 'kk', 'en_GB') onto a supported locale, if any."""
    if not hint:
        return None
    try:
        language = Locale.parse(hint.replace("-", "_").split(",")[0].strip()).language
    except (ValueError, UnknownLocaleError):
        return None
    return language if language in LOCALES else None
