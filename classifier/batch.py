"""Streaming batch prediction over JSONL pages, with N worker processes, for big jobs.

``predict --jsonl IN... -o OUT -j N`` lands here. The main process only reads raw input lines
and writes finished output; parsing, prediction, serialising (and gzip compression, when the
output is .gz) happen in the workers, so the work scales with N. Memory stays constant however
large the input: records travel in chunks of at most CHUNK_RECORDS records or CHUNK_BYTES bytes,
and at most IN_FLIGHT_PER_WORKER chunks per worker are queued at any time. Output keeps input
order. A bad record (not UTF-8, not JSON, no usable ``lines``/``text``) is reported by file and
line number and skipped (``on_error="skip"``) or stops the run after the records before it are
written (``on_error="stop"``).

Each output record is the input record with ``labels`` and ``proba`` added (and ``text``, the
content lines, with ``clean=True``); a record without ``lines`` but with a ``text`` string is
split into lines first, and ``lines`` is added. A record without ``source`` gets the input
file's name stem, as the training reader does.

With ``sites=True`` (``predict --jsonl --site-memory``) the pages of one site inform each other
(site evidence, LineClassifier.predict_proba_pages' ``sites``; a record's site is its ``site``,
else ``meta.domain``, else its URL host). Only pages in the same chunk see each other, so the
main process then also parses each record for its site and keeps a run of consecutive records
of one site in one chunk (up to SITE_RUN_RECORDS records): give the input grouped by site.

A multi-member gzip file (each worker compresses its own chunks) is a valid gzip file: ``zcat``,
``gzip.open`` and every JSONL reader that uses zlib read it as one stream.
"""

from __future__ import annotations

import collections
import gzip
import itertools
import json
import os
import sys
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from .labels import DEFAULT_THRESHOLD, LABELS

__all__ = ["BadRecord", "BatchSummary", "run_batch", "process_chunk"]

_QUOTED = tuple(json.dumps(label.value) for label in LABELS)  # _QUOTED[P >= threshold]: JSON text

# Chunk size: a chunk's pages are predicted together (model.BATCH_LINES lines at a time);
# 32 records (~10,000 lines of wcxb-dev) keep each worker's memory small, which matters with
# several workers, and cost nothing measurable in speed (bench/batch_scaling.py).
CHUNK_RECORDS = 32
CHUNK_BYTES = 2 << 20
# With sites, a run of one site's records grows its chunk past CHUNK_RECORDS / CHUNK_BYTES up to
# these caps (a site's pages inform each other only within a chunk): about 300,000 wcxb-dev
# lines, which bounds a worker's memory at a few hundred MB.
SITE_RUN_RECORDS = 1000
SITE_RUN_BYTES = 64 << 20
IN_FLIGHT_PER_WORKER = 2
# Pipe buffer for the chunks and results that travel between the main process and the workers.
# A Linux pipe holds 64 KB, so a chunk (~300 KB of wcxb-dev) or its output crossed in many
# hand-offs, each waiting for the other side to be scheduled while the workers kept both cores
# busy: with -j 2 on 300 MB the workers sat idle 6% of the time between chunks, with 1 MB pipes
# 2.5%, and the main process used about a third less CPU (bench/batch_scaling.py input, timed
# per chunk). 1 MB is also Linux's default cap for unprivileged processes
# (/proc/sys/fs/pipe-max-size).
PIPE_BYTES = 1 << 20
PROGRESS_EVERY_S = 0.5
MAX_WARNINGS = 20  # bad records reported one by one; the rest are counted in the summary
# zlib level 1: with the compiled kernels, level 6 took 29% of a worker's time (0.82 of 2.85 s
# on 640 wcxb-dev pages); level 1 compresses the same JSONL 3.4x faster into a 22% larger file
GZIP_LEVEL = 1
PROBA_DIGITS = 4


class BadRecord(ValueError):
    """A record that cannot be used, with where it is (file:line) and why."""

    def __init__(self, where: str, reason: str):
        super().__init__(f"{where}: {reason}")
        self.where, self.reason = where, reason

    def __reduce__(self):  # travels back from worker processes
        return BadRecord, (self.where, self.reason)


@dataclass
class BatchSummary:
    pages: int = 0
    lines: int = 0
    bytes_in: int = 0
    bad: list[BadRecord] = field(default_factory=list)
    n_bad: int = 0
    seconds: float = 0.0


# ----- worker side -------------------------------------------------------------------------

_MODEL = None
_MODEL_ERROR: Exception | None = None


def _init_worker(model_path: str | None, threads: int) -> None:
    """Load the model once per worker process, and cap its thread pools.

    A failure is kept and raised by the first task: a Pool whose initializer raises restarts
    the worker forever instead of reporting the error."""
    global _MODEL, _MODEL_ERROR
    try:
        from threadpoolctl import threadpool_limits

        from .model import load_bundled, load_model

        threadpool_limits(limits=threads)
        _MODEL = load_model(model_path) if model_path else load_bundled()  # bundled: sha256 checked
    except Exception as exc:  # noqa: BLE001 - re-raised in the parent by _work
        _MODEL_ERROR = exc


def _page_lines(obj: object) -> tuple[list[str], bool]:
    """The lines of a decoded record, and whether they came from a `text` field."""
    if not isinstance(obj, dict):
        raise ValueError(f"expected a JSON object, got {type(obj).__name__}")
    lines = obj.get("lines")
    if lines is None and isinstance(obj.get("text"), str):
        from .lines import split_lines
        return split_lines(obj["text"]), True
    if lines is None:
        raise ValueError("no 'lines' list (or 'text' string)")
    if not isinstance(lines, list):
        raise ValueError(f"'lines' must be a list of strings, got {type(lines).__name__}")
    from .lines import as_lines
    try:  # the API's own check: one C-level pass when every line is a str
        as_lines(lines)
    except TypeError as exc:
        raise ValueError(f"'lines': {exc}") from None
    return lines, False


def record_site(obj: object) -> str | None:
    """A decoded record's site key: its `site`, else `meta.domain`, else its URL host, else None.

    >>> record_site({"url": "https://www.quay.example/a"}), record_site({"id": "p1"})
    ('quay.example', None)
    """
    if not isinstance(obj, dict):
        return None
    from .sitememory import site_key
    return site_key(obj.get("site"), obj.get("meta"), obj.get("url"))


def process_chunk(model, chunk: tuple, threshold: float, clean: bool, replace_errors: bool,
                  stop_at_error: bool, compress: bool, sites: bool = False) -> tuple[bytes, int, int, list[BadRecord]]:
    """Predict one chunk of raw JSONL lines: (output bytes, pages, lines, bad records).

    chunk is (file name, source stem, first line number, list of raw lines as bytes). With
    stop_at_error the chunk ends at its first bad record (the records before it are kept).
    With sites, the chunk's pages of one site (record_site) inform each other.
    """
    name, stem, first, raws = chunk
    records, pages, bad, texts = [], [], [], []
    for k, raw in enumerate(raws):
        where = f"{name}:{first + k}"
        try:
            try:
                text = raw.decode("utf-8", "replace" if replace_errors else "strict")
            except UnicodeDecodeError as exc:
                raise ValueError(f"not UTF-8 (byte offset {exc.start} in the line); "
                                 "--encoding-errors replace decodes it anyway") from None
            if not text.strip():
                continue
            try:
                obj = json.loads(text)
            except ValueError as exc:
                raise ValueError(f"not valid JSON ({getattr(exc, 'msg', exc)})") from None
            lines, from_text = _page_lines(obj)
        except ValueError as exc:
            bad.append(BadRecord(where, str(exc)))
            if stop_at_error:
                break
            continue
        if from_text:
            obj["lines"] = lines
        records.append(obj)
        texts.append(None if from_text else text)
        pages.append(lines)
    keys = [record_site(obj) for obj in records] if sites else None
    probas = model.predict_proba_pages(pages, sites=keys) if pages else []
    out = []
    for obj, text, lines, proba in zip(records, texts, pages, probas):
        keep = (proba >= threshold).tolist()  # labels_from_proba's rule, without Label objects
        added = {"labels": "[" + ", ".join([_QUOTED[c] for c in keep]) + "]",
                 "proba": json.dumps(proba.round(PROBA_DIGITS).tolist())}
        if clean:
            added["text"] = json.dumps("\n".join(itertools.compress(lines, keep)), ensure_ascii=False)
        out.append(_with_fields(obj, text, stem, added))
    data = ("\n".join(out) + "\n").encode("utf-8") if out else b""
    if compress and data:
        data = gzip.compress(data, GZIP_LEVEL, mtime=0)
    return data, len(pages), sum(map(len, pages)), bad


def _with_fields(obj: dict, text: str | None, stem: str, added: dict[str, str]) -> str:
    """The record as one JSON line with `source` (if missing) and the `added` fields (name ->
    JSON text) appended before its closing brace.

    The record's own text is the input line as written (`text`), unless it came from a `text`
    field (text None) or already holds one of the added fields (a training file's `labels`):
    then those are dropped and the rest serialised again. Appending to the input line saves
    serialising the page's lines again: that took 1.2 s of a worker's 9.7 s on 3,000 wcxb-dev
    pages (prediction: 5.7 s).
    """
    if text is None or any(key in obj for key in added):
        for key in added:
            obj.pop(key, None)
        text = json.dumps(obj, ensure_ascii=False)
    tail = [f'"{key}": {value}' for key, value in added.items()]
    if "source" not in obj:
        tail.insert(0, '"source": ' + json.dumps(stem, ensure_ascii=False))
    head = text.rstrip()[:-1].rstrip()  # a JSON object's text ends with "}"
    return head + (", " if not head.endswith("{") else "") + ", ".join(tail) + "}"


def _work(chunk, threshold, clean, replace_errors, stop_at_error, compress, sites):
    if _MODEL_ERROR is not None:
        raise _MODEL_ERROR
    return process_chunk(_MODEL, chunk, threshold, clean, replace_errors, stop_at_error, compress, sites)


# ----- main side ---------------------------------------------------------------------------

def _open_input(name: str):
    """(line reader, underlying binary file) for a path or "-"; gzip is recognised by its magic."""
    if name == "-":
        raw = sys.stdin.buffer
    else:
        p = Path(name)
        if p.is_dir():
            raise BadRecord(name, "is a directory; pass the JSONL files inside it")
        if not p.exists():
            raise BadRecord(name, "no such file")
        raw = open(p, "rb")
    head = raw.peek(2)[:2] if hasattr(raw, "peek") else b""
    if head == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=raw, mode="rb"), raw
    return raw, raw


def _raw_site(raw: bytes) -> str | None:
    """The site of a raw JSONL line (None if it is not a usable record: the worker reports it)."""
    try:
        return record_site(json.loads(raw))
    except (ValueError, RecursionError):  # not UTF-8, not JSON, nested too deep
        return None


def _chunks(names: list[str], summary: BatchSummary, by_site: bool = False):
    """Yield (file name, stem, first line number, raw lines) chunks from every input in turn.
    by_site: a chunk that reached its size ends only where the site changes (or at the
    SITE_RUN_* caps), so that consecutive records of one site are predicted together."""
    for name in names:
        fh, raw_fh = _open_input(name)
        stem = "stdin" if name == "-" else Path(name).name.split(".")[0]
        buf, size, first, site = [], 0, 1, None
        try:
            for number, raw in enumerate(fh, 1):
                if by_site:
                    new_site = _raw_site(raw)
                    if buf and new_site != site and (len(buf) >= CHUNK_RECORDS or size >= CHUNK_BYTES):
                        yield name, stem, first, buf
                        buf, size = [], 0
                    site = new_site
                if not buf:
                    first = number
                buf.append(raw)
                size += len(raw)
                summary.bytes_in += len(raw)
                if by_site:
                    full = len(buf) >= SITE_RUN_RECORDS or size >= SITE_RUN_BYTES
                else:
                    full = len(buf) >= CHUNK_RECORDS or size >= CHUNK_BYTES
                if full:
                    yield name, stem, first, buf
                    buf, size = [], 0
        except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
            raise BadRecord(name, f"broken gzip data after {summary.bytes_in:,} bytes ({exc})") from None
        finally:
            if raw_fh is not sys.stdin.buffer:
                fh.close()
                raw_fh.close()
        if buf:
            yield name, stem, first, buf


class _Progress:
    """A one-line progress meter on stderr, redrawn at most every PROGRESS_EVERY_S seconds."""

    def __init__(self, enabled: bool, summary: BatchSummary):
        self.enabled, self.summary = enabled, summary
        self.t0 = self.last = time.perf_counter()

    def update(self, final: bool = False) -> None:
        now = time.perf_counter()
        if not self.enabled or (not final and now - self.last < PROGRESS_EVERY_S):
            return
        self.last = now
        s, dt = self.summary, max(now - self.t0, 1e-9)
        msg = (f"\r{s.pages:,} pages, {s.lines:,} lines, {s.bytes_in / 1e6:,.1f} MB read "
               f"| {s.pages / dt:,.0f} pages/s, {s.lines / dt:,.0f} lines/s")
        if s.n_bad:
            msg += f" | {s.n_bad} bad"
        sys.stderr.write(msg + ("\n" if final else ""))
        sys.stderr.flush()


def _widen_pipes(pool) -> int:
    """Grow the buffers of the pool's task and result pipes to PIPE_BYTES (or the system's cap);
    returns the size set, 0 where that is not possible. Best effort: F_SETPIPE_SZ is Linux only,
    and the pipes are private attributes of multiprocessing.Pool (unchanged since Python 3.4)."""
    try:
        import fcntl

        size = PIPE_BYTES
        cap = Path("/proc/sys/fs/pipe-max-size")
        if cap.exists():
            size = min(size, int(cap.read_text()))
        for queue in (pool._inqueue, pool._outqueue):
            fcntl.fcntl(queue._writer.fileno(), fcntl.F_SETPIPE_SZ, size)
        return size
    except (ImportError, AttributeError, OSError, ValueError):
        return 0


def run_batch(inputs: list[str], out, *, model=None, model_path: str | None = None, jobs: int = 1,
              threshold: float = DEFAULT_THRESHOLD, clean: bool = False, on_error: str = "skip",
              replace_errors: bool = False, compress: bool = False, progress: bool = False,
              warn=None, sites: bool = False) -> BatchSummary:
    """Predict every JSONL page of `inputs` ("-" is stdin) and write them, in order, to the
    binary file object `out`. Returns counts and the bad records (each also passed to `warn`).

    jobs: worker processes (1 = in this process, with `model` if given, else the model at
    `model_path`, else the bundled one; workers always load `model_path`). on_error: "skip" (report and go on) or "stop"
    (write the records before the first bad one, then stop). compress: gzip the output.
    sites: pages of one site in a chunk inform each other, and chunks follow site runs.
    """
    if on_error not in ("skip", "stop"):
        raise ValueError(f"on_error must be 'skip' or 'stop', got {on_error!r}")
    jobs = max(1, int(jobs))
    summary = BatchSummary()
    meter = _Progress(progress, summary)
    stop = on_error == "stop"
    args = (threshold, clean, replace_errors, stop, compress, sites)
    threads = max(1, (os.cpu_count() or 1) // jobs)
    t0 = time.perf_counter()

    def consume(result) -> bool:
        data, pages, lines, bad = result
        out.write(data)
        summary.pages += pages
        summary.lines += lines
        for b in bad:
            summary.n_bad += 1
            if len(summary.bad) < MAX_WARNINGS:
                summary.bad.append(b)
                if warn:
                    warn(b)
        meter.update()
        return not (stop and bad)

    if jobs == 1:
        if model is None:
            _init_worker(model_path, threads)
            if _MODEL_ERROR is not None:
                raise _MODEL_ERROR
            model = _MODEL
        for chunk in _chunks(inputs, summary, sites):
            if not consume(process_chunk(model, chunk, *args)):
                break
    else:
        import multiprocessing as mp

        # forkserver: workers never inherit a parent's OpenMP state or open files
        ctx = mp.get_context("forkserver")
        with ctx.Pool(jobs, initializer=_init_worker, initargs=(model_path, threads)) as pool:
            _widen_pipes(pool)
            pending: collections.deque = collections.deque()
            going = True
            for chunk in _chunks(inputs, summary, sites):
                pending.append(pool.apply_async(_work, (chunk, *args)))
                if len(pending) >= jobs * IN_FLIGHT_PER_WORKER:
                    going = consume(pending.popleft().get())
                    if not going:
                        break
            while going and pending:
                going = consume(pending.popleft().get())
            pool.terminate()
    summary.seconds = time.perf_counter() - t0
    meter.update(final=True)
    return summary
