"""Free-text search over the package: which section answers a question, in any spelling.

Region: found from the query's words against each region's aliases, allowing Kazakh and
Russian case endings and typos. Topic: a character n-gram TF-IDF over what each section is
about (title, keywords, questions) and what it says (text), in all three languages, so a
Kazakh question typed in Latin letters still finds the Kazakh section.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz
from sklearn.feature_extraction.text import TfidfVectorizer

from content.model import PROGRAMME, Library
from content.normalise import normalise
from content.render import CITE, MCI_CALL

# Case and possessive endings that may follow a place name (normalised spelling).
_ENDINGS = (
    "", "da", "de", "ta", "te", "ga", "ge", "ka", "ke", "na", "ne", "dan", "den", "tan", "ten",
    "nan", "nen", "dyn", "din", "tyn", "tin", "nyn", "nin", "dagy", "degi", "tagy", "tegi",
    "dagi", "sy", "si", "ny", "ni", "e", "a", "u", "om", "oi", "ya", "skoi", "skaya", "skii",
    "skui", "skuyu", "ski", "ke", "ka", "i", "y", "ka", "ga",
)  # fmt: skip
HEAD_WEIGHT = 0.7  # what a section is about counts more than the words of its text


@dataclass(frozen=True)
class Result:
    key: str  # "pavlodar/climate", "programme/steps", or "regions/climate" (region not given)
    topic: str
    region: str | None
    title: str
    score: float


class Index:
    def __init__(self, lib: Library) -> None:
        self.lib = lib
        self._aliases, self._phrases, self._bare = _alias_table(lib)
        docs = [(key, lang, e) for (key, lang), e in sorted(lib.entries.items())]
        self.rows = [(key, lang) for key, lang, _ in docs]
        heads = [normalise(" ".join([e.title, *e.keywords, *e.questions])) for _, _, e in docs]
        bodies = [normalise(_plain(e.short + " " + e.more)) for _, _, e in docs]
        self.vectorizer = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, dtype=np.float32
        )
        self.vectorizer.fit(heads + bodies or ["-"])  # an empty package still answers "nothing"
        self.heads = self.vectorizer.transform(heads or ["-"])
        self.bodies = self.vectorizer.transform(bodies or ["-"])

    def region_of(self, query: str) -> tuple[str | None, str]:
        """The region a query names, and the query without the words that named it."""
        text = f" {normalise(query)} "
        found: str | None = None
        for phrase, region in self._phrases.items():
            if f" {phrase} " in text:
                found, text = region, text.replace(f" {phrase} ", " ")
        rest = []
        for word in text.split():
            region = self._aliases.get(word) or _fuzzy_alias(word, self._bare)
            if region and found in (None, region):
                found = region
            else:
                rest.append(word)
        return found, " ".join(rest)

    def search(self, query: str, lang: str = "kk", k: int = 3) -> list[Result]:
        if not self.rows:
            return []
        region, topic_words = self.region_of(query)
        vec = self.vectorizer.transform([topic_words or normalise(query)])
        scores = HEAD_WEIGHT * (self.heads @ vec.T).toarray().ravel()
        scores += (1 - HEAD_WEIGHT) * (self.bodies @ vec.T).toarray().ravel()
        best: dict[str, float] = {}
        for (key, _lang), score in zip(self.rows, scores, strict=True):
            scope, topic = key.split("/", 1)
            if scope != PROGRAMME:
                if region is None:
                    key = f"regions/{topic}"
                elif scope != region:
                    continue
            best[key] = max(best.get(key, 0.0), float(score))
        ranked = sorted(best.items(), key=lambda kv: kv[1], reverse=True)[:k]
        return [self._result(key, score, lang) for key, score in ranked]

    def _result(self, key: str, score: float, lang: str) -> Result:
        scope, topic = key.split("/", 1)
        region = None if scope in (PROGRAMME, "regions") else scope
        entry = self.lib.entry(key, lang) or self.lib.entry(key, "kk")
        title = entry.title if entry else self.lib.topics["region"][topic].label[lang]
        return Result(key=key, topic=topic, region=region, title=title, score=round(score, 4))


def _plain(text: str) -> str:
    return CITE.sub("", MCI_CALL.sub("", text))


def _alias_table(lib: Library) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """Normalised alias words with their endings → region, multi-word aliases → region, and
    the bare words for typo matching. Words shared by regions ("oblysy", "kazakstan") are
    dropped, since they do not tell regions apart."""
    owners: dict[str, set[str]] = {}
    phrases: dict[str, set[str]] = {}
    for region in lib.regions.values():
        names = [*region.aliases, *region.name.values(), *region.centre.values(), region.id]
        for alias in names:
            words = normalise(alias.replace("_", " ")).split()
            table = owners if len(words) == 1 else phrases
            for ending in _ENDINGS:
                table.setdefault(" ".join(words) + ending, set()).add(region.id)
    unique = {w: next(iter(r)) for w, r in owners.items() if len(r) == 1 and len(w) >= 3}
    bare = {w: r for w, r in unique.items() if len(w) >= 5 and _is_bare(w, unique)}
    return unique, {p: next(iter(r)) for p, r in phrases.items() if len(r) == 1}, bare


def _is_bare(word: str, table: dict[str, str]) -> bool:
    return not any(word.endswith(e) and word[: -len(e)] in table for e in _ENDINGS if e)


def _fuzzy_alias(word: str, bare: dict[str, str]) -> str | None:
    """A misspelt place name: close to an alias, followed by a known ending."""
    if len(word) < 5:
        return None
    for alias, region in bare.items():
        head, tail = word[: len(alias)], word[len(alias) :]
        if tail in _ENDINGS and len(alias) >= 5 and fuzz.ratio(head, alias) >= 80:
            return region
    return None
