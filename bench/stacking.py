"""Experimental post-passes over the context pass, for bench/ablation.py (not shipped: none helped
on both dev splits; see the ablation table).

- ``pass3``: iterated stacking (jusText's classify-then-revise once more). Pass 2 is trained
  again in 5 site-grouped folds to get out-of-fold pass-2 probabilities; a third tree model
  reads the pass-2 context features plus ``revise_features`` of those probabilities.
- ``hmm``: 2-state HMM forward-backward over each page, emissions from pass-2 probabilities
  (scaled by the class prior, sharpened by a temperature), transitions counted on the training
  labels.
- ``pagefeat``: pass 2 with ``revise_features`` of the pass-1 probabilities added: runs of likely
  content, the page's biggest run and the distance to it, distance to the first likely-content
  line (a headline guess), window maxima and minima.

``Stack`` trains pass 1 once (the same folds and models as LineClassifier.fit) and serves every
variant from it. Its pass 2 reads context.context_features only, without the overlap columns
(overlap.py), which came after these variants were measured.
"""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import GroupKFold

from classifier.context import _exact_cumsum, _shifted, _window_mean, context_features, page_ids
from classifier.features import SHAPE_NAMES, shape_features
from classifier.labels import Label
from classifier.model import LineClassifier

#: HMM emission temperature (<1 sharpens pass-2 probabilities, i.e. smooths less): 0.5 was the
#: best smoothing setting on out-of-fold pass-2 probabilities of the training part (no smoothing
#: was better still there).
HMM_TEMPERATURE = 0.5
_CHARS = list(SHAPE_NAMES).index("log_chars")


def _sigmoid(score):
    return 1.0 / (1.0 + np.exp(-np.clip(score, -30, 30)))


def _bounds(offsets, n):
    page = page_ids(offsets, n)
    b = np.append(offsets, n)
    start = b[page]
    nxt = np.searchsorted(offsets, start, side="right")
    return page, start, np.where(nxt < len(offsets), b[nxt], n)


def revise_features(p: np.ndarray, offsets: np.ndarray, chars: np.ndarray) -> np.ndarray:
    """Context of a probability per line: neighbours, window means, maxima and minima, runs of
    p > 0.5, the page's biggest such run (by characters) and the first such line."""
    n = len(p)
    page, start, end = _bounds(offsets, n)
    idx = np.arange(n)
    plen = (end - start).astype(float)
    q = np.clip(p, 1e-6, 1 - 1e-6)
    cols = [p, np.log(q / (1 - q))]
    cols += [_shifted(p, k, page, -1.0) for k in (-3, -2, -1, 1, 2, 3)]
    cs = _exact_cumsum(p)
    for r in (1, 2, 4, 8, 16, 32):
        lo, hi = np.maximum(idx - r, start), np.minimum(idx + r, end - 1)
        cols += [_window_mean(cs, lo, hi), _window_mean(cs, lo, idx), _window_mean(cs, idx, hi)]
    mx_b, mx_a, mn_b, mn_a = np.full(n, -1.0), np.full(n, -1.0), np.full(n, 2.0), np.full(n, 2.0)
    for k in range(1, 9):
        before, after = _shifted(p, -k, page, np.nan), _shifted(p, k, page, np.nan)
        mx_b, mx_a = np.fmax(mx_b, before), np.fmax(mx_a, after)
        mn_b, mn_a = np.fmin(mn_b, before), np.fmin(mn_a, after)
        if k in (1, 2, 4, 8):
            cols += [mx_b, mx_a, mn_b, mn_a, np.minimum(mx_b, mx_a), np.maximum(mn_b, mn_a)]
    flag = p > 0.5
    new = np.ones(n, bool)
    new[1:] = (flag[1:] != flag[:-1]) | (page[1:] != page[:-1])
    rid = np.cumsum(new) - 1
    run_start = idx[new]
    rs, re = run_start[rid], np.append(run_start[1:], n)[rid]
    rl = (re - rs).astype(float)
    cols += [np.log1p(rl), (idx - rs) / rl, (re - 1 - idx) / rl]
    cm = _exact_cumsum(np.where(flag, np.minimum(np.expm1(chars), 1e6), 0.0), 2.0**8)
    runmass = (cm[re] - cm[rs]) / 2.0**8
    cols.append(np.where(flag, runmass / np.maximum((cm[end] - cm[start]) / 2.0**8, 1), 0.0))
    nonempty = np.unique(page)
    seg = np.append(offsets, n)[nonempty]
    rm = np.where(flag, runmass, -1.0)
    best = np.full(len(offsets), -1.0)
    best[nonempty] = np.maximum.reduceat(rm, seg)
    isbest = rm >= best[page]
    bs, be, first = (np.zeros(len(offsets), np.int64) for _ in range(3))
    bs[nonempty] = np.minimum.reduceat(np.where(isbest, rs, n), seg)
    be[nonempty] = np.maximum.reduceat(np.where(isbest, re, 0), seg)
    first[nonempty] = np.minimum.reduceat(np.where(flag, idx, n), seg)
    d_start, d_end, dh = idx - bs[page], idx - (be[page] - 1), idx - first[page]
    cols += [np.sign(d_start) * np.log1p(np.abs(d_start)), np.sign(d_end) * np.log1p(np.abs(d_end)),
             ((idx >= bs[page]) & (idx < be[page])).astype(float), d_start / plen,
             np.where(first[page] < n, np.sign(dh) * np.log1p(np.abs(dh)), 12.0)]
    cnt = np.maximum(np.bincount(page, minlength=len(offsets)), 1)
    sums = (cs[np.append(offsets, n)[1:]] - cs[offsets]) / 2.0**20
    cols += [(sums / cnt)[page], (np.bincount(page, weights=flag, minlength=len(offsets)) / cnt)[page]]
    return np.column_stack(cols)


def hmm_transitions(y: np.ndarray, offsets: np.ndarray):
    """2x2 transition matrix (boilerplate=0, content=1) between consecutive lines of a page, and
    the share of content lines."""
    n = len(y)
    cont = np.ones(n, bool)
    cont[offsets[offsets < n]] = False
    cont[0] = False
    prev, cur = y[:-1][cont[1:]], y[1:][cont[1:]]
    a = np.array([[np.sum((prev == i) & (cur == j)) for j in (0, 1)] for i in (0, 1)], float) + 1
    return a / a.sum(1, keepdims=True), float(y.mean())


def hmm_smooth(p, offsets, trans, prior, temperature=HMM_TEMPERATURE):
    """Posterior P(content) per line from forward-backward over each page (pages by offsets)."""
    n = len(p)
    b = np.append(offsets, n)
    starts, ends = b[:-1][b[1:] > b[:-1]], b[1:][b[1:] > b[:-1]]
    q = np.clip(p, 1e-6, 1 - 1e-6)
    q = _sigmoid(np.log(q / (1 - q)) / temperature)
    emit = np.stack([(1 - q) / (1 - prior), q / prior], 1)
    alpha, beta = np.zeros((n, 2)), np.ones((n, 2))
    lengths = ends - starts
    for t in range(int(lengths.max()) if n else 0):
        i = starts[lengths > t] + t
        a = (np.array([1 - prior, prior]) if t == 0 else alpha[i - 1] @ trans) * emit[i]
        alpha[i] = a / a.sum(1, keepdims=True)
    for t in range(int(lengths.max()) - 2 if n else -1, -1, -1):
        i = starts[lengths - 1 > t] + t
        bb = (emit[i + 1] * beta[i + 1]) @ trans.T
        beta[i] = bb / bb.sum(1, keepdims=True)
    post = alpha * beta
    return post[:, 1] / post.sum(1)


class Stack:
    """Pass 1 trained once as LineClassifier.fit does, plus the experimental later passes."""

    def __init__(self, config, pages, labels, groups, weights):
        m = self.base = LineClassifier(config)
        keep = [[i for i, line in enumerate(p) if line.strip()] for p in pages]
        ok = [k for k, idx in enumerate(keep) if idx]
        pages = [[pages[k][i] for i in keep[k]] for k in ok]
        labels = [[labels[k][i] for i in keep[k]] for k in ok]
        groups, weights = [groups[k] for k in ok], [weights[k] for k in ok]
        lines, self.offsets = m._batch(pages)
        self.y = np.array([lab == Label.CONTENT for page in labels for lab in page], dtype=np.int8)
        sizes = [len(p) for p in pages]
        line_group = np.repeat(np.asarray(groups), sizes)
        self.w = np.repeat(np.asarray(weights, dtype=float), sizes)
        self.features = m._features().fit(lines)
        self.shape = shape_features(lines)
        X = self.features.transform(lines, self.shape)
        self.oof, self.fold = np.zeros(len(lines)), np.zeros(len(lines), np.int64)
        for k, (tr, te) in enumerate(GroupKFold(n_splits=config.folds).split(X, self.y, line_group)):
            self.oof[te] = m._line_model().fit(X[tr], self.y[tr], sample_weight=self.w[tr]).decision_function(X[te])
            self.fold[te] = k
        self.line_model = m._line_model().fit(X, self.y, sample_weight=self.w)
        self.ctx = context_features(self.oof, self.shape, self.offsets, m._repeats(lines, self.offsets))
        self.pass2 = m._context_model().fit(self.ctx, self.y, sample_weight=self.w)
        self._fitted = {}

    def _dev(self, pages):
        kept = [[i for i, line in enumerate(p) if line.strip()] for p in pages]
        lines, offsets = self.base._batch([[p[i] for i in idx] for p, idx in zip(pages, kept)])
        shape = shape_features(lines)
        score = self.features.score(lines, self.line_model.coef_[0], self.line_model.intercept_[0], shape)
        ctx = context_features(score, shape, offsets, self.base._repeats(lines, offsets))
        return kept, offsets, shape, score, ctx

    @staticmethod
    def _split(flat, pages, kept):
        out, pos = [], 0
        for page, idx in zip(pages, kept):
            a = np.zeros(len(page))
            a[idx] = flat[pos:pos + len(idx)]
            pos += len(idx)
            out.append(a)
        return out

    def _model(self, name, X):
        if name not in self._fitted:
            self._fitted[name] = self.base._context_model().fit(X, self.y, sample_weight=self.w)
        return self._fitted[name]

    def predict(self, variant: str, pages) -> list[np.ndarray]:
        kept, offsets, shape, score, ctx = self._dev(pages)
        p2 = self.pass2.predict_proba(ctx)[:, 1]
        if variant == "hmm":
            trans, prior = hmm_transitions(self.y, self.offsets)
            return self._split(hmm_smooth(p2, offsets, trans, prior), pages, kept)
        if variant == "pagefeat":
            X = np.hstack([self.ctx, revise_features(_sigmoid(self.oof), self.offsets, self.shape[:, _CHARS])])
            Xd = np.hstack([ctx, revise_features(_sigmoid(score), offsets, shape[:, _CHARS])])
            return self._split(self._model(variant, X).predict_proba(Xd)[:, 1], pages, kept)
        if variant == "pass3":
            if variant not in self._fitted:
                oof2 = np.zeros(len(self.y))
                for k in np.unique(self.fold):
                    tr = self.fold != k
                    oof2[~tr] = self.base._context_model().fit(self.ctx[tr], self.y[tr], sample_weight=self.w[tr]) \
                        .predict_proba(self.ctx[~tr])[:, 1]
                self._model(variant, np.hstack([self.ctx, revise_features(oof2, self.offsets, self.shape[:, _CHARS])]))
            Xd = np.hstack([ctx, revise_features(p2, offsets, shape[:, _CHARS])])
            return self._split(self._fitted[variant].predict_proba(Xd)[:, 1], pages, kept)
        raise ValueError(f"unknown stacking variant {variant!r}")
