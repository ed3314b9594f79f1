"""Dates as people read them in each language: «8 желтоқсан, сейсенбі», «вторник, 8 декабря»,
"Tuesday 8 December"; short forms for buttons keep the full day name."""

from __future__ import annotations

from datetime import date

from babel.dates import format_date

BABEL = {"kk": "kk_KZ", "ru": "ru_RU", "en": "en_GB"}
# Kazakh puts the date first and the day after a comma; Russian and English the day first.
DAY = {"kk": "d MMMM, EEEE", "ru": "EEEE, d MMMM", "en": "EEEE d MMMM"}
# A day on a button: the full day name and a numeric date fit WhatsApp's 20 characters.
DAY_BUTTON = {"kk": "d.MM, EEEE", "ru": "EEEE, d.MM", "en": "EEEE d MMM"}
DATE = {"kk": "d MMMM y", "ru": "d MMMM y", "en": "d MMMM y"}


def _fmt(day: date, patterns: dict[str, str], lang: str) -> str:
    lang = lang if lang in BABEL else "kk"
    return format_date(day, patterns[lang], locale=BABEL[lang])


def day_text(day: date, lang: str) -> str:
    """The day of a visit or an answer: «8 желтоқсан, сейсенбі»."""
    return _fmt(day, DAY, lang)


def day_button(day: date, lang: str) -> str:
    return _fmt(day, DAY_BUTTON, lang)


def date_text(day: date, lang: str) -> str:
    """A deadline: «8 желтоқсан 2026», «8 декабря 2026», "8 December 2026"."""
    return _fmt(day, DATE, lang)
