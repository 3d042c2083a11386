"""Acceptance tests of the BUNDLED model: an accuracy floor on the bundled test split, and the seed page.

The floor lives in tests/accuracy_floor.json: raise it deliberately when a better model lands,
never lower it silently.
"""

import json
from pathlib import Path

import numpy as np
import pytest

import classifier
from classifier.corpus import read_jsonl, read_pages
from classifier.evaluate import evaluate_pages
from classifier.labels import Label
from classifier.lines import split_lines
from classifier.model import DEFAULT_THRESHOLD

REPO = Path(__file__).resolve().parents[1]
FLOOR = json.loads((Path(__file__).parent / "accuracy_floor.json").read_text(encoding="utf-8"))
SEED = REPO.parent / "shared" / "seed"
# 44 until the second rebuild of 2026-11-28; lowered deliberately to 43 with the corpus's third batch (the
# seed's credit line fell from P 0.389 to 0.329, threshold 0.35); raised back to 44 at the third rebuild,
# whose fourth batch brought more credit lines (the line was at P 0.462; 0.378 since the fourth rebuild,
# format 8). README, "Measured".
SEED_MIN_CORRECT = 44


@pytest.fixture(scope="module")
def test_split_report():
    pages = read_pages([REPO / "training_data" / "test.jsonl"])
    probs = classifier.default_model().predict_proba_pages([p.lines for p in pages])
    return evaluate_pages(pages, probs, DEFAULT_THRESHOLD)


def test_bundled_model_content_f1_on_the_test_split_meets_the_floor(test_split_report):
    assert test_split_report.overall["content"]["f1"] >= FLOOR["content_f1"]


def test_bundled_model_shingle_f1_on_the_test_split_meets_the_floor(test_split_report):
    assert test_split_report.overall["shingle"]["f1"] >= FLOOR["shingle_f1"]


@pytest.fixture(scope="module")
def test_split_report_with_sites():
    pages = read_pages([REPO / "training_data" / "test.jsonl"])
    probs = classifier.default_model().predict_proba_pages([p.lines for p in pages],
                                                            sites=[p.group for p in pages])
    return evaluate_pages(pages, probs, DEFAULT_THRESHOLD)


def test_bundled_model_content_f1_with_sites_meets_the_floor(test_split_report_with_sites):
    assert test_split_report_with_sites.overall["content"]["f1"] >= FLOOR["content_f1_sites"]


def test_bundled_model_shingle_f1_with_sites_meets_the_floor(test_split_report_with_sites):
    assert test_split_report_with_sites.overall["shingle"]["f1"] >= FLOOR["shingle_f1_sites"]


def test_bundled_model_gets_the_seed_page_right():
    labelled = SEED / "page.jsonl"
    if not labelled.is_file():
        pytest.skip(f"seed page not available at {labelled}")
    page = next(read_jsonl(labelled))
    raw = SEED / "page.txt"
    if raw.is_file():
        # page.txt as scraped (with blank lines); page.jsonl holds its non-blank lines only
        lines = split_lines(raw.read_text(encoding="utf-8"))
        labels = classifier.default_model().predict(lines)
        kept = [(line, lab) for line, lab in zip(lines, labels) if line.strip()]
        assert [line for line, _ in kept] == page.lines, "page.txt and page.jsonl do not align"
        predicted = [lab for _, lab in kept]
    else:
        predicted = classifier.default_model().predict(page.lines)
    correct = int(np.sum([p == Label(g) for p, g in zip(predicted, page.labels)]))
    assert correct >= SEED_MIN_CORRECT, f"{correct} of {len(page.lines)} seed lines right"
