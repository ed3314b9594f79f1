"""Free-text search over the package: which section answers a question, in any spelling.

Region: found from the query's words against each region's aliases, allowing Kazakh and
Russian case endings and typos. Topic: two signals on character n-grams of the normalised
spelling, so a Kazakh question typed in Latin letters still finds the Kazakh section:
- a topic classifier trained on every section's title, questions and keywords, pooled over
  regions and languages (ten regions' climate questions teach one "climate");
- retrieval: TF-IDF similarity to each section's head (title, keywords, questions) and text.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz

from content.model import PROGRAMME, Library
from content.normalise import normalise
from content.render import CITE, TEMPLATE_CALL

# Case and possessive endings that may follow a place name (normalised spelling).
_ENDINGS = (
    "", "da", "de", "ta", "te", "ga", "ge", "ka", "ke", "na", "ne", "dan", "den", "tan", "ten",
    "nan", "nen", "dyn", "din", "tyn", "tin", "nyn", "nin", "dagy", "degi", "tagy", "tegi",
    "dagi", "sy", "si", "ny", "ni", "e", "a", "u", "om", "oi", "ya", "skoi", "skaya", "skii",
    "skui", "skuyu", "ski", "ke", "ka", "i", "y", "ka", "ga",
)  # fmt: skip
HEAD_WEIGHT = 0.7  # what a section is about counts more than the words of its text
TOPIC_WEIGHT = 0.5  # the classifier's share of the final score; retrieval has the rest
_DATIVE = ("ga", "ge", "ka", "ke", "a", "e")
# Word forms that look like place names but are common words: "оралу" (to return).
_NOT_PLACES = frozenset({"oralu", "oralyp", "oraldy", "oralgan", "oralsa"})
# Question words and particles that say nothing about the topic (normalised spelling);
# "қандай" in particular would otherwise look like "қандас".
_FILLER_WORDS = frozenset({
    "kandai", "kalai", "ne", "neshe", "ma", "me", "ba", "be", "pa", "pe", "bar", "jok",
    "turaly", "aitip", "ber",  # kk
    "kak", "kakoi", "kakaya", "kakoe", "kakie", "kakovo", "chto", "eto", "li", "v", "vo", "na",
    "o", "ob", "po", "u", "s", "i", "a",  # ru
    "what", "how", "is", "are", "the", "an", "in", "of", "for", "to", "do", "does", "there",
    "it", "like", "tell", "about",  # en
})  # fmt: skip
# "Tell me about Pavlodar": with a place named, these words ask for its overview.
_ABOUT_WORDS = frozenset({
    "туралы", "айтып", "бер", "беріңіз", "беріңізші", "ақпарат", "мағлұмат", "магумат", "жалпы",
    "облыс", "облысы", "өңір", "өңірі", "қала", "қаласы",  # kk
    "расскажите", "расскажи", "информация", "информацию", "инфо", "общая", "общее", "сведения",
    "область", "области", "регион", "город",  # ru
    "general", "information", "info", "overview", "tell", "about", "region", "city", "like",
})  # fmt: skip
_FILLER = frozenset(normalise(w) for w in _FILLER_WORDS)
_ABOUT = frozenset(normalise(w) for w in _ABOUT_WORDS)
SHARPNESS = 20.0  # how peaked the topic probabilities are around the closest centroid
OTHER_SCOPE = 0.6  # a region named → programme sections count less, and the other way round


@dataclass(frozen=True)
class Result:
    key: str  # "pavlodar/climate", "programme/steps", or "regions/climate" (region not given)
    topic: str
    region: str | None
    title: str
    score: float


class Index:
    def __init__(self, lib: Library) -> None:
        # scikit-learn takes most of a second to import: paid here, in the thread that
        # builds the index while the server already answers, not before the server starts.
        from sklearn.feature_extraction.text import TfidfVectorizer

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
        self._train_topics(docs)

    def _train_topics(self, docs: list) -> None:  # type: ignore[type-arg]
        """Learn topic from wording: each title, question and keyword list is an example."""
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.preprocessing import normalize

        texts, labels = [], []
        for key, _lang, e in docs:
            label = ("p:" if key.startswith(f"{PROGRAMME}/") else "r:") + e.topic
            for text in [e.title, *e.questions, " ".join(e.keywords), *e.keywords]:
                words = self.region_of(text)[1]
                if words:
                    texts.append(words)
                    labels.append(label)
        self.topic_vectorizer = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, dtype=np.float32
        )
        self.classes: list[str] = sorted(set(labels))
        if len(self.classes) < 2:
            self.classes = []
            return
        x = self.topic_vectorizer.fit_transform(texts)
        y = np.array(labels)
        # Nearest centroid: a topic is the average of its examples. Chosen over logistic
        # regression and a linear SVM on bench/queries.jsonl: more accurate and trains in
        # milliseconds instead of seconds (docs/benchmarks.md).
        centroids = np.vstack([np.asarray(x[y == c].mean(axis=0)) for c in self.classes])
        self.centroids = normalize(centroids).astype(np.float32)

    def topic_probabilities(self, words: str) -> dict[str, float]:
        """Softmax of cosine similarity to each topic's centroid."""
        if not self.classes:
            return {}
        sims = np.asarray(self.topic_vectorizer.transform([words]) @ self.centroids.T).ravel()
        weights = np.exp((sims - sims.max()) * SHARPNESS)
        return dict(zip(self.classes, (weights / weights.sum()).tolist(), strict=True))

    def region_of(self, query: str) -> tuple[str | None, str]:
        """The region a query names, and the query without the words that named it."""
        words = normalise(query).split()
        found: str | None = None
        rest: list[str] = []
        i = 0
        while i < len(words):
            region, size = self._match_at(words, i)
            if region and found in (None, region):
                found, i = region, i + size
            else:
                rest.append(words[i])
                i += 1
        return found, " ".join(rest)

    def _match_at(self, words: list[str], i: int) -> tuple[str | None, int]:
        for size in (3, 2):  # multi-word names first: "soltustik kazakstan oblysy"
            if i + size <= len(words) and (r := self._phrases.get(" ".join(words[i : i + size]))):
                return r, size
        word = words[i]
        if word in _NOT_PLACES:
            return None, 1
        if word == "karaganda" and i and words[i - 1].endswith(_DATIVE):
            return None, 1  # "Алматыға қарағанда" is "compared with Almaty", not a place
        if word == "semei" and i and _counts_families(words[i - 1]):
            return None, 1  # "сколько семей", "для многодетных семей": families, not Semey
        return self._aliases.get(word) or _fuzzy_alias(word, self._bare), 1

    def search(self, query: str, lang: str = "kk", k: int = 3) -> list[Result]:
        if not self.rows:
            return []
        region, topic_words = self.region_of(query)
        words = " ".join(w for w in topic_words.split() if w not in _FILLER)
        if region and all(w in _ABOUT for w in words.split()):
            # just a place name: "Павлодар туралы", "Атырау облысы қандай", "о Костанае"
            return [self._result(f"{region}/overview", 1.0, lang)]
        words = words or normalise(query)
        vec = self.vectorizer.transform([words])
        scores = HEAD_WEIGHT * (self.heads @ vec.T).toarray().ravel()
        scores += (1 - HEAD_WEIGHT) * (self.bodies @ vec.T).toarray().ravel()
        retrieval: dict[str, float] = {}
        for (key, _lang), score in zip(self.rows, scores, strict=True):
            scope, topic = key.split("/", 1)
            if scope != PROGRAMME:
                if region is None:
                    key = f"regions/{topic}"
                elif scope != region:
                    continue
            retrieval[key] = max(retrieval.get(key, 0.0), float(score))
        probs = self.topic_probabilities(words)
        best: dict[str, float] = {}
        for key, score in retrieval.items():
            scope, topic = key.split("/", 1)
            p = probs.get(("p:" if scope == PROGRAMME else "r:") + topic, 0.0)
            combined = TOPIC_WEIGHT * p + (1 - TOPIC_WEIGHT) * score
            out_of_scope = (scope == PROGRAMME) == (region is not None)
            best[key] = combined * (OTHER_SCOPE if out_of_scope else 1.0)
        ranked = sorted(best.items(), key=lambda kv: kv[1], reverse=True)[:k]
        return [self._result(key, score, lang) for key, score in ranked]

    def _result(self, key: str, score: float, lang: str) -> Result:
        scope, topic = key.split("/", 1)
        region = None if scope in (PROGRAMME, "regions") else scope
        entry = self.lib.entry(key, lang) or self.lib.entry(key, "kk")
        title = entry.title if entry else self.lib.topics["region"][topic].label[lang]
        return Result(key=key, topic=topic, region=region, title=title, score=round(score, 4))


def _counts_families(previous: str) -> bool:
    return (
        previous.isdigit()
        or previous in {"skolko", "neskolko", "mnogo", "malo", "dlya", "iz", "ot", "ryad"}
        or previous.endswith(("yh", "ih", "ov", "ev"))  # многодетных, молодых, членов
    )


def _plain(text: str) -> str:
    return CITE.sub("", TEMPLATE_CALL.sub("", text))


def _alias_table(
    lib: Library,
) -> tuple[dict[str, str], dict[str, str], dict[str, dict[str, str]]]:
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
    bare: dict[str, dict[str, str]] = {}
    for w, r in unique.items():
        if len(w) >= 5 and _is_bare(w, unique):
            bare.setdefault(w[0], {})[w] = r
    return unique, {p: next(iter(r)) for p, r in phrases.items() if len(r) == 1}, bare


def _is_bare(word: str, table: dict[str, str]) -> bool:
    return not any(word.endswith(e) and word[: -len(e)] in table for e in _ENDINGS if e)


def _fuzzy_alias(word: str, bare: dict[str, dict[str, str]]) -> str | None:
    """A misspelt place name: close to an alias, followed by a known ending. Only names that
    start with the same letter are tried: typos rarely hit the first one."""
    if len(word) < 5:
        return None
    for alias, region in bare.get(word[0], {}).items():
        head, tail = word[: len(alias)], word[len(alias) :]
        if tail in _ENDINGS and len(alias) >= 5 and fuzz.ratio(head, alias) >= 80:
            return region
    return None
