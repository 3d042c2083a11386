"""Reference line filters that our model is compared with in the benchmarks.

- keep_all: every line is content (the recall ceiling, the precision floor).
- c4_rule: the C4 line filter (Raffel et al. 2020): keep a line when it ends in terminal
  punctuation and has at least 3 words; drop lines mentioning javascript or holding a curly
  bracket (C4 drops whole pages with "{"; per line is the closest line-level reading).
- justext_lines: jusText's classifier run on the lines, each wrapped as a <p> (optional: needs
  the `bench` extra). Language stoplists by the page's meta.lang when jusText has one.
- lines_html, trafilatura_html, resiliparse_html: for SPEED only. ../shared/data holds no HTML,
  so the HTML extractors get the lines rendered as a minimal document (one <p> per line, no
  head, scripts, styles or attributes). Real pages carry many times more markup, so this
  flatters their speed; their output is not aligned back to lines (no accuracy numbers).
"""

from __future__ import annotations

import html
import numpy as np

_TERMINAL = tuple('.!?"”。！？')
_LANG_NAMES = {"en": "English", "de": "German", "fr": "French", "es": "Spanish", "pt": "Portuguese",
               "it": "Italian", "nl": "Dutch", "ru": "Russian", "ar": "Arabic", "ko": "Korean"}


def keep_all(lines: list[str]) -> np.ndarray:
    return np.ones(len(lines))


def c4_rule(lines: list[str]) -> np.ndarray:
    out = np.zeros(len(lines))
    for i, line in enumerate(lines):
        s = line.strip()
        if (s.endswith(_TERMINAL) and len(s.split()) >= 3 and "javascript" not in s.lower()
                and "{" not in s):
            out[i] = 1.0
    return out


def justext_lines(lines: list[str], lang: str = "en") -> np.ndarray:
    import justext  # optional dependency

    name = _LANG_NAMES.get(lang, "English")
    try:
        stoplist = justext.get_stoplist(name)
    except ValueError:
        stoplist = justext.get_stoplist("English")
    doc = lines_html(lines)
    paragraphs = justext.justext(doc.encode("utf-8"), stoplist, encoding="utf-8")
    # jusText drops empty paragraphs: align its paragraphs back to the non-empty lines in order
    out = np.zeros(len(lines))
    texts = [" ".join(line.split()) for line in lines]
    j = 0
    for para in paragraphs:
        t = " ".join(para.text.split())
        while j < len(texts) and texts[j] != t:
            j += 1
        if j < len(texts):
            out[j] = 0.0 if para.is_boilerplate else 1.0
            j += 1
    return out


def lines_html(lines: list[str]) -> str:
    """A page's lines as a minimal HTML document, one <p> per line."""
    return "<html><body>" + "".join(f"<p>{html.escape(line)}</p>" for line in lines) + "</body></html>"


def trafilatura_html(doc: str) -> str:
    import trafilatura  # optional dependency

    return trafilatura.extract(doc) or ""


def resiliparse_html(doc: str) -> str:
    from resiliparse.extract.html2text import extract_plain_text  # optional dependency

    return extract_plain_text(doc, main_content=True)
