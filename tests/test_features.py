"""classifier.features: pass-1 line features (shape columns and hashed n-grams)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from classifier.features import SHAPE_NAMES, TextFeatures, shape_features

PLACEHOLDER = SHAPE_NAMES.index("placeholder")
BLANK = SHAPE_NAMES.index("blank")

one_line = st.text(alphabet=st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",)), max_size=40)
# a non-empty line (a batch of one empty line is its own test below)
some_line = st.text(alphabet=st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",)),
                    min_size=1, max_size=40)


def test_shape_features_has_one_row_per_line_and_one_column_per_name():
    f = shape_features(["Home", "", "The river rose overnight."])
    assert f.shape == (3, len(SHAPE_NAMES))
    assert f.dtype == np.float64


def test_shape_features_of_no_lines_is_an_empty_table():
    assert shape_features([]).shape == (0, len(SHAPE_NAMES))


def test_shape_features_are_finite():
    f = shape_features(["", "   ", "Home", "€€€", "IconSearchIconMenu", "The river rose.", "x" * 5000])
    assert np.isfinite(f).all()


@pytest.mark.parametrize("line", [
    "You have {{x}} free articles left this month",
    "You have 3 free article{{x-plural}} left",
    "Welcome back, <<x>>",
    "Hi ${x}, your trial ends soon",
    "Your trial ends in %s days",
    "Your trial ends in %(x)s days",
    "Only {x} stories remain",
    "Offer price: [[x]] per month",
    "Hello __FIRST_NAME__, renew today",
])
def test_placeholder_is_detected_for_every_template_syntax(line):
    assert shape_features([line])[0, PLACEHOLDER] >= 1


def test_placeholder_is_detected_for_a_one_letter_double_underscore_name():
    assert shape_features(["Hello __X__, renew today"])[0, PLACEHOLDER] >= 1


@pytest.mark.parametrize("line", [
    "The river rose overnight and the ferry crews waited at the quay.",
    "Prices climbed 5% since spring, to $12 a crate.",
    "Use snake_case names such as max_count in the settings file.",
    "The score was 3-1 at the break (and 4-1 at the end).",
    "She said: \u00abnothing changes here\u00bb, and left.",
    "Read the notes at https://quayside.example/notes before Friday.",
])
def test_placeholder_is_not_detected_in_plain_prose(line):
    assert shape_features([line])[0, PLACEHOLDER] == 0


def test_placeholder_count_is_per_line():
    f = shape_features(["You have {{n}} left", "The river rose.", "Hi ${name}"])
    assert (f[:, PLACEHOLDER] > 0).tolist() == [True, False, True]


def test_blank_column_marks_empty_and_whitespace_only_lines():
    f = shape_features(["", "   \t", "Home", " . ", ""])
    assert f[:, BLANK].tolist() == [1, 1, 0, 0, 1]


def test_shape_features_of_a_single_empty_line_is_one_blank_row():
    f = shape_features([""])
    assert f.shape == (1, len(SHAPE_NAMES))
    assert f[0, BLANK] == 1


def test_text_features_of_a_single_empty_line_is_one_row():
    assert TextFeatures(n_features=2**10).fit([]).transform([""]).shape[0] == 1


def test_longer_lines_get_larger_log_chars():
    f = shape_features(["Home", "The river rose overnight and the ferry crews waited."])
    col = SHAPE_NAMES.index("log_chars")
    assert f[1, col] > f[0, col]


@settings(max_examples=60, deadline=None)
@given(st.lists(one_line, min_size=1, max_size=5), some_line)
def test_shape_features_of_a_line_do_not_depend_on_the_other_lines_of_the_batch(others, line):
    alone = shape_features([line])[0]
    in_batch = shape_features(others + [line])[-1]
    np.testing.assert_allclose(in_batch, alone)


def test_text_features_width_is_two_hashed_blocks_plus_shape():
    X = TextFeatures(n_features=2**10).fit([]).transform(["Share", "", "The river rose overnight."])
    assert X.shape == (3, 2 * 2**10 + len(SHAPE_NAMES))


def test_text_features_are_deterministic_across_instances():
    lines = ["Subscribe now for $1", "The river rose overnight.", "東京の天気"]
    a = TextFeatures(n_features=2**12).fit([]).transform(lines)
    b = TextFeatures(n_features=2**12).fit([]).transform(lines)
    assert (a != b).nnz == 0


@settings(max_examples=40, deadline=None)
@given(st.lists(one_line, min_size=1, max_size=5), some_line)
def test_text_features_of_a_line_do_not_depend_on_the_other_lines_of_the_batch(others, line):
    tf = TextFeatures(n_features=2**10).fit([])
    alone = tf.transform([line]).toarray()[0]
    in_batch = tf.transform(others + [line]).toarray()[-1]
    np.testing.assert_allclose(in_batch, alone, rtol=1e-6)


def test_text_features_give_different_rows_for_different_text():
    X = TextFeatures(n_features=2**12).fit([]).transform(["Sign in", "The harbour master counted nine boats."])
    assert (X[0] != X[1]).nnz > 0


def test_text_features_accept_a_generator():
    tf = TextFeatures(n_features=2**10).fit([])
    X = tf.transform(line for line in ["Home", "Share"])
    assert X.shape[0] == 2
