"""Which place a question names: a region ("Павлодар облысы"), its centre, or any town,
district or village of the gazetteer, in any spelling and case form ("Рудныйда",
"в Лисаковске", "Щучинскіде", "from Ekibastuz", "в Рудном", "Усть-Каменогорске").

A name is looked up in its normalised spelling (content.normalise): its Russian case forms
are in the table, Kazakh endings are taken off the word looked up; a misspelt town is matched
by similarity. The words that named a place are taken out of the question, so they do not
sway the topic.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from content.model import Library
from content.normalise import normalise

# Kazakh case, possessive and derivational endings (after vowels and consonants, with the
# linking і/ы: "Щучинскіде").
KAZAKH_ENDINGS = (
    "da", "de", "ta", "te", "ga", "ge", "ka", "ke", "na", "ne", "dan", "den", "tan", "ten",
    "nan", "nen", "dyn", "din", "tyn", "tin", "nyn", "nin", "dagy", "degi", "tagy", "tegi",
    "dagi", "sy", "si", "ny", "ni", "dy", "di", "ty", "ti", "lyk", "lik", "dyk", "dik", "tyk",
    "tik", "lyktar", "likter", "ide", "ida", "yda", "ige", "iga", "yga", "iden", "idan", "ydan",
    "inde", "ynda", "ine", "yna", "inen", "ynan", "ynyn", "inin",
)  # fmt: skip
ORIGIN_ENDINGS = ("dan", "den", "tan", "ten", "nan", "nen", "iden", "idan", "ydan", "inen")
ORIGIN_WORDS = frozenset({"iz", "from", "ot"})  # "из Шымкента", "from Taraz"
# Words that say the next or previous word is a village ("Еңбек ауылы", "село Достык").
VILLAGE_WORDS = frozenset(
    normalise(w)
    for w in [
        "ауыл", "ауылы", "ауылында", "ауылына", "ауылынан", "ауылдан", "ауылда", "кенті",
        "кентінде", "село", "селе", "села", "селу", "посёлок", "поселок", "посёлке", "поселке",
        "village", "settlement",
    ]
)  # fmt: skip
DISTRICT_WORDS = frozenset(
    normalise(w)
    for w in [
        "ауданы", "ауданында", "ауданына", "ауданынан", "ауданының", "аудан", "ауданда",
        "район", "района", "районе", "району", "районом", "district", "raion", "audany",
    ]
)  # fmt: skip
TOWN_WORDS = frozenset(
    normalise(w)
    for w in [
        "қала", "қаласы", "қаласында", "қаласына", "қаласынан", "қаласының", "город", "города",
        "городе", "городу", "town", "city", "kalasy",
    ]
)  # fmt: skip
# Word forms that look like place names but are common words: "оралу" (to return).
NOT_PLACES = frozenset({"oralu", "oralyp", "oraldy", "oralgan", "oralsa"})
_DATIVE = ("ga", "ge", "ka", "ke", "a", "e")
_DOUBLE = re.compile(r"(.)\1+")
_KIND_ORDER = ("city", "town", "village", "district")
_KIND_WORDS = (
    (("city", "town"), TOWN_WORDS),
    (("district",), DISTRICT_WORDS),
    (("village",), VILLAGE_WORDS),
)


@dataclass(frozen=True)
class Spot:
    """A place named at words[start:start + size]: the regions it may be in and the
    settlement it is (None when a region itself was named)."""

    start: int
    size: int
    options: frozenset[tuple[str, str | None]]  # (region id, place id)
    origin: bool  # "from Shymkent", "Шымкенттен": where they come from, not where they go

    @property
    def regions(self) -> frozenset[str]:
        return frozenset(r for r, _ in self.options)


@dataclass(frozen=True)
class Where:
    region: str | None  # the receiving region the question is about, if one is clear
    place: str | None  # the settlement named, when it decided the region
    choices: tuple[tuple[str, str], ...]  # (region, place) when a name fits several regions
    rest: str  # the question without the words that named places


class PlaceNames:
    def __init__(self, lib: Library) -> None:
        self.receiving = set(lib.regions)
        self.table: dict[str, set[tuple[str, str | None]]] = {}
        self.needs_marker: set[str] = set()  # villages named like common words
        # Of several places of one name in a region, a town before a village, a village
        # before the district named after it, the bigger first.
        self.rank = {
            p.id: (_kind_order(p.kind), -(p.population or 0), p.id)
            for p in lib.places.places.values()
        }
        self.fuzzy: dict[str, dict[str, tuple[str, str | None]]] = {}
        common = self.common = _vocabulary(lib)
        self.not_village: set[str] = set()
        self.kind = {p.id: p.kind for p in lib.places.places.values()}
        for region in lib.regions.values():
            names = [*region.aliases, *region.name.values(), *region.centre.values(), region.id]
            for name in names:
                self._add(name.replace("_", " "), (region.id, None), inflect=False)
                word = normalise(name)
                if len(word) >= 5 and " " not in word:  # "павладарда": a typo in the name
                    self.fuzzy.setdefault(word[0], {})[word] = (region.id, None)
        for place in lib.places.places.values():
            official = {normalise(n) for n in place.name.values()}
            others = {normalise(n) for n in place.spellings()} - official
            # "Коши" for Қосшы is also the көші of көші-қон: a variant that is a common word
            # does not name the place.
            for name in sorted(official | (others - common)):
                self._add_place(name, place.region, place.id, place.kind, common)
        self.needs_marker -= self.not_village  # "Жезқазған" the town is always a place
        self.fuzzy_lists = {c: list(names) for c, names in self.fuzzy.items()}

    def _add(self, name: str, option: tuple[str, str | None], *, inflect: bool = True) -> None:
        """A name and its Russian case forms; Kazakh endings are taken off as words are
        looked up (see base), which keeps this table small and quick to build."""
        words = normalise(name).split()
        if not words:
            return
        head, last = words[:-1], words[-1]
        forms = {last, *_russian(last)} if inflect and len(last) >= 4 else {last}
        for form in forms:
            self.table.setdefault(" ".join([*head, form]), set()).add(option)

    def _add_place(self, name: str, region: str, pid: str, kind: str, common: set[str]) -> None:
        words = [w for w in normalise(name).split() if w not in DISTRICT_WORDS]
        if not words:
            return
        bare = " ".join(words)
        self._add(bare, (region, pid))
        if kind == "village" and bare in common:
            self.needs_marker.add(bare)
        elif len(bare) >= 5 and " " not in bare:
            self.fuzzy.setdefault(bare[0], {})[bare] = (region, pid)
        if kind != "village":
            self.not_village.add(bare)

    def spots(self, words: list[str]) -> list[Spot]:
        found, i = [], 0
        while i < len(words):
            spot = self._spot_at(words, i)
            if spot:
                found.append(spot)
                i += spot.size
            else:
                i += 1
        return found

    def _spot_at(self, words: list[str], i: int) -> Spot | None:
        for size in (3, 2, 1):
            if i + size > len(words):
                continue
            key = " ".join(words[i : i + size])
            found = base(key, self.table)
            options = self.table[found] if found else None
            if size == 1:
                if not self._may_be_place(words, i):
                    return None
                if not options and key not in self.common:
                    options = self._misspelt(key)
            if options:
                options = self._of_kind_said(options, words, i + size)
                return Spot(i, size, frozenset(options), _origin(words, i, size))
        return None

    def _of_kind_said(self, options: set, words: list[str], after: int) -> set:  # type: ignore[type-arg]
        """ "Есіл қаласы", "Есильский район", "село Аксу": the word after a name (or before
        it) says which kind of place is meant."""
        near = {*words[after : after + 1], *words[max(0, after - 2) : after - 1]}
        for kinds, said in _KIND_WORDS:
            if near & said:
                narrowed = {(r, p) for r, p in options if p and self.kind.get(p) in kinds}
                return narrowed or options
        return options

    def _may_be_place(self, words: list[str], i: int) -> bool:
        word = words[i]
        if word in NOT_PLACES:
            return False
        if word == "karaganda" and i and words[i - 1].endswith(_DATIVE):
            return False  # "Алматыға қарағанда" is "compared with Almaty", not a place
        if word.startswith("seme") and i and _counts_families(words[i - 1]):
            return False  # "сколько семей", "для многодетных семей": families, not Semey
        if base(word, self.needs_marker):
            near = set(words[max(0, i - 1) : i + 2])
            return bool(near & VILLAGE_WORDS)
        return True

    def _misspelt(self, word: str) -> set[tuple[str, str | None]] | None:
        """A misspelt town: close to a name, followed by a known ending. Only names that
        start with the same letter are tried: typos rarely hit the first one."""
        names = self.fuzzy_lists.get(word[0]) if len(word) >= 5 else None
        if not names:
            return None
        for cut in range(len(word), 4, -1):
            if cut < len(word) and word[cut:] not in _ENDING_SET:
                continue
            found = process.extractOne(word[:cut], names, scorer=fuzz.ratio, score_cutoff=85)
            if found:
                return {self.fuzzy[word[0]][found[0]]}
        return None

    def where(self, query: str) -> Where:
        words = normalise(query).split()
        spots = self.spots(words)
        taken = {i for s in spots for i in range(s.start, s.start + s.size)}
        rest = " ".join(w for i, w in enumerate(words) if i not in taken)
        return self._decide(spots, rest)

    def _decide(self, spots: list[Spot], rest: str) -> Where:
        going = [s for s in spots if s.regions & self.receiving]
        if not going:
            return Where(None, None, (), rest)
        # Where they go counts before where they come from; a region named outright settles
        # which of several towns of one name is meant ("Аксу, Павлодарская область").
        preferred = [s for s in going if not s.origin] or going
        named = {r for s in preferred for r, p in s.options if p is None and r in self.receiving}
        for spot in preferred:
            options = {(r, p) for r, p in spot.options if r in self.receiving}
            regions = {r for r, _ in options}
            if named and regions & named:
                regions &= named
            best = {r: self._best(r, options) for r in sorted(regions)}
            if len(best) == 1:
                [(region, place)] = best.items()
                return Where(region, place, (), rest)
            return Where(None, None, tuple((r, p or "") for r, p in best.items()), rest)
        return Where(None, None, (), rest)

    def _best(self, region: str, options: set[tuple[str, str | None]]) -> str | None:
        """The place a name means in one region; None when it named the region itself."""
        places = [p for r, p in options if r == region and p]
        best = min(places, key=lambda p: self.rank[p]) if places else None
        named_region = (region, None) in options
        # "Павлодар" is the region as much as its centre; "Риддер", also in the region's
        # aliases, is still a town to be named in the answer.
        if best is None or (named_region and self.rank[best][0] == 0):
            return None
        return best


def base(key: str, names: Collection[str]) -> str | None:
    """The name in `names` that `key` is a form of: itself, or with a Kazakh ending taken off
    ("Рудныйда", "Өскеменнен" which normalise writes "oskemenen"). A name shorter than four
    letters takes no ending: "СКО" is not the start of "скока"."""
    if key in names:
        return key
    cut = key.rfind(" ") + 1
    head, last = key[:cut], key[cut:]
    for n in _ENDING_LENGTHS:
        ending = last[-n:]
        if len(last) - n < 4 or ending not in _ENDING_SET:
            continue
        for stem in (head + last[:-n], head + last[:-n] + ending[0]):
            if stem in names:
                return stem
    return None


def _russian(word: str) -> set[str]:
    """A name's Russian case forms, normalised: "Рудный" → "в Рудном", "Семей" → "в Семее"."""
    for ending, stem_cut, cases in _RUSSIAN:
        if word.endswith(ending):
            stem = word[: len(word) - stem_cut]
            return {_join(stem, c) for c in cases}
    return set()


def _join(stem: str, ending: str) -> str:
    """normalise() writes a doubled letter once: "Семее" is "seme", so its forms are too."""
    if stem and ending and stem[-1] == ending[0]:
        return _DOUBLE.sub(r"\1", stem + ending)
    return stem + ending


# (how the name ends, how much of it the cases replace, the case endings)
_RUSSIAN = (
    ("ski", 3, ("ski", "skogo", "skomu", "skom", "skim", "skoi", "skaya", "skuyu", "skie")),
    ("yi", 2, ("yi", "ogo", "omu", "om", "ym")),
    ("ii", 2, ("ii", "ogo", "omu", "om", "im")),
    ("oi", 2, ("oi", "ogo", "omu", "om", "ym")),
    ("ya", 1, ("i", "e", "yu", "ei")),
    ("ary", 1, ("y", "ah", "am", "ov")),  # Кульсары → в Кульсарах
    ("a", 1, ("a", "y", "i", "e", "u", "oi")),
    ("ei", 1, ("e", "ya", "yu", "em")),
    ("ai", 1, ("e", "ya", "yu", "em")),
    ("o", 0, ("",)),
    ("u", 0, ("",)),
    ("i", 0, ("",)),
    ("e", 0, ("",)),
    ("", 0, ("a", "e", "u", "om", "em", "y", "e")),
)
_ENDING_SET = frozenset(KAZAKH_ENDINGS) | {"a", "e", "u", "om", "em", "y"}
_ENDING_LENGTHS = sorted({len(e) for e in _ENDING_SET}, reverse=True)


def _origin(words: list[str], i: int, size: int) -> bool:
    last = words[i + size - 1]
    return (i > 0 and words[i - 1] in ORIGIN_WORDS) or last.endswith(ORIGIN_ENDINGS)


def _counts_families(previous: str) -> bool:
    return (
        previous.isdigit()
        or previous in {"skolko", "neskolko", "mnogo", "malo", "dlya", "iz", "ot", "ryad"}
        or previous.endswith(("yh", "ih", "ov", "ev"))  # многодетных, молодых, членов
    )


def _vocabulary(lib: Library) -> set[str]:
    """The words the package's pages use in lower case, and common words that are also
    village names: a village called like one of them ("Еңбек", "Достық") is only a place
    when the question says it is a village."""
    words = {normalise(w) for w in COMMON_WORDS}
    for entry in lib.entries.values():
        text = f"{entry.title} {entry.short} {entry.more} {' '.join(entry.questions)}"
        text = _URL.sub(" ", text)  # "zhezkazgan.kz" is no common word
        lower = " ".join(w for w in _WORD.findall(text) if w[:1].islower())
        words.update(normalise(lower).split())  # one call per page: normalise is not free
    return words


_WORD = re.compile(r"[^\W\d_]+")
_URL = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+|\(\S+\)")
COMMON_WORDS = (
    "еңбек", "достық", "бірлік", "жеңіс", "береке", "бірлестік", "ынтымақ", "тәуелсіздік",
    "жаңаталап", "жұлдыз", "қайнар", "бастау", "заря", "мир", "победа", "дружба", "труд",
    "восход", "родина", "степное", "степной", "лесное", "луговое", "новое", "октябрь",
    "первомайское", "садовое", "солнечное", "советское", "целинное", "весёлое", "красное",
)  # fmt: skip


def _kind_order(kind: str) -> int:
    return _KIND_ORDER.index(kind) if kind in _KIND_ORDER else len(_KIND_ORDER)
