"""classifier.sitememory: the site-memory post-pass on invented pages and fixed probabilities."""

import numpy as np
import pytest

import classifier
from classifier.labels import DEFAULT_THRESHOLD
from classifier.sitememory import (SITE_COLUMNS, apply_site_memory, line_key, site_columns, site_keys, site_of_url,
                                   site_shares)

CHROME = "Subscribe to the Quayside newsletter"


def _pages(n, site_chrome=CHROME):
    """n pages of one site: a shared chrome line, then a line unique to the page."""
    words = ["ferry", "flood", "harbour", "bakery", "council", "pump"]
    return [[site_chrome, f"The {words[k]} story is told here at some length."] for k in range(n)]


def _probs(pages, p=0.7):
    return [np.full(len(page), p) for page in pages]


def test_a_line_on_every_page_of_a_site_is_lowered():
    pages = _pages(4)
    out = apply_site_memory(pages, _probs(pages), ["quay"] * 4)
    assert all(o[0] < 0.5 for o in out)


def test_a_line_on_one_page_only_keeps_its_probability():
    pages = _pages(4)
    out = apply_site_memory(pages, _probs(pages), ["quay"] * 4)
    assert all(o[1] == pytest.approx(0.7) for o in out)


def test_a_line_on_one_page_is_not_lowered_even_with_a_tiny_share_threshold():
    pages = _pages(3)
    out = apply_site_memory(pages, _probs(pages), ["quay"] * 3, min_share=0.1)
    assert all(o[1] == pytest.approx(0.7) for o in out)


def test_pages_of_different_sites_do_not_share_memory():
    pages = _pages(4)
    pages[1][0] = "Only on the second page of site a"
    # the chrome line is on 1 of 2 pages of site a and 2 of 2 of site b (3 of 4 pooled)
    out = apply_site_memory(pages, _probs(pages), ["a", "a", "b", "b"], min_pages=2, min_share=0.75)
    assert out[0][0] == pytest.approx(0.7)
    assert out[2][0] < 0.5


def test_a_site_with_fewer_pages_than_min_pages_is_left_alone():
    pages = _pages(2)
    out = apply_site_memory(pages, _probs(pages), ["quay"] * 2, min_pages=3)
    assert all(o[0] == pytest.approx(0.7) for o in out)


def test_pages_without_a_site_are_left_alone():
    pages = _pages(4)
    out = apply_site_memory(pages, _probs(pages), ["quay", "quay", "quay", None], min_pages=3)
    assert out[3][0] == pytest.approx(0.7)
    assert out[0][0] < 0.5


def test_order_lengths_and_inputs_are_kept():
    pages = _pages(3) + [["A page of another site with three lines.", "", "x"]]
    probs = [np.array([0.9, 0.2]), np.array([0.8, 0.3]), np.array([0.6, 0.4]), np.array([0.5, 0.0, 0.7])]
    copies = [p.copy() for p in probs]
    out = apply_site_memory(pages, probs, ["quay"] * 3 + ["other"])
    assert [len(o) for o in out] == [len(p) for p in pages]
    for before, after in zip(copies, probs):
        np.testing.assert_array_equal(before, after)
    np.testing.assert_array_equal(out[3], probs[3])
    assert out[0][1] == pytest.approx(0.2)


def test_lowering_keeps_the_order_of_probabilities():
    pages = _pages(3)
    out = apply_site_memory(pages, [np.array([0.99, 0.5]), np.array([0.6, 0.5]), np.array([0.3, 0.5])],
                            ["quay"] * 3)
    assert out[0][0] > out[1][0] > out[2][0]


def test_a_line_on_less_than_min_share_of_the_pages_is_not_lowered():
    pages = _pages(4)
    pages[1][0] = pages[2][0] = pages[3][0] = "Something else on the other pages"
    out = apply_site_memory(pages, _probs(pages), ["quay"] * 4, min_share=0.5)
    assert out[0][0] == pytest.approx(0.7)


def test_lines_longer_than_max_chars_are_not_lowered():
    pages = _pages(3)
    out = apply_site_memory(pages, _probs(pages), ["quay"] * 3, max_chars=len(CHROME) - 1)
    assert out[0][0] == pytest.approx(0.7)


def test_blank_lines_are_not_counted_as_template():
    pages = [["", f"Story {k}"] for k in "abc"]
    shares = site_shares(pages, ["quay"] * 3)
    assert all(s[0] == 0 for s in shares)


def test_line_key_ignores_case_digits_and_spacing():
    assert line_key("12  Comments") == line_key("34 comments ")


def test_site_of_url_drops_www():
    assert site_of_url("http://www.quay.example/a") == "quay.example"
    assert site_of_url(None) is None


def test_mismatched_lengths_raise_value_error():
    with pytest.raises(ValueError, match="sites"):
        site_shares([["a"], ["b"]], ["quay"])


def test_predict_pages_passes_sites_and_threshold_to_the_model(trained_model, monkeypatch):
    monkeypatch.setattr(classifier, "_DEFAULT", trained_model)
    seen = {}

    def spy(pages, threshold=DEFAULT_THRESHOLD, sites=None):
        seen.update(threshold=threshold, sites=sites)
        return []
    monkeypatch.setattr(trained_model, "predict_pages", spy)
    classifier.predict_pages([["Home"]], sites=["quay"], threshold=0.7)
    assert seen == {"threshold": 0.7, "sites": ["quay"]}
    classifier.predict_pages([["Home"]], sites=["quay"])
    assert seen == {"threshold": DEFAULT_THRESHOLD, "sites": ["quay"]}


def test_evaluate_site_memory_passes_each_pages_site(tmp_path, trained_model_file, monkeypatch, pages_factory):
    import json

    from classifier import cli
    from classifier.corpus import write_jsonl
    from classifier.model import LineClassifier

    data = tmp_path / "pages.jsonl"
    pages = pages_factory(6)
    write_jsonl(pages, data)
    seen = {}

    def spy(self, lines, sites=None):
        seen["sites"] = sites
        return [np.zeros(len(p)) for p in lines]
    monkeypatch.setattr(LineClassifier, "predict_proba_pages", spy)
    out = tmp_path / "scores.json"
    assert cli.main(["evaluate", str(data), "--site-memory", "--json", str(out),
                     "--model", str(trained_model_file)]) == 0
    assert seen["sites"] == [p.group for p in pages]
    payload = json.loads(out.read_text(encoding="utf-8"))
    assert payload["site_memory"] is True
    assert payload["overall"]["content"]["recall"] == 0.0


# ----- site_columns: what pass 2's site model reads ---------------------------------------------------

def _cols(pages, sites, rng=None):
    return site_columns(pages, sites, rng)


def test_a_line_on_every_other_page_of_its_site_has_share_one():
    cols = _cols(_pages(4), ["quay"] * 4)
    assert all(c[0, 0] == 1.0 and c[0, 1] == 3 for c in cols)


def test_a_line_on_its_own_page_only_has_share_zero():
    cols = _cols(_pages(4), ["quay"] * 4)
    assert all(c[1, 0] == 0.0 for c in cols)


def test_a_page_with_no_other_page_of_its_site_gets_nan_columns():
    cols = _cols(_pages(3), ["quay", "quay", "harbour"])
    assert np.isnan(cols[2]).all() and not np.isnan(cols[0]).any()


def test_no_sites_give_nan_columns():
    assert all(np.isnan(c).all() and c.shape == (2, SITE_COLUMNS) for c in _cols(_pages(3), None))


def test_site_columns_window_and_page_share():
    pages = [["Menu", "a", "b", "c", "d"], ["Menu", "e", "f", "g", "h"]]
    c = _cols(pages, ["q", "q"])[0]
    # window of SITE_WINDOW = 2 lines each side: line 0 sees lines 0-2, line 3 sees lines 1-4
    assert c[:, 2].tolist() == pytest.approx([1 / 3, 1 / 4, 1 / 5, 0.0, 0.0])
    assert c[:, 3].tolist() == [0.2] * 5


def test_a_line_keeping_its_neighbour_on_other_pages_has_pair_share_one():
    pages = [["Home", "News", "Story one"], ["Home", "News", "Story two"]]
    assert _cols(pages, ["q", "q"])[0][:, 4].tolist() == [1.0, 1.0, 0.0]


def test_a_line_quoted_among_other_neighbours_has_pair_share_zero():
    # the headline recurs on the other page, but in a list of teasers, not under its own menu
    pages = [["Menu", "Ferry strike ends", "The crews went back today."],
             ["Most read", "Ferry strike ends", "Bakery reopens"]]
    cols = _cols(pages, ["q", "q"])[0]
    assert cols[1, 0] == 1.0 and cols[1, 4] == 0.0


def test_a_blurb_after_a_recurring_headline_sees_the_headlines_share():
    pages = [["Menu", "Ferry strike ends", "Crews went back…"], ["Ferry strike ends", "The crews went back."]]
    cols = _cols(pages, ["q", "q"])[0]
    assert cols[:, 5].tolist() == [0.0, 0.0, 1.0]  # the line before's share
    assert cols[:, 6].tolist() == [1.0, 0.0, 0.0]  # the line after's share


def test_a_line_cut_short_matches_a_line_that_begins_alike():
    opening = "The crews of the harbour ferries went back to work"
    pages = [["Menu", opening[:30] + "…"], ["Menu", opening + " on Monday."]]
    cols = _cols(pages, ["q", "q"])[0]
    assert cols[1, 0] == 0.0 and cols[1, 7] == 1.0


def test_a_short_line_compares_its_whole_key():
    pages = [["Menu", "Story one"], ["Menu and more", "Story two"]]
    assert _cols(pages, ["q", "q"])[0][0, 7] == 0.0


def test_lines_that_begin_differently_have_prefix_share_zero():
    pages = [["Menu", "A ferry strike ends after nine days"], ["Menu", "Bakery on Quay Street reopens"]]
    assert _cols(pages, ["q", "q"])[0][1, 7] == 0.0


def test_a_page_without_text_is_no_other_page():
    cols = _cols([["Menu", "Story"], [], ["", "  "]], ["q", "q", "q"])
    assert np.isnan(cols[0]).all()


def test_copies_of_a_page_count_as_one_page():
    pages = [["Menu", "Story one"], ["Menu", "Story one"], ["Menu", "Story two"]]
    cols = _cols(pages, ["q"] * 3)
    assert np.isnan(cols[0]).sum() == 0 and cols[0][:, 0].tolist() == [1.0, 0.0]  # only page 2 counts
    assert cols[0][:, 7].tolist() == [1.0, 0.0]
    assert cols[0][0, 1] == 1 and cols[2][0, 1] == 1


def test_site_keys_must_be_str_or_none():
    with pytest.raises(TypeError, match="site 1 is float"):
        site_keys(["a", float("nan")], 2)


def test_sites_given_as_one_str_are_refused():
    with pytest.raises(TypeError, match="not one str"):
        site_keys("ab", 2)


def test_site_keys_accept_a_generator():
    assert site_keys((s for s in ["a", None]), 2) == ["a", None]


def test_blank_lines_have_share_zero():
    cols = _cols([["", "Menu", "Story one"], ["", "Menu", "Story two"]], ["q", "q"])
    assert cols[0][:, 0].tolist() == [0.0, 1.0, 0.0]


def test_training_columns_see_a_random_subset_of_the_other_pages():
    pages = _pages(6)
    cols = _cols(pages, ["quay"] * 6, np.random.RandomState(0))
    others = [c[0, 1] for c in cols]
    assert all(1 <= n <= 5 for n in others) and len(set(others)) > 1
    assert all(c[0, 0] == 1.0 for c in cols)  # the chrome line is on every page


class _EveryPage:
    """An rng whose random subset of the other pages is all of them."""

    def randint(self, low, high):
        return high - 1

    def choice(self, others, size, replace):
        return list(others)


def test_training_columns_with_every_other_page_equal_prediction_columns():
    pages = [["Menu", "Ferry strike ends", "The crews went back to work on the harbour ferries…", ""],
             ["Ferry strike ends", "The crews went back to work on the harbour ferries today.", "Menu"],
             ["Menu", "Bakery reopens", "Menu"], ["Menu", "Bakery reopens", "Menu"]]
    for a, b in zip(_cols(pages, ["q"] * 4), _cols(pages, ["q"] * 4, _EveryPage())):
        np.testing.assert_array_equal(a, b)


def test_training_columns_are_deterministic_for_a_seed():
    pages = _pages(6)
    a = _cols(pages, ["quay"] * 6, np.random.RandomState(3))
    b = _cols(pages, ["quay"] * 6, np.random.RandomState(3))
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
