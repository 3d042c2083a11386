"""Generate the bundled labelled corpus from the authored parts in training_data/parts/.

Each parts file is one invented site: its chrome (boilerplate blocks by category) and its pages'
content. This script lays every page out the way a naive scraper would render that site: a
site-specific template (which chrome blocks appear, in which order, in which region) chosen once
per site, then per-page variation (optional blocks, variants, mid-article ads, paywall cut-offs),
and scrape mess (hard-wrapped lines, desktop and mobile copies of a block, run-together lines,
stray punctuation lines, very long lines). Every line gets its label and a category.

Deterministic: the same parts give byte-identical output (all randomness is seeded from the
site slug). Writes training_data/train.jsonl and training_data/test.jsonl, split by site.

    python training_data/generate.py          # regenerate both splits
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PARTS = HERE / "parts"
SEED = "linesift-corpus-v1"
SOURCE = "linesift"

# Test sites: chosen by hand so the test split covers every language and page kind (one site
# per non-English language, eight English sites of different kinds), 25-30% of the pages.
TEST_SITES = {
    "ar-matbakh-sitti", "de-stapel-docs", "es-el-meridiano", "fr-palimpseste", "it-casa-ardesia",
    "ja-touwan-nippo", "ko-dubakwi-maeul", "nl-trapkracht", "pt-forum-pedaleiros",
    "ru-poligon-tech", "zh-yunsuo-docs", "a-lakeshore-dispatch", "a-eastmoor-university",
    "a-spokes-and-spades", "b-crumb-and-ladle", "b-tinkerbench", "b-plotholders-forum",
    "c-lantern-review", "c-ferrule-docs",
    # second batch of sites: the same rule, about 30% of its pages
    "d-federal-courier", "d-bytehollow-answers", "e-linden-and-loom", "e-brindle-docs",
    "e-skillet-and-sprig", "h-tidewater-audio", "de-schrauberhalle-forum", "fr-la-voix-du-causse",
    "es-rumbo-lento", "nl-pan-en-pollepel", "ru-strizh-docs", "zh-jinlan-caijing", "ar-raqmi-mag",
    "ko-bapsang-ilgi",
}

CONTENT_CATEGORY = {"p": "body", "h": "heading", "caption": "caption", "quote": "quote", "li": "list",
                    "row": "table", "code": "code", "credit": "credit"}
HEADER_CATS = ["consent", "misc", "icons", "nav", "login", "app", "subscribe", "ad"]
PRE_TITLE_CATS = ["breadcrumb", "kicker", "icons"]
POST_TITLE_CATS = ["byline", "counters", "share", "icons", "misc"]
AFTER_CATS = ["tags", "share", "author_bio", "newsletter", "related", "comments", "pagination", "ad",
              "readmore", "app", "login"]
FOOTER_CATS = ["nav", "newsletter", "app", "footer", "icons", "consent", "misc"]
# Chrome about one article (who wrote it, when, how long, reader comments): a listing page is an
# index of other pages and shows none of it. Its kicker would repeat its own title (the section).
ARTICLE_ONLY_CATS = {"kicker", "byline", "counters", "author_bio", "comments"}
PUNCT_LINES = ["|", "•", "·", "—", "›", ">", "/", "…", "-", "×", "+"]


def _rng(*parts: str) -> random.Random:
    digest = hashlib.sha256("/".join((SEED,) + parts).encode("utf-8")).hexdigest()
    return random.Random(int(digest[:16], 16))


class Page:
    """Accumulates (line, label, category) rows for one page."""

    def __init__(self):
        self.rows: list[tuple[str, str, str]] = []
        self.deferred: list[tuple[str, str, str]] = []  # mobile copies, rendered before the footer

    def add(self, line: str, label: str, category: str) -> None:
        line = re.sub(r"\s+", " ", line).strip()
        if line:
            self.rows.append((line, label, category))

    def chrome(self, lines, category):
        for line in lines:
            self.add(line, "boilerplate", category)


class SiteTemplate:
    """The per-site layout: which chrome categories sit in which region, and scrape habits."""

    def __init__(self, site: dict):
        self.site = site
        self.chrome = site["chrome"]
        r = _rng(site["site"], "template")
        have = lambda cats: [c for c in cats if c in self.chrome]  # noqa: E731
        self.header = r.sample(have(HEADER_CATS), k=min(len(have(HEADER_CATS)), r.randint(2, 5)))
        if "nav" in self.chrome and "nav" not in self.header:
            self.header.append("nav")
        self.pre_title = r.sample(have(PRE_TITLE_CATS), k=min(len(have(PRE_TITLE_CATS)), r.randint(0, 2)))
        self.post_title = r.sample(have(POST_TITLE_CATS), k=min(len(have(POST_TITLE_CATS)), r.randint(1, 3)))
        self.after = r.sample(have(AFTER_CATS), k=min(len(have(AFTER_CATS)), r.randint(3, 7)))
        self.footer = r.sample(have(FOOTER_CATS), k=min(len(have(FOOTER_CATS)), r.randint(2, 4)))
        if "footer" not in self.footer:
            self.footer.append("footer")
        # fixed variant choice per category, so pages of one site share their template
        self.variant = {c: r.randrange(len(v)) for c, v in self.chrome.items()}
        self.wrap_width = r.choice([0, 0, 0, 48, 64, 80])     # hard-wrapped content (<br> sites)
        self.wrap_chrome = r.random() < 0.3                  # prose-like offers wrapped, as on the seed
        self.dup_prob = r.choice([0.0, 0.1, 0.25])           # desktop + mobile copies of a block
        self.glue_prob = r.choice([0.0, 0.1, 0.25])           # two chrome lines run together
        self.punct_prob = r.choice([0.0, 0.05, 0.15])         # stray separator lines
        self.one_line_nav = r.random() < 0.35                 # menus rendered as one long line
        self.ad_every = r.choice([0, 3, 4, 6])                # mid-article ads every N paragraphs
        self.inline_related = r.random() < 0.4                # "Read also: <title>" inside the body
        self.teaser_blurbs = r.random() < 0.6                 # related lists show standfirsts too


def fill(line: str, article: dict, r: random.Random, prev: str = "", next_: str = "") -> str:
    """Fill the slots of one chrome line; @PREV@/@NEXT@ are the titles of the neighbouring pages
    (a pager never shows the page's own title: that line would be the title, labelled boilerplate)."""
    return (line.replace("@AUTHOR@", article.get("author", ""))
                .replace("@PREV@", prev).replace("@NEXT@", next_)
                .replace("@DATE@", article.get("date", ""))
                .replace("@TITLE@", article.get("title", ""))
                .replace("@SECTION@", article.get("section", ""))
                .replace("@N@", str(r.choice([2, 3, 4, 5, 7, 9, 12, 14, 18, 23, 31, 47, 86, 112]))))


def wrap(text: str, width: int) -> list[str]:
    """Hard-wrap at spaces (no-space scripts are cut by characters)."""
    if width <= 0 or len(text) <= width:
        return [text]
    if " " not in text:
        return [text[i:i + width] for i in range(0, len(text), width)]
    out, cur = [], ""
    for word in text.split(" "):
        if cur and len(cur) + 1 + len(word) > width:
            out.append(cur)
            cur = word
        else:
            cur = f"{cur} {word}" if cur else word
    if cur:
        out.append(cur)
    return out


class Renderer:
    def __init__(self, site: dict):
        self.site = site
        self.t = SiteTemplate(site)
        self.articles = site["articles"]

    def neighbours(self, article: dict) -> tuple[str, str]:
        """Titles of the previous and next page of the site (in parts order, wrapping around)."""
        if article not in self.articles:  # the error page
            return "", ""
        i = self.articles.index(article)
        return self.articles[i - 1]["title"], self.articles[(i + 1) % len(self.articles)]["title"]

    def block(self, page: Page, category: str, article: dict, r: random.Random, fresh: bool = False):
        """Emit one chrome block (the site's usual variant, sometimes another one)."""
        variants = self.t.chrome.get(category)
        if not variants:
            return
        idx = r.randrange(len(variants)) if fresh or r.random() < 0.3 else self.t.variant[category]
        lines = [fill(s, article, r, *self.neighbours(article)) for s in variants[idx]]
        if category == "nav" and self.t.one_line_nav and len(lines) > 3:
            lines = [r.choice(["  ", " | ", " · ", " "]).join(lines)]
        if self.t.glue_prob and len(lines) > 1 and r.random() < self.t.glue_prob:
            i = r.randrange(len(lines) - 1)
            lines[i:i + 2] = [lines[i] + lines[i + 1]]     # inline elements with no space between
        copies = 2 if r.random() < self.t.dup_prob else 1
        for copy in range(copies):
            start = len(page.rows)
            for line in lines:
                if self.t.wrap_chrome and len(line) > 60 and r.random() < 0.5:
                    page.chrome(wrap(line, r.choice([40, 50, 60])), category)
                else:
                    page.add(line, "boilerplate", category)
            if self.t.punct_prob and r.random() < self.t.punct_prob:
                page.add(r.choice(PUNCT_LINES), "boilerplate", "punct")
            if copy == 1 and r.random() < 0.6:  # the mobile copy usually sits elsewhere in the DOM
                page.deferred.extend(page.rows[start:])
                del page.rows[start:]

    def teasers(self, page: Page, article: dict, r: random.Random, count: int, blurbs: bool):
        others = [a for a in self.articles if a is not article and a["kind"] not in ("listing",)]
        for other in r.sample(others, k=min(count, len(others))):
            page.add(other["title"], "boilerplate", "teaser")
            if blurbs and r.random() < 0.7:
                text = other.get("standfirst") or next((b[1] for b in other["blocks"] if b[0] == "p"), "")
                if text:
                    page.add(blurb(text, r), "boilerplate", "teaser")
            if r.random() < 0.3:
                page.add(other.get("date", ""), "boilerplate", "byline")

    def content(self, page: Page, kind: str, text: str, category: str, r: random.Random):
        width = self.t.wrap_width
        if width and kind in ("p", "quote") and r.random() < 0.8:
            for part in wrap(text, width):
                page.add(part, "content", category)
        else:
            page.add(text, "content", category)

    def body(self, page: Page, article: dict, r: random.Random, cut: int | None):
        paragraphs = 0
        for i, (kind, text) in enumerate(article["blocks"]):
            if cut is not None and paragraphs >= cut:
                return
            if kind == "meta":
                page.add(text, "boilerplate", "meta")
                continue
            self.content(page, kind, text, CONTENT_CATEGORY[kind], r)
            if kind == "p":
                paragraphs += 1
                if self.t.ad_every and paragraphs % self.t.ad_every == 0 and i < len(article["blocks"]) - 1:
                    self.block(page, "ad", article, r)
                if self.t.inline_related and paragraphs == 2 and "related" in self.t.chrome and r.random() < 0.5:
                    self.inline_teaser(page, article, r)

    def inline_teaser(self, page: Page, article: dict, r: random.Random):
        """A link to another page between two paragraphs. Sites mark it ("Read also", "More
        from ..."): a bare title there would read exactly like an in-body subheading."""
        others = [a for a in self.articles if a is not article and a["kind"] != "listing"]
        title = r.choice(others)["title"]
        own = _rng(self.site["site"], article["id"], "inline")  # leaves the page's other draws as they were
        label = fill(self.t.chrome["related"][self.t.variant["related"]][0], article, own).strip()
        if own.random() < 0.5:
            page.add(label, "boilerplate", "related")
            page.add(title, "boilerplate", "teaser")
        else:
            page.add(f"{label.rstrip(':：')}: {title}", "boilerplate", "teaser")

    def render(self, article: dict) -> Page:
        r = _rng(self.site["site"], article["id"])
        t, page, kind = self.t, Page(), article["kind"]
        skip = ARTICLE_ONLY_CATS if kind == "listing" else set()
        for cat in t.header:
            if cat == "nav" or r.random() < 0.8:
                self.block(page, cat, article, r)
        for cat in t.pre_title:
            if r.random() < 0.85 and cat not in skip:
                self.block(page, cat, article, r)
        page.add(article["title"], "content", "title")
        if article.get("standfirst"):
            self.content(page, "p", article["standfirst"], "standfirst", r)
        for cat in t.post_title:
            if r.random() < 0.8 and cat not in skip:
                self.block(page, cat, article, r)
        if kind == "listing":
            self.body(page, article, r, None)
            self.teasers(page, article, r, r.randint(5, 12), True)
            self.block(page, "pagination", article, r)
        elif kind == "stub":
            self.body(page, article, r, r.randint(1, 2))
            for cat in ("paywall", "subscribe", "login"):
                self.block(page, cat, article, r, fresh=True)
            if r.random() < 0.5:
                self.block(page, "paywall", article, r, fresh=True)
        else:
            paywalled = "paywall" in t.chrome and kind in ("news", "magazine") and r.random() < 0.25
            self.body(page, article, r, r.randint(2, 4) if paywalled else None)
            if paywalled:
                self.block(page, "paywall", article, r)
                self.block(page, "subscribe", article, r)
            if kind == "press" and "about" in t.chrome:
                self.block(page, "about", article, r)
        for cat in t.after:
            if r.random() < 0.7 and cat not in skip:
                self.block(page, cat, article, r)
                if cat == "related":
                    self.teasers(page, article, r, r.randint(2, 6), t.teaser_blurbs)
        page.rows.extend(page.deferred)
        page.deferred = []
        for cat in t.footer:
            if cat == "footer" or r.random() < 0.75:
                self.block(page, cat, article, r)
        return page

    def render_error(self) -> Page:
        article = {"id": "error", "title": "", "author": "", "date": "", "section": ""}
        r = _rng(self.site["site"], "error")
        page = Page()
        for cat in self.t.header:
            self.block(page, cat, article, r)
        self.block(page, "error", article, r, fresh=True)
        if "related" in self.t.chrome:
            self.block(page, "related", article, r)
            self.teasers(page, article, r, r.randint(3, 5), False)
        page.rows.extend(page.deferred)
        for cat in self.t.footer:
            self.block(page, cat, article, r)
        return page


def blurb(text: str, r: random.Random) -> str:
    """A teaser blurb as listings show one: a standfirst, or a paragraph's first sentence,
    often cut off with an ellipsis; never a whole multi-sentence paragraph."""
    first = re.split(r"(?<=[.!?。！？])\s*", text, maxsplit=1)[0] or text
    if len(first) > 170 or r.random() < 0.4:
        cut = first[: r.randint(70, 150)]
        return (cut.rsplit(" ", 1)[0] if " " in cut else cut) + "…"
    return first


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:60] or hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]


def record(site: dict, page_id: str, kind: str, url: str, page: Page) -> dict:
    return {
        "id": page_id, "source": SOURCE, "site": site["site"], "url": url,
        "lines": [row[0] for row in page.rows],
        "labels": [row[1] for row in page.rows],
        "categories": [row[2] for row in page.rows],
        "meta": {"lang": site["lang"], "kind": kind, "domain": site["domain"]},
    }


def generate(parts: Path = PARTS) -> dict[str, list[dict]]:
    splits: dict[str, list[dict]] = {"train": [], "test": []}
    for path in sorted(parts.glob("*/*.json")):
        site = json.loads(path.read_text(encoding="utf-8"))
        renderer = Renderer(site)
        split = "test" if site["site"] in TEST_SITES else "train"
        for article in site["articles"]:
            section = slugify(article.get("section", "news"))
            url = f"https://{site['domain']}/{section}/{slugify(article['title'])}"
            splits[split].append(record(site, article["id"], article["kind"], url, renderer.render(article)))
        if "error" in site["chrome"]:
            url = f"https://{site['domain']}/{slugify(site['articles'][0]['title'])}-old"
            splits[split].append(record(site, f"{site['site']}-404", "error", url, renderer.render_error()))
    return splits


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else HERE
    for name, pages in generate().items():
        with open(out / f"{name}.jsonl", "w", encoding="utf-8", newline="\n") as fh:
            for page in pages:
                fh.write(json.dumps(page, ensure_ascii=False) + "\n")
        print(f"{name}: {len(pages)} pages, {sum(len(p['lines']) for p in pages)} lines -> {out / (name + '.jsonl')}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
