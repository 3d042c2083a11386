"""Line kinds: what pass 1 predicts besides content, and how pass 2 sees it.

Pages of our corpus tag every line with the template part it came from (its category:
``title``, ``teaser``, ``paywall``...; training_data/README.md). Pass 1 learns, besides P(content),
which of seven coarse kinds a line reads like, from the same hashed word n-grams and shape
(also the char n-grams with ``Config(kind_chars=True)``: a little more accurate, slower). A teaser
paragraph and a body paragraph are both prose to a content/boilerplate model, but "a headline,
then prose, then a date line, three times over" is a listing, and "a headline, then prose, then
more prose" is an article: pass 2 sees the kinds of each line and of its neighbours.

Only pages that carry categories teach the kinds (other pages still get kind scores, and pass 2
learns from them as from any line); an unknown category teaches nothing. On by default and in
the bundled model (``Config.kinds``; ``train --no-kinds`` leaves them out): more accurate on pages
like our corpus's, prediction about 1.1-1.3x slower (README, "Line kinds").

>>> kind_targets(["title", "teaser", "no-such-category", "body"]).tolist()
[1, 3, -1, 0]
"""

from __future__ import annotations

import numpy as np

from .context import page_bounds

__all__ = ["KINDS", "CATEGORY_KIND", "kind_targets", "fit_kinds", "kind_probs", "kind_features", "KIND_SHIFTS",
           "KIND_RADII", "KIND_COLUMNS"]

#: kind -> the corpus categories it groups. The first three are content, the rest boilerplate,
#: as the categories' labels are; the grouping keeps classes that read alike together (a title
#: and an in-body heading; a share bar and a footer) so each kind has hundreds of examples.
KINDS = {
    "prose": ("body", "standfirst", "quote", "caption", "credit"),
    "headline": ("title", "heading"),
    "structured": ("list", "table", "code"),
    "teaser": ("teaser", "related", "readmore"),
    "chrome": ("nav", "breadcrumb", "pagination", "tags", "footer", "icons", "punct", "share"),
    "offer": ("subscribe", "paywall", "newsletter", "login", "app", "consent", "ad"),
    "meta": ("meta", "byline", "counters", "kicker", "author_bio", "about", "comments", "error", "misc"),
}
CATEGORY_KIND = {category: k for k, members in enumerate(KINDS.values()) for category in members}

#: Neighbours whose kinds pass 2 sees, and window radii of mean kind probabilities. Chosen with
#: the whole feature (bench/ablation.py `kinds` against `base`), not tuned one by one.
KIND_SHIFTS = (-2, -1, 1, 2)
KIND_RADII = (2, 8)
#: Pass-2 columns per kind: its own probability, one per shift, one per radius.
KIND_COLUMNS = 1 + len(KIND_SHIFTS) + len(KIND_RADII)
_MISSING = -1.0  # a neighbour past the page edge: a value no probability takes


def kind_targets(categories) -> np.ndarray:
    """Kind index of every line from its category, -1 where the category is unknown or missing."""
    return np.fromiter((CATEGORY_KIND.get(c, -1) for c in categories), dtype=np.int64)


def fit_kinds(estimator, X, kind_y: np.ndarray, rows: np.ndarray, pad: int = 0):
    """Kind coefficients (X's columns x kinds, float32, C order: the layout the C kernel reads)
    and intercepts, fitted by the unfitted linear `estimator` (one-vs-rest) on the given rows
    that have a kind. A kind without examples among them gets a score no line reaches. With
    `pad`, X holds only the last columns of the features, and `pad` rows of zeros for the
    columns left out come first."""
    rows = rows[kind_y[rows] >= 0]
    coef = np.zeros((pad + X.shape[1], len(KINDS)), dtype=np.float32)
    fitted = coef[pad:]
    intercept = np.full(len(KINDS), -30.0)
    present = np.unique(kind_y[rows])
    if len(present) == 1:
        intercept[present] = 30.0
    elif len(present) > 1:
        model = estimator.fit(X[rows], kind_y[rows])
        if len(present) == 2:  # scikit-learn keeps one model for two classes
            fitted[:, present] = np.stack([-model.coef_[0], model.coef_[0]], axis=1)
            intercept[present] = (-model.intercept_[0], model.intercept_[0])
        else:
            fitted[:, present] = model.coef_.T
            intercept[present] = model.intercept_
    return np.ascontiguousarray(coef), intercept


def kind_probs(decision: np.ndarray) -> np.ndarray:
    """Per-line kind probabilities from the one-vs-rest decision values (softmax across kinds).

    >>> kind_probs(np.array([[0.0, 0.0], [30.0, -30.0]])).round(3).tolist()
    [[0.5, 0.5], [1.0, 0.0]]
    """
    d = np.clip(decision, -30, 30)
    d -= d.max(axis=1, keepdims=True)  # in place: the same numbers, a third fewer passes
    np.exp(d, out=d)
    d /= d.sum(axis=1, keepdims=True)
    return d


def kind_features(probs: np.ndarray, offsets: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Pass-2 columns from a batch's kind probabilities (n lines x kinds; pages delimited by
    offsets as in context.context_features): each line's own, its neighbours' at KIND_SHIFTS,
    and window means at KIND_RADII, never across a page boundary. Window means use exact sums,
    so a page gets the same columns alone or in any batch. Written into `out` (n x columns)
    when given, e.g. the last columns of the pass-2 array.

    >>> kind_features(np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([0])).shape
    (2, 14)
    """
    n, k = probs.shape
    if out is None:
        out = np.empty((n, k * KIND_COLUMNS), order="F")
    _, start, end = page_bounds(offsets, n)
    idx = np.arange(n)
    # Column by column, so that every write is contiguous in the F-order pass-2 array: writing
    # (n, 7) row blocks into it with fancy indexing took ~3x longer (0.19 s against 0.06 s for
    # 165k lines).
    # Windows are computed once for all kinds; the arithmetic is the same per column.
    windows = []
    for r in KIND_RADII:
        lo = np.maximum(idx - r, start)
        hi = np.minimum(idx + r, end - 1)
        windows.append((lo, hi + 1, 2.0**20 * (hi - lo + 1)))
    # lines whose neighbour s lines away is past their page's edge (few: the pages' ends)
    missing = [np.flatnonzero(end - idx <= s) if s > 0 else np.flatnonzero(idx - start < -s)
               for s in KIND_SHIFTS]
    cs = np.zeros(n + 1, dtype=np.int64)
    for c in range(k):
        p = np.ascontiguousarray(probs[:, c])
        out[:, c] = p
        for b, s in enumerate(KIND_SHIFTS, start=1):
            col = out[:, b * k + c]
            # the neighbour s lines away; past the page edge (and the batch's), _MISSING
            if s > 0:
                col[:max(n - s, 0)] = p[s:]
            else:
                col[min(-s, n):] = p[:max(n + s, 0)]
            col[missing[b - 1]] = _MISSING
        # _exact_cumsum: fixed point, with a leading 0
        np.cumsum(np.round(p * 2.0**20).astype(np.int64), out=cs[1:])
        for b, (lo, hi1, denom) in enumerate(windows, start=1 + len(KIND_SHIFTS)):
            out[:, b * k + c] = (cs[hi1] - cs[lo]) / denom
    return out
