"""Page context features for pass 2: each line's pass-1 score seen among its neighbours.

Works on a whole batch of lines at once. Pages inside a batch are delimited by an array of page
start offsets; no window crosses a page boundary (a missing neighbour gets a sentinel value).
"""

from __future__ import annotations

import numpy as np

from .features import SHAPE_NAMES

__all__ = ["context_features", "page_ids", "page_bounds", "NEIGHBOURS", "RADII"]


def page_ids(offsets: np.ndarray, n: int) -> np.ndarray:
    """Page number of each of n lines, given each page's first-line offset (empty pages allowed).

    >>> page_ids(np.array([0, 2, 2, 5]), 6).tolist()
    [0, 0, 2, 2, 2, 3]
    """
    return np.searchsorted(offsets, np.arange(n), side="right") - 1


def page_bounds(offsets: np.ndarray, n: int):
    """(page, start, end) of each of n lines: its page number, its page's first line and the
    line after its page's last.

    >>> [a.tolist() for a in page_bounds(np.array([0, 2, 2, 5]), 6)]
    [[0, 0, 2, 2, 2, 3], [0, 0, 2, 2, 2, 5], [2, 2, 5, 5, 5, 6]]
    """
    page = page_ids(offsets, n)
    bounds = np.append(offsets, n)
    start = bounds[page]
    # a page ends where the next non-empty page starts; offsets are sorted, so this is the next
    # offset greater than the page's own start
    nxt = np.searchsorted(offsets, start, side="right")
    return page, start, np.where(nxt < len(offsets), bounds[nxt], n)


def _exact_cumsum(values: np.ndarray, scale: float = 2.0**20) -> np.ndarray:
    """Cumulative sum in fixed point (int64), with a leading 0.

    A float cumulative sum over a whole batch rounds differently depending on what precedes
    a page, so a page's features would change with the batch it is predicted in; integer sums
    are exact, so a page gets the same features alone or in any batch."""
    fixed = np.round(np.asarray(values, dtype=np.float64) * scale).astype(np.int64)
    return np.concatenate((np.zeros(1, dtype=np.int64), np.cumsum(fixed)))


def _window_mean(cs: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Mean of values[lo[i]:hi[i]+1] for every i, from the values' _exact_cumsum `cs`."""
    return (cs[hi + 1] - cs[lo]) / (2.0**20 * (hi - lo + 1))


def _shifted(values: np.ndarray, k: int, page: np.ndarray, missing: float) -> np.ndarray:
    """values[i + k] where line i + k is on the same page as line i, else `missing`."""
    n = len(values)
    out = np.full(n, missing)
    idx = np.arange(n) + k
    ok = (idx >= 0) & (idx < n)
    ok[ok] &= page[idx[ok]] == page[ok]
    out[ok] = values[idx[ok]]
    return out


# Neighbour offsets whose pass-1 scores and lengths pass 2 sees directly, and window radii for
# smoothed scores. Radii follow jusText's idea of looking past short neighbours to the next block.
NEIGHBOURS = (-4, -3, -2, -1, 1, 2, 3, 4)
RADII = (1, 2, 4, 8, 16, 32, 64)
_NO_SCORE = -40.0  # pass-1 scores are clipped to [-30, 30]
_FAR = 12.0        # log1p of a distance no page reaches: "no confident content on this side"
_DENSE_RADIUS = 8  # window for finding the page's densest block of likely content


def context_features(score: np.ndarray, shape: np.ndarray, offsets: np.ndarray,
                     repeats: np.ndarray, extra: int = 0) -> np.ndarray:
    """Pass-2 features for a batch: each line's pass-1 score seen in its page's context.

    score: pass-1 decision value per line; shape: shape_features(lines); offsets: each page's
    first-line offset in the batch; repeats: how often each line's text occurs on its page.
    Returns a dense float array (Fortran order), with `extra` more columns left unset at the
    end for the caller to fill (kinds.kind_features), so the trees get one array without a copy.
    """
    n = len(score)
    page, start, end = page_bounds(offsets, n)
    bounds = np.append(offsets, n)
    idx = np.arange(n)
    plen = (end - start).astype(np.float64)
    score = np.clip(score, -30, 30)
    prob = 1.0 / (1.0 + np.exp(-score))
    cols = [score, prob, (idx - start) / plen, (end - 1 - idx) / plen, np.log1p(plen),
            np.log1p(repeats), (repeats > 1).astype(np.float64)]
    names = list(SHAPE_NAMES)
    cols.extend(shape.T)
    chars = shape[:, names.index("log_chars")]
    terminal = shape[:, names.index("terminal_punct")]
    for k in NEIGHBOURS:
        # past the page edge: a very negative score and length -1, values no real line has
        # (finite sentinels rather than NaN: an all-NaN column breaks the tree binning)
        cols.append(_shifted(score, k, page, _NO_SCORE))
        cols.append(_shifted(chars, k, page, -1.0))
    cs_prob, cs_chars, cs_terminal = _exact_cumsum(prob), _exact_cumsum(chars), _exact_cumsum(terminal)
    for r in RADII:
        lo = np.maximum(idx - r, start)
        hi = np.minimum(idx + r, end - 1)
        cols.append(_window_mean(cs_prob, lo, hi))
        cols.append(_window_mean(cs_chars, lo, hi))
        # one-sided windows: is the line at the start or the end of a content block?
        cols.append(_window_mean(cs_prob, lo, idx))
        cols.append(_window_mean(cs_prob, idx, hi))
        if r in (2, 8):
            cols.append(_window_mean(cs_terminal, lo, hi))
    # where the page's densest block of likely content is, and how far this line is from it
    lo = np.maximum(idx - _DENSE_RADIUS, start)
    hi = np.minimum(idx + _DENSE_RADIUS, end - 1)
    dense = _window_mean(cs_prob, lo, hi)
    nonempty = np.unique(page)
    seg = bounds[nonempty]
    best = np.maximum.reduceat(dense, seg)
    best_of = np.zeros(len(offsets))
    best_of[nonempty] = best
    at_best = dense >= best_of[page]
    first_best = np.minimum.reduceat(np.where(at_best, idx, n), seg)
    centre = np.zeros(len(offsets), dtype=np.int64)
    centre[nonempty] = first_best
    delta = idx - centre[page]
    cols.append(delta / plen)
    cols.append(np.sign(delta) * np.log1p(np.abs(delta)))
    cols.append(best_of[page])
    # page-level summaries, broadcast to the page's lines
    n_pages = len(offsets)
    sums = (cs_prob[bounds[1:]] - cs_prob[bounds[:-1]]) / 2.0**20
    cnt = np.maximum(np.bincount(page, minlength=n_pages), 1)
    cols.append((sums / cnt)[page])
    cols.append((np.bincount(page, weights=prob > 0.5, minlength=n_pages) / cnt)[page])
    # share of the page's likely-content text before this line: inside vs outside the main block
    mass = prob * np.minimum(np.expm1(chars), 1e6)  # capped so the fixed-point sum cannot overflow
    cs = _exact_cumsum(mass, 2.0**8)
    total = np.maximum(cs[end] - cs[start], 1)
    cols.append((cs[idx] - cs[start]) / total)
    cols.append((cs[end] - cs[idx + 1]) / total)
    # distance to the nearest confident content line above and below, NaN when none on the page
    strong = prob > 0.5
    last = np.maximum.accumulate(np.where(strong, idx, -1))
    prev_idx = np.concatenate(([-1], last[:-1]))
    cols.append(np.where(prev_idx >= start, np.log1p(idx - prev_idx), _FAR))
    first = np.minimum.accumulate(np.where(strong, idx, n)[::-1])[::-1]
    next_idx = np.concatenate((first[1:], [n]))
    cols.append(np.where(next_idx < end, np.log1p(next_idx - idx), _FAR))
    # column-major: the trees read one feature of many lines at a time, which measured about
    # 4x faster than a row-major array for 200,000 lines (same predictions)
    out = np.empty((n, len(cols) + extra), order="F")
    for j, col in enumerate(cols):
        out[:, j] = col
    return out
