"""classifier.corpus: the JSONL and page-file formats, their errors, and corpus digests."""

import gzip
import json
from dataclasses import replace

import pytest

from classifier.corpus import (CorpusError, NotUTF8Error, Page, corpus_sha256, read_jsonl, read_page_file,
                               read_pages, write_jsonl, write_page_file)


def _full_page(**changes):
    page = Page(id="quay-01", lines=["Home", "Ferry crews wait", "", "The river rose overnight.", "Café ☕ 東京"],
                labels=["boilerplate", "content", "boilerplate", "content", "content"],
                source="tests", site="quayside", url="https://www.quayside.example/news/ferry",
                gold_text="Ferry crews wait\nThe river rose overnight.", meta={"lang": "en", "kind": "news", "x": [1, 2]},
                categories=["nav", "title", "blank", "body", "body"])
    return replace(page, **changes)


def _page_file(tmp_path, text: str, name: str = "p.tsv"):
    """A page file holding `text`, written as UTF-8."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _write_bytes(path, data: bytes):
    path.write_bytes(data)
    return path


# ----- Page -------------------------------------------------------------------------------------

def test_content_text_joins_the_content_lines():
    page = Page(id="p", lines=["Menu", "The river rose.", "Share", "Crews waited."],
                labels=["boilerplate", "content", "boilerplate", "content"])
    assert page.content_text() == "The river rose.\nCrews waited."


def test_content_text_without_labels_raises_value_error():
    with pytest.raises(ValueError, match="no labels"):
        Page(id="p", lines=["a"]).content_text()


def test_group_is_the_site_when_given():
    assert _full_page(meta={"domain": "other.example"}).group == "quayside"


def test_group_falls_back_to_meta_domain():
    assert _full_page(site="", meta={"domain": "quayside.example"}).group == "quayside.example"


def test_group_falls_back_to_the_url_host_without_www():
    assert _full_page(site="", meta={}).group == "quayside.example"


def test_group_falls_back_to_the_page_id():
    assert _full_page(site="", meta={}, url=None).group == "quay-01"


# ----- JSONL -------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["pages.jsonl", "pages.jsonl.gz"])
def test_jsonl_round_trip_keeps_every_field(tmp_path, name):
    pages = [_full_page(), _full_page(id="quay-02", url=None, gold_text=None, categories=None, meta={})]
    write_jsonl(pages, tmp_path / name)
    assert list(read_jsonl(tmp_path / name)) == pages


def test_jsonl_gz_file_is_really_gzip_compressed(tmp_path):
    write_jsonl([_full_page()], tmp_path / "pages.jsonl.gz")
    with gzip.open(tmp_path / "pages.jsonl.gz", "rt", encoding="utf-8") as fh:
        assert json.loads(fh.readline())["id"] == "quay-01"


def test_read_jsonl_skips_blank_lines(tmp_path):
    rec = json.dumps({"id": "a", "lines": ["x"], "labels": ["content"]})
    path = tmp_path / "p.jsonl"
    path.write_text(f"\n{rec}\n   \n{rec}\n", encoding="utf-8")
    assert len(list(read_jsonl(path))) == 2


def test_read_jsonl_defaults_the_source_to_the_file_name(tmp_path):
    path = tmp_path / "harbour.jsonl.gz"
    write_jsonl([_full_page(source="")], path)
    assert next(read_jsonl(path)).source == "harbour"


def test_read_jsonl_accepts_missing_labels_when_not_required(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps({"id": "a", "lines": ["x", "y"]}) + "\n", encoding="utf-8")
    assert next(read_jsonl(path, require_labels=False)).labels is None


def test_read_jsonl_missing_labels_when_required_names_file_and_line(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps({"id": "a", "lines": ["x"]}) + "\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"p\.jsonl:1: no 'labels'"):
        list(read_jsonl(path))


def _jsonl(tmp_path, *records, name="bad.jsonl"):
    path = tmp_path / name
    path.write_text("".join(r if isinstance(r, str) else json.dumps(r) for r in records), encoding="utf-8")
    return path


GOOD = json.dumps({"id": "ok", "lines": ["Home"], "labels": ["boilerplate"]}) + "\n"


def test_bad_label_in_jsonl_names_file_line_and_label(tmp_path):
    path = _jsonl(tmp_path, GOOD, json.dumps({"id": "b", "lines": ["a", "b"], "labels": ["content", "navigation"]}))
    with pytest.raises(CorpusError, match=r"bad\.jsonl:2: label 2 is 'navigation'"):
        list(read_jsonl(path))


def test_label_count_mismatch_in_jsonl_names_file_and_line(tmp_path):
    path = _jsonl(tmp_path, GOOD, GOOD, json.dumps({"id": "b", "lines": ["a", "b"], "labels": ["content"]}))
    with pytest.raises(CorpusError, match=r"bad\.jsonl:3: 1 labels for 2 lines"):
        list(read_jsonl(path))


def test_invalid_json_names_file_and_line(tmp_path):
    path = _jsonl(tmp_path, GOOD, '{"id": "b", "lines": ["a"\n')
    with pytest.raises(CorpusError, match=r"bad\.jsonl:2: not valid JSON"):
        list(read_jsonl(path))


def test_lines_that_are_not_strings_raise_corpus_error(tmp_path):
    path = _jsonl(tmp_path, json.dumps({"id": "b", "lines": ["a", 3], "labels": ["content", "content"]}))
    with pytest.raises(CorpusError, match=r"bad\.jsonl:1: 'lines' must be a list of strings"):
        list(read_jsonl(path))


def test_a_record_that_is_not_an_object_raises_corpus_error(tmp_path):
    path = _jsonl(tmp_path, "[1, 2]\n")
    with pytest.raises(CorpusError, match=r"bad\.jsonl:1: expected a JSON object"):
        list(read_jsonl(path))


def test_a_label_that_is_a_list_raises_corpus_error(tmp_path):
    path = _jsonl(tmp_path, json.dumps({"id": "b", "lines": ["a"], "labels": [["content"]]}))
    with pytest.raises(CorpusError, match=r"bad\.jsonl:1"):
        list(read_jsonl(path))


@pytest.mark.parametrize("name", ["bad.jsonl", "bad.jsonl.gz"])
def test_non_utf8_jsonl_raises_corpus_error_naming_the_file(tmp_path, name):
    data = GOOD.encode() + b'{"id": "b", "lines": ["caf\xe9"], "labels": ["content"]}\n'
    path = _write_bytes(tmp_path / name, gzip.compress(data) if name.endswith(".gz") else data)
    with pytest.raises(CorpusError, match=rf"{name.replace('.', r'[.]')}.*not UTF-8"):
        list(read_jsonl(path))


def test_non_utf8_jsonl_error_names_the_line(tmp_path):
    data = GOOD.encode() * 3 + b'{"id": "b", "lines": ["caf\xe9"], "labels": ["content"]}\n'
    path = _write_bytes(tmp_path / "bad.jsonl", data)
    with pytest.raises(CorpusError, match=r"bad\.jsonl:4"):
        list(read_jsonl(path))


def test_non_utf8_jsonl_error_gives_the_byte_offset_in_the_file(tmp_path):
    data = GOOD.encode() * 2 + b'{"id": "b", "lines": ["caf\xe9"], "labels": ["content"]}\n'
    path = _write_bytes(tmp_path / "bad.jsonl", data)
    offset = data.index(b"\xe9")
    with pytest.raises(NotUTF8Error, match=rf"bad\.jsonl:3: not UTF-8 at byte offset {offset} "):
        list(read_jsonl(path))


def test_read_jsonl_errors_replace_decodes_bad_bytes(tmp_path):
    path = _write_bytes(tmp_path / "bad.jsonl", b'{"id": "b", "lines": ["caf\xe9"], "labels": ["content"]}\n')
    assert next(read_jsonl(path, errors="replace")).lines == ["caf\ufffd"]


def test_read_jsonl_on_error_skip_warns_and_keeps_the_other_records(tmp_path):
    path = _jsonl(tmp_path, GOOD, "{broken\n", GOOD, json.dumps({"id": "x", "lines": ["a"], "labels": []}) + "\n", GOOD)
    warnings = []
    pages = list(read_jsonl(path, on_error="skip", warn=warnings.append))
    assert len(pages) == 3
    assert [w.split(": ", 1)[0].rsplit("/", 1)[-1] for w in warnings] == ["bad.jsonl:2", "bad.jsonl:4"]
    assert all(w.endswith("; record skipped") for w in warnings)


def test_read_jsonl_on_error_skip_also_skips_non_utf8_records(tmp_path):
    path = _write_bytes(tmp_path / "bad.jsonl", GOOD.encode() + b'{"lines": ["\xff"]}\n' + GOOD.encode())
    warnings = []
    assert len(list(read_jsonl(path, on_error="skip", warn=warnings.append))) == 2
    assert "bad.jsonl:2: not UTF-8" in warnings[0]


def test_read_pages_on_error_skip_skips_a_bad_page_file_whole(tmp_path):
    (tmp_path / "a.tsv").write_text("content\tThe river rose.\n", encoding="utf-8")
    (tmp_path / "b.tsv").write_text("nav\tHome\n", encoding="utf-8")
    warnings = []
    pages = read_pages([tmp_path], on_error="skip", warn=warnings.append)
    assert [p.id for p in pages] == ["a"]
    assert "b.tsv:1: label 'nav'" in warnings[0] and warnings[0].endswith("; page file skipped")


@pytest.mark.parametrize("kwargs", [{"errors": "ignore"}, {"on_error": "warn"}])
def test_read_pages_rejects_an_unknown_policy(tmp_path, kwargs):
    with pytest.raises(ValueError, match="must be"):
        read_pages([_jsonl(tmp_path, GOOD)], **kwargs)


def test_a_truncated_gzip_file_raises_corpus_error(tmp_path):
    data = gzip.compress((GOOD * 200).encode())
    path = _write_bytes(tmp_path / "cut.jsonl.gz", data[: len(data) // 2])
    with pytest.raises(CorpusError, match=r"cut\.jsonl\.gz: not a valid gzip file"):
        list(read_jsonl(path, on_error="skip"))


def test_a_non_str_line_is_named_by_its_position(tmp_path):
    path = _jsonl(tmp_path, json.dumps({"id": "b", "lines": ["a", None], "labels": ["content", "content"]}))
    with pytest.raises(CorpusError, match=r"bad\.jsonl:1: 'lines' must be a list of strings; item 2 is NoneType"):
        list(read_jsonl(path))


# ----- page files ----------------------------------------------------------------------------------

def test_page_file_round_trip_keeps_lines_labels_and_header(tmp_path):
    page = _full_page(lines=["Home", "", "Ferry crews wait", "   ", "The river\trose.", "# not a comment"],
                      labels=["boilerplate", "boilerplate", "content", "boilerplate", "content", "content"],
                      source="", gold_text=None, meta={}, categories=None)
    write_page_file(page, tmp_path / "quay.tsv")
    back = read_page_file(tmp_path / "quay.tsv")
    assert (back.id, back.site, back.url) == (page.id, page.site, page.url)
    assert back.lines == page.lines
    assert back.labels == page.labels


def test_page_file_keeps_a_blank_line_labelled_content(tmp_path):
    page = Page(id="p", lines=["Title", "", "Body."], labels=["content", "content", "content"])
    write_page_file(page, tmp_path / "p.tsv")
    assert read_page_file(tmp_path / "p.tsv").labels == ["content", "content", "content"]


def test_page_file_header_comments_are_not_lines(tmp_path):
    path = _page_file(tmp_path, "# id: harbour-7\n# site: harbour\n# a note without a key\ncontent\tThe river rose.\n")
    page = read_page_file(path)
    assert (page.id, page.site, page.lines) == ("harbour-7", "harbour", ["The river rose."])


def test_page_file_without_header_takes_its_id_from_the_file_name(tmp_path):
    path = tmp_path / "harbour-8.tsv"
    path.write_text("boilerplate\tHome\ncontent\tThe river rose.\n", encoding="utf-8")
    assert read_page_file(path).id == "harbour-8"


def test_page_file_empty_row_is_a_blank_boilerplate_line(tmp_path):
    path = _page_file(tmp_path, "content\tTitle\n\ncontent\tBody.\n")
    page = read_page_file(path)
    assert page.lines == ["Title", "", "Body."]
    assert page.labels == ["content", "boilerplate", "content"]


def test_page_file_accepts_crlf_line_ends(tmp_path):
    path = tmp_path / "p.tsv"
    path.write_bytes(b"# id: p\r\nboilerplate\tHome\r\ncontent\tThe river rose.\r\n")
    assert read_page_file(path).lines == ["Home", "The river rose."]


def test_page_file_bad_label_names_file_and_line(tmp_path):
    path = _page_file(tmp_path, "# id: p\ncontent\tTitle\nnavigation\tHome\n")
    with pytest.raises(CorpusError, match=r"p\.tsv:3: label 'navigation'"):
        read_page_file(path)


def test_page_file_review_mark_after_the_label_is_ignored(tmp_path):
    path = _page_file(tmp_path, "boilerplate ?0.12\tHome\ncontent?\tThe river rose.\n")
    assert read_page_file(path).labels == ["boilerplate", "content"]


def test_page_file_review_mark_does_not_hide_a_misspelt_label(tmp_path):
    path = _page_file(tmp_path, "content\tTitle\ncontnet ?0.55\tThe river rose.\n")
    with pytest.raises(CorpusError, match=r"p\.tsv:2: label 'contnet'"):
        read_page_file(path)


def test_page_file_source_defaults_to_the_folder_name(tmp_path):
    (tmp_path / "my_pages").mkdir()
    path = tmp_path / "my_pages" / "p.tsv"
    path.write_text("content\tThe river rose.\n", encoding="utf-8")
    assert read_page_file(path).source == "my_pages"
    path.write_text("# source: crawl\ncontent\tThe river rose.\n", encoding="utf-8")
    assert read_page_file(path).source == "crawl"


def test_page_file_missing_tab_names_file_and_line(tmp_path):
    path = _page_file(tmp_path, "content\tTitle\ncontent The river rose.\n")
    with pytest.raises(CorpusError, match=r"p\.tsv:2: expected 'label<TAB>text', found no tab"):
        read_page_file(path)


def test_page_file_not_utf8_raises_corpus_error_naming_the_file(tmp_path):
    path = _write_bytes(tmp_path / "p.tsv", b"content\tTitle\ncontent\tcaf\xe9\n")
    with pytest.raises(CorpusError, match=r"p\.tsv.*not UTF-8"):
        read_page_file(path)


def test_page_file_unlabelled_rows_allowed_when_labels_not_required(tmp_path):
    path = _page_file(tmp_path, "?\tHome\n\tThe river rose.\n")
    page = read_page_file(path, require_labels=False)
    assert page.lines == ["Home", "The river rose."]
    assert page.labels is None


def test_write_page_file_without_labels_raises_value_error(tmp_path):
    with pytest.raises(ValueError, match="no labels"):
        write_page_file(Page(id="p", lines=["a"]), tmp_path / "p.tsv")


# ----- directories -------------------------------------------------------------------------------

def test_read_pages_reads_a_directory_recursively_in_sorted_order(tmp_path):
    write_jsonl([_full_page(id="b1"), _full_page(id="b2")], tmp_path / "b.jsonl")
    (tmp_path / "sub").mkdir()
    write_jsonl([_full_page(id="c1")], tmp_path / "sub" / "c.jsonl.gz")
    write_page_file(_full_page(id="a1"), tmp_path / "a.tsv")
    (tmp_path / "notes.txt").write_text("not a page file\n", encoding="utf-8")
    assert [p.id for p in read_pages([tmp_path])] == ["a1", "b1", "b2", "c1"]


def test_read_pages_on_a_directory_without_page_files_raises(tmp_path):
    (tmp_path / "notes.txt").write_text("x\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="no .jsonl"):
        read_pages([tmp_path])


def test_read_pages_on_a_missing_path_raises(tmp_path):
    with pytest.raises(CorpusError, match="no such file"):
        read_pages([tmp_path / "missing.jsonl"])


# ----- digest ------------------------------------------------------------------------------------

def test_corpus_sha256_is_stable_across_a_round_trip(tmp_path):
    pages = [_full_page(), _full_page(id="quay-02")]
    write_jsonl(pages, tmp_path / "p.jsonl")
    assert corpus_sha256(read_jsonl(tmp_path / "p.jsonl")) == corpus_sha256(pages)


def test_corpus_sha256_ignores_provenance_fields():
    assert corpus_sha256([_full_page()]) == corpus_sha256([_full_page(source="x", url=None, meta={})])


def test_corpus_sha256_changes_when_one_label_changes():
    page = _full_page()
    flipped = replace(page, labels=["content"] + page.labels[1:])
    assert corpus_sha256([page]) != corpus_sha256([flipped])


def test_corpus_sha256_changes_when_one_line_changes():
    page = _full_page()
    edited = replace(page, lines=page.lines[:-1] + ["Café"])
    assert corpus_sha256([page]) != corpus_sha256([edited])


def test_corpus_sha256_depends_on_page_order():
    a, b = _full_page(id="a"), _full_page(id="b")
    assert corpus_sha256([a, b]) != corpus_sha256([b, a])


def test_unknown_jsonl_fields_are_written_back(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "a", "lines": ["x"], "labels": ["content"], "crawl": {"ts": 5}}\n', encoding="utf-8")
    page = next(read_jsonl(src))
    out = tmp_path / "out.jsonl"
    write_jsonl([page], out)
    assert json.loads(out.read_text(encoding="utf-8"))["crawl"] == {"ts": 5}


def test_corpus_sha256_accepts_lone_surrogates():
    page = _full_page(lines=["Home", "broken \ud800 scrape", "", "x", "y"])
    assert corpus_sha256([page]) != corpus_sha256([_full_page()])
