"""The context pass's input and its trees: the pass-2 array of a batch and P(content) from it.

Training and prediction build the array the same way (pass2_array): the context columns
(context.py), then the overlap columns (overlap.py), the kind columns (kinds.py) and the site
columns (sitememory.py), each when the model uses them; line_copies finds each line's copies on
its page, for the repeat column and the overlap columns. pass2_proba walks a fitted
HistGradientBoostingClassifier's trees over it, in C when the kernels are built.
"""

from __future__ import annotations

import functools

import numpy as np

from . import fast
from .context import context_features
from .kinds import KIND_COLUMNS, kind_features, kind_probs
from .overlap import OVERLAP_COLUMNS, overlap_features

__all__ = ["pass2_array", "pass2_proba", "line_copies", "thread_limit", "PASS2_ROWS"]

# Rows per pass-2 predict call: 2048 rows x 80 float64 features (1.3 MB) stay in L2/L3 while
# 100 trees walk them; 1000-3000 were equally fast on this machine, 25000 was 2.5x slower.
PASS2_ROWS = 2048


@functools.lru_cache(maxsize=1)
def _thread_controller():
    """A threadpoolctl controller, made once (making one scans the loaded libraries: ~20 ms)."""
    from threadpoolctl import ThreadpoolController
    return ThreadpoolController()


def thread_limit(n: int, user_api: str | None = None):
    """A context manager capping the threads of the BLAS and OpenMP libraries (or of one
    `user_api`: "blas", "openmp") at `n`."""
    return _thread_controller().limit(limits=n, user_api=user_api)


def line_copies(lines: list[str], offsets: np.ndarray, k=None,
                prefix: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(how many times each line's text, whitespace-normalised, occurs on its own page; an
    id per line in [0, n), equal for copies of a line that also hold the same overlap
    tokens). k: the compiled kernels (fast.kernels()), which hash the lines without
    building the normalised strings. The tokens come from a line's first `prefix`
    characters (None: all), so copies longer than that must also agree there: indented
    differently, the cut falls elsewhere and one copy holds a truncated word."""
    n = len(lines)
    if n == 0:
        return np.zeros(0), np.zeros(0, np.int64)
    page = np.searchsorted(offsets, np.arange(n), side="right") - 1
    # hash() of str is salted per process, but only equality within this call matters
    # " ".join(line.split()) is lines.normalise, spelled with C-level maps for speed
    if k is None:
        h = np.fromiter(map(hash, map(" ".join, map(str.split, lines))), dtype=np.int64, count=n)
    else:
        h = np.empty(n, dtype=np.int64)
        k.line_keys(lines, h)
    keys = h ^ (page * np.int64(0x9E3779B97F4A7C1))
    # np.unique(keys, return_inverse=True, return_counts=True), in fewer numpy calls: it cost
    # 35-60 us on a page of 5-300 lines, this 25-35 us
    order = np.argsort(keys)
    ordered = keys[order]
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    counts = np.diff(np.append(starts, n))
    out = np.empty(n)
    out[order] = np.repeat(counts, counts)
    ids = np.empty(n, np.int64)
    ids[order] = np.repeat(np.arange(len(starts)), counts)
    dup = np.flatnonzero(out > 1)  # a line without copies has its own id already
    if prefix is not None and len(dup):
        long = dup[np.fromiter((len(lines[i]) for i in dup), dtype=np.int64, count=len(dup)) > prefix]
        if len(long):
            cut = np.fromiter((hash(" ".join(lines[i][:prefix].split())) for i in long), dtype=np.int64,
                              count=len(long))
            ids[long] ^= cut  # 64-bit hashes mixed in: ids then meet only by a hash collision
            ids = np.unique(ids, return_inverse=True)[1].astype(np.int64).reshape(n)
    return out, ids


def pass2_array(lines, offsets, score, shape, repeats, kinds, overlap: bool, prefix, k=None, tokens=None,
                site=None, copies=None) -> np.ndarray:
    """The pass-2 array of a batch (Fortran order, one row per line): the context columns,
    then the overlap columns (if `overlap`), the kind columns (if `kinds`, the kind decision
    values, is given) and the site columns (if `site`, a lines x SITE_COLUMNS array, is given).
    With kernels `k` and the overlap tokens text_score collected, the compiled code fills the
    columns it has; else the numpy code does. `copies` (a copy id per line,
    overlap.overlap_features) keeps a line's copies out of its overlap columns."""
    kind_extra = 0 if kinds is None else kinds.shape[1] * KIND_COLUMNS
    site_extra = 0 if site is None else site.shape[1]
    extra = OVERLAP_COLUMNS * overlap + kind_extra + site_extra
    ctx = (context_features(score, shape, offsets, repeats, extra) if k is None
           else fast.context_features(k, score, shape, offsets, repeats, extra))
    end = ctx.shape[1] - site_extra  # where the kind columns end
    if overlap:
        at = end - kind_extra - OVERLAP_COLUMNS
        cols = ctx[:, at:at + OVERLAP_COLUMNS]
        if not fast.overlap_features(k, tokens, score, offsets, cols, copies):
            cols[:] = overlap_features(lines, score, offsets, prefix, copies)
    if kinds is not None:
        probs, cols = kind_probs(kinds), ctx[:, end - kind_extra:end]
        if not fast.kind_features(k, probs, offsets, cols):
            kind_features(probs, offsets, out=cols)
    if site is not None:
        ctx[:, end:] = site
    return ctx


def pass2_proba(model, ctx: np.ndarray, k=None) -> np.ndarray:
    """P(content) per row of a pass-2 array from a fitted pass-2 model: the compiled tree walk
    (kernels `k`), else scikit-learn's; the same numbers either way."""
    proba = None if k is None else fast.tree_proba(k, model, ctx)
    if proba is not None:
        return proba
    # Each tree of the ensemble walks every row; rows in blocks that stay in the CPU cache
    # across all trees: 2.5x faster than one call on a 25,000-line C-order batch (a chunk
    # is smaller now, but one long page is a chunk of its own). One OpenMP thread: per
    # block, 100 trees mean 100 parallel regions, and when other processes keep the cores
    # busy their barriers stall (a 20 MB batch took 370 s instead of ~20 s); use processes
    # (`predict --jsonl -j N`) to use more cores.
    with thread_limit(1, "openmp"):
        return np.concatenate([model.predict_proba(ctx[i:i + PASS2_ROWS])[:, 1]
                               for i in range(0, len(ctx), PASS2_ROWS)])
