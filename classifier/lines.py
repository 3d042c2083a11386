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
from collections.abc import Iterable, Mapping, Set

import numpy as np

__all__ = ["split_lines", "as_lines", "as_pages", "normalise"]

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
        return str(item)  # a plain str, also for subclasses such as numpy.str_
    if isinstance(item, (bytes, bytearray)):
        try:
            return bytes(item).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValueError(f"line {index} is bytes that are not valid UTF-8 (byte {exc.start}; lines are "
                             "counted from 0): decode it yourself first") from None
    raise TypeError(f"line {index} is {type(item).__name__}, expected str (lines are counted from 0)")


def as_lines(page: object) -> list[str]:
    """Return one page as a list of str lines, or raise TypeError / ValueError saying why not.

    - str: split on \\n, \\r\\n and \\r (split_lines); "" is a page of no lines.
    - bytes / bytearray: decoded as UTF-8 (ValueError with the byte offset if it is not), then split.
    - any other iterable of lines, in order (list, tuple, generator, 1-D numpy array of str or
      object dtype): each item is one line, kept exactly as given: an item containing a line
      end is NOT split (the caller's list decides what a line is). Items may be str (any
      characters, lone surrogates included) or UTF-8 bytes.
    - TypeError for None, a number, a dict or set (no line order; pass the lines themselves), a
      numpy array that is not 1-D, or an item that is not str/bytes (naming it by its 0-based
      index, e.g. "line 3 is NoneType, expected str"); ValueError for non-UTF-8 bytes.
    """
    if isinstance(page, str):
        return split_lines(page)
    if isinstance(page, (bytes, bytearray)):
        try:
            return split_lines(bytes(page).decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise ValueError(f"page is bytes that are not valid UTF-8 (byte {exc.start}): "
                             "decode it yourself first") from None
    if isinstance(page, np.ndarray):
        if page.ndim != 1:
            raise TypeError(f"expected a 1-D array of lines, got a {page.ndim}-D array")
        items = page.tolist()  # numpy str_ / bytes_ become plain str / bytes
    elif page is None or not isinstance(page, Iterable) or isinstance(page, (Mapping, Set)):
        raise TypeError(f"expected a page as str or an ordered iterable of str lines, got {type(page).__name__}")
    else:
        items = page if isinstance(page, list) else list(page)  # a generator is consumed once
    if set(map(type, items)) <= {str}:  # the common case, checked at C speed
        return list(items)
    return [_coerce_line(item, i) for i, item in enumerate(items)]


def as_pages(pages: object) -> list[list[str]]:
    """Return many pages (an iterable of pages, each as for as_lines) as lists of str lines.

    A str or bytes is refused (it would read as one page per character); errors name the page,
    counted from 0, e.g. "page 2: line 0 is int, expected str".
    """
    if isinstance(pages, (str, bytes, bytearray)):
        raise TypeError("expected an iterable of pages, got one text; pass [text] or use predict()")
    if pages is None or not isinstance(pages, Iterable) or isinstance(pages, (Mapping, Set)):
        raise TypeError(f"expected an iterable of pages, got {type(pages).__name__}")
    out = []
    for k, page in enumerate(pages):
        try:
            out.append(as_lines(page))
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"page {k}: {exc}") from None
    return out


def normalise(line: str) -> str:
    """Collapse whitespace and strip: the form used for repetition counting."""
    return " ".join(line.split())
