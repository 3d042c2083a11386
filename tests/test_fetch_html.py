"""bench/fetch_html.py: which files count as whole pages, and fetching from a local sdist (no network)."""

import gzip
import io
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import fetch_html  # noqa: E402
from fetch_html import FetchError, Source, fetch, is_whole_page, read_manifest  # noqa: E402

FILLER = b"<p>" + b"Some paragraph of an article about nothing in particular. " * 100 + b"</p>"


def page(head: bytes = b"<html lang='en'><head><title>t</title></head><body>", fill: bytes = FILLER) -> bytes:
    return head + fill + b"</body></html>"


def make_sdist(sdists: Path, files: dict[str, bytes], name: str = "pkg-1.0") -> None:
    sdists.mkdir(parents=True, exist_ok=True)
    with tarfile.open(sdists / f"{name}.tar.gz", "w:gz") as tar:
        for path, data in files.items():
            info = tarfile.TarInfo(f"{name}/{path}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


SOURCE = Source("pkg", "1.0", "MIT", ("*/tests/*.html", "*/tests/*.html.gz"), "test pages")


def test_whole_page_with_attributes_and_upper_case_tags_is_kept():
    assert is_whole_page(page(head=b"<!DOCTYPE html>\n<HTML class='x'>\n<HEAD></HEAD><BODY id='b'>"))


def test_page_under_the_size_floor_is_dropped():
    small = page(fill=b"<p>short</p>")
    assert len(small) < fetch_html.MIN_PAGE_BYTES
    assert not is_whole_page(small)


def test_big_fragment_without_html_and_body_is_dropped():
    assert not is_whole_page(b"<div>" + FILLER + b"</div>")


def test_tag_names_that_only_start_with_html_or_body_do_not_count():
    assert not is_whole_page(b"<htmlx><bodyguard>" + FILLER + b"</bodyguard></htmlx>")


def test_fetch_keeps_whole_pages_once_and_writes_the_manifest(tmp_path):
    make_sdist(tmp_path / "sdists", {
        "tests/article.html": page(),
        "tests/same_again.html": page(),  # byte-identical: kept once
        "tests/snippet.html": b"<ul><li>a</li></ul>",
        "tests/zipped.html.gz": gzip.compress(page(fill=FILLER + b"<p>another</p>")),
        "docs/elsewhere.html": page(fill=FILLER + b"<p>not matched</p>"),
    })
    rows = fetch(tmp_path, sources=(SOURCE,), log=lambda *a: None)
    assert [r["member"] for r in rows] == ["pkg-1.0/tests/article.html", "pkg-1.0/tests/zipped.html.gz"]
    assert read_manifest(tmp_path) == rows
    assert (tmp_path / "pages" / "pkg__tests_zipped.html").read_bytes().startswith(b"<html")


def test_failed_pip_download_is_one_line_fetch_error(tmp_path, monkeypatch):
    def failing_pip(cmd, **kwargs):
        return subprocess.CompletedProcess(cmd, 1, "", "WARNING: retrying\nERROR: No matching distribution found for pkg==1.0\n")

    monkeypatch.setattr(fetch_html.subprocess, "run", failing_pip)
    with pytest.raises(FetchError, match=r"pip download pkg==1.0 failed: ERROR: No matching distribution") as e:
        fetch_html.download(SOURCE, tmp_path)
    assert "\n" not in str(e.value)


def test_main_reports_a_fetch_error_in_one_line_and_exits_1(tmp_path, monkeypatch, capsys):
    def no_network(source, sdists):
        raise FetchError("pip download pkg==1.0 failed: network unreachable")

    monkeypatch.setattr(fetch_html, "download", no_network)
    assert fetch_html.main(["--dir", str(tmp_path)]) == 1
    assert capsys.readouterr().err == "fetch_html: error: pip download pkg==1.0 failed: network unreachable\n"
