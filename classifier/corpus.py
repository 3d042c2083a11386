"""Labelled page formats: reading and writing JSONL pages and hand-editable page files.

Two formats, both documented in training_data/README.md:

1. JSONL pages (plain or .gz), the format of ../shared/data: one JSON object per line,
   ``{"id", "lines": [...], "labels": ["content"|"boilerplate", ...], ...}``; the fields source,
   url, site, categories, gold_text and meta (which holds lang, kind, domain) are read when
   present; other fields are kept in ``Page.extra`` and written back unchanged.
2. Page files (``*.tsv``): one page per file, one line of the page per line, written as its
   label, a tab, and the text. Blank text lines are allowed. Lines starting with ``#`` before the
   first labelled line are comments (a header with the page's id and site, for instance). A
   ``?`` in the label column starts a review mark that the reader ignores (``content ?0.62``,
   written by the `label` command). The source is the ``# source:`` header, else the folder name.

>>> page = Page(id="p1", lines=["Menu", "A story."], labels=["boilerplate", "content"])
>>> page.content_text()
'A story.'
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .labels import Label
from .sitememory import site_key

__all__ = ["Page", "CorpusError", "NotUTF8Error", "read_pages", "read_jsonl", "read_page_file", "write_jsonl",
           "write_page_file", "corpus_sha256", "iter_data_files", "PAGE_SUFFIX", "REVIEW_MARK"]

PAGE_SUFFIX = ".tsv"
#: In a page file's label column, this character and everything after it is a review mark.
REVIEW_MARK = "?"
_JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".json.gz", ".ndjson")
_VALID = {label.value for label in Label}
_KNOWN_FIELDS = {"id", "lines", "labels", "source", "site", "url", "gold_text", "meta", "categories"}


class CorpusError(ValueError):
    """A labelled page file that cannot be used; the message names the file and line."""


class NotUTF8Error(CorpusError):
    """A page file or record that is not UTF-8; the message gives the byte offset."""


def _check_policy(errors: str, on_error: str) -> None:
    if errors not in ("strict", "replace"):
        raise ValueError(f"errors must be 'strict' or 'replace', got {errors!r}")
    if on_error not in ("stop", "skip"):
        raise ValueError(f"on_error must be 'stop' or 'skip', got {on_error!r}")


@dataclass
class Page:
    """One page: its lines in order, and optionally one label per line plus provenance."""

    id: str
    lines: list[str]
    labels: list[str] | None = None
    source: str = ""
    site: str = ""
    url: str | None = None
    gold_text: str | None = None
    meta: dict = field(default_factory=dict)
    categories: list[str] | None = None
    extra: dict = field(default_factory=dict)  # other JSONL fields, written back unchanged

    @property
    def group(self) -> str:
        """The site a page belongs to, for site-disjoint splits: site, meta.domain, URL host, id."""
        return site_key(self.site, self.meta, self.url) or self.id

    def content_text(self) -> str:
        """The content lines joined with newlines (the reference text built from labels)."""
        if self.labels is None:
            raise ValueError(f"page {self.id} has no labels")
        return "\n".join(line for line, lab in zip(self.lines, self.labels) if lab == Label.CONTENT)

    def to_json(self) -> dict:
        out: dict = {"id": self.id}
        if self.source:
            out["source"] = self.source
        if self.site:
            out["site"] = self.site
        if self.url is not None:
            out["url"] = self.url
        out["lines"] = self.lines
        if self.labels is not None:
            out["labels"] = [str(lab) for lab in self.labels]
        if self.categories is not None:
            out["categories"] = self.categories
        if self.gold_text is not None:
            out["gold_text"] = self.gold_text
        if self.meta:
            out["meta"] = self.meta
        for key, value in self.extra.items():
            out.setdefault(key, value)
        return out


def _check_labels(labels: list, where: str) -> list[str]:
    for i, lab in enumerate(labels):
        if not isinstance(lab, str) or lab not in _VALID:
            raise CorpusError(f"{where}: label {i + 1} is {lab!r}, expected 'content' or 'boilerplate'")
    return [str(lab) for lab in labels]


def _open_binary(path: Path):
    return gzip.open(path, "rb") if path.name.endswith(".gz") else open(path, "rb")


def page_from_json(obj: object, where: str, require_labels: bool = True) -> Page:
    """Build a Page from one decoded JSONL record, checking its shape."""
    if not isinstance(obj, dict):
        raise CorpusError(f"{where}: expected a JSON object, got {type(obj).__name__}")
    lines = obj.get("lines")
    if not isinstance(lines, list):
        raise CorpusError(f"{where}: 'lines' must be a list of strings")
    for i, line in enumerate(lines):
        if not isinstance(line, str):
            raise CorpusError(f"{where}: 'lines' must be a list of strings; item {i + 1} is "
                              f"{type(line).__name__}")
    labels = obj.get("labels")
    if labels is None:
        if require_labels:
            raise CorpusError(f"{where}: no 'labels'")
    else:
        if not isinstance(labels, list):
            raise CorpusError(f"{where}: 'labels' must be a list")
        if len(labels) != len(lines):
            raise CorpusError(f"{where}: {len(labels)} labels for {len(lines)} lines")
        labels = _check_labels(labels, where)
    meta = obj.get("meta") if isinstance(obj.get("meta"), dict) else {}
    return Page(id=str(obj.get("id", where)), lines=lines, labels=labels,
                source=str(obj.get("source") or ""), site=str(obj.get("site") or ""),
                url=obj.get("url"), gold_text=obj.get("gold_text"), meta=meta,
                categories=obj.get("categories"),
                extra={k: v for k, v in obj.items() if k not in _KNOWN_FIELDS})


def read_jsonl(path: str | os.PathLike, require_labels: bool = True, errors: str = "strict",
               on_error: str = "stop", warn=None) -> Iterator[Page]:
    """Yield the pages of a JSONL (or .jsonl.gz) file. Blank lines are skipped.

    errors: "strict" raises NotUTF8Error (file:line and byte offset) on bytes that are not
    UTF-8; "replace" decodes them as U+FFFD. on_error: "stop" raises CorpusError naming
    file:line for a bad record; "skip" calls warn(message) and goes on with the next record.
    A damaged gzip stream always stops: the records after it cannot be found.
    """
    _check_policy(errors, on_error)
    path = Path(path)
    offset = 0
    with _open_binary(path) as fh:
        try:
            for number, raw in enumerate(fh, 1):
                try:
                    page = _jsonl_record(raw, f"{path}:{number}", path, offset, require_labels, errors)
                except CorpusError as exc:
                    if on_error == "stop":
                        raise
                    (warn or _quiet)(f"{exc}; record skipped")
                    page = None
                offset += len(raw)
                if page is not None:
                    yield page
        except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
            raise CorpusError(f"{path}: not a valid gzip file ({exc})") from None


def _quiet(message: str) -> None:
    pass


def _jsonl_record(raw: bytes, where: str, path: Path, offset: int, require_labels: bool,
                  errors: str) -> Page | None:
    """One JSONL line as a Page (None for a blank line); offset is the line's first byte in the file."""
    try:
        text = raw.decode("utf-8", errors)
    except UnicodeDecodeError as exc:
        packed = " of the uncompressed data" if path.name.endswith(".gz") else ""
        raise NotUTF8Error(f"{where}: not UTF-8 at byte offset {offset + exc.start}{packed} "
                           f"(column {exc.start + 1} of the line)") from None
    if not text.strip():
        return None
    try:
        obj = json.loads(text)
    except ValueError as exc:
        raise CorpusError(f"{where}: not valid JSON ({getattr(exc, 'msg', exc)})") from None
    page = page_from_json(obj, where, require_labels)
    if not page.source:
        page.source = path.name.split(".")[0]
    return page


def read_page_file(path: str | os.PathLike, require_labels: bool = True, errors: str = "strict") -> Page:
    """Read one hand-editable page file (label TAB text per line).

    errors: "strict" raises NotUTF8Error with the byte offset and line of the first byte that is
    not UTF-8; "replace" decodes such bytes as U+FFFD.
    """
    _check_policy(errors, "stop")
    path = Path(path)
    lines, labels, header = [], [], {}
    from .lines import split_lines
    data = path.read_bytes()
    try:
        text = data.decode("utf-8", errors)
    except UnicodeDecodeError as exc:
        line = len(split_lines(data[:exc.start].decode("utf-8") + "x"))
        raise NotUTF8Error(f"{path}: not UTF-8 at byte offset {exc.start} (line {line})") from None
    for number, raw in enumerate(split_lines(text), 1):
        if not lines and raw.startswith("#"):
            key, _, value = raw.lstrip("# ").partition(":")
            if value:
                header[key.strip()] = value.strip()
            continue
        label, tab, line = raw.partition("\t")
        # a review mark ("content ?0.62", written by `label`) ends the label column: ignored
        label = label.partition(REVIEW_MARK)[0].strip()
        if not tab and not label:  # a truly empty row stands for a blank line of the page
            lines.append("")
            labels.append(Label.BOILERPLATE.value)
            continue
        if not tab:
            raise CorpusError(f"{path}:{number}: expected 'label<TAB>text', found no tab")
        if label not in _VALID:
            if require_labels or label not in ("", "?"):
                raise CorpusError(f"{path}:{number}: label {label!r} is not 'content' or 'boilerplate'")
        lines.append(line)
        labels.append(label)
    return Page(id=header.get("id", path.stem), lines=lines,
                labels=labels if require_labels else None,
                source=header.get("source", path.absolute().parent.name),
                site=header.get("site", ""), url=header.get("url"))


def iter_data_files(paths: Iterable[str | os.PathLike]) -> Iterator[Path]:
    """Expand files and directories (recursively, sorted) into page data files."""
    for p in paths:
        p = Path(p)
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.is_file() and _is_data_file(f))
            if not found:
                raise CorpusError(f"{p}: directory holds no .jsonl, .jsonl.gz or {PAGE_SUFFIX} page files")
            yield from found
        elif p.exists():
            yield p
        else:
            raise CorpusError(f"{p}: no such file or directory")


def _is_data_file(path: Path) -> bool:
    return path.name.endswith(_JSONL_SUFFIXES) or path.suffix == PAGE_SUFFIX


def read_pages(paths: Iterable[str | os.PathLike], require_labels: bool = True, errors: str = "strict",
               on_error: str = "stop", warn=None) -> list[Page]:
    """Read every page under the given files/directories, in a stable order.

    errors and on_error as for read_jsonl; with on_error="skip" a bad page file is skipped
    whole (it is one page). Missing files and empty directories always raise CorpusError.
    """
    _check_policy(errors, on_error)
    pages: list[Page] = []
    for f in iter_data_files(paths):
        if f.name.endswith(_JSONL_SUFFIXES):
            pages.extend(read_jsonl(f, require_labels, errors, on_error, warn))
            continue
        try:
            pages.append(read_page_file(f, require_labels, errors))
        except CorpusError as exc:
            if on_error == "stop":
                raise
            (warn or _quiet)(f"{exc}; page file skipped")
    return pages


def write_jsonl(pages: Iterable[Page], path: str | os.PathLike) -> None:
    """Write pages as JSONL (gzip when the name ends in .gz)."""
    path = Path(path)
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "wt", encoding="utf-8", newline="\n") as fh:
        for page in pages:
            fh.write(json.dumps(page.to_json(), ensure_ascii=False) + "\n")


def write_page_file(page: Page, path: str | os.PathLike, marks: list[str] | None = None) -> None:
    """Write one page file. `marks` (optional) replaces the label column text for some lines."""
    if page.labels is None:
        raise ValueError(f"page {page.id} has no labels to write")
    rows = [f"# id: {page.id}"]
    if page.site:
        rows.append(f"# site: {page.site}")
    if page.source:
        rows.append(f"# source: {page.source}")
    if page.url:
        rows.append(f"# url: {page.url}")
    for i, (line, label) in enumerate(zip(page.lines, page.labels)):
        col = marks[i] if marks else str(label)
        rows.append(f"{col}\t{line}")
    Path(path).write_text("\n".join(rows) + "\n", encoding="utf-8")


def corpus_sha256(pages: Iterable[Page]) -> str:
    """A digest of the pages' ids, lines and labels in order: identifies a training corpus."""
    h = hashlib.sha256()
    for page in pages:
        # surrogatepass: a lone surrogate from a broken scrape must not stop training
        h.update(json.dumps([page.id, page.lines, page.labels], ensure_ascii=False).encode("utf-8", "surrogatepass"))
    return h.hexdigest()
