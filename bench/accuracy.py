"""Accuracy benchmark: every accuracy number in the README comes from this script.

    python bench/accuracy.py                 # full run (about 16 min on 2 cores: two folds at a time)
    python bench/accuracy.py --folds 2       # quicker, coarser cross-validation
    python bench/accuracy.py --json bench/results/accuracy.json
    python bench/accuracy.py --model M       # another model; the cross-validation trains its recipe

What it measures (protocol in the README, "Validation protocol"):
1. wcxb-dev, domain-held-out: grouped k-fold cross-validation by meta.domain. Each fold trains
   the scored model's recipe (its Config: the shipped recipe for the bundled model) on the
   shipped data (our train split + readability + the other wcxb folds, our corpus weighted x5)
   and predicts the held-out domains. Reported overall and per page type.
2. The bundled model (models/default.joblib) on our bundled test split, on the out-of-source
   sets it never saw (l3s-gn1, dragnet, cleaneval) and on the seed page (lines right of 45).
Rows marked "+ sites" predict the same pages with their site keys (`evaluate --site-memory`:
pages of one site, or wcxb domain, inform each other); the baselines have no such mode.
Every row also shows the C4 line rule and keep-all (and jusText on the lines if installed) on
the same pages. Needs ../shared/data; nothing here is used by the tests.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import functools
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from baselines import c4_rule, justext_lines, keep_all  # noqa: E402
from classifier.corpus import read_pages  # noqa: E402
from classifier.evaluate import evaluate_pages  # noqa: E402
from classifier.labels import DEFAULT_THRESHOLD  # noqa: E402
from classifier.model import Config, LineClassifier, load_model  # noqa: E402

SHARED = ROOT.parent / "shared"
DATA = SHARED / "data"
OURS_WEIGHT = 5.0  # the shipped recipe: see the README's build command


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _baselines():
    out = {"c4-rule": lambda page: c4_rule(page.lines), "keep-all": lambda page: keep_all(page.lines)}
    try:
        import justext  # noqa: F401
        out["justext"] = lambda page: justext_lines(page.lines, page.meta.get("lang", "en"))
    except ImportError:
        pass
    return out


def _row(name: str, report) -> dict:
    o = report.overall
    return {"set": name, "pages": o["pages"], "lines": o["lines"], "content_f1": o["content"]["f1"],
            "content_precision": o["content"]["precision"], "content_recall": o["content"]["recall"],
            "accuracy": o["accuracy"], "shingle_f1": o["shingle"]["f1"]}


def score_all(name, pages, ours_probs, rows, group_key=None, baselines=True):
    """Score ours and (unless baselines is False) every baseline on the same pages; append table rows."""
    methods = {"linesift": ours_probs}
    for bname, fn in _baselines().items() if baselines else ():
        methods[bname] = [fn(p) for p in pages]
    for method, probs in methods.items():
        report = evaluate_pages(pages, probs, DEFAULT_THRESHOLD, (group_key,) if group_key else ())
        row = _row(name, report)
        row["method"] = method
        rows.append(row)
        for value, s in report.groups.get(group_key, {}).items() if group_key else ():
            rows.append({"set": f"{name} / {value}", "method": method, "pages": s["pages"],
                         "lines": s["lines"], "content_f1": s["content"]["f1"],
                         "content_precision": s["content"]["precision"],
                         "content_recall": s["content"]["recall"], "accuracy": s["accuracy"],
                         "shingle_f1": s["shingle"]["f1"]})


def recipe(model) -> Config:
    """The Config a model was trained with. A model pickled before a Config field existed gets
    that field's class default on loading, so the fields are set from what the model holds."""
    config = dataclasses.replace(model.config, overlap=bool(getattr(model, "overlap_", False)),
                                 overlap_copies=bool(getattr(model, "overlap_copies_", True)),
                                 page_gate=getattr(model, "page_min_", 0.0) > 0,
                                 site_columns=getattr(model, "site_model_", None) is not None)
    if getattr(model, "kind_coef_", None) is not None:  # it learned kinds: from which n-grams?
        config = dataclasses.replace(config, kinds=True, kind_chars=getattr(model, "kind_first_", 0) == 0)
    return config


@functools.lru_cache(maxsize=1)
def _cv_data(folds: int):
    """The shipped recipe's sources and the wcxb-dev domains' folds, read once per process (and
    not at all by forked workers, which inherit the parent's copy)."""
    ours = read_pages([ROOT / "training_data" / "train.jsonl"])
    readability = read_pages([DATA / "readability.jsonl.gz"])
    wcxb = read_pages([DATA / "wcxb-dev.jsonl.gz"])
    for p in wcxb:
        p.meta["kind"] = p.meta.get("page_type", "?")
    domains = sorted({p.group for p in wcxb})
    fold_of = {d: i % folds for i, d in enumerate(np.random.RandomState(0).permutation(domains))}
    return ours, readability, wcxb, fold_of


def _cv_fold(task):
    """Train on all but fold k, predict fold k's wcxb pages with and without their sites. Takes
    the data from _cv_data, so that it can run in a worker process."""
    k, folds, config = task
    t0 = time.perf_counter()
    ours, readability, wcxb, fold_of = _cv_data(folds)
    train = ours + readability + [p for p in wcxb if fold_of[p.group] != k]
    test_idx = [i for i, p in enumerate(wcxb) if fold_of[p.group] == k]
    weights = [OURS_WEIGHT if p.source == "linesift" else 1.0 for p in train]
    model = LineClassifier(config).fit([p.lines for p in train], [p.labels for p in train],
                                       [p.group for p in train], weights,
                                       categories=[p.categories for p in train])
    pages = [wcxb[i].lines for i in test_idx]
    probs = model.predict_proba_pages(pages)
    probs_sites = model.predict_proba_pages(pages, sites=[wcxb[i].group for i in test_idx])
    return k, test_idx, probs, probs_sites, time.perf_counter() - t0


def wcxb_cv(folds: int, rows: list, config: Config, jobs: int = 1) -> None:
    """Domain-grouped CV on wcxb-dev, `jobs` folds at a time (training runs on one thread, so the
    numbers are the same for any `jobs`)."""
    wcxb = _cv_data(folds)[2]
    probs = [None] * len(wcxb)
    probs_sites = [None] * len(wcxb)
    tasks = [(k, folds, config) for k in range(folds)]
    with ProcessPoolExecutor(jobs) if jobs > 1 else contextlib.nullcontext() as pool:
        for k, test_idx, fold_probs, fold_sites, seconds in (pool.map(_cv_fold, tasks) if pool
                                                              else map(_cv_fold, tasks)):
            for i, pr, pr_sites in zip(test_idx, fold_probs, fold_sites):
                probs[i], probs_sites[i] = pr, pr_sites
            _log(f"wcxb fold {k + 1}/{folds}: {len(test_idx)} held-out pages ({seconds:.0f}s)")
    score_all("wcxb-dev (domain CV)", wcxb, probs, rows, "kind")
    score_all("wcxb-dev (domain CV) + sites", wcxb, probs_sites, rows, None, baselines=False)


def bundled(rows: list, path: Path = ROOT / "models" / "default.joblib") -> None:
    model = load_model(path)
    sets = [("bundled test split", [ROOT / "training_data" / "test.jsonl"], "kind")]
    for name in ("l3s-gn1", "dragnet", "cleaneval"):
        sets.append((f"{name} (out-of-source)", [DATA / f"{name}.jsonl.gz"], None))
    for name, paths, key in sets:
        pages = [p for p in read_pages(paths) if p.lines]
        t0 = time.perf_counter()
        probs = model.predict_proba_pages([p.lines for p in pages])
        _log(f"{name}: {len(pages)} pages ({time.perf_counter() - t0:.1f}s)")
        score_all(name, pages, probs, rows, key)
        # pages grouped by site (site, meta.domain or URL host), as `evaluate --site-memory` does
        probs = model.predict_proba_pages([p.lines for p in pages], sites=[p.group for p in pages])
        score_all(f"{name} + sites", pages, probs, rows, key, baselines=False)
    seed = read_pages([SHARED / "seed" / "page.jsonl"])[0]
    pred = model.predict_proba(seed.lines) >= DEFAULT_THRESHOLD
    right = int(np.sum(pred == (np.asarray(seed.labels) == "content")))
    rows.append({"set": "seed page", "method": "linesift", "pages": 1, "lines": len(seed.lines),
                 "lines_right": right})
    for bname, fn in _baselines().items():
        right_b = int(np.sum((fn(seed) >= DEFAULT_THRESHOLD) == (np.asarray(seed.labels) == "content")))
        rows.append({"set": "seed page", "method": bname, "pages": 1, "lines": len(seed.lines),
                     "lines_right": right_b})


def print_table(rows: list) -> None:
    print(f"{'set':42} {'method':9} {'pages':>6} {'lines':>7} {'C-P':>6} {'C-R':>6} {'C-F1':>6} {'acc':>6} {'shingle':>7}")
    for r in rows:
        if "lines_right" in r:
            print(f"{r['set'][:42]:42} {r['method']:9} {r['pages']:>6} {r['lines']:>7}   {r['lines_right']}/{r['lines']} lines right")
            continue
        print(f"{r['set'][:42]:42} {r['method']:9} {r['pages']:>6} {r['lines']:>7} {r['content_precision']:6.3f} "
              f"{r['content_recall']:6.3f} {r['content_f1']:6.3f} {r['accuracy']:6.3f} {r['shingle_f1']:7.3f}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--folds", type=int, default=5, help="wcxb-dev cross-validation folds (default 5)")
    ap.add_argument("--jobs", type=int, default=2,
                    help="cross-validation folds trained at a time, one process each (default 2)")
    ap.add_argument("--skip-cv", action="store_true", help="only score the bundled model")
    ap.add_argument("--json", help="write the rows here")
    ap.add_argument("--model", type=Path, default=ROOT / "models" / "default.joblib",
                    help="the model scored on the fixed sets (default: the bundled one)")
    args = ap.parse_args(argv)
    if not DATA.exists():
        print(f"accuracy: {DATA} not found; this benchmark needs ../shared/data", file=sys.stderr)
        return 1
    rows: list = []
    bundled(rows, args.model)
    if not args.skip_cv:
        wcxb_cv(args.folds, rows, recipe(load_model(args.model)), max(1, args.jobs))
    print_table(rows)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
