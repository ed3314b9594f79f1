"""Which numbers in a page's prose are figures (a price, a wage, a temperature, a share, a
count, a duration, a phone) and so belong in the facts registry, and which are not: years,
dates, clock times, list numbers, ordinals («1-сынып», «2nd») and the numbers of laws and
their articles («12-тармақ», «Order No. 234», «ст. 50»).

`qonys content check` refuses a figure typed into prose; the same reading finds them when a
page is moved onto the registry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MONTHS = (
    # kk, ru and en stems, so every case form matches («қыркүйектен», «сентября»)
    "қаңтар|ақпан|наурыз|сәуір|мамыр|маусым|шілде|тамыз|қыркүйек|қазан|қараша|желтоқсан|"
    "январ|феврал|март|апрел|ма[йя]|июн|июл|август|сентябр|октябр|ноябр|декабр|"
    "January|February|March|April|May|June|July|August|September|October|November|December"
)
LAW = (
    r"(?:№|No\.?|N\s|ст\.|стать\w*|пункт\w*|п\.|пп\.|подпункт\w*|Art\.|[Aa]rticles?|"
    r"para\.?|[Pp]aragraphs?|sub-?para\w*|[Ss]ubparagraphs?|[Cc]lauses?|[Oo]rders?|[Rr]ules|"
    r"приказ\w*|[Пп]равил\w*|[Зз]акон\w*|бұйрық\w*|қағида\w*|Заңы?\w*|[Dd]ecree|[Ll]aw)"
)
COUNTED = (
    r"(?!\s*(?:адам|человек|people|persons|тенге|теңге|tenge|₸|сем|отбасы|famil|га\b|ha\b|"
    r"гектар|hectare|тонн|tonnes|км\b|km\b|мест|орын|places|вакан|vacanc|бос жұмыс|жұмыс орн|"
    r"рабоч|jobs|учаск|plots|МРП|АЕК|MCI|%|бала|дет|children|оқушы|ученик|pupils))"
)
# Not figures: replaced by blanks of the same length before numbers are looked for.
NOT_FIGURES = [
    re.compile(r"^\s*\d+[.)]\s", re.M),  # a numbered list item
    re.compile(rf"\d{{1,2}}(?:\s*[–-]\s*\d{{1,2}})?\s+(?:{MONTHS})", re.I),  # a date
    re.compile(r"\d{1,2}\.\d{1,2}\.(?:19|20)\d\d"),  # 01.09.2025
    # A year or a span of years, unless what follows counts something: «2075 адам» is a figure.
    re.compile(r"(?<!\d)(?:19|20)\d\d(?:\s*[–-]\s*(?:19|20)\d\d)?(?!\d)" + COUNTED),
    re.compile(r"\d{1,2}:\d{2}"),  # a clock time
    # An ordinal or a numbered noun: «1-ші», «1-сынып», «12-тармақ», «2-й», «2nd». A case
    # ending on a figure («10,6-дан», «389 669-ы») is not one: that number is a figure.
    re.compile(
        r"\d+-(?:[іы]?н?ш[іы]|бап|баб|тармақ|тарау|қосымша|сынып|класс|бұйрық|й|я|е|го|му|м)"
        r"(?![^\W\d_])|\d+-(?:бап|баб|тармақ|тарау|қосымша|сынып|бұйрық)\w*",
        re.I,
    ),
    re.compile(r"\d+(?:st|nd|rd|th)\b"),
    re.compile(
        r"(?:[Gg]rades?|[Cc]lass)\s+\d+(?:\s*[–-]\s*\d+)?|\d+(?:\s*[–-]\s*\d+)?\s*(?:класс|сынып)\w*"
    ),
    re.compile(rf"{LAW}\s*(?:№\s*|No\.?\s*)?\d+(?:[-.]\d+)*(?:\s*[,и&]\s*\d+)*"),
    re.compile(r"\d+\.\d+-\d+-(?:19|20)\d\d"),  # a code's number: SP RK 2.04-01-2017
    re.compile(r"\d+/[^\W\d_](?:-\d+)?"),  # a form's number: 063/у, 026/у-3
    re.compile(
        r"(?<!\d[ \u00a0\u202f])(?<![\d,.])0\d{2}(?:-\d+)?(?![\d,.])"
    ),  # …or 063, 026-3: no figure starts with 0
    re.compile(r"\d+\s*[×x]\s*\d+(?=\s|$|[^\w])"),  # a photo size: 3×4
    re.compile(r"\{\{.*?\}\}"),  # a template call: the registry's own figures
    re.compile(r"\[\^[^\]]+\]"),  # a citation
]
# A number as written in kk/ru («302 750», «13,2») or en («302,750», «13.2»), with its sign.
_SIGN = r"[−+-]?(?<![\d,.])"
NUMBER = {
    "kk": re.compile(
        rf"{_SIGN}\d{{1,3}}(?:[ \u00a0\u202f]\d{{3}})+(?:,\d+)?(?!\d)|{_SIGN}\d+(?:,\d+)?(?!\d)"
    ),
    "en": re.compile(rf"{_SIGN}\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?(?!\d)|{_SIGN}\d+(?:\.\d+)?(?!\d)"),
}
NUMBER["ru"] = NUMBER["kk"]


@dataclass(frozen=True)
class Figure:
    start: int
    end: int
    text: str
    value: float


def blank_non_figures(text: str) -> str:
    for pattern in NOT_FIGURES:
        text = pattern.sub(lambda m: " " * len(m.group()), text)
    return text


def figures(text: str, lang: str) -> list[Figure]:
    """The figures in `text`: numbers that are not years, dates, list numbers, ordinals or
    law numbers, in the order they appear."""
    blanked = blank_non_figures(text)
    found = []
    for m in NUMBER[lang].finditer(blanked):
        raw = m.group()
        if raw[0] in "+-−" and m.start() > 0 and blanked[m.start() - 1].isalnum():
            raw, start = raw[1:], m.start() + 1  # a hyphen inside a word, not a sign
        else:
            start = m.start()
        found.append(Figure(start, m.end(), text[start : m.end()], parse(raw, lang)))
    return found


def parse(raw: str, lang: str) -> float:
    sign = -1.0 if raw[0] in "-−" else 1.0
    digits = raw.lstrip("+-−")
    if lang == "en":
        digits = digits.replace(",", "")
    else:
        digits = re.sub(r"[ \u00a0\u202f]", "", digits).replace(",", ".")
    return sign * float(digits)
