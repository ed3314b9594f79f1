"""Free-text search over the package: which section answers a question, in any spelling.

Region: found from the query's words against each region's aliases, allowing Kazakh and
Russian case endings and typos. Topic: two signals on character n-grams of the normalised
spelling, so a Kazakh question typed in Latin letters still finds the Kazakh section:
- a topic classifier trained on every section's title, questions and keywords, pooled over
  regions and languages (ten regions' climate questions teach one "climate");
- retrieval: TF-IDF similarity to each section's head (title, keywords, questions) and text.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from itertools import pairwise

import numpy as np

from content.model import PROGRAMME, Library
from content.normalise import normalise
from content.questions import questions
from content.render import CITE, TEMPLATE_CALL
from content.tfidf import QueryVectorizer
from content.where import PlaceNames, Where

HEAD_WEIGHT = 0.7  # what a section is about counts more than the words of its text
TOPIC_WEIGHT = 0.4  # the classifier's share of the final score; retrieval has the rest
# Question words and particles that say nothing about the topic (normalised spelling);
# "қандай" in particular would otherwise look like "қандас".
_FILLER_WORDS = frozenset({
    "kandai", "kalai", "ne", "neshe", "ma", "me", "ba", "be", "pa", "pe", "bar", "jok",
    "turaly", "aitip", "ber", "she", "al", "alde", "jane", "kalay",  # kk
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
SHARPNESS = 15.0  # how peaked the topic probabilities are around the closest centroid
OTHER_SCOPE = 0.6  # a region named → programme sections count less, and the other way round


@dataclass(frozen=True)
class Result:
    key: str  # "pavlodar/climate", "programme/steps", or "regions/climate" (region not given)
    topic: str
    region: str | None
    title: str
    score: float
    place: str | None = None  # the town the question named, when it decided the region
    # When a town's name fits several regions ("Аксу"): (region, place) to choose from.
    choices: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Asked:
    results: list[Result]  # for the (first) question of a message
    also: list[Result]  # the best section for each other question in it


class Index:
    def __init__(self, lib: Library) -> None:
        # scikit-learn takes most of a second to import: paid here, in the thread that
        # builds the index while the server already answers, not before the server starts.
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.lib = lib
        self.places = PlaceNames(lib)
        docs = [(key, lang, e) for (key, lang), e in sorted(lib.entries.items())]
        self.rows = [(key, lang) for key, lang, _ in docs]
        heads = [normalise(" ".join([e.title, *e.keywords, *e.questions])) for _, _, e in docs]
        bodies = [normalise(_plain(e.short + " " + e.more)) for _, _, e in docs]
        self.vectorizer = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, dtype=np.float32
        )
        self.vectorizer.fit(heads + bodies or ["-"])  # an empty package still answers "nothing"
        # Head and text weighed once, stored by column: a question has a few dozen n-grams,
        # so its scores are those columns times its weights (a sparse product costs more).
        weighed = HEAD_WEIGHT * self.vectorizer.transform(heads or ["-"])
        weighed += (1 - HEAD_WEIGHT) * self.vectorizer.transform(bodies or ["-"])
        self.sections = weighed.tocsc()
        self.query_vector = QueryVectorizer(self.vectorizer).vector
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
        self.by_ngram = np.ascontiguousarray(self.centroids.T)  # a question's rows, quickly
        self.topic_vector = QueryVectorizer(self.topic_vectorizer).vector

    def topic_probabilities(self, words: str) -> dict[str, float]:
        """Softmax of cosine similarity to each topic's centroid."""
        if not self.classes:
            return {}
        idx, data = self.topic_vector(words)
        sims = data @ self.by_ngram[idx] if len(idx) else np.zeros(len(self.classes))
        weights = np.exp((sims - sims.max()) * SHARPNESS)
        return dict(zip(self.classes, (weights / weights.sum()).tolist(), strict=True))

    def region_of(self, query: str) -> tuple[str | None, str]:
        """The region a query names, and the query without the words that named places."""
        where = self.places.where(query)
        return where.region, where.rest

    @staticmethod
    def _topic_words(rest: str) -> str:
        return " ".join(w for w in rest.split() if w not in _FILLER)

    def ask(self, text: str, lang: str = "kk", k: int = 3) -> Asked:
        """A whole message: the sections for its first question, and the best section of
        each other question. A place named anywhere in it holds for every question ("I move
        to Pavlodar with three children. Is it easy to find work there?")."""
        parts = questions(text)
        if len(parts) <= 1 and not (parts and len(parts[0]) < len(text)):
            return Asked(self.search(text, lang, k), [])
        context = self.places.where(text)
        wheres = [self.places.where(part) for part in parts]  # each clause read once
        main = self._rank(parts[0], *_within(wheres[0], context), lang, k)
        also: list[Result] = []
        for (_, before), (part, where) in pairwise(zip(parts, wheres, strict=True)):
            if not self._topic_words(where.rest):
                # "…, а в Павлодаре?": the question of the clause before, for another place
                where = replace(where, rest=f"{before.rest} {where.rest}")
            found = self._rank(part, *_within(where, context), lang, 1)
            seen = [r.key for r in [*main[:1], *also]]
            if found and found[0].key not in seen:
                also.append(found[0])
        return Asked(main, also)

    def search(
        self, query: str, lang: str = "kk", k: int = 3, context: Where | None = None
    ) -> list[Result]:
        """`context`: where the rest of the message said, for a question that names no place."""
        return self._rank(query, *_within(self.places.where(query), context), lang, k)

    def _rank(self, query: str, where: Where, inherited: bool, lang: str, k: int) -> list[Result]:
        """`inherited`: the place came from another sentence of the message."""
        if not self.rows:
            return []
        region = where.region
        words = self._topic_words(where.rest)
        if region and all(w in _ABOUT for w in words.split()):
            # just a place name: "Павлодар туралы", "Атырау облысы қандай", "о Костанае"
            return [self._result(f"{region}/overview", 1.0, lang, where)]
        words = words or normalise(query)
        idx, data = self.query_vector(words)
        scores = self.sections[:, idx] @ data if len(idx) else np.zeros(len(self.rows))
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
            # A place from another sentence is context, not what this question is about.
            out_of_scope = (scope == PROGRAMME) == (region is not None) and not inherited
            best[key] = combined * (OTHER_SCOPE if out_of_scope else 1.0)
        ranked = sorted(best.items(), key=lambda kv: kv[1], reverse=True)[:k]
        return [self._result(key, score, lang, where) for key, score in ranked]

    def _result(self, key: str, score: float, lang: str, where: Where) -> Result:
        scope, topic = key.split("/", 1)
        region = None if scope in (PROGRAMME, "regions") else scope
        entry = self.lib.entry(key, lang) or self.lib.entry(key, "kk")
        title = entry.title if entry else self.lib.topics["region"][topic].label[lang]
        place = where.place if region and region == where.region else None
        choices = where.choices if scope == "regions" else ()
        return Result(key, topic, region, title, round(score, 4), place, choices)


def _within(where: Where, context: Where | None) -> tuple[Where, bool]:
    """A question that names no place takes the place the rest of its message named."""
    if context is None or where.region is not None or where.choices:
        return where, False
    return replace(context, rest=where.rest), True


def _plain(text: str) -> str:
    return CITE.sub("", TEMPLATE_CALL.sub("", text))
