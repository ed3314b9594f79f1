"""Turns an entry's template into what a person reads: figures from the facts registry
(`{{ fact("pavlodar.rent.flat_2room") }}`), MCI amounts in tenge, numbered source references
with a source list underneath, plain text or Telegram/web-safe HTML.

A figure brings its source with it: `fact()` leaves a mark that becomes `[n]` at the end of
its line, so a page cannot show a figure without saying where it comes from."""

from __future__ import annotations

import html
import re
from datetime import date

from babel.dates import format_date
from babel.numbers import format_decimal
from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from bot.i18n import N_, Translator
from content.facts import UNITS
from content.model import Entry, Library, Source
from content.scripts import MARK as KEEP  # a source's name is not transliterated

CITE = re.compile(r"\s*\[\^([A-Za-z0-9_.\-]+)\]")
BOLD = re.compile(r"\*\*(.+?)\*\*")
MCI_ONE = N_("{n} MCI ({tenge} ₸ in {year})")
SOURCES = N_("Sources:")
UNDATED = N_("date not stated")
NO_YEAR = N_("year not stated")
ROOMS = N_("Rent of a flat with 1 / 2 / 3 rooms (krisha.kz)")
TEMPLATE_CALL = re.compile(r"\{\{.*?\}\}")
# A source mark left by fact(); moved to the end of its line as [^id].
MARK = re.compile("\ue000([A-Za-z0-9_.\\-]+)\ue001")
LOCALES = {"kk": "kk_KZ", "ru": "ru_RU", "en": "en_US"}


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
        text, footer = self.cite(self.expand(entry, part), entry.lang)
        return _format(text, fmt), _format(footer, fmt)

    def expand(self, entry: Entry, part: str = "short") -> str:
        """A part with its facts filled in and its sources still as `[^id]`."""
        source = entry.short if part == "short" else entry.more
        helpers = {"fact": self.facts(entry.lang), "figures": self.figures(entry)}
        return marks_to_citations(self.env.from_string(source).render(**helpers))

    def facts(self, lang: str):  # type: ignore[no-untyped-def]
        """The `fact()` of templates in one language."""

        def fact(key: str, unit: bool = False, when: bool = False, month: int | None = None) -> str:
            return self.show(key, lang, unit=unit, when=when, month=month, mark=True)

        return fact

    def figures(self, entry: Entry):  # type: ignore[no-untyped-def]
        """`figures("rent", "housing", "kz.housing.rent_m2")`: a bullet per labelled fact of the
        page's region whose id starts with one of the names (or a whole key of another file),
        in the order named: «- label: value (period)», each with its source."""

        def figures(*names: str) -> str:
            keys = self.keys(entry.region, names)
            rooms = [f"{entry.region}.rent.flat_{n}room" for n in (1, 2, 3)]
            lines = []
            for key in keys:
                if key == rooms[0] and all(k in keys for k in rooms):
                    lines.append(self.rooms_line(rooms, entry.lang))
                elif key not in rooms or not all(k in keys for k in rooms):
                    lines.append(self.line(key, entry.lang))
            return "\n".join(f"- {line}" for line in lines)

        return figures

    def rooms_line(self, keys: list[str], lang: str) -> str:
        """Rent of 1-, 2- and 3-room flats on one line: «150 000 / 180 000 / 300 000 ₸»."""
        values = " / ".join(number_text(self.lib.facts[k].value, lang) for k in keys)
        first = self.lib.facts[keys[0]]
        shown = UNITS[first.unit].shown[lang].format(n=values)
        marks = "".join(f"\ue000{self.lib.facts[k].source}\ue001" for k in keys)
        label = Translator(lang).gettext(ROOMS)
        return f"{label}: {shown} ({self._period(first.period, lang)}){marks}"

    def _period(self, period: str, lang: str) -> str:
        if period == "unknown":
            return Translator(lang).gettext(NO_YEAR)
        return period_text(period, lang)

    def keys(self, region: str | None, names: tuple[str, ...]) -> list[str]:
        found: list[str] = []
        for name in names:
            if name in self.lib.facts:
                found.append(name)
                continue
            prefix = f"{region}.{name}"
            found += [
                k
                for k, f in self.lib.facts.items()
                if f.label and (k == prefix or k.startswith((prefix + ".", prefix + "_")))
            ]
        return list(dict.fromkeys(found))

    def line(self, key: str, lang: str, mark: bool = True) -> str:
        """«label: value unit (period)» of a labelled fact."""
        f = self.lib.facts[key]
        label = (f.label or {}).get(lang, key)
        when = f.unit != "MCI"  # an MCI amount already names its year
        return f"{label}: {self.show(key, lang, unit=True, when=when, mark=mark)}"

    def show(
        self,
        key: str,
        lang: str,
        *,
        unit: bool = False,
        when: bool = False,
        month: int | None = None,
        mark: bool = False,
    ) -> str:
        """A fact as a person reads it: its number (with its unit when asked; MCI amounts with
        their tenge value of the year), the period when asked, and its source mark."""
        f = self.lib.facts.get(key)
        if f is None:
            raise KeyError(f"unknown fact {key!r}")
        value = f.value[month - 1] if month is not None else f.value
        if value is None:
            raise ValueError(f"{key}: no value for month {month}")
        marks = [f.source]
        if f.unit == "MCI":
            text, mci_source = self._in_tenge(value, lang)
            marks.append(mci_source)
        else:
            text = number_text(value, lang)
            if unit:
                text = UNITS[f.unit].shown[lang].format(n=text)
        if when:
            text += f" ({self._period(f.period, lang)})"
        if mark:
            text += "".join(f"\ue000{m}\ue001" for m in marks)
        return text

    def _in_tenge(self, value: object, lang: str) -> tuple[str, str]:
        tenge_per_mci, source_id = self.lib.mci[self.year]
        low, high = value if isinstance(value, tuple) else (value, None)
        n = number_text(value, lang)
        tenge = _number(low * tenge_per_mci, lang)  # type: ignore[operator]
        if high is not None:
            tenge += f"–{_number(high * tenge_per_mci, lang)}"
        text = Translator(lang).gettext(MCI_ONE, n=n, tenge=tenge, year=self.year)
        return text, source_id

    def tenge(self, mci: float) -> float:
        return mci * self.lib.mci[self.year][0]

    def cite(self, text: str, lang: str) -> tuple[str, str]:
        """`[^id]` becomes `[1]`; the list of the sources cited goes under the text."""
        text, order = self.numbered(text)
        if not order:
            return text, ""
        tr = Translator(lang)
        lines = [tr.gettext(SOURCES)]
        lines += [
            f"[{i}] {KEEP}{s.publisher[lang]}{KEEP}, {source_date(s.date, lang)}"
            for i, s in enumerate(order, 1)
        ]
        return text, "\n".join(lines)

    def numbered(self, text: str) -> tuple[str, list[Source]]:
        """`[^id]` as `[1]`, each source once per paragraph, and the sources in that order."""
        order: list[Source] = []

        def number(match: re.Match[str]) -> str:
            src = self.lib.source(match.group(1))
            if src is None:
                return ""
            if src not in order:
                order.append(src)
            return f" [{order.index(src) + 1}]"

        text = CITE.sub(number, text)
        text = re.sub(r"(\[\d+\])(?: \1)+", r"\1", text)  # the same source twice in a row
        text = "\n\n".join(_once_per_paragraph(p) for p in text.split("\n\n"))
        return text, order


MARKER = re.compile(r" \[(\d+)\]")


def _once_per_paragraph(paragraph: str) -> str:
    """A source cited on several lines of one paragraph is marked once, where it is cited
    last: a list of survey findings reads as a list, not as a row of [1] [1] [1]."""
    last = {m.group(1): m.start() for m in MARKER.finditer(paragraph)}
    return MARKER.sub(lambda m: m.group() if last[m.group(1)] == m.start() else "", paragraph)


def _number(value: float, lang: str) -> str:
    text = format_decimal(round(abs(value), 2), locale=LOCALES[lang])
    return ("−" if value < 0 else "") + text  # a real minus sign, as in print


def number_text(value: object, lang: str) -> str:
    """A number, a range or a text as it reads in `lang`: «302 750», «15–30», «−29…−27»."""
    if isinstance(value, str):
        return value
    if isinstance(value, tuple):
        low, high = value
        dash = "…" if min(low, high) < 0 else "–"
        return f"{_number(low, lang)}{dash}{_number(high, lang)}"
    return _number(float(value), lang)  # type: ignore[arg-type]


def period_text(period: str, lang: str) -> str:
    """«2025 ж. қыркүйек», «сентябрь 2025», «July–September 2025»; a year stays a year."""
    first, _, last = period.partition("/")
    if "-" not in first:
        return period.replace("/", "–")
    if not last:
        return _month_or_day(first, lang, with_year=True)
    same_year = first[:4] == last[:4]
    start = _month_or_day(first, lang, with_year=not same_year)
    end = _month_or_day(last, lang, with_year=True)
    if same_year and lang == "kk":  # «2025 ж. шілде–қыркүйек»
        return f"{first[:4]} ж. {start}–{end.split(' ', 2)[-1]}"
    return f"{start}–{end}" if same_year else f"{start} – {end}"


def _month_or_day(value: str, lang: str, with_year: bool) -> str:
    parts = value.split("-")
    day = date(int(parts[0]), int(parts[1]), int(parts[2]) if len(parts) == 3 else 1)
    if len(parts) == 3:
        pattern = {"kk": "y 'ж.' d MMMM", "ru": "d MMMM y", "en": "d MMMM y"}[lang]
    elif with_year:
        pattern = {"kk": "y 'ж.' LLLL", "ru": "LLLL y", "en": "LLLL y"}[lang]
    else:
        pattern = "LLLL"
    text = format_date(day, pattern, locale=LOCALES[lang])
    return text if lang == "en" else text.lower()


def marks_to_citations(text: str) -> str:
    """Each line's source marks become `[^id]` citations at the end of the line: after the
    citations it already has, or before its closing punctuation."""
    lines = []
    for line in text.split("\n"):
        marks = list(dict.fromkeys(MARK.findall(line)))
        if marks:
            line = MARK.sub("", line).rstrip()
            cited = set(CITE.findall(line))
            extra = "".join(f" [^{m}]" for m in marks if m not in cited)
            last = list(CITE.finditer(line))
            at = last[-1].end() if last else len(line.rstrip(".;:,"))
            if not last and line.endswith(("**", "»", '"', ")")):
                at = len(line)
            line = line[:at] + extra + line[at:]
        lines.append(line)
    return "\n".join(lines)


def source_date(value: str, lang: str) -> str:
    """«12.06.2026», «06.2026», «2026»; an undated source says so."""
    if value == "unknown":
        return Translator(lang).gettext(UNDATED)
    return ".".join(reversed(value.split("-")))


def format_text(text: str, fmt: str) -> str:
    """Escape for the channel's format; `**bold**` becomes bold where the channel has it."""
    return _format(text, fmt)


def _format(text: str, fmt: str) -> str:
    if fmt == "html":
        return BOLD.sub(r"<b>\1</b>", html.escape(text, quote=False))
    return BOLD.sub(r"\1", text)


def is_stale(reviewed: date, today: date, months: int = 12) -> bool:
    return (today.year - reviewed.year) * 12 + (today.month - reviewed.month) > months
