"""classifier.model: training, prediction, and the model file format."""

import copy
import dataclasses
import os
import stat

import joblib
import numpy as np
import pytest
import sklearn
from sklearn.linear_model import LogisticRegression

from conftest import TEST_JSONL

from classifier import model as model_module
from classifier import pass2 as pass2_module
from classifier.corpus import Page, read_pages
from classifier.config import PAGE_MIN_LINES, PAGE_MIN_P
from classifier.context import context_features
from classifier.features import shape_features
from classifier.kinds import KIND_COLUMNS, KINDS
from classifier.labels import Label
from classifier.model import (FORMAT_VERSION, Config, LineClassifier, ModelError, load_model, read_model_file,
                              save_model)
from classifier.overlap import OVERLAP_COLUMNS
from classifier.sitememory import SITE_COLUMNS, apply_site_memory, site_columns


#: Columns of context.context_features, before the overlap and kind columns.
_CONTEXT_WIDTH = context_features(np.zeros(1), shape_features(["x"]), np.array([0]), np.ones(1)).shape[1]


def _payload(model, **changes):
    payload = {"format_version": FORMAT_VERSION, "sklearn_version": sklearn.__version__, "model": model}
    payload.update(changes)
    return payload


def _is_content(page):
    return np.array([lab == Label.CONTENT for lab in page.labels])


# ----- predictions ---------------------------------------------------------------------------------

def test_predict_proba_is_a_float_array_of_probabilities(trained_model, heldout_pages):
    p = trained_model.predict_proba(heldout_pages[0].lines)
    assert p.dtype.kind == "f"
    assert p.shape == (len(heldout_pages[0].lines),)
    assert ((p >= 0) & (p <= 1)).all()


def test_content_lines_score_higher_than_boilerplate_lines_on_unseen_sites(trained_model, heldout_pages):
    probs = trained_model.predict_proba_pages([p.lines for p in heldout_pages])
    y = np.concatenate([_is_content(p) for p in heldout_pages])
    p = np.concatenate(probs)
    assert p[y].mean() > p[~y].mean() + 0.2


def test_line_accuracy_on_unseen_sites_beats_the_majority_class(trained_model, heldout_pages):
    y = np.concatenate([_is_content(p) for p in heldout_pages])
    pred = np.concatenate(trained_model.predict_proba_pages([p.lines for p in heldout_pages])) >= 0.5
    assert np.mean(pred == y) > max(y.mean(), 1 - y.mean())


def test_predict_pages_equals_predict_on_each_page(trained_model, heldout_pages):
    pages = [p.lines for p in heldout_pages[:4]]
    assert trained_model.predict_pages(pages) == [trained_model.predict(p) for p in pages]


def test_predict_proba_pages_matches_single_page_probabilities(trained_model, heldout_pages):
    pages = [p.lines for p in heldout_pages[:4]]
    batch = trained_model.predict_proba_pages(pages)
    for lines, probs in zip(pages, batch):
        np.testing.assert_allclose(probs, trained_model.predict_proba(lines), rtol=0, atol=1e-9)


def test_blank_lines_get_probability_zero(trained_model, page_factory):
    lines = page_factory(3, blank_between=True).lines
    probs = trained_model.predict_proba(lines + ["   ", "\t"])
    blank = np.array([not s.strip() for s in lines + ["   ", "\t"]])
    assert (probs[blank] == 0).all()


def test_blank_lines_do_not_change_the_other_lines_probabilities(trained_model, heldout_pages):
    lines = heldout_pages[1].lines
    spaced = [x for line in lines for x in (line, "")] + ["  "]
    with_blanks = trained_model.predict_proba(spaced)
    np.testing.assert_array_equal(with_blanks[::2][:len(lines)], trained_model.predict_proba(lines))


def test_a_page_of_blank_lines_gets_all_zeros(trained_model):
    assert trained_model.predict_proba(["", "  ", "\t"]).tolist() == [0.0, 0.0, 0.0]


def test_an_empty_page_gets_no_labels(trained_model):
    assert trained_model.predict([]) == []
    assert trained_model.predict_proba([]).shape == (0,)


def test_no_pages_get_no_predictions(trained_model):
    assert trained_model.predict_pages([]) == []


def test_raising_the_threshold_never_adds_content_lines(trained_model, heldout_pages):
    lines = heldout_pages[2].lines
    low = np.array(trained_model.predict(lines, 0.3)) == Label.CONTENT
    high = np.array(trained_model.predict(lines, 0.7)) == Label.CONTENT
    assert not (high & ~low).any()


def test_predict_returns_label_members(trained_model, page_factory):
    labels = trained_model.predict(page_factory(0).lines)
    assert all(isinstance(lab, Label) for lab in labels)


def test_clean_keeps_only_input_lines_in_order(trained_model, heldout_pages):
    lines = heldout_pages[3].lines
    kept = trained_model.clean(lines).split("\n")
    it = iter(lines)
    assert all(any(k == line for line in it) for k in kept)  # kept is a subsequence of lines


def test_clean_keeps_exactly_the_lines_predicted_content(trained_model, heldout_pages):
    lines = heldout_pages[3].lines
    labels = trained_model.predict(lines)
    expected = "\n".join(line for line, lab in zip(lines, labels) if lab == Label.CONTENT)
    assert trained_model.clean(lines) == expected


def test_an_unfitted_model_raises_model_error():
    with pytest.raises(ModelError, match="not trained"):
        LineClassifier().predict(["Home"])


# ----- training --------------------------------------------------------------------------------------

def test_fit_sets_classes_with_content_last(trained_model):
    assert trained_model.classes_.tolist() == ["boilerplate", "content"]


def test_training_is_deterministic_for_a_seed(trained_model, train_pages, small_config, heldout_pages):
    again = LineClassifier(small_config).fit([p.lines for p in train_pages], [p.labels for p in train_pages],
                                             [p.group for p in train_pages],
                                             categories=[p.categories for p in train_pages])
    pages = [p.lines for p in heldout_pages]
    for a, b in zip(trained_model.predict_proba_pages(pages), again.predict_proba_pages(pages)):
        np.testing.assert_array_equal(a, b)


def test_fit_trains_on_fit_threads_whatever_the_callers_limit(train_pages, small_config, monkeypatch):
    # BLAS sums split by thread would change pass 1's scores, and the trees with them
    from threadpoolctl import threadpool_info, threadpool_limits

    seen = []  # the (library api, threads) pairs in force at each SGD fit
    real_fit = model_module.SGDClassifier.fit

    def spy(self, *args, **kwargs):
        seen.append({(i["user_api"], i["num_threads"]) for i in threadpool_info()})
        return real_fit(self, *args, **kwargs)

    monkeypatch.setattr(model_module.SGDClassifier, "fit", spy)
    pages = train_pages[:16]
    with threadpool_limits(limits=2):
        LineClassifier(small_config).fit([p.lines for p in pages], [p.labels for p in pages], [p.group for p in pages])
    assert seen and all(n == model_module.FIT_THREADS for pairs in seen for _, n in pairs)
    assert {api for pairs in seen for api, _ in pairs} >= {"blas", "openmp"}


def test_fit_gives_the_callers_thread_limit_back(train_pages, small_config):
    from threadpoolctl import threadpool_info, threadpool_limits

    pages = train_pages[:16]
    with threadpool_limits(limits=2):
        LineClassifier(small_config).fit([p.lines for p in pages], [p.labels for p in pages], [p.group for p in pages])
        assert {i["num_threads"] for i in threadpool_info()} == {2}


def test_the_session_model_learned_every_line_kind(trained_model):
    assert trained_model.kind_coef_.shape == (trained_model.features_.n_features_out_, len(KINDS))
    assert (trained_model.kind_coef_ != 0).any(axis=0).all()


def test_pages_without_categories_train_no_line_kinds(small_config, train_pages):
    model = LineClassifier(small_config).fit([p.lines for p in train_pages], [p.labels for p in train_pages],
                                             [p.group for p in train_pages])
    assert model.kind_coef_ is None
    assert len(model.predict(train_pages[0].lines)) == len(train_pages[0].lines)


def test_line_kinds_can_be_switched_off(small_config, train_pages):
    config = dataclasses.replace(small_config, kinds=False)
    model = LineClassifier(config).fit([p.lines for p in train_pages], [p.labels for p in train_pages],
                                       [p.group for p in train_pages], categories=[p.categories for p in train_pages])
    assert model.kind_coef_ is None


def _fit_kinds_model(config, pages):
    return LineClassifier(config).fit([p.lines for p in pages], [p.labels for p in pages], [p.group for p in pages],
                                      categories=[p.categories for p in pages])


def test_word_only_kinds_learn_nothing_from_char_n_grams(small_config, train_pages):
    model = _fit_kinds_model(dataclasses.replace(small_config, kind_chars=False), train_pages)
    n = model.features_.n_features
    assert model.kind_first_ == len(model.features_.char_orders)
    assert not model.kind_coef_[:n].any()
    assert (model.kind_coef_[n:] != 0).any(axis=0).all()


def test_kinds_with_char_n_grams_read_every_block(small_config, train_pages):
    model = _fit_kinds_model(dataclasses.replace(small_config, kind_chars=True), train_pages)
    assert model.kind_first_ == 0
    assert model.kind_coef_[:model.features_.n_features].any()


def test_word_only_kinds_predict_alike_with_and_without_kernels(small_config, train_pages, heldout_pages,
                                                                monkeypatch):
    model = _fit_kinds_model(dataclasses.replace(small_config, kind_chars=False), train_pages)
    pages = [p.lines for p in heldout_pages]
    monkeypatch.delenv("LINESIFT_NO_SPEEDUPS", raising=False)
    compiled = model.predict_proba_pages(pages)
    monkeypatch.setenv("LINESIFT_NO_SPEEDUPS", "1")
    assert all(np.array_equal(a, b) for a, b in zip(compiled, model.predict_proba_pages(pages)))


def test_a_word_only_kinds_model_predicts_the_same_without_kind_first(small_config, train_pages, tmp_path):
    # code that ignores kind_first_ (or a file without it) reads the zero char rows: same numbers
    model = _fit_kinds_model(dataclasses.replace(small_config, kind_chars=False), train_pages)
    expected = model.predict_proba(train_pages[0].lines)
    del model.kind_first_
    path = tmp_path / "v5.joblib"
    joblib.dump(_payload(model, format_version=5), path)
    np.testing.assert_array_equal(load_model(path).predict_proba(train_pages[0].lines), expected)


def test_predict_tells_the_kernel_to_skip_the_char_rows_of_word_only_kinds(small_config, train_pages,
                                                                           monkeypatch):
    model = _fit_kinds_model(dataclasses.replace(small_config, kind_chars=False), train_pages)
    seen = []
    real = model_module.fast.text_score

    def spy(*args):
        seen.append(args[-1])
        return real(*args)

    monkeypatch.setattr(model_module.fast, "text_score", spy)
    monkeypatch.delenv("LINESIFT_NO_SPEEDUPS", raising=False)
    model.predict_proba(train_pages[0].lines)
    if model_module.fast.kernels() is not None:  # without the kernels there is nothing to skip
        assert seen == [len(model.features_.char_orders)]


def test_categories_not_matching_lines_raise_value_error(small_config):
    with pytest.raises(ValueError, match="one category per line"):
        LineClassifier(small_config).fit([["Home", "Story."]] * 2, [["boilerplate", "content"]] * 2, ["a", "b"],
                                         categories=[["nav"], None])


def test_one_class_training_data_raises_value_error(small_config):
    pages = [["The river rose overnight.", "Crews waited at the quay."]] * 3
    with pytest.raises(ValueError, match="one class"):
        LineClassifier(small_config).fit(pages, [["content", "content"]] * 3, ["a", "b", "c"])


def test_blank_lines_do_not_count_as_a_second_class(small_config):
    pages = [["The river rose overnight.", "", "Crews waited at the quay."]] * 3
    with pytest.raises(ValueError, match="one class"):
        LineClassifier(small_config).fit(pages, [["content", "boilerplate", "content"]] * 3, ["a", "b", "c"])


def test_labels_not_matching_lines_raise_value_error(small_config):
    with pytest.raises(ValueError, match="one label per line"):
        LineClassifier(small_config).fit([["Home", "Story."]], [["boilerplate"]], ["a"])


def test_fit_accepts_pages_of_invented_text(small_config, pages_factory):
    pages = pages_factory(10)
    model = LineClassifier(small_config).fit([p.lines for p in pages], [p.labels for p in pages],
                                             [p.group for p in pages])
    assert len(model.predict(pages[0].lines)) == len(pages[0].lines)


def test_fit_works_when_every_page_is_short(small_config):
    pages = [["Home", f"The river rose {i} metres overnight.", "Share"] for i in range(6)]
    labels = [["boilerplate", "content", "boilerplate"]] * 6
    model = LineClassifier(small_config).fit(pages, labels, list("abcdef"))
    assert len(model.predict(pages[0])) == 3


def test_fit_ignores_a_site_whose_pages_are_all_blank(small_config, pages_factory):
    blank = Page(id="empty", lines=["", "  "], labels=["boilerplate", "boilerplate"], site="blank.example")
    pages = pages_factory(6, site="quayside.example") + [blank]
    model = LineClassifier(small_config).fit([p.lines for p in pages], [p.labels for p in pages],
                                             [p.group for p in pages])
    assert len(model.predict(pages[0].lines)) == len(pages[0].lines)


# ----- files ----------------------------------------------------------------------------------------

def test_save_and_load_give_identical_probabilities(trained_model, trained_model_file, heldout_pages):
    loaded = load_model(trained_model_file)
    pages = [p.lines for p in heldout_pages[:3]]
    for a, b in zip(trained_model.predict_proba_pages(pages), loaded.predict_proba_pages(pages)):
        np.testing.assert_array_equal(a, b)


def test_loaded_model_carries_its_metadata(trained_model_file):
    meta = load_model(trained_model_file).metadata_
    assert meta["format_version"] == FORMAT_VERSION
    assert meta["sklearn_version"] == sklearn.__version__
    assert meta["provenance"] == "tests"
    assert meta["config"]["trees"] == 40
    assert "model" not in meta


def test_load_model_accepts_a_str_path(trained_model_file):
    assert isinstance(load_model(str(trained_model_file)), LineClassifier)


def test_save_model_leaves_no_temporary_file(trained_model, tmp_path):
    save_model(trained_model, tmp_path / "m.joblib")
    assert [p.name for p in tmp_path.iterdir()] == ["m.joblib"]


def test_save_model_creates_missing_folders(trained_model, tmp_path):
    path = save_model(trained_model, tmp_path / "a" / "b" / "m.joblib")
    assert path.is_file()


def test_save_model_creates_the_file_with_the_usual_permissions(trained_model, tmp_path):
    old = os.umask(0o022)
    try:
        path = save_model(trained_model, tmp_path / "m.joblib")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_other_format_version_raises_model_error(trained_model, tmp_path):
    path = tmp_path / "old.joblib"
    joblib.dump(_payload(trained_model, format_version=FORMAT_VERSION + 1), path)
    with pytest.raises(ModelError, match=rf"model format {FORMAT_VERSION + 1}.*retrain"):
        load_model(path)


def test_a_format_3_file_of_a_model_without_kinds_loads(small_config, train_pages, tmp_path):
    # format 3 (before line kinds) is format 5 without kind_coef_ and overlap_: such files still load
    model = LineClassifier(dataclasses.replace(small_config, kinds=False, overlap=False)).fit(
        [p.lines for p in train_pages], [p.labels for p in train_pages], [p.group for p in train_pages])
    del model.kind_coef_, model.kind_intercept_, model.overlap_
    path = tmp_path / "v3.joblib"
    joblib.dump(_payload(model, format_version=3), path)
    assert len(load_model(path).predict(train_pages[0].lines)) == len(train_pages[0].lines)


def test_a_format_4_file_predicts_without_the_overlap_columns(small_config, train_pages, tmp_path):
    model = LineClassifier(dataclasses.replace(small_config, overlap=False)).fit(
        [p.lines for p in train_pages], [p.labels for p in train_pages], [p.group for p in train_pages],
        categories=[p.categories for p in train_pages])
    expected = model.predict_proba(train_pages[0].lines)
    del model.overlap_  # format 4 models predate the attribute
    path = tmp_path / "v4.joblib"
    joblib.dump(_payload(model, format_version=4), path)
    np.testing.assert_array_equal(load_model(path).predict_proba(train_pages[0].lines), expected)


def test_the_session_model_reads_the_overlap_columns(trained_model):
    assert trained_model.overlap_ is True
    assert trained_model.context_model_.n_features_in_ == (
        _CONTEXT_WIDTH + OVERLAP_COLUMNS + len(KINDS) * KIND_COLUMNS)


def test_training_builds_the_overlap_columns_from_out_of_fold_scores(small_config, train_pages, monkeypatch):
    seen = []
    real = pass2_module.overlap_features

    def spy(lines, score, *args):
        seen.append(score)
        return real(lines, score, *args)

    monkeypatch.setattr(pass2_module, "overlap_features", spy)
    model = LineClassifier(dataclasses.replace(small_config, kinds=False)).fit(
        [p.lines for p in train_pages], [p.labels for p in train_pages], [p.group for p in train_pages])
    lines = [line for p in train_pages for line in p.lines if line.strip()]
    in_sample = model.features_.score(lines, model.line_model_.coef_[0], model.line_model_.intercept_[0])
    assert len(seen) == 1 and len(seen[0]) == len(lines)
    assert not np.allclose(seen[0], in_sample)  # pass 2 must never learn from in-sample scores


def test_overlap_columns_can_be_switched_off(small_config, train_pages):
    model = LineClassifier(dataclasses.replace(small_config, overlap=False)).fit(
        [p.lines for p in train_pages], [p.labels for p in train_pages], [p.group for p in train_pages])
    assert model.overlap_ is False
    assert model.context_model_.n_features_in_ == _CONTEXT_WIDTH
    assert len(model.predict(train_pages[0].lines)) == len(train_pages[0].lines)


def test_other_sklearn_minor_version_raises_model_error(trained_model, tmp_path):
    major, minor = sklearn.__version__.split(".")[:2]
    other = f"{major}.{int(minor) + 1}.0"
    path = tmp_path / "other.joblib"
    joblib.dump(_payload(trained_model, sklearn_version=other), path)
    with pytest.raises(ModelError, match=rf"scikit-learn {other}.*{sklearn.__version__} is installed"):
        load_model(path)


def test_other_sklearn_patch_version_is_accepted(trained_model, tmp_path):
    major, minor = sklearn.__version__.split(".")[:2]
    path = tmp_path / "patch.joblib"
    joblib.dump(_payload(trained_model, sklearn_version=f"{major}.{minor}.999"), path)
    assert isinstance(load_model(path), LineClassifier)


def test_truncated_model_file_raises_model_error(trained_model_file, tmp_path):
    data = trained_model_file.read_bytes()
    path = tmp_path / "cut.joblib"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelError, match="damaged"):
        load_model(path)


@pytest.mark.parametrize("data", [b"", b"not a model at all\n", bytes(range(256)) * 4])
def test_garbage_model_file_raises_model_error(tmp_path, data):
    path = tmp_path / "garbage.joblib"
    path.write_bytes(data)
    with pytest.raises(ModelError, match="garbage.joblib"):
        load_model(path)


def test_missing_model_file_raises_model_error(tmp_path):
    with pytest.raises(ModelError, match="does not exist"):
        load_model(tmp_path / "nope.joblib")


@pytest.mark.parametrize("payload", [["a", "list"], {"format_version": FORMAT_VERSION}, {"model": 1}])
def test_a_pickle_that_is_not_a_model_dict_raises_model_error(tmp_path, payload):
    path = tmp_path / "other.joblib"
    joblib.dump(payload, path)
    with pytest.raises(ModelError, match="not a model file"):
        load_model(path)


def test_a_model_dict_holding_another_estimator_raises_model_error(tmp_path):
    path = tmp_path / "other.joblib"
    joblib.dump(_payload(LogisticRegression()), path)
    with pytest.raises(ModelError, match="does not hold a LineClassifier"):
        read_model_file(path)


def test_crops_add_short_windows_of_the_same_site():
    pages = [["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]]
    labels = [["boilerplate"] * 5 + ["content"] * 5]
    model = LineClassifier(Config(crops=3))
    kinds = [np.arange(10)]
    out_pages, out_labels, out_groups, out_weights, out_kinds = model._with_crops(pages, labels, ["s"], [2.0], kinds)
    assert len(out_pages) == 4
    for window, window_labels, window_kinds in zip(out_pages[1:], out_labels[1:], out_kinds[1:]):
        start = pages[0].index(window[0])
        assert window == pages[0][start:start + len(window)]
        assert window_labels == labels[0][start:start + len(window)]
        assert window_kinds.tolist() == list(range(start, start + len(window)))
    assert out_groups == ["s"] * 4 and out_weights == [2.0] * 4


def test_spans_cover_every_line_once_within_the_limits(monkeypatch):
    monkeypatch.setattr(model_module, "BATCH_LINES", 3)
    monkeypatch.setattr(model_module, "BATCH_CHARS", 10)
    lengths = np.array([4, 4, 4, 30, 1, 1, 1, 1, 0, 2])
    spans = list(model_module._spans(lengths))
    assert spans == [(0, 2), (2, 3), (3, 4), (4, 7), (7, 10)]


def test_predicting_in_small_spans_gives_the_same_probabilities(trained_model, heldout_pages, monkeypatch):
    pages = [p.lines for p in heldout_pages[:3]]
    whole = trained_model.predict_proba_pages(pages)
    monkeypatch.setattr(model_module, "BATCH_LINES", 7)
    monkeypatch.setattr(model_module, "BATCH_CHARS", 300)
    for a, b in zip(whole, trained_model.predict_proba_pages(pages)):
        np.testing.assert_array_equal(a, b)


# two pages: lines 0-4 and 5-6; "Share" three times on the first (spaces aside), once on the second
COPIES_PAGES = (["Share", "Body text here.", "Share ", "Menu", "  Share", "Menu", "Share"], np.array([0, 5]))


@pytest.fixture(params=[False, True], ids=["numpy", "kernels"])
def line_key_kernels(request):
    """None (numpy hashes the lines), then the compiled kernels (their line_keys)."""
    from classifier import fast
    k = fast.kernels() if request.param else None
    if request.param and k is None:
        pytest.skip("the compiled kernels are not built")
    return k


def test_repeats_count_a_lines_copies_on_its_own_page_only(line_key_kernels):
    counts = LineClassifier._repeats(*COPIES_PAGES, line_key_kernels)
    assert counts.tolist() == [3.0, 1.0, 3.0, 1.0, 3.0, 1.0, 1.0]


def test_copy_ids_are_shared_by_the_copies_of_a_line_on_one_page_only(line_key_kernels):
    lines, offsets = COPIES_PAGES
    ids = LineClassifier._copies(lines, offsets, line_key_kernels)[1]
    assert ids[0] == ids[2] == ids[4]
    assert len({ids[0], ids[1], ids[3], ids[5], ids[6]}) == 5
    assert ((ids >= 0) & (ids < len(lines))).all()


def test_copies_of_a_long_line_cut_at_other_places_get_other_ids():
    # tokens come from the first `prefix` characters: indented, the copy is cut inside a word
    long = "x " * 98 + "harbourmaster"
    lines = [long, "    " + long, long, "harbour"]
    repeats, ids = LineClassifier._copies(lines, np.array([0]), None, prefix=200)
    assert repeats.tolist() == [3.0, 3.0, 3.0, 1.0]  # the repeat column still sees three copies
    assert ids[0] == ids[2] != ids[1]
    assert ((ids >= 0) & (ids < len(lines))).all()
    whole = LineClassifier._copies(lines, np.array([0]), None)[1]  # tokens from the whole line
    assert whole[0] == whole[1] == whole[2] != whole[3]


def _copy_ids_passed(monkeypatch) -> list:
    """The copy ids each pass2_array call gets from the model, recorded from now on."""
    seen = []
    real = pass2_module.pass2_array

    def spy(*args, **kwargs):
        seen.append(kwargs.get("copies", args[11] if len(args) > 11 else None))
        return real(*args, **kwargs)

    monkeypatch.setattr(model_module, "pass2_array", spy)
    return seen


@pytest.mark.parametrize("counted", [False, True])
def test_training_passes_copy_ids_unless_copies_count(small_config, train_pages, monkeypatch, counted):
    seen = _copy_ids_passed(monkeypatch)
    LineClassifier(dataclasses.replace(small_config, kinds=False, overlap_copies=counted)).fit(
        [p.lines for p in train_pages[:12]], [p.labels for p in train_pages[:12]],
        [p.group for p in train_pages[:12]])
    assert len(seen) == 1 and (seen[0] is None) == counted


def test_the_session_model_keeps_a_lines_copies_out_of_its_overlap(trained_model, monkeypatch):
    seen = _copy_ids_passed(monkeypatch)
    assert trained_model.overlap_copies_ is False
    trained_model.predict_proba(["Menu", "The river rose.", "Menu"])
    assert seen[0] is not None and seen[0][0] == seen[0][2] != seen[0][1]


def test_a_format_7_file_counts_a_lines_copies_as_before(small_config, train_pages, tmp_path):
    model = LineClassifier(dataclasses.replace(small_config, overlap_copies=True)).fit(
        [p.lines for p in train_pages], [p.labels for p in train_pages], [p.group for p in train_pages],
        categories=[p.categories for p in train_pages])
    page = train_pages[0].lines + train_pages[0].lines[:3]  # copies of its first lines
    expected = model.predict_proba(page)
    model.overlap_copies_ = False
    assert not np.array_equal(model.predict_proba(page), expected)  # the copies matter on this page
    del model.overlap_copies_  # format 7 models predate the attribute
    path = tmp_path / "v7.joblib"
    joblib.dump(_payload(model, format_version=7), path)
    np.testing.assert_array_equal(load_model(path).predict_proba(page), expected)


# ----- page gate (Config.page_gate) -------------------------------------------------------------

def _gated(model, page_min):
    gated = copy.copy(model)  # the session model must not change
    gated.page_min_ = page_min
    return gated


def test_a_page_whose_best_line_is_under_the_gate_gets_zero_everywhere(trained_model, train_pages):
    page = train_pages[0].lines
    assert sum(1 for line in page if line.strip()) >= PAGE_MIN_LINES
    best = _gated(trained_model, 0.0).predict_proba(page).max()
    assert best > 0
    assert not _gated(trained_model, best + 1e-9).predict_proba(page).any()


def test_a_page_reaching_the_gate_keeps_its_probabilities(trained_model, train_pages):
    page = train_pages[0].lines
    raw = _gated(trained_model, 0.0).predict_proba(page)
    np.testing.assert_array_equal(_gated(trained_model, raw.max()).predict_proba(page), raw)


def test_the_gate_leaves_inputs_shorter_than_a_page_alone(trained_model, train_pages):
    snippet = [line for line in train_pages[0].lines if line.strip()][:PAGE_MIN_LINES - 1]
    raw = _gated(trained_model, 0.0).predict_proba(snippet)
    assert raw.any()
    np.testing.assert_array_equal(_gated(trained_model, 1.1).predict_proba(snippet), raw)


def test_the_gate_counts_only_non_blank_lines(trained_model, train_pages):
    text = [line for line in train_pages[0].lines if line.strip()][:PAGE_MIN_LINES - 1]
    page = [x for line in text for x in (line, "")]  # 9 lines and 9 blank ones: still a snippet
    raw = _gated(trained_model, 0.0).predict_proba(page)
    np.testing.assert_array_equal(_gated(trained_model, 1.1).predict_proba(page), raw)


def test_the_gate_applies_from_ten_non_blank_lines(trained_model, train_pages):
    page = [line for line in train_pages[0].lines if line.strip()][:PAGE_MIN_LINES]
    assert len(page) == PAGE_MIN_LINES
    assert not _gated(trained_model, 1.1).predict_proba(page).any()


@pytest.mark.parametrize("site_model", [True, False], ids=["site-model", "site-memory"])
def test_the_gate_applies_to_pages_predicted_with_their_sites(trained_model, train_pages, site_model):
    model = _gated(trained_model, 1.1)
    if site_model:
        assert model.site_model_ is not None
    else:  # a model without one gets the site-memory post-pass instead
        model.site_model_ = None
    pages = [p.lines for p in train_pages[:4]]
    probs = model.predict_proba_pages(pages, sites=["one.example"] * len(pages))
    assert not any(p.any() for p in probs)



@pytest.mark.parametrize("sites", [None, "site-model", "site-memory"])
def test_predict_proba_pages_without_the_gate_gives_the_ungated_probabilities(trained_model, train_pages, sites):
    ungated, gated = _gated(trained_model, 0.0), _gated(trained_model, 1.1)
    if sites == "site-memory":  # a model without a site model gets the site-memory post-pass
        ungated.site_model_ = gated.site_model_ = None
    pages = [p.lines for p in train_pages[:4]]
    keys = None if sites is None else ["one.example"] * len(pages)
    raw = ungated.predict_proba_pages(pages, sites=keys)
    assert all(p.any() for p in raw)  # so that an emptied page would show
    for got, want in zip(gated.predict_proba_pages(pages, sites=keys, gate=False), raw):
        np.testing.assert_array_equal(got, want)

def test_the_gate_empties_only_its_page_of_a_batch(trained_model, train_pages):
    pages = [train_pages[0].lines, train_pages[1].lines]
    raw = _gated(trained_model, 0.0).predict_proba_pages(pages)
    if raw[0].max() > raw[1].max():  # the weaker page first
        pages, raw = pages[::-1], raw[::-1]
    assert raw[0].max() < raw[1].max()  # their best lines differ, so a gate between them splits them
    gated = _gated(trained_model, (raw[0].max() + raw[1].max()) / 2).predict_proba_pages(pages)
    assert not gated[0].any()
    np.testing.assert_array_equal(gated[1], raw[1])


def test_training_sets_the_gate_from_config(trained_model, small_config, train_pages):
    assert trained_model.page_min_ == PAGE_MIN_P
    model = LineClassifier(dataclasses.replace(small_config, page_gate=False, kinds=False)).fit(
        [p.lines for p in train_pages[:20]], [p.labels for p in train_pages[:20]],
        [p.group for p in train_pages[:20]])
    assert model.page_min_ == 0.0


def test_a_format_8_file_has_no_page_gate(trained_model, train_pages, tmp_path):
    # a page of boilerplate lines, which the bundled gate would empty
    page = [line for p in train_pages for line, lab in zip(p.lines, p.labels)
            if lab == Label.BOILERPLATE and line.strip()][:30]
    raw = _gated(trained_model, 0.0).predict_proba(page)
    assert raw.any() and raw.max() < PAGE_MIN_P
    model = copy.copy(trained_model)
    del model.page_min_  # format 8 models predate the attribute
    path = tmp_path / "v8.joblib"
    joblib.dump(_payload(model, format_version=8), path)
    np.testing.assert_array_equal(load_model(path).predict_proba(page), raw)


# ----- site columns (Config.site_columns) -------------------------------------------------------

@pytest.fixture(scope="module")
def site_batch():
    """Pages of two sites of the bundled test split (unseen by the session model) and their site
    keys, then one page alone in its site."""
    pages = read_pages([TEST_JSONL])
    two = sorted({p.group for p in pages})[:2]
    chosen = [p for p in pages if p.group in two] + [pages[-1]]
    return [p.lines for p in chosen], [p.group for p in chosen[:-1]] + ["a-site-of-its-own"]


def test_site_columns_fit_a_second_pass_2_model_with_more_columns(trained_model):
    plain, site = trained_model.context_model_, trained_model.site_model_
    assert site.n_features_in_ == plain.n_features_in_ + SITE_COLUMNS


def test_without_site_columns_there_is_no_site_model(small_config, train_pages):
    model = LineClassifier(dataclasses.replace(small_config, site_columns=False)).fit(
        [p.lines for p in train_pages[:12]], [p.labels for p in train_pages[:12]], [p.group for p in train_pages[:12]])
    assert model.site_model_ is None


def test_no_site_model_when_no_site_has_two_pages(small_config, train_pages):
    pages = train_pages[:6]
    model = LineClassifier(small_config).fit([p.lines for p in pages], [p.labels for p in pages],
                                             [f"site-{i}" for i in range(len(pages))])
    assert model.site_model_ is None


def test_site_columns_do_not_change_predictions_without_sites(small_config, trained_model, train_pages,
                                                              heldout_pages):
    # the plain pass-2 model is the one a model without site columns fits, to the bit
    without = LineClassifier(dataclasses.replace(small_config, site_columns=False)).fit(
        [p.lines for p in train_pages], [p.labels for p in train_pages], [p.group for p in train_pages],
        categories=[p.categories for p in train_pages])
    pages = [p.lines for p in heldout_pages]
    for a, b in zip(trained_model.predict_proba_pages(pages), without.predict_proba_pages(pages)):
        np.testing.assert_array_equal(a, b)


def test_sites_change_the_probabilities_of_pages_with_other_pages_of_their_site(trained_model, site_batch):
    pages, sites = site_batch
    plain = trained_model.predict_proba_pages(pages)
    with_sites = trained_model.predict_proba_pages(pages, sites=sites)
    assert sum(not np.array_equal(a, b) for a, b in zip(plain[:-1], with_sites[:-1])) >= 1


def test_a_page_alone_in_its_site_gets_its_plain_probabilities(trained_model, site_batch):
    pages, sites = site_batch
    with_sites = trained_model.predict_proba_pages(pages, sites=sites)
    np.testing.assert_array_equal(with_sites[-1], trained_model.predict_proba(pages[-1]))


def test_sites_give_the_same_probabilities_in_small_chunks(trained_model, site_batch, monkeypatch):
    pages, sites = site_batch
    whole = trained_model.predict_proba_pages(pages, sites=sites)
    monkeypatch.setattr(model_module, "BATCH_LINES", 7)
    for a, b in zip(whole, trained_model.predict_proba_pages(pages, sites=sites)):
        np.testing.assert_array_equal(a, b)


def test_sites_predict_alike_with_and_without_kernels(trained_model, site_batch, monkeypatch):
    pages, sites = site_batch
    monkeypatch.delenv("LINESIFT_NO_SPEEDUPS", raising=False)
    compiled = trained_model.predict_proba_pages(pages, sites=sites)
    monkeypatch.setenv("LINESIFT_NO_SPEEDUPS", "1")
    for a, b in zip(compiled, trained_model.predict_proba_pages(pages, sites=sites)):
        np.testing.assert_array_equal(a, b)


def test_a_model_without_a_site_model_applies_site_memory_to_sites(trained_model, site_batch):
    pages, sites = site_batch
    old = copy.copy(trained_model)
    del old.site_model_, old.page_min_  # as in a model made before site columns (and the gate)
    expected = apply_site_memory(pages, old.predict_proba_pages(pages), sites)
    for a, b in zip(old.predict_proba_pages(pages, sites=sites), expected):
        np.testing.assert_array_equal(a, b)


@pytest.fixture(scope="module")
def five_column_model(small_config, train_pages, site_batch):
    """A model whose site model knows the first 5 site columns only (as in format 6), and its
    probabilities for site_batch computed when the code gave 5 columns."""
    pages, sites = site_batch
    fit = train_pages[:16]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(model_module, "SITE_COLUMNS", 5)
        mp.setattr(model_module, "site_columns", lambda *a: [c[:, :5] for c in site_columns(*a)])
        model = LineClassifier(small_config).fit([p.lines for p in fit], [p.labels for p in fit],
                                                 [p.group for p in fit])
        expected = model.predict_proba_pages(pages, sites=sites)
    assert model.site_model_.n_features_in_ == model.context_model_.n_features_in_ + 5
    return model, expected


def test_a_site_model_fitted_on_fewer_site_columns_reads_the_first_ones(five_column_model, site_batch):
    model, expected = five_column_model
    pages, sites = site_batch
    for a, b in zip(model.predict_proba_pages(pages, sites=sites), expected):
        np.testing.assert_array_equal(a, b)


def test_a_format_6_file_loads_and_predicts_with_sites(five_column_model, site_batch, tmp_path):
    model, expected = five_column_model
    pages, sites = site_batch
    path = tmp_path / "v6.joblib"
    joblib.dump(_payload(model, format_version=6), path)
    for a, b in zip(load_model(path).predict_proba_pages(pages, sites=sites), expected):
        np.testing.assert_array_equal(a, b)


def test_a_page_whose_site_mates_have_no_text_gets_its_plain_probabilities(trained_model, site_batch):
    pages, _ = site_batch
    got = trained_model.predict_proba_pages([pages[0], [], ["  "]], sites=["q", "q", "q"])
    np.testing.assert_array_equal(got[0], trained_model.predict_proba(pages[0]))


def test_one_site_per_page_is_required(trained_model, heldout_pages):
    with pytest.raises(ValueError, match="sites for"):
        trained_model.predict_proba_pages([p.lines for p in heldout_pages], sites=["one"])


def test_site_model_survives_a_save_load_round_trip(trained_model, site_batch, tmp_path):
    pages, sites = site_batch
    loaded = load_model(save_model(trained_model, tmp_path / "m.joblib"))
    for a, b in zip(trained_model.predict_proba_pages(pages, sites=sites),
                    loaded.predict_proba_pages(pages, sites=sites)):
        np.testing.assert_array_equal(a, b)
