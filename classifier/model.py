"""The two-pass line classifier: pipeline, training, saving and loading.

Pass 1 (jusText's "classify") scores every line alone from hashed text n-grams and shape with a
linear model. Pass 2 (jusText's "revise", learned) re-scores each line from the pass-1 scores of
its page context with gradient-boosted trees. Pass 2 is trained on out-of-fold pass-1 scores
(folds grouped by site), never in-sample ones, so it learns how far to trust pass 1 on unseen
sites.

Model files are written and read by modelio.py (its functions are re-exported here).
"""

from __future__ import annotations

import itertools
import time

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import GroupKFold

from . import fast
from .config import BATCH_CHARS, BATCH_LINES, CROP_MAX, FIT_THREADS, PAGE_MIN_LINES, PAGE_MIN_P, Config
from .features import SHAPE_NAMES, TextFeatures, shape_features
from .kinds import KINDS, fit_kinds, kind_targets
from .labels import DEFAULT_THRESHOLD, LABELS, Label, labels_from_proba
from .lines import as_lines, as_pages
from .modelio import (FORMAT_VERSION, ModelError, bundled_file, bundled_model_path, load_bundled, load_model,
                      read_model_file, save_model)
from .pass2 import line_copies, pass2_array, pass2_proba, thread_limit
from .sitememory import SITE_COLUMNS, apply_site_memory, site_columns, site_keys

__all__ = ["Config", "LineClassifier", "save_model", "load_model", "load_bundled", "bundled_model_path",
           "bundled_file", "read_model_file", "ModelError", "FORMAT_VERSION", "DEFAULT_THRESHOLD"]


def _quiet(message: str) -> None:
    pass


class LineClassifier(BaseEstimator, ClassifierMixin):
    """Two-pass line classifier over pages.

    ``fit(pages, labels, groups)`` takes a list of pages (each a list of lines, in order), their
    per-line labels and a site name per page. ``predict_proba(lines)`` takes ONE page's lines in
    order and returns P(content) per line; ``predict_pages`` does many pages in one batch.

    Fitted attributes: ``features_`` (TextFeatures), ``line_model_`` (pass 1, SGDClassifier),
    ``kind_coef_`` and ``kind_intercept_`` (pass 1's line-kind models, one column each; None
    when the training pages carry no categories), ``kind_first_`` (the first hashed block the
    kinds read: 0, or the word block when Config.kind_chars is off; 0 in models made before
    it), ``overlap_`` (whether pass 2 reads the
    overlap columns; False in models made before them), ``overlap_copies_`` (whether a line's
    copies on its page count in its overlap columns; True in models made before format 8),
    ``page_min_`` (a page of PAGE_MIN_LINES or more non-blank lines none of which reaches this
    P(content) gets P 0 on every line; 0.0, no such gate, in models made before format 9),
    ``context_model_`` (pass 2,
    HistGradientBoostingClassifier), ``site_model_`` (pass 2 with the site columns, for pages
    predicted with other pages of their site; None without Config.site_columns, and in models
    made before it), ``classes_``.
    """

    def __init__(self, config: Config = Config()):
        self.config = config

    # ----- building blocks -------------------------------------------------------------
    def _features(self) -> TextFeatures:
        c = self.config
        return TextFeatures(n_features=c.n_features, char_orders=c.char_orders, prefix=c.prefix)

    def _line_model(self) -> SGDClassifier:
        c = self.config
        return SGDClassifier(loss="log_loss", alpha=c.alpha, max_iter=c.sgd_epochs, tol=None,
                             random_state=c.random_state, average=c.average)

    def _context_model(self) -> HistGradientBoostingClassifier:
        c = self.config
        return HistGradientBoostingClassifier(max_iter=c.trees, learning_rate=c.learning_rate,
                                              max_leaf_nodes=c.max_leaf_nodes, early_stopping=False,
                                              random_state=c.random_state)

    @staticmethod
    def _batch(pages: list[list[str]]):
        lines = [line for page in pages for line in page]
        sizes = np.fromiter((len(p) for p in pages), dtype=np.int64, count=len(pages))
        offsets = np.concatenate(([0], np.cumsum(sizes)[:-1])) if len(pages) else np.zeros(0, np.int64)
        return lines, offsets

    @staticmethod
    def _repeats(lines: list[str], offsets: np.ndarray, k=None) -> np.ndarray:
        """How many times each line's text (whitespace-normalised) occurs on its own page."""
        return LineClassifier._copies(lines, offsets, k)[0]

    @staticmethod
    def _copies(lines: list[str], offsets: np.ndarray, k=None, prefix: int | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
        """pass2.line_copies: each line's copies on its page, counted, and a copy id per line."""
        return line_copies(lines, offsets, k, prefix)

    # ----- training ----------------------------------------------------------------------
    def fit(self, pages, labels, groups=None, sample_weight=None, log=None, categories=None):
        """Train both passes, on FIT_THREADS threads (so the model is the same on any machine).

        pages: list of line lists; labels: list of label lists; groups: one site name per page
        (folds never split a site); sample_weight: one weight per page (e.g. to favour one
        source's labelling); log: callable receiving progress messages; categories: per page,
        a category per line or None (kinds.py; pages without them teach no line kinds).
        """
        with thread_limit(FIT_THREADS):
            return self._fit(pages, labels, groups, sample_weight, log, categories)

    def _fit(self, pages, labels, groups, sample_weight, log, categories):
        log = log or _quiet
        pages = [as_lines(p) for p in pages]
        labels = [list(page_labels) for page_labels in labels]
        if len(labels) != len(pages) or any(len(a) != len(b) for a, b in zip(pages, labels)):
            raise ValueError("labels must give one label per line of every page")
        groups = list(groups) if groups is not None else list(range(len(pages)))
        weights = list(sample_weight) if sample_weight is not None else [1.0] * len(pages)
        cats = list(categories) if categories is not None else [None] * len(pages)
        if len(groups) != len(pages) or len(weights) != len(pages) or len(cats) != len(pages):
            raise ValueError("groups, sample_weight and categories must give one value per page")
        if any(c is not None and len(c) != len(p) for c, p in zip(cats, pages)):
            raise ValueError("categories must give one category per line of a page (or None)")
        if not self.config.kinds:  # nothing learns from them
            cats = [None] * len(pages)
        kind_y = [kind_targets(c) if c is not None else np.full(len(p), -1) for c, p in zip(cats, pages)]
        # blank lines carry no text and are not scored at prediction time: leave them out
        keep = [[i for i, line in enumerate(page) if line.strip()] for page in pages]
        labels = [[lab[i] for i in idx] for lab, idx in zip(labels, keep) if idx]
        groups = [g for g, idx in zip(groups, keep) if idx]
        weights = [w for w, idx in zip(weights, keep) if idx]
        kind_y = [ky[idx] for ky, idx in zip(kind_y, keep) if idx]
        pages = [[page[i] for i in idx] for page, idx in zip(pages, keep) if idx]
        if not pages:
            raise ValueError("training data holds no non-blank lines")
        n_pages = len(pages)  # the crops that follow are no pages of their site
        pages, labels, groups, weights, kind_y = self._with_crops(pages, labels, groups, weights, kind_y)
        kind_y = np.concatenate(kind_y)
        # categories of another scheme, or a handful of pages, would teach a partial set of
        # kinds from few examples: learn kinds only when every kind has lines
        use_kinds = self.config.kinds and np.isin(np.arange(len(KINDS)), kind_y).all()
        lines, offsets = self._batch(pages)
        y = np.array([lab == Label.CONTENT for page_labels in labels for lab in page_labels], dtype=np.int8)
        if len(np.unique(y)) < 2:
            raise ValueError("training data holds only one class; need both content and boilerplate lines")
        sizes = [len(p) for p in pages]
        line_group = np.repeat(np.asarray(groups), sizes)
        w = np.repeat(np.asarray(weights, dtype=np.float64), sizes)
        t0 = time.perf_counter()
        features = self._features().fit(lines)
        shape = shape_features(lines)
        X = features.transform(lines, shape)
        log(f"features: {X.shape[0]} lines, {X.nnz} non-zeros ({time.perf_counter() - t0:.1f}s)")
        n_folds = min(self.config.folds, len(set(groups)))
        oof = np.zeros(len(lines))
        kind_oof = np.zeros((len(lines), len(KINDS))) if use_kinds else None
        # word-only kinds: X's first n_features columns are the char n-grams', and teach them nothing
        kind_skip = 0 if self.config.kind_chars or not use_kinds else features.n_features
        X_kinds = X[:, kind_skip:].tocsr() if kind_skip else X
        if n_folds >= 2:
            for k, (tr, te) in enumerate(GroupKFold(n_splits=n_folds).split(X, y, line_group)):
                model = self._line_model().fit(X[tr], y[tr], sample_weight=w[tr])
                oof[te] = model.decision_function(X[te])
                if use_kinds:
                    coef, intercept = fit_kinds(self._line_model(), X_kinds, kind_y, tr, kind_skip)
                    kind_oof[te] = X[te] @ coef + intercept
                log(f"pass 1, fold {k + 1}/{n_folds} done ({time.perf_counter() - t0:.1f}s)")
        line_model = self._line_model().fit(X, y, sample_weight=w)
        kind_coef = kind_intercept = None
        if use_kinds:
            kind_coef, kind_intercept = fit_kinds(self._line_model(), X_kinds, kind_y, np.arange(len(lines)),
                                                  kind_skip)
        if n_folds < 2:  # a single site: in-sample scores are all there is
            oof = line_model.decision_function(X)
            if use_kinds:
                kind_oof = X @ kind_coef + kind_intercept
        log(f"pass 1, full fit done ({time.perf_counter() - t0:.1f}s)")
        site = None
        if self.config.site_columns:
            rng = np.random.RandomState(self.config.random_state)
            site = np.concatenate(site_columns(pages[:n_pages], groups[:n_pages], rng)
                                  + [np.full((len(p), SITE_COLUMNS), np.nan) for p in pages[n_pages:]])
            if np.isnan(site[:, 0]).all():  # no site with two pages: nothing to learn from
                site = None
        repeats, copies = self._copies(lines, offsets, prefix=features.prefix)
        if self.config.overlap_copies or not self.config.overlap:
            copies = None
        ctx = pass2_array(lines, offsets, oof, shape, repeats, kind_oof, self.config.overlap, features.prefix,
                          site=site, copies=copies)
        n_ctx = ctx.shape[1] - (0 if site is None else SITE_COLUMNS)
        context = self._context_model().fit(ctx[:, :n_ctx], y, sample_weight=w)
        log(f"pass 2 fit done ({time.perf_counter() - t0:.1f}s)")
        site_model = None
        if site is not None:
            site_model = self._context_model().fit(ctx, y, sample_weight=w)
            log(f"pass 2 with site columns fit done ({time.perf_counter() - t0:.1f}s)")
        self.features_ = features
        self.line_model_ = line_model
        self.kind_coef_ = kind_coef
        self.kind_intercept_ = kind_intercept
        self.kind_first_ = len(features.char_orders) if kind_skip else 0
        self.overlap_ = bool(self.config.overlap)
        self.overlap_copies_ = bool(self.config.overlap_copies)
        self.page_min_ = PAGE_MIN_P if self.config.page_gate else 0.0
        self.site_model_ = site_model
        self.context_model_ = context
        self.classes_ = np.array([str(lab) for lab in LABELS])
        return self

    def _with_crops(self, pages, labels, groups, weights, kind_y):
        """Add `crops` short random windows of every page as extra pages of the same site.

        Callers often pass a few lines, not a whole page; without such examples the context
        pass has only ever seen whole pages and distrusts a lone article line."""
        crops = self.config.crops
        if not crops:
            return pages, labels, groups, weights, kind_y
        rng = np.random.RandomState(self.config.random_state)
        out = (list(pages), list(labels), list(groups), list(weights), list(kind_y))
        for page, lab, group, weight, ky in zip(pages, labels, groups, weights, kind_y):
            for _ in range(crops):
                size = int(rng.randint(1, CROP_MAX + 1))
                if len(page) <= size:
                    continue
                start = int(rng.randint(0, len(page) - size + 1))
                window = slice(start, start + size)
                for seq, value in zip(out, (page[window], lab[window], group, weight, ky[window])):
                    seq.append(value)
        return out

    def _proba(self, lines: list[str], offsets: np.ndarray, site=None) -> np.ndarray:
        """P(content) for a batch of non-blank lines (pages delimited by offsets).

        Pass 1 and the trees see each line alone, so they run in spans of lines: one huge page
        then needs working memory for one span, not for all its text at once. Only the context
        features, a few dozen floats per line, are built for the whole batch."""
        n = len(lines)
        spans = _spans(np.fromiter(map(len, lines), dtype=np.int64, count=n))
        shape = np.empty((n, len(SHAPE_NAMES)))
        score = np.empty(n)
        coef, intercept = self.line_model_.coef_[0], self.line_model_.intercept_[0]
        kind_coef = getattr(self, "kind_coef_", None)
        kind_intercept = getattr(self, "kind_intercept_", None)
        kinds = None if kind_coef is None else np.empty((n, kind_coef.shape[1]))
        use_overlap = getattr(self, "overlap_", False)
        k = fast.kernels()  # the compiled kernels compute the same numbers, or None
        # the n-gram kernel also collects the overlap tokens, in its pass over the lowered text
        tokens = [] if use_overlap and k is not None else None
        for a, b in spans:
            span = lines[a:b]
            shape[a:b] = shape_features(span) if k is None else fast.shape_features(k, span)
            s = None if k is None else fast.text_score(k, self.features_, span, coef, intercept, shape[a:b],
                                                       kind_coef, kind_intercept, tokens,
                                                       getattr(self, "kind_first_", 0))
            if s is None:
                tokens = None
                score[a:b] = self.features_.score(span, coef, intercept, shape[a:b])
                if kinds is not None:
                    kinds[a:b] = self.features_.score_kinds(span, kind_coef, kind_intercept, shape[a:b])
            elif kinds is None:
                score[a:b] = s
            else:
                score[a:b], kinds[a:b] = s
        if use_overlap and not getattr(self, "overlap_copies_", True):
            repeats, copies = self._copies(lines, offsets, k, self.features_.prefix)
        else:  # no overlap columns, or a model before format 8, which counted copies there
            repeats, copies = self._repeats(lines, offsets, k), None
        ctx = pass2_array(lines, offsets, score, shape, repeats, kinds, use_overlap, self.features_.prefix, k,
                          tokens, site, copies)
        if site is None:
            return pass2_proba(self.context_model_, ctx, k)
        # lines of a page with other pages of its site go to the site model, the rest (NaN site
        # columns) to the plain one, so a page alone gets the same numbers in any call
        # Each model reads the first columns, as many as it was fitted on: the plain one none of
        # the site columns, a format-6 site model the first 5 of them.
        known = ~np.isnan(site[:, 0])
        proba = np.empty(n)
        for model, rows in ((self.context_model_, ~known), (self.site_model_, known)):
            if rows.any():
                proba[rows] = pass2_proba(model, ctx[rows, :model.n_features_in_], k)
        return proba

    # ----- prediction -------------------------------------------------------------------
    def _check_fitted(self):
        if not hasattr(self, "context_model_"):
            raise ModelError("this LineClassifier is not trained yet; call fit() or load_model()")

    def predict_proba_pages(self, pages, sites=None, gate: bool = True) -> list[np.ndarray]:
        """P(content) for every line of every page, one array per page, in batches.

        ``pages`` is an iterable of pages, each as for predict_proba; a str is refused
        (TypeError), and errors name the page and line, counted from 0. Blank (whitespace-only)
        lines get 0.0 and are invisible to the context pass, so a page with blank lines between
        paragraphs reads like the same page without them. A page of PAGE_MIN_LINES or more
        non-blank lines none of which reaches ``page_min_`` (config.PAGE_MIN_P) gets 0.0 on
        every line: it holds no main text (a 404 page); ``gate=False`` leaves such pages'
        probabilities as they are (gate_pages applies it later). A page gets the same probabilities
        alone or in any batch. Pages are processed in chunks of about BATCH_LINES lines, which
        bounds memory on huge inputs.

        ``sites`` (optional): one site key per page (e.g. its URL host), or None for a page of
        no known site. Pages of one site then inform each other: a line recurring on the site's
        other pages in this call is likely template. A model trained with Config.site_columns
        reads that in pass 2 (``site_model_``, for pages with other pages of their site in the
        call); for another model the site-memory post-pass
        (sitememory.apply_site_memory) lowers such lines' P(content). With sites, a page's
        probabilities depend on the other pages of its site in the call, and the site columns
        of all pages are computed before the chunks (a few dozen bytes per line). Site keys
        are str or None (TypeError else); one per page (ValueError else).
        """
        pages = as_pages(pages)
        if sites is None:
            return self._proba_pages(pages, gate=gate)
        sites = site_keys(sites, len(pages))
        if getattr(self, "site_model_", None) is not None:
            return self._proba_pages(pages, sites, gate=gate)
        probs = apply_site_memory(pages, self._proba_pages(pages, gate=False), sites)
        return self.gate_pages(pages, probs) if gate else probs

    def gate_pages(self, pages: list[list[str]], probs: list[np.ndarray]) -> list[np.ndarray]:
        """The page gate (``page_min_``): P 0 on every line of a page of PAGE_MIN_LINES or more
        non-blank lines none of which reaches ``page_min_``; other pages' arrays are returned as
        they are. predict_proba_pages applies it unless ``gate=False``; label.py applies it
        itself, to mark review rows from the ungated probabilities."""
        page_min = getattr(self, "page_min_", 0.0)  # models before format 9 have no gate
        if not page_min:
            return probs
        # no line of a whole page looks like content: a 404 or empty page, not a weak article
        return [np.zeros_like(p) if len(p) and p.max() < page_min
                and sum(map(bool, map(str.strip, page))) >= PAGE_MIN_LINES else p
                for page, p in zip(pages, probs)]

    def predict_proba(self, lines) -> np.ndarray:
        """P(content) per line of ONE page: a float array, one value in [0, 1] per line, in order.

        ``lines``: the page's text as one str (split on \\n, \\r\\n, \\r) or UTF-8 bytes, or its
        lines as a list, tuple, generator or 1-D numpy array of str (items are never split, even
        if they hold a line end). Any characters work (NUL, control, bidi and zero-width
        characters, emoji, lone surrogates). TypeError names a line that is not str/bytes
        (e.g. "line 3 is NoneType"), ValueError non-UTF-8 bytes; see lines.as_lines.
        """
        return self._proba_pages([as_lines(lines)])[0]

    def predict_pages(self, pages, threshold: float = DEFAULT_THRESHOLD, sites=None) -> list[list[Label]]:
        """A label per line for every page, computed in one batch (pages as for predict_proba_pages)."""
        return [labels_from_proba(probs, threshold) for probs in self.predict_proba_pages(pages, sites)]

    def predict(self, lines, threshold: float = DEFAULT_THRESHOLD) -> list[Label]:
        """A label per line of ONE page (input and errors as for predict_proba);
        ``len(predict(x)) == len(x)`` for a list of lines."""
        return labels_from_proba(self.predict_proba(lines), threshold)

    def clean(self, text, threshold: float = DEFAULT_THRESHOLD) -> str:
        """Only the content lines of one page (input as for predict_proba), joined with \\n.

        Each kept line is returned exactly as given, so a list item holding a line end comes
        back whole, and its line end with it."""
        lines = as_lines(text)
        probs = self._proba_pages([lines])[0]
        return "\n".join(line for line, p in zip(lines, probs) if p >= threshold)

    def _proba_pages(self, pages: list[list[str]], sites=None, gate: bool = True) -> list[np.ndarray]:
        """predict_proba_pages for pages already turned into lists of str (without the page
        gate if not ``gate``)."""
        self._check_fitted()
        out = [np.zeros(len(page)) for page in pages]
        site = None
        if sites is not None:
            kept = [[line for line in page if line.strip()] for page in pages]
            site = site_columns(kept, list(sites))
        chunk: list[int] = []
        size = 0
        for k, page in enumerate(pages):
            chunk.append(k)
            size += len(page)
            if size >= BATCH_LINES or k == len(pages) - 1:
                self._predict_chunk([pages[i] for i in chunk], [out[i] for i in chunk],
                                    None if site is None else [site[i] for i in chunk])
                chunk, size = [], 0
        return self.gate_pages(pages, out) if gate else out

    def _predict_chunk(self, pages: list[list[str]], out: list[np.ndarray], site=None) -> None:
        kept = [list(itertools.compress(range(len(page)), map(str.strip, page))) for page in pages]
        lines, offsets = self._batch([[page[i] for i in idx] for page, idx in zip(pages, kept)])
        if not lines:
            return
        proba = self._proba(lines, offsets, None if site is None else np.concatenate(site))
        bounds = np.append(offsets, len(lines))
        for k, idx in enumerate(kept):
            out[k][idx] = proba[bounds[k]:bounds[k + 1]]


def _spans(lengths: np.ndarray):
    """(start, stop) ranges of consecutive lines, each at most BATCH_LINES lines and, unless
    it is a single line, at most BATCH_CHARS characters."""
    n = len(lengths)
    ends = np.cumsum(lengths)
    start = 0
    while start < n:
        done = int(ends[start - 1]) if start else 0
        stop = int(np.searchsorted(ends, done + BATCH_CHARS, side="right"))
        stop = max(start + 1, min(stop, start + BATCH_LINES, n))
        yield start, stop
        start = stop
