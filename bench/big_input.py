"""Time and memory of the bundled model on oversized input: one huge line, one huge page.

    python bench/big_input.py            # all cases, each in a fresh process
    python bench/big_input.py --case million-short

Prints, per case, the seconds predict_proba takes and the process's peak RSS before and after
(model loaded and input built before timing). Every page is invented text.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PROSE = "The river rose overnight and the ferry crews waited at the quay until the water fell. "
CASES = {
    "10mb-line": lambda: ["Home", (PROSE * (10_000_000 // len(PROSE) + 1))[:10_000_000], "Share"],
    "million-short": lambda: ["Home", "Share", "", "Next"] * 250_000,
    "million-mixed": lambda: ["Home", PROSE.strip(), "", "Share", "Volunteers stacked sandbags."] * 200_000,
}


def run(case: str) -> None:
    from classifier.model import load_bundled

    model = load_bundled()
    page = CASES[case]()
    model.predict_proba(["warm", "up"])
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    probs = model.predict_proba(page)
    seconds = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    chars = sum(map(len, page))
    print(f"{case:<15} {len(probs):>9} lines {chars / 1e6:>6.1f} M chars {seconds:>7.2f} s "
          f"peak RSS {before:>6.0f} -> {after:>6.0f} MB")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--case", choices=sorted(CASES))
    args = ap.parse_args(argv)
    if args.case:
        run(args.case)
        return 0
    for case in CASES:  # a fresh process each, so one case's peak does not hide the next
        subprocess.run([sys.executable, __file__, "--case", case], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
