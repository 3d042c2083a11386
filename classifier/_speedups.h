/* Shared by the classifier/_speedups*.c kernels: the list item that every kernel reads as a
 * line, checked once in one place. */
#ifndef LS_SPEEDUPS_H
#define LS_SPEEDUPS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

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

#endif
