"""Splitting a page into lines and normalising input into one list of str per page.

A page is the text a scraper produced, one block per line. Everything in the package works on
"one page's lines, in order": this module turns what callers pass (a str, a list, a numpy array,
a generator, bytes) into that, and says clearly what it refuses.

>>> split_lines("Menu\\r\\nHeadline\\rBody\\n")
['Menu', 'Headline', 'Body']
>>> as_lines("a\\n\\nb")
['a', '', 'b']
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np

__all__ = ["split_lines", "as_lines", "normalise"]

# Line ends a scraper may leave: \r\n, \r and \n. Other Unicode separators (U+2028, \x0b, \x0c)
# stay inside the line, unlike str.splitlines(), so a line count matches `wc -l` style splitting.
_NEWLINE = re.compile(r"\r\n|\r|\n")


def split_lines(text: str) -> list[str]:
    """Split a page's text on \\n, \\r\\n or \\r. A final line end does not add an empty line."""
    if not text:
        return []
    parts = _NEWLINE.split(text)
    if parts[-1] == "":
        parts.pop()
    return parts


def _coerce_line(item: object, index: int) -> str:
    if isinstance(item, str):
        return item
    if isinstance(item, (bytes, bytearray)):
        try:
            return bytes(item).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValueError(f"line {index} is bytes that are not valid UTF-8 (byte {exc.start}); "
                             "decode it yourself first") from None
    if isinstance(item, np.str_):
        return str(item)
    raise TypeError(f"line {index} is {type(item).__name__}, expected str")


def as_lines(page: object) -> list[str]:
    """Return one page as a list of str lines.

    Accepts a str (split on line ends), UTF-8 bytes (decoded, then split), or any iterable of
    str / UTF-8 bytes (list, tuple, numpy array, generator). Raises TypeError for anything else,
    naming the offending line, and ValueError for bytes that are not UTF-8.
    """
    if isinstance(page, str):
        return split_lines(page)
    if isinstance(page, (bytes, bytearray)):
        return split_lines(_coerce_line(page, 0))
    if page is None or not isinstance(page, Iterable):
        raise TypeError(f"expected a page as str or an iterable of str lines, got {type(page).__name__}")
    items = page if isinstance(page, list) else list(page)  # a generator is consumed once
    if set(map(type, items)) <= {str}:  # the common case, checked at C speed
        return list(items)
    return [_coerce_line(item, i) for i, item in enumerate(items)]


def normalise(line: str) -> str:
    """Collapse whitespace and strip: the form used for repetition counting."""
    return " ".join(line.split())
