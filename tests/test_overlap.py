"""classifier.overlap: the share of a line's tokens that the rest of its page uses."""

import numpy as np
import pytest

from classifier.overlap import MIN_WORD, NEAR, OVERLAP_COLUMNS, PROB_SCALE, line_tokens, overlap_features

CONTENT, CHROME = 4.0, -4.0  # pass-1 scores of a likely content and a likely boilerplate line


def _cols(lines, scores=None, offsets=(0,)):
    scores = np.full(len(lines), CONTENT) if scores is None else np.asarray(scores, dtype=float)
    return overlap_features(lines, scores, np.asarray(offsets))


def _tokens_per_line(lines):
    tok_line, _ = line_tokens(lines)
    return np.bincount(tok_line, minlength=len(lines)).tolist()


def test_one_row_of_every_column_per_line():
    assert _cols(["Home", "A river rose.", ""]).shape == (3, OVERLAP_COLUMNS)


def test_a_headline_shares_more_with_the_article_than_a_menu_line():
    lines = ["Politics Business Sport", "Ferry pier reopens after storm",
             "The ferry pier reopened on Monday, a month after the storm.", "Subscribe for full access"]
    cols = _cols(lines, [CHROME, 0.0, CONTENT, CHROME])
    assert cols[1, 0] > 0.5 > cols[0, 0]
    assert cols[3, 0] == 0.0


def test_short_words_and_numbers_are_no_tokens():
    assert _tokens_per_line(["of in la 12 2026 3rd", "x" * MIN_WORD]) == [1, 1]  # "3rd" and "xxx"


def test_cjk_text_gives_a_token_per_pair_of_characters():
    assert _tokens_per_line(["東京の駅", "駅"]) == [3, 0]


def test_a_line_counts_each_token_once():
    assert _tokens_per_line(["river river RIVER river."]) == [1]


def test_case_does_not_matter():
    cols = _cols(["FERRY PIER", "the ferry pier"])
    assert cols[0, 1] == 1.0


def test_a_line_without_tokens_gets_minus_one():
    assert _cols(["|", "12", ""]).tolist() == [[-1.0] * OVERLAP_COLUMNS] * 3


def test_the_content_weight_uses_the_other_lines_probabilities_only():
    # "harbour" is on a likely-boilerplate line only: the likely-content line's own weight does not count
    cols = _cols(["harbour", "harbour"], [CONTENT, CHROME])
    p_chrome, p_content = 1 / (1 + np.exp(-CHROME)), 1 / (1 + np.exp(-CONTENT))
    assert cols[0, 0] == np.round(p_chrome * PROB_SCALE) / PROB_SCALE
    assert cols[1, 0] == np.round(p_content * PROB_SCALE) / PROB_SCALE


def test_the_content_weight_of_a_token_is_at_most_one():
    assert _cols(["harbour"] * 3)[:, 0].tolist() == [1.0] * 3


def test_near_counts_lines_up_to_near_away_in_each_direction():
    lines = ["harbour"] + ["|"] * (NEAR - 1) + ["harbour"] + ["|"] * NEAR + ["harbour"]
    cols = _cols(lines)
    first, second, third = 0, NEAR, 2 * NEAR + 1
    assert cols[first, 2] == 1.0 and cols[first, 3] == 0.0   # the second is NEAR lines after it
    assert cols[second, 3] == 1.0 and cols[second, 2] == 0.0  # the third is NEAR + 1 lines after it
    assert cols[third, 3] == 0.0


def test_pages_of_a_batch_do_not_see_each_other():
    pages = [["Ferry pier reopens", "The ferry pier reopened."], ["Ferry timetable", "Menu"]]
    scores = np.array([0.0, CONTENT, 1.0, CHROME])
    together = overlap_features(pages[0] + pages[1], scores, np.array([0, 2]))
    assert np.array_equal(together[:2], overlap_features(pages[0], scores[:2], np.array([0])))
    assert np.array_equal(together[2:], overlap_features(pages[1], scores[2:], np.array([0])))


def test_empty_pages_and_an_empty_batch_are_fine():
    assert _cols([], offsets=(0,)).shape == (0, OVERLAP_COLUMNS)
    cols = overlap_features(["river bank", "river"], np.zeros(2), np.array([0, 0, 1, 1]))
    assert cols[:, 1].tolist() == [0.0, 0.0]  # one line per page: nothing to share


def _cols_with_copies(lines, copies, scores=None):
    scores = np.full(len(lines), CONTENT) if scores is None else np.asarray(scores, dtype=float)
    return overlap_features(lines, scores, np.array([0]), copies=np.asarray(copies))


def test_a_lines_copies_do_not_share_its_words():
    lines = ["Icon Caret Down", "The river rose overnight.", "Icon Caret Down"]
    assert _cols_with_copies(lines, [0, 1, 0])[[0, 2]].tolist() == [[0.0] * OVERLAP_COLUMNS] * 2
    assert _cols(lines)[2, 3] == 1.0  # without copy ids (models before format 8) the copy counts


def test_a_copy_still_sees_the_other_lines_that_share_its_words():
    lines = ["Ferry pier", "Ferry pier", "The ferry pier reopened."]
    cols = _cols_with_copies(lines, [0, 0, 2], [CONTENT, CONTENT, CHROME])
    p_chrome = np.round(1 / (1 + np.exp(-CHROME)) * PROB_SCALE) / PROB_SCALE
    assert cols[:2, 0].tolist() == [p_chrome] * 2  # the third line's weight, not the copy's
    assert cols[:2, 1].tolist() == [1.0, 1.0]
    assert cols[:2, 2].tolist() == [1.0, 1.0]  # the third line is within NEAR after both
    assert cols[:2, 3].tolist() == [0.0, 0.0]  # nothing but a copy before them
    assert cols[2, 3] == 0.5  # "ferry" and "pier" of its 4 tokens are before it


def test_the_nearest_other_line_is_found_past_a_run_of_copies():
    lines = ["ferry pier"] + ["Ferry Pier"] * (NEAR + 2)
    cols = _cols_with_copies(lines, [0] + [1] * (NEAR + 2))
    assert cols[1:, 3].tolist() == [1.0] * NEAR + [0.0, 0.0]  # "ferry" is within NEAR before the first NEAR


def test_the_nearest_other_line_after_is_found_past_a_run_of_copies():
    lines = ["Ferry Pier"] * (NEAR + 2) + ["ferry pier"]
    cols = _cols_with_copies(lines, [0] * (NEAR + 2) + [1])
    assert cols[:-1, 2].tolist() == [0.0, 0.0] + [1.0] * NEAR


def test_copy_ids_must_be_one_per_line_within_the_batch():
    with pytest.raises(ValueError, match="ids in"):
        _cols_with_copies(["ferry", "ferry"], [0, 2])
    with pytest.raises(ValueError, match="ids in"):
        _cols_with_copies(["ferry", "ferry"], [0])
