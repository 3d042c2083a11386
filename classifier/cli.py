"""Command line: predict, train, evaluate, label and stats, as `python -m classifier` or `linesift`.
(`train` itself lives in cli_train.py.)

Errors are reported on stderr as one line ("linesift: error: ...") with exit status 2 (usage) or
1 (bad data or model); no tracebacks for expected problems.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import time
from pathlib import Path

from .labels import Label, labels_from_proba

PROG = "linesift"


class CLIError(Exception):
    """An expected failure, reported as one line on stderr."""


# ----- paths of bundled things -----------------------------------------------------------

def bundled_data_path(split: str) -> Path:
    from .model import bundled_file

    found = bundled_file("training_data", f"{split}.jsonl")
    if found is None:
        raise CLIError(f"the bundled {split} set training_data/{split}.jsonl is missing")
    return found


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _load(path: str | None):
    from .model import load_bundled, load_model
    return load_model(path) if path else load_bundled()


def _warn(msg: str) -> None:
    print(f"{PROG}: warning: {msg}", file=sys.stderr, flush=True)


def _read_pages(paths, args):
    """read_pages with the --encoding-errors and --on-error choices; skipped records are named
    in one warning each, then counted."""
    from .corpus import read_pages

    skipped = []

    def warn(msg: str) -> None:
        skipped.append(msg)
        _warn(msg)

    pages = read_pages(paths, True, args.encoding_errors, args.on_error, warn)
    if skipped:
        _warn(f"skipped {len(skipped)} bad record(s) or page file(s); read {len(pages)} pages")
    return pages


# ----- predict -----------------------------------------------------------------------------

def _read_text(name: str, errors: str = "strict") -> str:
    if name == "-":
        data = sys.stdin.buffer.read()
    else:
        p = Path(name)
        if p.is_dir():
            raise CLIError(f"{name} is a directory; pass the page files inside it")
        try:
            data = gzip.open(p).read() if name.endswith(".gz") else p.read_bytes()
        except FileNotFoundError:
            raise CLIError(f"{name}: no such file") from None
        except (gzip.BadGzipFile, EOFError) as exc:
            raise CLIError(f"{name}: not a valid gzip file ({exc})") from None
    try:
        return data.decode("utf-8", errors)
    except UnicodeDecodeError as exc:
        raise CLIError(f"{name}: not UTF-8 at byte offset {exc.start}{_HINT}") from None


def _atomic_output(target: Path):
    """A temporary path beside `target`, checked to be writable there, for write-then-rename:
    a failed run never leaves a truncated output, and `-o` naming an input cannot wipe it."""
    if not target.parent.is_dir():
        raise CLIError(f"{target.parent}: no such directory for the output")
    return target.with_name(f".{target.name}.{os.getpid()}.tmp")


def cmd_predict(args) -> int:
    if args.site is not None and not args.site.strip():
        raise CLIError("--site needs a site name")
    if args.jsonl:
        if args.site is not None:
            raise CLIError("--site works with page text files; with --jsonl, --site-memory reads each record's site")
        return _predict_jsonl(args)
    if args.site_memory:
        raise CLIError("--site-memory works with --jsonl; page text files of one site take --site NAME")
    if args.jobs != 1:
        raise CLIError("-j/--jobs works with --jsonl input only")
    model = _load(args.model)
    if not args.output:
        return _predict(args, model, sys.stdout)
    target = Path(args.output)
    tmp = _atomic_output(target)
    try:
        with open(tmp, "w", encoding="utf-8") as out:
            status = _predict(args, model, out)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
    return status


def _predict_jsonl(args) -> int:
    from .batch import BadRecord, run_batch

    if args.jobs < 1:
        raise CLIError(f"-j/--jobs must be at least 1, got {args.jobs}")
    # with workers the model loads in them only: this process stays small (no scikit-learn)
    model = _load(args.model) if args.jobs == 1 else None
    progress = sys.stderr.isatty() if args.progress is None else args.progress
    options = dict(model=model, model_path=args.model, jobs=args.jobs,
                   threshold=args.threshold, clean=args.clean, on_error=args.on_error,
                   replace_errors=args.encoding_errors == "replace", progress=progress,
                   warn=lambda bad: _log(f"{PROG}: warning: {bad}, skipped" if args.on_error == "skip"
                                         else f"{PROG}: error: {bad}"), sites=args.site_memory)
    target = Path(args.output) if args.output else None
    tmp = _atomic_output(target) if target else None
    try:
        if target:
            with open(tmp, "wb") as out:
                summary = run_batch(args.files, out, compress=target.name.endswith(".gz"), **options)
            os.replace(tmp, target)
        else:
            summary = run_batch(args.files, sys.stdout.buffer, **options)
            sys.stdout.flush()
    except BadRecord as exc:  # an input that cannot be read at all
        raise CLIError(str(exc)) from None
    finally:
        if tmp is not None and tmp.exists():
            tmp.unlink()
    if summary.n_bad and args.on_error == "skip":
        more = summary.n_bad - len(summary.bad)
        _log(f"{PROG}: warning: skipped {summary.n_bad} bad record(s)"
             + (f" ({more} not shown)" if more else "") + f"; wrote {summary.pages} page(s)")
    return 1 if summary.n_bad and args.on_error == "stop" else 0


def _predict(args, model, out) -> int:
    from .lines import split_lines
    pages = (split_lines(_read_text(name, args.encoding_errors)) for name in args.files)
    if args.site:  # the files are pages of one site: predicted together, they inform each other
        pages = list(pages)
        scored = zip(pages, model.predict_proba_pages(pages, sites=[args.site] * len(pages)))
    else:  # one file at a time
        scored = ((lines, model.predict_proba(lines)) for lines in pages)
    for name, (lines, probs) in zip(args.files, scored):
        if len(args.files) > 1:
            out.write(f"# {name}\n")
        for line, p, label in zip(lines, probs, labels_from_proba(probs, args.threshold)):
            if not args.clean:
                out.write(f"{label}\t{p:.3f}\t{line}\n")
            elif label == Label.CONTENT:
                out.write(line + "\n")
    return 0


# ----- train -------------------------------------------------------------------------------

def cmd_train(args) -> int:
    from .cli_train import train_command
    return train_command(args)


# ----- evaluate ----------------------------------------------------------------------------

def cmd_evaluate(args) -> int:
    from .evaluate import evaluate_pages, format_report

    data = args.data or [str(bundled_data_path("test"))]
    model = _load(args.model)
    pages = [p for p in _read_pages(data, args) if p.lines]
    if not pages:
        raise CLIError("no labelled pages to evaluate")
    t0 = time.perf_counter()
    probs = model.predict_proba_pages([p.lines for p in pages],
                                      sites=[p.group for p in pages] if args.site_memory else None)
    seconds = time.perf_counter() - t0
    group_by = tuple(args.by.split(",")) if args.by else ("source", "kind", "lang")
    report = evaluate_pages(pages, probs, args.threshold, group_by)
    print(format_report(report, f"{len(pages)} pages from {', '.join(data)}; model {args.model or 'bundled'}"))
    if args.json:
        payload = report.to_json()
        payload.update({"data": data, "model": args.model or "bundled", "threshold": args.threshold,
                        "site_memory": args.site_memory, "predict_seconds": seconds})
        Path(args.json).write_text(json.dumps(payload, indent=2), encoding="utf-8")
    return 0


# ----- label -------------------------------------------------------------------------------

def cmd_label(args) -> int:
    from .corpus import write_page_file
    from .label import UNCERTAIN_BAND, page_file_names, prelabel, read_raw_pages

    band = args.uncertain or UNCERTAIN_BAND
    pages = read_raw_pages(args.files, site=args.site)
    if not pages:
        raise CLIError("no pages found in the input")
    out_dir = Path(args.output)
    if out_dir.exists() and not out_dir.is_dir():
        raise CLIError(f"{out_dir} exists and is not a folder")
    targets = [out_dir / name for name in page_file_names(pages)]
    existing = [t for t in targets if t.exists()]
    if existing and not args.force:
        raise CLIError(f"{existing[0]} exists ({len(existing)} of {len(targets)} page files would be "
                       "overwritten); pass --force to overwrite, or choose another folder")
    model = _load(args.model)
    done = prelabel(model, pages, band, args.threshold, site_memory=args.site_memory)
    out_dir.mkdir(parents=True, exist_ok=True)
    width = max(len(t.name) for t in targets)
    print(f"{'page file':{width}} {'lines':>6} {'uncertain':>9}")
    for item, target in zip(done, targets):
        write_page_file(item.page, target, marks=item.columns)
        print(f"{target.name:{width}} {len(item.page.lines):>6} {item.uncertain:>9}")
    total, uncertain = sum(len(d.page.lines) for d in done), sum(d.uncertain for d in done)
    print(f"{'total':{width}} {total:>6} {uncertain:>9}")
    print(f"wrote {len(done)} page files to {out_dir}; {uncertain} lines with {band[0]} <= P(content) < "
          f"{band[1]} are marked '?': check them, fix the label word if wrong, delete the mark")
    return 0


def _band(text: str) -> tuple[float, float]:
    low, sep, high = text.partition(",")
    if not sep:
        raise argparse.ArgumentTypeError(f"{text!r}: expected LOW,HIGH, e.g. 0.1,0.9")
    band = (_probability(low.strip()), _probability(high.strip()))
    if band[0] > band[1]:
        raise argparse.ArgumentTypeError(f"{text!r}: LOW is above HIGH")
    return band


def _default_band() -> str:
    from .label import UNCERTAIN_BAND
    return ",".join(map(str, UNCERTAIN_BAND))


# ----- stats -------------------------------------------------------------------------------

def cmd_stats(args) -> int:
    from collections import Counter

    pages = _read_pages(args.data or [str(bundled_data_path(s)) for s in ("train", "test")], args)
    labels = Counter(lab for p in pages for lab in (p.labels or []))
    total = sum(labels.values())
    print(f"pages: {len(pages)}   sites: {len({p.group for p in pages})}   lines: {total}")
    print("labels: " + ", ".join(f"{k} {v} ({v / max(total, 1):.1%})" for k, v in sorted(labels.items())))
    for key in ("lang", "kind"):
        counts = Counter(str(p.meta.get(key, "?")) for p in pages)
        sites = {k: len({p.group for p in pages if str(p.meta.get(key, "?")) == k}) for k in counts}
        print(f"{key}: " + ", ".join(f"{k} {v}p/{sites[k]}s" for k, v in sorted(counts.items())))
    cats = Counter((c, lab) for p in pages if p.categories for c, lab in zip(p.categories, p.labels))
    if cats:
        print("categories (lines, pages with it):")
        for (cat, lab), n in sorted(cats.items(), key=lambda kv: (kv[0][1], -kv[1])):
            on = sum(1 for p in pages if p.categories and cat in p.categories)
            print(f"  {lab:<12} {cat:<12} {n:>6} {on:>5}")
    return 0


# ----- main --------------------------------------------------------------------------------

def _probability(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{value} is not a probability between 0 and 1")
    return value


_HINT = "; --encoding-errors replace decodes such bytes as U+FFFD"


def _input_flags(p: argparse.ArgumentParser) -> None:
    """--encoding-errors and --on-error for commands reading labelled pages (predict has its own)."""
    p.add_argument("--encoding-errors", choices=("strict", "replace"), default="strict",
                   help="bytes that are not UTF-8: stop with the file and byte offset (strict, default) "
                        "or decode them as U+FFFD (replace)")
    p.add_argument("--on-error", choices=("stop", "skip"), default="stop",
                   help="a bad JSONL record or page file: stop with its file:line (default) or skip "
                        "it with a warning naming it")


def build_parser() -> argparse.ArgumentParser:
    from .cli_train import add_train_arguments
    from .labels import DEFAULT_THRESHOLD

    parser = argparse.ArgumentParser(prog=PROG, description="Label scraped page lines as content or boilerplate.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("predict", help="label the lines of pages")
    p.add_argument("files", nargs="+", metavar="FILE", help="page text files, or - for stdin")
    p.add_argument("--clean", action="store_true", help="print only the content lines")
    p.add_argument("--jsonl", action="store_true", help="read and write JSONL pages")
    p.add_argument("--model", help="model file (default: the bundled model)")
    p.add_argument("--threshold", type=_probability, default=DEFAULT_THRESHOLD,
                   help="P(content) a line needs to be content (default %(default)s; higher keeps less)")
    p.add_argument("-o", "--output", help="write here instead of stdout (with --jsonl, a .gz name is gzipped)")
    p.add_argument("-j", "--jobs", type=int, default=1, metavar="N",
                   help="with --jsonl: worker processes, each loading the model once (default 1)")
    p.add_argument("--on-error", choices=("skip", "stop"), default="skip",
                   help="with --jsonl: a bad record is reported and skipped (default) or stops the run "
                        "after the records before it are written (exit status 1)")
    p.add_argument("--encoding-errors", choices=("strict", "replace"), default="strict",
                   help="bytes that are not UTF-8: with --jsonl the record is a bad record, in a page text "
                        "file an error giving the byte offset (strict, default); or decode them with U+FFFD "
                        "replacement characters (replace)")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress with pages/s on stderr (default: when stderr is a terminal)")
    p.add_argument("--site", metavar="NAME",
                   help="the FILEs are pages of one site: predict them together, so that lines recurring "
                        "across them count as template (site evidence, see README)")
    p.add_argument("--site-memory", action="store_true",
                   help="with --jsonl: consecutive records of one site (site, meta.domain or URL host) are "
                        "predicted together and inform each other; give the input grouped by site")
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser("train", help="train a model from labelled pages")
    add_train_arguments(p)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("evaluate", help="score a model on labelled pages (default: the bundled test set)")
    p.add_argument("data", nargs="*", metavar="DATA")
    p.add_argument("--model", help="model file (default: the bundled model)")
    p.add_argument("--threshold", type=_probability, default=DEFAULT_THRESHOLD,
                   help="P(content) a line needs to be content (default %(default)s)")
    p.add_argument("--by", help="comma-separated groupings: source,kind,lang,site (default source,kind,lang)")
    p.add_argument("--json", help="also write the numbers to this JSON file")
    p.add_argument("--site-memory", action="store_true",
                   help="let pages of one site (site, meta.domain or URL host) inform each other: lines "
                        "recurring on the site's pages are likely template (see README)")
    _input_flags(p)
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("label", help="pre-label raw pages into page files to correct by hand")
    p.add_argument("files", nargs="+", metavar="PAGES",
                   help="raw pages: text files (one page each), JSONL pages, or directories of them")
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="folder for the page files")
    p.add_argument("--model", help="model file (default: the bundled model)")
    p.add_argument("--threshold", type=_probability, default=DEFAULT_THRESHOLD,
                   help="P(content) a line needs to be labelled content (default %(default)s)")
    p.add_argument("--uncertain", type=_band, metavar="LOW,HIGH",
                   help="mark lines with LOW <= P(content) < HIGH for review (default "
                        f"{_default_band()})")
    p.add_argument("--site", help="site name written into pages that have none (e.g. for text files)")
    p.add_argument("--site-memory", action="store_true",
                   help="let pages of one site inform each other before labelling (see README)")
    p.add_argument("--force", action="store_true", help="overwrite existing page files")
    p.set_defaults(func=cmd_label)

    p = sub.add_parser("stats", help="corpus statistics (default: the bundled corpus)")
    p.add_argument("data", nargs="*", metavar="DATA")
    _input_flags(p)
    p.set_defaults(func=cmd_stats)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = argv
    from .corpus import NotUTF8Error
    try:
        return args.func(args)
    except NotUTF8Error as exc:
        hint = "" if getattr(args, "jsonl", False) else _HINT  # predict --jsonl reads records its own way
        print(f"{PROG}: error: {exc}{hint}", file=sys.stderr)
        return 1
    except (CLIError, ValueError) as exc:  # CorpusError and ModelError are ValueErrors too; and
        # e.g. one-class training data is reported by the estimator as a ValueError
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly
        # point stdout at devnull so the interpreter's final flush does not fail again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:
        print(f"{PROG}: error: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
