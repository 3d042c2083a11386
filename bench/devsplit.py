"""Out-of-fold P(content) on our train split: the dev predictions that label.py's uncertainty
band and sitememory.py's thresholds were chosen on (never the test split).

The bundled model has seen every train page, so its own scores there are in-sample and far too
confident. Instead each page is scored by a model trained on the other folds (5 folds grouped
by site, default Config, our train split only), which behaves like the bundled model on a site
it never saw. Results are cached (keyed by the corpus digest and the default Config, so a
changed recipe is recomputed) because the run takes ~5 minutes.

    python bench/devsplit.py            # compute (or reuse) the cache and print its path
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from classifier.corpus import corpus_sha256, read_pages  # noqa: E402
from classifier.model import Config, LineClassifier  # noqa: E402

TRAIN = ROOT / "training_data" / "train.jsonl"
CACHE = Path(os.environ.get("LINESIFT_BENCH_CACHE", Path(tempfile.gettempdir()) / "linesift-bench"))
FOLDS = 5


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def train_pages():
    return [p for p in read_pages([TRAIN]) if p.lines]


def fold_of_sites(pages, folds: int, seed: int) -> dict[str, int]:
    """Sites shuffled with the seed and dealt round-robin into folds."""
    sites = sorted({p.group for p in pages})
    order = np.random.RandomState(seed).permutation(len(sites))
    return {sites[j]: k % folds for k, j in enumerate(order)}


def score_out_of_fold(pages, folds: int = FOLDS, seed: int = 0, prefix: str = "",
                      sites: bool = False, config: dict | None = None) -> list[np.ndarray]:
    """P(content) per line of every page from a model trained on the other folds' sites (no cache).
    sites: predict each fold's pages with their site keys (the pages of a held-out site inform
    each other, as with `evaluate --site-memory`). config: Config fields to set besides the seed."""
    fold_of = fold_of_sites(pages, folds, seed)
    out: list = [None] * len(pages)
    for k in range(folds):
        t0 = time.perf_counter()
        fit = [p for p in pages if fold_of[p.group] != k]
        held = [i for i, p in enumerate(pages) if fold_of[p.group] == k]
        model = LineClassifier(Config(random_state=seed, **(config or {}))).fit(
            [p.lines for p in fit], [p.labels for p in fit], [p.group for p in fit],
            categories=[p.categories for p in fit])
        keys = [pages[i].group for i in held] if sites else None
        for i, pr in zip(held, model.predict_proba_pages([pages[i].lines for i in held], sites=keys)):
            out[i] = pr
        _log(f"{prefix}fold {k + 1}/{folds}: {len(held)} pages scored ({time.perf_counter() - t0:.0f}s)")
    return out


def _key(pages) -> str:
    """Cache key: the corpus and the recipe (the default Config's settings)."""
    recipe = hashlib.sha256(repr(Config()).encode("utf-8")).hexdigest()[:8]
    return f"{corpus_sha256(pages)[:16]}-{recipe}"


def oof_probs(pages, folds: int = FOLDS, seed: int = 0) -> list[np.ndarray]:
    """P(content) per line of every page from a model that never saw the page's site."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"oof-{_key(pages)}-{folds}-{seed}.npz"
    if path.exists():
        data = np.load(path)
        return [data[f"p{i}"] for i in range(len(pages))]
    out = score_out_of_fold(pages, folds, seed, prefix="dev ")
    np.savez_compressed(path, **{f"p{i}": pr for i, pr in enumerate(out)})
    return out


def train_only_model(seed: int = 0) -> LineClassifier:
    """The default recipe on our train split alone (no wcxb-dev): a model to which wcxb-dev is
    unseen, unlike the bundled model, which was trained on it."""
    from classifier.model import load_model, save_model
    pages = train_pages()
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"train-only-{_key(pages)}-{seed}.joblib"
    if not path.exists():
        t0 = time.perf_counter()
        model = LineClassifier(Config(random_state=seed)).fit(
            [p.lines for p in pages], [p.labels for p in pages], [p.group for p in pages],
            categories=[p.categories for p in pages])
        save_model(model, path, provenance="bench: train split only")
        _log(f"trained the train-split-only model ({time.perf_counter() - t0:.0f}s)")
    return load_model(path)


if __name__ == "__main__":
    oof_probs(train_pages())
    train_only_model()
    print(CACHE)
