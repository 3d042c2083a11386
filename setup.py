"""Build hook for the optional C extension; all package metadata lives in pyproject.toml.

classifier/_speedups.c speeds up prediction. It is optional: without a C compiler the build
skips it (setuptools prints a warning) and the package runs its numpy code instead.
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("classifier._speedups", ["classifier/_speedups.c"], optional=True)])
