"""Scoring predictions against labelled pages: line metrics, the shingle text metric, reports.

Line metrics count every labelled line once. The text metric follows the ScrapingHub
article-extraction-benchmark: the extracted text and the gold text are cut into 4-token shingles;
per page, precision = |pred ∩ gold| / |pred| and recall = |pred ∩ gold| / |gold| (multisets);
precision and recall are averaged over pages and F1 is taken from those averages. A page whose
gold and prediction are both empty scores 1. Tokens are runs of word characters, except that
Chinese/Japanese/Korean characters count one token each (they have no spaces between words).

>>> round(shingle_scores("a b c d e", "a b c d e")[2], 2)
1.0
>>> shingle_scores("", "")
(1.0, 1.0, 1.0)
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from .corpus import Page
from .labels import Label

__all__ = ["shingle_scores", "line_scores", "Report", "evaluate_pages"]

_TOKEN = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]|[^\W\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]+")
SHINGLE = 4  # ScrapingHub's shingle size
WORST_PAGES = 10


def _shingles(text: str) -> Counter:
    tokens = _TOKEN.findall(text.lower())
    if len(tokens) < SHINGLE:  # short texts: the whole token run is the only shingle
        return Counter([tuple(tokens)]) if tokens else Counter()
    return Counter(tuple(tokens[i:i + SHINGLE]) for i in range(len(tokens) - SHINGLE + 1))


def shingle_scores(pred: str, gold: str) -> tuple[float, float, float]:
    """(precision, recall, F1) of one page's extracted text against its gold text."""
    p, g = _shingles(pred), _shingles(gold)
    if not p and not g:
        return 1.0, 1.0, 1.0
    overlap = sum((p & g).values())
    prec = overlap / sum(p.values()) if p else 0.0
    rec = overlap / sum(g.values()) if g else 0.0
    # an empty gold with a non-empty prediction: precision 0, recall is vacuous
    if not g:
        rec = 1.0
    if not p:
        prec = 1.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return prec, rec, f1


def line_scores(y_true: np.ndarray, y_pred: np.ndarray) -> dict:
    """Precision/recall/F1 for both labels and accuracy, from boolean 'is content' arrays."""
    y_true = np.asarray(y_true, dtype=bool)
    y_pred = np.asarray(y_pred, dtype=bool)
    out = {"lines": int(y_true.size)}
    for name, t, p in (("content", y_true, y_pred), ("boilerplate", ~y_true, ~y_pred)):
        tp = int(np.sum(t & p))
        prec = tp / max(int(p.sum()), 1)
        rec = tp / max(int(t.sum()), 1)
        out[name] = {"precision": prec, "recall": rec,
                     "f1": 2 * prec * rec / (prec + rec) if prec + rec else 0.0, "support": int(t.sum())}
    out["accuracy"] = float(np.mean(y_true == y_pred)) if y_true.size else 1.0
    return out


@dataclass
class Report:
    """Scores for a set of pages: overall, per group (source, site, kind) and the worst pages."""

    overall: dict
    groups: dict = field(default_factory=dict)
    worst: list = field(default_factory=list)

    def to_json(self) -> dict:
        return {"overall": self.overall, "groups": self.groups, "worst_pages": self.worst}


def _summary(pages: list[Page], preds: list[np.ndarray], texts: list[tuple[str, str]]) -> dict:
    y = np.concatenate([np.asarray(p.labels) == Label.CONTENT for p in pages]) if pages else np.zeros(0, bool)
    yp = np.concatenate(preds) if preds else np.zeros(0, bool)
    out = line_scores(y, yp)
    sh = np.array([shingle_scores(pred, gold) for pred, gold in texts]) if texts else np.ones((1, 3))
    prec, rec = float(sh[:, 0].mean()), float(sh[:, 1].mean())
    out["pages"] = len(pages)
    out["shingle"] = {"precision": prec, "recall": rec,
                      "f1": 2 * prec * rec / (prec + rec) if prec + rec else 0.0}
    return out


def evaluate_pages(pages: list[Page], probs: list[np.ndarray], threshold: float,
                   group_by: tuple[str, ...] = ("source", "kind")) -> Report:
    """Score predicted P(content) arrays against the pages' labels (and gold_text if present)."""
    preds = [np.asarray(pr) >= threshold for pr in probs]
    texts = []
    per_page = []
    for page, pred in zip(pages, preds):
        extracted = "\n".join(line for line, keep in zip(page.lines, pred) if keep)
        gold = page.gold_text if page.gold_text is not None else page.content_text()
        texts.append((extracted, gold))
        per_page.append(shingle_scores(extracted, gold)[2])
    report = Report(overall=_summary(pages, preds, texts))
    for key in group_by:
        values = [_group_value(p, key) for p in pages]
        if len(set(values)) <= 1:
            continue
        table = {}
        for value in sorted(set(values)):
            idx = [i for i, v in enumerate(values) if v == value]
            table[value] = _summary([pages[i] for i in idx], [preds[i] for i in idx], [texts[i] for i in idx])
        report.groups[key] = table
    order = np.argsort(per_page, kind="stable")[:WORST_PAGES]
    report.worst = [{"id": pages[i].id, "shingle_f1": per_page[i],
                     "line_errors": int(np.sum(preds[i] != (np.asarray(pages[i].labels) == Label.CONTENT)))}
                    for i in order]
    return report


def _group_value(page: Page, key: str) -> str:
    if key == "source":
        return page.source or "?"
    if key == "site":
        return page.group
    return str(page.meta.get(key) or page.meta.get("page_type" if key == "kind" else key) or "?")


def format_report(report: Report, title: str = "") -> str:
    """A plain-text table of a report, as printed by `evaluate`."""
    rows = []
    if title:
        rows.append(title)
    head = f"{'':24} {'pages':>6} {'lines':>8} {'C-P':>6} {'C-R':>6} {'C-F1':>6} {'B-F1':>6} {'acc':>6} {'shingle-F1':>10}"
    rows.append(head)

    def row(name, s):
        c, b = s["content"], s["boilerplate"]
        return (f"{name[:24]:24} {s['pages']:>6} {s['lines']:>8} {c['precision']:6.3f} {c['recall']:6.3f} "
                f"{c['f1']:6.3f} {b['f1']:6.3f} {s['accuracy']:6.3f} {s['shingle']['f1']:10.3f}")

    rows.append(row("all", report.overall))
    for key, table in report.groups.items():
        rows.append(f"by {key}:")
        for name, s in table.items():
            rows.append(row("  " + name, s))
    if report.worst:
        rows.append("worst pages (shingle F1, line errors):")
        for w in report.worst:
            rows.append(f"  {w['id']}  {w['shingle_f1']:.3f}  {w['line_errors']}")
    return "\n".join(rows)
