"""classifier.evaluate: the shingle text metric, line metrics and page reports."""

import numpy as np
import pytest

from classifier.corpus import Page
from classifier.evaluate import WORST_PAGES, Report, evaluate_pages, format_report, line_scores, shingle_scores

TEXT = "The river rose overnight and the ferry crews waited at the quay"


# ----- shingles ------------------------------------------------------------------------------------

def test_identical_texts_score_one():
    assert shingle_scores(TEXT, TEXT) == (1.0, 1.0, 1.0)


def test_disjoint_texts_score_zero():
    assert shingle_scores(TEXT, "Volunteers stacked sandbags along the old mill wall today") == (0.0, 0.0, 0.0)


def test_two_empty_texts_score_one():
    assert shingle_scores("", "") == (1.0, 1.0, 1.0)


def test_empty_prediction_against_nonempty_gold_has_recall_zero():
    _, recall, f1 = shingle_scores("", TEXT)
    assert recall == 0.0
    assert f1 == 0.0


def test_nonempty_prediction_against_empty_gold_has_precision_zero():
    precision, _, f1 = shingle_scores(TEXT, "")
    assert precision == 0.0
    assert f1 == 0.0


def test_shingles_ignore_case_punctuation_and_line_breaks():
    assert shingle_scores("The river, rose\novernight!", "the river rose overnight") == (1.0, 1.0, 1.0)


def test_extra_predicted_text_lowers_precision_only():
    # gold a b c d e: shingles abcd, bcde. pred adds "x": abcd, bcde, cdex -> P = 2/3, R = 1.
    precision, recall, f1 = shingle_scores("a b c d e x", "a b c d e")
    assert precision == pytest.approx(2 / 3)
    assert recall == 1.0
    assert f1 == pytest.approx(0.8)


def test_shingles_are_counted_as_a_multiset():
    # gold "a b c d" has one shingle; pred repeats it: abcd, bcda, cdab, dabc, abcd -> 1 of 5 match.
    precision, recall, _ = shingle_scores("a b c d a b c d", "a b c d")
    assert precision == pytest.approx(1 / 5)
    assert recall == 1.0


def test_texts_shorter_than_a_shingle_count_as_one_shingle():
    assert shingle_scores("Sign in", "sign in") == (1.0, 1.0, 1.0)
    assert shingle_scores("Sign in", "Sign in now")[2] == 0.0


@pytest.mark.parametrize("pred,gold", [
    ("甲乙丙丁戊", "甲乙丙丁己"),          # Chinese characters
    ("ひらがなを", "ひらがなの"),          # Japanese kana
    ("한결마을소", "한결마을집"),          # Hangul syllables
])
def test_cjk_characters_are_one_token_each(pred, gold):
    # 5 tokens each -> 2 shingles each, sharing the first: P = R = 1/2. As one run-token they'd share none.
    precision, recall, _ = shingle_scores(pred, gold)
    assert (precision, recall) == (0.5, 0.5)


def test_cjk_characters_split_from_adjacent_latin_words():
    # "abc" "東" "京" "都" "x": the Latin word stays one token, each CJK character is one
    assert shingle_scores("abc東京都x", "abc 東 京 都 x") == (1.0, 1.0, 1.0)


# ----- line scores -----------------------------------------------------------------------------------

def test_line_scores_on_a_small_example_computed_by_hand():
    y_true = np.array([1, 1, 0, 0, 1], dtype=bool)
    y_pred = np.array([1, 0, 0, 1, 1], dtype=bool)
    s = line_scores(y_true, y_pred)
    # content: TP 2, predicted 3, true 3 -> P = R = F1 = 2/3
    assert s["content"]["precision"] == pytest.approx(2 / 3)
    assert s["content"]["recall"] == pytest.approx(2 / 3)
    assert s["content"]["f1"] == pytest.approx(2 / 3)
    assert s["content"]["support"] == 3
    # boilerplate: TP 1, predicted 2, true 2 -> P = R = F1 = 1/2
    assert s["boilerplate"]["f1"] == pytest.approx(0.5)
    assert s["boilerplate"]["support"] == 2
    assert s["accuracy"] == pytest.approx(3 / 5)
    assert s["lines"] == 5


def test_line_scores_with_no_predicted_content_give_zero_content_f1():
    s = line_scores(np.array([True, False]), np.array([False, False]))
    assert s["content"]["f1"] == 0.0
    assert s["boilerplate"]["recall"] == 1.0


def test_line_scores_of_perfect_predictions_are_one():
    y = np.array([True, False, True])
    s = line_scores(y, y)
    assert s["content"]["f1"] == s["boilerplate"]["f1"] == s["accuracy"] == 1.0


# ----- evaluate_pages -------------------------------------------------------------------------------

def _page(i, kind, source="tests"):
    return Page(id=f"p{i}", lines=["Home", "The river rose overnight and crews waited.", "Share"],
                labels=["boilerplate", "content", "boilerplate"], source=source, meta={"kind": kind})


PERFECT = np.array([0.1, 0.9, 0.2])
WRONG = np.array([0.9, 0.1, 0.2])   # keeps "Home", drops the content line


def test_evaluate_pages_scores_perfect_predictions_as_one():
    pages = [_page(0, "news"), _page(1, "blog")]
    overall = evaluate_pages(pages, [PERFECT, PERFECT], 0.5).overall
    assert overall["content"]["f1"] == 1.0
    assert overall["shingle"]["f1"] == 1.0
    assert overall["pages"] == 2
    assert overall["lines"] == 6


def test_evaluate_pages_counts_a_probability_equal_to_the_threshold_as_content():
    r = evaluate_pages([_page(0, "news")], [np.array([0.0, 0.5, 0.0])], 0.5)
    assert r.overall["content"]["recall"] == 1.0


def test_evaluate_pages_reports_each_group_with_more_than_one_value():
    pages = [_page(0, "news"), _page(1, "news"), _page(2, "blog")]
    r = evaluate_pages(pages, [PERFECT, PERFECT, WRONG], 0.5, group_by=("source", "kind"))
    assert "source" not in r.groups  # one source only: no table
    assert sorted(r.groups["kind"]) == ["blog", "news"]
    assert r.groups["kind"]["news"]["pages"] == 2
    assert r.groups["kind"]["news"]["content"]["f1"] == 1.0
    assert r.groups["kind"]["blog"]["content"]["f1"] == 0.0


def test_evaluate_pages_groups_by_site():
    pages = [_page(0, "news"), _page(1, "news")]
    pages[0].site, pages[1].site = "quayside", "harbour"
    r = evaluate_pages(pages, [PERFECT, WRONG], 0.5, group_by=("site",))
    assert r.groups["site"]["quayside"]["shingle"]["f1"] == 1.0


def test_evaluate_pages_lists_the_worst_pages_first_with_their_line_errors():
    pages = [_page(i, "news") for i in range(4)]
    r = evaluate_pages(pages, [PERFECT, WRONG, PERFECT, PERFECT], 0.5)
    assert r.worst[0]["id"] == "p1"
    assert r.worst[0]["line_errors"] == 2
    assert r.worst[0]["shingle_f1"] == 0.0
    assert [w["shingle_f1"] for w in r.worst] == sorted(w["shingle_f1"] for w in r.worst)


def test_evaluate_pages_keeps_at_most_worst_pages_entries():
    pages = [_page(i, "news") for i in range(WORST_PAGES + 5)]
    r = evaluate_pages(pages, [PERFECT] * len(pages), 0.5)
    assert len(r.worst) == WORST_PAGES


def test_evaluate_pages_uses_gold_text_when_present():
    page = _page(0, "news")
    page.gold_text = "Completely different reference text about the harbour and its boats"
    r = evaluate_pages([page], [PERFECT], 0.5)
    assert r.overall["content"]["f1"] == 1.0      # lines still scored against labels
    assert r.overall["shingle"]["f1"] == 0.0      # text scored against gold_text


def test_report_to_json_has_overall_groups_and_worst_pages():
    r = evaluate_pages([_page(0, "news"), _page(1, "blog")], [PERFECT, WRONG], 0.5)
    assert set(r.to_json()) == {"overall", "groups", "worst_pages"}
    assert isinstance(r, Report)


def test_format_report_shows_the_overall_row_and_each_group():
    r = evaluate_pages([_page(0, "news"), _page(1, "blog")], [PERFECT, WRONG], 0.5)
    text = format_report(r, "tiny test")
    assert text.splitlines()[0] == "tiny test"
    assert any(row.startswith("all ") for row in text.splitlines())
    assert "by kind:" in text and "  blog" in text and "  news" in text
