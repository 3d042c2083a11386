"""Validate authored site files in training_data/parts/ against parts/SCHEMA.md.

Usage: python3 training_data/check_parts.py [FILE_OR_DIR ...]   (default: all of parts/)
Prints one line per problem and a summary; exit 1 when anything is wrong.
"""
import json
import re
import sys
from pathlib import Path

PARTS = Path(__file__).resolve().parent / "parts"
LANGS = {"en", "de", "fr", "es", "pt", "it", "nl", "ja", "zh", "ko", "ru", "ar"}
KINDS = {"news", "magazine", "blog", "press", "recipe", "product", "docs", "forum", "listing", "stub"}
CATEGORIES = {"icons", "nav", "breadcrumb", "kicker", "byline", "counters", "share", "paywall",
              "subscribe", "login", "consent", "newsletter", "related", "readmore", "ad", "comments",
              "author_bio", "tags", "pagination", "app", "footer", "about", "error", "misc"}
BLOCKS = {"p", "h", "caption", "quote", "li", "row", "code", "meta", "credit"}
SLOT = re.compile(r"@([A-Z]+)@")
SLOTS = {"AUTHOR", "DATE", "TITLE", "SECTION", "N", "PREV", "NEXT"}


def check_site(path):
    problems = []
    try:
        site = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [f"{path}: not valid JSON: {exc}"], None
    p = lambda msg: problems.append(f"{path.name}: {msg}")  # noqa: E731
    for key in ("site", "name", "lang", "domain", "chrome", "articles"):
        if key not in site:
            p(f"missing key {key!r}")
    if problems:
        return problems, None
    if site["site"] != path.stem:
        p(f"site slug {site['site']!r} differs from file name")
    if site["lang"] not in LANGS:
        p(f"unknown lang {site['lang']!r}")
    if path.parent.name != site["lang"]:
        p(f"file should live in parts/{site['lang']}/")
    chrome = site["chrome"]
    for cat, variants in chrome.items():
        if cat not in CATEGORIES:
            p(f"unknown chrome category {cat!r}")
        if not isinstance(variants, list) or not variants:
            p(f"chrome {cat!r} must be a non-empty list of variants")
            continue
        for v in variants:
            if not isinstance(v, list) or not v or not all(isinstance(s, str) and s.strip() for s in v):
                p(f"chrome {cat!r}: each variant must be a non-empty list of non-empty strings")
                break
            for s in v:
                if s.strip() == "@TITLE@" and cat not in ("breadcrumb",):
                    p(f"chrome {cat!r}: a line that is only @TITLE@ repeats the title as boilerplate")
                for slot in SLOT.findall(s):
                    if slot not in SLOTS:
                        p(f"chrome {cat!r}: unknown slot @{slot}@")
    for need in ("icons", "nav", "footer"):
        if need not in chrome:
            p(f"chrome lacks {need!r}")
    if len(chrome) < 14:
        p(f"only {len(chrome)} chrome categories (need >= 14)")
    arts = site["articles"]
    if not 5 <= len(arts) <= 10:
        p(f"{len(arts)} articles (want 6-8)")
    ids = set()
    for a in arts:
        aid = a.get("id", "?")
        for key in ("id", "kind", "title", "blocks", "author", "date", "section"):
            if key not in a:
                p(f"{aid}: missing {key!r}")
        if aid in ids:
            p(f"duplicate article id {aid}")
        ids.add(aid)
        if not str(aid).startswith(site["site"] + "-"):
            p(f"{aid}: id must start with {site['site']}-")
        if a.get("kind") not in KINDS:
            p(f"{aid}: unknown kind {a.get('kind')!r}")
        for b in a.get("blocks", []):
            if not isinstance(b, list) or len(b) != 2 or b[0] not in BLOCKS or not isinstance(b[1], str) or not b[1].strip():
                p(f"{aid}: bad block {str(b)[:60]}")
        if a.get("kind") not in ("listing", "stub") and sum(1 for b in a.get("blocks", []) if b[0] != "meta") < 3:
            p(f"{aid}: fewer than 3 content blocks")
        # a listing's own content is its title and ONE intro paragraph: with the title alone the
        # page's content would be a single menu-like word (see training_data/README.md)
        if a.get("kind") == "listing" and [b[0] for b in a.get("blocks", []) if isinstance(b, list)] != ["p"]:
            p(f"{aid}: a listing needs exactly one intro paragraph block")
    return problems, site


def main(argv):
    targets = [Path(a) for a in argv] or [PARTS]
    files = []
    for t in targets:
        files.extend(sorted(t.rglob("*.json")) if t.is_dir() else [t])
    problems, sites, pages = [], 0, 0
    for f in files:
        probs, site = check_site(f)
        problems.extend(probs)
        if site:
            sites += 1
            pages += len(site["articles"])
    for line in problems:
        print(line)
    print(f"{len(files)} files, {sites} sites, {pages} articles, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
