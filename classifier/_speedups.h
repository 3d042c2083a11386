/* Shared by the classifier/_speedups*.c kernels: the list item that every kernel reads as a
 * line, checked once in one place. */
#ifndef LS_SPEEDUPS_H
#define LS_SPEEDUPS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

#define HASH_M 0x9E3779B97F4A7C15ull

/* Item l of the list `lines` as a str whose data can be read directly, or NULL with TypeError
 * set. Strings made by the legacy C-API may need "readying" first (Python 3.10-3.11). */
static inline PyObject *
ls_line(PyObject *lines, Py_ssize_t l)
{
    PyObject *line = PyList_GET_ITEM(lines, l);
    if (!PyUnicode_Check(line)) {
        PyErr_Format(PyExc_TypeError, "line %zd is not str", l);
        return NULL;
    }
#if PY_VERSION_HEX < 0x030C0000
    if (PyUnicode_READY(line) < 0)
        return NULL;
#endif
    return line;
}

/* The page offsets of a batch of n lines (each page's first line; empty pages allowed), as the
 * pass-2 kernels read them: 0 when they are sorted line numbers in [0, n] and, if there are
 * lines, the first page starts at line 0; 1 when it does not; 2 when they are not sorted line
 * numbers. */
static inline int
ls_check_offsets(const int64_t *offsets, Py_ssize_t n_pages, Py_ssize_t n)
{
    if (n > 0 && (n_pages == 0 || offsets[0] != 0))
        return 1;
    for (Py_ssize_t p = 0; p < n_pages; p++)
        if (offsets[p] < 0 || offsets[p] > n || (p > 0 && offsets[p] < offsets[p - 1]))
            return 2;
    return 0;
}

/* In _speedups_text.c: grow a PyMem buffer to at least `want` items of `size` bytes (0, or -1
 * with MemoryError); and the lowered code points the hashers see of a line (BEGIN, its first
 * `prefix` code points as str.lower() lowers them, END): their count, or -1 with an exception. */
int ls_reserve(void **buf, Py_ssize_t *cap, Py_ssize_t want, size_t size);
Py_ssize_t ls_hashed_codepoints(PyObject *line, Py_ssize_t prefix, Py_UCS4 **buf, Py_ssize_t *cap);

#endif
