/* Pass-2 kernel of classifier/_speedups (see _speedups.c): context.context_features. */
#include "_speedups.h"
#include <stdint.h>
#include <string.h>
#include <math.h>

/* ---------------------------------------------------------------------------------------- */
/* context_cols                                                                              */

/* _exact_cumsum of context.py: fixed-point (round half to even, as numpy.round) running sums
 * with a leading 0, of v[0], v[stride], ... (n values). */
static void
fixed_cumsum(const double *v, Py_ssize_t n, Py_ssize_t stride, double scale, int64_t *cs)
{
    cs[0] = 0;
    for (Py_ssize_t i = 0; i < n; i++)
        cs[i + 1] = cs[i] + (int64_t)nearbyint(v[i * stride] * scale);
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
PyObject *
ls_context_cols(PyObject *self, PyObject *args)
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
              || ls_check_offsets(offsets, n_pages, n);
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
    fixed_cumsum(prob, n, 1, 1048576.0, cs_prob);
    fixed_cumsum(chars, n, 1, 1048576.0, cs_chars);
    fixed_cumsum(term, n, 1, 1048576.0, cs_term);
    fixed_cumsum(mass, n, 1, 256.0, cs_mass);
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
/* kind_cols                                                                                 */

/* kind_cols(probs, n_kinds, offsets, shifts, radii, missing, out)
 * kinds.kind_features: probs holds n lines x n_kinds kind probabilities (C order); out (n_cols
 * rows of n: the Fortran-order pass-2 array's kind columns) gets each line's own probabilities,
 * then per shift its neighbour's (`missing` past its page's edge), then per radius the window
 * means, n_kinds columns each, from the same fixed-point sums as the numpy code. shifts and
 * radii are int64 (kinds.KIND_SHIFTS, kinds.KIND_RADII), offsets each page's first line. */
PyObject *
ls_kind_cols(PyObject *self, PyObject *args)
{
    Py_buffer pr_b, off_b, sh_b, ra_b, out_b;
    Py_ssize_t k;
    double missing;
    if (!PyArg_ParseTuple(args, "y*ny*y*y*dw*", &pr_b, &k, &off_b, &sh_b, &ra_b, &missing, &out_b))
        return NULL;
    PyObject *result = NULL;
    int64_t *cs = NULL;
    Py_ssize_t n_pages = off_b.len / (Py_ssize_t)sizeof(int64_t);
    Py_ssize_t n_shifts = sh_b.len / (Py_ssize_t)sizeof(int64_t);
    Py_ssize_t n_radii = ra_b.len / (Py_ssize_t)sizeof(int64_t);
    Py_ssize_t n = k > 0 ? pr_b.len / (Py_ssize_t)sizeof(double) / k : 0;
    const double *probs = pr_b.buf;
    const int64_t *offsets = off_b.buf, *shifts = sh_b.buf, *radii = ra_b.buf;
    double *out = out_b.buf;
    int bad = k < 1 || k > 64 || pr_b.len != n * k * (Py_ssize_t)sizeof(double)
              || off_b.len % (Py_ssize_t)sizeof(int64_t) || sh_b.len % (Py_ssize_t)sizeof(int64_t)
              || ra_b.len % (Py_ssize_t)sizeof(int64_t)
              || out_b.len != n * k * (1 + n_shifts + n_radii) * (Py_ssize_t)sizeof(double)
              || ls_check_offsets(offsets, n_pages, n);
    for (Py_ssize_t s = 0; s < n_shifts && !bad; s++)
        bad = shifts[s] < -(1 << 30) || shifts[s] > (1 << 30);  /* i + shift cannot overflow */
    for (Py_ssize_t r = 0; r < n_radii && !bad; r++)
        bad = radii[r] < 0 || radii[r] > (1 << 30);
    if (bad) {
        PyErr_SetString(PyExc_ValueError, "kind_cols: bad arguments");
        goto done;
    }
    if ((cs = PyMem_Malloc((size_t)(n + 1) * sizeof(int64_t))) == NULL) {
        PyErr_NoMemory();
        goto done;
    }
#define COL(j) (out + (Py_ssize_t)(j) * n)
    for (Py_ssize_t c = 0; c < k; c++) {
        fixed_cumsum(n > 0 ? probs + c : probs, n, k, 1048576.0, cs);  /* column c of the C-order rows */
        for (Py_ssize_t p = 0; p < n_pages; p++) {
            Py_ssize_t start = offsets[p], end = p + 1 < n_pages ? offsets[p + 1] : n;
            for (Py_ssize_t i = start; i < end; i++) {
                COL(c)[i] = probs[i * k + c];
                for (Py_ssize_t s = 0; s < n_shifts; s++) {
                    Py_ssize_t at = i + (Py_ssize_t)shifts[s];
                    COL((1 + s) * k + c)[i] = at >= start && at < end ? probs[at * k + c] : missing;
                }
                for (Py_ssize_t r = 0; r < n_radii; r++) {
                    Py_ssize_t lo = i - radii[r] > start ? i - radii[r] : start;
                    Py_ssize_t hi = i + radii[r] < end - 1 ? i + radii[r] : end - 1;
                    COL((1 + n_shifts + r) * k + c)[i] = window_mean(cs, lo, hi);
                }
            }
        }
    }
#undef COL
    result = Py_None;
    Py_INCREF(result);
done:
    PyMem_Free(cs);
    PyBuffer_Release(&pr_b);
    PyBuffer_Release(&off_b);
    PyBuffer_Release(&sh_b);
    PyBuffer_Release(&ra_b);
    PyBuffer_Release(&out_b);
    return result;
}
