"""classifier.retrain and `train --base/--compare-with`: the base corpus, held-out folds by page,
and the before/after table. Tiny invented corpora; the bundled splits are swapped for tiny files."""

import re

import pytest

from classifier import cli
from classifier.corpus import write_jsonl, write_page_file
from classifier.model import load_model
from classifier.retrain import add_base, compare_rows, format_comparison, holdout_folds

from conftest import make_page
from conftest import run_cli as run


def _pages(seeds, site=None):
    return [make_page(s, site=site) for s in seeds]


# ----- units ------------------------------------------------------------------------------------

def test_holdout_by_page_scores_every_user_page_once_and_never_the_base():
    pages = _pages(range(6)) + _pages(range(10, 15), site="mine")
    folds, what = holdout_folds(pages, n_base=6, seed=0)
    held = sorted(i for _, h in folds for i in h)
    assert held == list(range(6, 11))
    assert all(set(range(6)) <= set(fit) and not set(fit) & set(h) for fit, h in folds)
    assert "by page" in what


def test_without_a_base_a_fifth_of_the_sites_is_held_out():
    pages = _pages(range(10))
    folds, what = holdout_folds(pages, n_base=0, seed=0)
    (fit, held), = folds
    held_sites = {pages[i].group for i in held}
    assert len(held_sites) == 1 and not held_sites & {pages[i].group for i in fit}
    assert "sites" in what


def test_holdout_folds_depend_only_on_the_seed():
    pages = _pages(range(6)) + _pages(range(10, 15), site="mine")
    assert holdout_folds(pages, 6, seed=3) == holdout_folds(pages, 6, seed=3)


def test_add_base_skips_base_pages_already_in_the_data():
    base = _pages(range(4))
    pages, added, skipped = add_base(base[:1] + _pages([9]), base)
    assert (added, skipped, len(pages)) == (3, 1, 5)


def test_the_comparison_shows_before_after_and_the_difference():
    rows = [{"set": "your pages", "pages": 5, "before": {"content_f1": 0.5, "shingle_f1": 0.8},
             "after": {"content_f1": 0.75, "shingle_f1": 0.7}}]
    text = format_comparison(rows, "old.joblib")
    assert "0.500 -> 0.750 (+0.250)" in text and "0.800 -> 0.700 (-0.100)" in text


def test_compare_rows_scores_both_models_on_the_same_pages():
    import numpy as np
    page = make_page(0)
    truth = np.array([lab == "content" for lab in page.labels], dtype=float)
    row = compare_rows("x", [page], [1 - truth], [truth], 0.5)
    assert row["after"]["content_f1"] == 1.0 and row["before"]["content_f1"] == 0.0


# ----- the train command ------------------------------------------------------------------------

@pytest.fixture
def bundled_splits(tmp_path, monkeypatch):
    """Tiny stand-ins for the bundled train and test splits."""
    paths = {"train": tmp_path / "base-train.jsonl", "test": tmp_path / "base-test.jsonl"}
    write_jsonl([p for p in _pages(range(20, 30))], paths["train"])
    write_jsonl([p for p in _pages(range(40, 44), site="testsite")], paths["test"])
    monkeypatch.setattr(cli, "bundled_data_path", lambda split: paths[split])
    return paths


@pytest.fixture
def my_pages(tmp_path):
    folder = tmp_path / "my_pages"
    folder.mkdir()
    for page in _pages(range(50, 54), site="mine"):
        page.source = ""
        write_page_file(page, folder / f"{page.id}.tsv")
    return folder


def test_base_none_trains_on_the_given_data_only(bundled_splits, my_pages, tmp_path):
    code, _, err = run(["train", str(my_pages), "-o", str(tmp_path / "m.joblib"), "--base", "none",
                        "--no-validate"])
    assert code == 0, err
    assert load_model(tmp_path / "m.joblib").metadata_["training_pages"] == 4


def test_base_bundled_adds_the_bundled_train_split(bundled_splits, my_pages, tmp_path):
    code, _, err = run(["train", str(my_pages), "-o", str(tmp_path / "m.joblib"), "--no-validate",
                        "--weight", "my_pages=5"])
    assert code == 0, err
    meta = load_model(tmp_path / "m.joblib").metadata_
    assert meta["training_pages"] == 14
    assert meta["training_sources"] == ["my_pages", "tests"]


def test_train_prints_before_and_after_on_held_out_pages_and_the_test_set(bundled_splits, my_pages, tmp_path,
                                                                          trained_model_file):
    code, out, err = run(["train", str(my_pages), "-o", str(tmp_path / "m.joblib"),
                          "--compare-with", str(trained_model_file)])
    assert code == 0, err
    assert f"before = {trained_model_file}" in out
    assert re.search(r"^your pages, held out by page \(3 folds\)\s+4\s+[\d.]+ -> [\d.]+ \([+-][\d.]+\)", out,
                     re.MULTILINE)
    assert re.search(r"^bundled test set\s+4\s+", out, re.MULTILINE)
    assert len(load_model(tmp_path / "m.joblib").metadata_["metrics"]["comparison"]) == 2


def test_test_pages_you_trained_on_are_left_out_of_the_comparison(bundled_splits, my_pages, tmp_path,
                                                                  trained_model_file):
    code, out, err = run(["train", str(bundled_splits["test"]), str(my_pages), "-o", str(tmp_path / "m.joblib"),
                          "--base", "none", "--compare-with", str(trained_model_file)])
    assert code == 0, err
    assert re.search(r"^held-out sites\s+4\s+", out, re.MULTILINE)
    assert "bundled test set: all its 4 pages are in the training data; not scored" in out


def test_a_missing_compare_with_model_fails_before_training(bundled_splits, my_pages, tmp_path):
    code, _, err = run(["train", str(my_pages), "-o", str(tmp_path / "m.joblib"),
                        "--compare-with", str(tmp_path / "old.joblib")])
    assert code == 1 and err.count("\n") == 1 and "old.joblib" in err, (code, err)
