"""Pass-1 line features: hashed character and word n-grams plus shape, for a batch of lines.

Everything is computed over the whole batch at once, on numpy arrays of code points: the lines
are joined, classified by a code-point lookup table, and n-grams are hashed with vectorised
integer arithmetic. There is no Python loop per line or per n-gram (except C-level ``map``),
which is what makes the classifier fast. Hashing means the model stores no training text.

>>> X = TextFeatures(n_features=2**10).fit([]).transform(["Share", "The river rose overnight."])
>>> X.shape
(2, 2066)
"""

from __future__ import annotations

import functools
import operator
import re

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin

__all__ = ["TextFeatures", "shape_features", "SHAPE_NAMES", "PLACEHOLDER"]

#: Template placeholders a broken page shows literally: {{x}}, {{x-plural}}, <<x>>, ${x}, %s,
#: %(x)s, {x}, [[x]], __X__.
PLACEHOLDER = re.compile(
    r"(?:\{\{[^{}\n]{1,60}\}\}|<<[^<>\n]{1,60}>>|\$\{[^{}\n]{1,60}\}|%\([A-Za-z_]\w*\)[sdif]|%[sd]\b"
    r"|\{[A-Za-z_][\w.-]{0,40}\}|\[\[[^\[\]\n]{1,60}\]\]|\b__[A-Z][A-Z0-9_]{0,40}__\b)")
_PLACEHOLDER_START = "{<$%[_"
_BULLETS = "-*•–—·▪►"

SHAPE_NAMES = (
    "log_chars", "log_words", "mean_word_len", "upper_ratio", "digit_ratio", "punct_ratio",
    "cjk_ratio", "camel", "cap_word_ratio", "terminal_punct", "ends_colon", "bullet",
    "placeholder", "urlish", "separators", "blank", "log_longest_word", "comma_ratio",
)

# Characters of a line that reach the n-gram hashers. Long paragraphs are obviously prose by
# their shape; their first 200 characters carry the lexical signal and keep hashing cheap.
NGRAM_PREFIX = 200
CHAR_ORDERS = (1, 2, 3, 4)
MAX_WORD = 32  # longer "words" (URLs, run-together labels) hash by their first 32 characters

# code-point classes
_SPACE, _LOWER, _UPPER, _DIGIT, _PUNCT, _CJK, _LETTER = range(7)
_TERMINAL = ".!?。！？؟…\"”»)'’"
_COMMAS = ",،、，"
_SEPARATORS = "|•·›»/"
_BEGIN, _END = "\x02", "\x03"  # line start/end markers inside the hashed text
_M64 = np.uint64(0x9E3779B97F4A7C15)


@functools.lru_cache(maxsize=1)
def _classes() -> np.ndarray:
    """Class of every BMP code point (built on first use, not at import)."""
    table = np.full(0x10000, _PUNCT, dtype=np.uint8)
    for i in range(0x10000):
        c = chr(i)
        if c.isspace():
            table[i] = _SPACE
        elif c.isdigit():
            table[i] = _DIGIT
        elif c.isalpha():
            if 0x3040 <= i <= 0x30FF or 0x3400 <= i <= 0x9FFF or 0xAC00 <= i <= 0xD7AF or 0xF900 <= i <= 0xFAFF:
                table[i] = _CJK
            elif c.isupper():
                table[i] = _UPPER
            elif c.islower():
                table[i] = _LOWER
            else:
                table[i] = _LETTER
        elif c.isalnum():
            table[i] = _DIGIT
    return table


@functools.lru_cache(maxsize=None)
def _member_table(chars: str) -> np.ndarray:
    table = np.zeros(0x10000, dtype=bool)
    table[[ord(c) for c in chars]] = True
    return table


def _member(cp: np.ndarray, chars: str) -> np.ndarray:
    """cp in chars, by table lookup (all the sets are BMP characters)."""
    return _member_table(chars)[np.minimum(cp, 0xFFFF)] & (cp <= 0xFFFF)


def _codepoints(text: str) -> np.ndarray:
    # surrogatepass: lone surrogates from broken scrapes encode instead of raising
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _classify(cp: np.ndarray) -> np.ndarray:
    return _classes()[np.minimum(cp, 0xFFFF)]  # astral code points (emoji) count as symbols


def _mix(h: np.ndarray, bits: int) -> np.ndarray:
    """Multiply-shift hashing: the top `bits` bits of h * odd constant, as column indices."""
    out = h * _M64
    out >>= np.uint64(64 - bits)
    return out.view(np.int64)  # fewer than 63 bits are left: the same values, no copy


def _layout(lengths: np.ndarray, extra: int) -> tuple[np.ndarray, np.ndarray]:
    """Line id of every character of the joined text, and each line's first position."""
    sizes = lengths + extra
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64)
    return np.repeat(np.arange(len(lengths)), sizes), starts


def _csr(rows: np.ndarray, cols: np.ndarray, weights: np.ndarray, n_rows: int, n_cols: int):
    """CSR matrix from entries already ordered by row (duplicates add up, as in a sum)."""
    indptr = np.concatenate(([0], np.cumsum(np.bincount(rows, minlength=n_rows))))
    return sparse.csr_matrix((weights.astype(np.float32), cols, indptr), shape=(n_rows, n_cols))


def _char_ngrams(cp: np.ndarray, line: np.ndarray, n_rows: int, bits: int, orders=CHAR_ORDERS):
    """Hashed char n-gram entries, one (rows, cols, line weights) block per order.

    Each order gets its own slice of the 2**bits columns, so every block's entries stay ordered
    by line (no sort needed). An entry's weight is its line's 1/sqrt(n-grams in the line), close
    to an L2 norm; it is returned per line, one array of n_rows, shared by the blocks."""
    m = len(cp)
    block_bits = bits - (len(orders) - 1).bit_length()  # the orders share the char hash space
    cp64 = cp.astype(np.uint64)
    h = np.zeros(m, dtype=np.uint64)
    count = np.zeros(n_rows)
    blocks = []
    prev = 0
    for j, order in enumerate(orders):
        k = m - order + 1
        if k <= 0:
            break
        # rolling polynomial: h_order[i] = h_(order-1)[i] * P + cp[i + order - 1]
        for step in range(prev + 1, order + 1):
            h = h[: m - step + 1] * np.uint64(0x100000001B3) + cp64[step - 1:] + np.uint64(step)
        prev = order
        ok = line[:k] == line[order - 1:]
        rows = line[:k][ok]
        cols = _mix(h[ok], block_bits)
        cols += j << block_bits
        blocks.append((rows, cols))
        count += np.bincount(rows, minlength=n_rows)
    scale = 1.0 / np.sqrt(np.maximum(count, 1.0))
    return [(rows, cols, scale) for rows, cols in blocks]


def _word_ngrams(cp: np.ndarray, cls: np.ndarray, line: np.ndarray, n_rows: int, bits: int):
    """Hashed word unigram and bigram entries (rows, cols, line weights), ordered by line."""
    m = len(cp)
    word = (cls != _SPACE) & (cls != _PUNCT)
    idx = np.arange(m)
    prev_word = np.zeros(m, dtype=bool)
    prev_word[1:] = word[:-1] & (line[1:] == line[:-1])
    start = word & ~prev_word
    starts = np.flatnonzero(start)
    if len(starts) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.ones(n_rows)
    run_start = np.maximum.accumulate(np.where(start, idx, 0))
    rel = idx - run_start
    # a word hashes as sum(cp[j] * R[j - start]) over its first MAX_WORD characters
    contrib = np.where(word & (rel < MAX_WORD),
                       cp.astype(np.uint64) * _word_weights()[np.minimum(rel, MAX_WORD - 1)], np.uint64(0))
    uni = np.add.reduceat(contrib, starts)
    wline = line[starts]
    same = wline[1:] == wline[:-1]
    bi = uni[:-1] * np.uint64(0x2545F4914F6CDD1D) + uni[1:] + np.uint64(7)
    # interleave unigram k and bigram (k, k+1) so entries stay ordered by line
    H = np.empty(2 * len(uni) - 1, dtype=np.uint64)
    H[0::2] = uni
    H[1::2] = bi
    V = np.ones(len(H), dtype=bool)
    V[1::2] = same
    rows = np.repeat(wline, 2)[:-1][V]
    cols = _mix(H[V], bits)
    count = np.bincount(rows, minlength=n_rows).astype(np.float64)
    return rows, cols, 1.0 / np.sqrt(np.maximum(count, 1.0))


@functools.lru_cache(maxsize=1)
def _word_weights() -> np.ndarray:
    return np.random.RandomState(12345).randint(1, 2**62, size=MAX_WORD, dtype=np.int64).astype(np.uint64) | np.uint64(1)


def _per_line(mask: np.ndarray, line: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(line[mask], minlength=n).astype(np.float64)


def _placeholders(text: str, cp: np.ndarray, line: np.ndarray, n: int) -> np.ndarray:
    """Placeholder matches per line; the regex runs only where a trigger character stands."""
    counts = np.zeros(n)
    end = -1
    for pos in np.flatnonzero(_member(cp, _PLACEHOLDER_START)).tolist():
        if pos < end:
            continue
        match = PLACEHOLDER.match(text, pos)
        if match:
            counts[line[pos]] += 1
            end = match.end()
    return counts


def _seq(cp: np.ndarray, s: str) -> np.ndarray:
    """Boolean mask of positions where the string s starts."""
    m = len(cp) - len(s) + 1
    out = np.zeros(len(cp), dtype=bool)
    if m > 0:
        hit = np.ones(m, dtype=bool)
        for k, ch in enumerate(s):
            hit &= cp[k:k + m] == ord(ch)
        out[:m] = hit
    return out


def shape_features(lines: list[str]) -> np.ndarray:
    """Return an (n_lines, len(SHAPE_NAMES)) float array of shape features.

    >>> f = shape_features(["Hello world.", "You have {{n}} articles left"])
    >>> f.shape == (2, len(SHAPE_NAMES))
    True
    >>> f[:, SHAPE_NAMES.index("placeholder")].tolist()
    [0.0, 1.0]
    """
    n = len(lines)
    out = np.zeros((n, len(SHAPE_NAMES)), dtype=np.float64)
    if n == 0:
        return out
    text = "\n".join(lines)
    cp = _codepoints(text)
    if len(cp) == 0:  # only empty lines: nothing to measure
        out[:, SHAPE_NAMES.index("blank")] = 1.0
        return out
    lengths = np.fromiter(map(len, lines), dtype=np.int64, count=n)
    line, starts = _layout(lengths, 1)
    line = line[: len(cp)]
    sep = np.zeros(len(cp), dtype=bool)
    ends = starts + lengths
    sep[ends[ends < len(cp)]] = True
    cls = _classify(cp)
    cls[sep] = _SPACE
    nonspace = cls != _SPACE
    chars = _per_line(nonspace, line, n)  # visible characters
    word = nonspace & (cls != _PUNCT)
    prev = np.zeros(len(cp), dtype=bool)
    prev[1:] = word[:-1] & (line[1:] == line[:-1])
    wstart = word & ~prev
    words = _per_line(wstart, line, n)
    # longest word: run lengths of word characters
    run_ids = np.cumsum(wstart) - 1
    run_len = np.bincount(run_ids[word], minlength=int(wstart.sum())) if wstart.any() else np.zeros(0)
    longest = np.zeros(n)
    if len(run_len):
        # runs are ordered by line, so each line's runs are one contiguous segment
        run_line = line[wstart]
        seg = np.flatnonzero(np.concatenate(([True], run_line[1:] != run_line[:-1])))
        longest[run_line[seg]] = np.maximum.reduceat(run_len, seg)
    # last and first visible character of each line
    # by binary search over the visible positions: n searches instead of passes over every character
    visible = np.flatnonzero(nonspace)
    k = np.searchsorted(visible, np.minimum(ends - 1, len(cp) - 1), side="right") - 1
    last_of_line = np.where((lengths > 0) & (k >= 0), visible[np.maximum(k, 0)] if len(visible) else -1, -1)
    has_last = last_of_line >= starts
    last_cp = np.where(has_last, cp[np.maximum(last_of_line, 0)], 0)
    upper = cls == _UPPER
    prev_space = np.ones(len(cp), dtype=bool)
    prev_space[1:] = ~nonspace[:-1] | (line[1:] != line[:-1])
    camel = np.zeros(len(cp), dtype=bool)
    camel[1:] = (cls[:-1] == _LOWER) & upper[1:] & (line[1:] == line[:-1])
    terminal = has_last & _member(last_cp.astype(np.uint32), _TERMINAL)
    colon = has_last & (last_cp == ord(":"))
    # a bullet or "12." / "3)" list marker, then a space, at the line's first visible character
    k = np.searchsorted(visible, np.minimum(starts, len(cp) - 1), side="left")
    first = np.where(k < len(visible), visible[np.minimum(k, len(visible) - 1)] if len(visible) else 0, len(cp))
    f = np.minimum(first, len(cp) - 1)
    f = np.where((lengths > 0) & (f < ends), f, -1)
    nxt = lambda k: np.where(f >= 0, cp[np.minimum(np.maximum(f, 0) + k, len(cp) - 1)], 0)  # noqa: E731
    space = ord(" ")
    digit = (f >= 0) & (cls[np.maximum(f, 0)] == _DIGIT)
    numbered = digit & (np.isin(nxt(1), [ord("."), ord(")")]) & (nxt(2) == space))
    numbered |= digit & (cls[np.minimum(np.maximum(f, 0) + 1, len(cp) - 1)] == _DIGIT) & np.isin(nxt(2), [ord("."), ord(")")]) & (nxt(3) == space)
    bullet = ((f >= 0) & _member(nxt(0), _BULLETS) & (nxt(1) == space)) | numbered
    urlish = _seq(cp, "://") | (cp == ord("@")) | _seq(cp, "www.") | _seq(cp, ".com")
    return _shape_columns(chars, words, _per_line(upper, line, n), _per_line(cls == _DIGIT, line, n),
                          _per_line(cls == _PUNCT, line, n), _per_line(cls == _CJK, line, n),
                          _per_line(camel, line, n), _per_line(upper & prev_space, line, n), terminal, colon,
                          bullet, _per_line(urlish, line, n), _per_line(_member(cp, _SEPARATORS), line, n),
                          longest, _per_line(_member(cp, _COMMAS), line, n),
                          _placeholders(text, cp, line, n))


def _shape_columns(chars, words, upper, digit, punct, cjk, camel, capword, terminal, colon, bullet,
                   urlish, separators, longest, commas, placeholders) -> np.ndarray:
    """The shape feature array from per-line counts (float arrays) and flags (bool or 0/1);
    shared by shape_features and the compiled kernel (fast.py), so both compute it alike."""
    out = np.empty((len(chars), len(SHAPE_NAMES)), dtype=np.float64)
    safe = np.maximum(chars, 1.0)
    safe_words = np.maximum(words, 1.0)
    out[:, 0] = np.log1p(chars)
    out[:, 1] = np.log1p(words)
    out[:, 2] = np.minimum(chars / safe_words, 30.0) / 10.0
    out[:, 3] = upper / safe
    out[:, 4] = digit / safe
    out[:, 5] = punct / safe
    out[:, 6] = cjk / safe
    out[:, 7] = np.log1p(camel)
    out[:, 8] = capword / safe_words
    out[:, 9] = terminal
    out[:, 10] = colon
    out[:, 11] = bullet
    out[:, 12] = np.minimum(placeholders, 3.0)
    out[:, 13] = np.minimum(urlish, 3.0)
    out[:, 14] = np.log1p(separators)
    out[:, 15] = chars == 0
    out[:, 16] = np.log1p(longest)
    out[:, 17] = commas / safe_words
    return out


def lowered_codepoints(lines: list[str], prefix: int | None) -> tuple[np.ndarray, np.ndarray]:
    """The text the hashers see: every line's first `prefix` characters, lowered, between a
    begin and an end marker, as one array of code points; and the line of each code point."""
    n = len(lines)
    cut = list(map(operator.itemgetter(slice(None, prefix)), lines))
    lengths = np.fromiter(map(len, cut), dtype=np.int64, count=n) + 2
    # lowering the joined text is one C call; it equals lowering line by line (the markers
    # end every line, so context-dependent rules like the final sigma see the same thing)
    # unless lowering changes a length ("İ" -> "i̇"), in which case go line by line
    text = (_BEGIN + (_END + _BEGIN).join(cut) + _END) if n else ""
    low = text.lower()
    if len(low) != len(text):
        low_lines = [_BEGIN + s.lower() + _END for s in cut]
        low = "".join(low_lines)
        lengths = np.fromiter(map(len, low_lines), dtype=np.int64, count=n)
    line, _ = _layout(lengths, 0)
    return _codepoints(low), line


class TextFeatures(BaseEstimator, TransformerMixin):
    """Stateless line vectoriser: hashed char 1-4-grams, hashed word 1-2-grams, shape columns.

    Parameters
    ----------
    n_features : int
        Size of each hashed block (char, word); a power of two.
    """

    def __init__(self, n_features: int = 2**18, char_orders=CHAR_ORDERS, prefix: int = NGRAM_PREFIX):
        self.n_features = n_features
        self.char_orders = char_orders
        self.prefix = prefix

    def fit(self, X, y=None):
        bits = int(self.n_features).bit_length() - 1
        if self.n_features < 2 or 1 << bits != self.n_features:
            raise ValueError(f"n_features must be a power of two, got {self.n_features}")
        self.bits_ = bits
        self.n_features_out_ = 2 * self.n_features + len(SHAPE_NAMES)
        return self

    def _entries(self, lines: list[str]):
        """Hashed text entries of a batch: a list of (rows, cols, weight per line) blocks."""
        n = len(lines)
        cp, line = lowered_codepoints(lines, self.prefix)
        blocks = _char_ngrams(cp, line, n, self.bits_, tuple(self.char_orders))
        rows, cols, weights = _word_ngrams(cp, _classify(cp), line, n, self.bits_)
        blocks.append((rows, cols + self.n_features, weights))
        return blocks

    def transform(self, X, shape: np.ndarray | None = None) -> sparse.csr_matrix:
        """Sparse matrix: char block, word block (n_features columns each), shape columns."""
        lines = X if isinstance(X, list) else list(X)
        n = len(lines)
        shape = shape_features(lines) if shape is None else shape
        text = None
        for rows, cols, scale in self._entries(lines):
            block = _csr(rows, cols, scale[rows], n, 2 * self.n_features)
            text = block if text is None else text + block  # disjoint column ranges
        return sparse.hstack([text, sparse.csr_matrix(shape.astype(np.float32))], format="csr")

    def score(self, lines: list[str], coef: np.ndarray, intercept: float,
              shape: np.ndarray | None = None) -> np.ndarray:
        """The linear decision value coef . x + intercept for every line, without building
        the sparse matrix: a line's entries' coefficients are summed, then scaled by the line's
        weight (every entry of a block and line has the same weight)."""
        n = len(lines)
        shape = shape_features(lines) if shape is None else shape
        text_coef = coef[: 2 * self.n_features]
        out = shape @ coef[2 * self.n_features:] + intercept
        for rows, cols, scale in self._entries(lines):
            out += scale * np.bincount(rows, weights=text_coef[cols], minlength=n)
        return out

    def score_kinds(self, lines: list[str], coef: np.ndarray, intercept: np.ndarray,
                    shape: np.ndarray | None = None) -> np.ndarray:
        """score() for several linear models at once: coef holds one row of per-model
        coefficients per column of the features (n_features_out_ x models), intercept one value
        per model; returns lines x models."""
        n = len(lines)
        shape = shape_features(lines) if shape is None else shape
        text_coef = coef[: 2 * self.n_features]
        out = shape @ coef[2 * self.n_features:] + intercept
        for rows, cols, scale in self._entries(lines):
            picked = text_coef[cols]
            sums = np.stack([np.bincount(rows, weights=picked[:, j], minlength=n)
                             for j in range(coef.shape[1])], axis=1) if n else np.zeros((0, coef.shape[1]))
            out += scale[:, None] * sums
        return out
