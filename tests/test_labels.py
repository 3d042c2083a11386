"""classifier.labels: the two line labels."""

import json

import pytest

from classifier.labels import LABELS, Label


def test_labels_compare_equal_to_their_plain_strings():
    assert Label.CONTENT == "content"
    assert Label.BOILERPLATE == "boilerplate"


def test_label_lookup_by_value_returns_the_member():
    assert Label("content") is Label.CONTENT


def test_unknown_label_value_raises_value_error():
    with pytest.raises(ValueError):
        Label("navigation")


def test_str_and_format_give_the_plain_value():
    assert str(Label.CONTENT) == "content"
    assert f"{Label.BOILERPLATE}" == "boilerplate"


def test_labels_serialise_to_json_as_plain_strings():
    assert json.loads(json.dumps([Label.CONTENT, Label.BOILERPLATE])) == ["content", "boilerplate"]


def test_probability_column_order_puts_content_second():
    assert LABELS == (Label.BOILERPLATE, Label.CONTENT)
