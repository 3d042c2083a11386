"""Scale-out on Apache Spark: label and clean the pages of a DataFrame with the batch model.

``label_lines`` (a column of line arrays) and ``clean_text`` (a column of whole texts) add
columns to a Spark DataFrame through ``mapInPandas``: every Arrow batch of rows is predicted in
ONE ``predict_proba_pages`` call, and the model is loaded once per executor Python process (cached
here by path, reused across batches and tasks while Spark reuses its Python workers, the default).
A bad row (null, or lines that are not strings) gets null outputs and a message in the error
column; every other row is processed and the job goes on. Rows keep their columns (an ``id``
passes through untouched) and their order within each partition; nothing is shuffled. With
``site_col``, rows of one site in the same Arrow batch inform each other (site evidence): sort
the rows by site within partitions so that a site's pages meet.

``python -m classifier.spark IN OUT`` is the runnable example (JSONL or Parquet in and out).
pyspark, pyarrow and pandas are imported only when a function here runs (``pip install
linesift[spark]``), so ``import classifier.spark`` works without them.
"""

from __future__ import annotations

import argparse
import functools
import glob
import importlib.util
import os
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

__all__ = ["label_lines", "clean_text", "SparkMissingError", "N_LINES", "N_CONTENT", "main"]

INSTALL_HINT = "pip install 'linesift[spark]'"
#: Count columns added next to the cleaned text: lines of the page, and lines labelled content.
N_LINES = "n_lines"
N_CONTENT = "n_content"

# Per Python process: resolved models by the path the caller gave (None = the bundled model),
# and how many times each was loaded (the tests check it stays at one per process).
_MODELS: dict = {}
_LOADS: dict = {}


class SparkMissingError(ImportError):
    """pyspark, pyarrow or pandas is not installed."""


def _require_spark() -> None:
    missing = [name for name in ("pyspark", "pyarrow", "pandas") if importlib.util.find_spec(name) is None]
    if missing:
        raise SparkMissingError(f"classifier.spark needs {', '.join(missing)}: {INSTALL_HINT}")


# ----- the model on an executor ----------------------------------------------------------------

def _resolve_model_path(model_path: str | None) -> Path:
    """Where the model file is on THIS machine: the bundled model, the path itself (local or on a
    shared filesystem), or, for a bare file name, the copy shipped with --files / addFile."""
    from .model import ModelError, bundled_model_path

    if model_path is None:
        return bundled_model_path()
    if os.path.exists(model_path):
        return Path(model_path)
    if os.path.basename(model_path) == model_path:
        try:
            from pyspark import SparkFiles
            shipped = SparkFiles.get(model_path)
        except Exception:  # no SparkContext here, or pyspark missing: not shipped
            shipped = None
        if shipped and os.path.exists(shipped):
            return Path(shipped)
    raise ModelError(f"model file {model_path} not found (not a path on this machine, nor a file "
                     "shipped with spark-submit --files or SparkContext.addFile)")


def _cached_model(model_path: str | None):
    """The model for this path, loaded on first use in this process and kept."""
    model = _MODELS.get(model_path)
    if model is None:
        from .model import load_bundled, load_model
        # the bundled model through load_bundled: its recorded sha256 is checked before unpickling
        model = load_bundled() if model_path is None else load_model(_resolve_model_path(model_path))
        _MODELS[model_path] = model
        _LOADS[model_path] = _LOADS.get(model_path, 0) + 1
    return model


# ----- one Arrow batch ---------------------------------------------------------------------------

@dataclass(frozen=True)
class _Job:
    """What the executors do; pickled to them with the batch function."""

    source: str                # input column
    is_text: bool              # whole texts (split into lines) rather than arrays of lines
    model_path: str | None
    threshold: float
    labels_col: str | None
    proba_col: str | None
    clean_col: str | None      # the content lines joined with newlines, plus N_LINES and N_CONTENT
    error_col: str
    site_col: str | None = None  # a string column of site keys (null: no site)

    def output_names(self) -> list[str]:
        counts = [N_LINES, N_CONTENT] if self.clean_col else []
        names = [self.labels_col, self.proba_col, self.clean_col, *counts, self.error_col]
        return [name for name in names if name]


def _page(cell, job: _Job) -> list[str]:
    """One row's page as a list of str; TypeError/ValueError with a message for a bad row."""
    from .lines import as_lines, split_lines

    if job.is_text:
        if isinstance(cell, str):
            return split_lines(cell)
        if cell is None or cell != cell:  # pandas shows a missing string as None or NaN
            raise ValueError(f"{job.source} is null")
        raise TypeError(f"{job.source} is {type(cell).__name__}, expected str")
    if cell is None:
        raise ValueError(f"{job.source} is null")
    if isinstance(cell, str):  # a str is never split here: it would hide a schema mistake
        raise TypeError(f"{job.source} is a str, expected a list of lines")
    items = cell.tolist() if hasattr(cell, "tolist") else cell  # Arrow arrays arrive as numpy arrays
    try:
        return as_lines(items)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{job.source}: {exc}") from None


def _predict_isolated(model, pages: list[list[str]], sites: list | None = None) -> list:
    """P(content) arrays for the pages in one batch call (with their sites, if given); if the
    batch fails, page by page, so one page the model cannot handle costs only that page (its
    entry is the exception)."""
    try:
        return model.predict_proba_pages(pages, sites=sites)
    except Exception:
        out = []
        for page in pages:
            try:
                out.append(model.predict_proba(page))
            except Exception as exc:
                out.append(exc)
        return out


def _predict_frame(frame, job: _Job, model):
    import pandas as pd

    from .labels import Label, labels_from_proba

    n = len(frame)
    pages, errors = [None] * n, [None] * n
    for i, cell in enumerate(frame[job.source]):
        try:
            pages[i] = _page(cell, job)
        except (TypeError, ValueError) as exc:
            errors[i] = str(exc)
    good = [i for i in range(n) if pages[i] is not None]
    sites = None
    if job.site_col:  # pandas shows a null string as None or NaN
        keys = [s if isinstance(s, str) and s else None for s in frame[job.site_col]]
        sites = [keys[i] for i in good]
    results = _predict_isolated(model, [pages[i] for i in good], sites) if good else []
    labels, proba, clean, n_lines, n_content = ([None] * n for _ in range(5))
    for i, probs in zip(good, results):
        if isinstance(probs, Exception):
            errors[i] = f"prediction failed: {type(probs).__name__}: {probs}"
            continue
        proba[i] = probs.tolist()
        page_labels = labels_from_proba(proba[i], job.threshold)
        labels[i] = [str(label) for label in page_labels]
        clean[i] = "\n".join(line for line, label in zip(pages[i], page_labels) if label == Label.CONTENT)
        n_lines[i], n_content[i] = len(pages[i]), sum(label == Label.CONTENT for label in page_labels)
    out = frame.drop(columns=[c for c in job.output_names() if c in frame.columns])
    columns = {job.labels_col: labels, job.proba_col: proba, job.clean_col: clean,
               N_LINES: n_lines, N_CONTENT: n_content, job.error_col: errors}
    for name in job.output_names():
        out[name] = pd.Series(columns[name], index=out.index, dtype=object)
    return out


def _predict_frames(frames, job: _Job):
    """mapInPandas function: each pandas frame (one Arrow batch) in, the same rows out in order."""
    model = None
    for frame in frames:
        if model is None:  # an empty partition loads nothing
            model = _cached_model(job.model_path)
        yield _predict_frame(frame, job, model)


# ----- the DataFrame functions -------------------------------------------------------------------

def _run(df, job: _Job):
    _require_spark()
    from pyspark.sql import types as T

    if not 0.0 <= job.threshold <= 1.0:
        raise ValueError(f"threshold {job.threshold} is not a probability between 0 and 1")
    fields = {f.name: f for f in df.schema.fields}
    if job.source not in fields:
        raise ValueError(f"no column {job.source!r} in the DataFrame (columns: {', '.join(fields)})")
    if job.site_col is not None:
        if job.site_col not in fields:
            raise ValueError(f"no column {job.site_col!r} in the DataFrame (columns: {', '.join(fields)})")
        if not isinstance(fields[job.site_col].dataType, T.StringType):
            raise TypeError(f"site column {job.site_col!r} is {fields[job.site_col].dataType.simpleString()}, "
                            "expected string")
    wanted = T.StringType() if job.is_text else T.ArrayType(T.StringType())
    got = fields[job.source].dataType
    if type(got) is not type(wanted) or (not job.is_text and not isinstance(got.elementType, T.StringType)):
        hint = "" if job.is_text else "; for whole texts use clean_text"
        raise TypeError(f"column {job.source!r} is {got.simpleString()}, expected {wanted.simpleString()}{hint}")
    names = job.output_names()
    if len(set(names)) != len(names) or job.source in names:
        raise ValueError(f"output columns {names} must differ from each other and from {job.source!r}")
    _cached_model(job.model_path)  # fail here, on the driver, for a missing or damaged model file
    types = {job.labels_col: T.ArrayType(T.StringType()), job.proba_col: T.ArrayType(T.DoubleType()),
             job.clean_col: T.StringType(), N_LINES: T.LongType(), N_CONTENT: T.LongType(),
             job.error_col: T.StringType()}
    schema = T.StructType([f for f in df.schema.fields if f.name not in names]
                          + [T.StructField(name, types[name], True) for name in names])
    # a partial of a module-level function pickles by reference, so executors import this module
    # and share its model cache across tasks (a closure would carry its own empty copy)
    return df.mapInPandas(functools.partial(_predict_frames, job=job), schema)


def _path(model_path) -> str | None:
    return None if model_path is None else os.fspath(model_path)


def _threshold(threshold: float | None) -> float:
    if threshold is not None:
        return float(threshold)
    from .model import DEFAULT_THRESHOLD
    return DEFAULT_THRESHOLD


def label_lines(df, lines_col: str = "lines", model_path: str | None = None, threshold: float | None = None,
                *, labels_col: str = "labels", proba_col: str = "proba", error_col: str = "error",
                clean_col: str | None = None, site_col: str | None = None):
    """Add per-line labels (array<string>), P(content) (array<double>) and an error (string, null
    when the row is fine) to a DataFrame whose ``lines_col`` is array<string>, one page per row.

    model_path: None for the bundled model, a path readable on every executor, or the bare name
    of a file shipped with ``--files`` / ``addFile``. threshold: P(content) a line needs to be
    content (default labels.DEFAULT_THRESHOLD). clean_col: also add the content lines joined with
    newlines under this name, plus ``n_lines`` and ``n_content``. Output columns that already exist
    are replaced. site_col: a string column of site keys; rows of one site in the same Arrow
    batch inform each other (LineClassifier.predict_proba_pages' ``sites``), so sort by it
    within partitions, e.g. ``df.repartition(n, "site").sortWithinPartitions("site")``.
    """
    return _run(df, _Job(lines_col, False, _path(model_path), _threshold(threshold), labels_col, proba_col,
                         clean_col, error_col, site_col))


def clean_text(df, text_col: str = "text", model_path: str | None = None, threshold: float | None = None,
               *, clean_col: str = "clean_text", error_col: str = "error", labels_col: str | None = None,
               proba_col: str | None = None, site_col: str | None = None):
    """Add the content lines of each row's ``text_col`` (a string, split on line ends), joined
    with newlines, plus ``n_lines``, ``n_content`` and an error column. labels_col / proba_col
    optionally add the per-line labels and P(content) too. Other arguments as for label_lines.
    """
    return _run(df, _Job(text_col, True, _path(model_path), _threshold(threshold), labels_col, proba_col,
                         clean_col, error_col, site_col))


# ----- the example job ---------------------------------------------------------------------------

class _UsageError(Exception):
    """An expected failure of the example job, reported as one line on stderr."""


def _format_of(path: str, given: str | None) -> str:
    if given:
        return given
    p = Path(path)
    if p.suffix == ".parquet" or (p.is_dir() and any(p.glob("*.parquet"))):
        return "parquet"
    return "jsonl"


def _read(spark, path: str, fmt: str):
    if fmt == "parquet":
        return spark.read.parquet(path)
    from pyspark.sql import types as T

    df = spark.read.json(path)  # infers the schema; .gz is read transparently
    # a record whose lines are not an array makes inference type the whole column as string:
    # read again with lines fixed as array<string>, so only that record gets a null (and an error)
    wanted = {"lines": T.ArrayType(T.StringType()), "text": T.StringType()}
    fixed = T.StructType([T.StructField(f.name, wanted.get(f.name, f.dataType), True) for f in df.schema.fields])
    return df if fixed == df.schema else spark.read.schema(fixed).json(path)


def run(spark, src: str, dst: str, fmt: str = "jsonl", model_path: str | None = None,
        threshold: float | None = None, clean_only: bool = False, partitions: int | None = None,
        overwrite: bool = False) -> None:
    """Read pages (column ``lines``, else ``text``), label them and write them in the same format."""
    from pyspark.sql import functions as F

    df = _read(spark, src, fmt)
    want = partitions or spark.sparkContext.defaultParallelism
    order = None
    if df.rdd.getNumPartitions() < want:
        # e.g. one .gz file, which Spark cannot split: spread it over `want` contiguous ranges of
        # input positions and sort within each, so the written parts keep the input order
        order = "_linesift_row"
        df = df.withColumn(order, F.monotonically_increasing_id())
        df = df.repartitionByRange(want, order).sortWithinPartitions(order)
    arrays = dict(labels_col=None, proba_col=None) if clean_only else dict(labels_col="labels", proba_col="proba")
    if "lines" in df.columns:
        out = label_lines(df, "lines", model_path, threshold, clean_col="clean_text", **arrays)
    elif "text" in df.columns:
        out = clean_text(df, "text", model_path, threshold, clean_col="clean_text", **arrays)
    else:
        raise _UsageError(f"{src}: the pages have neither a 'lines' nor a 'text' field")
    if order:
        out = out.drop(order)
    if not clean_only:  # 4 decimals, as `linesift predict --jsonl` writes them
        out = out.withColumn("proba", F.transform("proba", lambda p: F.round(p, 4)))
    writer = out.write.mode("overwrite" if overwrite else "errorifexists")
    if fmt == "parquet":
        writer.parquet(dst)
    else:
        writer.json(dst)


def _session(master: str | None):
    from pyspark.sql import SparkSession

    builder = (SparkSession.builder.appName("linesift").config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false"))
    if master:
        builder = builder.master(master)
    if (master or "local").startswith("local"):
        # executors are Python processes of this interpreter, on this machine only; one OpenMP
        # thread each, since Spark already runs one task per core
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        builder = (builder.config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
                   .config("spark.executorEnv.OMP_NUM_THREADS", os.environ.get("OMP_NUM_THREADS", "1")))
    spark = builder.getOrCreate()
    if (master or "local").startswith("local"):
        spark.sparkContext.setLogLevel("ERROR")
    return spark


def build_parser() -> argparse.ArgumentParser:
    from .labels import DEFAULT_THRESHOLD

    p = argparse.ArgumentParser(prog="python -m classifier.spark",
                                description="Label the pages of a JSONL or Parquet dataset on Spark and write "
                                            "them back with labels, proba, clean_text, n_lines, n_content, error.")
    p.add_argument("input", metavar="IN", help="JSONL (.jsonl, .jsonl.gz, a folder or glob) or Parquet pages")
    p.add_argument("output", metavar="OUT", help="output folder (Spark writes part files)")
    p.add_argument("--format", choices=("jsonl", "parquet"), help="input and output format (default: from IN)")
    p.add_argument("--model", help="model file: a path on every machine, or a bare name shipped with --files "
                                   "(default: the bundled model)")
    p.add_argument("--threshold", type=float,
                   help=f"P(content) a line needs to be content (default {DEFAULT_THRESHOLD})")
    p.add_argument("--master", help="Spark master, e.g. local[2] (default: spark-submit's, else local[*])")
    p.add_argument("--clean", action="store_true", help="write clean_text and counts only, no per-line arrays")
    p.add_argument("--partitions", type=int, help="spread fewer input partitions over this many "
                                                  "(default: the default parallelism)")
    p.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")
    return p


def _is_local(path: str) -> bool:
    return "://" not in path or path.startswith("file://")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # pyspark 4 warns on every pandas UDF that pandas 3 is untested; tests/test_spark.py checks
    # the results, so the job's stderr keeps only what matters
    warnings.filterwarnings("ignore", "PySpark does not yet fully support pandas", FutureWarning)
    try:
        if _is_local(args.input) and not glob.glob(args.input.removeprefix("file://")):
            raise _UsageError(f"{args.input}: no such file or directory")
        if _is_local(args.output) and Path(args.output).exists() and not args.overwrite:
            raise _UsageError(f"{args.output} exists; choose a new folder or pass --overwrite")
        if args.threshold is not None and not 0.0 <= args.threshold <= 1.0:
            raise _UsageError(f"--threshold {args.threshold} is not a probability between 0 and 1")
        _require_spark()
        from pyspark.sql import SparkSession

        ours = SparkSession.getActiveSession() is None
        spark = _session(args.master)
        try:
            run(spark, args.input, args.output, _format_of(args.input, args.format), args.model,
                args.threshold, args.clean, args.partitions, args.overwrite)
        finally:
            if ours:
                spark.stop()
    except Exception as exc:  # Spark's own errors carry a JVM trace: keep their first line only
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        print(f"linesift: error: {first}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    # run the imported module, not this __main__ copy, so executors pickle functions by reference
    from classifier.spark import main as _main
    sys.exit(_main())
