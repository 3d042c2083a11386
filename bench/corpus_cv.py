"""Site-grouped cross-validation on the bundled TRAIN split: where the corpus errors are.

Each train page is scored by a model (default Config) trained on the other folds' sites, so no
site is ever scored by a model that saw its template. Prints content F1 / shingle F1 overall and
by page kind and language, then the line error rate per category (the generator's `categories`),
and the worst-scored lines of each category. The test split is never read: this is the
instrument for corpus and model choices.

    python bench/corpus_cv.py                       # 5 folds, seed 0
    python bench/corpus_cv.py --save oof.npz        # also keep the out-of-fold P(content)
    python bench/corpus_cv.py --load oof.npz        # re-print a saved run (same train.jsonl)
    python bench/corpus_cv.py --worst 8 --json cv.json
    python bench/corpus_cv.py --sites               # held-out pages predicted with their sites
    python bench/corpus_cv.py --overlap-copies      # the recipe up to model format 7
    python bench/corpus_cv.py --no-page-gate        # the recipe up to model format 8
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from classifier.corpus import corpus_sha256, read_pages  # noqa: E402
from classifier.evaluate import evaluate_pages  # noqa: E402
from classifier.labels import DEFAULT_THRESHOLD, Label  # noqa: E402
from devsplit import TRAIN, score_out_of_fold  # noqa: E402


def row(name: str, s: dict) -> str:
    c = s["content"]
    return (f"  {name[:22]:22} {s['pages']:>5} {s['lines']:>6} {c['precision']:6.3f} {c['recall']:6.3f} "
            f"{c['f1']:6.3f} {s['accuracy']:6.3f} {s['shingle']['f1']:8.3f}")


def category_table(pages, probs, threshold: float):
    """Per category: its label, lines, pages, wrong lines, error rate, and the wrong lines."""
    stats: dict = defaultdict(lambda: {"label": set(), "lines": 0, "pages": set(), "errors": []})
    for page, pr in zip(pages, probs):
        cats = page.categories or ["?"] * len(page.lines)
        for line, lab, cat, p in zip(page.lines, page.labels, cats, pr):
            s = stats[cat]
            s["label"].add(str(lab))
            s["lines"] += 1
            s["pages"].add(page.id)
            if (p >= threshold) != (lab == Label.CONTENT):
                s["errors"].append((abs(float(p) - (lab == Label.CONTENT)), page.id, line))
    return stats


def report(pages, probs, threshold: float, worst: int) -> dict:
    rep = evaluate_pages(pages, probs, threshold, group_by=("kind", "lang"))
    head = f"  {'':22} {'pages':>5} {'lines':>6} {'C-P':>6} {'C-R':>6} {'C-F1':>6} {'acc':>6} {'shingle':>8}"
    print(head)
    print(row("all", rep.overall))
    for key in ("kind", "lang"):
        print(f"by {key}:")
        for name, s in rep.groups.get(key, {}).items():
            print(row(name, s))
    stats = category_table(pages, probs, threshold)
    print("by category (label, lines, pages, wrong lines, error rate):")
    order = sorted(stats, key=lambda c: (-len(stats[c]["errors"]), c))
    for cat in order:
        s = stats[cat]
        print(f"  {cat:12} {'/'.join(sorted(s['label'])):12} {s['lines']:>6} {len(s['pages']):>5} "
              f"{len(s['errors']):>5} {len(s['errors']) / s['lines']:7.3f}")
    if worst:
        print(f"worst lines per category (|P(content) - label|, page, text), {worst} each:")
        for cat in order:
            errs = sorted(stats[cat]["errors"], key=lambda e: (-e[0], e[1], e[2]))[:worst]
            if errs:
                print(f"  [{cat}]")
                for gap, pid, line in errs:
                    print(f"    {gap:.2f} {pid:28} {line[:110]}")
    return {"overall": rep.overall, "groups": rep.groups,
            "categories": {c: {"label": sorted(s["label"]), "lines": s["lines"], "pages": len(s["pages"]),
                               "errors": len(s["errors"])} for c, s in stats.items()}}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", nargs="?", default=str(TRAIN), help="labelled pages (default: the train split)")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    ap.add_argument("--worst", type=int, default=5, help="worst lines printed per category")
    ap.add_argument("--save", help="write the out-of-fold P(content) to this .npz")
    ap.add_argument("--load", help="read out-of-fold P(content) from this .npz instead of training")
    ap.add_argument("--json", help="write the numbers to this JSON file")
    ap.add_argument("--sites", action="store_true",
                    help="predict each held-out site's pages together, with their site keys (--site-memory)")
    ap.add_argument("--overlap-copies", action="store_true",
                    help="train the recipe up to model format 7 (a line's copies count in its overlap columns)")
    ap.add_argument("--no-page-gate", dest="page_gate", action="store_false",
                    help="train without the page gate (the recipe up to model format 8)")
    args = ap.parse_args(argv)
    if "test.jsonl" in Path(args.data).name:
        ap.error("the test split is never used for choices; run this on train data")
    pages = [p for p in read_pages([args.data]) if p.lines]
    digest = corpus_sha256(pages)[:16]
    if args.load:
        data = np.load(args.load)
        if str(data["digest"]) != digest:
            ap.error(f"{args.load} was computed on other data (corpus {data['digest']}, now {digest})")
        probs = [data[f"p{i}"] for i in range(len(pages))]
    else:
        probs = score_out_of_fold(pages, args.folds, args.seed, sites=args.sites,
                                  config={"overlap_copies": args.overlap_copies, "page_gate": args.page_gate})
        if args.save:
            np.savez_compressed(args.save, digest=digest, **{f"p{i}": pr for i, pr in enumerate(probs)})
    print(f"{args.data}: {len(pages)} pages, {len({p.group for p in pages})} sites, corpus {digest}, "
          f"{args.folds} site-grouped folds, seed {args.seed}, threshold {args.threshold}"
          + (", with sites" if args.sites else ""))
    out = report(pages, probs, args.threshold, args.worst)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
