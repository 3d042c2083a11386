"""The public functions of classifier/__init__.py: predict, predict_proba, predict_pages, clean,
load_model, default_model.

Contract tests swap the cached default model for the small session model (the bundled model is
retrained from time to time; its own tests are in test_accuracy.py), and a few tests load the
bundled model itself.
"""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import classifier
from classifier.labels import Label
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


def test_predict_agrees_with_predict_proba_at_one_half(api_model):
    p = classifier.predict_proba(PAGE)
    assert classifier.predict(PAGE) == [Label.CONTENT if x >= 0.5 else Label.BOILERPLATE for x in p]


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


# ----- bad input -------------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", [None, 42])
def test_a_non_str_line_raises_type_error_naming_the_line(api_model, bad):
    with pytest.raises(TypeError, match=rf"line 1 is {type(bad).__name__}"):
        classifier.predict(["Home", bad, "Share"])


def test_a_page_that_is_none_raises_type_error(api_model):
    with pytest.raises(TypeError, match="NoneType"):
        classifier.predict(None)


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
    monkeypatch.setattr("classifier.model.bundled_file", lambda folder, name: None)
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
