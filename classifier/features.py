"""Line features: hashed text n-grams and shape (pass 1), page context (pass 2).

Pass 1 looks at one line at a time: hashed word and character n-grams (so the model stores no
training text) and a few dozen shape numbers (length, punctuation, case, digits, placeholders).
Pass 2 looks at the page: the first pass's scores of the neighbouring lines, window averages,
run structure, position, repetition. Both work on a whole batch of lines at once; pages inside
a batch are delimited by an array of page start offsets, and no context crosses a page boundary.
"""

from __future__ import annotations

import re

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import HashingVectorizer

__all__ = ["TextFeatures", "shape_features", "SHAPE_NAMES", "context_features", "page_ids",
           "PLACEHOLDER"]

#: Template placeholders a broken page shows literally: {{x}}, {{x-plural}}, <<x>>, ${x}, %s,
#: %(x)s, {x}, [[x]], __X__, :x: style is too common in prose to count.
PLACEHOLDER = re.compile(
    r"\{\{[^{}]{1,60}\}\}|<<[^<>]{1,60}>>|\$\{[^{}]{1,60}\}|%\([A-Za-z_]\w*\)[sdif]|%[sd]\b"
    r"|\{[A-Za-z_][\w.-]{0,40}\}|\[\[[^\[\]]{1,60}\]\]|\b__[A-Z][A-Z0-9_]{1,40}__\b")
_WORD = re.compile(r"\w+")
_UPPER = re.compile(r"[A-ZÀ-ÖØ-ÞА-ЯЁΑ-Ω]")
_DIGIT = re.compile(r"\d")
_PUNCT = re.compile(r"[^\w\s]")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_CAMEL = re.compile(r"[a-z][A-Z]")  # icon titles run together: "IconFacebookIcon"
_CAP_WORD = re.compile(r"(?:^|\s)[A-ZÀ-ÖØ-ÞА-ЯЁ]")
_URLISH = re.compile(r"https?://|www\.|@\w|\.(?:com|org|net)\b")
_SEP = re.compile(r"[|•·›»/]")
_TERMINAL = frozenset(".!?。！？؟…\"”»)'’:")
_BULLET = re.compile(r"^\s*(?:[-*•–—]|\d{1,3}[.)])\s")

SHAPE_NAMES = (
    "log_chars", "log_words", "mean_word_len", "upper_ratio", "digit_ratio", "punct_ratio",
    "cjk_ratio", "camel", "cap_word_ratio", "terminal_punct", "ends_colon", "bullet",
    "placeholder", "urlish", "separators", "blank", "log_longest_word", "comma_ratio",
)

# Characters of a line that reach the char n-gram hasher. Long paragraphs are obviously prose by
# their shape; their first 200 characters carry all the lexical signal and keep hashing cheap.
CHAR_NGRAM_PREFIX = 200


def _char_preprocess(line: str) -> str:
    return line[:CHAR_NGRAM_PREFIX].lower()


def _count(pattern: re.Pattern, lines: list[str]) -> np.ndarray:
    return np.fromiter((len(pattern.findall(s)) for s in lines), dtype=np.float64, count=len(lines))


def shape_features(lines: list[str]) -> np.ndarray:
    """Return an (n_lines, len(SHAPE_NAMES)) float array of shape features.

    >>> f = shape_features(["Hello world.", "You have {{n}} articles left"])
    >>> f.shape == (2, len(SHAPE_NAMES))
    True
    >>> int(f[1, SHAPE_NAMES.index("placeholder")])
    1
    """
    n = len(lines)
    stripped = [s.strip() for s in lines]
    chars = np.fromiter((len(s) for s in stripped), dtype=np.float64, count=n)
    safe = np.maximum(chars, 1.0)
    words = _count(_WORD, stripped)
    safe_words = np.maximum(words, 1.0)
    longest = np.fromiter((max(map(len, s.split()), default=0) for s in stripped), dtype=np.float64, count=n)
    last = [s[-1:] for s in stripped]
    out = np.empty((n, len(SHAPE_NAMES)), dtype=np.float64)
    out[:, 0] = np.log1p(chars)
    out[:, 1] = np.log1p(words)
    out[:, 2] = np.minimum(chars / safe_words, 30.0) / 10.0
    out[:, 3] = _count(_UPPER, stripped) / safe
    out[:, 4] = _count(_DIGIT, stripped) / safe
    out[:, 5] = _count(_PUNCT, stripped) / safe
    out[:, 6] = _count(_CJK, stripped) / safe
    out[:, 7] = np.log1p(_count(_CAMEL, stripped))
    out[:, 8] = _count(_CAP_WORD, stripped) / safe_words
    out[:, 9] = np.fromiter((c in _TERMINAL for c in last), dtype=np.float64, count=n)
    out[:, 10] = np.fromiter((c == ":" for c in last), dtype=np.float64, count=n)
    out[:, 11] = np.fromiter((_BULLET.match(s) is not None for s in stripped), dtype=np.float64, count=n)
    out[:, 12] = np.minimum(_count(PLACEHOLDER, stripped), 3.0)
    out[:, 13] = np.minimum(_count(_URLISH, stripped), 3.0)
    out[:, 14] = np.log1p(_count(_SEP, stripped))
    out[:, 15] = chars == 0
    out[:, 16] = np.log1p(longest)
    out[:, 17] = np.fromiter((s.count(",") + s.count("،") + s.count("、") + s.count("，") for s in stripped),
                             dtype=np.float64, count=n) / safe_words
    return out


class TextFeatures(BaseEstimator, TransformerMixin):
    """Stateless line vectoriser: hashed word 1-2-grams, hashed char 1-4-grams, shape columns.

    Parameters
    ----------
    n_features : int
        Hash space of each of the two hashed blocks (word, char).
    """

    def __init__(self, n_features: int = 2**19):
        self.n_features = n_features

    def fit(self, X, y=None):
        self.n_features_out_ = 2 * self.n_features + len(SHAPE_NAMES)
        return self

    def _vectorisers(self):
        word = HashingVectorizer(n_features=self.n_features, ngram_range=(1, 2), alternate_sign=False,
                                 token_pattern=r"(?u)\b\w+\b", norm="l2", dtype=np.float32)
        char = HashingVectorizer(n_features=self.n_features, analyzer="char_wb", ngram_range=(1, 4),
                                 alternate_sign=False, preprocessor=_char_preprocess, norm="l2",
                                 dtype=np.float32)
        return word, char

    def transform(self, X) -> sparse.csr_matrix:
        lines = list(X)
        word, char = self._vectorisers()
        shape = sparse.csr_matrix(shape_features(lines).astype(np.float32))
        return sparse.hstack([word.transform(lines), char.transform(lines), shape], format="csr")


def page_ids(offsets: np.ndarray, n: int) -> np.ndarray:
    """Page number of each of n lines, given each page's first-line offset (empty pages allowed).

    >>> page_ids(np.array([0, 2, 2, 5]), 6).tolist()
    [0, 0, 2, 2, 2, 3]
    """
    return np.searchsorted(offsets, np.arange(n), side="right") - 1


def _window_mean(values: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Mean of values[lo[i]:hi[i]+1] for every i, through one cumulative sum."""
    cs = np.concatenate(([0.0], np.cumsum(values)))
    return (cs[hi + 1] - cs[lo]) / (hi - lo + 1)


def _shifted(values: np.ndarray, k: int, page: np.ndarray) -> np.ndarray:
    """values[i + k] where line i + k is on the same page as line i, else NaN."""
    n = len(values)
    out = np.full(n, np.nan)
    idx = np.arange(n) + k
    ok = (idx >= 0) & (idx < n)
    ok[ok] &= page[idx[ok]] == page[ok]
    out[ok] = values[idx[ok]]
    return out


# Neighbour offsets whose pass-1 scores and lengths pass 2 sees directly, and window radii for
# smoothed scores. Radii follow jusText's idea of looking past short neighbours to the next block.
NEIGHBOURS = (-4, -3, -2, -1, 1, 2, 3, 4)
RADII = (1, 2, 4, 8, 16)
_SHAPE_IN_CONTEXT = ("log_chars", "terminal_punct", "punct_ratio", "placeholder", "cap_word_ratio")


def context_features(score: np.ndarray, shape: np.ndarray, offsets: np.ndarray,
                     repeats: np.ndarray) -> np.ndarray:
    """Pass-2 features for a batch: each line's pass-1 score seen in its page's context.

    score: pass-1 decision value per line; shape: shape_features(lines); offsets: each page's
    first-line offset in the batch; repeats: how often each line's text occurs on its page.
    Returns a dense float array; NaN marks "no such neighbour" (the gradient-boosted second pass
    handles missing values natively).
    """
    n = len(score)
    page = page_ids(offsets, n)
    bounds = np.append(offsets, n)
    start = bounds[page]
    end = np.empty(n, dtype=np.int64)
    # a page ends where the next non-empty page starts; offsets are sorted, so this is the next
    # offset greater than the page's own start
    nxt = np.searchsorted(offsets, start, side="right")
    end[:] = np.where(nxt < len(offsets), bounds[nxt], n)
    idx = np.arange(n)
    plen = (end - start).astype(np.float64)
    prob = 1.0 / (1.0 + np.exp(-np.clip(score, -30, 30)))
    cols = [score, prob, (idx - start) / plen, (end - 1 - idx) / plen, np.log1p(plen),
            np.log1p(repeats), (repeats > 1).astype(np.float64)]
    names = list(SHAPE_NAMES)
    for name in _SHAPE_IN_CONTEXT:
        cols.append(shape[:, names.index(name)])
    chars = shape[:, names.index("log_chars")]
    for k in NEIGHBOURS:
        cols.append(_shifted(score, k, page))
        cols.append(_shifted(chars, k, page))
    for r in RADII:
        lo = np.maximum(idx - r, start)
        hi = np.minimum(idx + r, end - 1)
        cols.append(_window_mean(prob, lo, hi))
        cols.append(_window_mean(chars, lo, hi))
        # one-sided windows: is the line at the start or the end of a content block?
        cols.append(_window_mean(prob, lo, idx))
        cols.append(_window_mean(prob, idx, hi))
    # page-level summaries, broadcast to the page's lines
    n_pages = len(offsets)
    sums = np.bincount(page, weights=prob, minlength=n_pages)
    cnt = np.maximum(np.bincount(page, minlength=n_pages), 1)
    cols.append((sums / cnt)[page])
    cols.append((np.bincount(page, weights=prob > 0.5, minlength=n_pages) / cnt)[page])
    # share of the page's likely-content text before this line: inside vs outside the main block
    mass = prob * np.expm1(chars)
    cs = np.concatenate(([0.0], np.cumsum(mass)))
    total = np.maximum(cs[end] - cs[start], 1e-9)
    cols.append((cs[idx] - cs[start]) / total)
    cols.append((cs[end] - cs[idx + 1]) / total)
    # distance to the nearest confident content line above and below, NaN when none on the page
    strong = prob > 0.5
    last = np.maximum.accumulate(np.where(strong, idx, -1))
    prev_idx = np.concatenate(([-1], last[:-1]))
    cols.append(np.where(prev_idx >= start, np.log1p(idx - prev_idx), np.nan))
    first = np.minimum.accumulate(np.where(strong, idx, n)[::-1])[::-1]
    next_idx = np.concatenate((first[1:], [n]))
    cols.append(np.where(next_idx < end, np.log1p(next_idx - idx), np.nan))
    return np.column_stack(cols)
