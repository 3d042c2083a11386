"""Speed benchmark: our batch predict against text-only peers on the same pages, in one run.

    python bench/speed.py                    # wcxb-dev + our test split, all peers installed
    python bench/speed.py --pages 300        # fewer pages

Prints the machine, versions, whether the compiled kernels (classifier/_speedups*.c) are in
use, model load time and file size, and for every method lines/s, pages/s and MB of text/s over
the same pages (single process; `cpu s` is the process CPU time of the timed run, steadier than
wall time on a shared machine), with the ratio to ours; then the time of one call for a 5-line
page; peak RSS of this process at the end. LINESIFT_NO_SPEEDUPS=1 measures the numpy code.
Peers: the C4 line rule, jusText on the lines (`pip install .[bench]`), and trafilatura and
resiliparse on the lines rendered as minimal HTML (../shared/data holds no HTML: one <p> per
line, no head, scripts or styles -- far less markup than a real page, so their times here are a
lower bound; the rendering is done before timing).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import numpy as np  # noqa: E402
import sklearn  # noqa: E402

from baselines import c4_rule, justext_lines, lines_html, resiliparse_html, trafilatura_html  # noqa: E402
from classifier import fast  # noqa: E402
from classifier.corpus import read_pages  # noqa: E402
from classifier.model import load_model  # noqa: E402

DATA = ROOT.parent / "shared" / "data"


def cpu_model() -> str:
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def peer_version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "not installed"


def timed(fn, pages, repeat: int = 1) -> tuple[float, float]:
    """Best wall time of `repeat` runs, and the CPU time of that run."""
    best = (float("inf"), float("inf"))
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        fn(pages)
        best = min(best, (time.perf_counter() - t0, time.process_time() - c0))
    return best


def kernels_status() -> str:
    if os.environ.get(fast.NO_SPEEDUPS_ENV) == "1":
        return f"off ({fast.NO_SPEEDUPS_ENV}=1): numpy code"
    return "in use" if fast.kernels() is not None else "not built: numpy code"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=1000, help="wcxb-dev pages to use (default 1000)")
    ap.add_argument("--model", default=str(ROOT / "models" / "default.joblib"))
    args = ap.parse_args(argv)

    print(f"machine: {os.cpu_count()} cores, {cpu_model()}; Python {platform.python_version()}, "
          f"numpy {np.__version__}, scikit-learn {sklearn.__version__}")
    print(f"compiled kernels (classifier._speedups): {kernels_status()}")
    print("peers: " + ", ".join(f"{name} {peer_version(name)}" for name in ("justext", "trafilatura", "resiliparse")))
    t0 = time.perf_counter()
    model = load_model(args.model)
    load_s = time.perf_counter() - t0
    print(f"model: {args.model} ({Path(args.model).stat().st_size / 1e6:.1f} MB), load {load_s:.2f}s")

    sets = [("our test split", [ROOT / "training_data" / "test.jsonl"])]
    if DATA.exists():
        sets.insert(0, ("wcxb-dev", [DATA / "wcxb-dev.jsonl.gz"]))
    for name, paths in sets:
        pages = [p for p in read_pages(paths) if p.lines][: args.pages]
        lines = [p.lines for p in pages]
        n_lines = sum(map(len, lines))
        mb = sum(len(line.encode("utf-8")) + 1 for page in lines for line in page) / 1e6
        model.predict_proba_pages(lines[:5])  # warm-up: lookup tables are built on first use
        methods = {"linesift (batch)": lambda ps: model.predict_proba_pages(ps),
                   "linesift (per page)": lambda ps: [model.predict_proba(p) for p in ps],
                   "C4 line rule": lambda ps: [c4_rule(p) for p in ps]}
        try:
            import justext  # noqa: F401
            methods["jusText (lines)"] = lambda ps: [justext_lines(p) for p in ps]
        except ImportError:
            print("jusText not installed: pip install .[bench]")
        docs = {id(p): lines_html(p) for p in lines}  # rendered once, outside the timings
        for label, module, fn in (("trafilatura (HTML)", "trafilatura", trafilatura_html),
                                  ("resiliparse (HTML)", "resiliparse", resiliparse_html)):
            try:
                __import__(module)
            except ImportError:
                print(f"{module} not installed: pip install .[bench]")
                continue
            methods[label] = lambda ps, fn=fn: [fn(docs[id(p)]) for p in ps]
        print(f"\n{name}: {len(pages)} pages, {n_lines} lines, {mb:.1f} MB of text")
        print(f"{'method':22} {'seconds':>8} {'cpu s':>7} {'lines/s':>10} {'pages/s':>9} {'MB/s':>7} "
              f"{'time vs ours':>13}")
        ours = None
        for method, fn in methods.items():
            sec, cpu = timed(fn, lines, repeat=2 if method.startswith("linesift") else 1)
            ours = ours or sec
            print(f"{method:22} {sec:8.2f} {cpu:7.2f} {n_lines / sec:10.0f} {len(pages) / sec:9.1f} "
                  f"{mb / sec:7.2f} {sec / ours:13.2f}")
    small = [line for line in read_pages([ROOT / "training_data" / "test.jsonl"])[0].lines if line.strip()][:5]
    sec, cpu = timed(lambda ps: [model.predict_proba(small) for _ in range(100)], None, repeat=3)
    print(f"\none {len(small)}-line page, one predict_proba call: {sec * 10:.2f} ms ({cpu * 10:.2f} ms CPU)")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS of this process: {rss:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
