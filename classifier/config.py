"""Training settings (Config) and the constants that size prediction batches and training threads.

Config is a frozen dataclass stored inside every model file, so a saved model records how it
was trained; each default says where its value came from.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Config", "BATCH_LINES", "BATCH_CHARS", "FIT_THREADS", "CROP_MAX", "PAGE_MIN_P", "PAGE_MIN_LINES"]


@dataclass(frozen=True)
class Config:
    """Training settings. Defaults were chosen on a fixed site-disjoint dev split (a fifth of
    the sites of our train split and of wcxb-dev's domains held out), never on a test split."""

    n_features: int = 2**18          # hash space per text block (char, word)
    char_orders: tuple = (1, 2, 3, 4)  # character n-gram orders
    prefix: int = 200                # characters of a line that are hashed
    alpha: float = 1e-6              # SGD L2 strength (with averaging; see `average`)
    sgd_epochs: int = 20
    average: bool = True             # averaged SGD: plain SGD at alpha 1e-5 scored 0.669 vs 0.714
                                     # content F1 on held-out wcxb domains, and varied more by split
    folds: int = 5                   # out-of-fold pass-1 scores for training pass 2
    trees: int = 100                 # 300 trees at 0.1 scored the same on the dev split at 3x the cost
    learning_rate: float = 0.2
    max_leaf_nodes: int = 31
    crops: int = 0                   # short random windows added per training page. On the dev split
                                     # 1 window raised content F1 on 3-6-line snippets from 0.45/0.21
                                     # to 0.69/0.66 but cost ~0.015 shingle F1 on whole pages: off
    kinds: bool = True               # pass 1 also scores line kinds (kinds.py) where pages carry
                                     # categories (our corpus): +0.010..+0.011 content F1 in site
                                     # CV on our train split (bench/corpus_cv.py, 3 fold seeds,
                                     # word-only kinds, with the overlap columns); README, "Line
                                     # kinds"
    kind_chars: bool = False         # the kinds also read the char n-grams: CV +0.004 over
                                     # word-only kinds (fold seed 0), but prediction ~1.2x slower
                                     # again, as the char entries are most of a line's n-grams
    overlap: bool = True             # pass 2 sees how much of each line's vocabulary the rest of
                                     # its page uses (overlap.py): +0.014..+0.018 content F1 in
                                     # site CV on our train split (bench/corpus_cv.py, 3 fold
                                     # seeds), headlines above all; dev splits within seed noise
                                     # (bench/results/ablation_overlap_seed*.json against
                                     # ablation_acc4_seed*.json); prediction 3-10% slower on
                                     # wcxb-dev pages, more on CJK text (README, speed)
    overlap_copies: bool = False     # a line's copies on its page count as other lines sharing
                                     # its words (the recipe up to model format 7): a menu entry
                                     # printed twice then looks like a headline over its article
                                     # (the demo page's second "Icon Caret Down" line)
    site_columns: bool = True        # also fit a second pass-2 model that reads how many of the
                                     # site's other pages in the batch hold each line
                                     # (sitememory.site_columns), for predictions given sites:
                                     # +0.049..+0.051 content F1 in site CV on our 574-page train
                                     # split (fold seeds 0/1/2, 8 columns), README "Site evidence"
    page_gate: bool = True           # a page none of whose lines reaches PAGE_MIN_P has no main
                                     # text: all its lines get P(content) 0 (404 pages); see
                                     # PAGE_MIN_P for what it is worth
    random_state: int = 0


#: Lines per prediction chunk: large enough to amortise numpy call overhead, small enough to
#: keep the working arrays in cache. On 600 wcxb-dev pages 2,000 ran as fast as 4,000-20,000
#: (within noise), and with `-j 2` on 100 MB of JSONL the summed RSS was 368 MB against 413 MB
#: at 4,000 (bench/batch_scaling.py).
BATCH_LINES = 2_000
#: Characters per pass-1 span (a page longer than this is scored in spans): ten BATCH_LINES
#: chunks of wcxb-dev lines (50 characters on average). Pass 1 needs about 60 bytes of working
#: memory per character, so this caps it near 60 MB, however long the page (a single longer line
#: is a span of its own).
BATCH_CHARS = 1_000_000
#: Threads (BLAS and OpenMP) a model is trained with, whatever the machine has. SGD calls BLAS on
#: its weight vector, and its fit differs between 1 and 2 BLAS threads (coefficients by up to
#: 1.5e-5 on 300 of our train pages; pass-1 scores of the train split by up to 2e-5); the trees
#: then bin the scores differently, and the site model's P(content) differed by up to 0.8 on a
#: line of our test split. One thread makes a model the same on every machine and cost 8% more
#: time than two (86 s against 80 s training our train split alone, 2026-11-28).
FIT_THREADS = 1
#: With Config.page_gate, a page of at least PAGE_MIN_LINES non-blank lines whose likeliest
#: content line stays under this P(content) is taken to hold no main text, and all its lines get
#: P 0. Chosen on out-of-fold predictions of our train split (bench/corpus_cv.py, fold seeds 0 and
#: 1), where error pages kept a line on 19 of 92 pages: at 0.7 shingle F1 0.883 -> 0.890 and
#: 0.878 -> 0.884 (with sites, seed 0: 0.928 -> 0.933), content F1 within +-0.0005; 0.6 gained
#: less at seed 0 (0.887), 0.8 cost stub pages more (0.853 -> 0.809 at seed 1). Checked where
#: pages rarely lack content: wcxb-dev domain CV +0.0015 shingle F1 (articles -0.001), content
#: F1 -0.001; with the bundled model of 2026-11-28 l3s-gn1 -0.001, cleaneval +0.001, dragnet
#: +0.002 shingle F1.
PAGE_MIN_P = 0.7
#: Smaller inputs are left alone: every page of our train split has at least 19 non-blank lines,
#: and a few lines are likelier a snippet, where a low P is lack of context, not of content.
PAGE_MIN_LINES = 10
#: Longest random window added by Config.crops.
CROP_MAX = 8
