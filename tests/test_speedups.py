"""classifier.fast and classifier/_speedups.c: the compiled kernels give the numpy path's numbers.

Every test compares the C result with the numpy reference (features.py, scikit-learn) for
exact equality. The module is skipped when the extension is not built (no C compiler)."""

import os
import types

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from classifier import fast
from classifier.context import context_features
from classifier.features import SHAPE_NAMES, TextFeatures, shape_features
from classifier.kinds import KIND_COLUMNS, KINDS, kind_features, kind_probs
from classifier.lines import normalise
from classifier.model import LineClassifier, load_bundled
from classifier.overlap import OVERLAP_COLUMNS, overlap_features

if os.environ.get("LINESIFT_REQUIRE_SPEEDUPS") != "1":  # CI sets it: there the kernels must be built
    pytest.importorskip("classifier._speedups", reason="C extension not built")


@pytest.fixture()
def k(monkeypatch):
    monkeypatch.delenv(fast.NO_SPEEDUPS_ENV, raising=False)
    return fast.kernels()


#: Lines that stress the code-point handling: every kind of character as_lines lets through.
ODD = [
    "", " ", "\t \u00a0\u3000", "Home", "IconSearchIconMenuChevron DownClose",
    "The river rose overnight and the ferry crews waited at the quay until the water fell.",
    "\U0001F30A\U0001F6A2 Flood update \U0001F468\u200d\U0001F469\u200d\U0001F467 \U0001F1EB\U0001F1F7",
    "The river \ud800rose\udfff overnight.", "\udbff", "\x00\x01\x02\x03 control \x02bytes\x03",
    "ΟΔΟΣ ΣΟΦΟΚΛΈΟΥΣ Σ", "İstanbul İZMİR ǅemal ß ﬁx", "東京都の天気は晴れです。明日も晴れ。", "한국어 문장입니다.",
    "مرحبا بالعالم، كيف الحال؟", "Ünïcödé ÀÉÎÕÜ çåñ", "a\u0301e\u0301 combining",
    "line with\nan inner newline\rand return", "\u2028sep\u2029", "x" * 5000, "word " * 300,
    "- bullet item", "• dot item", "12. numbered", "3) item", "7.no space", "1", "12", "-",
    "You have {{remaining}} free articles left", "%(name)s and %s and %d", "${x} <<y>> [[z]] __FOO__ {bar}",
    "{{unclosed and {x} twice {x}", "https://quayside.example www.example.com mail@example.com",
    "a | b / c · d » e", "one, two، three、four，five", "Ends with colon:", "Quote»", "“quoted”",
    "snake_case_name and CamelCaseName", "UPPER lower Mixed", "tab\tseparated\tvalues", "  leading spaces",
    "trailing spaces   ", "\ufeffBOM", "\uffff\U0010FFFF astral end",
]


def _pages():
    """ODD cut into pages of varied sizes, including one-line pages."""
    return [ODD[:1], ODD[1:2], ODD[2:9], ODD[9:30], ODD[30:], ODD]


def _score_numpy(features, lines, coef, intercept):
    return features.score(lines, coef, intercept, shape_features(lines))


def _score_c(k, features, lines, coef, intercept):
    return fast.text_score(k, features, lines, coef, intercept, shape_features(lines))


def test_the_extension_loads_and_matches_this_fast_py():
    assert fast._module() is not None
    assert hasattr(fast._module(), "kind_cols")  # what _module() checks for a stale build


def test_a_build_whose_overlap_kernel_takes_no_copy_ids_is_stale(monkeypatch):
    import classifier
    real = fast._module()
    stale = types.SimpleNamespace(**{name: getattr(real, name) for name in dir(real)
                                     if not name.startswith("__") and name != "OVERLAP_COPIES"})
    monkeypatch.setattr(classifier, "_speedups", stale)
    fast._module.cache_clear()
    try:
        assert fast._module() is None
    finally:
        monkeypatch.undo()
        fast._module.cache_clear()
    assert fast._module() is real


def test_kernels_are_off_when_the_environment_says_so(monkeypatch):
    monkeypatch.setenv(fast.NO_SPEEDUPS_ENV, "1")
    assert fast.kernels() is None


@pytest.mark.parametrize("page", _pages())
def test_shape_features_match_numpy(k, page):
    assert np.array_equal(fast.shape_features(k, page), shape_features(page))


def test_shape_features_match_numpy_for_no_lines(k):
    assert fast.shape_features(k, []).shape == (0, len(SHAPE_NAMES))


@pytest.mark.parametrize("page", _pages())
def test_text_score_matches_numpy_with_the_bundled_coefficients(k, page):
    model = load_bundled()
    coef, intercept = model.line_model_.coef_[0], model.line_model_.intercept_[0]
    assert np.array_equal(_score_c(k, model.features_, page, coef, intercept),
                          _score_numpy(model.features_, page, coef, intercept))


@pytest.mark.parametrize("orders, prefix, dtype", [
    ((1, 2, 3, 4), 200, np.float64), ((2, 3, 4), 100, np.float32), ((1,), None, np.float64),
    ((1, 3, 5), 7, np.float32), ((4,), 0, np.float64),
])
def test_text_score_matches_numpy_for_other_settings(k, orders, prefix, dtype):
    features = TextFeatures(n_features=2**12, char_orders=orders, prefix=prefix).fit([])
    coef = np.random.RandomState(0).normal(size=features.n_features_out_).astype(dtype)
    assert np.array_equal(_score_c(k, features, ODD, coef, 0.25), _score_numpy(features, ODD, coef, 0.25))


@pytest.mark.parametrize("page", _pages())
@pytest.mark.parametrize("words_only", [False, True])
def test_kind_scores_match_numpy(k, page, words_only):
    features = TextFeatures(n_features=2**12).fit([])
    rng = np.random.RandomState(2)
    coef = rng.normal(size=features.n_features_out_)
    kind_coef = rng.normal(size=(features.n_features_out_, 7)).astype(np.float32)
    kind_intercept = rng.normal(size=7)
    first = 0
    if words_only:  # Config(kind_chars=False): the char rows are zero, and the kernel skips them
        kind_coef[:features.n_features] = 0.0
        first = len(features.char_orders)
    shape = shape_features(page)
    score, kinds = fast.text_score(k, features, page, coef, 0.25, shape, kind_coef, kind_intercept,
                                   kind_first=first)
    assert np.array_equal(score, features.score(page, coef, 0.25, shape))
    assert np.array_equal(kinds, features.score_kinds(page, kind_coef, kind_intercept, shape))


def test_word_only_kind_scores_skip_the_char_rows(k):
    features = TextFeatures(n_features=2**10).fit([])
    coef = np.zeros(features.n_features_out_)
    kind_coef = np.zeros((features.n_features_out_, 7), dtype=np.float32)
    kind_coef[:features.n_features] = 1.0  # would count every char n-gram, if they were read
    _, kinds = fast.text_score(k, features, ["Home"], coef, 0.0, shape_features(["Home"]), kind_coef, np.zeros(7),
                               kind_first=len(features.char_orders))
    assert not kinds.any()


def test_text_sums_refuses_kinds_that_start_past_the_word_block(k):
    features = TextFeatures(n_features=2**10).fit([])
    coef = np.zeros(features.n_features_out_)
    kind_coef = np.zeros((features.n_features_out_, 7), dtype=np.float32)
    with pytest.raises(ValueError, match="bad arguments"):
        fast.text_score(k, features, ["Home"], coef, 0.0, shape_features(["Home"]), kind_coef, np.zeros(7),
                        kind_first=len(features.char_orders) + 1)


def test_kind_scores_need_float32_rows_in_c_order(k):
    features = TextFeatures(n_features=2**10).fit([])
    coef = np.zeros(features.n_features_out_)
    kind_coef = np.zeros((features.n_features_out_, 7))  # float64: left to numpy
    assert fast.text_score(k, features, ["Home"], coef, 0.0, shape_features(["Home"]), kind_coef,
                           np.zeros(7)) is None


def test_text_sums_refuses_a_kind_output_of_the_wrong_size(k):
    features = TextFeatures(n_features=2**10).fit([])
    lines = ["Home", "The river rose."]
    coef = np.zeros(features.n_features_out_)
    kind_coef = np.zeros((features.n_features_out_, 7), dtype=np.float32)
    orders = fast._char_orders(tuple(features.char_orders))
    args = (lines, 200, orders, features.bits_, features.bits_ - 2, features.n_features, coef, True,
            fast.F._word_weights(), fast.F._classes(), np.empty((2, 5)), np.empty((2, 2)))
    with pytest.raises(ValueError, match="bad arguments"):
        k.text_sums(*args, kind_coef, 7, np.empty((2, 5, 6)))


def test_text_score_leaves_unsupported_orders_to_numpy(k):
    features = TextFeatures(n_features=2**10, char_orders=(3, 2)).fit([])
    coef = np.zeros(features.n_features_out_)
    assert fast.text_score(k, features, ["Home"], coef, 0.0, shape_features(["Home"])) is None


# every code point (lone surrogates and line ends included: list items may hold them), some
# lines longer than the 200-character n-gram prefix
line_text = st.text(alphabet=st.characters(blacklist_categories=()), max_size=250)


@given(st.lists(line_text, min_size=1, max_size=8))
def test_pass1_matches_numpy_on_any_text(lines):
    k = fast.kernels()
    if k is None:  # LINESIFT_NO_SPEEDUPS=1 in the environment
        return
    features = TextFeatures(n_features=2**10).fit([])
    coef = np.random.RandomState(1).normal(size=features.n_features_out_)
    assert np.array_equal(fast.shape_features(k, lines), shape_features(lines))
    assert np.array_equal(_score_c(k, features, lines, coef, -0.5), _score_numpy(features, lines, coef, -0.5))


def test_line_keys_are_equal_exactly_for_equal_normalised_lines(k):
    lines = ODD + ["  Home ", "Home\t", "Ho me", "word " * 299 + "word", "\u00a0The river \ud800rose\udfff overnight. "]
    keys = np.empty(len(lines), dtype=np.int64)
    k.line_keys(lines, keys)
    norm = [normalise(line) for line in lines]
    same_key = keys[:, None] == keys[None, :]
    same_text = np.array([[a == b for b in norm] for a in norm])
    assert np.array_equal(same_key, same_text)


@pytest.mark.parametrize("sizes", [[1], [0, 3, 0, 0, 200, 1, 2], [150] * 4, [0]])
def test_context_features_match_numpy(k, sizes):
    rng = np.random.RandomState(sum(sizes))
    n = sum(sizes)
    score = rng.normal(scale=8.0, size=n)
    score[::7] = 45.0  # beyond the clip at 30
    lines = [ODD[i % len(ODD)] for i in range(n)]
    offsets = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64)
    repeats = rng.randint(1, 4, size=n).astype(np.float64)
    shape = shape_features(lines)
    assert np.array_equal(fast.context_features(k, score, shape, offsets, repeats),
                          context_features(score, shape, offsets, repeats))


@pytest.mark.parametrize("sizes", [[1], [0, 3, 0, 0, 200, 1, 2], [150] * 4, [0], [2, 1, 1, 0]])
def test_kind_features_match_numpy(k, sizes):
    rng = np.random.RandomState(sum(sizes))
    probs = kind_probs(rng.normal(scale=4.0, size=(sum(sizes), len(KINDS))))
    probs[::5] = np.round(probs[::5] * 4) / 4  # values that fall on rounding ties in fixed point
    offsets = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64)
    full = np.full((len(probs), 3 + len(KINDS) * KIND_COLUMNS), np.nan, order="F")
    assert fast.kind_features(k, probs, offsets, full[:, 3:])
    assert np.array_equal(full[:, 3:], kind_features(probs, offsets))
    assert np.isnan(full[:, :3]).all()  # only its own columns are written


def test_kind_features_without_the_kernel_are_left_to_numpy():
    out = np.full((2, KIND_COLUMNS), np.nan, order="F")
    assert not fast.kind_features(object(), np.full((2, 1), 1.0), np.array([0]), out)  # a build without kind_cols
    assert np.isnan(out).all()


def test_kind_features_refuse_an_output_of_the_wrong_shape(k):
    with pytest.raises(ValueError, match="columns for"):
        fast.kind_features(k, np.full((5, 7), 1 / 7), np.array([0]), np.empty((35, 7), order="F"))


def test_kind_kernel_refuses_lines_before_the_first_page(k):
    with pytest.raises(ValueError, match="bad arguments"):
        fast.kind_features(k, np.full((2, 1), 1.0), np.array([1]), np.empty((2, KIND_COLUMNS), order="F"))


def test_kind_kernel_refuses_unsorted_offsets(k):
    with pytest.raises(ValueError, match="bad arguments"):
        fast.kind_features(k, np.full((3, 1), 1.0), np.array([0, 2, 1]), np.empty((3, KIND_COLUMNS), order="F"))


def _overlap_c(k, lines, score, offsets, calls=1, prefix=200, copies=None):
    """The kernels' overlap columns, the tokens collected by `calls` text_score calls."""
    features = TextFeatures(n_features=2**10, prefix=prefix).fit([])
    coef = np.zeros(features.n_features_out_)
    tokens = []
    for part in np.array_split(np.arange(len(lines)), calls):
        span = [lines[i] for i in part]
        assert fast.text_score(k, features, span, coef, 0.0, shape_features(span), token_sink=tokens) is not None
    out = np.full((len(lines), OVERLAP_COLUMNS), np.nan)
    assert fast.overlap_features(k, tokens, score, offsets, out, copies)
    return out


def _copy_ids(lines, offsets):
    return LineClassifier._copies(lines, np.asarray(offsets), None)[1]


@pytest.mark.parametrize("sizes", [[1], [0, 3, 0, 0, 200, 1, 2], [150] * 4, [0]])
def test_overlap_features_match_numpy(k, sizes):
    rng = np.random.RandomState(sum(sizes))
    n = sum(sizes)
    score = rng.normal(scale=8.0, size=n)
    # ODD lines, and words drawn from a small vocabulary so that pages repeat them
    vocab = ["river", "Ferry", "pier", "東京", "駅の", "рынок", "السوق", "2026", "of"]
    lines = [ODD[i % len(ODD)] if i % 3 else " ".join(rng.choice(vocab, size=4)) for i in range(n)]
    offsets = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64)
    assert np.array_equal(_overlap_c(k, lines, score, offsets), overlap_features(lines, score, offsets))
    # tokens collected over several pass-1 calls (a batch scored in spans)
    assert np.array_equal(_overlap_c(k, lines, score, offsets, calls=3), overlap_features(lines, score, offsets))


@pytest.mark.parametrize("sizes", [[1], [0, 3, 0, 0, 200, 1, 2], [150] * 4, [0]])
def test_overlap_features_with_copy_ids_match_numpy(k, sizes):
    rng = np.random.RandomState(sum(sizes))
    n = sum(sizes)
    score = rng.normal(scale=8.0, size=n)
    # a small vocabulary and few distinct lines, so that pages hold many copies of a line
    vocab = ["river", "Ferry", "pier", "東京", "駅の", "рынок", "2026"]
    texts = [" ".join(rng.choice(vocab, size=3)) for _ in range(12)]
    lines = [texts[i] for i in rng.randint(0, len(texts), size=n)]
    offsets = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64)
    copies = _copy_ids(lines, offsets)
    want = overlap_features(lines, score, offsets, copies=copies)
    assert np.array_equal(_overlap_c(k, lines, score, offsets, copies=copies), want)
    assert np.array_equal(_overlap_c(k, lines, score, offsets, calls=3, copies=copies), want)


def test_overlap_tokens_follow_the_n_gram_prefix(k):
    lines = ["x " * 60 + "harbour", "harbour"]
    score = np.zeros(2)
    assert np.array_equal(_overlap_c(k, lines, score, np.array([0]), prefix=100),
                          overlap_features(lines, score, np.array([0]), prefix=100))
    assert _overlap_c(k, lines, score, np.array([0]), prefix=100)[1, 1] == 0.0  # beyond the prefix


def test_text_score_returns_no_tokens_unless_asked(k):
    features = TextFeatures(n_features=2**10).fit([])
    coef = np.zeros(features.n_features_out_)
    tokens = []
    plain = fast.text_score(k, features, ["harbour"], coef, 0.0, shape_features(["harbour"]))
    assert isinstance(plain, np.ndarray) and plain.shape == (1,)  # the scores alone
    fast.text_score(k, features, ["harbour"], coef, 0.0, shape_features(["harbour"]), token_sink=tokens)
    assert len(tokens) == 1 and len(tokens[0][0]) == 8  # one uint64 token


def test_overlap_features_without_collected_tokens_are_left_to_numpy(k):
    out = np.full((1, OVERLAP_COLUMNS), np.nan)
    assert not fast.overlap_features(k, [], np.zeros(1), np.array([0]), out)
    assert not fast.overlap_features(k, None, np.zeros(1), np.array([0]), out)
    assert np.isnan(out).all()


def test_overlap_kernel_writes_the_columns_of_a_fortran_order_array_in_place(k):
    lines = ["Ferry pier", "the ferry pier rose", "Menu"] * 4
    score = np.linspace(-3, 3, len(lines))
    features = TextFeatures(n_features=2**10).fit([])
    tokens = []
    fast.text_score(k, features, lines, np.zeros(features.n_features_out_), 0.0, shape_features(lines),
                    token_sink=tokens)
    full = np.zeros((len(lines), OVERLAP_COLUMNS + 4), order="F")
    assert fast.overlap_features(k, tokens, score, np.array([0, 5]), full[:, 2:2 + OVERLAP_COLUMNS])
    assert np.array_equal(full[:, 2:2 + OVERLAP_COLUMNS], overlap_features(lines, score, np.array([0, 5])))
    assert not full[:, :2].any() and not full[:, 2 + OVERLAP_COLUMNS:].any()


@given(st.lists(line_text, min_size=1, max_size=8), st.integers(0, 7))
def test_overlap_features_match_numpy_on_any_text(lines, cut):
    k = fast.kernels()
    if k is None:  # LINESIFT_NO_SPEEDUPS=1 in the environment
        return
    lines = lines + lines[:cut]  # repeated lines share their tokens
    score = np.linspace(-5, 5, len(lines))
    offsets = np.array([0, min(cut, len(lines))])
    assert np.array_equal(_overlap_c(k, lines, score, offsets), overlap_features(lines, score, offsets))
    copies = _copy_ids(lines, offsets)
    assert np.array_equal(_overlap_c(k, lines, score, offsets, copies=copies),
                          overlap_features(lines, score, offsets, copies=copies))


def test_overlap_kernel_refuses_unsorted_offsets(k):
    with pytest.raises(ValueError, match="sorted line numbers"):
        _overlap_c(k, ["a river", "the river", "river"], np.zeros(3), np.array([0, 2, 1]))


def test_overlap_kernel_refuses_lines_before_the_first_page(k):
    with pytest.raises(ValueError, match="start at line 0"):
        _overlap_c(k, ["a river", "the river"], np.zeros(2), np.array([1]))


def test_overlap_kernel_refuses_token_ends_beyond_the_tokens(k):
    out = np.empty((OVERLAP_COLUMNS, 2))
    ends = np.array([0, 3], dtype=np.int64)
    with pytest.raises(ValueError, match="within the tokens"):
        k.overlap_cols(np.zeros(2, dtype=np.uint64), ends, 5, 2**16, np.zeros(2, dtype=np.int64),
                       np.array([0], dtype=np.int64), out)


def test_overlap_kernel_refuses_copy_ids_without_their_masses(k):
    out = np.empty((OVERLAP_COLUMNS, 2))
    two = np.zeros(2, dtype=np.int64)
    with pytest.raises(ValueError, match="given together"):
        k.overlap_cols(np.zeros(2, dtype=np.uint64), np.array([1, 2], dtype=np.int64), 5, 2**16, two,
                       np.array([0], dtype=np.int64), out, two)


def test_overlap_kernel_refuses_copies_that_leave_out_the_line(k):
    out = np.empty((OVERLAP_COLUMNS, 2))
    two = np.zeros(2, dtype=np.int64)
    with pytest.raises(ValueError, match="include itself"):  # a copy count of 0
        k.overlap_cols(np.zeros(2, dtype=np.uint64), np.array([1, 2], dtype=np.int64), 5, 2**16, two,
                       np.array([0], dtype=np.int64), out, two, two, two)


def _context_rows(hgb, n: int = 3000) -> np.ndarray:
    """Random rows in Fortran order (as context_features makes them): some values NaN, some
    exactly a split threshold of their feature (a tie goes left)."""
    rng = np.random.RandomState(0)
    X = rng.normal(scale=3.0, size=(n, hgb.n_features_in_))
    nodes = np.concatenate([predictors[0].nodes for predictors in hgb._predictors])
    splits = nodes[nodes["is_leaf"] == 0]
    pick = rng.randint(len(splits), size=n)
    X[np.arange(n), splits["feature_idx"][pick]] = splits["num_threshold"][pick]
    X[rng.rand(n, hgb.n_features_in_) < 0.05] = np.nan
    return np.asfortranarray(X)


def test_tree_walk_matches_scikit_learn_on_the_session_model(k, trained_model):
    hgb = trained_model.context_model_
    X = _context_rows(hgb)
    assert np.array_equal(fast.tree_proba(k, hgb, X), hgb.predict_proba(X)[:, 1])


def test_tree_walk_matches_scikit_learn_on_the_bundled_model(k):
    hgb = load_bundled().context_model_
    X = _context_rows(hgb)
    assert np.array_equal(fast.tree_proba(k, hgb, X), hgb.predict_proba(X)[:, 1])


def test_tree_walk_matches_scikit_learn_on_c_order_rows(k, trained_model):
    hgb = trained_model.context_model_
    X = np.ascontiguousarray(_context_rows(hgb, 50))
    assert np.array_equal(fast.tree_proba(k, hgb, X), hgb.predict_proba(X)[:, 1])


def test_tree_walk_refuses_rows_of_the_wrong_width(k, trained_model):
    hgb = trained_model.context_model_
    assert fast.tree_proba(k, hgb, np.zeros((3, hgb.n_features_in_ + 1))) is None


def test_tree_walk_leaves_an_unknown_estimator_layout_to_scikit_learn(k):
    class Stub:  # a fitted ensemble as another scikit-learn might lay it out
        n_trees_per_iteration_ = 1
        n_features_in_ = 3

    assert fast.tree_proba(k, Stub(), np.zeros((2, 3))) is None


def test_flat_trees_are_not_pickled_into_the_model(trained_model):
    import pickle

    before = pickle.dumps(trained_model)
    fast._flat_trees(trained_model.context_model_)
    assert pickle.dumps(trained_model) == before


def test_predictions_match_the_numpy_path(monkeypatch, trained_model, heldout_pages):
    pages = [p.lines for p in heldout_pages] + _pages()
    monkeypatch.delenv(fast.NO_SPEEDUPS_ENV, raising=False)
    compiled = trained_model.predict_proba_pages(pages)
    monkeypatch.setenv(fast.NO_SPEEDUPS_ENV, "1")
    reference = trained_model.predict_proba_pages(pages)
    assert all(np.array_equal(a, b) for a, b in zip(compiled, reference))
