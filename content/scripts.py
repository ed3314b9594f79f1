"""Kazakh in three scripts: content is Cyrillic; readers may want the 2021 Latin alphabet or the
Arabic script (töte jazu) that Kazakhs in Xinjiang write. This module converts both ways and
renders a page into a script without touching URLs, code, markup or protected quotes.

Sources (read May 2025 through the project's search tool; none is normative law):

Latin (2021 alphabet, 31 letters, no C / Ç):
- /work/shared/notes/facts_regions.md §3.2, which rests on the "Official Kazakh Latin alphabet
  (April 2021)" rules file (citing en.wikipedia.org/wiki/Kazakh_alphabets) and on Wikipedia's
  2021 sample "Būryñğy ötken zamanda, bır danyşpan kısı ... üiıne ...".
- Wikipedia via github.com/SpocWiki/_Standards Lang-kaz.md: the January 2021 alphabet lacks C
  and Ç, so ч has no letter of its own.
- Russian-only letters: no 2021 rule was found. The 2018 spelling rules, as taught at
  kipk.edu.kz/?page_id=4244 ("Жаңа әліпбиде жоқ ё, э, ц, щ әріптерінің жазылу ережесі"), write
  ё as ó (актёр → aktór), э as e, ц and сц as s (цирк → sırk), щ as sh, and shsh in the native
  ащы, тұщы, кеще. We carry that over to 2021 letters (ó → ö, sh → ş). 2018 Latin wrote я as ıa
  (Wikipedia: Аллиярова → Allııarova); with 2021 и/й → i that is ia, and ю likewise iu. The
  2018 alphabet had the digraph Ch for ч (cs.wikibooks Kazaština/Přechod na latinku); 2021 has
  no C, so we keep ch. ъ and ь are dropped (github daniyarmukhanov/kazqaz table: Ь → -).

Arabic (töte jazu):
- Letter table: github Ardaq/kz_g2p README (Cyrillic ↔ Arabic with code points, incl. ٴ U+0674
  high hamza, ۆ в, ۋ у, ۇ ұ, ڭ ң, ع ғ, ح х, ھ һ, ى ы, ي и/й, چ ч; loan letters ц تس, щ شش,
  ю يۋ, я يا, ё يو, э ە, ъ ь dropped).
- tr.wikipedia.org/wiki/Kazak_alfabesi table (same letters; ә = hamza + alef, і = hamza + ى).
- Hamza rule: one hamza at the start of a word with ә ө ү і, none when the word has ك گ ە
  (already front). Baitursynov, quoted at emirsaba.org (Кдеринова, "Қазақ жазуының тарихы"):
  words written with ك and گ get no «ء», they are read soft anyway. The same rule, coded as
  NO_DAEKSHE = {ك, گ, ە}, is in a TypeScript port of github ErbosynNurbol/
  Cyrl2ToteConverter.CSharp, which also gives the pairs ия → يا, ию → يۋ, ий → ي, and writes
  е as ە (U+06D5). Punctuation ، ؟ ؛ for , ? ; is in all of those converters.
- We write the hamza as U+0674 (ٴ), as the brief and MediaWiki's kk-arab messages
  ("ٴۇشىن") do; ء (U+0621) and the precomposed ٵ ٶ ٷ ٸ (U+0675-0678) are read too.
- Digits stay 0-9: NOT VERIFIED against Xinjiang press, taken from the brief.

Merges (one letter in the target script for two in Cyrillic), undone by documented rules:
- Latin i = и / й: й after a vowel (u after a vowel is the glide у, not a vowel), и elsewhere;
  ia / iu after a vowel or at a word start = я / ю.
- Latin h = х / һ → х.   Latin s = с / ц → с.   Latin ö = ө / ё → ө.   Latin e = е / э → е.
- Arabic ي = и / й (same rule as Latin i); يا / يۋ / يو = я / ю / ё after a vowel or at a word
  start, ия / ию / ио after a consonant. Arabic ە = е / э → е; تس = тс / ц → тс.
- Arabic ا و ۇ ى are а о ұ ы in back-vowel words and ә ө ү і in front ones. A word is front if
  it has a hamza, or has ە ك گ and no ق ع; in a word with both kinds of marker (compounds such
  as Ақтөбе, loans) each vowel follows its nearest marker letter.
- Arabic has no capitals, so from_arabic returns lower case.
"""

from __future__ import annotations

import re
import unicodedata

SCRIPTS = ("cyrl", "latn", "arab")
MARK = "\u2063"  # INVISIBLE SEPARATOR: the renderer wraps text that must not be converted

# --- Latin ---------------------------------------------------------------------------------

_LATIN_LOWER = {
    "а": "a", "ә": "ä", "б": "b", "в": "v", "г": "g", "ғ": "ğ", "д": "d", "е": "e", "ё": "ö",
    "ж": "j", "з": "z", "и": "i", "й": "i", "к": "k", "қ": "q", "л": "l", "м": "m", "н": "n",
    "ң": "ñ", "о": "o", "ө": "ö", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ұ": "ū",
    "ү": "ü", "ф": "f", "х": "h", "һ": "h", "ц": "s", "ч": "ch", "ш": "ş", "щ": "şş", "ъ": "",
    "ы": "y", "і": "ı", "ь": "", "э": "e", "ю": "iu", "я": "ia",
}  # fmt: skip


# Upper case by hand: Python's "i".upper() is "I", but Kazakh и is İ and і is I.
def _latin_capital(latin: str) -> str:
    """Capitalise a Latin form, keeping Kazakh dots: i → İ, ı → I (Python's upper() has i → I)."""
    return latin[:1].replace("i", "İ").upper() + latin[1:]


_LATIN_UPPER = {c.upper(): _latin_capital(v) for c, v in _LATIN_LOWER.items()}
_LATIN_TABLE = str.maketrans({**_LATIN_LOWER, **_LATIN_UPPER})
_MULTI_UPPER = "ЧЩЮЯ"  # capitals whose Latin form has two letters
_CYR_UPPER = "".join(sorted(_LATIN_UPPER))
_CAPS_WORD = re.compile(rf"[{_CYR_UPPER}]*[{_MULTI_UPPER}][{_CYR_UPPER}]*")


def _caps_word(m: re.Match[str]) -> str:
    word = m.group()
    if len(word) < 2:  # a lone capital (Я, Ч) is a Capitalised word: İa, Ch
        return word
    return word.translate(_LATIN_TABLE).replace("i", "İ").upper()  # ЧЕК → CHEK, not ChEK


def to_latin(text: str) -> str:
    """Kazakh Cyrillic → 2021 Latin; other characters pass through."""
    if any(c in text for c in _MULTI_UPPER):
        text = _CAPS_WORD.sub(_caps_word, text)
    return text.translate(_LATIN_TABLE)


_FROM_LATIN_LOWER = {
    "a": "а", "ä": "ә", "b": "б", "v": "в", "g": "г", "ğ": "ғ", "d": "д", "e": "е", "j": "ж",
    "z": "з", "k": "к", "q": "қ", "l": "л", "m": "м", "n": "н", "ñ": "ң", "o": "о", "ö": "ө",
    "p": "п", "r": "р", "s": "с", "t": "т", "u": "у", "ū": "ұ", "ü": "ү", "f": "ф", "h": "х",
    "ş": "ш", "y": "ы", "ı": "і",
}  # fmt: skip
_FROM_LATIN_TABLE = str.maketrans(
    {
        **_FROM_LATIN_LOWER,
        **{k.upper(): v.upper() for k, v in _FROM_LATIN_LOWER.items() if k != "ı"},
        "I": "І",  # capital dotless I is і; the dotted İ is handled with i below
    }
)
_LATIN_VOWELS = frozenset("aäeoöuūüyıiAÄEOÖUŪÜYIİ")
_LATIN_SPECIAL = re.compile(r"[Cc][Hh]|[Şş][Şş]|[İi][AaUu]?")


def _latin_special(m: re.Match[str]) -> str:
    tok, start, s = m.group(), m.start(), m.string
    upper = tok[0].isupper()
    first, rest = tok[0], tok[1:].lower()  # not tok.lower(): "İ".lower() is two characters
    if first in "Cc":
        return "Ч" if upper else "ч"
    if first in "Şş":
        return "Щ" if upper else "щ"
    after_vowel = _after_latin_vowel(s, start)
    word_start = start == 0 or not s[start - 1].isalpha()
    if rest and (after_vowel or word_start):
        cyr = "я" if rest == "a" else "ю"
        return cyr.upper() if upper else cyr
    cyr = "й" if after_vowel else "и"
    if upper:
        cyr = cyr.upper()
    # The vowel after a non-glide i is an ordinary letter; translate it below.
    return cyr + tok[1:]


def _after_latin_vowel(s: str, i: int) -> bool:
    """Is s[i] preceded by a vowel? u after a vowel is the glide у (Ясауи → İasaui), not one."""
    if i == 0 or s[i - 1] not in _LATIN_VOWELS:
        return False
    return not (s[i - 1] in "uU" and i > 1 and s[i - 2] in _LATIN_VOWELS)


def from_latin(text: str) -> str:
    """2021 Latin → Cyrillic. i is й after a vowel, else и; h is х; s is с; ö is ө."""
    return _LATIN_SPECIAL.sub(_latin_special, text).translate(_FROM_LATIN_TABLE)


# --- Arabic --------------------------------------------------------------------------------

HAMZA = "\u0674"  # ARABIC LETTER HIGH HAMZA, written once before a front-vowel word
_FRONT = "\ue000"  # private sentinel: "this letter was a front vowel", resolved per word

_ARABIC_LOWER = {
    "а": "ا", "ә": _FRONT + "ا", "б": "ب", "в": "ۆ", "г": "گ", "ғ": "ع", "д": "د", "е": "ە",
    "ё": "يو", "ж": "ج", "з": "ز", "и": "ي", "й": "ي", "к": "ك", "қ": "ق", "л": "ل", "м": "م",
    "н": "ن", "ң": "ڭ", "о": "و", "ө": _FRONT + "و", "п": "پ", "р": "ر", "с": "س", "т": "ت",
    "у": "ۋ", "ұ": "ۇ", "ү": _FRONT + "ۇ", "ф": "ف", "х": "ح", "һ": "ھ", "ц": "تس", "ч": "چ",
    "ш": "ش", "щ": "شش", "ъ": "", "ы": "ى", "і": _FRONT + "ى", "ь": "", "э": "ە", "ю": "يۋ",
    "я": "يا",
}  # fmt: skip
_ARABIC_TABLE = str.maketrans(
    {**_ARABIC_LOWER, **{k.upper(): v for k, v in _ARABIC_LOWER.items()}, "?": "؟", ";": "؛"}
)
_ARABIC_PAIRS = re.compile(r"[Ии][ЯяЮюЙй]")  # ия → يا, not ييا (Cyrl2ToteConverter)
_PAIR_OUT = {"я": "يا", "ю": "يۋ", "й": "ي"}
_COMMA = re.compile(r"(?<!\d),|,(?!\d)")  # 1,5 is a number, not a clause
_ARABIC_LETTERS = "ابپتجچحدرزسشعفقكگلمنڭھەوۆۇۋىي"
_FRONT_WORD = re.compile(rf"[{_ARABIC_LETTERS}{_FRONT}]*{_FRONT}[{_ARABIC_LETTERS}{_FRONT}]*")
_SOFT_LETTERS = frozenset("كگە")  # these already mark the word as front: no hamza


def _hamza(m: re.Match[str]) -> str:
    word = m.group().replace(_FRONT, "")
    return word if _SOFT_LETTERS.intersection(word) else HAMZA + word


def to_arabic(text: str) -> str:
    """Kazakh Cyrillic → Arabic script (töte jazu), with Arabic , ? ; and one hamza a word."""
    if "и" in text or "И" in text:
        text = _ARABIC_PAIRS.sub(lambda m: _PAIR_OUT[m.group()[1].lower()], text)
    if "," in text:
        text = _COMMA.sub("،", text)
    text = text.translate(_ARABIC_TABLE)
    if _FRONT in text:
        text = _FRONT_WORD.sub(_hamza, text)
    return text


_HAMZAS = frozenset("\u0674\u0621")
_BACK_VOWEL = {"ا": "а", "و": "о", "ۇ": "ұ", "ى": "ы"}
_FRONT_VOWEL = {"ا": "ә", "و": "ө", "ۇ": "ү", "ى": "і"}
_AR_CONSONANT = {
    "ب": "б", "ۆ": "в", "گ": "г", "ع": "ғ", "د": "д", "ە": "е", "ه": "е", "ج": "ж", "ز": "з",
    "ك": "к", "ق": "қ", "ل": "л", "م": "м", "ن": "н", "ڭ": "ң", "پ": "п", "ر": "р",
    "س": "с", "ت": "т", "ۋ": "у", "ف": "ф", "ح": "х", "ھ": "һ", "چ": "ч", "ش": "ш", "خ": "х",
    "غ": "ғ", "ک": "к",
}  # fmt: skip
_FRONT_MARKS = frozenset("ەهكگ")
_BACK_MARKS = frozenset("قع")
_AR_VOWELS = frozenset("اوۇىەهي")  # for the glide rule: a ي after these is й
_AR_PUNCT = str.maketrans("،؟؛٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", ",?;01234567890123456789")
# Arabic letters proper (not punctuation or digits), incl. presentation forms and the hamzas.
_AR_WORD = re.compile(r"[\u0621-\u064A\u0671-\u06D5\uFB50-\uFDFF\uFE70-\uFEFF]+")


def _frontness(word: str) -> list[bool]:
    """Front (True) or back for each letter of a hamza-free word, from its marker letters."""
    front = [c in _FRONT_MARKS for c in word]
    back = [c in _BACK_MARKS for c in word]
    if not any(back):
        return [any(front)] * len(word)
    if not any(front):
        return [False] * len(word)
    marks = [i for i, c in enumerate(word) if front[i] or back[i]]
    out = []
    for i in range(len(word)):
        # nearest marker; on a tie the following one wins (Ақ|төбе: ө follows т, sees ە)
        j = min(marks, key=lambda k: (abs(k - i), k < i))
        out.append(front[j])
    return out


def _word_from_arabic(word: str) -> str:
    word = unicodedata.normalize("NFKC", word)  # presentation forms; ٷ → ۇ + ٴ
    hamza = any(c in _HAMZAS for c in word)
    word = "".join(c for c in word if c not in _HAMZAS)
    word = word.replace("شش", "щ")  # ащы, тұщы, кеще: the one native щ (kz_g2p: щ شش)
    front = [True] * len(word) if hamza else _frontness(word)
    out: list[str] = []
    i, n = 0, len(word)
    while i < n:
        c = word[i]
        if c in _BACK_VOWEL:
            out.append((_FRONT_VOWEL if front[i] else _BACK_VOWEL)[c])
        elif c == "ي":
            glide, used = _glide(word, i)
            out.append(glide)
            i += used
            continue
        else:
            out.append(_AR_CONSONANT.get(c, c))
        i += 1
    return "".join(out)


def _glide(word: str, i: int) -> tuple[str, int]:
    """ي is й after a vowel, и elsewhere; ي + ا / ۋ / و is я / ю / ё after a vowel or at the
    start (аяз, қою), ия / ию after a consonant (қиял). Returns the letters and how many it read."""
    after_vowel = i > 0 and word[i - 1] in _AR_VOWELS
    nxt = word[i + 1] if i + 1 < len(word) else ""
    if nxt in _YOTATED:
        yotated = _YOTATED[nxt]
        if after_vowel or i == 0:
            return yotated, 2
        if nxt != "و":  # шофёр: after a consonant يو stays и + о
            return "и" + yotated, 2
    return ("й" if after_vowel else "и"), 1


_YOTATED = {"ا": "я", "ۋ": "ю", "و": "ё"}


def from_arabic(text: str) -> str:
    """Arabic-script Kazakh → Cyrillic (lower case); non-Arabic characters pass through."""
    return _AR_WORD.sub(lambda m: _word_from_arabic(m.group()), text).translate(_AR_PUNCT)


def is_arabic(text: str) -> bool:
    """True when most letters in text are Arabic-script letters."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return False
    arabic = sum(1 for c in letters if "\u0600" <= c <= "\u06ff" or "\ufb50" <= c <= "\ufeff")
    return arabic * 2 > len(letters)


# --- Rendering -----------------------------------------------------------------------------

_PROTECTED = re.compile(
    "|".join(
        [
            rf"{MARK}(?P<marked>[^{MARK}]*){MARK}",  # renderer-protected names and quotes
            r"```[\s\S]*?```",  # code fence
            r"`[^`\n]*`",  # inline code
            r"\]\([^)\s]*\)",  # Markdown link target
            r"<[A-Za-z/!][^<>]*>",  # HTML tag
            r"&(?:[A-Za-z]+|#\d+|#[xX][0-9A-Fa-f]+);",  # HTML entity
            r"(?:https?://|www\.)[^\s<>]*[^\s<>.,;:!?)\]»\"']",  # URL, minus closing punctuation
            r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+",  # e-mail (lookbehind: 2x faster scan)
            r"(?<![\w/])/[A-Za-z0-9_]+(?:@\w+)?",  # Telegram command
        ]
    )
)
_CONVERT = {"latn": to_latin, "arab": to_arabic}


def render(text: str, script: str) -> str:
    """text (Cyrillic) in script, leaving protected spans as they are and removing MARKs."""
    if script == "cyrl":
        return text.replace(MARK, "")
    convert = _CONVERT[script]
    out: list[str] = []
    pos = 0
    for m in _PROTECTED.finditer(text):
        if m.start() > pos:
            out.append(convert(text[pos : m.start()]))
        marked = m.group("marked")
        out.append(m.group() if marked is None else marked)
        pos = m.end()
    if pos == 0:
        return convert(text)
    out.append(convert(text[pos:]))
    return "".join(out)
