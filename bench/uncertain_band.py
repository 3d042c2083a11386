"""Where label.UNCERTAIN_BAND comes from: for candidate bands, the share of lines a person must
review and the share of the model's line errors the review covers.

    python bench/uncertain_band.py     # uses bench/devsplit.py's out-of-fold predictions

Dev data only: out-of-fold P(content) on our train split (5 folds grouped by site), which
behaves like the bundled model on a site it has not seen. Blank lines are left out (never marked).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from devsplit import oof_probs, train_pages  # noqa: E402
from classifier.label import UNCERTAIN_BAND  # noqa: E402
from classifier.labels import Label  # noqa: E402

BANDS = [(0.3, 0.7), (0.2, 0.8), (0.15, 0.85), (0.1, 0.9), (0.05, 0.95), (0.1, 0.8), (0.2, 0.9)]


def main() -> int:
    pages = train_pages()
    probs = oof_probs(pages)
    keep = np.concatenate([[bool(line.strip()) for line in p.lines] for p in pages])
    p = np.concatenate(probs)[keep]
    y = np.concatenate([np.asarray(pg.labels) == Label.CONTENT for pg in pages])[keep]
    wrong = (p >= 0.5) != y
    print(f"dev: {len(pages)} pages, {p.size} non-blank lines, {int(wrong.sum())} line errors "
          f"({wrong.mean():.1%}) at threshold 0.5")
    print(f"{'band':>12} {'lines marked':>13} {'errors marked':>14} {'error rate outside':>19}")
    for low, high in sorted(set(BANDS) | {UNCERTAIN_BAND}):
        inside = (p >= low) & (p < high)
        flag = " <- UNCERTAIN_BAND" if (low, high) == UNCERTAIN_BAND else ""
        print(f"{low:>5}-{high:<6} {inside.mean():>13.1%} {wrong[inside].sum() / max(wrong.sum(), 1):>14.1%} "
              f"{wrong[~inside].mean():>19.2%}{flag}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
