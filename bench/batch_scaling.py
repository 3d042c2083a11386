"""Batch CLI at scale: throughput and memory of `predict --jsonl -j N` on a big JSONL file.

    python bench/batch_scaling.py                  # 200 MB input, -j 1 and -j 2
    python bench/batch_scaling.py --mb 1000        # the 1 GB run quoted in the README
    python bench/batch_scaling.py --jobs 1,2,4
    python bench/batch_scaling.py --no-ceiling     # skip the side-by-side -j 1 runs
    python bench/batch_scaling.py --rounds 3       # every run 3 times in turn; the best of each

Builds the input by repeating real pages (../shared/data/wcxb-dev, or our test split when
../shared is absent) up to --mb megabytes, then runs the command line as a user would, once per
job count, writing gzipped output. Every 0.1 s it samples the process tree (the CLI and its
workers): the peak of the summed RSS, and of the summed PSS (shared pages split between the
processes that share them: what the tree really costs in RAM), and the peak RSS of the biggest
single process. Prints wall time, pages/s, lines/s, MB/s and the speed-up over the first job count.
Last, as the ceiling a -j N run can reach on this machine, it runs N independent `-j 1` processes
side by side, each on its share of the input (what N separate shell jobs would do).
On a shared virtual machine the speed drifts by 10-20% within minutes, so with --rounds R the
whole sequence runs R times in turn and each row shows its best round (the least wall time; the
memory peak of all rounds); every round's wall times are printed as it ends.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "wcxb-dev.jsonl.gz"


def _source_records() -> list[bytes]:
    path = DATA if DATA.exists() else ROOT / "training_data" / "test.jsonl"
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as fh:
        rows = []
        for raw in fh:
            obj = json.loads(raw)
            # what a user's scrape holds: the lines, an id, a url; no labels
            rows.append(json.dumps({"id": obj.get("id"), "url": obj.get("url"), "lines": obj["lines"]},
                                   ensure_ascii=False).encode("utf-8") + b"\n")
    return rows


def build_input(path: Path, mb: float) -> tuple[int, int]:
    rows = _source_records()
    target, size, pages, lines = mb * 1e6, 0, 0, 0
    counts = [len(json.loads(r)["lines"]) for r in rows]
    with open(path, "wb") as out:
        while size < target:
            for row, n in zip(rows, counts):
                out.write(row)
                size += len(row)
                pages += 1
                lines += n
                if size >= target:
                    break
    return pages, lines


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    todo.extend(int(c) for c in fh.read().split())
        except OSError:
            pass
    return out


def _memory(pid: int) -> tuple[int, int, int]:
    """(summed RSS, summed PSS, largest RSS) of the process tree, in kB."""
    rss = pss = largest = 0
    for p in _tree(pid):
        try:
            with open(f"/proc/{p}/smaps_rollup") as fh:
                for line in fh:
                    if line.startswith("Rss:"):
                        value = int(line.split()[1])
                        rss += value
                        largest = max(largest, value)
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1])
        except OSError:
            pass
    return rss, pss, largest


def run(cmds: list[list[str]]) -> dict:
    """Run the commands side by side; wall time until the last ends, peak memory of all of them."""
    t0 = time.perf_counter()
    procs = [subprocess.Popen(cmd, stderr=subprocess.PIPE) for cmd in cmds]
    peak = [0, 0, 0]
    while any(proc.poll() is None for proc in procs):
        samples = [_memory(proc.pid) for proc in procs]
        now = [sum(s[0] for s in samples), sum(s[1] for s in samples), max(s[2] for s in samples)]
        peak = [max(a, b) for a, b in zip(peak, now)]
        time.sleep(0.1)
    seconds = time.perf_counter() - t0
    for cmd, proc in zip(cmds, procs):
        err = proc.stderr.read().decode()
        if proc.returncode:
            raise SystemExit(f"{' '.join(cmd)} failed:\n{err}")
    return {"seconds": seconds, "rss_mb": peak[0] / 1024, "pss_mb": peak[1] / 1024,
            "largest_rss_mb": peak[2] / 1024}


def split_input(src: Path, parts: int) -> list[Path]:
    """src cut into `parts` files of consecutive records, about equal in bytes."""
    size, paths = src.stat().st_size, [src.with_name(f"part{k}.jsonl") for k in range(parts)]
    outs = [open(p, "wb") for p in paths]
    done = 0
    with open(src, "rb") as fh:
        for raw in fh:
            outs[min(done * parts // size, parts - 1)].write(raw)
            done += len(raw)
    for out in outs:
        out.close()
    return paths


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=200, help="input size in MB (default 200)")
    ap.add_argument("--jobs", default="1,2", help="job counts to run (default 1,2)")
    ap.add_argument("--model", help="model file (default: the bundled model)")
    ap.add_argument("--no-ceiling", dest="ceiling", action="store_false",
                    help="skip the run of independent single-process jobs side by side")
    ap.add_argument("--rounds", type=int, default=1, help="run everything this many times in turn; "
                    "report each run's best round (default 1)")
    args = ap.parse_args(argv)
    jobs = [int(j) for j in args.jobs.split(",")]
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    print(f"machine: {os.cpu_count()} cores, {cpu}; Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "pages.jsonl"
        pages, lines = build_input(src, args.mb)
        mb = src.stat().st_size / 1e6
        print(f"input: {pages:,} pages, {lines:,} lines, {mb:,.0f} MB of JSONL")
        first = None

        def report(label: str, r: dict) -> None:
            nonlocal first
            first = first or r["seconds"]
            print(f"{label:>7} {r['seconds']:>8.1f} {pages / r['seconds']:>9,.0f} {lines / r['seconds']:>10,.0f} "
                  f"{mb / r['seconds']:>6.1f} {first / r['seconds']:>7.2f}x {r['rss_mb']:>10,.0f} "
                  f"{r['pss_mb']:>10,.0f} {r['largest_rss_mb']:>10,.0f}", flush=True)

        def command(inp: Path, out: Path, j: int) -> list[str]:
            return [sys.executable, "-m", "classifier", "predict", "--jsonl", str(inp), "-o", str(out),
                    "-j", str(j), "--no-progress"] + (["--model", args.model] if args.model else [])

        runs = {str(j): [command(src, Path(tmp) / f"out{j}.jsonl.gz", j)] for j in jobs}
        n = max(jobs)
        if args.ceiling and n > 1:
            # The machine's own ceiling for this work: n independent single-process runs, each on
            # its share of the input, side by side (no coordinating process, no pipes). Linear
            # scaling of -j n means matching this row, not n times the first one.
            parts = split_input(src, n)
            runs[f"{n}x-j1"] = [command(p, p.with_suffix(".out.gz"), 1) for p in parts]
        results: dict[str, list[dict]] = {label: [] for label in runs}
        for k in range(args.rounds):
            for label, cmds in runs.items():
                results[label].append(run(cmds))
            if args.rounds > 1:
                print(f"round {k + 1}: " + ", ".join(f"{label} {r[-1]['seconds']:.1f} s" for label, r in results.items()),
                      flush=True)
        print(f"{'workers':>7} {'wall s':>8} {'pages/s':>9} {'lines/s':>10} {'MB/s':>6} {'speed-up':>8} "
              f"{'RSS sum MB':>10} {'PSS sum MB':>10} {'max RSS MB':>10}")
        for label, rs in results.items():
            best = min(rs, key=lambda r: r["seconds"])
            report(label, dict(best, **{key: max(r[key] for r in rs) for key in ("rss_mb", "pss_mb", "largest_rss_mb")}))
        if f"{n}x-j1" in results:
            print(f"({n}x-j1: {n} independent `-j 1` runs on {n} slices of the input at the same time)")
        if args.rounds > 1:
            print(f"(best of {args.rounds} rounds each; memory: the peak over all rounds)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
