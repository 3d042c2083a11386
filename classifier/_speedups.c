/* Optional compiled kernels for the prediction hot path (loaded by classifier/fast.py).
 *
 * Each function reproduces one numpy reference computation of the package exactly (same
 * integers, same floating-point sums in the same order), so predictions are identical with or
 * without this module; tests/test_speedups.py compares them. Plain CPython C-API: arrays come
 * in through the buffer protocol, no numpy headers are needed to build it.
 *
 *   tree_raw      - HistGradientBoosting raw scores: baseline + tree 0 + tree 1 + ... per row
 *   text_sums     - pass-1 hashed n-gram coefficient sums per line and block (features.py)
 *   shape_counts  - the per-line counts behind features.shape_features
 *   line_keys     - hashes of whitespace-normalised lines, for counting repeats (model.py)
 *   context_cols  - the pass-2 context features of context.py, but for their log1p
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>
#include <math.h>

/* ---------------------------------------------------------------------------------------- */
/* tree_raw                                                                                  */

/* One tree node, laid out as fast.NODE_DTYPE (numpy, align=True). child[1] is the left child
 * (taken when x <= thr, or x is NaN and missing_left), child[0] the right one. A leaf has its
 * value in thr and both children pointing to itself, so walks can run on past it. */
typedef struct {
    double thr;
    int32_t feat;
    int32_t child[2];
    uint8_t missing_left;
    uint8_t leaf;
} node_t;

/* Rows walked through all trees together: their feature values stay in cache across trees. */
#ifndef TREE_BLOCK
#define TREE_BLOCK 256
#endif
/* Rows walked through one tree in lock step, their branch-free steps interleaved: the walk is
 * bound by memory latency and unpredictable branches, not by arithmetic. */
#ifndef TREE_GROUP
#define TREE_GROUP 8
#endif

static PyObject *
tree_raw(PyObject *self, PyObject *args)
{
    Py_buffer nodes_b, roots_b, x_b, out_b;
    Py_ssize_t n_rows, n_cols;
    double baseline;
    if (!PyArg_ParseTuple(args, "y*y*y*nndw*", &nodes_b, &roots_b, &x_b, &n_rows, &n_cols,
                          &baseline, &out_b))
        return NULL;
    PyObject *result = NULL;
    const node_t *nodes = (const node_t *)nodes_b.buf;
    const int32_t *roots = (const int32_t *)roots_b.buf;
    const double *x = (const double *)x_b.buf;  /* column-major: x[col * n_rows + row] */
    double *out = (double *)out_b.buf;
    Py_ssize_t n_nodes = nodes_b.len / (Py_ssize_t)sizeof(node_t);
    Py_ssize_t n_trees = roots_b.len / (Py_ssize_t)sizeof(int32_t);
    if (nodes_b.len % (Py_ssize_t)sizeof(node_t) || roots_b.len % (Py_ssize_t)sizeof(int32_t)
        || n_rows < 0 || n_cols < 0 || x_b.len != n_rows * n_cols * (Py_ssize_t)sizeof(double)
        || out_b.len != n_rows * (Py_ssize_t)sizeof(double)) {
        PyErr_SetString(PyExc_ValueError, "tree_raw: buffer sizes do not match");
        goto done;
    }
    /* Every walk must reach a leaf inside the arrays: children after their parent (a leaf:
     * itself), features in range. */
    for (Py_ssize_t i = 0; i < n_nodes; i++) {
        const node_t *nd = &nodes[i];
        int ok = nd->leaf ? nd->child[0] == i && nd->child[1] == i && nd->feat == 0
                          : nd->feat >= 0 && nd->feat < n_cols && nd->child[0] > i && nd->child[1] > i
                            && nd->child[0] < n_nodes && nd->child[1] < n_nodes;
        if (!ok) {
            PyErr_SetString(PyExc_ValueError, "tree_raw: malformed tree nodes");
            goto done;
        }
    }
    for (Py_ssize_t t = 0; t < n_trees; t++) {
        if (roots[t] < 0 || roots[t] >= n_nodes) {
            PyErr_SetString(PyExc_ValueError, "tree_raw: malformed tree roots");
            goto done;
        }
    }
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t r0 = 0; r0 < n_rows; r0 += TREE_BLOCK) {
        Py_ssize_t r1 = r0 + TREE_BLOCK < n_rows ? r0 + TREE_BLOCK : n_rows;
        /* scikit-learn: raw = zeros + baseline, then raw += tree(X) for each tree in order */
        for (Py_ssize_t r = r0; r < r1; r++)
            out[r] = 0.0 + baseline;
        for (Py_ssize_t t = 0; t < n_trees; t++) {
            for (Py_ssize_t g = r0; g < r1; g += TREE_GROUP) {
                Py_ssize_t size = g + TREE_GROUP <= r1 ? TREE_GROUP : r1 - g;
                int32_t at[TREE_GROUP];
                for (Py_ssize_t j = 0; j < TREE_GROUP; j++)
                    at[j] = roots[t];
                int moving = 1;
                while (moving) {
                    moving = 0;
                    for (Py_ssize_t j = 0; j < size; j++) {
                        const node_t *nd = &nodes[at[j]];
                        double v = x[(Py_ssize_t)nd->feat * n_rows + g + j];
                        int left = (v <= nd->thr) | (isnan(v) & nd->missing_left);
                        at[j] = nd->child[left];
                        moving |= !nd->leaf;
                    }
                }
                for (Py_ssize_t j = 0; j < size; j++)
                    out[g + j] += nodes[at[j]].thr;
            }
        }
    }
    Py_END_ALLOW_THREADS
    result = Py_None;
    Py_INCREF(result);
done:
    PyBuffer_Release(&nodes_b);
    PyBuffer_Release(&roots_b);
    PyBuffer_Release(&x_b);
    PyBuffer_Release(&out_b);
    return result;
}

/* ---------------------------------------------------------------------------------------- */
/* text_sums                                                                                 */

#define LINE_BEGIN 0x02u
#define LINE_END 0x03u
#define MAX_ORDER 8
#define MAX_WORD 32
#define HASH_P 0x100000001B3ull
#define HASH_M 0x9E3779B97F4A7C15ull
#define BIGRAM_M 0x2545F4914F6CDD1Dull
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
static int
reserve(void **buf, Py_ssize_t *cap, Py_ssize_t want, size_t size)
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
static Py_ssize_t
hashed_codepoints(PyObject *line, Py_ssize_t prefix, Py_UCS4 **buf, Py_ssize_t *cap)
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
    if (reserve((void **)buf, cap, cut + 2, sizeof(Py_UCS4)) < 0) {
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
 * float32; sums and counts are C-order float64 arrays the caller allocated. */
static PyObject *
text_sums(PyObject *self, PyObject *args)
{
    PyObject *lines;
    Py_ssize_t prefix, n_features;
    int bits, block_bits, wide;
    Py_buffer orders_b, coef_b, ww_b, cls_b, sums_b, counts_b;
    if (!PyArg_ParseTuple(args, "O!ny*iiny*py*y*w*w*", &PyList_Type, &lines, &prefix, &orders_b,
                          &bits, &block_bits, &n_features, &coef_b, &wide, &ww_b, &cls_b, &sums_b,
                          &counts_b))
        return NULL;
    PyObject *result = NULL;
    Py_UCS4 *cp = NULL;
    uint64_t *hash = NULL;
    Py_ssize_t *cols = NULL;
    Py_ssize_t cp_cap = 0, hash_cap = 0, cols_cap = 0;
    Py_ssize_t n = PyList_GET_SIZE(lines);
    const int64_t *orders = (const int64_t *)orders_b.buf;
    Py_ssize_t n_orders = orders_b.len / (Py_ssize_t)sizeof(int64_t);
    const double *coef64 = (const double *)coef_b.buf;
    const float *coef32 = (const float *)coef_b.buf;
    const uint64_t *ww = (const uint64_t *)ww_b.buf;
    const uint8_t *classes = (const uint8_t *)cls_b.buf;
    double *sums = (double *)sums_b.buf;
    double *counts = (double *)counts_b.buf;
    Py_ssize_t width = n_orders + 1;
    Py_ssize_t ends[MAX_ORDER + 1];  /* end of each block's entries in cols */
    size_t item = wide ? sizeof(double) : sizeof(float);
    if (n_orders < 1 || n_orders > MAX_ORDER || bits < 1 || bits > 40 || block_bits < 1
        || block_bits > bits || n_features != ((Py_ssize_t)1 << bits) || prefix < 0
        || coef_b.len < 2 * n_features * (Py_ssize_t)item || coef_b.len % (Py_ssize_t)item
        || ww_b.len != MAX_WORD * (Py_ssize_t)sizeof(uint64_t) || cls_b.len != 0x10000
        || sums_b.len != n * width * (Py_ssize_t)sizeof(double)
        || counts_b.len != n * 2 * (Py_ssize_t)sizeof(double)) {
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
    for (Py_ssize_t l = 0; l < n; l++) {
        PyObject *line = PyList_GET_ITEM(lines, l);
        if (!PyUnicode_Check(line)) {
            PyErr_Format(PyExc_TypeError, "line %zd is not str", l);
            goto done;
        }
        Py_ssize_t m = hashed_codepoints(line, prefix, &cp, &cp_cap);
        if (m < 0 || reserve((void **)&hash, &hash_cap, m, sizeof(uint64_t)) < 0
            || reserve((void **)&cols, &cols_cap, m * (n_orders + 2), sizeof(Py_ssize_t)) < 0)
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
        Py_ssize_t rel = 0;
        for (Py_ssize_t i = 0; i <= m; i++) {
            int is_word = 0;
            if (i < m) {
                uint8_t c = cp_class(classes, cp[i]);
                is_word = c != C_SPACE && c != C_PUNCT;
            }
            if (is_word) {
                if (!in_word) {
                    in_word = 1;
                    cur = 0;
                    rel = 0;
                }
                if (rel < MAX_WORD)
                    cur += (uint64_t)cp[i] * ww[rel];
                rel++;
            } else if (in_word) {
                in_word = 0;
                if (have_prev)
                    cols[e++] = n_features + mix(prev * BIGRAM_M + cur + 7u, bits);
                cols[e++] = n_features + mix(cur, bits);
                prev = cur;
                have_prev = 1;
            }
        }
        ends[n_orders] = e;
        for (Py_ssize_t i = 0; i < e; i++)
            PREFETCH((const char *)coef_b.buf + cols[i] * (Py_ssize_t)item);
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
            start = ends[j];
        }
        counts[2 * l] = (double)ends[n_orders - 1];
        counts[2 * l + 1] = (double)(e - ends[n_orders - 1]);
    }
    result = Py_None;
    Py_INCREF(result);
done:
    PyMem_Free(cp);
    PyMem_Free(hash);
    PyMem_Free(cols);
    PyBuffer_Release(&orders_b);
    PyBuffer_Release(&coef_b);
    PyBuffer_Release(&ww_b);
    PyBuffer_Release(&cls_b);
    PyBuffer_Release(&sums_b);
    PyBuffer_Release(&counts_b);
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
 * trigger characters, for the caller's regex. counts: C-order float64 (n, K_WIDTH). */
static PyObject *
shape_counts(PyObject *self, PyObject *args)
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
        PyObject *line = PyList_GET_ITEM(lines, l);
        if (!PyUnicode_Check(line)) {
            PyErr_Format(PyExc_TypeError, "line %zd is not str", l);
            Py_CLEAR(triggers);
            goto done;
        }
        int kind = PyUnicode_KIND(line);
        const void *data = PyUnicode_DATA(line);
        Py_ssize_t len = PyUnicode_GET_LENGTH(line);
        double *k = counts + l * K_WIDTH;
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
        k[K_CHARS] = (double)chars;
        k[K_WORDS] = (double)words;
        k[K_UPPER] = (double)upper;
        k[K_DIGIT] = (double)digit;
        k[K_PUNCT] = (double)punct;
        k[K_CJK] = (double)cjk;
        k[K_CAMEL] = (double)camel;
        k[K_CAPWORD] = (double)capword;
        k[K_TERMINAL] = chars > 0 && has_flag(flags, last, F_TERMINAL);
        k[K_COLON] = chars > 0 && last == ':';
        k[K_BULLET] = bullet;
        k[K_URLISH] = (double)urlish;
        k[K_SEPARATORS] = (double)seps;
        k[K_LONGEST] = (double)longest;
        k[K_COMMAS] = (double)commas;
    }
done:
    PyBuffer_Release(&cls_b);
    PyBuffer_Release(&flags_b);
    PyBuffer_Release(&counts_b);
    return triggers;
}

/* ---------------------------------------------------------------------------------------- */
/* line_keys                                                                                 */

/* line_keys(lines, keys): keys[l] = a 64-bit hash of " ".join(lines[l].split()), computed
 * without building that string. Equal normalised lines get equal keys; different ones collide
 * with probability ~2**-64 per pair, as Python's own str hash. keys: int64 array. */
static PyObject *
line_keys(PyObject *self, PyObject *args)
{
    PyObject *lines;
    Py_buffer keys_b;
    if (!PyArg_ParseTuple(args, "O!w*", &PyList_Type, &lines, &keys_b))
        return NULL;
    PyObject *result = NULL;
    Py_ssize_t n = PyList_GET_SIZE(lines);
    uint64_t *keys = (uint64_t *)keys_b.buf;
    if (keys_b.len != n * (Py_ssize_t)sizeof(uint64_t)) {
        PyErr_SetString(PyExc_ValueError, "line_keys: bad arguments");
        goto done;
    }
    for (Py_ssize_t l = 0; l < n; l++) {
        PyObject *line = PyList_GET_ITEM(lines, l);
        if (!PyUnicode_Check(line)) {
            PyErr_Format(PyExc_TypeError, "line %zd is not str", l);
            goto done;
        }
        int kind = PyUnicode_KIND(line);
        const void *data = PyUnicode_DATA(line);
        Py_ssize_t len = PyUnicode_GET_LENGTH(line);
        uint64_t h = 0x243F6A8885A308D3ull;
        Py_ssize_t emitted = 0;
        int gap = 0;
        for (Py_ssize_t i = 0; i < len; i++) {
            Py_UCS4 c = PyUnicode_READ(kind, data, i);
            if (Py_UNICODE_ISSPACE(c)) {  /* str.split()'s notion of whitespace */
                gap = emitted > 0;
                continue;
            }
            if (gap) {
                h = (h ^ 0x20u) * HASH_M;
                h ^= h >> 31;
                emitted++;
                gap = 0;
            }
            h = (h ^ (uint64_t)c) * HASH_M;
            h ^= h >> 31;
            emitted++;
        }
        h = (h ^ (uint64_t)emitted) * 0xBF58476D1CE4E5B9ull;
        keys[l] = h ^ (h >> 29);
    }
    result = Py_None;
    Py_INCREF(result);
done:
    PyBuffer_Release(&keys_b);
    return result;
}

/* ---------------------------------------------------------------------------------------- */
/* context_cols                                                                              */

/* _exact_cumsum of context.py: fixed-point (round half to even, as numpy.round) running sums
 * with a leading 0. */
static void
fixed_cumsum(const double *v, Py_ssize_t n, double scale, int64_t *cs)
{
    cs[0] = 0;
    for (Py_ssize_t i = 0; i < n; i++)
        cs[i + 1] = cs[i] + (int64_t)nearbyint(v[i] * scale);
}

/* _window_mean of context.py */
static inline double
window_mean(const int64_t *cs, Py_ssize_t lo, Py_ssize_t hi)
{
    return (double)(cs[hi + 1] - cs[lo]) / (1048576.0 * (double)(hi - lo + 1));
}

#define N_NEIGHBOURS 8
#define N_RADII 7
static const Py_ssize_t NEIGHBOURS[N_NEIGHBOURS] = {-4, -3, -2, -1, 1, 2, 3, 4};
static const Py_ssize_t RADII[N_RADII] = {1, 2, 4, 8, 16, 32, 64};

/* context_cols(score, prob, chars, terminal, mass, offsets, no_score, dense_radius, out)
 * context.context_features without its transcendental functions: out (n_cols rows of n, i.e.
 * the Fortran-order feature array) gets every column that needs none, and in the others their
 * argument, which the caller finishes with numpy (log1p of page length, repeats, distances;
 * see fast.context_features). score is clipped, prob its sigmoid, chars the log_chars shape
 * column, terminal the terminal_punct one, mass prob * min(expm1(chars), 1e6); offsets int64. */
static PyObject *
context_cols(PyObject *self, PyObject *args)
{
    Py_buffer sc_b, pr_b, ch_b, te_b, ma_b, off_b, out_b;
    double no_score;
    Py_ssize_t dense_r, n_cols;
    if (!PyArg_ParseTuple(args, "y*y*y*y*y*y*dnnw*", &sc_b, &pr_b, &ch_b, &te_b, &ma_b, &off_b,
                          &no_score, &dense_r, &n_cols, &out_b))
        return NULL;
    PyObject *result = NULL;
    int64_t *cs_prob = NULL, *cs_chars = NULL, *cs_term = NULL, *cs_mass = NULL;
    double *dense = NULL;
    Py_ssize_t n = sc_b.len / (Py_ssize_t)sizeof(double);
    Py_ssize_t n_pages = off_b.len / (Py_ssize_t)sizeof(int64_t);
    const double *score = sc_b.buf, *prob = pr_b.buf, *chars = ch_b.buf, *term = te_b.buf, *mass = ma_b.buf;
    const int64_t *offsets = off_b.buf;
    double *out = out_b.buf;
    int bad = sc_b.len != n * (Py_ssize_t)sizeof(double) || pr_b.len != sc_b.len || ch_b.len != sc_b.len
              || te_b.len != sc_b.len || ma_b.len != sc_b.len || dense_r < 0
              || out_b.len != n * n_cols * (Py_ssize_t)sizeof(double)
              || n_cols != 25 + 2 * N_NEIGHBOURS + 4 * N_RADII + 2 + 9
              || (n > 0 && (n_pages == 0 || offsets[0] != 0));
    for (Py_ssize_t p = 0; p < n_pages && !bad; p++)
        bad = offsets[p] < 0 || offsets[p] > n || (p > 0 && offsets[p] < offsets[p - 1]);
    if (bad) {
        PyErr_SetString(PyExc_ValueError, "context_cols: bad arguments");
        goto done;
    }
    cs_prob = PyMem_Malloc((size_t)(n + 1) * sizeof(int64_t));
    cs_chars = PyMem_Malloc((size_t)(n + 1) * sizeof(int64_t));
    cs_term = PyMem_Malloc((size_t)(n + 1) * sizeof(int64_t));
    cs_mass = PyMem_Malloc((size_t)(n + 1) * sizeof(int64_t));
    dense = PyMem_Malloc((size_t)(n + 1) * sizeof(double));
    if (!cs_prob || !cs_chars || !cs_term || !cs_mass || !dense) {
        PyErr_NoMemory();
        goto done;
    }
    fixed_cumsum(prob, n, 1048576.0, cs_prob);
    fixed_cumsum(chars, n, 1048576.0, cs_chars);
    fixed_cumsum(term, n, 1048576.0, cs_term);
    fixed_cumsum(mass, n, 256.0, cs_mass);
#define COL(j) (out + (Py_ssize_t)(j) * n)
    for (Py_ssize_t p = 0; p < n_pages; p++) {
        Py_ssize_t start = offsets[p], end = p + 1 < n_pages ? offsets[p + 1] : n;
        if (end <= start)
            continue;
        double plen = (double)(end - start);
        /* the densest window of likely content: its best mean and first line */
        double best = 0.0;
        Py_ssize_t centre = start;
        for (Py_ssize_t i = start; i < end; i++) {
            Py_ssize_t lo = i - dense_r > start ? i - dense_r : start;
            Py_ssize_t hi = i + dense_r < end - 1 ? i + dense_r : end - 1;
            dense[i] = window_mean(cs_prob, lo, hi);
            if (i == start || dense[i] > best)
                best = dense[i];
        }
        for (Py_ssize_t i = start; i < end; i++)
            if (dense[i] >= best) {
                centre = i;
                break;
            }
        int64_t strong = 0;
        for (Py_ssize_t i = start; i < end; i++)
            strong += prob[i] > 0.5;
        double page_mean = ((double)(cs_prob[end] - cs_prob[start]) / 1048576.0) / plen;
        double page_strong = (double)strong / plen;
        int64_t total = cs_mass[end] - cs_mass[start];
        if (total < 1)
            total = 1;
        Py_ssize_t last_strong = -1;
        for (Py_ssize_t i = start; i < end; i++) {
            Py_ssize_t j = 0;
            COL(j++)[i] = score[i];
            COL(j++)[i] = prob[i];
            COL(j++)[i] = (double)(i - start) / plen;
            COL(j++)[i] = (double)(end - 1 - i) / plen;
            COL(j++)[i] = plen;          /* log1p by the caller */
            j += 2 + 18;                 /* repeats and the shape columns: the caller's */
            for (int k = 0; k < N_NEIGHBOURS; k++) {
                Py_ssize_t at = i + NEIGHBOURS[k];
                int inside = at >= start && at < end;
                COL(j++)[i] = inside ? score[at] : no_score;
                COL(j++)[i] = inside ? chars[at] : -1.0;
            }
            for (int k = 0; k < N_RADII; k++) {
                Py_ssize_t r = RADII[k];
                Py_ssize_t lo = i - r > start ? i - r : start;
                Py_ssize_t hi = i + r < end - 1 ? i + r : end - 1;
                COL(j++)[i] = window_mean(cs_prob, lo, hi);
                COL(j++)[i] = window_mean(cs_chars, lo, hi);
                COL(j++)[i] = window_mean(cs_prob, lo, i);
                COL(j++)[i] = window_mean(cs_prob, i, hi);
                if (r == 2 || r == 8)
                    COL(j++)[i] = window_mean(cs_term, lo, hi);
            }
            Py_ssize_t delta = i - centre;
            COL(j++)[i] = (double)delta / plen;
            COL(j++)[i] = (double)delta;  /* sign * log1p(abs) by the caller */
            COL(j++)[i] = best;
            COL(j++)[i] = page_mean;
            COL(j++)[i] = page_strong;
            COL(j++)[i] = (double)(cs_mass[i] - cs_mass[start]) / (double)total;
            COL(j++)[i] = (double)(cs_mass[end] - cs_mass[i + 1]) / (double)total;
            /* distance to the nearest confident line above: log1p by the caller, -1 for none */
            COL(j++)[i] = last_strong >= start ? (double)(i - last_strong) : -1.0;
            if (prob[i] > 0.5)
                last_strong = i;
        }
        Py_ssize_t next_strong = -1;
        double *below = COL(n_cols - 1);
        for (Py_ssize_t i = end - 1; i >= start; i--) {
            below[i] = next_strong >= 0 ? (double)(next_strong - i) : -1.0;
            if (prob[i] > 0.5)
                next_strong = i;
        }
    }
#undef COL
    result = Py_None;
    Py_INCREF(result);
done:
    PyMem_Free(cs_prob);
    PyMem_Free(cs_chars);
    PyMem_Free(cs_term);
    PyMem_Free(cs_mass);
    PyMem_Free(dense);
    PyBuffer_Release(&sc_b);
    PyBuffer_Release(&pr_b);
    PyBuffer_Release(&ch_b);
    PyBuffer_Release(&te_b);
    PyBuffer_Release(&ma_b);
    PyBuffer_Release(&off_b);
    PyBuffer_Release(&out_b);
    return result;
}

/* ---------------------------------------------------------------------------------------- */

static PyMethodDef methods[] = {
    {"tree_raw", tree_raw, METH_VARARGS, "Raw HistGradientBoosting scores of column-major rows."},
    {"text_sums", text_sums, METH_VARARGS, "Per-line hashed n-gram coefficient sums."},
    {"shape_counts", shape_counts, METH_VARARGS, "Per-line counts behind the shape features."},
    {"line_keys", line_keys, METH_VARARGS, "Hashes of whitespace-normalised lines."},
    {"context_cols", context_cols, METH_VARARGS, "Pass-2 context features (all but log1p)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_speedups", "Compiled kernels of classifier (see fast.py).", -1, methods,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    if (PyModule_AddIntConstant(m, "NODE_SIZE", (long)sizeof(node_t)) < 0
        || PyModule_AddIntConstant(m, "COUNT_WIDTH", K_WIDTH) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
