"""Speed benchmark: our batch predict against text-only peers on the same pages, in one run.

    python bench/speed.py                    # wcxb-dev + our test split, all peers installed
    python bench/speed.py --pages 300        # fewer pages
    python bench/speed.py --html-dir ~/.cache/linesift-bench-html   # real HTML pages instead
    python bench/speed.py --versus OLD.joblib --rounds 8             # two models, alternating

Prints the machine, versions, whether the compiled kernels (classifier/_speedups*.c) are in
use, model load time and file size, and for every method lines/s, pages/s and MB of text/s over
the same pages (single process; `cpu s` is the process CPU time of the timed run, steadier than
wall time on a shared machine), with the ratio to ours; then the time of one call for a 5-line
page; peak RSS of this process at the end. LINESIFT_NO_SPEEDUPS=1 measures the numpy code.
Peers: the C4 line rule, jusText on the lines (`pip install .[bench]`), and trafilatura and
resiliparse on the lines rendered as minimal HTML (../shared/data holds no HTML: one <p> per
line, no head, scripts or styles -- far less markup than a real page, so their times here are a
lower bound; the rendering is done before timing).

--html-dir DIR times real HTML pages instead (fetch them with `python bench/fetch_html.py`):
trafilatura.extract and resiliparse's main-content extraction on each page's HTML, against
ours = rendering the HTML to lines the way a naive scraper does (resiliparse's plain-text
extraction WITHOUT main-content filtering, one line per block element) plus our predict on
those lines, timed separately. Every page is decoded to str once, before timing (resiliparse's
encoding detection), and every method gets that str. Per-page methods are timed page by page,
each page's time the best of --rounds rounds (rounds interleave the methods, so a busy spell
of the shared machine hits all of them); batch predict is the best of --rounds whole batches.
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
from fetch_html import MANIFEST, SOURCES, read_manifest  # noqa: E402

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


def html_pages(html_dir: Path) -> list[dict]:
    """The pages of html_dir: manifest rows (fetch_html.py), else every *.htm* file in it."""
    if (html_dir / MANIFEST).exists():
        rows = read_manifest(html_dir)
        for r in rows:
            r["path"] = html_dir / "pages" / r["file"]
        return rows
    paths = sorted(p for p in html_dir.rglob("*.htm*") if p.is_file())
    return [{"file": p.name, "package": "?", "version": "?", "licence": "?", "bytes": p.stat().st_size,
             "path": p} for p in paths]


def render_lines(doc: str) -> list[str]:
    """A page's visible text as lines, the naive scraper way: resiliparse plain text, no
    main-content filter (scripts, styles and hidden elements dropped; one line per block)."""
    from resiliparse.extract.html2text import extract_plain_text

    return extract_plain_text(doc, main_content=False).split("\n")


def html_bench(model, html_dir: Path, rounds: int) -> None:
    """Print the pages of html_dir, then the peers' and our times on them (see the module doc)."""
    try:
        import trafilatura  # noqa: F401
        from resiliparse.parse.encoding import bytes_to_str, detect_encoding
    except ImportError as e:
        print(f"--html-dir needs trafilatura and resiliparse (pip install .[bench]): {e}")
        return

    rows = html_pages(html_dir)
    if not rows:
        print(f"no HTML pages in {html_dir}: run python bench/fetch_html.py --dir {html_dir}")
        return
    docs = []
    for r in rows:
        data = r["path"].read_bytes()
        docs.append(bytes_to_str(data, detect_encoding(data)))
    sizes = sorted(r["bytes"] for r in rows)
    mb = sum(sizes) / 1e6
    print(f"\nHTML pages: {html_dir}: {len(rows)} pages, {mb:.1f} MB of HTML, median "
          f"{np.median(sizes) / 1e3:.0f} KB (min {sizes[0] / 1e3:.0f} KB, max {sizes[-1] / 1e3:.0f} KB)")
    by_source: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        by_source.setdefault(f"{r['package']} {r['version']} ({r['licence']})", []).append(i)
    what = {s.package: s.what for s in SOURCES}
    for source, idx in by_source.items():
        print(f"  {source}: {len(idx)} pages, median {np.median([rows[i]['bytes'] for i in idx]) / 1e3:.0f} KB"
              f" -- {what.get(rows[idx[0]]['package'], 'pages of unknown origin')}")
    lines = [render_lines(d) for d in docs]
    n_lines = sum(map(len, lines))
    text_mb = sum(len(x.encode("utf-8")) + 1 for page in lines for x in page) / 1e6
    print(f"rendered to lines by resiliparse extract_plain_text(main_content=False): {n_lines} lines, "
          f"{sum(1 for page in lines for x in page if x.strip())} not blank, {text_mb:.1f} MB of text "
          f"({100 * text_mb / mb:.0f}% of the HTML), median {np.median([len(p) for p in lines]):.0f} lines a page")
    model.predict_pages(lines[:5])  # warm-up: lookup tables are built on first use

    per_page = {"trafilatura.extract (HTML)": (trafilatura_html, docs),
                "resiliparse main content (HTML)": (resiliparse_html, docs),
                "render: resiliparse plain text": (render_lines, docs),
                "linesift predict (per page)": (model.predict, lines)}
    rounds_done: dict[str, list] = {name: [] for name in per_page}
    batch = []
    for _ in range(rounds):
        for name, (fn, inputs) in per_page.items():
            rounds_done[name].append([timed(fn, doc) for doc in inputs])  # (wall, cpu) per page
        batch.append(timed(model.predict_pages, lines))
    # per page, the least wall and the least cpu seconds over the rounds: (pages, 2) arrays
    best = {name: np.min(np.array(r), axis=0) for name, r in rounds_done.items()}
    best["render + linesift predict (per page)"] = best["render: resiliparse plain text"] + best["linesift predict (per page)"]
    totals = {name: t.sum(axis=0) for name, t in best.items()}
    totals["linesift predict (batch)"] = np.array(min(batch))
    print(f"timing: one process, one thread; each page's best of {rounds} rounds (batch: best of {rounds} batches)")
    print(f"{'method':38} {'ms/page':>8} {'cpu ms/page':>12} {'pages/s':>8} {'MB HTML/s':>10}")
    order = ["trafilatura.extract (HTML)", "resiliparse main content (HTML)", "render: resiliparse plain text",
             "linesift predict (batch)", "linesift predict (per page)", "render + linesift predict (per page)"]
    for name in order:
        wall, cpu = totals[name]
        print(f"{name:38} {1e3 * wall / len(rows):8.2f} {1e3 * cpu / len(rows):12.2f} {len(rows) / wall:8.1f} "
              f"{mb / wall:10.2f}")
    ours = ["linesift predict (batch)", "linesift predict (per page)", "render + linesift predict (per page)"]
    print(f"\npeer's time / ours{'':20}" + "".join(f"{o.replace('linesift ', ''):>28}" for o in ours))
    for peer in order[:2]:
        for k, clock in enumerate(("wall", "cpu")):
            print(f"{peer.split(' (')[0] + ', ' + clock:38}"
                  + "".join(f"{totals[peer][k] / totals[o][k]:27.1f}x" for o in ours))
    print(f"\nper source (ms/page, page by page){'':4}{'pages':>6} {'med KB':>7} {'trafilatura':>12} "
          f"{'resiliparse':>12} {'render+ours':>12} {'traf/ours':>10}")
    ours_pp = best["render + linesift predict (per page)"][:, 0]
    for source, idx in by_source.items():
        t, r, o = (1e3 * best[order[0]][idx, 0].sum(), 1e3 * best[order[1]][idx, 0].sum(), 1e3 * ours_pp[idx].sum())
        print(f"{source[:37]:37} {len(idx):6} {np.median([rows[i]['bytes'] for i in idx]) / 1e3:7.0f} "
              f"{t / len(idx):12.2f} {r / len(idx):12.2f} {o / len(idx):12.2f} {t / o:9.1f}x")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=1000, help="wcxb-dev pages to use (default 1000)")
    ap.add_argument("--model", default=str(ROOT / "models" / "default.joblib"))
    ap.add_argument("--html-dir", type=Path, help="time real HTML pages in DIR (bench/fetch_html.py) instead")
    ap.add_argument("--rounds", type=int, default=3, help="rounds per HTML page, best one kept (default 3)")
    ap.add_argument("--versus", metavar="MODEL",
                    help="instead of the peers: time --model against MODEL, alternating, on wcxb-dev pages")
    args = ap.parse_args(argv)

    print(f"machine: {os.cpu_count()} cores, {cpu_model()}; Python {platform.python_version()}, "
          f"numpy {np.__version__}, scikit-learn {sklearn.__version__}")
    print(f"compiled kernels (classifier._speedups): {kernels_status()}")
    print("peers: " + ", ".join(f"{name} {peer_version(name)}" for name in ("justext", "trafilatura", "resiliparse")))
    t0 = time.perf_counter()
    model = load_model(args.model)
    load_s = time.perf_counter() - t0
    print(f"model: {args.model} ({Path(args.model).stat().st_size / 1e6:.1f} MB), load {load_s:.2f}s")

    if args.versus:
        versus_bench(model, load_model(args.versus), args.versus, args.pages, args.rounds)
    elif args.html_dir:
        html_bench(model, args.html_dir.expanduser(), args.rounds)
    else:
        text_bench(model, args.pages)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS of this process: {rss:.0f} MB")
    return 0


def versus_bench(model, other, other_name: str, n_pages: int, rounds: int) -> None:
    """Two models on the same wcxb-dev pages (our test split without ../shared), batch and page
    by page, in alternating rounds (this machine's speed drifts between runs, so two separate
    runs do not compare two models); the best round of each is kept."""
    path = DATA / "wcxb-dev.jsonl.gz" if DATA.exists() else ROOT / "training_data" / "test.jsonl"
    lines = [p.lines for p in read_pages([path]) if p.lines][:n_pages]
    n_lines = sum(map(len, lines))
    best = {}
    for _ in range(rounds):
        for name, m in (("model", model), ("versus", other)):
            m.predict_proba_pages(lines[:5])
            for mode, fn in (("batch", lambda ps: m.predict_proba_pages(ps)),
                             ("per page", lambda ps: [m.predict_proba(p) for p in ps])):
                cpu = timed(fn, lines)[1]
                best[name, mode] = min(best.get((name, mode), cpu), cpu)
    print(f"\n{path.name}: {len(lines)} pages, {n_lines} lines; versus: {other_name}; "
          f"best of {rounds} alternating rounds, CPU seconds")
    for mode in ("batch", "per page"):
        ours, theirs = best["model", mode], best["versus", mode]
        print(f"{mode:9} model {ours:6.2f} s ({n_lines / ours:9,.0f} lines/s)   versus {theirs:6.2f} s "
              f"({n_lines / theirs:9,.0f} lines/s)   model time / versus time {ours / theirs:5.3f}")


def text_bench(model, n_pages: int) -> None:
    """Our predict and the peers on the lines of wcxb-dev and our test split, then one small page."""
    sets = [("our test split", [ROOT / "training_data" / "test.jsonl"])]
    if DATA.exists():
        sets.insert(0, ("wcxb-dev", [DATA / "wcxb-dev.jsonl.gz"]))
    for name, paths in sets:
        pages = [p for p in read_pages(paths) if p.lines][:n_pages]
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


if __name__ == "__main__":
    sys.exit(main())
