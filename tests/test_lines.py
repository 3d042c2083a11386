"""classifier.lines: splitting page text into lines and normalising what callers pass."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from classifier.lines import as_lines, normalise, split_lines

# lines as a scraper gives them: any text without the three line ends
line_text = st.text(alphabet=st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",)), max_size=30)


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_split_lines_splits_on_each_line_end(newline):
    text = newline.join(["Menu", "Ferry crews wait", "", "The river rose."])
    assert split_lines(text) == ["Menu", "Ferry crews wait", "", "The river rose."]


def test_split_lines_handles_mixed_line_ends_in_one_text():
    assert split_lines("a\r\nb\rc\nd") == ["a", "b", "c", "d"]


def test_split_lines_final_line_end_adds_no_empty_line():
    assert split_lines("Menu\nThe river rose.\n") == ["Menu", "The river rose."]


def test_split_lines_keeps_a_trailing_blank_line_before_the_final_line_end():
    assert split_lines("Menu\n\n") == ["Menu", ""]


def test_split_lines_of_empty_text_is_empty():
    assert split_lines("") == []


@pytest.mark.parametrize("separator", ["\u2028", "\x0b", "\x0c", "\x85"])
def test_split_lines_keeps_other_unicode_separators_inside_the_line(separator):
    assert split_lines(f"one{separator}line\nnext") == [f"one{separator}line", "next"]


@given(st.lists(line_text, max_size=8))
def test_split_lines_inverts_joining_lines_each_ended_by_a_newline(lines):
    assert split_lines("".join(line + "\n" for line in lines)) == lines


@given(st.lists(line_text, min_size=1, max_size=8))
def test_split_lines_gives_the_same_lines_for_lf_crlf_and_cr(lines):
    lf = split_lines("\n".join(lines))
    assert split_lines("\r\n".join(lines)) == lf
    assert split_lines("\r".join(lines)) == lf


def test_as_lines_splits_a_str_page():
    assert as_lines("Home\r\nThe river rose.\n\nShare") == ["Home", "The river rose.", "", "Share"]


def test_as_lines_returns_a_list_for_a_tuple():
    assert as_lines(("Home", "", "Share")) == ["Home", "", "Share"]


def test_as_lines_consumes_a_generator():
    assert as_lines(line for line in ["Home", "", "Share"]) == ["Home", "", "Share"]


def test_as_lines_accepts_a_numpy_array_of_str():
    out = as_lines(np.array(["Home", "", "The river rose."]))
    assert out == ["Home", "", "The river rose."]
    assert all(isinstance(line, str) for line in out)


def test_as_lines_does_not_split_list_items_containing_line_ends():
    assert as_lines(["one\ntwo", "three"]) == ["one\ntwo", "three"]


def test_as_lines_decodes_utf8_bytes_page():
    assert as_lines("Café\nRéunion".encode("utf-8")) == ["Café", "Réunion"]


def test_as_lines_decodes_utf8_bytes_items():
    assert as_lines([b"Home", "Caf\u00e9".encode("utf-8")]) == ["Home", "Café"]


def test_as_lines_rejects_non_utf8_bytes_naming_the_line():
    with pytest.raises(ValueError, match=r"line 1 .*UTF-8"):
        as_lines([b"ok", b"\xff\xfe broken"])


@pytest.mark.parametrize("bad", [None, 3, 2.5])
def test_as_lines_rejects_a_page_that_is_not_text_or_iterable(bad):
    with pytest.raises(TypeError, match=type(bad).__name__):
        as_lines(bad)


@pytest.mark.parametrize("bad", [None, 7])
def test_as_lines_rejects_a_non_str_line_naming_its_index_and_type(bad):
    with pytest.raises(TypeError, match=rf"line 2 is {type(bad).__name__}"):
        as_lines(["Home", "Share", bad, "Next"])


def test_normalise_collapses_and_strips_whitespace():
    assert normalise("  Subscribe \t now\u00a0 for  $1 ") == "Subscribe now for $1"
