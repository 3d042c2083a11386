"""classifier.batch: streaming JSONL prediction with worker processes, order, bad records, gzip."""

import gzip
import io
import json

import numpy as np
import pytest

from classifier import batch, cli
from classifier.batch import run_batch
from classifier.labels import DEFAULT_THRESHOLD


def _records(pages):
    return [{"id": p.id, "lines": p.lines, "site": p.site} for p in pages]


def _write(path, rows, extra=b""):
    path.write_bytes(b"".join(json.dumps(r).encode("utf-8") + b"\n" for r in rows) + extra)
    return path


def _run(inputs, model, **kw):
    out = io.BytesIO()
    summary = run_batch([str(p) for p in inputs], out, model=model, **kw)
    data = out.getvalue()
    if kw.get("compress"):
        data = gzip.decompress(data)
    return [json.loads(r) for r in data.decode("utf-8").splitlines()], summary


@pytest.fixture
def src(tmp_path, pages_factory):
    return _write(tmp_path / "in.jsonl", _records(pages_factory(12)))


def test_every_record_comes_back_once_in_input_order(src, trained_model, monkeypatch):
    monkeypatch.setattr(batch, "CHUNK_RECORDS", 5)  # several chunks
    rows, summary = _run([src], trained_model)
    assert [r["id"] for r in rows] == [f"p{i:03d}" for i in range(12)]
    assert summary.pages == 12 and summary.n_bad == 0


def test_probabilities_are_the_models_own(src, trained_model, pages_factory):
    rows, _ = _run([src], trained_model)
    expected = trained_model.predict_proba_pages([p.lines for p in pages_factory(12)])
    for row, probs in zip(rows, expected):
        assert np.allclose(row["proba"], probs, atol=1e-4)
        assert row["labels"] == ["content" if p >= DEFAULT_THRESHOLD else "boilerplate" for p in probs]


def test_other_fields_are_kept_and_a_missing_source_is_the_file_name(src, trained_model):
    rows, _ = _run([src], trained_model)
    assert rows[0]["site"] == "site-0.example" and rows[0]["source"] == "in"


def test_fields_already_present_are_replaced_not_repeated(tmp_path, trained_model, pages_factory):
    page = pages_factory(1)[0]
    labelled = {"id": "x", "lines": page.lines, "labels": ["old"] * len(page.lines), "source": "mine"}
    rows, _ = _run([_write(tmp_path / "l.jsonl", [labelled])], trained_model)
    raw = json.dumps(rows[0])
    assert rows[0]["labels"] != labelled["labels"] and rows[0]["source"] == "mine"
    assert raw.count('"labels"') == 1 and raw.count('"source"') == 1


def test_input_spelling_of_the_record_is_kept(tmp_path, trained_model):
    # appended to the input line as written (spacing, escapes), not re-serialised
    path = tmp_path / "s.jsonl"
    path.write_bytes(b'{"id":"s","lines":["Caf\\u00e9 news","Share"]}  \n')
    out = io.BytesIO()
    run_batch([str(path)], out, model=trained_model)
    line = out.getvalue().decode("utf-8")
    assert line.startswith('{"id":"s","lines":["Caf\\u00e9 news","Share"], "source": "s", "labels": [')
    assert json.loads(line)["lines"] == ["Caf\u00e9 news", "Share"]


def test_a_text_field_is_split_into_lines(tmp_path, trained_model):
    path = _write(tmp_path / "t.jsonl", [{"id": "t", "text": "Home\r\nThe river rose overnight.\nShare"}])
    rows, _ = _run([path], trained_model)
    assert rows[0]["lines"] == ["Home", "The river rose overnight.", "Share"]
    assert len(rows[0]["labels"]) == 3


def test_clean_adds_only_lines_of_the_page(src, trained_model):
    rows, _ = _run([src], trained_model, clean=True)
    for row in rows:
        kept = [line for line, lab in zip(row["lines"], row["labels"]) if lab == "content"]
        assert row["text"] == "\n".join(kept)


def test_bad_records_are_skipped_and_reported_by_line(tmp_path, trained_model, pages_factory):
    good = _records(pages_factory(3))
    path = _write(tmp_path / "mixed.jsonl", [good[0], {"id": "x", "lines": [1]}, good[1]],
                  b"not json\n" + json.dumps(good[2]).encode() + b"\n")
    warned = []
    rows, summary = _run([path], trained_model, warn=warned.append)
    assert [r["id"] for r in rows] == ["p000", "p001", "p002"]
    assert [b.where for b in warned] == [f"{path}:2", f"{path}:4"]
    assert "int" in warned[0].reason and "JSON" in warned[1].reason


def test_stop_writes_the_records_before_the_first_bad_one(tmp_path, trained_model, pages_factory):
    good = _records(pages_factory(3))
    path = _write(tmp_path / "mixed.jsonl", [good[0], good[1], {"id": "x"}, good[2]])
    rows, summary = _run([path], trained_model, on_error="stop")
    assert [r["id"] for r in rows] == ["p000", "p001"] and summary.n_bad == 1


def test_non_utf8_is_a_bad_record_unless_replacement_is_asked(tmp_path, trained_model):
    path = tmp_path / "latin.jsonl"
    path.write_bytes(b'{"id": "c", "lines": ["Caf\xe9 du port"]}\n')
    rows, summary = _run([path], trained_model)
    assert rows == [] and "UTF-8" in summary.bad[0].reason
    rows, summary = _run([path], trained_model, replace_errors=True)
    assert rows[0]["lines"] == ["Caf\ufffd du port"] and summary.n_bad == 0


def test_gzip_input_is_recognised_by_its_bytes(tmp_path, src, trained_model):
    packed = tmp_path / "in.data"  # same name stem, so the same default `source`
    packed.write_bytes(gzip.compress(src.read_bytes()))
    assert _run([packed], trained_model)[0] == _run([src], trained_model)[0]


def test_compressed_output_is_one_gzip_stream_of_all_chunks(src, trained_model, monkeypatch):
    monkeypatch.setattr(batch, "CHUNK_RECORDS", 4)
    rows, _ = _run([src], trained_model, compress=True)
    assert len(rows) == 12


def test_two_workers_write_exactly_what_one_process_writes(src, trained_model, trained_model_file, monkeypatch):
    monkeypatch.setattr(batch, "CHUNK_RECORDS", 3)
    one = io.BytesIO()
    run_batch([str(src)], one, model=trained_model)
    two = io.BytesIO()
    summary = run_batch([str(src)], two, model_path=str(trained_model_file), jobs=2)
    assert two.getvalue() == one.getvalue() and summary.pages == 12


def test_widen_pipes_grows_the_task_and_result_pipes():
    fcntl = pytest.importorskip("fcntl")
    if not hasattr(fcntl, "F_GETPIPE_SZ"):
        pytest.skip("pipe sizes can be set on Linux only")
    import multiprocessing
    from types import SimpleNamespace
    ctx = multiprocessing.get_context("spawn")
    pool = SimpleNamespace(_inqueue=ctx.SimpleQueue(), _outqueue=ctx.SimpleQueue())
    size = batch._widen_pipes(pool)
    assert size > 64 * 1024
    for queue in (pool._inqueue, pool._outqueue):
        assert fcntl.fcntl(queue._reader.fileno(), fcntl.F_GETPIPE_SZ) == size
        queue.close()


def test_widen_pipes_gives_up_quietly_on_a_pool_without_those_pipes():
    assert batch._widen_pipes(object()) == 0


def test_a_missing_input_is_an_error_naming_it(tmp_path, trained_model):
    with pytest.raises(batch.BadRecord, match="nope.jsonl"):
        run_batch([str(tmp_path / "nope.jsonl")], io.BytesIO(), model=trained_model)


def test_progress_reports_pages_per_second(src, trained_model, capsys):
    run_batch([str(src)], io.BytesIO(), model=trained_model, progress=True)
    assert "pages/s" in capsys.readouterr().err


# ----- through the command line ---------------------------------------------------------------

def test_cli_writes_gzip_output_atomically(src, tmp_path, trained_model_file):
    out = tmp_path / "out.jsonl.gz"
    assert cli.main(["predict", "--jsonl", str(src), "-o", str(out), "--model", str(trained_model_file)]) == 0
    with gzip.open(out, "rt", encoding="utf-8") as fh:
        assert len(fh.read().splitlines()) == 12
    assert not list(tmp_path.glob(".*.tmp"))


def test_cli_skipped_records_are_warnings_with_exit_status_0(tmp_path, trained_model_file, capsys):
    path = _write(tmp_path / "m.jsonl", [{"id": "a", "lines": ["Home", "Some text here."]}], b"{oops\n")
    assert cli.main(["predict", "--jsonl", str(path), "--model", str(trained_model_file)]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("linesift: warning:") and "m.jsonl:2" in err[0]
    assert "skipped 1 bad record" in err[-1]


def test_cli_stop_on_error_exits_1_with_one_error_line(tmp_path, trained_model_file, capsys):
    path = _write(tmp_path / "m.jsonl", [{"id": "a", "lines": ["Home"]}], b"{oops\n")
    code = cli.main(["predict", "--jsonl", str(path), "--on-error", "stop", "--model", str(trained_model_file)])
    captured = capsys.readouterr()
    assert code == 1 and len(captured.out.splitlines()) == 1
    err = captured.err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("linesift: error:") and "m.jsonl:2" in err[0]


def test_cli_jobs_need_jsonl_input(tmp_path, trained_model_file, capsys):
    page = tmp_path / "page.txt"
    page.write_text("Home\nThe river rose overnight.\n", encoding="utf-8")
    assert cli.main(["predict", str(page), "-j", "2", "--model", str(trained_model_file)]) == 1
    assert capsys.readouterr().err.strip() == "linesift: error: -j/--jobs works with --jsonl input only"


def test_cli_missing_jsonl_input_is_a_one_line_error(tmp_path, trained_model_file, capsys):
    assert cli.main(["predict", "--jsonl", str(tmp_path / "nope.jsonl"), "--model", str(trained_model_file)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("linesift: error:") and "nope.jsonl" in err[0]


# ----- sites: pages of one site predicted together ---------------------------------------------

@pytest.fixture
def by_site(tmp_path, pages_factory):
    """12 invented pages sorted by site (five sites), as JSONL, and the pages."""
    pages = sorted(pages_factory(12), key=lambda p: p.site)
    return _write(tmp_path / "sites.jsonl", _records(pages)), pages


def test_with_sites_the_probabilities_are_those_of_the_pages_with_their_sites(by_site, trained_model):
    path, pages = by_site
    rows, _ = _run([path], trained_model, sites=True)
    expected = trained_model.predict_proba_pages([p.lines for p in pages], sites=[p.site for p in pages])
    plain = trained_model.predict_proba_pages([p.lines for p in pages])
    for row, probs in zip(rows, expected):
        assert np.allclose(row["proba"], probs, atol=1e-4)
    assert any(not np.allclose(a, b, atol=1e-4) for a, b in zip(expected, plain))


def test_with_sites_a_run_of_one_site_is_never_split_between_chunks(by_site, monkeypatch):
    path, pages = by_site
    monkeypatch.setattr(batch, "CHUNK_RECORDS", 2)
    chunks = list(batch._chunks([str(path)], batch.BatchSummary(), by_site=True))
    sites = [{json.loads(raw)["site"] for raw in chunk[3]} for chunk in chunks]
    for site in {p.site for p in pages}:
        assert sum(site in s for s in sites) == 1
    assert len(chunks) > 1


def test_with_sites_a_run_longer_than_the_cap_is_split(by_site, monkeypatch):
    path, _ = by_site
    monkeypatch.setattr(batch, "SITE_RUN_RECORDS", 1)
    chunks = list(batch._chunks([str(path)], batch.BatchSummary(), by_site=True))
    assert [len(c[3]) for c in chunks] == [1] * 12


def test_record_site_reads_site_then_domain_then_url_host():
    assert batch.record_site({"site": "a", "meta": {"domain": "b"}, "url": "https://c.example/"}) == "a"
    assert batch.record_site({"meta": {"domain": "b"}, "url": "https://c.example/"}) == "b"
    assert batch.record_site({"url": "https://www.c.example/x"}) == "c.example"
    assert batch.record_site({"id": "x"}) is None
