"""classifier.lines: splitting page text into lines and normalising what callers pass."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from classifier.lines import as_lines, as_pages, normalise, split_lines

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


# ----- what as_lines accepts and refuses -------------------------------------------------------

def test_as_lines_accepts_a_numpy_object_array_of_str():
    out = as_lines(np.array(["Home", "", "The river rose."], dtype=object))
    assert out == ["Home", "", "The river rose."]


def test_as_lines_turns_numpy_str_items_into_plain_str():
    out = as_lines(np.array(["Home", np.str_("Share")], dtype=object))
    assert [type(line) for line in out] == [str, str]


def test_as_lines_decodes_a_numpy_bytes_array():
    assert as_lines(np.array([b"Home", "Caf\u00e9".encode("utf-8")])) == ["Home", "Café"]


def test_as_lines_rejects_none_in_a_numpy_object_array_naming_the_line():
    with pytest.raises(TypeError, match=r"line 1 is NoneType, expected str \(lines are counted from 0\)"):
        as_lines(np.array(["Home", None], dtype=object))


def test_as_lines_rejects_a_two_dimensional_array():
    with pytest.raises(TypeError, match="1-D array of lines, got a 2-D array"):
        as_lines(np.array([["Home", "Share"], ["Next", "Previous"]]))


@pytest.mark.parametrize("bad", [{"lines": ["Home"]}, {"Home", "Share"}, frozenset({"Home"})])
def test_as_lines_rejects_unordered_containers(bad):
    with pytest.raises(TypeError, match=type(bad).__name__):
        as_lines(bad)


def test_as_lines_rejects_a_non_utf8_bytes_page_giving_the_byte_offset():
    with pytest.raises(ValueError, match=r"page is bytes that are not valid UTF-8 \(byte 3\)"):
        as_lines(b"Caf\xe9\nR\xe9union")


def test_as_lines_keeps_a_line_end_inside_a_list_item():
    assert as_lines(["Home\r", "one\r\ntwo", "three"]) == ["Home\r", "one\r\ntwo", "three"]


@pytest.mark.parametrize("line", ["a\x00b", "\ud800 lone \udfff", "\x1b[31mred\x07", "\u200f\u202eabc",
                                  "a\u200bb\ufeff", "\U0001F600\U0001F44D\U0001F3FD",
                                  "Hello Привет 你好 مرحبا"])
def test_as_lines_passes_unusual_characters_through_unchanged(line):
    assert as_lines([line, "Share"]) == [line, "Share"]


# ----- as_pages ----------------------------------------------------------------------------------

def test_as_pages_turns_each_page_into_lines():
    assert as_pages(["Home\nShare", ("Next",), []]) == [["Home", "Share"], ["Next"], []]


def test_as_pages_consumes_a_generator_of_pages():
    assert as_pages(page for page in ["a\nb", "c"]) == [["a", "b"], ["c"]]


@pytest.mark.parametrize("text", ["Home\nShare", b"Home\nShare"])
def test_as_pages_refuses_a_single_text(text):
    with pytest.raises(TypeError, match="one text"):
        as_pages(text)


@pytest.mark.parametrize("bad", [None, 3])
def test_as_pages_refuses_what_is_not_an_iterable_of_pages(bad):
    with pytest.raises(TypeError, match=type(bad).__name__):
        as_pages(bad)


def test_as_pages_names_the_page_and_line_of_a_bad_item():
    with pytest.raises(TypeError, match=r"page 2: line 0 is int"):
        as_pages([["Home"], "Share", [7]])


def test_as_pages_names_the_page_of_non_utf8_bytes():
    with pytest.raises(ValueError, match=r"page 1: line 0 is bytes that are not valid UTF-8"):
        as_pages([["Home"], [b"\xff"]])
