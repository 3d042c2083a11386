"""What predicting with sites costs: CPU time of the bundled model with and without `sites=`.

    python bench/site_speed.py            # ~1 min; needs ../shared/data for the wcxb-dev row

Each set is predicted whole, alternately without and with each page's site (Page.group: site,
meta.domain or URL host), three rounds; prints lines per CPU second and the ratio. With sites
the site columns are computed in Python and the lines of pages with site mates go through the
site model instead of the plain one.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from classifier.corpus import read_pages  # noqa: E402
from classifier.model import load_bundled  # noqa: E402

SETS = [("bundled test split", ROOT / "training_data" / "test.jsonl"),
        ("wcxb-dev", ROOT.parent / "shared" / "data" / "wcxb-dev.jsonl.gz")]
ROUNDS = 3


def main() -> int:
    model = load_bundled()
    for name, path in SETS:
        if not path.exists():
            print(f"{name}: {path} not found, skipped")
            continue
        found = read_pages([path])
        pages, sites = [p.lines for p in found], [p.group for p in found]
        lines = sum(map(len, pages))
        model.predict_proba_pages(pages[:20])  # warm-up: kernels, caches
        model.predict_proba_pages(pages[:20], sites=sites[:20])
        plain = with_sites = 0.0
        for _ in range(ROUNDS):
            t = time.process_time()
            model.predict_proba_pages(pages)
            plain += time.process_time() - t
            t = time.process_time()
            model.predict_proba_pages(pages, sites=sites)
            with_sites += time.process_time() - t
        size = Counter(sites)
        mates = sum(1 for s in sites if size[s] > 1)
        print(f"{name}: {len(pages)} pages ({mates} with site mates), {lines} lines: "
              f"{lines * ROUNDS / plain:,.0f} lines/CPU-s without sites, "
              f"{lines * ROUNDS / with_sites:,.0f} with sites ({with_sites / plain:.2f}x the time)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
