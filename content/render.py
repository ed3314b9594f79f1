"""Turns an entry's template into what a person reads: MCI amounts in tenge, numbered source
references with a source list underneath, plain text or Telegram/web-safe HTML."""

from __future__ import annotations

import html
import re
from datetime import date

from babel.numbers import format_decimal
from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from bot.i18n import N_, Translator
from content.model import Entry, Library, Source

CITE = re.compile(r"\s*\[\^([A-Za-z0-9_.\-]+)\]")
BOLD = re.compile(r"\*\*(.+?)\*\*")
MCI_CALL = re.compile(r"\{\{\s*mci\([^)]*\)\s*\}\}")
MCI_ONE = N_("{n} MCI ({tenge} ₸ in {year})")
SOURCES = N_("Sources:")


class Renderer:
    def __init__(self, lib: Library, mci_year: int | None = None) -> None:
        self.lib = lib
        self.year = mci_year or lib.latest_mci_year()
        self.env = SandboxedEnvironment(autoescape=False, undefined=StrictUndefined)

    def render(self, entry: Entry, part: str = "short", fmt: str = "plain") -> str:
        text, footer = self.parts(entry, part, fmt)
        return text + (f"\n\n{footer}" if footer else "")

    def parts(self, entry: Entry, part: str = "short", fmt: str = "plain") -> tuple[str, str]:
        """The text and, separately, the list of its sources (empty when it cites none)."""
        source = entry.short if part == "short" else entry.more
        text = self.env.from_string(source).render(mci=self._mci(entry.lang))
        text, footer = self._cite(text, entry)
        return _format(text, fmt), _format(footer, fmt)

    def _mci(self, lang: str):  # type: ignore[no-untyped-def]
        tenge_per_mci, source_id = self.lib.mci[self.year]
        tr = Translator(lang)

        def mci(low: float, high: float | None = None) -> str:
            n = _number(low, lang) + (f"–{_number(high, lang)}" if high is not None else "")
            tenge = _number(low * tenge_per_mci, lang)
            if high is not None:
                tenge += f"–{_number(high * tenge_per_mci, lang)}"
            return tr.gettext(MCI_ONE, n=n, tenge=tenge, year=self.year) + f" [^{source_id}]"

        return mci

    def _cite(self, text: str, entry: Entry) -> tuple[str, str]:
        """`[^id]` becomes `[1]`; the list of the sources cited goes under the text."""
        order: list[Source] = []

        def number(match: re.Match[str]) -> str:
            src = self.lib.source(match.group(1), entry.path.parent)
            if src is None:
                return ""
            if src not in order:
                order.append(src)
            return f" [{order.index(src) + 1}]"

        text = CITE.sub(number, text)
        text = re.sub(r"(\[\d+\])(?: \1)+", r"\1", text)  # the same source twice in a row
        if not order:
            return text, ""
        tr = Translator(entry.lang)
        lines = [tr.gettext(SOURCES)]
        lines += [
            f"[{i}] {s.publisher[entry.lang]}, {_date(s.date)}" for i, s in enumerate(order, 1)
        ]
        return text, "\n".join(lines)


def _number(value: float, lang: str) -> str:
    return format_decimal(
        round(value, 2), locale={"kk": "kk_KZ", "ru": "ru_RU", "en": "en_US"}[lang]
    )


def _date(value: str) -> str:
    parts = value.split("-")
    return ".".join(reversed(parts))


def format_text(text: str, fmt: str) -> str:
    """Escape for the channel's format; `**bold**` becomes bold where the channel has it."""
    return _format(text, fmt)


def _format(text: str, fmt: str) -> str:
    if fmt == "html":
        return BOLD.sub(r"<b>\1</b>", html.escape(text, quote=False))
    return BOLD.sub(r"\1", text)


def is_stale(reviewed: date, today: date, months: int = 12) -> bool:
    return (today.year - reviewed.year) * 12 + (today.month - reviewed.month) > months
