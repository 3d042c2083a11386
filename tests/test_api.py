"""The public functions of classifier/__init__.py: predict, predict_proba, predict_pages, clean,
load_model, default_model.

Contract tests swap the cached default model for the small session model (the bundled model is
retrained from time to time; its own tests are in test_accuracy.py), and a few tests load the
bundled model itself.
"""

import copy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import classifier
from classifier.labels import DEFAULT_THRESHOLD, Label
from classifier.lines import split_lines

REPO = Path(__file__).resolve().parents[1]

PAGE = ["Home", "Sign in", "Ferry crews wait out the flood", "",
        "The river rose overnight and the ferry crews waited at the quay until the water fell.", "",
        "Volunteers stacked sandbags along the old mill wall while the bakery handed out bread.",
        "Share", "© 2026 The Quayside Courier"]


@pytest.fixture
def api_model(trained_model, monkeypatch):
    """Make the session model the cached default model for the duration of a test."""
    monkeypatch.setattr(classifier, "_DEFAULT", trained_model)
    return trained_model


# ----- len(predict(x)) == len(x) ------------------------------------------------------------------

def test_predict_gives_one_label_per_line_of_a_list_with_blank_lines(api_model):
    assert len(classifier.predict(PAGE)) == len(PAGE)


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_predict_on_a_str_page_gives_one_label_per_line(api_model, newline):
    text = newline.join(PAGE)
    assert len(classifier.predict(text)) == len(PAGE) == len(split_lines(text))


def test_predict_on_a_str_page_equals_predict_on_its_lines(api_model):
    assert classifier.predict("\r\n".join(PAGE) + "\r\n") == classifier.predict(PAGE)


def test_predict_accepts_a_tuple(api_model):
    assert classifier.predict(tuple(PAGE)) == classifier.predict(PAGE)


def test_predict_accepts_a_generator(api_model):
    assert classifier.predict(line for line in PAGE) == classifier.predict(PAGE)


def test_predict_accepts_a_numpy_array_of_str(api_model):
    assert classifier.predict(np.array(PAGE)) == classifier.predict(PAGE)


def test_predict_labels_are_label_members_equal_to_plain_strings(api_model):
    labels = classifier.predict(PAGE)
    assert all(isinstance(lab, Label) for lab in labels)
    assert set(labels) <= {"content", "boilerplate"}


def test_predict_on_an_empty_list_is_an_empty_list(api_model):
    assert classifier.predict([]) == []


def test_predict_on_an_empty_str_is_an_empty_list(api_model):
    assert classifier.predict("") == []


def test_predict_passes_the_threshold_on(api_model):
    assert classifier.predict(PAGE, threshold=0.8) == api_model.predict(PAGE, 0.8)


def test_a_threshold_above_one_labels_everything_boilerplate(api_model):
    assert set(classifier.predict(PAGE, threshold=1.01)) == {Label.BOILERPLATE}


# ----- predict_proba -------------------------------------------------------------------------------

def test_predict_proba_is_a_float_array_in_unit_interval(api_model):
    p = classifier.predict_proba(PAGE)
    assert isinstance(p, np.ndarray)
    assert p.dtype.kind == "f"
    assert len(p) == len(PAGE)
    assert ((p >= 0) & (p <= 1)).all()


def test_predict_proba_of_blank_lines_is_zero(api_model):
    p = classifier.predict_proba(PAGE)
    assert p[3] == 0.0 and p[5] == 0.0


def test_predict_agrees_with_predict_proba_at_the_default_threshold(api_model):
    p = classifier.predict_proba(PAGE)
    assert classifier.predict(PAGE) == [Label.CONTENT if x >= DEFAULT_THRESHOLD else Label.BOILERPLATE for x in p]


# ----- predict_pages ---------------------------------------------------------------------------------

def test_predict_pages_equals_predict_on_each_page(api_model, page_factory):
    pages = [PAGE, page_factory(1).lines, "Menu\nThe river rose.\n", [], page_factory(2, blank_between=True).lines]
    assert classifier.predict_pages(pages) == [classifier.predict(p) for p in pages]


def test_predict_pages_accepts_a_generator_of_pages(api_model, page_factory):
    pages = [PAGE, page_factory(4).lines]
    assert classifier.predict_pages(p for p in pages) == classifier.predict_pages(pages)


def test_predict_pages_passes_the_threshold_on(api_model):
    assert classifier.predict_pages([PAGE], threshold=1.01) == [[Label.BOILERPLATE] * len(PAGE)]


# ----- clean ------------------------------------------------------------------------------------------

def test_clean_returns_only_lines_of_the_input_in_order(api_model):
    kept = split_lines(classifier.clean(PAGE))
    it = iter(PAGE)
    assert all(any(k == line for line in it) for k in kept)


def test_clean_of_a_str_page_equals_clean_of_its_lines(api_model):
    assert classifier.clean("\n".join(PAGE)) == classifier.clean(PAGE)


def test_clean_with_a_threshold_above_one_is_empty(api_model):
    assert classifier.clean(PAGE, threshold=1.01) == ""


# ----- unusual and bad input: the module functions and the LineClassifier methods alike -----------

@pytest.fixture(params=["module", "model"])
def api(request, api_model):
    """The public functions (module level) or the same methods of the session LineClassifier."""
    return classifier if request.param == "module" else api_model


ODD_LINES = {
    "nul": "Ferry\x00crews\x00wait",
    "lone surrogates": "The river \ud800rose\udfff overnight.",
    "control characters": "\x1b[1mHome\x1b[0m\x07\x08\x7f\x9f",
    "rtl marks": "\u200f\u0645\u0631\u062d\u0628\u0627\u200e \u202ethe river rose\u202c",
    "zero-width": "\u200b\u200c\u200d\ufeff",
    "emoji": "\U0001F30A\U0001F6A2 Flood update \U0001F468\u200d\U0001F469\u200d\U0001F467 \U0001F1EB\U0001F1F7",
    "mixed scripts": "Hochwasser 洪水 наводнение فيضان 홍수 inondation",
}


@pytest.mark.parametrize("case", sorted(ODD_LINES))
def test_unusual_characters_get_one_label_per_line_in_order(api, case):
    page = PAGE[:3] + [ODD_LINES[case]] + PAGE[3:]
    probs = api.predict_proba(page)
    assert len(api.predict(page)) == len(probs) == len(page)
    assert ((probs >= 0) & (probs <= 1)).all()
    assert probs[4] == 0.0 and probs[3] > 0.0  # the blank line after it, and the line itself


@pytest.mark.parametrize("case", sorted(ODD_LINES))
def test_clean_returns_unusual_lines_unchanged(api, case):
    page = [ODD_LINES[case]] + PAGE
    assert api.clean(page, threshold=0.0) == "\n".join(page)  # threshold 0 keeps every line


@pytest.mark.parametrize("fn", ["predict", "predict_proba", "clean"])
def test_an_empty_page_gives_an_empty_result(api, fn):
    assert len(getattr(api, fn)([])) == 0


def test_predict_pages_of_no_pages_and_an_empty_page(api):
    assert api.predict_pages([]) == []
    assert api.predict_pages([[]]) == [[]]


def test_a_page_of_blank_lines_is_all_boilerplate_with_probability_zero(api):
    blank = ["", "  ", "\t", "\u3000"]
    assert api.predict(blank) == [Label.BOILERPLATE] * 4
    assert api.predict_proba(blank).tolist() == [0.0] * 4
    assert api.clean(blank) == ""


@pytest.mark.parametrize("bad", [None, 42, 4.2])
@pytest.mark.parametrize("fn", ["predict", "predict_proba", "clean"])
def test_a_non_str_line_raises_type_error_naming_the_line(api, fn, bad):
    with pytest.raises(TypeError, match=rf"line 3 is {type(bad).__name__}, expected str"):
        getattr(api, fn)(["Home", "Share", "Next", bad])


def test_predict_pages_names_the_page_of_a_non_str_line(api):
    with pytest.raises(TypeError, match=r"page 1: line 0 is NoneType"):
        api.predict_pages([PAGE, [None]])


@pytest.mark.parametrize("fn", ["predict", "predict_proba", "clean"])
def test_a_page_that_is_none_raises_type_error(api, fn):
    with pytest.raises(TypeError, match="NoneType"):
        getattr(api, fn)(None)


def test_predict_pages_refuses_a_single_text(api):
    with pytest.raises(TypeError, match="one text"):
        api.predict_pages("\n".join(PAGE))


def test_a_dict_page_raises_type_error(api):
    with pytest.raises(TypeError, match="dict"):
        api.predict({"lines": PAGE})


def test_a_utf8_bytes_page_equals_its_text(api):
    text = "\n".join(PAGE)
    assert api.predict(text.encode("utf-8")) == api.predict(text)


def test_utf8_bytes_lines_equal_their_text(api):
    assert api.predict([line.encode("utf-8") for line in PAGE]) == api.predict(PAGE)


def test_non_utf8_bytes_raise_value_error(api):
    with pytest.raises(ValueError, match=r"line 1 is bytes that are not valid UTF-8"):
        api.predict(["Home", "Caf\u00e9".encode("latin-1")])


@pytest.mark.parametrize("dtype", [None, object])
def test_a_numpy_array_of_lines_equals_the_list(api, dtype):
    np.testing.assert_array_equal(api.predict_proba(np.array(PAGE, dtype=dtype)), api.predict_proba(PAGE))


def test_a_generator_of_lines_equals_the_list(api):
    assert api.clean(line for line in PAGE) == api.clean(PAGE)


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_crlf_and_cr_text_equals_the_lines(api, newline):
    np.testing.assert_array_equal(api.predict_proba(newline.join(PAGE) + newline), api.predict_proba(PAGE))


def test_a_list_item_holding_a_newline_is_one_line(api):
    item = PAGE[4] + "\n" + PAGE[5]
    page = PAGE[:4] + [item] + PAGE[6:]
    assert len(api.predict(page)) == len(page)
    assert api.clean(page, threshold=0.0).split("\n")[4:6] == [PAGE[4], PAGE[5]]


def test_a_10_mb_line_gets_one_probability(api_model):
    line = ("The river rose overnight, and the crews waited at the quay. " * 170_000)[:10_000_000]
    probs = classifier.predict_proba(["Home", line, "Share"])
    assert probs.shape == (3,) and ((probs >= 0) & (probs <= 1)).all()


def test_a_page_of_50000_lines_gets_one_label_per_line(trained_model, monkeypatch):
    ungated = copy.copy(trained_model)  # the page gate may empty a page this repetitive
    ungated.page_min_ = 0.0
    monkeypatch.setattr(classifier, "_DEFAULT", ungated)
    page = (PAGE * 5_556)[:50_000]
    probs = classifier.predict_proba(page)
    assert len(probs) == 50_000
    np.testing.assert_array_equal(probs == 0, np.array([not line.strip() for line in page]))


@pytest.mark.slow
def test_a_page_of_a_million_short_lines_gets_one_label_per_line(api_model):
    page = ["Home", "Share", "", "The river rose."] * 250_000
    labels = classifier.predict(page)
    assert len(labels) == 1_000_000
    assert labels[2::4] == [Label.BOILERPLATE] * 250_000


# ----- models --------------------------------------------------------------------------------------

def test_load_model_reads_a_model_file(trained_model, trained_model_file):
    model = classifier.load_model(trained_model_file)
    np.testing.assert_array_equal(model.predict_proba(PAGE), trained_model.predict_proba(PAGE))


def test_load_model_of_a_missing_file_raises_model_error(tmp_path):
    with pytest.raises(classifier.ModelError):
        classifier.load_model(tmp_path / "missing.joblib")


def test_module_functions_load_the_default_model_once(monkeypatch, trained_model):
    calls = []

    def fake_load():
        calls.append(1)
        return trained_model

    monkeypatch.setattr(classifier, "_DEFAULT", None)
    monkeypatch.setattr("classifier.model.load_bundled", fake_load)
    classifier.predict(PAGE)
    classifier.predict_proba(PAGE)
    classifier.clean(PAGE)
    assert len(calls) == 1
    assert classifier.default_model() is trained_model


def test_a_missing_bundled_model_raises_model_error(monkeypatch):
    monkeypatch.setattr(classifier, "_DEFAULT", None)
    monkeypatch.setattr("classifier.modelio.bundled_file", lambda folder, name: None)
    with pytest.raises(classifier.ModelError, match="default.joblib"):
        classifier.predict(PAGE)


def test_default_model_is_the_same_object_twice():
    assert classifier.default_model() is classifier.default_model()


def test_default_model_is_a_line_classifier():
    assert isinstance(classifier.default_model(), classifier.LineClassifier)


def test_bundled_model_gives_one_label_per_line():
    assert len(classifier.default_model().predict(PAGE)) == len(PAGE)


# ----- the package ---------------------------------------------------------------------------------

def test_every_public_name_is_available():
    for name in classifier.__all__:
        assert getattr(classifier, name) is not None


def test_unknown_attribute_raises_attribute_error():
    with pytest.raises(AttributeError, match="no_such_thing"):
        classifier.no_such_thing  # noqa: B018


def test_importing_the_package_does_not_import_scikit_learn():
    code = "import sys, classifier; print('sklearn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
