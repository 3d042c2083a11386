"""Compiled prediction kernels: loading the optional C extension and feeding it numpy arrays.

``classifier._speedups`` (classifier/_speedups*.c) is built when the package is installed with
a C compiler at hand. It computes the numbers of the numpy reference code, exactly (same
integers, same float operations in the same order): shape features and hashed n-gram sums
(features.py), context features (context.py; numpy still applies their exp and log1p, on arrays
of the same layout) and the tree walk (scikit-learn's sum and sigmoid), ~3x faster overall. The
one difference: repeated lines are matched by a 64-bit hash of their own instead of Python's
hash() (either could in principle collide). When the module is missing, or when the environment
sets LINESIFT_NO_SPEEDUPS=1 (checked at every call, for tests and comparisons), kernels()
returns None and the model runs the numpy code.
"""

from __future__ import annotations

import functools
import os
import sys
import weakref

import numpy as np

from . import context as C
from . import features as F
from . import kinds as K
from . import overlap as O

__all__ = ["kernels", "NO_SPEEDUPS_ENV", "shape_features", "text_score", "context_features", "kind_features",
           "overlap_features", "tree_proba"]

NO_SPEEDUPS_ENV = "LINESIFT_NO_SPEEDUPS"

#: The C struct node_t of _speedups.c: child 1 is the left child; a leaf keeps its value in thr
#: and points to itself.
NODE_DTYPE = np.dtype([("thr", np.float64), ("feat", np.int32), ("child", np.int32, (2,)),
                       ("missing_left", np.uint8), ("leaf", np.uint8)], align=True)

#: Columns of the C shape counts, in the order of features._shape_columns' arguments.
COUNT_NAMES = ("chars", "words", "upper", "digit", "punct", "cjk", "camel", "capword", "terminal",
               "colon", "bullet", "urlish", "separators", "longest", "commas")

# bits of the character-set table (F_* in _speedups.c)
_SETS = ((F._TERMINAL, 1), (F._COMMAS, 2), (F._SEPARATORS, 4), (F._BULLETS, 8), (F._PLACEHOLDER_START, 16))


@functools.lru_cache(maxsize=1)
def _module():
    try:
        from . import _speedups
    except ImportError:
        return None
    if (_speedups.NODE_SIZE != NODE_DTYPE.itemsize or _speedups.COUNT_WIDTH != len(COUNT_NAMES)
            or not hasattr(_speedups, "kind_cols") or getattr(_speedups, "OVERLAP_COPIES", 0) != 1):
        # a stale build from another version of this file (one without kind_cols also lacks
        # text_sums' kind_first argument, which the bundled model's word-only kinds need; one
        # without OVERLAP_COPIES has an overlap_cols that takes no copy ids)
        return None
    return _speedups


def kernels():
    """The compiled module, or None if it is not built or LINESIFT_NO_SPEEDUPS=1."""
    if os.environ.get(NO_SPEEDUPS_ENV) == "1":
        return None
    return _module()


@functools.lru_cache(maxsize=1)
def _flags() -> np.ndarray:
    table = np.zeros(0x10000, dtype=np.uint8)
    for chars, bit in _SETS:
        table[[ord(c) for c in chars]] |= bit
    return table


def shape_features(k, lines: list[str]) -> np.ndarray:
    """features.shape_features(lines), from the C kernel's per-line counts."""
    n = len(lines)
    # one contiguous row per count, as in the numpy code: numpy may compute log1p differently
    # (SIMD) for contiguous and strided arrays
    counts = np.empty((len(COUNT_NAMES), n))
    triggers = k.shape_counts(lines, F._classes(), _flags(), counts)
    placeholders = np.zeros(n)
    # the regex runs where a trigger character stands, as in features._placeholders; matches
    # never cross a line end, so matching within the line finds the same ones
    end, last = -1, -1
    for row, pos in triggers:
        if row != last:
            end, last = -1, row
        if pos < end:
            continue
        match = F.PLACEHOLDER.match(lines[row], pos)
        if match:
            placeholders[row] += 1
            end = match.end()
    return F._shape_columns(*counts, placeholders)


@functools.lru_cache(maxsize=8)
def _char_orders(char_orders: tuple) -> np.ndarray | None:
    """The char n-gram orders as the kernel takes them, or None if it cannot (none, not
    increasing, or above 8). Cached: checking them on every call cost ~15 us a page."""
    orders = np.asarray(char_orders, dtype=np.int64)
    if len(orders) == 0 or orders.max() > 8 or np.any(np.diff(orders) <= 0):
        return None
    orders.flags.writeable = False  # shared by every call
    return orders


def text_score(k, features: F.TextFeatures, lines: list[str], coef: np.ndarray, intercept: float,
               shape: np.ndarray, kind_coef: np.ndarray | None = None,
               kind_intercept: np.ndarray | None = None, token_sink: list | None = None,
               kind_first: int = 0):
    """features.score(lines, coef, intercept, shape) by the C kernel; None for settings it does
    not handle (char orders not increasing or above 8, a negative prefix, coefficients neither
    float32 nor float64, kind coefficients not float32).

    With kind_coef (one float32 row of per-kind coefficients per column of coef, C order), the
    same pass over the hashed entries also computes features.score_kinds(lines, kind_coef,
    kind_intercept, shape): the result is then the pair (scores, kind scores). kind_first > 0
    skips the kind coefficients of the first kind_first hashed blocks, which must be zero (the
    word-only kinds of Config(kind_chars=False): kind_first = len(char_orders)). With a list as
    token_sink, the same pass also collects the lines' overlap tokens and appends them to it,
    for overlap_features."""
    prefix = sys.maxsize if features.prefix is None else features.prefix
    orders = _char_orders(tuple(features.char_orders))
    if (prefix < 0 or orders is None or coef.dtype not in (np.float32, np.float64)
            or (kind_coef is not None and (kind_coef.dtype != np.float32 or not kind_coef.flags.c_contiguous))):
        return None
    n = len(lines)
    bits = features.bits_
    block_bits = bits - (len(orders) - 1).bit_length()
    sums = np.empty((n, len(orders) + 1))
    counts = np.empty((n, 2))
    wide = coef.dtype == np.float64
    coef = np.ascontiguousarray(coef, dtype=np.float64 if wide else np.float32)
    extra = ()
    if kind_coef is not None:
        kind_sums = np.empty((n, len(orders) + 1, kind_coef.shape[1]))
        extra = (kind_coef, kind_coef.shape[1], kind_sums)
    if token_sink is not None or kind_first:
        extra = (extra or (b"", 0, bytearray())) + (O.MIN_WORD if token_sink is not None else 0, kind_first)
    tokens = k.text_sums(lines, prefix, orders, bits, block_bits, features.n_features, coef, wide,
                         F._word_weights(), F._classes(), sums, counts, *extra)
    if token_sink is not None:
        token_sink.append(tokens)
    # the same float operations, in the same order, as TextFeatures.score (and score_kinds)
    char_scale = 1.0 / np.sqrt(np.maximum(counts[:, 0], 1.0))
    word_scale = 1.0 / np.sqrt(np.maximum(counts[:, 1], 1.0))
    out = shape @ coef[2 * features.n_features:] + intercept
    for j in range(len(orders)):
        out += char_scale * sums[:, j]
    out += word_scale * sums[:, -1]
    if kind_coef is None:
        return out
    kinds = shape @ kind_coef[2 * features.n_features:] + kind_intercept
    for j in range(kind_first, len(orders)):  # the skipped blocks' sums are 0
        kinds += char_scale[:, None] * kind_sums[:, j]
    kinds += word_scale[:, None] * kind_sums[:, -1]
    return out, kinds


def context_features(k, score: np.ndarray, shape: np.ndarray, offsets: np.ndarray,
                     repeats: np.ndarray, extra: int = 0) -> np.ndarray:
    """context.context_features(score, shape, offsets, repeats, extra): the kernel fills the
    columns, numpy applies the exp, expm1 and log1p (so these are numpy's own, as in the
    reference)."""
    n = len(score)
    score = np.clip(score, -30, 30)
    prob = 1.0 / (1.0 + np.exp(-score))
    chars = shape[:, F.SHAPE_NAMES.index("log_chars")]
    mass = prob * np.minimum(np.expm1(chars), 1e6)  # on the same (strided) view as the numpy code
    chars = np.ascontiguousarray(chars)
    terminal = np.ascontiguousarray(shape[:, F.SHAPE_NAMES.index("terminal_punct")])
    full = np.empty((n, _CONTEXT_COLUMNS + extra), order="F")
    out = full[:, :_CONTEXT_COLUMNS]
    k.context_cols(score, prob, chars, terminal, mass, np.ascontiguousarray(offsets, dtype=np.int64),
                   C._NO_SCORE, C._DENSE_RADIUS, _CONTEXT_COLUMNS, out.T)
    out[:, 4] = np.log1p(out[:, 4])
    out[:, 5] = np.log1p(repeats)
    out[:, 6] = repeats > 1
    out[:, 7:7 + len(F.SHAPE_NAMES)] = shape
    delta = out[:, _DELTA]
    out[:, _DELTA] = np.sign(delta) * np.log1p(np.abs(delta))
    for j in (-2, -1):  # distances to the nearest confident line, -1 where there is none
        dist = out[:, j]
        out[:, j] = np.where(dist >= 0, np.log1p(np.maximum(dist, 0.0)), C._FAR)
    return full


def kind_features(k, probs: np.ndarray, offsets: np.ndarray, out: np.ndarray) -> bool:
    """kinds.kind_features(probs, offsets, out) by the kernel, into out (a lines x columns view of
    the Fortran-order pass-2 array); False, with out untouched, without the kernel."""
    kernel = getattr(k, "kind_cols", None)
    if kernel is None or not out.T.flags.c_contiguous or out.dtype != np.float64:
        return False
    if probs.ndim != 2 or out.shape != (len(probs), probs.shape[1] * K.KIND_COLUMNS):
        raise ValueError(f"kind_features: {out.shape} columns for {probs.shape} kind probabilities")
    kernel(np.ascontiguousarray(probs, dtype=np.float64), probs.shape[1],
           np.ascontiguousarray(offsets, dtype=np.int64), np.array(K.KIND_SHIFTS, dtype=np.int64),
           np.array(K.KIND_RADII, dtype=np.int64), K._MISSING, out.T)
    return True


def overlap_features(k, tokens: list | None, score: np.ndarray, offsets: np.ndarray, out: np.ndarray,
                     copies: np.ndarray | None = None) -> bool:
    """overlap.overlap_features(lines, score, offsets, prefix, copies) written into out (a
    lines x OVERLAP_COLUMNS view), from the tokens that text_score collected for those lines
    (its token_sink, one entry per call, in line order); False, with out untouched, without
    them."""
    kernel = getattr(k, "overlap_cols", None)
    if kernel is None or not tokens:  # no tokens collected: no kernel, or no pass-1 call
        return False
    if len(tokens) == 1:
        tok, ends = np.frombuffer(tokens[0][0], dtype=np.uint64), np.frombuffer(tokens[0][1], dtype=np.int64)
    else:
        tok = np.concatenate([np.frombuffer(t, dtype=np.uint64) for t, _ in tokens])
        # each call's ends count from its own first token
        sizes = np.cumsum([0] + [len(t) // 8 for t, _ in tokens[:-1]])
        ends = np.concatenate([np.frombuffer(e, dtype=np.int64) + base for (_, e), base in zip(tokens, sizes)])
    q = O.content_weights(score)
    # columns of a Fortran-order array (the pass-2 array) are written in place, else copied
    in_place = out.T.flags.c_contiguous and out.dtype == np.float64
    cols = out.T if in_place else np.empty((O.OVERLAP_COLUMNS, len(score)))
    args = (tok, ends, O.NEAR, O.PROB_SCALE, q, np.ascontiguousarray(offsets, dtype=np.int64), cols)
    if copies is not None:
        args += O.copy_weights(q, copies)
    kernel(*args)
    if not in_place:
        out[:] = cols.T
    return True


# columns of context.context_features, and the one holding the signed log distance to the centre
# of the page's densest block (after the 7 page columns, the shape columns, 2 per neighbour, and
# 4 per window radius plus 2 terminal ones, then distance / page length)
_DELTA = 7 + len(F.SHAPE_NAMES) + 2 * len(C.NEIGHBOURS) + 4 * len(C.RADII) + 2 + 1
_CONTEXT_COLUMNS = _DELTA + 8


_TREES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _flat_trees(hgb):
    """The fitted ensemble's nodes in NODE_DTYPE, tree roots, baseline and raw-to-probability
    function (scikit-learn's own); None if the C walk does not apply (multi-class, categorical
    splits, private attributes laid out differently). Computed once per fitted estimator and
    kept beside it, never in it, so model files do not change."""
    try:
        return _TREES[hgb]
    except KeyError:
        pass
    try:
        flat = _flatten(hgb)
    except (AttributeError, KeyError, ValueError, TypeError):  # private layout of another scikit-learn
        flat = None
    _TREES[hgb] = flat
    return flat


def _flatten(hgb):
    flat = None
    if hgb.n_trees_per_iteration_ == 1 and np.size(hgb._baseline_prediction) == 1:
        trees = [predictors[0].nodes for predictors in hgb._predictors]
        if not any(t["is_categorical"].any() for t in trees if "is_categorical" in t.dtype.names):
            roots = np.cumsum([0] + [len(t) for t in trees[:-1]]).astype(np.int32)
            nodes = np.zeros(sum(map(len, trees)), dtype=NODE_DTYPE)
            for root, t in zip(roots, trees):
                part = nodes[root:root + len(t)]
                leaf = t["is_leaf"].astype(bool)
                here = np.arange(root, root + len(t))
                part["thr"] = np.where(leaf, t["value"], t["num_threshold"])
                part["feat"] = np.where(leaf, 0, t["feature_idx"])
                part["child"][:, 0] = np.where(leaf, here, t["right"].astype(np.int64) + root)
                part["child"][:, 1] = np.where(leaf, here, t["left"].astype(np.int64) + root)
                part["missing_left"] = t["missing_go_to_left"]
                part["leaf"] = leaf
            inner = nodes["leaf"] == 0
            here = np.arange(len(nodes))
            # the C walk needs children after their parents (so every walk ends), as scikit-learn
            # lays trees out; anything else is left to scikit-learn
            if np.all(nodes["child"][inner] > here[inner, None]) and np.all(nodes["child"] < len(nodes)):
                flat = (nodes, roots, float(np.ravel(hgb._baseline_prediction)[0]), hgb._loss.predict_proba)
    return flat


def tree_proba(k, hgb, X: np.ndarray) -> np.ndarray | None:
    """hgb.predict_proba(X)[:, 1] with the trees walked in C; None if the C walk does not apply.

    Raw scores are summed as scikit-learn sums them (baseline, then tree 0, tree 1, ...) and
    turned into probabilities by the estimator's own loss, so they are bit-identical."""
    flat = _flat_trees(hgb)
    if flat is None or X.ndim != 2 or X.shape[1] != hgb.n_features_in_:
        return None
    nodes, roots, baseline, link = flat
    n = X.shape[0]
    cols = np.ascontiguousarray(np.asarray(X, dtype=np.float64).T)  # no copy for Fortran-order X
    raw = np.empty(n)
    k.tree_raw(nodes, roots, cols, n, X.shape[1], baseline, raw)
    return link(raw)[:, 1]
