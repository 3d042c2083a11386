"""The README's worked example, end to end: label 5 pages of one site, correct them, retrain.

    python bench/retrain_example.py                 # ~10 min on 2 cores; work files in a temp folder
    python bench/retrain_example.py --keep DIR      # keep the work files (pages, page files, models)

The site is `fr-la-voix-du-causse` (an invented French regional news site of our bundled test
split), the test site where the previous release's bundled model had the lowest content F1
(0.659: its header and consent chrome pass for content). Steps, each printed with the command it runs:

1. "Scrape": the site's first 5 pages of training_data/test.jsonl are written as raw JSONL pages
   (id, url, lines; no labels) - what a scraper gives you.
2. `label` pre-labels them into page files, marking uncertain lines.
3. The human's correction is SIMULATED: every row's label column is replaced by the gold label
   from test.jsonl (marks removed). The script counts how many rows that changed and how many of
   those had been marked.
4. `train --base bundled my_pages/ --weight my_pages=5` retrains (prints its own before/after).
   x5 is the weight the bundled recipe gives our own corpus; it was not tuned here.
5. A control model is trained on the bundled train split alone (`--base none`), so the table
   separates what the 5 pages add from what changing the base corpus does (the bundled model is
   also trained on wcxb-dev and readability; the retrained models are not).
6. Content F1 and shingle F1 of the three models on the site's OTHER pages (never labelled or
   trained on) and on the rest of the test split (the other 32 sites).
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from classifier.corpus import read_jsonl, read_page_file  # noqa: E402
from classifier.evaluate import evaluate_pages  # noqa: E402
from classifier.model import load_bundled, load_model  # noqa: E402
from classifier.labels import DEFAULT_THRESHOLD  # noqa: E402

SITE = "fr-la-voix-du-causse"
LABELLED = 5
WEIGHT = 5
TEST = ROOT / "training_data" / "test.jsonl"


def step(argv: list[str]) -> None:
    print(f"\n$ python -m classifier {' '.join(shlex.quote(a) for a in argv)}", flush=True)
    subprocess.run([sys.executable, "-m", "classifier", *argv], cwd=ROOT, check=True)


def scores(model, pages):
    o = evaluate_pages(pages, model.predict_proba_pages([p.lines for p in pages]), DEFAULT_THRESHOLD, ()).overall
    return o["content"]["f1"], o["shingle"]["f1"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keep", metavar="DIR", help="work in DIR and keep the files")
    args = parser.parse_args()
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="linesift-example-"))
    work.mkdir(parents=True, exist_ok=True)
    test = list(read_jsonl(TEST))
    site = sorted((p for p in test if p.site == SITE), key=lambda p: p.id)
    labelled, others = site[:LABELLED], site[LABELLED:]
    rest = [p for p in test if p.site != SITE]
    gold = {p.id: p for p in labelled}

    # 1. the raw scrape
    scraped = work / "scraped.jsonl"
    with open(scraped, "w", encoding="utf-8") as fh:
        for p in labelled:
            fh.write(json.dumps({"id": p.id, "url": p.url, "site": p.site, "lines": p.lines},
                                ensure_ascii=False) + "\n")
    print(f"work folder: {work}\nscraped {len(labelled)} pages of {SITE}: {', '.join(gold)}")

    # 2. pre-label
    my_pages = work / "my_pages"
    step(["label", str(scraped), "-o", str(my_pages), "--force"])

    # 3. the simulated human: copy the gold labels in, dropping the marks
    changed = marked_changed = marked = 0
    for path in sorted(my_pages.glob("*.tsv")):
        page = gold[read_page_file(path).id]
        rows = path.read_text(encoding="utf-8").split("\n")
        start = next(i for i, r in enumerate(rows) if not r.startswith("#"))
        for k, label in enumerate(page.labels):
            col, tab, text = rows[start + k].partition("\t")
            if not tab:  # a blank line of the page: an empty row, always boilerplate
                continue
            was_marked = "?" in col
            marked += was_marked
            if col.partition("?")[0].strip() != label:
                changed += 1
                marked_changed += was_marked
            rows[start + k] = f"{label}\t{text}"
        path.write_text("\n".join(rows), encoding="utf-8")
    lines = sum(len(p.lines) for p in labelled)
    print(f"\nsimulated correction: {changed} of {lines} rows changed label; {marked_changed} of those "
          f"{changed} had a '?' mark ({marked} rows were marked)")

    # 4. retrain on the bundled train split + the corrected pages; 5. the control
    new_model, control = work / "my_model.joblib", work / "control.joblib"
    step(["train", str(my_pages), "--weight", f"my_pages={WEIGHT}", "-o", str(new_model)])
    step(["train", "training_data/train.jsonl", "--base", "none", "--no-validate", "-o", str(control)])

    # 6. the table
    models = [("bundled model", load_bundled()), ("train split only (control)", load_model(control)),
              (f"train split + {LABELLED} corrected pages", load_model(new_model))]
    sets = [(f"{SITE}, the other {len(others)} pages", others),
            (f"rest of the test split ({len({p.site for p in rest})} sites)", rest)]
    print(f"\n| model | {' | '.join(f'{name}: content F1 / shingle F1' for name, _ in sets)} |")
    print("|---|" + "---:|" * len(sets))
    for name, model in models:
        cells = [f"{c:.3f} / {s:.3f}" for c, s in (scores(model, pages) for _, pages in sets)]
        print(f"| {name} | {' | '.join(cells)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
