"""Lexical overlap features for pass 2: how much of a line's vocabulary the rest of its page uses.

A headline, a subheading or a caption shares its words with the article under it; a menu
entry, a subscription offer or the teaser of another article mostly does not. Pass 1 sees
each line alone and misses many headlines (short, no full stop, like menu entries); these
columns give pass 2 that link, in any language, without a word list.

A line's tokens are the words of 3 or more characters (not all digits) of its first 200
(`TextFeatures.prefix`) lowered characters, the text the n-gram hashers see, and the pairs of adjacent characters in runs of CJK
characters, which are written without spaces. Each token is a 64-bit hash; a line counts
each of its tokens once. Everything is integer arithmetic until the final divisions, so the
numbers do not depend on the order of the sums (the compiled kernel computes the same ones).
"Other lines" are lines that are not copies of the line (model format 8 on; `copies`): a menu
printed twice does not share its words with itself.

>>> import numpy as np
>>> lines = ["Menu", "Ferry pier reopens", "The ferry pier reopens in May.", "Subscribe now", "|"]
>>> cols = overlap_features(lines, np.array([-3.0, 0.0, 3.0, -3.0, -3.0]), np.array([0]))
>>> cols[:, 0].round(2).tolist()  # content-weighted share of the line's tokens used elsewhere
[0.0, 0.95, 0.3, 0.0, -1.0]
"""

from __future__ import annotations

import numpy as np

from .context import page_ids
from .features import (_CJK, _DIGIT, _PUNCT, _SPACE, MAX_WORD, NGRAM_PREFIX, _classify,
                       _word_weights, lowered_codepoints)

__all__ = ["overlap_features", "line_tokens", "content_weights", "copy_weights", "OVERLAP_COLUMNS", "MIN_WORD", "NEAR",
           "PROB_SCALE"]

#: Latin, Cyrillic, Arabic ... words shorter than this are mostly function words ("of", "la",
#: "في"): not tokens.
MIN_WORD = 3
#: "Near" is within this many lines before or after (a title and its standfirst or first
#: paragraph; a teaser's title and its blurb).
NEAR = 5
#: P(content) in fixed point: integer sums are exact whatever their order.
PROB_SCALE = 1 << 16
#: Columns: content-weighted share of the line's tokens found on other lines, share found on
#: any other line, share found within NEAR lines after, within NEAR lines before, and the
#: largest content weight of one token; "other" excludes the line's copies when copy ids are
#: given (overlap_features).
OVERLAP_COLUMNS = 5
_CJK_SALT = np.uint64(0x632BE59BD9B4E019)  # keeps CJK pairs apart from word hashes
_NO_TOKENS = -1.0


def content_weights(score: np.ndarray) -> np.ndarray:
    """Each line's weight as a token holder: its pass-1 P(content) in fixed point (int64), the
    same numbers for the numpy code here and the compiled kernel."""
    prob = 1.0 / (1.0 + np.exp(-np.clip(score, -30, 30)))
    return np.round(prob * PROB_SCALE).astype(np.int64)


def line_tokens(lines: list[str], prefix: int | None = NGRAM_PREFIX) -> tuple[np.ndarray, np.ndarray]:
    """(line, token) pairs of a batch, each pair once, sorted by line then token; from each
    line's first `prefix` characters (the model's TextFeatures.prefix)."""
    cp, line = lowered_codepoints(lines, prefix)
    m = len(cp)
    if m == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.uint64)
    cls = _classify(cp)
    word = (cls != _SPACE) & (cls != _PUNCT)
    cjk = cls == _CJK
    same_line = np.zeros(m, dtype=bool)
    same_line[1:] = line[1:] == line[:-1]
    # runs: consecutive word characters of one line, CJK and other scripts apart
    cont = np.zeros(m, dtype=bool)
    cont[1:] = word[1:] & word[:-1] & same_line[1:] & (cjk[1:] == cjk[:-1])
    start = word & ~cont
    starts = np.flatnonzero(start)
    idx = np.arange(m)
    run_start = np.maximum.accumulate(np.where(start, idx, 0))
    rel = idx - run_start
    weights = _word_weights()
    contrib = np.where(word & (rel < MAX_WORD), cp.astype(np.uint64) * weights[np.minimum(rel, MAX_WORD - 1)],
                       np.uint64(0))
    if len(starts):
        run_hash = np.add.reduceat(contrib, starts)
        # a segment from one run's start to the next holds no word character of another run
        run_len = np.add.reduceat(word.astype(np.int64), starts)
        run_digits = np.add.reduceat((cls == _DIGIT) & word, starts)
        keep = ~cjk[starts] & (run_len >= MIN_WORD) & (run_digits < run_len)
        w_line, w_hash = line[starts[keep]], run_hash[keep]
    else:
        w_line, w_hash = np.zeros(0, np.int64), np.zeros(0, np.uint64)
    pair = np.flatnonzero(cjk[:-1] & cjk[1:] & same_line[1:])
    c_hash = cp[pair].astype(np.uint64) * weights[0] + cp[pair + 1].astype(np.uint64) * weights[1] + _CJK_SALT
    tok_line = np.concatenate((w_line, line[pair])).astype(np.int64)
    tok_hash = np.concatenate((w_hash, c_hash))
    order = np.lexsort((tok_hash, tok_line))
    tok_line, tok_hash = tok_line[order], tok_hash[order]
    first = np.ones(len(tok_line), dtype=bool)
    first[1:] = (tok_line[1:] != tok_line[:-1]) | (tok_hash[1:] != tok_hash[:-1])
    return tok_line[first], tok_hash[first]


def copy_weights(q: np.ndarray, copies: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(copy id, summed weight, number) of each line's copies, itself included, for lines
    whose copy ids are `copies` (equal ids: copies of one text on one page; ids in [0, n)), or
    for every line its own copy when `copies` is None."""
    n = len(q)
    if copies is None:
        return np.arange(n, dtype=np.int64), q, np.ones(n, dtype=np.int64)
    copies = np.asarray(copies, dtype=np.int64)
    if copies.shape != (n,) or (n and (copies.min() < 0 or copies.max() >= n)):
        raise ValueError(f"copies must be {n} ids in [0, {n})")
    # exact: integer sums far below 2**53
    mass = np.bincount(copies, weights=q, minlength=n).astype(np.int64)
    return np.ascontiguousarray(copies), mass[copies], np.bincount(copies, minlength=n).astype(np.int64)[copies]


def overlap_features(lines: list[str], score: np.ndarray, offsets: np.ndarray,
                     prefix: int | None = NGRAM_PREFIX, copies: np.ndarray | None = None) -> np.ndarray:
    """OVERLAP_COLUMNS columns per line (-1 for a line without tokens) from the lines of a
    batch, their pass-1 scores and each page's first-line offset; tokens come from each line's
    first `prefix` characters.

    With `copies` (one id per line, equal for lines of one page with the same text), a line's
    copies do not count as other lines holding its tokens: a menu entry printed twice shares
    its words with nothing but itself. Without it (models before format 8) they do."""
    n = len(lines)
    out = np.full((n, OVERLAP_COLUMNS), _NO_TOKENS)
    q = content_weights(score)
    cid, cmass, ccount = copy_weights(q, copies)
    tok_line, tok_hash = line_tokens(lines, prefix)
    if len(tok_line) == 0:
        return out
    page = page_ids(np.asarray(offsets, dtype=np.int64), n)
    tok_page = page[tok_line]
    # group equal tokens of a page, lines in order inside a group
    order = np.lexsort((tok_line, tok_hash, tok_page))
    g_line, g_hash, g_page = tok_line[order], tok_hash[order], tok_page[order]
    new = np.ones(len(order), dtype=bool)
    new[1:] = (g_hash[1:] != g_hash[:-1]) | (g_page[1:] != g_page[:-1])
    group = np.cumsum(new) - 1
    mass = np.bincount(group, weights=q[g_line])  # exact: integer sums far below 2**53
    size = np.bincount(group)
    others = np.minimum(mass[group].astype(np.int64) - cmass[g_line], PROB_SCALE)
    repeated = size[group] > ccount[g_line]
    # runs of copies inside a group: the nearest other line holding the token before a line
    # is the one just before its run, the nearest after it the one just after
    g_cid = cid[g_line]
    m = len(order)
    idx = np.arange(m)
    run = np.ones(m, dtype=bool)
    run[1:] = new[1:] | (g_cid[1:] != g_cid[:-1])
    run_first = np.maximum.accumulate(np.where(run, idx, 0))
    run_end = np.ones(m, dtype=bool)  # the last entry of its run
    run_end[:-1] = run[1:]
    run_last = np.minimum.accumulate(np.where(run_end, idx, m - 1)[::-1])[::-1]
    prev, nxt = run_first - 1, run_last + 1
    before = ~new[run_first] & (g_line - g_line[np.maximum(prev, 0)] <= NEAR)
    after = (nxt < m) & ~new[np.minimum(nxt, m - 1)] & (g_line[np.minimum(nxt, m - 1)] - g_line <= NEAR)
    count = np.bincount(g_line, minlength=n)
    has = count > 0
    tokens = count[has].astype(np.float64)
    out[has, 0] = np.bincount(g_line, weights=others, minlength=n)[has] / (tokens * PROB_SCALE)
    out[has, 1] = np.bincount(g_line, weights=repeated, minlength=n)[has] / tokens
    out[has, 2] = np.bincount(g_line, weights=after, minlength=n)[has] / tokens
    out[has, 3] = np.bincount(g_line, weights=before, minlength=n)[has] / tokens
    top = np.full(n, np.iinfo(np.int64).min)
    np.maximum.at(top, g_line, others)
    out[has, 4] = top[has] / PROB_SCALE
    return out
