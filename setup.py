"""Build hook for the optional C extension; all package metadata lives in pyproject.toml.

classifier/_speedups*.c speed up prediction. They are optional: without a C compiler the build
skips them (setuptools prints a warning) and the package runs its numpy code instead.
"""

from setuptools import Extension, setup

SOURCES = ["classifier/_speedups.c", "classifier/_speedups_text.c", "classifier/_speedups_context.c",
           "classifier/_speedups_overlap.c"]

setup(ext_modules=[Extension("classifier._speedups", SOURCES, depends=["classifier/_speedups.h"], optional=True)])
