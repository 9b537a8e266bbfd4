"""The routing classifier: a linear model over word (1-2) and character (2-5)
n-grams of a ticket's subject and description (issue 16.2).

Features are hashed (scikit-learn's ``HashingVectorizer``), so no vocabulary is
stored: the model is six numeric arrays (the hashed slots seen at least
``MIN_DF`` times in training and their idf, for words and for characters; the
coefficients and intercepts of a ``LinearSVC``), written with
``numpy.save(..., allow_pickle=False)`` and read with ``allow_pickle=False``,
so a stored model can never run code when it is loaded. Confidence is a softmax
over the decision values with a temperature fitted on held-out tickets
(:func:`fit_temperature`), so "0.8" means right about eight times in ten.

numpy, scipy and scikit-learn are imported inside the functions: importing this
module costs nothing, and the CLI's read commands and the app's start-up never
load them.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Sequence

HASH_BITS = 20
MIN_DF = 2  # a hashed n-gram seen in fewer training tickets is not a feature
C = 0.5  # LinearSVC regularisation (chosen on the Endava help-desk tickets; see docs/routing.md)
TEXT_CHARS = 2000  # of the description, as the evaluation reads it
#: No suggestion below this calibrated confidence unless `deskui route train --min-confidence` says otherwise.
DEFAULT_MIN_CONFIDENCE = 0.3
_ARRAYS = 6


def model_text(subject: str, description: str | None) -> str:
    return f"{subject}\n{(description or '')[:TEXT_CHARS]}"


@cache
def _vectorizers():
    from sklearn.feature_extraction.text import HashingVectorizer

    common = dict(n_features=2 ** HASH_BITS, alternate_sign=False, norm=None, dtype=_np().float32)
    return (HashingVectorizer(analyzer="word", ngram_range=(1, 2), token_pattern=r"(?u)\b\w+\b", **common),
            HashingVectorizer(analyzer="char_wb", ngram_range=(2, 5), **common))


def _np():
    import numpy

    return numpy


def _hashed(texts: Sequence[str]) -> tuple[Any, Any]:
    words, chars = _vectorizers()
    return words.transform(texts), chars.transform(texts)


def _idf(x) -> tuple[Any, Any]:
    np = _np()
    df = np.bincount(x.indices, minlength=x.shape[1])
    slots = np.flatnonzero(df >= MIN_DF).astype(np.int32)
    idf = np.log((1 + x.shape[0]) / (1 + df[slots])) + 1.0
    return slots, idf.astype(np.float32)


def _block(x, lookup, idf):
    """Rows of ``x`` over the kept slots: sublinear tf x idf, L2-normalised."""
    np = _np()
    from scipy import sparse
    from sklearn.preprocessing import normalize

    pos = lookup[x.indices]
    keep = pos >= 0
    rows = np.repeat(np.arange(x.shape[0]), np.diff(x.indptr))[keep]
    data = (1.0 + np.log(x.data[keep])) * idf[pos[keep]]
    out = sparse.csr_matrix((data.astype(np.float32), (rows, pos[keep])), shape=(x.shape[0], len(idf)))
    return normalize(out)


def _lookup(slots):
    np = _np()
    table = np.full(2 ** HASH_BITS, -1, dtype=np.int64)
    table[slots] = np.arange(len(slots))
    return table


@dataclass(frozen=True)
class Classifier:
    labels: tuple[int, ...]
    word_slots: Any
    word_idf: Any
    char_slots: Any
    char_idf: Any
    coef: Any  # (features, labels) float32
    intercept: Any  # (labels,) float32
    temperature: float = 1.0
    min_confidence: float = 0.0
    _lookups: dict = field(default_factory=dict, compare=False, repr=False)

    def features(self, texts: Sequence[str]):
        from scipy import sparse

        if not self._lookups:
            self._lookups["word"] = _lookup(self.word_slots)
            self._lookups["char"] = _lookup(self.char_slots)
        words, chars = _hashed(texts)
        return sparse.hstack([_block(words, self._lookups["word"], self.word_idf),
                              _block(chars, self._lookups["char"], self.char_idf)]).tocsr()

    def decisions(self, texts: Sequence[str]):
        return (self.features(texts) @ self.coef) + self.intercept

    def probabilities(self, texts: Sequence[str]):
        return softmax(self.decisions(texts), self.temperature)

    def ranked(self, text: str, limit: int = 3) -> list[tuple[int, float]]:
        """(label, calibrated probability), best first (below the threshold too)."""
        p = self.probabilities([text])[0]
        order = _np().argsort(-p, kind="stable")[:limit]
        return [(self.labels[i], float(p[i])) for i in order]

    # -------------------------------------------------------------- storage

    def to_bytes(self) -> bytes:
        np = _np()
        buf = io.BytesIO()
        for array, dtype in ((self.word_slots, np.int32), (self.word_idf, np.float32), (self.char_slots, np.int32),
                             (self.char_idf, np.float32), (self.coef, np.float32), (self.intercept, np.float32)):
            np.save(buf, np.ascontiguousarray(array, dtype=dtype), allow_pickle=False)
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, blob: bytes, labels: Sequence[int], *, temperature: float = 1.0,
                   min_confidence: float = 0.0) -> "Classifier":
        np = _np()
        buf = io.BytesIO(blob)
        arrays = [np.load(buf, allow_pickle=False) for _ in range(_ARRAYS)]
        ws, wi, cs, ci, coef, intercept = arrays
        width = len(ws) + len(cs)
        if (len(ws) != len(wi) or len(cs) != len(ci) or coef.shape != (width, len(labels))
                or intercept.shape != (len(labels),)):
            raise ValueError("stored routing model: the arrays do not fit together; run `deskui route train`")
        return cls(tuple(int(v) for v in labels), ws, wi, cs, ci, coef, intercept, float(temperature),
                   float(min_confidence))


def softmax(decisions, temperature: float):
    np = _np()
    z = np.asarray(decisions, dtype=np.float64) / max(temperature, 1e-6)
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def fit(texts: Sequence[str], labels: Sequence[int], *, c: float = C) -> Classifier:
    """A classifier for ``labels`` (one per text; at least one text)."""
    np = _np()
    from scipy import sparse
    from sklearn.svm import LinearSVC

    words, chars = _hashed(texts)
    ws, wi = _idf(words)
    cs, ci = _idf(chars)
    x = sparse.hstack([_block(words, _lookup(ws), wi), _block(chars, _lookup(cs), ci)]).tocsr()
    classes = sorted(set(labels))
    width = x.shape[1]
    if len(classes) == 1:  # one label: always it
        coef, intercept = np.zeros((width, 1), np.float32), np.zeros(1, np.float32)
    else:
        model = LinearSVC(C=c).fit(x, np.asarray(labels))
        classes = [int(v) for v in model.classes_]
        if len(classes) == 2:  # one decision column: the second class's margin
            coef = np.column_stack([np.zeros(width), model.coef_[0]]).astype(np.float32)
            intercept = np.array([0.0, model.intercept_[0]], np.float32)
        else:
            coef, intercept = model.coef_.T.astype(np.float32), model.intercept_.astype(np.float32)
    return Classifier(tuple(classes), ws, wi, cs, ci, np.ascontiguousarray(coef), intercept)


def fit_temperature(decisions, truth_index: Sequence[int]) -> float:
    """The softmax temperature that minimises the negative log-likelihood of the
    true labels (``truth_index``: the column of each row's label; rows whose label
    the model never saw are left out by the caller), with one pseudo-ticket of
    uniform belief (label smoothing of 1/(n+1)): a small held-out part that is all
    right cannot make every later answer certain."""
    np = _np()
    d = np.asarray(decisions, dtype=np.float64)
    truth = np.asarray(truth_index)
    if len(truth) == 0:
        return 1.0
    eps = 1.0 / (len(truth) + 1)
    best, best_loss = 1.0, float("inf")
    for t in np.geomspace(0.01, 5.0, 140):
        logp = np.log(np.clip(softmax(d, t), 1e-12, None))
        loss = -(1 - eps) * logp[np.arange(len(truth)), truth].mean() - eps * logp.mean()
        if loss < best_loss:
            best, best_loss = float(t), loss
    return best


@dataclass(frozen=True)
class HeldOutScore:
    """How a model learnt without the held-out tickets did on them."""

    held_out: int
    top1: float | None
    top3: float | None
    min_confidence: float
    coverage: float | None  # share of held-out tickets whose best label reaches min_confidence
    precision: float | None  # top-1 accuracy among those


def fit_scored(train: Sequence[tuple[str, int]], test: Sequence[tuple[str, int]], *,
               min_confidence: float, c: float = C) -> tuple[Classifier, HeldOutScore, list[list[int]]]:
    """Fit on ``train`` (text, label), fit the temperature and score on ``test``; the
    classifier (temperature and threshold set), the score, and each test text's top 3."""
    np = _np()
    model = fit([t for t, _ in train], [y for _, y in train], c=c)
    if not test:
        model = _with(model, 1.0, min_confidence)
        return model, HeldOutScore(0, None, None, min_confidence, None, None), []
    d = model.decisions([t for t, _ in test])
    truth = [y for _, y in test]
    column = {label: i for i, label in enumerate(model.labels)}
    known = [i for i, y in enumerate(truth) if y in column]
    temperature = fit_temperature(d[known], [column[truth[i]] for i in known]) if known else 1.0
    p = softmax(d, temperature)
    order = np.argsort(-p, axis=1, kind="stable")[:, :3]
    top = [[model.labels[j] for j in row] for row in order]
    best = p[np.arange(len(truth)), order[:, 0]]
    right = np.array([row[:1] == [y] for row, y in zip(top, truth)])
    covered = best >= min_confidence
    score = HeldOutScore(
        held_out=len(truth), top1=float(right.mean()), top3=float(np.mean([y in row for row, y in zip(top, truth)])),
        min_confidence=min_confidence, coverage=float(covered.mean()),
        precision=float(right[covered].mean()) if covered.any() else None)
    return _with(model, temperature, min_confidence), score, top


def _with(model: Classifier, temperature: float, min_confidence: float) -> Classifier:
    from dataclasses import replace

    return replace(model, temperature=temperature, min_confidence=min_confidence, _lookups={})
