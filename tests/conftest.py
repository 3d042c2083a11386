"""Shared fixtures: one small trained model for the whole session, and factories for pages.

Every page text made here is invented for the tests. The only real corpus the suite reads is
the project's own generated corpus (training_data/*.jsonl), itself invented text.
"""

from __future__ import annotations

import os
import sys
from collections import defaultdict
from pathlib import Path

# One OpenMP / BLAS thread per process, set before scikit-learn loads (subprocesses inherit it).
# The tests train tiny models, for which threads gain nothing; and when other jobs keep the cores
# busy, OpenMP threads of HistGradientBoosting spin against each other and a 1 s fit takes minutes.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

# Hypothesis: the suite runs a modest number of examples without deadlines (the machine is shared,
# timings are noisy); HYPOTHESIS_PROFILE=fuzz runs 10,000 examples per property test.
settings.register_profile("suite", max_examples=100, deadline=None)
settings.register_profile("fuzz", max_examples=10_000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "suite"))

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # plain `pytest` (not `python -m pytest`) from another folder
    sys.path.insert(0, str(REPO))


def pytest_collection_modifyitems(config, items):
    """Tests marked slow (each more than ~10 s) run only with LINESIFT_SLOW_TESTS=1."""
    if os.environ.get("LINESIFT_SLOW_TESTS") == "1":
        return
    skip = pytest.mark.skip(reason="slow; set LINESIFT_SLOW_TESTS=1 to run")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session", autouse=True)
def _one_thread():
    """Also limit thread pools already loaded (in case scikit-learn was imported first)."""
    with threadpool_limits(limits=1):
        yield


TRAIN_JSONL = REPO / "training_data" / "train.jsonl"
TEST_JSONL = REPO / "training_data" / "test.jsonl"

#: Settings for the session model: small and quick, still good enough to tell prose from menus.
SMALL = dict(folds=2, trees=40, n_features=2**14, kinds=True)  # kinds: the session model exercises them
#: How many pages of the bundled train split the session model learns from, and from how many sites.
TRAIN_PAGES = 60
TRAIN_SITES = 10


# ----- invented text ------------------------------------------------------------------------

CHROME = [
    "Home", "World", "Business", "Sign in", "Subscribe now for $1", "Share", "Copy link",
    "Accept all cookies", "Manage preferences", "Advertisement", "Read more", "Next", "Previous",
    "You have {{remaining}} free articles left", "Download the app", "Follow us",
    "Privacy policy | Terms of use | Contact", "© 2026 The Quayside Courier",
    "IconSearchIconMenuChevron DownClose", "Newsletter sign-up",
]
PROSE = [
    "The river rose overnight and the ferry crews waited at the quay until the water fell.",
    "Volunteers stacked sandbags along the old mill wall while the bakery handed out bread.",
    "By noon the council had opened the school gym as a shelter for forty families.",
    "Engineers said the new pump station would be tested again before the spring tides.",
    "Residents of the lower streets described the night as long, loud and very cold.",
    "A second crossing is planned, though the budget for it has not been agreed yet.",
    "The harbour master counted nine boats that had slipped their moorings in the storm.",
    "Local farmers expect the flooded fields to dry out within three or four weeks.",
    "Children from the primary school painted signs thanking the rescue teams.",
    "The weather office expects calmer skies and lighter winds for the rest of the week.",
]
TITLES = [
    "Ferry crews wait out the flood at Millbrook quay",
    "Council opens school gym to families from the lower streets",
    "New pump station faces its first real test",
    "Harbour counts the cost of a stormy night",
    "Farmers wait for the fields to dry",
    "Calmer week ahead after the storm",
]


def make_lines(seed: int = 0, n_prose: int = 4, blank_between: bool = False) -> tuple[list[str], list[str]]:
    """One invented page as (lines, labels): header chrome, title, prose paragraphs, footer chrome."""
    head = [CHROME[(seed + k) % 8] for k in range(4)] + ["You have {{remaining}} free articles left"]
    foot = [CHROME[8 + (seed + k) % 12] for k in range(4)]
    body = [TITLES[seed % len(TITLES)]] + [PROSE[(seed + k) % len(PROSE)] for k in range(n_prose)]
    lines, labels = [], []
    for line in head:
        lines.append(line)
        labels.append("boilerplate")
    for line in body:
        lines.append(line)
        labels.append("content")
        if blank_between:
            lines.append("")
            labels.append("boilerplate")
    for line in foot:
        lines.append(line)
        labels.append("boilerplate")
    return lines, labels


def run_cli(argv):
    """Run the command line in-process: (exit status, stdout, stderr)."""
    import contextlib
    import io

    from classifier import cli

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(argv)
    return code, out.getvalue(), err.getvalue()


def make_page(seed: int = 0, site: str | None = None, **kwargs):
    """A labelled corpus Page of invented text (site defaults to one of five invented sites)."""
    from classifier.corpus import Page

    lines, labels = make_lines(seed, **kwargs)
    site = site if site is not None else f"site-{seed % 5}.example"
    return Page(id=f"p{seed:03d}", lines=lines, labels=labels, source="tests", site=site,
                url=f"https://{site}/story/{seed}", meta={"lang": "en", "kind": "news" if seed % 2 else "blog"})


def make_pages(n: int = 10, **kwargs):
    return [make_page(i, **kwargs) for i in range(n)]


@pytest.fixture(scope="session")
def page_factory():
    """Build invented labelled pages: page_factory(seed, site=..., n_prose=..., blank_between=...)."""
    return make_page


@pytest.fixture(scope="session")
def pages_factory():
    """Build n invented labelled pages from five sites: pages_factory(n)."""
    return make_pages


# ----- the session model ---------------------------------------------------------------------

def _train_slice():
    """TRAIN_PAGES pages of the bundled train split, taken from TRAIN_SITES sites spread over it."""
    from classifier.corpus import read_pages

    by_site = defaultdict(list)
    for page in read_pages([TRAIN_JSONL]):
        by_site[page.group].append(page)
    sites = sorted(by_site)
    step = max(1, len(sites) // TRAIN_SITES)
    chosen = sites[::step][:TRAIN_SITES]
    per_site = -(-TRAIN_PAGES // len(chosen))
    return [p for s in chosen for p in by_site[s][:per_site]][:TRAIN_PAGES]


@pytest.fixture(scope="session")
def train_pages():
    return _train_slice()


@pytest.fixture(scope="session")
def small_config():
    from classifier.model import Config

    return Config(**SMALL)


@pytest.fixture(scope="session")
def trained_model(train_pages, small_config):
    """ONE small LineClassifier for the whole session. Tests must not modify it."""
    from classifier.model import LineClassifier

    return LineClassifier(small_config).fit([p.lines for p in train_pages], [p.labels for p in train_pages],
                                            [p.group for p in train_pages],
                                            categories=[p.categories for p in train_pages])


@pytest.fixture(scope="session")
def trained_model_file(trained_model, tmp_path_factory):
    """The session model saved to a file, for load_model and the command line."""
    from classifier.model import save_model

    return save_model(trained_model, tmp_path_factory.mktemp("model") / "small.joblib", provenance="tests")


@pytest.fixture(scope="session")
def heldout_pages():
    """A few pages of the bundled test split (sites the session model never saw)."""
    from classifier.corpus import read_pages

    return read_pages([TEST_JSONL])[::15]
