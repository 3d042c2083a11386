"""Pass-2 page context features (classifier.context): page ids and no mixing between pages."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from classifier.features import shape_features

try:
    from classifier.context import context_features, page_ids
except ImportError:  # earlier layout: pass-2 features lived in features.py
    from classifier.features import context_features, page_ids

PAGE_1 = ["Home", "Ferry crews wait out the flood", "The river rose overnight.", "Share", "© 2026 Quayside"]
PAGE_2 = ["Sign in", "Council opens the school gym", "Forty families slept there.", "Volunteers brought soup.",
          "Next", "Privacy policy"]
PAGE_3 = ["Menu", "Calmer week ahead", "Winds will ease by Thursday."]


def _batch_features(pages, scores):
    """context_features for a batch of pages, with given pass-1 scores per page."""
    lines = [line for page in pages for line in page]
    sizes = [len(p) for p in pages]
    offsets = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64)
    score = np.concatenate([np.asarray(s, dtype=float) for s in scores]) if lines else np.zeros(0)
    repeats = np.ones(len(lines))
    return context_features(score, shape_features(lines), offsets, repeats), offsets


def _scores(page, seed):
    return np.random.RandomState(seed).normal(size=len(page))


@pytest.mark.parametrize("offsets,n,expected", [
    ([0, 2, 2, 5], 6, [0, 0, 2, 2, 2, 3]),    # empty page in the middle
    ([0, 0, 3], 4, [1, 1, 1, 2]),             # empty first page
    ([0, 3, 3], 3, [0, 0, 0]),                # empty last pages
    ([0], 3, [0, 0, 0]),
])
def test_page_ids_skip_empty_pages(offsets, n, expected):
    assert page_ids(np.array(offsets), n).tolist() == expected


def test_context_features_have_one_row_per_line():
    X, _ = _batch_features([PAGE_1, PAGE_2], [_scores(PAGE_1, 1), _scores(PAGE_2, 2)])
    assert X.shape[0] == len(PAGE_1) + len(PAGE_2)


def test_changing_page_2_does_not_change_page_1_features():
    before, _ = _batch_features([PAGE_1, PAGE_2], [_scores(PAGE_1, 1), _scores(PAGE_2, 2)])
    other = ["Totally different", "lines here", "of another length", "x", "y", "z", "w", "v"]
    after, _ = _batch_features([PAGE_1, other], [_scores(PAGE_1, 1), _scores(other, 3)])
    n = len(PAGE_1)
    np.testing.assert_array_equal(before[:n], after[:n])


def test_page_1_features_in_a_batch_equal_page_1_alone():
    alone, _ = _batch_features([PAGE_1], [_scores(PAGE_1, 1)])
    batch, _ = _batch_features([PAGE_1, PAGE_2, PAGE_3], [_scores(PAGE_1, 1), _scores(PAGE_2, 2), _scores(PAGE_3, 4)])
    np.testing.assert_array_equal(batch[:len(PAGE_1)], alone)


def test_a_later_page_features_do_not_depend_on_the_pages_before_it():
    alone, _ = _batch_features([PAGE_3], [_scores(PAGE_3, 4)])
    batch, offsets = _batch_features([PAGE_1, PAGE_2, PAGE_3],
                                     [_scores(PAGE_1, 1), _scores(PAGE_2, 2), _scores(PAGE_3, 4)])
    # equal up to float rounding of the batch-wide cumulative sums
    np.testing.assert_allclose(batch[offsets[2]:], alone, rtol=1e-9, atol=1e-12)


def test_context_features_handle_an_empty_page_inside_the_batch():
    with_empty, offsets = _batch_features([PAGE_1, [], PAGE_3], [_scores(PAGE_1, 1), [], _scores(PAGE_3, 4)])
    without, _ = _batch_features([PAGE_1, PAGE_3], [_scores(PAGE_1, 1), _scores(PAGE_3, 4)])
    np.testing.assert_allclose(with_empty, without, rtol=1e-12, atol=0)


def test_first_and_last_line_of_a_page_have_no_neighbour_outside_it():
    # Same page twice in a batch: if any window or neighbour leaked across the boundary, the rows
    # of the first copy's last line or the second copy's first line would differ from the alone case.
    s = _scores(PAGE_2, 2)
    alone, _ = _batch_features([PAGE_2], [s])
    twice, _ = _batch_features([PAGE_2, PAGE_2], [s, s])
    n = len(PAGE_2)
    np.testing.assert_allclose(twice[:n], alone, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(twice[n:], alone, rtol=1e-9, atol=1e-12)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=12), min_size=1, max_size=5), st.integers(0, 2**16))
def test_every_page_of_a_random_batch_gets_the_features_it_gets_alone(sizes, seed):
    rng = np.random.RandomState(seed)
    words = ["Home", "Share", "The river rose overnight.", "Crews waited at the quay for hours.", "Next"]
    pages = [[words[rng.randint(len(words))] for _ in range(size)] for size in sizes]
    scores = [rng.normal(scale=3, size=size) for size in sizes]
    batch, offsets = _batch_features(pages, scores)
    for page, score, start in zip(pages, scores, offsets):
        if not page:
            continue
        alone, _ = _batch_features([page], [score])
        np.testing.assert_allclose(batch[start:start + len(page)], alone, rtol=1e-9, atol=1e-9)
