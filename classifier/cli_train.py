"""The `train` subcommand, its arguments and its run: read labelled pages (plus the bundled
base), validate, compare, save.

Held-out validation and the before/after table follow the README's "Retraining on your own
pages"; the data helpers live in retrain.py, the estimator in model.py. Errors are CLIError,
reported by cli.main as one line.
"""

from __future__ import annotations

import shlex
import time
from pathlib import Path

# cli's helpers are looked up on the module at call time, so that tests (and callers) that
# replace cli._load or cli.bundled_data_path reach this command too
from . import cli
from .cli import CLIError
from .config import PAGE_MIN_P


def add_train_arguments(p) -> None:
    """The `train` subcommand's arguments, added to its argparse parser `p`."""
    from .labels import DEFAULT_THRESHOLD

    p.add_argument("data", nargs="+", metavar="DATA",
                   help="JSONL page files (.jsonl, .jsonl.gz), .tsv page files, or directories of them")
    p.add_argument("-o", "--output", required=True, help="where to write the model")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--no-validate", dest="validate", action="store_false",
                   help="skip the held-out runs and the before/after table (much faster)")
    p.add_argument("--threshold", type=cli._probability, default=DEFAULT_THRESHOLD,
                   help="P(content) a line needs to be content (default %(default)s)")
    p.add_argument("--crops", type=int, default=0, metavar="N",
                   help="also train on N random 1-8-line windows of every page: better on inputs of a "
                        "few lines, slightly worse on whole pages (default 0)")
    p.add_argument("--no-kinds", dest="kinds", action="store_false",
                   help="learn no line kinds (the previous bundled recipe): prediction ~1.1-1.3x faster, "
                        "less accurate on pages like our corpus's. Kinds are learned only from pages with "
                        "categories, such as the bundled train split")
    p.add_argument("--kinds", dest="kinds", action="store_true", default=True,
                   help="learn line kinds (the default; kept for old scripts)")
    p.add_argument("--kind-chars", action="store_true",
                   help="line kinds also read the char n-grams (word n-grams and shape only by default): "
                        "a little more accurate, prediction ~1.2x slower again")
    p.add_argument("--no-overlap", dest="overlap", action="store_false",
                   help="leave out the lexical overlap columns (the recipe before 2026-11-27 evening): "
                        "prediction a few percent faster, ~10%% on CJK text; misses more headlines")
    p.add_argument("--overlap-copies", action="store_true",
                   help="count a line's copies on its page in its overlap columns (the recipe up to model format 7)")
    p.add_argument("--no-site-columns", dest="site_columns", action="store_false",
                   help="fit no second pass-2 model for pages predicted with other pages of their site "
                        "(--site-memory): training ~1 pass-2 fit shorter, model file smaller")
    p.add_argument("--no-page-gate", dest="page_gate", action="store_false",
                   help=f"keep the lines of a page none of whose lines reaches P(content) {PAGE_MIN_P} "
                        "(by default such a page, e.g. a 404 page, gets P 0 on every line)")
    p.add_argument("--weight", action="append", metavar="SOURCE=W",
                   help="weight the pages of one source (a JSONL record's 'source', else the file name "
                        "stem; a page file's '# source:', else its folder name), e.g. --weight my_pages=5; "
                        "repeatable")
    p.add_argument("--base", choices=("bundled", "none"), default="bundled",
                   help="bundled (default): also train on the bundled train split (source 'linesift'); "
                        "none: only on DATA")
    p.add_argument("--compare-with", metavar="MODEL",
                   help="the previous model for the before/after table (default: the bundled model)")
    p.add_argument("--provenance", help="text describing the training data, stored in the model")
    p.add_argument("--force", action="store_true",
                   help="allow overwriting the bundled model (its recorded sha256 is updated too)")
    cli._input_flags(p)


def train_command(args) -> int:
    """Run `train` (see the README): read, validate and compare unless --no-validate, save."""
    from .corpus import corpus_sha256, iter_data_files, read_pages
    from .evaluate import evaluate_pages, format_report
    from .label import unreviewed_rows
    from .model import Config, LineClassifier, ModelError, bundled_model_path, save_model
    from .modelio import write_sha256
    from .retrain import add_base, compare_rows, content_key, format_comparison, holdout_folds

    output = Path(args.output)
    if output.is_dir():
        raise CLIError(f"{output} is a directory; -o takes the model file to write")
    try:
        is_bundled = output.resolve() == bundled_model_path().resolve()
    except ModelError:
        is_bundled = False
    if is_bundled and not args.force:
        raise CLIError(f"{output} is the bundled model; pass --force to overwrite it")
    # the previous model, loaded first so a bad --compare-with fails before the long training
    previous = None
    if args.validate:
        try:
            previous = cli._load(args.compare_with)
        except ModelError as exc:
            if args.compare_with:
                raise
            # e.g. a bundled model made with another scikit-learn version: retraining is the way
            # out of that, so it must not be blocked by the comparison
            cli._warn(f"{exc}; validating without comparing with the bundled model")
    t0 = time.perf_counter()
    user = [p for p in cli._read_pages(args.data, args) if p.lines]
    if not user:  # an empty DATA is a mistake even when the base split would fill the gap
        raise CLIError("no labelled pages found in the training data")
    base = []
    if args.base == "bundled":
        base = [p for p in read_pages([cli.bundled_data_path("train")]) if p.lines]
    pages, n_base, n_dup = add_base(user, base)
    _check_classes(pages, "the training data")
    if args.base == "bundled":
        cli._log(f"base: the bundled train split, {n_base} pages"
             + (f" ({n_dup} already in your data, not added twice)" if n_dup else ""))
    marked = unreviewed_rows(iter_data_files(args.data))
    if marked:
        path, row = marked[0]
        cli._log(f"note: {len(marked)} rows of your page files still carry a '?' review mark (first: "
             f"{path}:{row}); each is trained with the label written before the mark")
    n_lines = sum(len(p.lines) for p in pages)
    sources = sorted({p.source or "?" for p in pages})
    cli._log(f"read {len(pages)} pages, {n_lines} lines from {len(args.data)} input(s)"
         f"{' + base' if n_base else ''} (sources: {', '.join(sources)}) in {time.perf_counter() - t0:.1f}s")
    config = Config(random_state=args.seed, crops=args.crops, kinds=args.kinds, kind_chars=args.kind_chars,
                    overlap=args.overlap, overlap_copies=args.overlap_copies, site_columns=args.site_columns,
                    page_gate=args.page_gate)
    weight_of = _parse_weights(args.weight, sources)

    def fit(subset):
        return LineClassifier(config).fit([p.lines for p in subset], [p.labels for p in subset],
                                          [p.group for p in subset],
                                          [weight_of.get(p.source or "?", 1.0) for p in subset], log=cli._log,
                                          categories=[p.categories for p in subset])

    metrics, rows = {}, []
    if args.validate:
        folds, what = holdout_folds(pages, n_base, args.seed)
        held_pages, after = [], []
        for k, (fit_idx, held_idx) in enumerate(folds, 1):
            fit_part = [pages[i] for i in fit_idx]
            if _one_class(fit_part):
                cli._log(f"validation {k}/{len(folds)} skipped: its training pages hold only "
                     f"{_one_class(fit_part)} lines")
                continue
            cli._log(f"validation {k}/{len(folds)}: training on {len(fit_idx)} pages, scoring {len(held_idx)} "
                 f"pages ({what})")
            held = [pages[i] for i in held_idx]
            after.extend(fit(fit_part).predict_proba_pages([p.lines for p in held]))
            held_pages.extend(held)
        if held_pages:
            report = evaluate_pages(held_pages, after, args.threshold, ("source",))
            cli._log(format_report(report, f"validation ({what}):"))
            metrics = {"threshold": args.threshold, "validation": report.to_json()["overall"],
                       "validation_by_source": report.groups}
            if previous is not None:
                before = previous.predict_proba_pages([p.lines for p in held_pages])
                rows.append(compare_rows(what, held_pages, before, after, args.threshold))
    cli._log(f"training the final model on all {len(pages)} pages")
    model = fit(pages)
    if args.validate and previous is not None:
        trained = {content_key(p) for p in pages}
        test_all = [p for p in read_pages([cli.bundled_data_path("test")]) if p.lines]
        test = [p for p in test_all if content_key(p) not in trained]
        name = "bundled test set" + (f" ({len(test_all) - len(test)} pages you trained on left out)"
                                     if len(test) < len(test_all) else "")
        if test:
            rows.append(compare_rows(name, test, previous.predict_proba_pages([p.lines for p in test]),
                                     model.predict_proba_pages([p.lines for p in test]), args.threshold))
        print(format_comparison(rows, args.compare_with or "the bundled model"))
        if not test:
            print(f"bundled test set: all its {len(test_all)} pages are in the training data; not scored")
        metrics["comparison"] = rows
    save_model(model, output,
               training_sha256=corpus_sha256(pages),
               training_command=" ".join(["python -m classifier"] + [shlex.quote(a) for a in args.argv]),
               training_sources=sources,
               source_weights=weight_of,
               training_pages=len(pages), training_lines=n_lines,
               provenance=args.provenance or "",
               metrics=metrics)
    if is_bundled:  # load_bundled() checks this digest before it unpickles the model
        write_sha256(output)
    cli._log(f"wrote {output} ({output.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t0:.1f}s")
    return 0


def _one_class(pages) -> str | None:
    """The only label of the pages' non-blank lines, if they hold one class only."""
    found = {lab for p in pages for line, lab in zip(p.lines, p.labels) if line.strip()}
    return next(iter(found)) if len(found) == 1 else None


def _check_classes(pages, what: str) -> None:
    if not any(line.strip() for p in pages for line in p.lines):
        raise CLIError(f"{what} holds no non-blank lines")
    only = _one_class(pages)
    if only:
        raise CLIError(f"{what} holds one class only ({only} lines); training needs content and boilerplate lines")


def _parse_weights(specs: list[str], sources: list[str]) -> dict[str, float]:
    """--weight SOURCE=W options as a dict; every SOURCE must occur in the data."""
    out = {}
    for spec in specs or []:
        name, sep, value = spec.partition("=")
        try:
            out[name] = float(value)
        except ValueError:
            raise CLIError(f"--weight {spec!r}: expected SOURCE=NUMBER") from None
        if not sep or out[name] <= 0:
            raise CLIError(f"--weight {spec!r}: expected SOURCE=NUMBER with a positive number")
        if name not in sources:
            raise CLIError(f"--weight {spec!r}: no pages with source {name!r} (sources: {', '.join(sources)})")
    return out
