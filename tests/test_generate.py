"""training_data/generate.py: the bundled corpus generator and its train/test split."""

import importlib.util
import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
GENERATE = REPO / "training_data" / "generate.py"
LABELS = {"content", "boilerplate"}


@pytest.fixture(scope="module")
def generate():
    spec = importlib.util.spec_from_file_location("linesift_generate", GENERATE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def splits(generate):
    return generate.generate()


@pytest.fixture(scope="module")
def all_pages(splits):
    return splits["train"] + splits["test"]


def test_generation_is_deterministic(generate, splits):
    assert generate.generate() == splits


def test_main_writes_byte_identical_files_to_the_committed_corpus(generate, tmp_path, capsys):
    assert generate.main([str(tmp_path)]) == 0
    for name in ("train.jsonl", "test.jsonl"):
        assert (tmp_path / name).read_bytes() == (REPO / "training_data" / name).read_bytes(), \
            f"training_data/{name} is out of date: rerun python training_data/generate.py"


def test_train_and_test_share_no_site(splits):
    train = {p["site"] for p in splits["train"]}
    test = {p["site"] for p in splits["test"]}
    assert train and test
    assert not train & test


def test_train_and_test_share_no_domain(splits):
    train = {p["meta"]["domain"] for p in splits["train"]}
    test = {p["meta"]["domain"] for p in splits["test"]}
    assert not train & test


def test_every_named_test_site_exists(generate, all_pages):
    assert generate.TEST_SITES <= {p["site"] for p in all_pages}


def test_test_split_holds_at_least_a_quarter_of_the_pages(splits):
    n_test, n_train = len(splits["test"]), len(splits["train"])
    assert n_test >= 0.25 * (n_test + n_train)


@pytest.mark.parametrize("key", ["lang", "kind"])
def test_test_split_covers_every_value_present(splits, key):
    present = {p["meta"][key] for p in splits["train"] + splits["test"]}
    assert {p["meta"][key] for p in splits["test"]} == present


def test_every_page_has_one_label_and_one_category_per_line(all_pages):
    for p in all_pages:
        assert len(p["lines"]) == len(p["labels"]) == len(p["categories"]), p["id"]


def test_every_label_is_content_or_boilerplate(all_pages):
    assert {lab for p in all_pages for lab in p["labels"]} == LABELS


def test_lines_are_stripped_single_lines_without_blanks(all_pages):
    for p in all_pages:
        for line in p["lines"]:
            assert line and line == line.strip() and "\n" not in line and "\r" not in line, p["id"]


def test_page_ids_are_unique(all_pages):
    ids = [p["id"] for p in all_pages]
    assert len(ids) == len(set(ids))


def test_error_pages_have_no_content_and_other_pages_some(all_pages):
    for p in all_pages:
        has_content = "content" in p["labels"]
        assert has_content == (p["meta"]["kind"] != "error"), p["id"]


def test_every_page_has_boilerplate(all_pages):
    assert all("boilerplate" in p["labels"] for p in all_pages)


def test_generated_pages_read_back_as_corpus_pages(all_pages, tmp_path):
    from classifier.corpus import read_jsonl

    path = tmp_path / "g.jsonl"
    path.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in all_pages[:20]), encoding="utf-8")
    pages = list(read_jsonl(path))
    assert [p.id for p in pages] == [p["id"] for p in all_pages[:20]]
    assert all(p.group == p.site for p in pages)


def test_slots_are_filled_in_every_line(all_pages):
    slots = ("@AUTHOR@", "@DATE@", "@TITLE@", "@SECTION@", "@N@", "@PREV@", "@NEXT@")
    assert not [line for p in all_pages for line in p["lines"] if any(s in line for s in slots)]


def test_wrap_keeps_every_word_and_the_width(generate):
    text = "The river rose overnight and the ferry crews waited at the quay until the water fell."
    parts = generate.wrap(text, 20)
    assert " ".join(parts) == text
    assert all(len(part) <= 20 for part in parts)
