"""classifier.cli: the command line, run in-process through main(argv), plus one subprocess run."""

import contextlib
import gzip
import io
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from classifier import cli
from classifier.config import PAGE_MIN_P
from classifier.corpus import corpus_sha256, read_jsonl, write_jsonl
from classifier.labels import DEFAULT_THRESHOLD, Label
from classifier.lines import split_lines
from classifier.model import ModelError, load_model

REPO = Path(__file__).resolve().parents[1]

PAGE = ["Home", "Sign in", "Ferry crews wait out the flood", "",
        "The river rose overnight and the ferry crews waited at the quay until the water fell.",
        "Volunteers stacked sandbags along the old mill wall while the bakery handed out bread.", "",
        "Share", "© 2026 The Quayside Courier"]


def assert_one_line_error(capsys, code, after_progress=False):
    """Exit status 1 and one 'linesift: error: ...' line on stderr, no traceback. With after_progress
    (train), progress lines may come first and the error is the last line."""
    assert code == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    rows = err.strip().splitlines()
    if not after_progress:
        assert len(rows) == 1, err
    assert rows[-1].startswith("linesift: error:"), err
    assert sum("error:" in row for row in rows) == 1, err
    return rows[-1]


@pytest.fixture
def page_file(tmp_path):
    path = tmp_path / "page.txt"
    path.write_text("\n".join(PAGE) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def model_args(trained_model_file):
    return ["--model", str(trained_model_file)]


@pytest.fixture(scope="module")
def tiny_corpus(tmp_path_factory, pages_factory):
    """Ten invented pages from five sites, as JSONL."""
    path = tmp_path_factory.mktemp("corpus") / "tiny.jsonl"
    write_jsonl(pages_factory(10), path)
    return path


def _train(corpus, output, *extra):
    """Run `train` in-process; return (exit code, stderr)."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = cli.main(["train", str(corpus), "-o", str(output), "--base", "none", *extra])
    return code, err.getvalue()


def _trained_without_validation(corpus, tmp_path, *flags):
    """Run `train --no-validate` with the flags; check it succeeded and load the model it wrote."""
    code, err = _train(corpus, tmp_path / "m.joblib", *flags, "--no-validate")
    assert code == 0, err
    return load_model(tmp_path / "m.joblib")


@pytest.fixture(scope="module")
def trained_by_cli(tiny_corpus, tmp_path_factory):
    """`train` run once on the tiny corpus (with its validation run): (model path, exit code, stderr)."""
    out = tmp_path_factory.mktemp("cli-model") / "tiny.joblib"
    code, err = _train(tiny_corpus, out)
    return out, code, err


# ----- predict ----------------------------------------------------------------------------------

def test_predict_prints_one_tsv_row_per_input_line(capsys, page_file, model_args):
    assert cli.main(["predict", str(page_file), *model_args]) == 0
    rows = capsys.readouterr().out.split("\n")
    assert rows[-1] == ""
    rows = rows[:-1]
    assert len(rows) == len(PAGE)
    for row, line in zip(rows, PAGE):
        label, proba, text = row.split("\t", 2)
        assert label in ("content", "boilerplate")
        assert 0.0 <= float(proba) <= 1.0
        assert text == line


def test_predict_labels_blank_lines_boilerplate(capsys, page_file, model_args):
    cli.main(["predict", str(page_file), *model_args])
    rows = capsys.readouterr().out.splitlines()
    assert rows[3] == "boilerplate\t0.000\t"


def test_predict_clean_prints_only_input_lines_in_order(capsys, page_file, model_args):
    assert cli.main(["predict", "--clean", str(page_file), *model_args]) == 0
    kept = split_lines(capsys.readouterr().out)
    it = iter(PAGE)
    assert all(any(k == line for line in it) for k in kept)
    assert "" not in kept


def test_predict_clean_with_threshold_one_prints_nothing(capsys, page_file, model_args):
    assert cli.main(["predict", "--clean", "--threshold", "1.0", str(page_file), *model_args]) == 0
    assert capsys.readouterr().out == ""


def test_a_threshold_outside_zero_one_is_a_usage_error(capsys, page_file, model_args):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["predict", "--threshold", "1.5", str(page_file), *model_args])
    assert exit_info.value.code == 2
    assert "between 0 and 1" in capsys.readouterr().err


def test_predict_output_in_a_missing_folder_names_the_folder(capsys, page_file, model_args, tmp_path):
    target = tmp_path / "nowhere" / "out.tsv"
    assert cli.main(["predict", str(page_file), "-o", str(target), *model_args]) == 1
    err = capsys.readouterr().err
    assert err.startswith("linesift: error:") and "nowhere" in err and ".tmp" not in err


def test_predict_writes_to_the_output_file(capsys, page_file, model_args, tmp_path):
    out = tmp_path / "labels.tsv"
    assert cli.main(["predict", str(page_file), "-o", str(out), *model_args]) == 0
    assert capsys.readouterr().out == ""
    assert len(out.read_text(encoding="utf-8").splitlines()) == len(PAGE)


def test_predict_several_files_prints_a_header_per_file(capsys, page_file, model_args, tmp_path):
    other = tmp_path / "other.txt"
    other.write_text("Menu\nThe river rose.\n", encoding="utf-8")
    cli.main(["predict", str(page_file), str(other), *model_args])
    rows = capsys.readouterr().out.splitlines()
    assert rows[0] == f"# {page_file}"
    assert rows[len(PAGE) + 1] == f"# {other}"
    assert len(rows) == len(PAGE) + 2 + 2


def _site_files(tmp_path):
    """Three page files of one invented site: the same menu line, each its own story line."""
    paths = []
    for k, word in enumerate(["ferry", "flood", "bakery"]):
        path = tmp_path / f"p{k}.txt"
        path.write_text(f"Home | News | Sport | Weather\nThe {word} story went on for a long while today.\n",
                        encoding="utf-8")
        paths.append(path)
    return paths


def test_predict_site_predicts_the_files_together_with_their_site(capsys, tmp_path, trained_model_file):
    paths = _site_files(tmp_path)
    assert cli.main(["predict", *map(str, paths), "--site", "quay", "--model", str(trained_model_file)]) == 0
    rows = [r for r in capsys.readouterr().out.splitlines() if not r.startswith("# ")]
    model = load_model(trained_model_file)
    expected = model.predict_proba_pages([p.read_text(encoding="utf-8").splitlines() for p in paths],
                                         sites=["quay"] * 3)
    assert [float(r.split("\t")[1]) for r in rows] == [round(float(x), 3) for pr in expected for x in pr]
    alone = [round(float(x), 3) for p in paths for x in model.predict_proba(p.read_text(encoding="utf-8"))]
    assert [float(r.split("\t")[1]) for r in rows] != alone  # the files informed each other


def test_predict_site_memory_without_jsonl_is_a_one_line_error(capsys, page_file, model_args):
    row = assert_one_line_error(capsys, cli.main(["predict", str(page_file), "--site-memory", *model_args]))
    assert "--site-memory works with --jsonl" in row


def test_predict_jsonl_site_memory_passes_each_records_site(capsys, tmp_path, trained_model_file, monkeypatch):
    from classifier.model import LineClassifier

    path = tmp_path / "pages.jsonl"
    path.write_text("".join(json.dumps({"id": f"p{i}", "lines": ["Home", f"Story {i}"], "url": url}) + "\n"
                            for i, url in enumerate(["https://a.example/1", "https://a.example/2", None])),
                    encoding="utf-8")
    seen = {}
    real = LineClassifier.predict_proba_pages

    def spy(self, pages, sites=None):
        seen["sites"] = sites
        return real(self, pages, sites)
    monkeypatch.setattr(LineClassifier, "predict_proba_pages", spy)
    assert cli.main(["predict", "--jsonl", str(path), "--site-memory", "--model", str(trained_model_file)]) == 0
    assert seen["sites"] == ["a.example", "a.example", None]


def test_predict_empty_site_name_is_a_one_line_error(capsys, page_file, model_args):
    row = assert_one_line_error(capsys, cli.main(["predict", str(page_file), "--site", " ", *model_args]))
    assert "--site needs a site name" in row


def test_predict_site_with_jsonl_is_a_one_line_error(capsys, tmp_path, model_args):
    path = tmp_path / "pages.jsonl"
    path.write_text('{"id": "a", "lines": ["Home"]}\n', encoding="utf-8")
    row = assert_one_line_error(capsys, cli.main(["predict", "--jsonl", str(path), "--site", "quay", *model_args]))
    assert "--site" in row


def test_predict_reads_gzip_files(capsys, tmp_path, model_args):
    path = tmp_path / "page.txt.gz"
    path.write_bytes(gzip.compress("\n".join(PAGE).encode("utf-8")))
    assert cli.main(["predict", str(path), *model_args]) == 0
    assert len(capsys.readouterr().out.splitlines()) == len(PAGE)


def test_predict_reads_stdin(capsys, monkeypatch, model_args):
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO("\r\n".join(PAGE).encode("utf-8"))))
    assert cli.main(["predict", "-", *model_args]) == 0
    assert len(capsys.readouterr().out.splitlines()) == len(PAGE)


def test_predict_jsonl_writes_one_record_per_page_with_labels_and_probabilities(capsys, tmp_path, model_args,
                                                                                pages_factory):
    pages = pages_factory(3)
    src = tmp_path / "in.jsonl"
    write_jsonl(pages, src)
    assert cli.main(["predict", "--jsonl", str(src), *model_args]) == 0
    records = [json.loads(r) for r in capsys.readouterr().out.splitlines()]
    assert [r["id"] for r in records] == [p.id for p in pages]
    for rec, page in zip(records, pages):
        assert rec["lines"] == page.lines
        assert len(rec["labels"]) == len(rec["proba"]) == len(page.lines)
        assert set(rec["labels"]) <= {"content", "boilerplate"}
        assert (rec["site"], rec["url"], rec["meta"]) == (page.site, page.url, page.meta)


def test_predict_jsonl_reads_pages_without_labels(capsys, tmp_path, model_args):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "u1", "lines": PAGE}) + "\n", encoding="utf-8")
    assert cli.main(["predict", "--jsonl", str(src), *model_args]) == 0
    assert len(json.loads(capsys.readouterr().out)["labels"]) == len(PAGE)


def test_predict_jsonl_clean_adds_the_content_text(capsys, tmp_path, model_args):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "u1", "lines": PAGE}) + "\n", encoding="utf-8")
    cli.main(["predict", "--jsonl", "--clean", str(src), *model_args])
    rec = json.loads(capsys.readouterr().out)
    kept = [line for line, lab in zip(PAGE, rec["labels"]) if lab == Label.CONTENT]
    assert rec["text"] == "\n".join(kept)


# ----- predict errors ----------------------------------------------------------------------------

def test_predict_missing_file_is_a_one_line_error(capsys, tmp_path, model_args):
    row = assert_one_line_error(capsys, cli.main(["predict", str(tmp_path / "nope.txt"), *model_args]))
    assert "nope.txt" in row


def test_predict_directory_is_a_one_line_error(capsys, tmp_path, model_args):
    row = assert_one_line_error(capsys, cli.main(["predict", str(tmp_path), *model_args]))
    assert "directory" in row


def test_predict_non_utf8_file_is_a_one_line_error(capsys, tmp_path, model_args):
    path = tmp_path / "latin1.txt"
    path.write_bytes("Caf\u00e9 du port\n".encode("latin-1"))
    row = assert_one_line_error(capsys, cli.main(["predict", str(path), *model_args]))
    assert "latin1.txt" in row and "UTF-8" in row


def test_predict_non_utf8_error_gives_the_byte_offset_and_the_flag(capsys, tmp_path, model_args):
    path = tmp_path / "latin1.txt"
    path.write_bytes("Home\nCaf\u00e9 du port\n".encode("latin-1"))
    row = assert_one_line_error(capsys, cli.main(["predict", str(path), *model_args]))
    assert "byte offset 8" in row and "--encoding-errors replace" in row


def test_predict_encoding_errors_replace_decodes_bad_bytes(capsys, tmp_path, model_args):
    path = tmp_path / "latin1.txt"
    path.write_bytes("Home\nCaf\u00e9 du port\n".encode("latin-1"))
    assert cli.main(["predict", "--encoding-errors", "replace", str(path), *model_args]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert [row.split("\t")[2] for row in rows] == ["Home", "Caf\ufffd du port"]


def test_predict_reads_a_skops_model(capsys, page_file, trained_model, tmp_path):
    pytest.importorskip("skops")
    from classifier.modelio import save_model

    path = save_model(trained_model, tmp_path / "shared.skops")
    assert cli.main(["predict", str(page_file), "--model", str(path)]) == 0
    assert len(capsys.readouterr().out.splitlines()) == len(PAGE)


def test_predict_with_a_directory_as_model_is_a_one_line_error(capsys, page_file, tmp_path):
    row = assert_one_line_error(capsys, cli.main(["predict", str(page_file), "--model", str(tmp_path)]))
    assert "is a directory" in row


def test_an_interrupted_predict_leaves_the_old_output_intact(capsys, page_file, model_args, tmp_path, monkeypatch):
    out = tmp_path / "labels.tsv"
    out.write_text("old labels\n", encoding="utf-8")

    def stop(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "labels_from_proba", stop)
    assert cli.main(["predict", str(page_file), "-o", str(out), *model_args]) == 130
    assert out.read_text(encoding="utf-8") == "old labels\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["labels.tsv", "page.txt"]


def test_predict_jsonl_missing_file_is_a_one_line_error(capsys, tmp_path, model_args):
    row = assert_one_line_error(capsys, cli.main(["predict", "--jsonl", str(tmp_path / "nope.jsonl"), *model_args]))
    assert "nope.jsonl" in row


def test_predict_gz_file_that_is_not_gzip_names_the_file(capsys, tmp_path, model_args):
    path = tmp_path / "page.txt.gz"
    path.write_text("Home\nThe river rose.\n", encoding="utf-8")
    row = assert_one_line_error(capsys, cli.main(["predict", str(path), *model_args]))
    assert "page.txt.gz" in row


def test_predict_with_a_missing_model_file_is_a_one_line_error(capsys, page_file, tmp_path):
    row = assert_one_line_error(capsys, cli.main(["predict", str(page_file), "--model", str(tmp_path / "m.joblib")]))
    assert "m.joblib" in row


def test_predict_with_a_damaged_model_file_is_a_one_line_error(capsys, page_file, tmp_path):
    bad = tmp_path / "bad.joblib"
    bad.write_bytes(b"\x80\x04 not a pickle")
    assert_one_line_error(capsys, cli.main(["predict", str(page_file), "--model", str(bad)]))


# ----- train ------------------------------------------------------------------------------------

def test_train_succeeds_and_writes_a_loadable_model(trained_by_cli):
    path, code, _ = trained_by_cli
    assert code == 0
    model = load_model(path)
    assert len(model.predict(PAGE)) == len(PAGE)


def test_train_prints_the_validation_report(trained_by_cli):
    _, _, err = trained_by_cli
    assert "validation (held-out sites):" in err
    assert re.search(r"^all\s+\d+\s+\d+", err, re.MULTILINE)


def test_train_stores_validation_metrics_in_the_model(trained_by_cli):
    path, _, _ = trained_by_cli
    val = load_model(path).metadata_["metrics"]["validation"]
    assert 0.0 <= val["content"]["f1"] <= 1.0
    assert 0.0 <= val["shingle"]["f1"] <= 1.0


def test_train_stores_the_corpus_digest_and_size(trained_by_cli, tiny_corpus):
    path, _, _ = trained_by_cli
    meta = load_model(path).metadata_
    pages = list(read_jsonl(tiny_corpus))
    assert meta["training_sha256"] == corpus_sha256(pages)
    assert meta["training_pages"] == len(pages)
    assert meta["training_lines"] == sum(len(p.lines) for p in pages)


def test_train_stores_a_command_that_reruns_the_training(trained_by_cli, tiny_corpus):
    path, _, _ = trained_by_cli
    argv = shlex.split(load_model(path).metadata_["training_command"])
    assert argv[:3] == ["python", "-m", "classifier"]
    assert argv[3:] == ["train", str(tiny_corpus), "-o", str(path), "--base", "none"]


def test_train_twice_with_the_same_seed_gives_identical_models(trained_by_cli, tiny_corpus, tmp_path):
    first, _, _ = trained_by_cli
    code, _ = _train(tiny_corpus, tmp_path / "again.joblib")
    assert code == 0
    a, b = load_model(first), load_model(tmp_path / "again.joblib")
    assert a.metadata_["metrics"] == b.metadata_["metrics"]
    np.testing.assert_array_equal(a.predict_proba(PAGE), b.predict_proba(PAGE))


@pytest.fixture(scope="module")
def categorised_corpus(tmp_path_factory, train_pages):
    """Pages of the bundled train split with their per-line categories, which teach line kinds."""
    path = tmp_path_factory.mktemp("categorised") / "pages.jsonl"
    write_jsonl(train_pages[:24], path)
    return path


def test_train_learns_word_only_line_kinds_by_default(categorised_corpus, tmp_path):
    model = _trained_without_validation(categorised_corpus, tmp_path)
    assert model.config.kinds is True and model.config.kind_chars is False
    assert model.kind_coef_ is not None and model.kind_first_ == len(model.features_.char_orders)


def test_train_kinds_flag_is_still_accepted(tiny_corpus, tmp_path):
    model = _trained_without_validation(tiny_corpus, tmp_path, "--kinds")
    assert model.config.kinds is True


def test_train_no_kinds_flag_trains_without_line_kinds(categorised_corpus, tmp_path):
    model = _trained_without_validation(categorised_corpus, tmp_path, "--no-kinds")
    assert model.config.kinds is False and model.kind_coef_ is None


def test_train_kind_chars_flag_lets_the_kinds_read_char_n_grams(categorised_corpus, tmp_path):
    model = _trained_without_validation(categorised_corpus, tmp_path, "--kind-chars")
    assert model.config.kind_chars is True and model.kind_first_ == 0
    assert model.kind_coef_[:model.features_.n_features].any()


@pytest.mark.parametrize("flags, field, value, fitted, fitted_value", [
    ((), "overlap_copies", False, "overlap_copies_", False),  # a line's copies out of its overlap
    (("--overlap-copies",), "overlap_copies", True, "overlap_copies_", True),  # counted, as before
    ((), "page_gate", True, "page_min_", PAGE_MIN_P),
    (("--no-page-gate",), "page_gate", False, "page_min_", 0.0),  # every page keeps its lines
], ids=["copies-default", "overlap-copies", "page-gate-default", "no-page-gate"])
def test_train_flag_sets_the_config_field_and_the_fitted_attribute(tiny_corpus, tmp_path, flags, field, value,
                                                                   fitted, fitted_value):
    model = _trained_without_validation(tiny_corpus, tmp_path, *flags)
    assert getattr(model.config, field) is value and getattr(model, fitted) == fitted_value


def test_train_fits_a_site_model_by_default(tiny_corpus, tmp_path):
    model = _trained_without_validation(tiny_corpus, tmp_path)
    assert model.site_model_ is not None


def test_train_no_site_columns_flag_fits_no_site_model(tiny_corpus, tmp_path):
    model = _trained_without_validation(tiny_corpus, tmp_path, "--no-site-columns")
    assert model.config.site_columns is False and model.site_model_ is None


def test_train_no_overlap_flag_trains_without_the_overlap_columns(tiny_corpus, tmp_path):
    model = _trained_without_validation(tiny_corpus, tmp_path, "--no-overlap")
    assert model.config.overlap is False and model.overlap_ is False


def test_train_refuses_to_overwrite_the_bundled_model_without_force(capsys, monkeypatch, tiny_corpus, tmp_path):
    bundled = tmp_path / "default.joblib"
    bundled.write_bytes(b"the bundled model")
    monkeypatch.setattr("classifier.model.bundled_model_path", lambda: bundled)
    row = assert_one_line_error(capsys, cli.main(["train", str(tiny_corpus), "-o", str(bundled)]))
    assert "--force" in row
    assert bundled.read_bytes() == b"the bundled model"


def test_train_validates_without_comparing_when_the_bundled_model_cannot_load(monkeypatch, tiny_corpus,
                                                                              tmp_path):
    def old_format(path):
        raise ModelError("default.joblib has model format 3, this package reads format 4: retrain it")

    monkeypatch.setattr(cli, "_load", old_format)
    code, err = _train(tiny_corpus, tmp_path / "m.joblib")
    assert code == 0
    assert "warning: default.joblib has model format 3" in err
    assert "validation (held-out sites):" in err


def test_train_with_an_unloadable_compare_with_model_is_a_one_line_error(capsys, tiny_corpus, tmp_path):
    bad = tmp_path / "bad.joblib"
    bad.write_bytes(b"\x80\x04 not a pickle")
    code = cli.main(["train", str(tiny_corpus), "-o", str(tmp_path / "m.joblib"), "--compare-with", str(bad)])
    assert "bad.joblib" in assert_one_line_error(capsys, code)


def test_train_unknown_label_is_a_one_line_error(capsys, tmp_path):
    data = tmp_path / "bad.jsonl"
    data.write_text(json.dumps({"id": "b", "lines": ["Home", "Story."], "labels": ["nav", "content"]}) + "\n",
                    encoding="utf-8")
    row = assert_one_line_error(capsys, cli.main(["train", str(data), "-o", str(tmp_path / "m.joblib")]))
    assert "bad.jsonl:1" in row and "'nav'" in row
    assert not (tmp_path / "m.joblib").exists()


def test_train_one_class_data_is_a_one_line_error(capsys, tmp_path):
    data = tmp_path / "one.jsonl"
    rec = {"lines": ["The river rose.", "Crews waited."], "labels": ["content", "content"]}
    data.write_text("".join(json.dumps({"id": f"p{i}", "site": f"s{i}", **rec}) + "\n" for i in range(3)),
                    encoding="utf-8")
    row = assert_one_line_error(capsys, cli.main(["train", str(data), "-o", str(tmp_path / "m.joblib"),
                                                  "--base", "none", "--no-validate"]), after_progress=True)
    assert "one class" in row


def test_train_missing_data_is_a_one_line_error(capsys, tmp_path):
    assert_one_line_error(capsys, cli.main(["train", str(tmp_path / "none.jsonl"), "-o", str(tmp_path / "m")]))


def _jsonl(path, records):
    """Write records (dicts, or raw str rows) as a JSONL file."""
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records), encoding="utf-8")
    return path


def test_train_with_a_directory_as_output_fails_before_training(capsys, tiny_corpus, tmp_path):
    row = assert_one_line_error(capsys, cli.main(["train", str(tiny_corpus), "-o", str(tmp_path)]))
    assert "is a directory" in row


def test_train_malformed_record_stops_naming_file_and_line(capsys, tiny_corpus, tmp_path):
    rows = tiny_corpus.read_text(encoding="utf-8").splitlines()
    data = _jsonl(tmp_path / "broken.jsonl", rows[:3] + ['{"id": "cut", "lines": ["Home"'] + rows[3:])
    row = assert_one_line_error(capsys, cli.main(["train", str(data), "-o", str(tmp_path / "m.joblib")]))
    assert "broken.jsonl:4: not valid JSON" in row
    assert not (tmp_path / "m.joblib").exists()


def test_train_on_error_skip_skips_a_malformed_record_with_a_warning(capsys, tiny_corpus, tmp_path):
    rows = tiny_corpus.read_text(encoding="utf-8").splitlines()
    data = _jsonl(tmp_path / "broken.jsonl", rows[:3] + ['{"id": "cut", "lines": ["Home"'] + rows[3:])
    code = cli.main(["train", str(data), "-o", str(tmp_path / "m.joblib"), "--no-validate", "--on-error", "skip",
                     "--base", "none"])
    err = capsys.readouterr().err
    assert code == 0, err
    assert re.search(r"^linesift: warning: .*broken\.jsonl:4: not valid JSON.*; record skipped$", err, re.MULTILINE)
    assert "skipped 1 bad record(s)" in err
    assert load_model(tmp_path / "m.joblib").metadata_["training_pages"] == 10


def test_train_non_utf8_record_names_the_line_and_byte_offset(capsys, tiny_corpus, tmp_path):
    rows = tiny_corpus.read_text(encoding="utf-8").encode("utf-8").splitlines(keepends=True)
    bad = json.dumps({"id": "x", "lines": ["Caf\u00e9"], "labels": ["content"]}, ensure_ascii=False)
    data = tmp_path / "latin1.jsonl"
    data.write_bytes(b"".join(rows[:2]) + bad.encode("latin-1") + b"\n" + b"".join(rows[2:]))
    row = assert_one_line_error(capsys, cli.main(["train", str(data), "-o", str(tmp_path / "m.joblib")]))
    offset = len(b"".join(rows[:2])) + bad.encode("latin-1").index(b"\xe9")
    assert f"latin1.jsonl:3: not UTF-8 at byte offset {offset}" in row
    assert "--encoding-errors replace" in row


def _page_files(folder, encoding="utf-8"):
    """Two page files (both labels), one of them with a non-ASCII character in `encoding`."""
    folder.mkdir()
    (folder / "a.tsv").write_text("boilerplate\tHome\ncontent\tThe river rose overnight.\n", encoding="utf-8")
    (folder / "b.tsv").write_text("boilerplate\tShare\ncontent\tCaf\u00e9 crews waited at the quay.\n",
                                  encoding=encoding)
    return folder


def test_train_non_utf8_page_file_names_the_file_and_byte_offset(capsys, tmp_path):
    folder = _page_files(tmp_path / "pages", "latin-1")
    row = assert_one_line_error(capsys, cli.main(["train", str(folder), "-o", str(tmp_path / "m.joblib")]))
    assert "b.tsv: not UTF-8 at byte offset 29 (line 2)" in row


def test_train_encoding_errors_replace_reads_the_page_file(capsys, tmp_path):
    folder = _page_files(tmp_path / "pages", "latin-1")
    code = cli.main(["train", str(folder), "-o", str(tmp_path / "m.joblib"), "--no-validate",
                     "--encoding-errors", "replace", "--base", "none"])
    assert code == 0, capsys.readouterr().err
    assert load_model(tmp_path / "m.joblib").metadata_["training_lines"] == 4


def test_train_labels_lines_length_mismatch_is_a_one_line_error(capsys, tmp_path):
    data = _jsonl(tmp_path / "short.jsonl", [{"id": "s", "lines": ["Home", "Story.", "Share"],
                                               "labels": ["boilerplate", "content"]}])
    row = assert_one_line_error(capsys, cli.main(["train", str(data), "-o", str(tmp_path / "m.joblib")]))
    assert "short.jsonl:1: 2 labels for 3 lines" in row


def test_train_unknown_label_in_a_page_file_is_a_one_line_error(capsys, tmp_path):
    folder = _page_files(tmp_path / "pages")
    (folder / "c.tsv").write_text("nav\tHome\n", encoding="utf-8")
    row = assert_one_line_error(capsys, cli.main(["train", str(folder), "-o", str(tmp_path / "m.joblib")]))
    assert "c.tsv:1: label 'nav'" in row


def test_train_empty_training_set_is_a_one_line_error(capsys, tmp_path):
    data = _jsonl(tmp_path / "empty.jsonl", [])
    row = assert_one_line_error(capsys, cli.main(["train", str(data), "-o", str(tmp_path / "m.joblib")]))
    assert "no labelled pages" in row


def test_train_blank_only_training_set_is_a_one_line_error(capsys, tmp_path):
    data = _jsonl(tmp_path / "blank.jsonl", [{"id": "b", "lines": ["", " "], "labels": ["boilerplate"] * 2}])
    row = assert_one_line_error(capsys, cli.main(["train", str(data), "-o", str(tmp_path / "m.joblib"),
                                                  "--base", "none"]), after_progress=True)
    assert "no non-blank lines" in row


def test_train_force_on_the_bundled_model_records_its_sha256(capsys, monkeypatch, tiny_corpus, tmp_path):
    from classifier.modelio import file_sha256

    bundled = tmp_path / "default.joblib"
    bundled.write_bytes(b"the bundled model")
    monkeypatch.setattr("classifier.model.bundled_model_path", lambda: bundled)
    assert cli.main(["train", str(tiny_corpus), "-o", str(bundled), "--force", "--no-validate", "--base", "none"]) == 0
    record = (tmp_path / "default.joblib.sha256").read_text(encoding="utf-8")
    assert record == f"{file_sha256(bundled)}  default.joblib\n"


def test_train_accepts_lone_surrogates_in_the_data(capsys, tiny_corpus, tmp_path):
    rows = tiny_corpus.read_text(encoding="utf-8").splitlines()
    odd = {"id": "odd", "lines": ["Home", "The river \ud800rose overnight."], "labels": ["boilerplate", "content"]}
    data = _jsonl(tmp_path / "odd.jsonl", rows + [json.dumps(odd)])  # json escapes the surrogate as \\ud800
    assert cli.main(["train", str(data), "-o", str(tmp_path / "m.joblib"), "--no-validate", "--base", "none"]) == 0, \
        capsys.readouterr().err


def test_train_elsewhere_writes_no_sha256_record(trained_by_cli):
    path, _, _ = trained_by_cli
    assert not path.with_name(path.name + ".sha256").exists()


# ----- evaluate ---------------------------------------------------------------------------------

def test_evaluate_json_writes_the_scores(capsys, tiny_corpus, model_args, tmp_path):
    out = tmp_path / "scores.json"
    assert cli.main(["evaluate", str(tiny_corpus), "--json", str(out), *model_args]) == 0
    payload = json.loads(out.read_text(encoding="utf-8"))
    overall = payload["overall"]
    assert overall["pages"] == 10
    for key in ("content", "boilerplate"):
        assert 0.0 <= overall[key]["f1"] <= 1.0
    assert 0.0 <= overall["shingle"]["f1"] <= 1.0
    assert payload["threshold"] == DEFAULT_THRESHOLD
    assert payload["predict_seconds"] >= 0


def test_evaluate_prints_a_table_with_the_overall_row(capsys, tiny_corpus, model_args):
    cli.main(["evaluate", str(tiny_corpus), *model_args])
    out = capsys.readouterr().out
    assert re.search(r"^all\s+10\s+\d+", out, re.MULTILINE)


def test_evaluate_groups_by_the_requested_keys(capsys, tiny_corpus, model_args, tmp_path):
    out = tmp_path / "scores.json"
    cli.main(["evaluate", str(tiny_corpus), "--by", "site", "--json", str(out), *model_args])
    groups = json.loads(out.read_text(encoding="utf-8"))["groups"]
    assert sorted(groups["site"]) == [f"site-{i}.example" for i in range(5)]


def test_evaluate_malformed_record_stops_naming_file_and_line(capsys, tiny_corpus, model_args, tmp_path):
    rows = tiny_corpus.read_text(encoding="utf-8").splitlines()
    data = _jsonl(tmp_path / "broken.jsonl", rows[:1] + ["[1, 2]"] + rows[1:])
    row = assert_one_line_error(capsys, cli.main(["evaluate", str(data), *model_args]))
    assert "broken.jsonl:2: expected a JSON object" in row


def test_evaluate_on_error_skip_scores_the_other_pages(capsys, tiny_corpus, model_args, tmp_path):
    rows = tiny_corpus.read_text(encoding="utf-8").splitlines()
    data = _jsonl(tmp_path / "broken.jsonl", rows[:1] + ["[1, 2]"] + rows[1:])
    assert cli.main(["evaluate", str(data), "--on-error", "skip", *model_args]) == 0
    captured = capsys.readouterr()
    assert "broken.jsonl:2: expected a JSON object, got list; record skipped" in captured.err
    assert re.search(r"^all\s+10\s+\d+", captured.out, re.MULTILINE)


def test_evaluate_unknown_label_is_a_one_line_error(capsys, model_args, tmp_path):
    data = _jsonl(tmp_path / "nav.jsonl", [{"id": "n", "lines": ["Home"], "labels": ["navigation"]}])
    row = assert_one_line_error(capsys, cli.main(["evaluate", str(data), *model_args]))
    assert "nav.jsonl:1: label 1 is 'navigation'" in row


def test_evaluate_missing_file_is_a_one_line_error(capsys, model_args, tmp_path):
    row = assert_one_line_error(capsys, cli.main(["evaluate", str(tmp_path / "gone.jsonl"), *model_args]))
    assert "gone.jsonl: no such file" in row


def test_evaluate_directory_without_page_files_is_a_one_line_error(capsys, model_args, tmp_path):
    row = assert_one_line_error(capsys, cli.main(["evaluate", str(tmp_path), *model_args]))
    assert "holds no .jsonl" in row


def test_evaluate_non_utf8_page_file_names_it(capsys, model_args, tmp_path):
    folder = _page_files(tmp_path / "pages", "latin-1")
    row = assert_one_line_error(capsys, cli.main(["evaluate", str(folder), *model_args]))
    assert "b.tsv: not UTF-8 at byte offset 29" in row


# ----- stats ------------------------------------------------------------------------------------

def test_stats_prints_pages_sites_and_lines(capsys, tiny_corpus):
    assert cli.main(["stats", str(tiny_corpus)]) == 0
    out = capsys.readouterr().out
    n_lines = sum(len(p.lines) for p in read_jsonl(tiny_corpus))
    assert re.search(rf"^pages: 10\s+sites: 5\s+lines: {n_lines}$", out, re.MULTILINE)


def test_stats_prints_label_shares(capsys, tiny_corpus):
    cli.main(["stats", str(tiny_corpus)])
    assert re.search(r"^labels: boilerplate \d+ \([\d.]+%\), content \d+ \([\d.]+%\)$",
                     capsys.readouterr().out, re.MULTILINE)


def test_stats_of_an_empty_corpus_counts_zero_lines(capsys, tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    assert cli.main(["stats", str(empty)]) == 0
    assert "lines: 0" in capsys.readouterr().out


# ----- usage ------------------------------------------------------------------------------------

def test_a_missing_subcommand_exits_with_usage_status_2(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main([])
    assert exc.value.code == 2


# ----- the real entry point, in a subprocess ----------------------------------------------------

def test_python_m_classifier_predict_clean_runs(page_file):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-m", "classifier", "predict", "--clean", str(page_file)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    kept = split_lines(proc.stdout)
    it = iter(PAGE)
    assert all(any(k == line for line in it) for k in kept)
