"""classifier.kinds: line-kind targets from categories, and the pass-2 columns built from them."""

import numpy as np
import pytest

from classifier.corpus import read_pages
from classifier.kinds import (CATEGORY_KIND, KIND_RADII, KIND_SHIFTS, KINDS, fit_kinds, kind_features, kind_probs,
                              kind_targets)
from classifier.labels import Label

from conftest import TEST_JSONL, TRAIN_JSONL

#: The first kinds are content, the others boilerplate (kinds.KINDS says so).
CONTENT_KINDS = 3


def _probs(n, seed=0):
    return kind_probs(np.random.RandomState(seed).normal(size=(n, len(KINDS))) * 3)


def test_every_category_of_the_bundled_corpus_has_a_kind_of_its_label():
    for page in read_pages([TRAIN_JSONL, TEST_JSONL]):
        for category, label in zip(page.categories, page.labels):
            assert category in CATEGORY_KIND, category
            assert (CATEGORY_KIND[category] < CONTENT_KINDS) == (label == Label.CONTENT), category


def test_unknown_and_missing_categories_get_no_kind():
    assert kind_targets(["no-such-category", ""]).tolist() == [-1, -1]


def test_kind_probs_sum_to_one_per_line():
    assert np.allclose(_probs(5).sum(axis=1), 1.0)


def test_kind_probs_survive_huge_decision_values():
    probs = kind_probs(np.array([[1e6, -1e6, 0.0]]))
    assert np.isfinite(probs).all() and probs[0, 0] == pytest.approx(1.0)


def test_kind_features_have_a_block_per_shift_and_radius():
    expected = len(KINDS) * (1 + len(KIND_SHIFTS) + len(KIND_RADII))
    assert kind_features(_probs(4), np.array([0])).shape == (4, expected)


def test_kind_features_never_look_across_a_page_boundary():
    probs = _probs(6)
    together = kind_features(probs, np.array([0, 3]))
    assert np.array_equal(together[:3], kind_features(probs[:3], np.array([0])))
    assert np.array_equal(together[3:], kind_features(probs[3:], np.array([0])))


def test_kind_features_of_a_page_do_not_depend_on_the_batch():
    probs = _probs(40, seed=3)
    alone = kind_features(probs[17:], np.array([0]))
    in_batch = kind_features(probs, np.array([0, 5, 17]))[17:]
    assert np.array_equal(alone, in_batch)


def test_kind_features_mark_a_missing_neighbour_with_a_value_no_probability_takes():
    first_line = kind_features(_probs(3), np.array([0]))[0]
    previous = first_line[len(KINDS) * (1 + KIND_SHIFTS.index(-1)):][:len(KINDS)]
    assert (previous < 0).all()


def _kind_data(kinds_present):
    from scipy import sparse
    rows = np.repeat(kinds_present, 5)
    X = sparse.csr_matrix(np.eye(len(KINDS))[rows] + 0.01)
    return X, np.asarray(rows)


def test_fit_kinds_scores_each_kind_highest_on_its_own_lines():
    from sklearn.linear_model import SGDClassifier
    X, y = _kind_data(list(range(len(KINDS))))
    coef, intercept = fit_kinds(SGDClassifier(loss="log_loss", random_state=0), X, y, np.arange(len(y)))
    assert coef.dtype == np.float32 and coef.flags.c_contiguous
    assert ((X @ coef + intercept).argmax(axis=1) == y).all()


def test_fit_kinds_with_two_kinds_gives_the_others_no_chance():
    from sklearn.linear_model import SGDClassifier
    X, y = _kind_data([1, 4])
    coef, intercept = fit_kinds(SGDClassifier(loss="log_loss", random_state=0), X, y, np.arange(len(y)))
    scores = X @ coef + intercept
    assert set(scores.argmax(axis=1)) <= {1, 4}
    assert (scores.argmax(axis=1) == y).all()


def test_fit_kinds_ignores_rows_without_a_kind():
    from sklearn.linear_model import SGDClassifier
    X, y = _kind_data([0, 2])
    y = y.copy()
    y[:5] = -1  # kind 0 unknown: only kind 2 is left
    coef, intercept = fit_kinds(SGDClassifier(loss="log_loss", random_state=0), X, y, np.arange(len(y)))
    assert intercept.argmax() == 2 and not coef.any()


def test_fit_kinds_pads_the_columns_left_out_with_zero_rows():
    from scipy import sparse
    from sklearn.linear_model import SGDClassifier
    X, y = _kind_data(list(range(len(KINDS))))
    coef, intercept = fit_kinds(SGDClassifier(loss="log_loss", random_state=0), X, y, np.arange(len(y)), pad=3)
    assert coef.shape == (3 + X.shape[1], len(KINDS)) and coef.flags.c_contiguous
    assert not coef[:3].any()
    wide = sparse.hstack([sparse.csr_matrix(np.ones((X.shape[0], 3))), X]).tocsr()
    assert ((wide @ coef + intercept).argmax(axis=1) == y).all()
