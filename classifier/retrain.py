"""Retraining on a user's pages: the base corpus, held-out folds, and the before/after table.

`train` adds the bundled train split to the user's data (``--base bundled``, the default) and,
unless ``--no-validate``, measures what retraining changed:

1. On the user's pages, held out BY PAGE: the user's pages are dealt into HOLDOUT_FOLDS folds
   (a seeded permutation); each fold is scored by a model trained on the base plus the other
   folds, and by the previous model. A user's pages usually come from one site, so a split by
   site is impossible; a page split tells how well the model now does on further pages of the
   same sites. Without a base (or when the base adds nothing) a fifth of the sites is held out
   instead, as `train` always did.
2. On the bundled test set: the previous model vs the new model trained on everything. Test
   pages that are also in the training data are left out (and counted), so a user who trains
   on test-set pages does not score them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np

from .corpus import Page
from .evaluate import evaluate_pages

__all__ = ["HOLDOUT_FOLDS", "content_key", "add_base", "holdout_folds", "compare_rows", "format_comparison"]

#: Folds for holding out the user's pages by page: each costs one extra training run. 3 keeps
#: the run at ~4x one training while every page is scored by a model that did not see it.
HOLDOUT_FOLDS = 3


def content_key(page: Page) -> str:
    """Identity of a page for de-duplication: its lines (not its id or file)."""
    return json.dumps(page.lines, ensure_ascii=False)


def add_base(user: list[Page], base: list[Page]) -> tuple[list[Page], int, int]:
    """base + user pages, without base pages the user's data already holds.

    Returns (pages, number of base pages added, number skipped as duplicates)."""
    have = {content_key(p) for p in user}
    added = [p for p in base if content_key(p) not in have]
    return added + list(user), len(added), len(base) - len(added)


def holdout_folds(pages: Sequence[Page], n_base: int, seed: int,
                  folds: int = HOLDOUT_FOLDS) -> tuple[list[tuple[list[int], list[int]]], str]:
    """Train/held-out index pairs for the validation runs, and a description of them.

    pages: base pages first (`n_base` of them), then the user's. With a base and at least two
    user pages: user pages held out by page in up to `folds` folds (base always trained on).
    Otherwise: one fold of a fifth of the sites (none if there is a single site).
    """
    rng = np.random.RandomState(seed)
    user = list(range(n_base, len(pages)))
    if n_base and len(user) >= 2:
        k = min(folds, len(user))
        order = [user[i] for i in rng.permutation(len(user))]
        out = []
        for f in range(k):
            held = sorted(order[f::k])
            heldset = set(held)
            out.append(([i for i in range(len(pages)) if i not in heldset], held))
        return out, f"your pages, held out by page ({k} folds)"
    sites = sorted({p.group for p in pages})
    if len(sites) < 2:
        return [], "held-out sites"
    held_sites = set(rng.permutation(sites)[: max(1, len(sites) // 5)].tolist())
    held = [i for i, p in enumerate(pages) if p.group in held_sites]
    fit = [i for i, p in enumerate(pages) if p.group not in held_sites]
    return [(fit, held)], "held-out sites"


def _scores(pages, probs, threshold):
    o = evaluate_pages(pages, probs, threshold, ()).overall
    return {"content_f1": o["content"]["f1"], "shingle_f1": o["shingle"]["f1"]}


def compare_rows(name: str, pages: Sequence[Page], before: Sequence[np.ndarray],
                 after: Sequence[np.ndarray], threshold: float) -> dict:
    """One before/after row: content F1 and shingle F1 of both models on the same pages."""
    return {"set": name, "pages": len(pages), "before": _scores(pages, before, threshold),
            "after": _scores(pages, after, threshold)}


def format_comparison(rows: list[dict], before_name: str) -> str:
    """The before/after table `train` prints."""
    width = max([len(r["set"]) for r in rows] + [8])
    out = [f"before = {before_name}, after = the new model",
           f"{'':{width}} {'pages':>5}   {'content F1 before -> after':28}   shingle F1 before -> after"]
    for r in rows:
        cells = []
        for key in ("content_f1", "shingle_f1"):
            b, a = r["before"][key], r["after"][key]
            cells.append(f"{b:.3f} -> {a:.3f} ({a - b:+.3f})")
        out.append(f"{r['set']:{width}} {r['pages']:>5}   {cells[0]:28}   {cells[1]}")
    return "\n".join(out)
