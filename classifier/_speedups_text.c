/* Pass-1 kernels of classifier/_speedups (see _speedups.c): hashed n-gram coefficient sums
 * (features.TextFeatures.score) and the per-line counts behind features.shape_features. */
#include "_speedups.h"
#include <stdint.h>
#include <string.h>
#include <math.h>

/* ---------------------------------------------------------------------------------------- */
/* text_sums                                                                                 */

#define LINE_BEGIN 0x02u
#define LINE_END 0x03u
#define MAX_ORDER 8
#define MAX_WORD 32
#define HASH_P 0x100000001B3ull
#define BIGRAM_M 0x2545F4914F6CDD1Dull
#define CJK_SALT 0x632BE59BD9B4E019ull  /* overlap._CJK_SALT */
/* code-point classes of features.py */
enum { C_SPACE = 0, C_LOWER, C_UPPER, C_DIGIT, C_PUNCT, C_CJK, C_LETTER };


static inline uint8_t
cp_class(const uint8_t *classes, Py_UCS4 c)
{
    return classes[c <= 0xFFFF ? c : 0xFFFF];  /* astral code points: class of U+FFFF (symbol) */
}

#if defined(__GNUC__) || defined(__clang__)
#define PREFETCH(p) __builtin_prefetch(p)
#else
#define PREFETCH(p) ((void)0)
#endif

/* Grow a PyMem buffer to hold at least `want` items of `size` bytes; 0, or -1 with MemoryError. */
int
ls_reserve(void **buf, Py_ssize_t *cap, Py_ssize_t want, size_t size)
{
    if (want <= *cap)
        return 0;
    want *= 2;
    void *grown = PyMem_Realloc(*buf, (size_t)want * size);
    if (grown == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    *buf = grown;
    *cap = want;
    return 0;
}

/* The code points a line contributes to the n-gram hashers: BEGIN, its first `prefix` code
 * points lowered as str.lower() does, END. Written to buf (grown as needed); returns the
 * count, or -1 with an exception set. */
Py_ssize_t
ls_hashed_codepoints(PyObject *line, Py_ssize_t prefix, Py_UCS4 **buf, Py_ssize_t *cap)
{
    Py_ssize_t len = PyUnicode_GET_LENGTH(line);
    Py_ssize_t cut = len < prefix ? len : prefix;
    PyObject *low = NULL;
    int kind;
    const void *data;
    if (PyUnicode_IS_ASCII(line)) {
        kind = PyUnicode_1BYTE_KIND;
        data = PyUnicode_DATA(line);
    } else {
        /* Non-ASCII: Python's own lowering (multi-character results, final sigma). The line
         * markers are neither cased nor case-ignorable, so lowering a line alone is the same
         * as lowering it inside the joined marked text. */
        PyObject *sub = PyUnicode_Substring(line, 0, cut);
        if (sub == NULL)
            return -1;
        low = PyObject_CallMethod(sub, "lower", NULL);
        Py_DECREF(sub);
        if (low == NULL)
            return -1;
        cut = PyUnicode_GET_LENGTH(low);
        kind = PyUnicode_KIND(low);
        data = PyUnicode_DATA(low);
    }
    if (ls_reserve((void **)buf, cap, cut + 2, sizeof(Py_UCS4)) < 0) {
        Py_XDECREF(low);
        return -1;
    }
    Py_UCS4 *cp = *buf;
    cp[0] = LINE_BEGIN;
    if (low == NULL) {
        const Py_UCS1 *s = (const Py_UCS1 *)data;
        for (Py_ssize_t i = 0; i < cut; i++) {
            Py_UCS1 c = s[i];
            cp[i + 1] = (c >= 'A' && c <= 'Z') ? (Py_UCS4)(c + 32) : c;
        }
    } else {
        for (Py_ssize_t i = 0; i < cut; i++)
            cp[i + 1] = PyUnicode_READ(kind, data, i);
        Py_DECREF(low);
    }
    cp[cut + 1] = LINE_END;
    return cut + 2;
}

static inline Py_ssize_t
mix(uint64_t h, int bits)
{
    return (Py_ssize_t)((h * HASH_M) >> (64 - bits));
}

/* text_sums(lines, prefix, orders, bits, block_bits, n_features, coef, coef_is_double,
 *           word_weights, classes, sums, counts)
 * For line l: sums[l, j] = coefficient sum of its order-j char n-grams (j < len(orders)),
 * sums[l, len(orders)] = that of its word unigrams and bigrams, each summed in double in text
 * order as numpy.bincount does; counts[l] = (char n-grams, word n-grams). coef is float64 or
 * float32; sums and counts are C-order float64 arrays the caller allocated.
 * Optional: kind_coef, a C-order float32 matrix with one row of n_kinds coefficients per
 * column of coef (the line kinds of kinds.py), and kind_sums (n, len(orders) + 1, n_kinds)
 * float64, filled the same way for every kind from the same hashed entries.
 * Optional: min_word > 0 also collects every line's overlap tokens (overlap.line_tokens, before
 * their deduplication) and returns (tokens, ends): the uint64 tokens of all lines as bytes, and
 * as int64 bytes the end of each line's tokens; otherwise it returns None.
 * Optional: kind_first > 0 sums the kinds only over blocks kind_first.. (the word block alone
 * when it is len(orders)) and sets the earlier blocks' kind sums to 0, as their coefficients
 * are in a model whose kinds read word n-grams only (Config.kind_chars off): the char entries
 * are most of a line's entries, so the kind rows they would pick are not even fetched. */
/* Sums of the 7-float rows of kind_coef picked by cols[start:end], each summed in double in
 * order (as numpy.bincount does), into out[0..6]: the sums stay in registers instead of being
 * written through memory at every entry, as the generic loop for any number of kinds does.
 * A model with 7 kinds predicted 1.46-1.61x slower than one without kinds with this, 1.63-1.79x
 * with the generic loop (1000 wcxb-dev pages, best of 4 alternating rounds, runs of one day). */
static inline void
sum_rows7(const float *kind_coef, const Py_ssize_t *cols, Py_ssize_t start, Py_ssize_t end, double *out)
{
    double a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0, a4 = 0.0, a5 = 0.0, a6 = 0.0;
    for (Py_ssize_t i = start; i < end; i++) {
        const float *row = kind_coef + cols[i] * 7;
        a0 += (double)row[0];
        a1 += (double)row[1];
        a2 += (double)row[2];
        a3 += (double)row[3];
        a4 += (double)row[4];
        a5 += (double)row[5];
        a6 += (double)row[6];
    }
    out[0] = a0, out[1] = a1, out[2] = a2, out[3] = a3, out[4] = a4, out[5] = a5, out[6] = a6;
}

/* Overlap tokens (overlap.line_tokens) of one word holding CJK characters, cp[0:len], appended
 * to tok at n_tok; returns the new count. The word splits into runs where CJK meets other
 * characters: a non-CJK run of min_word or more characters, not all digits, is a token (hashed
 * as a word is), and so is every pair of adjacent CJK characters. A word without CJK is one
 * run, whose token text_sums takes from the word's own hash. */
static Py_ssize_t
cjk_word_tokens(const Py_UCS4 *cp, Py_ssize_t len, const uint8_t *classes, const uint64_t *ww,
                Py_ssize_t min_word, uint64_t *tok, Py_ssize_t n_tok)
{
    Py_ssize_t i = 0;
    while (i < len) {
        int is_cjk = cp_class(classes, cp[i]) == C_CJK;
        Py_ssize_t j = i;
        uint64_t hash = 0;
        Py_ssize_t digits = 0;
        while (j < len && (cp_class(classes, cp[j]) == C_CJK) == is_cjk) {
            if (is_cjk && j > i)
                tok[n_tok++] = (uint64_t)cp[j - 1] * ww[0] + (uint64_t)cp[j] * ww[1] + CJK_SALT;
            if (j - i < MAX_WORD)
                hash += (uint64_t)cp[j] * ww[j - i];
            digits += cp_class(classes, cp[j]) == C_DIGIT;
            j++;
        }
        if (!is_cjk && j - i >= min_word && digits < j - i)
            tok[n_tok++] = hash;
        i = j;
    }
    return n_tok;
}

PyObject *
ls_text_sums(PyObject *self, PyObject *args)
{
    PyObject *lines;
    Py_ssize_t prefix, n_features;
    int bits, block_bits, wide;
    Py_buffer orders_b, coef_b, ww_b, cls_b, sums_b, counts_b;
    Py_buffer kc_b = {0}, ks_b = {0};
    Py_ssize_t n_kinds = 0, min_word = 0, kind_first = 0;
    if (!PyArg_ParseTuple(args, "O!ny*iiny*py*y*w*w*|y*nw*nn", &PyList_Type, &lines, &prefix, &orders_b,
                          &bits, &block_bits, &n_features, &coef_b, &wide, &ww_b, &cls_b, &sums_b,
                          &counts_b, &kc_b, &n_kinds, &ks_b, &min_word, &kind_first))
        return NULL;
    PyObject *result = NULL;
    Py_UCS4 *cp = NULL;
    uint64_t *hash = NULL;
    Py_ssize_t *cols = NULL;
    uint64_t *tok = NULL;     /* overlap tokens of every line, when min_word > 0 */
    int64_t *tok_end = NULL;  /* end of each line's tokens in tok */
    Py_ssize_t cp_cap = 0, hash_cap = 0, cols_cap = 0, tok_cap = 0, n_tok = 0;
    Py_ssize_t n = PyList_GET_SIZE(lines);
    const int64_t *orders = (const int64_t *)orders_b.buf;
    Py_ssize_t n_orders = orders_b.len / (Py_ssize_t)sizeof(int64_t);
    const double *coef64 = (const double *)coef_b.buf;
    const float *coef32 = (const float *)coef_b.buf;
    const uint64_t *ww = (const uint64_t *)ww_b.buf;
    const uint8_t *classes = (const uint8_t *)cls_b.buf;
    double *sums = (double *)sums_b.buf;
    double *counts = (double *)counts_b.buf;
    const float *kind_coef = (const float *)kc_b.buf;
    double *kind_sums = (double *)ks_b.buf;
    Py_ssize_t width = n_orders + 1;
    Py_ssize_t ends[MAX_ORDER + 1];  /* end of each block's entries in cols */
    size_t item = wide ? sizeof(double) : sizeof(float);
    if (n_orders < 1 || n_orders > MAX_ORDER || bits < 1 || bits > 40 || block_bits < 1
        || block_bits > bits || n_features != ((Py_ssize_t)1 << bits) || prefix < 0
        || coef_b.len < 2 * n_features * (Py_ssize_t)item || coef_b.len % (Py_ssize_t)item
        || ww_b.len != MAX_WORD * (Py_ssize_t)sizeof(uint64_t) || cls_b.len != 0x10000
        || sums_b.len != n * width * (Py_ssize_t)sizeof(double)
        || counts_b.len != n * 2 * (Py_ssize_t)sizeof(double)
        || n_kinds < 0 || n_kinds > 64 || min_word < 0 || kind_first < 0 || kind_first > n_orders
        || (n_kinds > 0 && (kc_b.buf == NULL || ks_b.buf == NULL
                            || kc_b.len != coef_b.len / (Py_ssize_t)item * n_kinds * (Py_ssize_t)sizeof(float)
                            || ks_b.len != n * width * n_kinds * (Py_ssize_t)sizeof(double)))) {
        PyErr_SetString(PyExc_ValueError, "text_sums: bad arguments");
        goto done;
    }
    for (Py_ssize_t j = 0; j < n_orders; j++) {
        /* strictly increasing orders, as the rolling hash of features._char_ngrams needs */
        if (orders[j] < 1 || orders[j] > MAX_ORDER || (j > 0 && orders[j] <= orders[j - 1])
            || (j << block_bits) + ((Py_ssize_t)1 << block_bits) > n_features) {
            PyErr_SetString(PyExc_ValueError, "text_sums: unsupported char orders");
            goto done;
        }
    }
    if (min_word > 0 && (tok_end = PyMem_Malloc((size_t)(n > 0 ? n : 1) * sizeof(int64_t))) == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t l = 0; l < n; l++) {
        PyObject *line = ls_line(lines, l);
        if (line == NULL)
            goto done;
        Py_ssize_t m = ls_hashed_codepoints(line, prefix, &cp, &cp_cap);
        /* a line has fewer overlap tokens than code points */
        if (m >= 0 && min_word > 0 && ls_reserve((void **)&tok, &tok_cap, n_tok + m, sizeof(uint64_t)) < 0)
            goto done;
        if (m < 0 || ls_reserve((void **)&hash, &hash_cap, m, sizeof(uint64_t)) < 0
            || ls_reserve((void **)&cols, &cols_cap, m * (n_orders + 2), sizeof(Py_ssize_t)) < 0)
            goto done;
        /* First every entry's column, block by block in text order; then the coefficients are
         * fetched (prefetched together: they are scattered over megabytes) and summed. */
        Py_ssize_t e = 0;
        /* char n-grams: h_1 = cp + 1, h_k = h_(k-1) * P + cp[i + k - 1] + k (mod 2**64) */
        for (Py_ssize_t i = 0; i < m; i++)
            hash[i] = 0;
        int step = 0;
        for (Py_ssize_t j = 0; j < n_orders; j++) {
            for (; step < orders[j]; step++)
                for (Py_ssize_t i = 0; i + step < m; i++)
                    hash[i] = hash[i] * HASH_P + (uint64_t)cp[i + step] + (uint64_t)(step + 1);
            Py_ssize_t base = (Py_ssize_t)j << block_bits;
            for (Py_ssize_t i = 0; i + step <= m; i++)
                cols[e++] = mix(hash[i], block_bits) + base;
            ends[j] = e;
        }
        /* words: runs of characters that are neither space nor punctuation; a word hashes as
         * sum(cp * W[offset]) over its first MAX_WORD characters. Entries in text order:
         * unigram 0, bigram (0, 1), unigram 1, bigram (1, 2), ... */
        uint64_t prev = 0, cur = 0;
        int have_prev = 0, in_word = 0;
        Py_ssize_t rel = 0, digits = 0, cjk = 0;  /* of the current word, for the overlap tokens */
        for (Py_ssize_t i = 0; i <= m; i++) {
            int is_word = 0;
            uint8_t c = C_SPACE;
            if (i < m) {
                c = cp_class(classes, cp[i]);
                is_word = c != C_SPACE && c != C_PUNCT;
            }
            if (is_word) {
                if (!in_word) {
                    in_word = 1;
                    cur = 0;
                    rel = digits = cjk = 0;
                }
                if (rel < MAX_WORD)
                    cur += (uint64_t)cp[i] * ww[rel];
                rel++;
                digits += c == C_DIGIT;
                cjk += c == C_CJK;
            } else if (in_word) {
                in_word = 0;
                if (have_prev)
                    cols[e++] = n_features + mix(prev * BIGRAM_M + cur + 7u, bits);
                cols[e++] = n_features + mix(cur, bits);
                prev = cur;
                have_prev = 1;
                if (min_word > 0) {
                    if (cjk == 0) {  /* the word is one token run: its hash is the word's */
                        if (rel >= min_word && digits < rel)
                            tok[n_tok++] = cur;
                    } else {
                        n_tok = cjk_word_tokens(cp + i - rel, rel, classes, ww, min_word, tok, n_tok);
                    }
                }
            }
        }
        ends[n_orders] = e;
        for (Py_ssize_t i = 0; i < e; i++)
            PREFETCH((const char *)coef_b.buf + cols[i] * (Py_ssize_t)item);
        if (n_kinds > 0)
            for (Py_ssize_t i = kind_first > 0 ? ends[kind_first - 1] : 0; i < e; i++)
                PREFETCH(kind_coef + cols[i] * n_kinds);
        double *s = sums + l * width;
        Py_ssize_t start = 0;
        for (Py_ssize_t j = 0; j < width; j++) {
            double acc = 0.0;
            if (wide)
                for (Py_ssize_t i = start; i < ends[j]; i++)
                    acc += coef64[cols[i]];
            else
                for (Py_ssize_t i = start; i < ends[j]; i++)
                    acc += (double)coef32[cols[i]];
            s[j] = acc;
            if (n_kinds > 0) {
                /* an entry's row holds every kind's coefficient: one or two cache lines, not n_kinds */
                double *ks = kind_sums + (l * width + j) * n_kinds;
                if (j < kind_first) {
                    for (Py_ssize_t o = 0; o < n_kinds; o++)
                        ks[o] = 0.0;
                } else if (n_kinds == 7) {
                    /* the shipped seven kinds: sums in registers, not through memory */
                    sum_rows7(kind_coef, cols, start, ends[j], ks);
                } else {
                    for (Py_ssize_t o = 0; o < n_kinds; o++)
                        ks[o] = 0.0;
                    for (Py_ssize_t i = start; i < ends[j]; i++) {
                        const float *row = kind_coef + cols[i] * n_kinds;
                        for (Py_ssize_t o = 0; o < n_kinds; o++)
                            ks[o] += (double)row[o];
                    }
                }
            }
            start = ends[j];
        }
        counts[2 * l] = (double)ends[n_orders - 1];
        counts[2 * l + 1] = (double)(e - ends[n_orders - 1]);
        if (min_word > 0)
            tok_end[l] = n_tok;
    }
    if (min_word > 0)
        result = Py_BuildValue("(y#y#)", tok != NULL ? (const char *)tok : "", (Py_ssize_t)(n_tok * sizeof(uint64_t)),
                               (const char *)tok_end, (Py_ssize_t)(n * sizeof(int64_t)));
    else {
        result = Py_None;
        Py_INCREF(result);
    }
done:
    PyMem_Free(cp);
    PyMem_Free(hash);
    PyMem_Free(cols);
    PyMem_Free(tok);
    PyMem_Free(tok_end);
    PyBuffer_Release(&orders_b);
    PyBuffer_Release(&coef_b);
    PyBuffer_Release(&ww_b);
    PyBuffer_Release(&cls_b);
    PyBuffer_Release(&sums_b);
    PyBuffer_Release(&counts_b);
    if (kc_b.obj != NULL)
        PyBuffer_Release(&kc_b);
    if (ks_b.obj != NULL)
        PyBuffer_Release(&ks_b);
    return result;
}

/* ---------------------------------------------------------------------------------------- */
/* shape_counts                                                                              */

/* bits of the `flags` table (fast.py builds it from the character sets of features.py) */
#define F_TERMINAL 1
#define F_COMMA 2
#define F_SEPARATOR 4
#define F_BULLET 8
#define F_PLACEHOLDER 16

/* columns of the counts array, in fast.COUNT_NAMES order */
enum { K_CHARS, K_WORDS, K_UPPER, K_DIGIT, K_PUNCT, K_CJK, K_CAMEL, K_CAPWORD, K_TERMINAL,
       K_COLON, K_BULLET, K_URLISH, K_SEPARATORS, K_LONGEST, K_COMMAS, K_WIDTH };

static inline int
has_flag(const uint8_t *flags, Py_UCS4 c, int flag)
{
    return c <= 0xFFFF && (flags[c] & flag);
}

/* shape_counts(lines, classes, flags, counts) -> list of (line, position) of placeholder
 * trigger characters, for the caller's regex. counts: C-order float64 (K_WIDTH, n), one
 * contiguous row per count, as the numpy reference has them. */
PyObject *
ls_shape_counts(PyObject *self, PyObject *args)
{
    PyObject *lines;
    Py_buffer cls_b, flags_b, counts_b;
    if (!PyArg_ParseTuple(args, "O!y*y*w*", &PyList_Type, &lines, &cls_b, &flags_b, &counts_b))
        return NULL;
    PyObject *triggers = NULL;
    Py_ssize_t n = PyList_GET_SIZE(lines);
    const uint8_t *classes = (const uint8_t *)cls_b.buf;
    const uint8_t *flags = (const uint8_t *)flags_b.buf;
    double *counts = (double *)counts_b.buf;
    if (cls_b.len != 0x10000 || flags_b.len != 0x10000
        || counts_b.len != n * K_WIDTH * (Py_ssize_t)sizeof(double)) {
        PyErr_SetString(PyExc_ValueError, "shape_counts: bad arguments");
        goto done;
    }
    triggers = PyList_New(0);
    if (triggers == NULL)
        goto done;
    for (Py_ssize_t l = 0; l < n; l++) {
        PyObject *line = ls_line(lines, l);
        if (line == NULL) {
            Py_CLEAR(triggers);
            goto done;
        }
        int kind = PyUnicode_KIND(line);
        const void *data = PyUnicode_DATA(line);
        Py_ssize_t len = PyUnicode_GET_LENGTH(line);
        Py_ssize_t chars = 0, words = 0, upper = 0, digit = 0, punct = 0, cjk = 0, camel = 0;
        Py_ssize_t capword = 0, urlish = 0, seps = 0, commas = 0, longest = 0, run = 0;
        Py_ssize_t first = -1;
        Py_UCS4 last = 0;
        uint8_t prev_cls = C_SPACE;  /* what precedes the line counts as a space */
        for (Py_ssize_t i = 0; i < len; i++) {
            Py_UCS4 c = PyUnicode_READ(kind, data, i);
            uint8_t cls = cp_class(classes, c);
            if (cls != C_SPACE) {
                chars++;
                last = c;
                if (first < 0)
                    first = i;
            }
            if (cls != C_SPACE && cls != C_PUNCT) {
                if (run == 0)
                    words++;
                run++;
                if (run > longest)
                    longest = run;
            } else {
                run = 0;
            }
            if (cls == C_UPPER) {
                upper++;
                if (prev_cls == C_SPACE)
                    capword++;
                if (prev_cls == C_LOWER)
                    camel++;
            } else if (cls == C_DIGIT) {
                digit++;
            } else if (cls == C_PUNCT) {
                punct++;
            } else if (cls == C_CJK) {
                cjk++;
            }
            /* "://", "@", "www.", ".com" starting here (a position counts once) */
            if (c == '@'
                || (c == ':' && i + 2 < len && PyUnicode_READ(kind, data, i + 1) == '/'
                    && PyUnicode_READ(kind, data, i + 2) == '/')
                || (c == 'w' && i + 3 < len && PyUnicode_READ(kind, data, i + 1) == 'w'
                    && PyUnicode_READ(kind, data, i + 2) == 'w' && PyUnicode_READ(kind, data, i + 3) == '.')
                || (c == '.' && i + 3 < len && PyUnicode_READ(kind, data, i + 1) == 'c'
                    && PyUnicode_READ(kind, data, i + 2) == 'o' && PyUnicode_READ(kind, data, i + 3) == 'm'))
                urlish++;
            if (c <= 0xFFFF) {
                uint8_t f = flags[c];
                if (f & F_SEPARATOR)
                    seps++;
                if (f & F_COMMA)
                    commas++;
                if (f & F_PLACEHOLDER) {
                    PyObject *item = Py_BuildValue("(nn)", l, i);
                    if (item == NULL || PyList_Append(triggers, item) < 0) {
                        Py_XDECREF(item);
                        Py_CLEAR(triggers);
                        goto done;
                    }
                    Py_DECREF(item);
                }
            }
            prev_cls = cls;
        }
        /* list marker at the first visible character: a bullet then a space, or one or two
         * digits, "." or ")", then a space (characters past the line end match nothing) */
        int bullet = 0;
        if (first >= 0) {
            Py_UCS4 c0 = PyUnicode_READ(kind, data, first);
            Py_UCS4 c1 = first + 1 < len ? PyUnicode_READ(kind, data, first + 1) : 0;
            Py_UCS4 c2 = first + 2 < len ? PyUnicode_READ(kind, data, first + 2) : 0;
            Py_UCS4 c3 = first + 3 < len ? PyUnicode_READ(kind, data, first + 3) : 0;
            if (has_flag(flags, c0, F_BULLET) && c1 == ' ')
                bullet = 1;
            if (cp_class(classes, c0) == C_DIGIT) {
                if ((c1 == '.' || c1 == ')') && c2 == ' ')
                    bullet = 1;
                if (first + 1 < len && cp_class(classes, c1) == C_DIGIT && (c2 == '.' || c2 == ')')
                    && c3 == ' ')
                    bullet = 1;
            }
        }
        counts[K_CHARS * n + l] = (double)chars;
        counts[K_WORDS * n + l] = (double)words;
        counts[K_UPPER * n + l] = (double)upper;
        counts[K_DIGIT * n + l] = (double)digit;
        counts[K_PUNCT * n + l] = (double)punct;
        counts[K_CJK * n + l] = (double)cjk;
        counts[K_CAMEL * n + l] = (double)camel;
        counts[K_CAPWORD * n + l] = (double)capword;
        counts[K_TERMINAL * n + l] = chars > 0 && has_flag(flags, last, F_TERMINAL);
        counts[K_COLON * n + l] = chars > 0 && last == ':';
        counts[K_BULLET * n + l] = bullet;
        counts[K_URLISH * n + l] = (double)urlish;
        counts[K_SEPARATORS * n + l] = (double)seps;
        counts[K_LONGEST * n + l] = (double)longest;
        counts[K_COMMAS * n + l] = (double)commas;
    }
done:
    PyBuffer_Release(&cls_b);
    PyBuffer_Release(&flags_b);
    PyBuffer_Release(&counts_b);
    return triggers;
}

/* columns of shape_counts' output, for the module's COUNT_WIDTH constant */
int
ls_shape_count_width(void)
{
    return K_WIDTH;
}
