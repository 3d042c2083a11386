"""Ablation and speed/accuracy trade-offs of the shipped recipe, on a dev split (never the test split).

    python bench/ablation.py                         # every variant (about 5 min each on 2 cores)
    python bench/ablation.py --only base,trees50     # some of them
    python bench/ablation.py --json bench/results/ablation.json
    python bench/ablation.py --only base --thresholds 0.3,0.4   # base also scored at 0.3 and 0.4

Data: the shipped recipe's sources (our train split weighted x5, wcxb-dev, readability). Dev
split: a fifth of the sites (wcxb: domains), chosen by --seed, held out; every variant trains on
the other sites and is scored on the held-out ones: line content F1 and shingle F1, overall and
per source, and prediction speed (CPU seconds, one thread, so that other jobs on the machine
disturb it less). Lines are labelled at labels.DEFAULT_THRESHOLD unless a variant says otherwise.
"pass 1 only" and the threshold variants score the base model (so they need `base` in the same
run). The stacking variants (pass3, hmm, pagefeat; bench/stacking.py) share one pass-1
training. Needs ../shared/data; nothing here is used by the tests.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from classifier.corpus import read_pages  # noqa: E402
from classifier.evaluate import evaluate_pages  # noqa: E402
from classifier.features import SHAPE_NAMES, shape_features  # noqa: E402
from classifier.labels import DEFAULT_THRESHOLD  # noqa: E402
from classifier.model import Config, LineClassifier  # noqa: E402
from stacking import Stack  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
OURS_WEIGHT = 5.0  # as in the README's build command

#: name -> (description, Config overrides, per-source weight of our corpus)
VARIANTS = {
    "base": ("shipped recipe", {}, OURS_WEIGHT),
    "base_rs1": ("shipped recipe, training seed (Config.random_state) 1", {"random_state": 1}, OURS_WEIGHT),
    "base_rs2": ("shipped recipe, training seed (Config.random_state) 2", {"random_state": 2}, OURS_WEIGHT),
    "nokinds": ("no line kinds (Config.kinds off: the bundled recipe of 2026-11-27 evening)", {"kinds": False},
                OURS_WEIGHT),
    "nokinds_rs1": ("no line kinds, training seed 1", {"kinds": False, "random_state": 1}, OURS_WEIGHT),
    "nokinds_rs2": ("no line kinds, training seed 2", {"kinds": False, "random_state": 2}, OURS_WEIGHT),
    "nooverlap": ("no overlap columns and no line kinds (the recipe before 2026-11-27 evening)",
                  {"overlap": False, "kinds": False}, OURS_WEIGHT),
    "nooverlap_rs1": ("no overlap columns, no line kinds, training seed 1",
                      {"overlap": False, "kinds": False, "random_state": 1}, OURS_WEIGHT),
    "nooverlap_rs2": ("no overlap columns, no line kinds, training seed 2",
                      {"overlap": False, "kinds": False, "random_state": 2}, OURS_WEIGHT),
    "copies": ("a line's copies on its page count in its overlap columns (Config.overlap_copies: the recipe up "
               "to model format 7)", {"overlap_copies": True}, OURS_WEIGHT),
    "copies_rs1": ("copies count in the overlap columns, training seed 1", {"overlap_copies": True, "random_state": 1},
                   OURS_WEIGHT),
    "copies_rs2": ("copies count in the overlap columns, training seed 2", {"overlap_copies": True, "random_state": 2},
                   OURS_WEIGHT),
    "kwords": ("line kinds read word n-grams and shape only (Config(kinds=True, kind_chars=False): the shipped "
               "recipe since 2026-11-27 night, i.e. base)", {"kinds": True, "kind_chars": False}, OURS_WEIGHT),
    "kwords_rs1": ("word-only line kinds, training seed 1", {"kinds": True, "kind_chars": False, "random_state": 1},
                   OURS_WEIGHT),
    "kwords_rs2": ("word-only line kinds, training seed 2", {"kinds": True, "kind_chars": False, "random_state": 2},
                   OURS_WEIGHT),
    "kchars": ("line kinds also read the char n-grams (Config.kind_chars, `train --kind-chars`)",
               {"kind_chars": True}, OURS_WEIGHT),
    "kchars_rs1": ("line kinds with char n-grams, training seed 1", {"kind_chars": True, "random_state": 1},
                   OURS_WEIGHT),
    "kchars_rs2": ("line kinds with char n-grams, training seed 2", {"kind_chars": True, "random_state": 2},
                   OURS_WEIGHT),
    "bits20": ("hash space 2**20 per block instead of 2**18", {"n_features": 2**20}, OURS_WEIGHT),
    "bits20_rs1": ("hash space 2**20, training seed 1", {"n_features": 2**20, "random_state": 1}, OURS_WEIGHT),
    "bits20_rs2": ("hash space 2**20, training seed 2", {"n_features": 2**20, "random_state": 2}, OURS_WEIGHT),
    "pass1": ("pass 1 only (no context pass)", {}, OURS_WEIGHT),
    "unweighted": ("our corpus not up-weighted", {}, 1.0),
    "trees50": ("context pass: 50 trees, learning rate 0.3", {"trees": 50, "learning_rate": 0.3}, OURS_WEIGHT),
    "trees30": ("context pass: 30 trees, learning rate 0.4", {"trees": 30, "learning_rate": 0.4}, OURS_WEIGHT),
    "chars234": ("char n-grams of 2-4 (no single characters)", {"char_orders": (2, 3, 4)}, OURS_WEIGHT),
    "nochars": ("no char n-grams (words and shape only)", {"char_orders": ()}, OURS_WEIGHT),
    "prefix100": ("n-grams over the first 100 characters", {"prefix": 100}, OURS_WEIGHT),
    "nochars_p100": ("no char n-grams, words over the first 100 characters",
                     {"char_orders": (), "prefix": 100}, OURS_WEIGHT),
    "thr50": ("shipped recipe, lines labelled at P >= 0.5", {}, OURS_WEIGHT),
    "thr40": ("shipped recipe, lines labelled at P >= 0.4", {}, OURS_WEIGHT),
    "thr30": ("shipped recipe, lines labelled at P >= 0.3", {}, OURS_WEIGHT),
    "pass3": ("pass 3: trees over out-of-fold pass-2 probabilities in context", {}, OURS_WEIGHT),
    "hmm": ("2-state HMM smoothing of pass-2 probabilities", {}, OURS_WEIGHT),
    "pagefeat": ("pass 2 plus run / biggest-block / headline features", {}, OURS_WEIGHT),
    "lowkinds": ("wcxb listing and collection pages weighted 0.5", {}, OURS_WEIGHT),
    "lenw": ("pass-2 training lines weighted by their length in characters ** 0.5", {}, OURS_WEIGHT),
    "lenw_rs1": ("pass-2 lines weighted by length ** 0.5, training seed 1", {"random_state": 1}, OURS_WEIGHT),
    "lenw_rs2": ("pass-2 lines weighted by length ** 0.5, training seed 2", {"random_state": 2}, OURS_WEIGHT),
    "msl200": ("pass-2 trees: at least 200 lines per leaf (scikit-learn's default 20)", {}, OURS_WEIGHT),
    "msl200_rs1": ("pass-2 trees: 200 lines per leaf, training seed 1", {"random_state": 1}, OURS_WEIGHT),
    "msl200_rs2": ("pass-2 trees: 200 lines per leaf, training seed 2", {"random_state": 2}, OURS_WEIGHT),
}
#: Per-variant weights of pages by wcxb page type (meta.page_type), on top of the source weight.
KIND_WEIGHTS = {"lowkinds": {"listing": 0.5, "collection": 0.5}}
#: Variants that relabel the base model's probabilities at another threshold.
THRESHOLDS = {"thr50": 0.5, "thr40": 0.4, "thr30": 0.3}
#: Variants that change the pass-2 training without a Config field (measured, not adopted):
#: HistGradientBoosting parameters, and a power of each line's length in characters (clipped to
#: 1..400, normalised to mean 1) multiplied into the line weights, as shingle F1 counts words.
TREE_PARAMS = {f"msl200{s}": {"min_samples_leaf": 200} for s in ("", "_rs1", "_rs2")}
LENGTH_POWER = {f"lenw{s}": 0.5 for s in ("", "_rs1", "_rs2")}
STACKING = ("pass3", "hmm", "pagefeat")


#: A pass-2 array's log1p(characters) column: context.context_features puts 7 columns (scores,
#: position, page length, repeats) before the line's shape columns.
_LOG_CHARS = 7 + SHAPE_NAMES.index("log_chars")


class _LengthWeighted:
    """Fits `trees` with each line's weight times its length ** power (bench only)."""

    def __init__(self, trees, power: float):
        self.trees = trees
        self.power = power

    def fit(self, X, y, sample_weight=None):
        factor = np.clip(np.expm1(X[:, _LOG_CHARS]), 1, 400) ** self.power
        factor /= factor.mean()
        return self.trees.fit(X, y, sample_weight=factor if sample_weight is None else sample_weight * factor)


class _Variant(LineClassifier):
    """The shipped classifier with another pass-2 training (TREE_PARAMS, LENGTH_POWER)."""

    def __init__(self, config: Config = Config(), tree_params=None, length_power: float = 0.0):
        super().__init__(config)
        self.tree_params = tree_params
        self.length_power = length_power

    def _context_model(self):
        trees = super()._context_model().set_params(**(self.tree_params or {}))
        return _LengthWeighted(trees, self.length_power) if self.length_power else trees


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def dev_split(pages, seed: int):
    sites = sorted({p.group for p in pages})
    held = set(np.random.RandomState(seed).permutation(sites)[: max(1, len(sites) // 5)].tolist())
    return [p for p in pages if p.group not in held], [p for p in pages if p.group in held]


def pass1_proba(model: LineClassifier, pages) -> list[np.ndarray]:
    out = []
    for page in pages:
        lines = page.lines
        score = model.features_.score(lines, model.line_model_.coef_[0], model.line_model_.intercept_[0],
                                      shape_features(lines)) if lines else np.zeros(0)
        p = 1.0 / (1.0 + np.exp(-np.clip(score, -30, 30)))
        out.append(np.where([bool(s.strip()) for s in lines], p, 0.0) if lines else p)
    return out


def row(name: str, desc: str, report, seconds: float, n_lines: int) -> dict:
    o = report.overall
    out = {"variant": name, "what": desc, "content_f1": o["content"]["f1"], "shingle_f1": o["shingle"]["f1"],
           "lines_per_cpu_s": n_lines / seconds if seconds else None}
    for source, stats in sorted(report.groups.get("source", {}).items()):
        out[f"{source}_f1"] = stats["content"]["f1"]
        out[f"{source}_shingle"] = stats["shingle"]["f1"]
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", help="comma-separated variant names (default: all): " + ",".join(VARIANTS))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", help="write the rows here")
    ap.add_argument("--thresholds", type=lambda v: [float(t) for t in v.split(",")], default=[],
                    help="comma-separated: also score every variant at these thresholds (rows NAME@T)")
    args = ap.parse_args(argv)
    names = args.only.split(",") if args.only else list(VARIANTS)
    unknown = [n for n in names if n not in VARIANTS]
    if unknown:
        ap.error(f"unknown variant(s): {', '.join(unknown)}")
    if not DATA.exists():
        ap.error(f"{DATA} is missing")
    pages = [p for p in read_pages([ROOT / "training_data" / "train.jsonl", DATA / "wcxb-dev.jsonl.gz",
                                    DATA / "readability.jsonl.gz"]) if p.lines]
    fit_pages, dev_pages = dev_split(pages, args.seed)
    n_dev = sum(len(p.lines) for p in dev_pages)
    _log(f"train {len(fit_pages)} pages, dev {len(dev_pages)} pages ({n_dev} lines) of held-out sites")
    rows, base, stack = [], None, None
    for name in names:
        desc, overrides, ours = VARIANTS[name]
        threshold = THRESHOLDS.get(name, DEFAULT_THRESHOLD)
        if name == "pass1" or name in THRESHOLDS:
            if base is None:
                _log(f"{name} needs the base variant first; skipped")
                continue
            model = base
        elif name in STACKING:
            if stack is None:
                t0 = time.perf_counter()
                weights = [ours if p.source == "linesift" else 1.0 for p in fit_pages]
                stack = Stack(Config(), [p.lines for p in fit_pages], [p.labels for p in fit_pages],
                              [p.group for p in fit_pages], weights)
                _log(f"stacking: pass 1 and 2 trained in {time.perf_counter() - t0:.0f}s")
        else:
            t0 = time.perf_counter()
            config = dataclasses.replace(Config(), **overrides)
            kinds = KIND_WEIGHTS.get(name, {})
            weights = [(ours if p.source == "linesift" else 1.0) * kinds.get(p.meta.get("page_type"), 1.0)
                       for p in fit_pages]
            model = _Variant(config, TREE_PARAMS.get(name), LENGTH_POWER.get(name, 0.0)).fit(
                [p.lines for p in fit_pages], [p.labels for p in fit_pages], [p.group for p in fit_pages], weights,
                categories=[p.categories for p in fit_pages])
            _log(f"{name}: trained in {time.perf_counter() - t0:.0f}s")
            if name == "base":
                base = model
        if name == "pass1":
            predict = lambda ps: pass1_proba(model, ps)  # noqa: E731
        elif name in STACKING:
            predict = lambda ps: stack.predict(name, [p.lines for p in ps])  # noqa: E731
        else:
            predict = lambda ps: model.predict_proba_pages([p.lines for p in ps])  # noqa: E731
        t0 = time.perf_counter()
        predict(dev_pages[:3])  # also trains a stacking variant's own later pass
        _log(f"{name}: warm-up / extra training {time.perf_counter() - t0:.0f}s")
        t0 = time.process_time()
        probs = predict(dev_pages)
        seconds = time.process_time() - t0
        report = evaluate_pages(dev_pages, probs, threshold, ("source",))
        rows.append(row(name, desc, report, seconds, n_dev))
        r = rows[-1]
        _log(f"{name}: content F1 {r['content_f1']:.3f}, shingle F1 {r['shingle_f1']:.3f}, "
             f"{r['lines_per_cpu_s']:,.0f} lines per CPU second")
        for t in args.thresholds:
            rows.append(row(f"{name}@{t:g}", f"{desc}, lines labelled at P >= {t:g}",
                            evaluate_pages(dev_pages, probs, t, ("source",)), seconds, n_dev))
    keys = [k for k in rows[0] if k != "what"] if rows else []
    print("| " + " | ".join(keys) + " |")
    print("|" + "---|" * len(keys))
    for r in rows:
        print("| " + " | ".join(f"{r[k]:.3f}" if isinstance(r[k], float) and r[k] < 10 else
                                f"{r[k]:,.0f}" if isinstance(r[k], float) else str(r[k]) for k in keys) + " |")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
