"""A fitted TfidfVectorizer's transform, without scikit-learn's per-call overhead.

The intent classifier turns each message into four tf-idf rows (words, characters, and for
Chinese jieba words and pinyin sounds). For one short message scikit-learn spends most of a
transform validating: it checks the vectorizer is fitted, twice, walking all its attributes,
and builds and sorts sparse matrices three times over; that was ~10 % of Rasa's time per
message (py-spy, docs/performance.md). This computes the same rows from the fitted vocabulary
and idf weights: the same analyzer, the counts, 1 + log(count) when sublinear, times idf, then
the row's L2 norm (tests/nlu/test_classifier_features.py compares it to scikit-learn's)."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer


class TfidfRows:
    def __init__(self, vectorizer: TfidfVectorizer):
        # What the fast path reproduces; anything else is scikit-learn's own transform.
        self.exact = (
            vectorizer.use_idf
            and not vectorizer.binary
            and vectorizer.norm in ("l2", None)
            and vectorizer.dtype in (np.float64, float)
        )
        self.vectorizer = vectorizer
        self.analyze = vectorizer.build_analyzer()
        self.vocabulary = vectorizer.vocabulary_
        self.idf = np.asarray(vectorizer.idf_, dtype=np.float64)
        self.sublinear = vectorizer.sublinear_tf
        self.l2 = vectorizer.norm == "l2"

    def __call__(self, texts: list[str]) -> sp.csr_matrix:
        if not self.exact:
            return self.vectorizer.transform(texts)
        vocabulary = self.vocabulary
        indptr, indices, data = [0], [], []
        for text in texts:
            counts = Counter(vocabulary[g] for g in self.analyze(text) if g in vocabulary)
            columns = sorted(counts)
            tf = np.array([counts[c] for c in columns], dtype=np.float64)
            if self.sublinear:
                tf = np.log(tf) + 1.0
            tf *= self.idf[columns]
            if self.l2 and len(columns):
                norm = math.sqrt(float(tf @ tf))
                if norm > 0:
                    tf /= norm
            indices += columns
            data.append(tf)
            indptr.append(len(indices))
        values = np.concatenate(data) if data else np.zeros(0)
        shape = (len(texts), len(vocabulary))
        return sp.csr_matrix((values, np.array(indices, dtype=np.int32), indptr), shape=shape)
