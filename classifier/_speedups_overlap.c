/* Overlap kernel of classifier/_speedups (see _speedups.c): overlap.overlap_features, the
 * share of each line's tokens that the rest of its page uses, with one hash table per page
 * instead of overlap.py's sorts over the whole batch. The tokens come from text_sums, which
 * collects them in its pass over each line's lowered code points. */
#include "_speedups.h"
#include <stdint.h>

#define N_COLUMNS 5
/* a line's copy id: its own number when no ids were given */
#define COPY_ID(l) (cid ? cid[(l)] : (int64_t)(l))

/* 32 bytes (int32 fields where they fit; line and page numbers are checked to), since a table
 * slot is touched twice per token, at random, and a big page's table should stay in cache. The
 * mass is int64: with copy ids a line subtracts its copies' summed weight, which a mass
 * saturated at 2 * scale (as up to format 7) could undercut. */
typedef struct {
    uint64_t key;
    int64_t mass;       /* sum of the fixed-point P(content) of the page's lines holding it */
    int32_t count;      /* lines of the page holding it */
    int32_t last;       /* last line that added it (build), then the next line holding it */
    int32_t other;      /* the line before `last` (build; after it, going back) nearest to it
                         * that holds the token and is not a copy of `last` */
    int32_t page;       /* 1 + the page whose token the slot holds: stale slots need no clearing */
} slot_t;

typedef struct {
    Py_ssize_t slot;    /* the table may outgrow int32 on a page of a billion tokens */
    int32_t line;
    int32_t before;     /* also on one of the NEAR lines before */
} entry_t;

/* overlap_cols(tokens, ends, near, prob_scale, q, offsets, out[, copy_id, copy_mass, copy_count])
 * tokens: uint64 overlap tokens of every line, ends: int64 end of each line's tokens in them
 * (text_sums collects both); q: int64 fixed-point P(content) per line; offsets: int64 first
 * line of each page (sorted); out: C-order float64 (N_COLUMNS, n), the transpose of the
 * Fortran-order columns. The optional int64 arrays (overlap.copy_weights) give each line's
 * copy id, equal for copies of one text on one page, and the summed q and number of its
 * copies, itself included: a line's copies then do not count as other lines holding its
 * tokens. Without them every line is its own only copy (models before format 8). */
PyObject *
ls_overlap_cols(PyObject *self, PyObject *args)
{
    Py_ssize_t near;
    long long scale;
    Py_buffer tok_b, end_b, q_b, off_b, out_b;
    Py_buffer cid_b = {0}, cmass_b = {0}, ccount_b = {0};
    if (!PyArg_ParseTuple(args, "y*y*nLy*y*w*|y*y*y*", &tok_b, &end_b, &near, &scale, &q_b, &off_b, &out_b,
                          &cid_b, &cmass_b, &ccount_b))
        return NULL;
    PyObject *result = NULL;
    entry_t *ent = NULL;
    slot_t *table = NULL;
    Py_ssize_t ent_cap = 0, table_size = 16;
    Py_ssize_t n = end_b.len / (Py_ssize_t)sizeof(int64_t);
    Py_ssize_t n_tok = tok_b.len / (Py_ssize_t)sizeof(uint64_t);
    Py_ssize_t n_pages = off_b.len / (Py_ssize_t)sizeof(int64_t);
    const uint64_t *tok = (const uint64_t *)tok_b.buf;
    const int64_t *tok_end = (const int64_t *)end_b.buf;
    const int64_t *q = (const int64_t *)q_b.buf;
    const int64_t *offsets = (const int64_t *)off_b.buf;
    double *out = (double *)out_b.buf;
    const int64_t *cid = (const int64_t *)cid_b.buf, *cmass = (const int64_t *)cmass_b.buf;
    const int64_t *ccount = (const int64_t *)ccount_b.buf;
    if (near < 0 || scale < 1 || scale > (1 << 20) || n >= INT32_MAX || n_pages >= INT32_MAX || tok_b.len % (Py_ssize_t)sizeof(uint64_t) || end_b.len % (Py_ssize_t)sizeof(int64_t)
        || q_b.len != n * (Py_ssize_t)sizeof(int64_t) || off_b.len % (Py_ssize_t)sizeof(int64_t)
        || out_b.len != N_COLUMNS * n * (Py_ssize_t)sizeof(double)) {
        PyErr_SetString(PyExc_ValueError, "overlap_cols: bad arguments");
        goto done;
    }
    if ((cid || cmass || ccount) && (!cid || !cmass || !ccount || cid_b.len != n * (Py_ssize_t)sizeof(int64_t)
                                     || cmass_b.len != n * (Py_ssize_t)sizeof(int64_t)
                                     || ccount_b.len != n * (Py_ssize_t)sizeof(int64_t))) {
        PyErr_SetString(PyExc_ValueError, "overlap_cols: copy ids, masses and counts must be given together, one per line");
        goto done;
    }
    for (Py_ssize_t l = 0; l < n; l++) {
        if (tok_end[l] < (l > 0 ? tok_end[l - 1] : 0) || tok_end[l] > n_tok) {
            PyErr_SetString(PyExc_ValueError, "overlap_cols: token ends must be sorted and within the tokens");
            goto done;
        }
        if (q[l] < 0 || q[l] > scale) {
            PyErr_SetString(PyExc_ValueError, "overlap_cols: q must lie in [0, prob_scale]");
            goto done;
        }
        if (cid && (cmass[l] < q[l] || cmass[l] > (int64_t)n * scale || ccount[l] < 1 || ccount[l] > n)) {
            PyErr_SetString(PyExc_ValueError, "overlap_cols: a line's copies must include itself");
            goto done;
        }
    }
    int offsets_bad = ls_check_offsets(offsets, n_pages, n);
    if (offsets_bad) {
        PyErr_SetString(PyExc_ValueError, offsets_bad == 1 ? "overlap_cols: the first page must start at line 0"
                                                           : "overlap_cols: offsets must be sorted line numbers");
        goto done;
    }
    for (Py_ssize_t p = 0; p < n_pages; p++) {
        Py_ssize_t a = offsets[p], b = p + 1 < n_pages ? offsets[p + 1] : n;
        while (b > a && table_size < 2 * (tok_end[b - 1] - (a > 0 ? tok_end[a - 1] : 0)))
            table_size <<= 1;
    }
    /* one table for every page, at most half full on the page with the most tokens; zeroed
     * once: a slot holds a token of page p only if its `page` says so */
    table = PyMem_Calloc((size_t)table_size, sizeof(slot_t));
    if (table == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t l = 0; l < n; l++)
        for (int j = 0; j < N_COLUMNS; j++)
            out[j * n + l] = -1.0;
    for (Py_ssize_t p = 0; p < n_pages; p++) {
        Py_ssize_t a = offsets[p], b = p + 1 < n_pages ? offsets[p + 1] : n;
        if (b <= a)
            continue;
        Py_ssize_t t = a > 0 ? tok_end[a - 1] : 0;
        Py_ssize_t have = tok_end[b - 1] - t;
        if (have == 0)
            continue;
        Py_ssize_t size = 16;
        while (size < 2 * have)
            size <<= 1;
        int bits = 0;
        while (((Py_ssize_t)1 << bits) < size)
            bits++;
        if (ls_reserve((void **)&ent, &ent_cap, have, sizeof(entry_t)) < 0)
            goto done;
        /* forward: each distinct token of a line once; masses, counts, "seen just before" */
        Py_ssize_t e = 0;
        for (Py_ssize_t l = a; l < b; l++) {
            for (; t < tok_end[l]; t++) {
                uint64_t key = tok[t];
                Py_ssize_t s = (Py_ssize_t)((key * HASH_M) >> (64 - bits));
                while (table[s].page == p + 1 && table[s].key != key)
                    s = (s + 1) & (size - 1);
                slot_t *slot = &table[s];
                if (slot->page != p + 1) {
                    slot->page = (int32_t)(p + 1);
                    slot->key = key;
                    slot->mass = 0;
                    slot->count = 0;
                    slot->last = slot->other = -1;
                } else if (slot->last == l) {
                    continue;  /* the line holds the token twice */
                }
                int64_t c = COPY_ID(l);
                /* the nearest line before holding it that is not a copy of this one */
                int last_differs = slot->last >= 0 && COPY_ID(slot->last) != c;
                int32_t prev = last_differs ? slot->last : slot->other;
                ent[e].line = (int32_t)l;
                ent[e].slot = s;
                ent[e].before = prev >= 0 && l - prev <= near;
                if (last_differs)
                    slot->other = slot->last;
                slot->last = (int32_t)l;
                slot->mass += q[l];
                slot->count++;
                e++;
            }
        }
        for (Py_ssize_t i = 0; i < e; i++)  /* now: the next lines holding the token, going backwards */
            table[ent[i].slot].last = table[ent[i].slot].other = -1;
        /* backward: per line, the sums of overlap.py, in integers */
        Py_ssize_t i = e - 1;
        for (Py_ssize_t l = b - 1; l >= a; l--) {
            int64_t others = 0, top = INT64_MIN, repeated = 0, before = 0, after = 0, count = 0;
            int64_t c = COPY_ID(l), own_mass = cmass ? cmass[l] : q[l], own_count = ccount ? ccount[l] : 1;
            for (; i >= 0 && ent[i].line == l; i--) {
                slot_t *slot = &table[ent[i].slot];
                int64_t o = slot->mass - own_mass;
                if (o > scale)
                    o = scale;
                others += o;
                if (o > top)
                    top = o;
                repeated += slot->count > own_count;
                before += ent[i].before;
                int last_differs = slot->last >= 0 && COPY_ID(slot->last) != c;
                int32_t next = last_differs ? slot->last : slot->other;
                after += next >= 0 && next - l <= near;
                if (last_differs)
                    slot->other = slot->last;
                slot->last = (int32_t)l;
                count++;
            }
            if (count == 0)
                continue;
            double tokens = (double)count;
            out[0 * n + l] = (double)others / (tokens * (double)scale);
            out[1 * n + l] = (double)repeated / tokens;
            out[2 * n + l] = (double)after / tokens;
            out[3 * n + l] = (double)before / tokens;
            out[4 * n + l] = (double)top / (double)scale;
        }
    }
    result = Py_None;
    Py_INCREF(result);
done:
    PyMem_Free(ent);
    if (cid_b.obj || cid_b.buf)
        PyBuffer_Release(&cid_b);
    if (cmass_b.obj || cmass_b.buf)
        PyBuffer_Release(&cmass_b);
    if (ccount_b.obj || ccount_b.buf)
        PyBuffer_Release(&ccount_b);
    PyMem_Free(table);
    PyBuffer_Release(&tok_b);
    PyBuffer_Release(&end_b);
    PyBuffer_Release(&q_b);
    PyBuffer_Release(&off_b);
    PyBuffer_Release(&out_b);
    return result;
}
