"""classifier.spark: label_lines / clean_text on a local Spark session, and the example job.

One `local[2]` session serves the whole module (starting Spark takes 10-20 s). Arrow batches are
kept tiny so every partition is predicted in several batches. Pages come from our own bundled
test split; the small session model from conftest is the model the executors load.
"""

import gzip
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from classifier import spark as cs
from classifier.corpus import read_pages
from classifier.lines import split_lines
from classifier.model import ModelError

REPO = Path(__file__).resolve().parents[1]
TEST_JSONL = REPO / "training_data" / "test.jsonl"
#: Rows per Arrow batch in the test session: small, so one partition spans several batches.
BATCH_ROWS = 7
SCHEMA = "id long, url string, meta struct<kind:string,lang:string>, lines array<string>"

spark_test = pytest.mark.spark


@pytest.fixture(scope="module")
def spark():
    pytest.importorskip("pyspark")
    pytest.importorskip("pyarrow")
    pytest.importorskip("pandas")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("Spark needs Java 17+, and none is installed")
    from pyspark.sql import SparkSession

    # executors run this interpreter, on the loopback address only
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    session = (SparkSession.builder.master("local[2]").appName("linesift-tests")
               .config("spark.ui.enabled", "false")
               .config("spark.driver.host", "127.0.0.1")
               .config("spark.driver.bindAddress", "127.0.0.1")
               .config("spark.sql.shuffle.partitions", "2")
               .config("spark.default.parallelism", "2")
               .config("spark.sql.execution.arrow.maxRecordsPerBatch", str(BATCH_ROWS))
               .config("spark.executorEnv.OMP_NUM_THREADS", "1")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def pages():
    """40 pages of our bundled test split."""
    return read_pages([TEST_JSONL])[:40]


def page_rows(pages):
    return [(i, p.url, {"kind": p.meta.get("kind"), "lang": p.meta.get("lang")}, p.lines)
            for i, p in enumerate(pages)]


def frame(spark, rows, partitions=4, schema=SCHEMA):
    """A DataFrame of the rows in order, cut into `partitions` contiguous slices."""
    return spark.createDataFrame(spark.sparkContext.parallelize(rows, partitions), schema)


def read_json_parts(folder):
    return [json.loads(line) for part in sorted(Path(folder).glob("part-*.json"))
            for line in part.read_text(encoding="utf-8").splitlines()]


# ----- without Spark ------------------------------------------------------------------------------

def test_import_loads_neither_pyspark_nor_sklearn():
    code = "import sys, classifier.spark; print(sorted(m for m in ('pyspark', 'pandas', 'sklearn') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert out.stdout.strip() == "[]"


def test_missing_pyspark_names_the_extra(monkeypatch):
    real = cs.importlib.util.find_spec
    monkeypatch.setattr(cs.importlib.util, "find_spec", lambda name: None if name == "pyspark" else real(name))
    with pytest.raises(cs.SparkMissingError, match=r"pip install 'linesift\[spark\]'"):
        cs.label_lines(object())


def test_cli_missing_input_is_one_line_error(tmp_path, capsys):
    code = cs.main([str(tmp_path / "nope.jsonl"), str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and err.startswith("linesift: error:") and "Traceback" not in err


def test_module_entry_point_reports_a_missing_input(tmp_path):
    run = subprocess.run([sys.executable, "-m", "classifier.spark", str(tmp_path / "nope"), str(tmp_path / "out")],
                         capture_output=True, text=True, cwd=REPO)
    assert run.returncode == 1
    assert run.stderr.splitlines() == [f"linesift: error: {tmp_path / 'nope'}: no such file or directory"]


# ----- label_lines / clean_text ---------------------------------------------------------------------

@spark_test
def test_labels_and_proba_equal_single_process(spark, pages, trained_model, trained_model_file):
    out = cs.label_lines(frame(spark, page_rows(pages)), model_path=str(trained_model_file)).collect()
    expected = trained_model.predict_proba_pages([p.lines for p in pages])
    assert [row["proba"] for row in out] == [probs.tolist() for probs in expected]
    assert [row["labels"] for row in out] == [[str(x) for x in labels]
                                              for labels in trained_model.predict_pages([p.lines for p in pages])]


@spark_test
def test_site_col_lets_rows_of_one_site_in_a_batch_inform_each_other(spark, pages, trained_model,
                                                                    trained_model_file):
    rows = [(i, p.group, p.lines) for i, p in enumerate(pages)]  # the test split comes sorted by site
    df = frame(spark, rows, partitions=1, schema="id long, site string, lines array<string>")
    out = cs.label_lines(df, model_path=str(trained_model_file), site_col="site").collect()
    expected = []
    for at in range(0, len(pages), BATCH_ROWS):  # one partition: consecutive batches of BATCH_ROWS rows
        chunk = pages[at:at + BATCH_ROWS]
        expected += trained_model.predict_proba_pages([p.lines for p in chunk], sites=[p.group for p in chunk])
    assert [row["proba"] for row in out] == [probs.tolist() for probs in expected]
    plain = trained_model.predict_proba_pages([p.lines for p in pages])
    assert [row["proba"] for row in out] != [probs.tolist() for probs in plain]


@spark_test
def test_a_site_col_that_is_not_a_string_is_refused(spark, pages, trained_model_file):
    df = frame(spark, [(0, 1, ["Home"])], partitions=1, schema="id long, site long, lines array<string>")
    with pytest.raises(TypeError, match="site column 'site' is bigint, expected string"):
        cs.label_lines(df, model_path=str(trained_model_file), site_col="site")


@spark_test
def test_every_row_kept_once_in_order_with_its_columns(spark, pages, trained_model_file):
    rows = page_rows(pages)
    df = frame(spark, rows, partitions=5)
    assert df.rdd.getNumPartitions() == 5
    out = cs.label_lines(df, model_path=str(trained_model_file)).collect()
    assert [(r["id"], r["url"], r["meta"].asDict(), r["lines"]) for r in out] == rows
    assert all(r["error"] is None for r in out)


@spark_test
def test_bad_rows_get_an_error_and_the_others_are_labelled(spark, pages, trained_model, trained_model_file):
    rows = page_rows(pages[:6])
    rows[1] = (1, "u1", None, None)
    rows[4] = (4, "u4", None, ["Home", None, "A line"])
    out = cs.label_lines(frame(spark, rows, partitions=2), model_path=str(trained_model_file)).collect()
    assert [r["id"] for r in out] == list(range(6))
    assert out[1]["error"] == "lines is null" and out[1]["labels"] is None and out[1]["proba"] is None
    assert "line 1" in out[4]["error"] and out[4]["labels"] is None
    good = [0, 2, 3, 5]
    expected = trained_model.predict_proba_pages([pages[i].lines for i in good])
    assert [out[i]["proba"] for i in good] == [probs.tolist() for probs in expected]
    assert all(out[i]["error"] is None for i in good)


@spark_test
def test_model_loaded_once_per_python_worker(spark, pages, trained_model_file):
    path = str(trained_model_file)
    cs.label_lines(frame(spark, page_rows(pages), partitions=6), model_path=path).collect()

    def loads_here(frames):
        import os

        import pandas as pd

        from classifier import spark as module
        for _ in frames:
            yield pd.DataFrame({"pid": [os.getpid()], "loads": [module._LOADS.get(path, 0)]})

    # pandas UDFs have their own pool of reused Python workers: ask them, with another mapInPandas
    probe = frame(spark, page_rows(pages), partitions=6).mapInPandas(loads_here, "pid long, loads long")
    seen = {row["pid"]: row["loads"] for row in probe.collect()}
    # ~6 Arrow batches per partition went through these workers: still one load each
    assert max(seen.values()) == 1, seen


@spark_test
def test_bare_model_name_is_found_through_sparkfiles(spark, pages, trained_model, trained_model_file, tmp_path):
    shipped = tmp_path / "shipped_model_for_test.joblib"
    shutil.copy(trained_model_file, shipped)
    spark.sparkContext.addFile(str(shipped))
    out = cs.label_lines(frame(spark, page_rows(pages[:8]), 2), model_path=shipped.name).collect()
    assert [r["proba"] for r in out] == [p.tolist() for p in trained_model.predict_proba_pages([p.lines for p in pages[:8]])]


@spark_test
def test_missing_model_fails_on_the_driver(spark, pages):
    with pytest.raises(ModelError, match="not found"):
        cs.label_lines(frame(spark, page_rows(pages[:2]), 1), model_path="no_such_model.joblib")


@spark_test
def test_label_lines_refuses_a_text_column(spark):
    df = spark.createDataFrame([(1, "Home\nStory")], "id long, lines string")
    with pytest.raises(TypeError, match="clean_text"):
        cs.label_lines(df)


@spark_test
def test_clean_text_keeps_only_lines_of_the_input(spark, pages, trained_model, trained_model_file):
    rows = [(i, "\n".join(p.lines)) for i, p in enumerate(pages[:12])] + [(12, None)]
    df = frame(spark, rows, 3, "id long, text string")
    out = cs.clean_text(df, model_path=str(trained_model_file)).collect()
    for (i, text), row in zip(rows[:-1], out):
        kept = split_lines(row["clean_text"])
        assert set(kept) <= set(split_lines(text))
        assert row["clean_text"] == trained_model.clean(text)
        assert (row["n_lines"], row["n_content"]) == (len(split_lines(text)), len(kept))
    assert out[-1]["error"] == "text is null" and out[-1]["clean_text"] is None


# ----- the example job ---------------------------------------------------------------------------------

def write_jsonl(path, pages, opener=open):
    with opener(path, "wt", encoding="utf-8") as fh:
        for p in pages:
            fh.write(json.dumps({"id": p.id, "url": p.url, "lines": p.lines}, ensure_ascii=False) + "\n")


@spark_test
def test_cli_labels_jsonl_pages(spark, pages, trained_model, trained_model_file, tmp_path):
    write_jsonl(tmp_path / "in.jsonl", pages[:10])
    assert cs.main([str(tmp_path / "in.jsonl"), str(tmp_path / "out"), "--model", str(trained_model_file)]) == 0
    out = read_json_parts(tmp_path / "out")
    assert [r["id"] for r in out] == [p.id for p in pages[:10]]
    expected = trained_model.predict_proba_pages([p.lines for p in pages[:10]])
    for rec, page, probs in zip(out, pages, expected):
        assert rec["proba"] == pytest.approx(probs.tolist(), abs=6e-5)  # written to 4 decimals
        assert rec["n_lines"] == len(page.lines) and rec["n_content"] == rec["labels"].count("content")
        assert rec["clean_text"] == trained_model.clean(page.lines)


@spark_test
def test_cli_spreads_one_gzip_file_and_keeps_its_order(spark, pages, trained_model_file, tmp_path):
    write_jsonl(tmp_path / "in.jsonl.gz", pages, gzip.open)
    args = [str(tmp_path / "in.jsonl.gz"), str(tmp_path / "out"), "--model", str(trained_model_file),
            "--partitions", "3", "--clean"]
    assert cs.main(args) == 0
    assert len(list((tmp_path / "out").glob("part-*.json"))) == 3
    out = read_json_parts(tmp_path / "out")
    assert [r["id"] for r in out] == [p.id for p in pages]
    assert "labels" not in out[0] and "clean_text" in out[0]


@spark_test
def test_cli_labels_parquet_pages(spark, pages, trained_model, trained_model_file, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"id": [p.id for p in pages[:10]], "lines": [p.lines for p in pages[:10]]})
    pq.write_table(table, tmp_path / "in.parquet")
    assert cs.main([str(tmp_path / "in.parquet"), str(tmp_path / "out"), "--model", str(trained_model_file)]) == 0
    out = pa.concat_tables([pq.read_table(f) for f in sorted((tmp_path / "out").glob("part-*.parquet"))]).to_pylist()
    assert [r["id"] for r in out] == [p.id for p in pages[:10]]
    assert [r["labels"] for r in out] == [[str(x) for x in labels]
                                          for labels in trained_model.predict_pages([p.lines for p in pages[:10]])]
