"""(1) Reference discovery: ``extract_article`` articles/s over fixture + generated articles, beside lxml alone."""

from __future__ import annotations

import cProfile
import time
from pathlib import Path

from lxml import html as lxml_html

from bench.util import ROOT, Result, article_page, bulk_embeds, ratio, top_functions

NAME = "discovery"
TITLE = "Reference discovery"
FIXTURE_DIRS = ("tests/fixtures/articles", "tests/fixtures/embeds", "tests/fixtures/embeds/other_platforms",
                "tests/fixtures/forms")
EXTRA_BUDGET = 0.25  # issue 13: the passes for placeholders, cards, screenshots and page state may add ≤ 25%


def corpus(generated: int) -> list[tuple[str, bytes]]:
    """(url, bytes) for every fixture article/embed page, the demo article, and ``generated`` synthetic articles."""
    from fakeweb.news import ARTICLE_URL, article_html

    docs: list[tuple[str, bytes]] = []
    for folder in FIXTURE_DIRS:
        for path in sorted((ROOT / folder).glob("*.html")):
            docs.append((f"https://news.example/fixtures/{Path(folder).name}/{path.name}", path.read_bytes()))
    docs.append((ARTICLE_URL, article_html().encode()))
    pool = bulk_embeds(0, 40)
    for i in range(generated):
        count = i % 13  # 0 … 12 embeds
        embeds = [pool[(i + k) % len(pool)] for k in range(count)]
        links = "".join(f'<p>As <a href="https://x.com/demo_newsroom/status/{1895625026565046453 + k}">one post</a> '
                        "put it, the debate continues.</p>" for k in range(i % 4))
        page = article_page(f"Generated article {i}", embeds, paragraphs_between=1 + i % 3,
                            extra_html=links + _chrome(i))
        docs.append((f"https://news.example/generated/{i}", page.encode()))
    return docs


def _chrome(i: int) -> str:
    """Site furniture real pages carry (related links, footer, an inline state script): ~40-80 KiB."""
    related = "".join(f'<li><a href="https://news.example/story/{i}-{k}">Related story {k} about the week</a></li>'
                      for k in range(40 + i % 40))
    footer = "".join(f'<a href="https://news.example/section/{k}">Section {k}</a> ' for k in range(60))
    state = ",".join(f'{{"id":{k},"slug":"story-{i}-{k}","title":"Headline number {k}","tags":["a","b","c"]}}'
                     for k in range(250 + 5 * (i % 50)))
    return (f'<aside class="related"><h2>More</h2><ul>{related}</ul></aside><footer>{footer}</footer>'
            f'<script>window.__STATE__={{"stories":[{state}]}}</script>')


def _rate(fn, docs: list[tuple[str, bytes]], min_seconds: float) -> tuple[float, int]:
    """Documents per second over as many whole passes as fit in ``min_seconds`` (at least one)."""
    passes, start = 0, time.perf_counter()
    while True:
        for url, data in docs:
            fn(data, url)
        passes += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return passes * len(docs) / elapsed, passes


def _lxml_only(data: bytes, url: str) -> None:
    lxml_html.document_fromstring(data)


def _without_form_passes_seconds(docs: list[tuple[str, bytes]], rounds: int = 3) -> tuple[float, float]:
    """CPU seconds of ``extract_article`` over *docs* with and without the issue-13 passes (consent
    placeholders, post anchors, cards, screenshots, URL placeholders, the JSON state walk), interleaved in
    one process and best of *rounds*: the passes are swapped for no-ops, so the rest is exactly today's."""
    import crawlers.discovery as discovery

    passes = {"unwrap_placeholders": lambda doc, source=None: 0, "post_anchors": lambda doc: [],
              "find_card_embeds": lambda anchors, claimed: [], "find_screenshot_embeds": lambda anchors, claimed: [],
              "find_placeholder_embeds": lambda doc, claimed: [], "find_state_embeds": lambda doc, url, canonical: []}
    real = {name: getattr(discovery, name) for name in passes}
    best = {True: float("inf"), False: float("inf")}
    try:
        for _ in range(rounds):
            for on in (True, False):
                for name, fn in (real if on else passes).items():
                    setattr(discovery, name, fn)
                start = time.process_time()
                for url, data in docs:
                    discovery.extract_article(data, url)
                best[on] = min(best[on], time.process_time() - start)
    finally:
        for name, fn in real.items():
            setattr(discovery, name, fn)
    return best[True], best[False]


def run(quick: bool = False) -> Result:
    from crawlers.discovery import extract_article

    docs = corpus(40 if quick else 200)
    total_bytes = sum(len(d) for _, d in docs)
    refs = sum(len(extract_article(d, u).references) for u, d in docs)  # warm-up, and a sanity count
    seconds = 1.5 if quick else 6.0
    discovery_rate, passes = _rate(extract_article, docs, seconds)
    lxml_rate, lxml_passes = _rate(_lxml_only, docs, seconds / 3)
    profiler = cProfile.Profile()
    profiler.enable()
    for url, data in docs:
        extract_article(data, url)
    profiler.disable()
    hot = [line.strip() for line in top_functions(profiler=profiler, limit=8)]
    share = ratio(discovery_rate, lxml_rate) or 0.0
    with_passes, without = _without_form_passes_seconds(docs, 2 if quick else 4)
    forms = with_passes - without
    extra = forms / max(without, 1e-9)  # what the passes add to discovery without them
    note = (f"extract_article runs at {share:.2f}x the speed of a bare lxml parse of the same bytes "
            f"({1000 / discovery_rate:.2f} ms vs {1000 / lxml_rate:.2f} ms per article, {total_bytes / len(docs) / 1024:.0f} KiB "
            f"mean); parsing is {share * 100:.0f}% of its time, the rest is the discovery passes (embeds, links, JSON state, "
            f"metadata, body text). Hottest by own time under cProfile: {'; '.join(hot[:3])}. The issue-13 passes "
            f"(consent placeholders, cards, screenshots, URL placeholders, page-state ownership) take "
            f"{forms * 1000 / len(docs):.2f} ms per article: +{extra * 100:.0f}% over discovery without them "
            f"(budget +{EXTRA_BUDGET * 100:.0f}%).")
    return Result(
        name=NAME, title=TITLE, unit="articles/s", value=discovery_rate, comparison=lxml_rate,
        comparison_label="lxml.html parse only, articles/s", ratio=share,
        target=f"issue-13 passes add <= {EXTRA_BUDGET * 100:.0f}%", passed=extra <= EXTRA_BUDGET,
        note=note,
        reason=(f"the form passes take {forms * 1000 / len(docs):.2f} ms per article, +{extra * 100:.0f}% over "
                f"discovery without them (budget +{EXTRA_BUDGET * 100:.0f}%); hottest frame {hot[0] if hot else '-'}"),
        details={"articles": len(docs), "fixture_articles": len(docs) - (40 if quick else 200),
                 "mean_kib": round(total_bytes / len(docs) / 1024, 1), "references_found": refs,
                 "passes": passes, "lxml_passes": lxml_passes, "profile_tottime_top": hot,
                 "form_passes_ms_per_article": round(forms * 1000 / len(docs), 3),
                 "form_passes_extra": round(extra, 3)},
    )
