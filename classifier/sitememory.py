"""Site evidence: what a site's other pages, predicted together, say about each line.

Pages of one site share a template, so a line that occurs on a large share of the site's pages
predicted together (menus, footers, consent text, "Related articles") is strong boilerplate
evidence; CCNet drops such lines outright. Two uses, both only when the caller gives sites
(`sites=` in the Python API, `evaluate --site-memory`):

- site_columns: per line, the share of the site's other pages holding it and seven more
  columns (SITE_COLUMNS in all), which the model's second pass-2 model
  (LineClassifier.site_model_) reads;
- apply_site_memory: a post-pass for models without that model. A recurring line's log-odds of
  content are lowered by SHIFT, so a line the model is very sure of can survive while a
  borderline one flips.

Line identity is CCNet's normalisation (lowercase, digits -> 0, whitespace collapsed), so
"12 comments" and "3 comments" count as the same line. Each page counts a line once.

>>> import numpy as np
>>> pages = [["Menu", f"Story {k} of a long day on the quay."] for k in "ABC"]
>>> probs = [np.array([0.6, 0.9])] * 3
>>> out = apply_site_memory(pages, probs, ["quay.example"] * 3)
>>> [round(float(p), 2) for p in out[0]]
[0.17, 0.9]
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from urllib.parse import urlsplit

import numpy as np

__all__ = ["apply_site_memory", "site_shares", "site_columns", "site_keys", "site_key", "site_of_url", "line_key",
           "MIN_PAGES", "MIN_SHARE", "SHIFT", "MAX_CHARS", "SITE_COLUMNS", "SITE_WINDOW",
           "PREFIX_CHARS"]

# MIN_SHARE, SHIFT and MAX_CHARS were chosen on out-of-fold predictions of our train split (bench/devsplit.py,
# 5 folds grouped by site; grid in bench/site_memory.py), never on the test split or wcxb-dev.
#: A site needs this many pages in the batch before its lines are counted: with two, a line
#: shared by both is as likely a shared paragraph as a template line. Not chosen on data: every
#: site of the dev data has 7-8 pages, so the dev grid cannot tell 2 from 5.
MIN_PAGES = 3
#: Share of the site's pages (in the batch) a line must occur on to count as template (and on
#: at least two pages). On dev, 0.15 and 0.2 scored best (on 8-page sites both mean "on two
#: pages"); 0.2 is the more cautious on big sites.
MIN_SHARE = 0.2
#: How far a template line's log-odds of content are lowered (logit units): 2 turns 0.9 into
#: 0.55 and 0.7 into 0.24 (dev: 2 beat 4 and 6 on content F1, tied on shingle F1).
SHIFT = 2.0
#: Lines longer than this (characters) are left alone even when they recur: long prose repeated
#: on every page is rarer than short chrome, and a wrongly dropped paragraph costs many words.
MAX_CHARS = None

_DIGITS = re.compile(r"\d")


def line_key(line: str) -> str:
    """CCNet-style normal form of a line: lowercase, every digit 0, whitespace collapsed.

    >>> line_key("  12 Comments\\t on 3 May ")
    '00 comments on 0 may'
    """
    return " ".join(_DIGITS.sub("0", line.lower()).split())


def site_of_url(url: str | None) -> str | None:
    """The host of a URL without 'www.' (the site key when a page has no site field), or None.

    >>> site_of_url("https://www.quay.example/news/1")
    'quay.example'
    """
    if not url:
        return None
    host = urlsplit(url).hostname or ""
    return (host[4:] if host.startswith("www.") else host) or None


def site_key(site=None, meta=None, url=None) -> str | None:
    """A page's site: its `site`, else `meta["domain"]`, else its URL host (site_of_url), else None.

    >>> site_key(None, {"domain": "b.example"}, "https://c.example/x"), site_key(url="https://www.c.example/x")
    ('b.example', 'c.example')
    """
    if isinstance(site, str) and site:
        return site
    domain = meta.get("domain") if isinstance(meta, dict) else None
    if domain:
        return str(domain)
    return site_of_url(url) if isinstance(url, str) else None


def site_shares(pages: Sequence[Sequence[str]], sites: Sequence[str | None]) -> list[np.ndarray]:
    """For every line, the share of its site's pages (in this batch) that contain it.

    Blank lines and pages whose site is None get 0. Pages of different sites never share counts.
    """
    if len(pages) != len(sites):
        raise ValueError(f"{len(sites)} sites for {len(pages)} pages: give one site (or None) per page")
    keys = [[line_key(line) for line in page] for page in pages]
    members: dict = defaultdict(list)
    for i, site in enumerate(sites):
        if site is not None:
            members[site].append(i)
    out = [np.zeros(len(page)) for page in pages]
    for idx in members.values():
        counts = Counter(k for i in idx for k in set(keys[i]) if k)
        for i in idx:
            out[i] = np.array([counts[k] / len(idx) if k else 0.0 for k in keys[i]], dtype=np.float64)
    return out


def apply_site_memory(pages: Sequence[Sequence[str]], probas: Sequence[np.ndarray],
                      sites: Sequence[str | None], *, min_pages: int = MIN_PAGES,
                      min_share: float = MIN_SHARE, shift: float = SHIFT,
                      max_chars: int | None = MAX_CHARS) -> list[np.ndarray]:
    """P(content) arrays with site memory applied; the inputs are not modified.

    pages: each page's lines; probas: the model's P(content) per line (same lengths);
    sites: one site key per page (None: leave the page alone). Lines occurring on at least
    `min_share` of the pages of a site that has at least `min_pages` pages in the batch get
    their log-odds of content lowered by `shift`, unless longer than `max_chars` characters
    (None: no length limit). A line must occur on at least two pages. Order and lengths are kept.
    """
    if len(probas) != len(pages):
        raise ValueError(f"{len(probas)} probability arrays for {len(pages)} pages")
    sizes = Counter(s for s in sites if s is not None)
    # a site too small for memory: treat its pages as site-less (saves the counting)
    keyed = [s if s is not None and sizes[s] >= min_pages else None for s in sites]
    shares = site_shares(pages, keyed)
    out = []
    for k, (page, proba, share) in enumerate(zip(pages, probas, shares)):
        proba = np.asarray(proba, dtype=np.float64)
        if len(proba) != len(page):
            raise ValueError(f"{len(proba)} probabilities for a page of {len(page)} lines")
        n_site = sizes[keyed[k]] if keyed[k] is not None else 0
        # a line on one page is never template, however small the site or the share threshold
        hit = (share >= min_share) & (share * n_site >= 2 - 1e-9)
        if max_chars is not None:
            hit &= np.fromiter((len(line) <= max_chars for line in page), bool, count=len(page))
        if not hit.any():
            out.append(proba.copy())
            continue
        p = np.clip(proba[hit], 1e-9, 1 - 1e-9)
        lowered = 1.0 / (1.0 + np.exp(-(np.log(p / (1 - p)) - shift)))
        new = proba.copy()
        new[hit] = lowered
        out.append(new)
    return out


#: Columns site_columns gives each line (pass 2's site columns, Config.site_columns). Models of
#: format 6 read the first 5 (LineClassifier passes each pass-2 model the columns it was fitted on).
SITE_COLUMNS = 8
#: Radius of the window of site_columns' third column (lines before and after, same page).
SITE_WINDOW = 2
#: Characters of a line's key compared by site_columns' eighth column (lines that begin alike).
#: A teaser's blurb is often the opening of the article's first paragraph cut short with "…",
#: which the whole-line key misses. In site CV on our 574-page train split (bench/corpus_cv.py --sites,
#: fold seed 0) 20 characters scored 0.942 content F1 / 0.925 shingle F1, 32 scored 0.943 / 0.922.
PREFIX_CHARS = 20


def site_keys(sites, n_pages: int) -> list[str | None]:
    """`sites` as a list of one site key (str) or None per page; TypeError or ValueError else.

    >>> site_keys(("a.example", None), 2)
    ['a.example', None]
    """
    if isinstance(sites, (str, bytes)):
        raise TypeError("sites must give one site key per page (e.g. a list), not one str")
    sites = list(sites)
    if len(sites) != n_pages:
        raise ValueError(f"{len(sites)} sites for {n_pages} pages: give one site (or None) per page")
    for k, site in enumerate(sites):
        if site is not None and not isinstance(site, str):
            raise TypeError(f"site {k} is {type(site).__name__}, expected str or None")
    return sites


def site_columns(pages: Sequence[Sequence[str]], sites: Sequence[str | None] | None,
                 rng: np.random.RandomState | None = None) -> list[np.ndarray]:
    """Per page, a (lines, SITE_COLUMNS) array of what the site's other pages say of each line.

    Columns: the share of the site's other pages (in this batch) holding the line (line_key),
    how many other pages there are, the mean of the first column over the lines up to
    SITE_WINDOW away on the page, the share of the page's lines found on another page, and the
    share of other pages holding the line next to the same neighbour (its line before or after
    on this page): a template line keeps its neighbours, a headline quoted in another page's
    list of teasers does not. Then the first column of the line before and of the line after
    (0 at the page's ends): a teaser's blurb follows a headline found elsewhere. Last, the share
    of other pages holding a line whose key begins with the same PREFIX_CHARS characters: a
    blurb cut short with "…" matches the article's own paragraph. A blank line's own-key
    columns (first, fifth, eighth) are 0, it counts as a line of the page in the fourth, and
    it is the line before or after its neighbours in the sixth and seventh (LineClassifier
    passes non-blank lines only).
    A page with no other page of its site (or site None) gets NaN everywhere; pages without a
    non-blank line, and copies of the page (the same non-blank lines), do not count. With `rng`
    (training), each page sees a random subset of its site's other pages (1 to all), so the
    model meets the smaller batches prediction may get.

    >>> pages = [["Menu", f"Story {k} of a long day."] for k in "AB"] + [["Menu", "Alone"]]
    >>> cols = site_columns(pages, ["q", "q", None])
    >>> cols[0][:, 0].tolist(), float(cols[0][0, 1]), bool(np.isnan(cols[2]).all())
    ([1.0, 0.0], 1.0, True)
    """
    out = [np.full((len(page), SITE_COLUMNS), np.nan) for page in pages]
    if sites is None:
        return out
    if len(pages) != len(sites):
        raise ValueError(f"{len(sites)} sites for {len(pages)} pages: give one site (or None) per page")
    members: dict = defaultdict(list)
    for i, site in enumerate(sites):
        if site is not None:
            members[site].append(i)
    keys: dict[int, list[str]] = {}
    for idx in members.values():
        if len(idx) < 2:
            continue
        for i in idx:
            keys[i] = [line_key(line) for line in pages[i]]
        sets = {i: set(keys[i]) - {""} for i in idx}  # a blank line is no template line
        # A page without text says nothing of the others, and a copy of the page (a crawl's http
        # and https versions) would make its every line look like template: neither counts as
        # another page.
        idx = [i for i in idx if sets[i]]
        text = {i: tuple(k for k in keys[i] if k) for i in idx}
        first: dict = {}
        for i in idx:
            first.setdefault(text[i], i)
        distinct = list(first.values())  # one page per text, in batch order
        pairs = {i: list(zip(keys[i], keys[i][1:])) for i in idx}
        # what each page holds, counted per page: its lines, neighbour pairs and line openings
        held = {i: (sets[i], {pair for pair in pairs[i] if all(pair)}, {k[:PREFIX_CHARS] for k in sets[i]})
                for i in idx}
        totals = [Counter(x for i in distinct for x in held[i][f]) for f in range(3)]
        for i in idx:
            others = [j for j in distinct if text[j] != text[i]]
            if not others:
                continue
            if rng is not None:
                others = sorted(rng.choice(others, size=rng.randint(1, len(others) + 1), replace=False))
                counted = [Counter(x for j in others for x in held[j][f]) for f in range(3)]
                own = 0
            else:  # every other page: the site's counts less this page's own
                counted, own = totals, 1
            counts, pair_counts, prefix_counts = counted
            share = np.array([(counts[k] - own) / len(others) if k else 0.0 for k in keys[i]],
                             dtype=np.float64)
            cols = out[i]
            cols[:, 0] = share
            cols[:, 1] = len(others)
            n = len(share)
            csum = np.concatenate(([0.0], np.cumsum(share)))
            lo = np.maximum(np.arange(n) - SITE_WINDOW, 0)
            hi = np.minimum(np.arange(n) + SITE_WINDOW + 1, n)
            cols[:, 2] = (csum[hi] - csum[lo]) / (hi - lo)
            cols[:, 3] = float((share > 0).mean()) if n else 0.0
            pair_share = np.array([(pair_counts[pair] - own) / len(others) if all(pair) else 0.0
                                   for pair in pairs[i]], dtype=np.float64)
            cols[:, 4:7] = 0.0
            if n > 1:
                cols[:-1, 4] = pair_share
                cols[1:, 4] = np.maximum(cols[1:, 4], pair_share)
                cols[1:, 5] = share[:-1]
                cols[:-1, 6] = share[1:]
            cols[:, 7] = [(prefix_counts[k[:PREFIX_CHARS]] - own) / len(others) if k else 0.0
                          for k in keys[i]]
    return out
