"""classifier.sitememory: the site-memory post-pass on invented pages and fixed probabilities."""

import numpy as np
import pytest

import classifier
from classifier.labels import DEFAULT_THRESHOLD
from classifier.sitememory import apply_site_memory, line_key, site_shares, site_of_url

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


def test_predict_pages_with_sites_lowers_a_repeated_line(trained_model, monkeypatch):
    monkeypatch.setattr(classifier, "_DEFAULT", trained_model)
    line = "The river rose overnight and the ferry crews waited at the quay until the water fell."
    pages = [["Home", line, f"Page {c} of the story goes on."] for c in "abcd"]
    plain = trained_model.predict_proba_pages(pages)
    with_memory = classifier.predict_pages(pages, sites=["quay"] * 4, threshold=0.0)
    assert [len(p) for p in with_memory] == [3] * 4
    lowered = apply_site_memory(pages, plain, ["quay"] * 4)
    assert all(lo[1] < pl[1] for lo, pl in zip(lowered, plain))
    assert classifier.predict_pages(pages, sites=["quay"] * 4) == [
        ["content" if x >= DEFAULT_THRESHOLD else "boilerplate" for x in lo] for lo in lowered]


def test_evaluate_site_memory_applies_the_post_pass_to_pages_grouped_by_site(tmp_path, trained_model_file,
                                                                             monkeypatch, pages_factory):
    import json

    from classifier import cli, sitememory
    from classifier.corpus import write_jsonl

    data = tmp_path / "pages.jsonl"
    pages = pages_factory(6)
    write_jsonl(pages, data)
    seen = {}

    def spy(lines, probs, sites, **kw):
        seen["sites"] = sites
        return [np.zeros(len(p)) for p in probs]
    monkeypatch.setattr(sitememory, "apply_site_memory", spy)
    out = tmp_path / "scores.json"
    assert cli.main(["evaluate", str(data), "--site-memory", "--json", str(out),
                     "--model", str(trained_model_file)]) == 0
    assert seen["sites"] == [p.group for p in pages]
    payload = json.loads(out.read_text(encoding="utf-8"))
    assert payload["site_memory"] is True
    assert payload["overall"]["content"]["recall"] == 0.0
