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
 *   overlap_cols  - the lexical overlap columns of pass 2 (overlap.py)
 *   line_keys     - hashes of whitespace-normalised lines, for counting repeats (model.py)
 *   context_cols  - the pass-2 context features of context.py, but for their log1p
 *   kind_cols     - the pass-2 line-kind columns of kinds.py, from the kind probabilities
 */
#include "_speedups.h"
#include <stdint.h>
#include <string.h>
#include <math.h>


/* defined in _speedups_text.c and _speedups_context.c */
PyObject *ls_text_sums(PyObject *self, PyObject *args);
PyObject *ls_shape_counts(PyObject *self, PyObject *args);
PyObject *ls_context_cols(PyObject *self, PyObject *args);
PyObject *ls_kind_cols(PyObject *self, PyObject *args);
PyObject *ls_overlap_cols(PyObject *self, PyObject *args);
int ls_shape_count_width(void);

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
                        int left = (v <= nd->thr) | ((isnan(v) != 0) & nd->missing_left);
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
        PyObject *line = ls_line(lines, l);
        if (line == NULL)
            goto done;
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

static PyMethodDef methods[] = {
    {"tree_raw", tree_raw, METH_VARARGS, "Raw HistGradientBoosting scores of column-major rows."},
    {"text_sums", ls_text_sums, METH_VARARGS, "Per-line hashed n-gram coefficient sums."},
    {"shape_counts", ls_shape_counts, METH_VARARGS, "Per-line counts behind the shape features."},
    {"line_keys", line_keys, METH_VARARGS, "Hashes of whitespace-normalised lines."},
    {"context_cols", ls_context_cols, METH_VARARGS, "Pass-2 context features (all but log1p)."},
    {"overlap_cols", ls_overlap_cols, METH_VARARGS, "Pass-2 lexical overlap features."},
    {"kind_cols", ls_kind_cols, METH_VARARGS, "Pass-2 line-kind features."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_speedups", "Compiled kernels of classifier (see fast.py).", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    if (PyModule_AddIntConstant(m, "NODE_SIZE", (long)sizeof(node_t)) < 0
        || PyModule_AddIntConstant(m, "COUNT_WIDTH", ls_shape_count_width()) < 0
        /* overlap_cols takes copy ids (model format 8): a build without them is stale */
        || PyModule_AddIntConstant(m, "OVERLAP_COPIES", 1) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
