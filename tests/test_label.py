"""classifier.label and the `label` command: pre-labelled page files, review marks, the
label -> edit -> train round trip. A stub model with fixed probabilities keeps most tests
independent of any trained model."""

import copy
import json
import re

import numpy as np
import pytest

from classifier import cli
from classifier.corpus import CorpusError, Page, read_page_file, read_pages
from classifier.label import UNCERTAIN_BAND, page_file_names, prelabel, read_raw_pages, unreviewed_rows
from classifier.labels import DEFAULT_THRESHOLD
from classifier.model import load_model

from conftest import CHROME, PROSE, TITLES
from conftest import run_cli as run


class StubModel:
    """P(content) by kind of line: 0.95 for prose and titles, 0.5 for lines containing 'maybe',
    0.05 for everything else; blank lines 0."""

    def predict_proba_pages(self, pages, sites=None):
        def p(line):
            if not line.strip():
                return 0.0
            if "maybe" in line:
                return 0.5
            return 0.95 if line in PROSE or line in TITLES else 0.05
        return [np.array([p(line) for line in page]) for page in pages]


def raw_page(k: int, maybe: bool = True) -> list[str]:
    lines = [CHROME[k % 5], CHROME[5 + k % 5], TITLES[k % len(TITLES)], "",
             PROSE[k % len(PROSE)], PROSE[(k + 1) % len(PROSE)], CHROME[12 + k % 5]]
    return lines + (["maybe a caption, maybe a menu"] if maybe else [])


@pytest.fixture
def stub(monkeypatch):
    monkeypatch.setattr(cli, "_load", lambda path: StubModel())


@pytest.fixture
def raw_dir(tmp_path):
    """Four raw text pages of one invented site."""
    folder = tmp_path / "raw"
    folder.mkdir()
    for k in range(4):
        (folder / f"page{k}.txt").write_text("\n".join(raw_page(k)) + "\n", encoding="utf-8")
    return folder


# ----- prelabel ---------------------------------------------------------------------------------

def test_an_uncertain_line_gets_a_review_mark_with_its_probability():
    page = Page("p", raw_page(0))
    done = prelabel(StubModel(), [page])[0]
    assert done.columns[-1] == "content ?0.50"
    assert done.uncertain == 1


def test_confident_lines_get_their_label_without_a_mark():
    done = prelabel(StubModel(), [Page("p", raw_page(0, maybe=False))])[0]
    assert done.columns == ["boilerplate", "boilerplate", "content", "boilerplate", "content", "content",
                            "boilerplate"]
    assert done.uncertain == 0


def test_a_line_at_the_package_default_threshold_is_labelled_content():
    class AtThreshold:
        def predict_proba_pages(self, pages, sites=None):
            return [np.full(len(page), DEFAULT_THRESHOLD) for page in pages]

    done = prelabel(AtThreshold(), [Page("p", ["Ferry crews wait out the flood"])])[0]
    assert done.columns[0].split()[0] == "content"


def test_a_band_covering_everything_marks_every_non_blank_line():
    lines = raw_page(0)
    done = prelabel(StubModel(), [Page("p", lines)], band=(0.0, 1.0))[0]
    assert done.uncertain == sum(1 for line in lines if line.strip())
    assert done.columns[3] == "boilerplate"


def test_the_default_band_is_a_proper_interval():
    low, high = UNCERTAIN_BAND
    assert 0 < low < 0.5 < high < 1


def test_page_file_names_are_distinct_and_safe():
    names = page_file_names([Page("a/b", []), Page("a b", []), Page("A_b", []), Page("..", [])])
    assert names == ["a_b.tsv", "a_b-2.tsv", "A_b-3.tsv", "page.tsv"]


def test_raw_jsonl_pages_lose_their_labels(tmp_path):
    path = tmp_path / "crawl.jsonl"
    path.write_text(json.dumps({"id": "c1", "url": "https://quay.example/1", "lines": ["Home", "Story."],
                                "labels": ["boilerplate", "content"]}) + "\n", encoding="utf-8")
    page = read_raw_pages([path])[0]
    assert (page.id, page.lines, page.labels) == ("c1", ["Home", "Story."], None)


def test_raw_page_files_are_refused(tmp_path):
    path = tmp_path / "p.tsv"
    path.write_text("content\tStory.\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="already a page file"):
        read_raw_pages([path])


# ----- the label command ------------------------------------------------------------------------

def test_label_writes_one_readable_page_file_per_page(stub, raw_dir, tmp_path):
    code, out, _ = run(["label", str(raw_dir), "-o", str(tmp_path / "mine"), "--site", "quay"])
    assert code == 0
    files = sorted((tmp_path / "mine").glob("*.tsv"))
    assert [f.name for f in files] == [f"page{k}.tsv" for k in range(4)]
    page = read_page_file(files[1])
    assert page.lines == raw_page(1)
    assert (page.id, page.site, page.source) == ("page1", "quay", "mine")
    assert page.labels[2] == "content" and page.labels[0] == "boilerplate"


def test_label_prints_lines_and_uncertain_lines_per_page_and_in_total(stub, raw_dir, tmp_path):
    _, out, _ = run(["label", str(raw_dir), "-o", str(tmp_path / "mine")])
    assert re.search(r"^page0\.tsv\s+8\s+1$", out, re.MULTILINE)
    assert re.search(r"^total\s+32\s+4$", out, re.MULTILINE)


def test_label_refuses_to_overwrite_page_files(stub, raw_dir, tmp_path):
    run(["label", str(raw_dir), "-o", str(tmp_path / "mine")])
    target = tmp_path / "mine" / "page0.tsv"
    target.write_text("content\tmy edit\n", encoding="utf-8")
    code, _, err = run(["label", str(raw_dir), "-o", str(tmp_path / "mine")])
    assert code == 1
    assert err.count("\n") == 1 and err.startswith("linesift: error:") and "--force" in err
    assert target.read_text(encoding="utf-8") == "content\tmy edit\n"


def test_label_force_overwrites_page_files(stub, raw_dir, tmp_path):
    run(["label", str(raw_dir), "-o", str(tmp_path / "mine")])
    target = tmp_path / "mine" / "page0.tsv"
    target.write_text("content\tmy edit\n", encoding="utf-8")
    assert run(["label", str(raw_dir), "-o", str(tmp_path / "mine"), "--force"])[0] == 0
    assert read_page_file(target).lines == raw_page(0)


def test_label_uncertain_option_sets_the_band(stub, raw_dir, tmp_path):
    run(["label", str(raw_dir), "-o", str(tmp_path / "mine"), "--uncertain", "0.6,0.7"])
    assert unreviewed_rows(sorted((tmp_path / "mine").glob("*.tsv"))) == []


def test_label_bad_uncertain_option_is_a_usage_error(stub, raw_dir, tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["label", str(raw_dir), "-o", str(tmp_path / "mine"), "--uncertain", "0.9,0.1"])
    assert exc.value.code == 2


def test_label_missing_input_is_a_one_line_error(stub, tmp_path):
    code, _, err = run(["label", str(tmp_path / "nope.txt"), "-o", str(tmp_path / "mine")])
    assert code == 1 and err.count("\n") == 1 and "nope.txt" in err


# ----- label -> edit -> train -------------------------------------------------------------------

@pytest.fixture
def labelled_dir(stub, raw_dir, tmp_path):
    run(["label", str(raw_dir), "-o", str(tmp_path / "mine"), "--site", "quay"])
    return tmp_path / "mine"


def _edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_marked_row_reads_as_its_label(labelled_dir):
    assert read_page_file(labelled_dir / "page0.tsv").labels[-1] == "content"


def test_an_edited_row_reads_as_the_new_label(labelled_dir):
    _edit(labelled_dir / "page0.tsv", "content ?0.50\tmaybe", "boilerplate\tmaybe")
    page = read_page_file(labelled_dir / "page0.tsv")
    assert page.labels[-1] == "boilerplate"
    assert unreviewed_rows([labelled_dir / "page0.tsv"]) == []


def test_train_reads_corrected_page_files(labelled_dir, tmp_path):
    for k in range(4):
        _edit(labelled_dir / f"page{k}.tsv", "content ?0.50\tmaybe", "boilerplate\tmaybe")
    code, out, err = run(["train", str(labelled_dir), "-o", str(tmp_path / "m.joblib"), "--base", "none",
                          "--no-validate", "--weight", "mine=3"])
    assert code == 0, err
    meta = load_model(tmp_path / "m.joblib").metadata_
    assert meta["training_pages"] == 4
    assert meta["source_weights"] == {"mine": 3.0}
    assert "review mark" not in err


def test_train_notes_review_marks_left_in_page_files(labelled_dir, tmp_path):
    code, _, err = run(["train", str(labelled_dir), "-o", str(tmp_path / "m.joblib"), "--base", "none",
                        "--no-validate"])
    assert code == 0
    assert re.search(r"note: 4 rows .*review mark \(first: .*page0\.tsv:\d+\)", err)


def test_a_typo_in_a_label_is_reported_by_file_and_line(labelled_dir, tmp_path):
    path = labelled_dir / "page2.tsv"
    _edit(path, "content\t", "contnet\t")
    row = next(n for n, r in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if r.startswith("contnet"))
    code, _, err = run(["train", str(labelled_dir), "-o", str(tmp_path / "m.joblib"), "--base", "none"])
    assert code == 1
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"page2.tsv:{row}: label 'contnet'" in err
    assert not (tmp_path / "m.joblib").exists()


def test_evaluate_reads_labelled_page_files(labelled_dir, trained_model_file):
    pages = read_pages([labelled_dir])
    code, out, _ = run(["evaluate", str(labelled_dir), "--model", str(trained_model_file)])
    assert code == 0
    assert re.search(rf"^all\s+{len(pages)}\s+", out, re.MULTILINE)


def test_a_page_the_gate_empties_is_marked_by_its_ungated_probabilities(trained_model, train_pages):
    gated = copy.copy(trained_model)  # the session model must not change
    gated.page_min_ = 1.1  # above any P: the gate empties every page
    lines = train_pages[0].lines
    ungated = copy.copy(trained_model)
    ungated.page_min_ = 0.0
    raw = ungated.predict_proba(lines)
    low, high = UNCERTAIN_BAND
    expected = sum(1 for line, x in zip(lines, raw) if line.strip() and low <= x < high)
    assert expected > 0
    done = prelabel(gated, [Page("p", lines)])[0]
    assert set(done.page.labels) == {"boilerplate"} and done.uncertain == expected
    assert gated.page_min_ == 1.1
