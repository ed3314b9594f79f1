"""One spelling for Kazakh and Russian however they are typed: Cyrillic with Kazakh letters,
Kazakh with Russian letters in their place, any of the Latin alphabets (2017 apostrophes,
2018 acutes, 2021 diacritics), ASCII digraphs, and the Arabic script of Kazakhs from China.
Everything folds onto a coarse Latin form, so "Қостанайда", "костанайда", "Qostanaıda",
"kostanaida" and "قوستانايدا" are the same word."""

from __future__ import annotations

import re
import unicodedata

from content.scripts import from_arabic

_CYRILLIC = {
    "а": "a", "ә": "a", "б": "b", "в": "v", "г": "g", "ғ": "g", "д": "d", "е": "e", "ё": "e",
    "э": "e", "ж": "j", "з": "z", "и": "i", "й": "i", "і": "i", "к": "k", "қ": "k", "л": "l",
    "м": "m", "н": "n", "ң": "n", "о": "o", "ө": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ұ": "u", "ү": "u", "ф": "f", "х": "h", "һ": "h", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "sh", "ъ": "", "ы": "y", "ь": "", "ю": "yu", "я": "ya",
}  # fmt: skip
# Latin letters with marks that mean a different sound; the rest just lose their marks.
_LATIN = {
    "ş": "sh",
    "ç": "ch",
    "ğ": "g",
    "ñ": "n",
    "ń": "n",
    "ŋ": "n",
    "ı": "i",
    "ý": "u",
    "ú": "u",
    "ū": "u",
}
_DIGRAPHS = [
    (re.compile(r"s'"), "sh"), (re.compile(r"c'"), "ch"), (re.compile(r"([gnkaoui])'"), r"\1"),
    (re.compile(r"zh"), "j"), (re.compile(r"kh"), "h"), (re.compile(r"q"), "k"),
    (re.compile(r"w"), "u"), (re.compile(r"x"), "h"),
    (re.compile(r"(?<=[aeiou])y(?![aeiou])"), "i"),  # Kostanay = Kostanai; uy = үй
    (re.compile(r"(.)\1+"), r"\1"),  # doubled letters are mostly typos
]  # fmt: skip
_TABLE = str.maketrans({**_CYRILLIC, **{k.upper(): v for k, v in _CYRILLIC.items()}, **_LATIN})
_NOT_WORD = re.compile(r"[^a-z0-9]+")
# Arabic-script Kazakh goes to Cyrillic first; the check keeps other text off that path.
_ARABIC = re.compile(r"[\u0600-\u06ff\ufb50-\ufdff\ufe70-\ufeff]")


def normalise(text: str) -> str:
    if _ARABIC.search(text):
        text = from_arabic(text)
    text = text.casefold().translate(_TABLE)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    for pattern, repl in _DIGRAPHS:
        text = pattern.sub(repl, text)
    return _NOT_WORD.sub(" ", text).strip()
