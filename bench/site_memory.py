"""Site memory (classifier/sitememory.py): choose its constants on dev data, then measure it.

The post-pass is what `sites=` does for a model WITHOUT a site model (made before
Config.site_columns, or trained with --no-site-columns); the bundled model reads the site
columns instead (`bench/corpus_cv.py --sites`, `bench/accuracy.py`'s "+ sites" rows). The rows
below apply the post-pass to plain predictions whatever the model holds.

    python bench/site_memory.py            # ~6 min the first time (dev predictions), then ~2 min

1. Dev (choosing): out-of-fold P(content) on our train split (bench/devsplit.py: 5 folds grouped
   by site), pages grouped by site. A grid over min_pages, min_share, shift and max_chars; the
   setting with the best mean of content F1 and shingle F1 wins. The test split is not used.
2. Measuring, with the constants in sitememory.py (not the grid's winner, in case they differ):
   - our bundled test split with the bundled model, grouped by site (overall and per site);
   - wcxb-dev grouped by meta.domain, with the bundled model (which was TRAINED on wcxb-dev, so
     its scores there are in-sample) and with a model trained on our train split alone (to which
     wcxb-dev is unseen). Most wcxb domains have one page, so only a few pages can be affected.
Prints content F1 and shingle F1 before -> after. Needs ../shared/data for the wcxb rows.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from devsplit import oof_probs, train_only_model, train_pages  # noqa: E402
from classifier import sitememory  # noqa: E402
from classifier.corpus import read_pages  # noqa: E402
from classifier.evaluate import evaluate_pages  # noqa: E402
from classifier.model import load_bundled  # noqa: E402

WCXB = ROOT.parent / "shared" / "data" / "wcxb-dev.jsonl.gz"
TEST = ROOT / "training_data" / "test.jsonl"
# A first, wider grid (min_pages 2/3/5, min_share 0.3-0.9, shift 1-8, max_chars None/200/80), run
# before the two-page minimum existed, put the best settings at min_share 0.3 (the lowest tried),
# shift 4, no length limit, any min_pages (every dev site has 7-8 pages); this grid looks around
# that point.
GRID = {"min_pages": [3], "min_share": [0.15, 0.2, 0.3, 0.4, 0.5], "shift": [2.0, 4.0, 6.0],
        "max_chars": [None, 200]}


def _scores(pages, probs):
    o = evaluate_pages(pages, probs, 0.5, ()).overall
    return o["content"]["f1"], o["shingle"]["f1"]


def _apply(pages, probs, **kw):
    return sitememory.apply_site_memory([p.lines for p in pages], probs, [p.group for p in pages], **kw)


def _row(name, pages, before, after):
    (cb, sb), (ca, sa) = _scores(pages, before), _scores(pages, after)
    changed = sum(int(np.sum((b >= 0.5) != (a >= 0.5))) for b, a in zip(before, after))
    print(f"{name[:34]:34} {len(pages):>5} {changed:>7}   {cb:.3f} -> {ca:.3f} ({ca - cb:+.3f})"
          f"   {sb:.3f} -> {sa:.3f} ({sa - sb:+.3f})")
    return ca - cb, sa - sb


def _header(title):
    print(f"\n{title}")
    print(f"{'':34} {'pages':>5} {'flipped':>7}   {'content F1 before -> after':27}   shingle F1 before -> after")


def choose(pages, probs) -> dict:
    base = _scores(pages, probs)
    results = []
    t0 = time.perf_counter()
    for values in itertools.product(*GRID.values()):
        kw = dict(zip(GRID, values))
        c, s = _scores(pages, _apply(pages, probs, **kw))
        results.append(((c + s) / 2, c, s, kw))
    results.sort(key=lambda r: -r[0])
    print(f"dev (out-of-fold on the train split, {len(pages)} pages, {len({p.group for p in pages})} sites): "
          f"without site memory content F1 {base[0]:.3f}, shingle F1 {base[1]:.3f}; "
          f"{len(results)} settings in {time.perf_counter() - t0:.0f}s; best five:")
    for mean, c, s, kw in results[:5]:
        print(f"  content F1 {c:.3f}  shingle F1 {s:.3f}  {kw}")
    chosen = {k: getattr(sitememory, k.upper()) for k in GRID}
    c, s = _scores(pages, _apply(pages, probs, **chosen))
    print(f"  in sitememory.py now: content F1 {c:.3f}  shingle F1 {s:.3f}  {chosen}")
    return results[0][3]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sites", type=int, default=8, help="per-site rows to show (largest changes)")
    args = parser.parse_args()

    dev = train_pages()
    choose(dev, oof_probs(dev))

    bundled = load_bundled()
    test = [p for p in read_pages([TEST]) if p.lines]
    before = bundled.predict_proba_pages([p.lines for p in test])
    after = _apply(test, before)
    _header("bundled test split, bundled model, grouped by site (8 pages per site)")
    _row("all", test, before, after)
    rows = []
    for site in sorted({p.group for p in test}):
        idx = [i for i, p in enumerate(test) if p.group == site]
        sub = [test[i] for i in idx]
        (cb, sb), (ca, sa) = (_scores(sub, [before[i] for i in idx]), _scores(sub, [after[i] for i in idx]))
        rows.append((abs(ca - cb) + abs(sa - sb), site, idx))
    helped = sum(1 for _, site, idx in rows
                 if _scores([test[i] for i in idx], [after[i] for i in idx])[1]
                 > _scores([test[i] for i in idx], [before[i] for i in idx])[1])
    hurt = sum(1 for _, site, idx in rows
               if _scores([test[i] for i in idx], [after[i] for i in idx])[1]
               < _scores([test[i] for i in idx], [before[i] for i in idx])[1])
    print(f"  sites with higher / lower shingle F1: {helped} / {hurt} of {len(rows)}; largest changes:")
    for _, site, idx in sorted(rows, key=lambda r: -r[0])[:args.sites]:
        _row("  " + site, [test[i] for i in idx], [before[i] for i in idx], [after[i] for i in idx])

    if not WCXB.exists():
        print(f"\n{WCXB} not found: wcxb-dev rows skipped")
        return 0
    wcxb = [p for p in read_pages([WCXB]) if p.lines]
    sizes = Counter(p.group for p in wcxb)
    hist = Counter(sizes.values())
    print(f"\nwcxb-dev: {len(wcxb)} pages, {len(sizes)} domains; pages per domain: "
          + ", ".join(f"{k}: {hist[k]} domains" for k in sorted(hist)))
    multi = [i for i, p in enumerate(wcxb) if sizes[p.group] >= sitememory.MIN_PAGES]
    print(f"  {len(multi)} pages are on domains with >= {sitememory.MIN_PAGES} pages (the only ones site memory can change)")
    for name, model in (("bundled model (trained on wcxb-dev: in-sample)", bundled),
                        ("train-split-only model (wcxb-dev unseen)", train_only_model())):
        before = model.predict_proba_pages([p.lines for p in wcxb])
        after = _apply(wcxb, before)
        _header(f"wcxb-dev grouped by meta.domain, {name}")
        _row("all pages", wcxb, before, after)
        _row(f"pages on domains with >= {sitememory.MIN_PAGES} pages", [wcxb[i] for i in multi],
             [before[i] for i in multi], [after[i] for i in multi])
        big = sorted((s for s in sizes if sizes[s] >= 5), key=lambda s: (-sizes[s], s))
        for site in big[:args.sites]:
            idx = [i for i, p in enumerate(wcxb) if p.group == site]
            _row("  " + site, [wcxb[i] for i in idx], [before[i] for i in idx], [after[i] for i in idx])
    return 0


if __name__ == "__main__":
    sys.exit(main())
