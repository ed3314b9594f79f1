"""A question's TF-IDF vector, computed the way scikit-learn's fitted TfidfVectorizer does
(char_wb n-grams, sublinear tf, idf, l2) without its per-call input validation, which costs
a millisecond or more for one short question; tests/test_places.py holds the two
equal."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import numpy as np


class QueryVectorizer:
    def __init__(self, fitted: Any) -> None:
        self.vocabulary: dict[str, int] = fitted.vocabulary_
        self.idf = fitted.idf_.astype(np.float64)
        self.low, self.high = fitted.ngram_range

    def vector(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Column indices and weights of the non-zero entries, l2-normalised."""
        counts = Counter(
            i for gram in self._ngrams(text) if (i := self.vocabulary.get(gram)) is not None
        )
        if not counts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
        idx = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        tf = np.fromiter((1.0 + math.log(c) for c in counts.values()), dtype=np.float64)
        data = tf * self.idf[idx]
        return idx, data / np.sqrt(data @ data)

    def _ngrams(self, text: str) -> list[str]:
        """scikit-learn's char_wb: n-grams inside each word padded with a space; a word
        shorter than n counts once."""
        grams: list[str] = []
        for word in text.split():
            w = f" {word} "
            size = len(w)
            for n in range(self.low, self.high + 1):
                if size <= n:
                    grams.append(w)
                    break
                grams.extend(w[i : i + n] for i in range(size - n + 1))
        return grams
