"""Unanswered questions grouped by meaning, so the content team answers a need once: each
question joins the first group whose centroid is close enough in the search index's own
TF-IDF space, or starts a new one (greedy, in order of time)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from content.normalise import normalise
from content.search import Index

SIMILAR = 0.35  # cosine of a question to a group's centroid that still reads as the same need


@dataclass
class Group:
    ids: list[int] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    langs: Counter[str] = field(default_factory=Counter)
    guesses: Counter[str] = field(default_factory=Counter)  # the sections search came closest to
    centroid: np.ndarray | None = None

    @property
    def guess(self) -> str | None:
        return self.guesses.most_common(1)[0][0] if self.guesses else None


def group(rows: list[tuple[int, str, str, str | None]], index: Index) -> list[Group]:
    """(id, lang, text, closest section) → groups, the largest first."""
    if not rows:
        return []
    vectors = index.vectorizer.transform([normalise(text) for _, _, text, _ in rows]).toarray()
    groups: list[Group] = []
    for (qid, lang, text, best), vector in zip(rows, vectors, strict=True):
        target = next((g for g in groups if _cosine(g.centroid, vector) >= SIMILAR), None)
        if target is None:
            target = Group()
            groups.append(target)
        target.ids.append(qid)
        target.texts.append(text)
        target.langs[lang] += 1
        if best:
            target.guesses[best] += 1
        n = len(target.ids)
        target.centroid = (
            vector if target.centroid is None else (target.centroid * (n - 1) + vector) / n
        )
    return sorted(groups, key=lambda g: -len(g.ids))


def _cosine(a: np.ndarray | None, b: np.ndarray) -> float:
    if a is None:
        return 0.0
    denominator = float(np.linalg.norm(a) * np.linalg.norm(b))
    return float(a @ b) / denominator if denominator else 0.0
