"""Pre-labelling raw scraped pages for correction by hand: the logic of the `label` command.

The model labels every line of every page; each page is written as a hand-editable page file
(corpus.write_page_file). A line whose P(content) falls inside the uncertainty band gets a
review mark after its label, ``content ?0.62``. The page-file reader ignores everything from the
``?`` on, so the file trains as it is; a person checks the marked rows, changes the label word
where it is wrong and deletes the mark. `unreviewed_rows` finds marks left behind.

>>> review_column("content", 0.6234, (0.1, 0.9))
'content ?0.62'
>>> review_column("boilerplate", 0.02, (0.1, 0.9))
'boilerplate'
"""

from __future__ import annotations

import gzip
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .corpus import PAGE_SUFFIX, REVIEW_MARK, CorpusError, Page, read_jsonl
from .labels import DEFAULT_THRESHOLD, labels_from_proba
from .lines import split_lines

__all__ = ["UNCERTAIN_BAND", "read_raw_pages", "review_column", "prelabel", "Prelabelled",
           "page_file_names", "unreviewed_rows"]

#: Lines with LOW <= P(content) < HIGH are marked for review. Chosen on out-of-fold predictions
#: of our train split (bench/uncertain_band.py; 5 folds grouped by site, never the test split):
#: it marks 13% of the non-blank lines and holds 68% of the model's line errors (0.2-0.8: 8% and
#: 48%; 0.05-0.95: 18% and 79%), leaving a 2.2% error rate in the unmarked lines.
UNCERTAIN_BAND = (0.1, 0.9)

_JSONL = (".jsonl", ".jsonl.gz", ".json.gz", ".ndjson")


def _is_jsonl(path: Path) -> bool:
    return path.name.endswith(_JSONL)


def _read_text_page(path: Path) -> Page:
    try:
        data = gzip.open(path).read() if path.name.endswith(".gz") else path.read_bytes()
    except (gzip.BadGzipFile, EOFError) as exc:
        raise CorpusError(f"{path}: not a valid gzip file ({exc})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{path}: not UTF-8 (bad byte at offset {exc.start})") from None
    name = path.name[:-3] if path.name.endswith(".gz") else path.name
    return Page(id=Path(name).stem, lines=split_lines(text))


def _expand(paths: Iterable[str | os.PathLike]) -> list[Path]:
    out = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.is_file() and not f.name.startswith("."))
            if not found:
                raise CorpusError(f"{p}: directory holds no files")
            out.extend(found)
        elif p.exists():
            out.append(p)
        else:
            raise CorpusError(f"{p}: no such file or directory")
    return out


def read_raw_pages(paths: Iterable[str | os.PathLike], site: str | None = None) -> list[Page]:
    """Read raw scraped pages: JSONL files (labels, if any, are dropped) and text files (one
    page each, one line per line; .gz allowed); directories are searched recursively.

    `site` fills in the site of pages that have none, so their page files say they belong together.
    """
    pages = []
    for path in _expand(paths):
        if path.suffix == PAGE_SUFFIX:
            raise CorpusError(f"{path}: already a page file; `label` reads raw pages (text or JSONL)")
        found = list(read_jsonl(path, require_labels=False)) if _is_jsonl(path) else [_read_text_page(path)]
        for page in found:
            page.labels, page.categories, page.gold_text = None, None, None
            page.source = ""  # a page file's source is its folder name (see corpus.read_page_file)
            if site and not page.site:
                page.site = site
        pages.extend(found)
    return pages


def review_column(label: str, p: float, band: tuple[float, float]) -> str:
    """The label column of one row: the label, plus a review mark when P(content) is in the band."""
    low, high = band
    return f"{label} {REVIEW_MARK}{p:.2f}" if low <= p < high else str(label)


@dataclass
class Prelabelled:
    page: Page                # with the model's labels
    proba: np.ndarray         # P(content) per line
    columns: list[str]        # label column per row (label, with a review mark when uncertain)
    uncertain: int            # rows marked for review


def prelabel(model, pages: Sequence[Page], band: tuple[float, float] = UNCERTAIN_BAND,
             threshold: float = DEFAULT_THRESHOLD, site_memory: bool = False) -> list[Prelabelled]:
    """Label every line of every page with the model and mark the uncertain ones.

    Blank lines get no mark (they are always boilerplate). With `site_memory`, pages that share
    a site (Page.group) inform each other (LineClassifier.predict_proba_pages' ``sites``).
    Lines of a page the page gate empties (LineClassifier.gate_pages) are boilerplate, but are
    marked by their ungated P(content): an emptied stub page is worth a look too.
    """
    lines = [p.lines for p in pages]
    sites = [p.group for p in pages] if site_memory else None
    gate = getattr(model, "gate_pages", None)
    if gate is None:  # a model without a page gate
        raw = probs = model.predict_proba_pages(lines, sites=sites)
    else:
        raw = model.predict_proba_pages(lines, sites=sites, gate=False)
        probs = gate(lines, raw)
    out = []
    for page, pr, pr_raw in zip(pages, probs, raw):
        labels = [str(lab) for lab in labels_from_proba(pr, threshold)]
        cols = [review_column(lab, float(x), band) if line.strip() else lab
                for lab, x, line in zip(labels, pr_raw, page.lines)]
        labelled = Page(id=page.id, lines=page.lines, labels=labels, source=page.source,
                        site=page.site, url=page.url, meta=page.meta)
        out.append(Prelabelled(labelled, pr, cols, sum(REVIEW_MARK in c for c in cols)))
    return out


def page_file_names(pages: Sequence[Page]) -> list[str]:
    """One distinct file name per page, from its id (characters unsafe in file names become _).

    >>> page_file_names([Page("wcxb/dev/1", []), Page("a b", []), Page("a_b", [])])
    ['wcxb_dev_1.tsv', 'a_b.tsv', 'a_b-2.tsv']
    """
    names, taken = [], set()
    for page in pages:
        stem = re.sub(r"[^\w.-]+", "_", page.id).strip("._") or "page"
        name, k = stem + PAGE_SUFFIX, 1
        while name.lower() in taken:  # case-insensitive file systems
            k += 1
            name = f"{stem}-{k}{PAGE_SUFFIX}"
        taken.add(name.lower())
        names.append(name)
    return names


def unreviewed_rows(paths: Iterable[Path]) -> list[tuple[Path, int]]:
    """(file, line number) of every row of the given page files that still has a review mark."""
    out = []
    for path in paths:
        if path.suffix != PAGE_SUFFIX:
            continue
        # the pages were read (or skipped) already; this only scans the label column for marks
        rows = split_lines(path.read_text(encoding="utf-8", errors="replace"))
        out.extend((path, n) for n, row in enumerate(rows, 1)
                   if not row.startswith("#") and REVIEW_MARK in row.partition("\t")[0])
    return out
