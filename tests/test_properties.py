"""Property-based tests of the prediction API (LineClassifier and the module functions) over
arbitrary text, with the small session model.

Lines mix invented page lines (so both labels occur) with arbitrary Unicode strings, lone
surrogates and control characters included. The suite runs the "suite" Hypothesis profile
(tests/conftest.py); HYPOTHESIS_PROFILE=fuzz runs 10,000 examples per test.
"""

import os

import numpy as np
from conftest import CHROME, PROSE, TITLES
from hypothesis import given, settings
from hypothesis import strategies as st

import classifier
from classifier.labels import DEFAULT_THRESHOLD
from classifier.lines import split_lines

# Every example runs the model (a few ms): the suite profile runs 25 per test to stay fast; any
# other profile (fuzz: 10,000) sets the number.
model_examples = settings(max_examples=25) if os.environ.get("HYPOTHESIS_PROFILE", "suite") == "suite" else settings()
LINE_ENDS = ("\n", "\r\n", "\r")
# every code point, lone surrogates (category Cs) included
any_char = st.characters(blacklist_categories=())
page_line = st.sampled_from(CHROME + PROSE + TITLES + ["", "  ", "\t"])
free_line = st.text(any_char, max_size=60)
line = st.one_of(page_line, free_line)
lines = st.lists(line, max_size=25)
# lines as split_lines gives them: no \r or \n inside
plain_line = st.one_of(page_line, st.text(st.characters(blacklist_categories=(), blacklist_characters="\r\n"),
                                          max_size=60))


@st.composite
def page_text(draw):
    """A page as one str: lines joined by a mix of \\n, \\r\\n and \\r, maybe with a final line end."""
    parts = draw(st.lists(plain_line, max_size=25))
    ends = draw(st.lists(st.sampled_from(LINE_ENDS), min_size=len(parts), max_size=len(parts)))
    text = "".join(part + end for part, end in zip(parts, ends))
    return text if draw(st.booleans()) else text[: -len(ends[-1])] if ends else text


def _is_subsequence(small, big):
    it = iter(big)
    return all(any(s == b for b in it) for s in small)


@model_examples
@given(lines)
def test_one_probability_in_unit_interval_per_line_in_order(trained_model, page):
    probs = trained_model.predict_proba(page)
    assert probs.shape == (len(page),)
    assert np.isfinite(probs).all() and ((probs >= 0) & (probs <= 1)).all()
    blank = np.array([not x.strip() for x in page], dtype=bool)
    assert (probs[blank] == 0).all()  # blank lines stay where they were: labels are in line order


@model_examples
@given(lines)
def test_labels_agree_with_probabilities(trained_model, page):
    labels = trained_model.predict(page)
    probs = trained_model.predict_proba(page)
    assert labels == [classifier.Label.CONTENT if p >= DEFAULT_THRESHOLD else classifier.Label.BOILERPLATE for p in probs]


@model_examples
@given(page_text())
def test_a_text_page_is_predicted_as_its_lines(trained_model, text):
    probs = trained_model.predict_proba(text)
    assert len(probs) == len(split_lines(text))
    np.testing.assert_array_equal(probs, trained_model.predict_proba(split_lines(text)))


@model_examples
@given(page_text())
def test_clean_only_returns_lines_of_the_text_in_order(trained_model, text):
    kept = split_lines(trained_model.clean(text))
    assert _is_subsequence(kept, split_lines(text))
    assert all(k.strip() for k in kept)


@model_examples
@given(lines)
def test_clean_of_lines_joins_a_subsequence_of_them(trained_model, page):
    probs = trained_model.predict_proba(page)
    kept = [x for x, p in zip(page, probs) if p >= DEFAULT_THRESHOLD]
    assert trained_model.clean(page) == "\n".join(kept)


@model_examples
@given(lines)
def test_predicting_a_page_twice_gives_the_same_result(trained_model, page):
    first = trained_model.predict_proba(page)
    np.testing.assert_array_equal(first, trained_model.predict_proba(list(page)))
    assert trained_model.predict(page) == trained_model.predict(page)


@model_examples
@given(st.lists(lines, min_size=1, max_size=5), st.data())
def test_a_page_alone_equals_the_page_in_a_batch(trained_model, pages, data):
    k = data.draw(st.integers(0, len(pages) - 1))
    batch = trained_model.predict_proba_pages(pages)
    assert [len(p) for p in batch] == [len(p) for p in pages]
    np.testing.assert_array_equal(batch[k], trained_model.predict_proba(pages[k]))


@model_examples
@given(page_text())
def test_module_functions_equal_the_model_methods(trained_model, text):
    saved, classifier._DEFAULT = classifier._DEFAULT, trained_model
    try:
        assert classifier.predict(text) == trained_model.predict(text)
        assert classifier.clean(text) == trained_model.clean(text)
        assert classifier.predict_pages([text, text]) == trained_model.predict_pages([text, text])
    finally:
        classifier._DEFAULT = saved


@model_examples
@given(st.lists(st.text(st.characters(blacklist_categories=("Cs",)), max_size=40), max_size=15))
def test_utf8_bytes_lines_are_predicted_as_their_text(trained_model, page):
    np.testing.assert_array_equal(trained_model.predict_proba([x.encode("utf-8") for x in page]),
                                  trained_model.predict_proba(page))
