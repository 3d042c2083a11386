"""Spark benchmark: the single-process batch against local[1] and local[2] Spark on the same pages.

    python bench/spark_bench.py                 # 1000 pages of ../shared wcxb-dev (else our test split)
    python bench/spark_bench.py --pages 2000

Needs the spark extra (`pip install ".[spark]"`) and Java 17+. Every method reads the same JSONL
file, labels every page with the bundled model and writes JSONL with labels, proba, clean_text
and counts to a temp folder; wall time covers all of that. For Spark, SparkSession startup is
timed apart, and the job runs twice in the same session: the first run includes starting the
Python workers and loading the model in each, the second reuses them. Each Spark master runs
in its own process (its own JVM).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from speed import cpu_model  # noqa: E402

WCXB = ROOT.parent / "shared" / "data" / "wcxb-dev.jsonl.gz"
OURS = ROOT / "training_data" / "test.jsonl"
MASTERS = ("local[1]", "local[2]")


def make_input(path: Path, n: int) -> tuple[str, int, int]:
    """Write n non-empty pages (id, url, lines only: no labels) and return (source, pages, lines)."""
    from classifier.corpus import read_jsonl

    source = WCXB if WCXB.exists() else OURS
    pages = [p for p in read_jsonl(source) if p.lines]
    if not pages:
        raise SystemExit(f"{source} holds no pages")
    if source == OURS:  # repeated to reach n: fine for speed, which does not depend on repeats
        pages = (pages * (n // len(pages) + 1))
    pages = pages[:n]
    with open(path, "w", encoding="utf-8") as fh:
        for k, p in enumerate(pages):
            fh.write(json.dumps({"id": f"{k:06d}", "url": p.url, "lines": p.lines}, ensure_ascii=False) + "\n")
    return source.name, len(pages), sum(len(p.lines) for p in pages)


def single_process(src: Path, dst: Path) -> tuple[float, float]:
    """Read, predict in one batch, write: (wall seconds, of which predicting)."""
    from classifier.corpus import read_jsonl
    from classifier.labels import DEFAULT_THRESHOLD, Label, labels_from_proba
    from classifier.model import bundled_model_path, load_model

    t0 = time.perf_counter()
    model = load_model(bundled_model_path())
    pages = list(read_jsonl(src, require_labels=False))
    t1 = time.perf_counter()
    probs = model.predict_proba_pages([p.lines for p in pages])
    predict_s = time.perf_counter() - t1
    with open(dst, "w", encoding="utf-8") as out:
        for page, pr in zip(pages, probs):
            labels = labels_from_proba(pr.tolist(), DEFAULT_THRESHOLD)
            rec = page.to_json()
            rec["labels"] = [str(x) for x in labels]
            rec["proba"] = [round(float(x), 4) for x in pr]
            rec["clean_text"] = "\n".join(l for l, x in zip(page.lines, labels) if x == Label.CONTENT)
            rec["n_lines"], rec["n_content"] = len(labels), labels.count(Label.CONTENT)
            out.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return time.perf_counter() - t0, predict_s


def spark_worker(master: str, src: str, tmp: str) -> None:
    """In a child process: time SparkSession startup and two runs of the example job."""
    from classifier import spark as cs

    t0 = time.perf_counter()
    spark = cs._session(master)
    spark.sparkContext.setLogLevel("ERROR")
    times = {"startup": time.perf_counter() - t0}
    for run in ("first", "second"):
        t0 = time.perf_counter()
        cs.run(spark, src, str(Path(tmp) / run), "jsonl")
        times[run] = time.perf_counter() - t0
    times["partitions"] = spark.read.json(src).rdd.getNumPartitions()
    spark.stop()
    print("RESULT " + json.dumps(times), flush=True)


def versions() -> str:
    import numpy
    import sklearn
    out = [f"Python {platform.python_version()}", f"numpy {numpy.__version__}", f"scikit-learn {sklearn.__version__}"]
    for name in ("pyspark", "pyarrow", "pandas"):
        try:
            out.append(f"{name} {__import__(name).__version__}")
        except ImportError:
            out.append(f"{name} missing")
    java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()
    out.append(java[0] if java else "java missing")
    return ", ".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=1000, help="pages to label (default 1000)")
    ap.add_argument("--worker", nargs=3, metavar=("MASTER", "IN", "TMP"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        spark_worker(*args.worker)
        return 0

    print(f"machine: {os.cpu_count()} cores, {cpu_model()}, load average {os.getloadavg()[0]:.1f} at start")
    print(f"versions: {versions()}")
    with tempfile.TemporaryDirectory(prefix="linesift-spark-bench-") as tmp:
        src = Path(tmp) / "pages.jsonl"
        source, n_pages, n_lines = make_input(src, args.pages)
        print(f"pages: {n_pages} pages, {n_lines} lines from {source} "
              f"({src.stat().st_size / 1e6:.1f} MB of JSONL); bundled model\n")
        rows = []
        wall, predict_s = single_process(src, Path(tmp) / "single.jsonl")
        rows.append(("single process (batch)", None, wall, None, None))
        for master in MASTERS:
            proc = subprocess.run([sys.executable, __file__, "--worker", master, str(src), str(Path(tmp) / master)],
                                  capture_output=True, text=True)
            found = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
            if proc.returncode or not found:
                print(f"{master} failed:\n{proc.stderr[-2000:]}")
                return 1
            t = json.loads(found[0][len("RESULT "):])
            rows.append((f"Spark {master}", t["startup"], t["first"], t["second"], t["partitions"]))

    print(f"{'method':24} {'startup s':>9} {'wall s':>7} {'pages/s':>8} {'lines/s':>8} {'vs single':>9}"
          f" {'2nd run s':>9} {'pages/s':>8} {'vs single':>9}")
    for name, startup, first, second, parts in rows:
        cells = f"{name:24} {'-' if startup is None else f'{startup:.1f}':>9} {first:7.2f} " \
                f"{n_pages / first:8.1f} {n_lines / first:8.0f} {wall / first:9.2f}"
        if second is not None:
            cells += f" {second:9.2f} {n_pages / second:8.1f} {wall / second:9.2f}"
        print(cells + (f"   ({parts} input partitions)" if parts else ""))
    print(f"\nsingle process: {predict_s:.2f} s of the {wall:.2f} s are predict_proba_pages "
          f"({n_lines / predict_s:.0f} lines/s); 'vs single' = single-process wall / this wall (>1 is faster)")
    print(f"load average {os.getloadavg()[0]:.1f} at the end (2 cores shared with other work: timings are noisy)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
