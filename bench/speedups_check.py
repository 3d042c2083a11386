"""Do the compiled kernels change predictions? The bundled model with and without them.

    python bench/speedups_check.py              # 600 wcxb-dev pages + our test split
    python bench/speedups_check.py --pages 100

Runs the same pages through the model twice in one process: with classifier/_speedups (when
built) and with LINESIFT_NO_SPEEDUPS=1 (the numpy reference). Prints the number of lines, the
largest absolute difference of P(content), and how many labels (threshold 0.5) differ; also
whether pass-1 features and scores are identical. Exit status 1 if anything differs.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from classifier import fast  # noqa: E402
from classifier.corpus import read_pages  # noqa: E402
from classifier.features import shape_features  # noqa: E402
from classifier.labels import DEFAULT_THRESHOLD  # noqa: E402
from classifier.model import load_model  # noqa: E402

DATA = ROOT.parent / "shared" / "data"


def _proba(model, pages, numpy_only: bool) -> np.ndarray:
    if numpy_only:
        os.environ[fast.NO_SPEEDUPS_ENV] = "1"
    else:
        os.environ.pop(fast.NO_SPEEDUPS_ENV, None)
    try:
        return np.concatenate(model.predict_proba_pages(pages))
    finally:
        os.environ.pop(fast.NO_SPEEDUPS_ENV, None)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=600, help="wcxb-dev pages to use (default 600)")
    ap.add_argument("--model", default=str(ROOT / "models" / "default.joblib"))
    args = ap.parse_args(argv)
    os.environ.pop(fast.NO_SPEEDUPS_ENV, None)
    k = fast.kernels()
    if k is None:
        print("classifier._speedups is not built: nothing to compare (pip install . with a C compiler)")
        return 1
    model = load_model(args.model)
    sets = [("our test split", [ROOT / "training_data" / "test.jsonl"], None)]
    if DATA.exists():
        sets.insert(0, ("wcxb-dev", [DATA / "wcxb-dev.jsonl.gz"], args.pages))
    else:
        print(f"{DATA} not found: our test split only")
    differ = False
    for name, paths, limit in sets:
        pages = [p.lines for p in read_pages(paths)][:limit]
        compiled, reference = _proba(model, pages, False), _proba(model, pages, True)
        flips = int(np.sum((compiled >= DEFAULT_THRESHOLD) != (reference >= DEFAULT_THRESHOLD)))
        lines = [line for page in pages for line in page if line.strip()]
        shape = shape_features(lines)
        coef, intercept = model.line_model_.coef_[0], model.line_model_.intercept_[0]
        same_shape = np.array_equal(fast.shape_features(k, lines), shape)
        same_score = np.array_equal(fast.text_score(k, model.features_, lines, coef, intercept, shape),
                                    model.features_.score(lines, coef, intercept, shape))
        identical = np.array_equal(compiled, reference)
        differ |= not (identical and same_shape and same_score)
        print(f"{name}: {len(pages)} pages, {len(compiled)} lines; P(content) max abs diff "
              f"{np.max(np.abs(compiled - reference), initial=0.0):.3g}, labels changed {flips}, "
              f"bit-identical {identical}; shape features identical {same_shape}, pass-1 scores identical "
              f"{same_score}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
