"""The demo news site (served for https://newrepublic.com): one article built from the seed text, a
section page, an RSS 2.0 feed, a Google News sitemap and robots.txt.

The article embeds the Rupar post with publish.twitter.com markup where the seed shows the
flattened embed footer; the Joshi and Vietor quotes stay prose, exactly as in the seed.
"""

from __future__ import annotations

import datetime as dt
import json
from email.utils import format_datetime
from functools import cache
from html import escape
from urllib.parse import quote

from fakeweb import bluesky, mastodon
from fakeweb.catalog import ARTICLE_URL, DATA_DIR, RUPAR_ID, catalog_bodies
from fakeweb.oembed import embed_blockquote
from fakeweb.respond import Response

SITE = "https://newrepublic.com"
ARTICLE_PATH = "/post/191502/pete-hegseth-russia-concessions-ukraine"
SECTION_PATH = "/politics"
FEED_PATH = "/feed/rss"
SITEMAP_PATH = "/sitemap-news.xml"
PUBLISHED = dt.datetime(2025, 2, 14, 15, 41, tzinfo=dt.UTC)
MODIFIED = dt.datetime(2025, 2, 14, 16, 5, tzinfo=dt.UTC)
AUTHOR = "TNR Staff"
PUBLISHER = "The New Republic"
RELATED = (
    ("/post/191455/hegseth-nato-ukraine-membership-off-table", "Hegseth Tells NATO Allies Ukraine Membership Is Off the Table"),
    ("/post/191470/trump-putin-phone-call-negotiations", "Trump’s Call With Putin Leaves Kyiv Out of the Room"),
    ("/post/191488/bolton-kremlin-written-peace-deal", "Bolton: The Peace Plan Was “Written in the Kremlin”"),
)
WIDGETS_SCRIPT = '<script async src="https://platform.twitter.com/widgets.js" charset="utf-8"></script>'


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@cache
def seed() -> tuple[str, str, str, str, list[str]]:
    """(headline, dek, image alt, image URL, body paragraphs) from data/article.md."""
    lines = [line for line in (DATA_DIR / "article.md").read_text(encoding="utf-8").splitlines() if line.strip()]
    headline, dek, image = lines[0], lines[1], lines[2]
    alt, _, url = image.removeprefix("![").partition("](")
    return headline, dek, alt, url.removesuffix(")"), lines[3:]


def rupar_embed() -> str:
    """The Rupar post as publish.twitter.com embed markup (blockquote + widgets.js script)."""
    return embed_blockquote(catalog_bodies()[RUPAR_ID], "twitter.com") + " " + WIDGETS_SCRIPT


# the demo's posts on other networks (issue 12): a Mastodon status with a video and a Bluesky post with images,
# each in the markup its "Embed" button gives, placed before the article's last line
DEMO_TOOT = ("mastodon.social", "113456789012345680")
DEMO_SKEET = "at://did:plc:fll26nbvvyfm6ion7tj2sbjc/app.bsky.feed.post/3ljsyvltpvk2e"
OTHER_NETWORKS_LEAD = "The clip travelled beyond X as well, to Mastodon and Bluesky."


def other_network_embeds() -> str:
    host, status_id = DEMO_TOOT
    status = mastodon.statuses(host)[status_id]
    acct, url = status["account"]["acct"], status["url"]
    toot = (f'<blockquote class="mastodon-embed" data-embed-url="{url}/embed" style="max-width: 540px;">'
            f' <a href="{url}" target="_blank"> <div>Post by @{acct}@{host}</div> <div>View on Mastodon</div> </a>'
            f' </blockquote> <script data-allowed-prefixes="https://{host}/" async src="https://{host}/embed.js">'
            '</script>')
    return f"<p>{escape(OTHER_NETWORKS_LEAD)}</p>\n{toot}\n{bluesky.snippet(bluesky.view(DEMO_SKEET))}"


def _body_html(paragraphs: list[str]) -> str:
    out: list[str] = []
    skip = 0
    for i, line in enumerate(paragraphs):
        if skip:
            skip -= 1
            continue
        # the seed flattens the embed as: first line of the post, "— Aaron Rupar (@atrupar) date", the rest
        if line.startswith("REPORTER:") and i + 2 < len(paragraphs) and paragraphs[i + 1].startswith("— Aaron Rupar"):
            out.append(rupar_embed())
            skip = 2
            continue
        if i == len(paragraphs) - 1:
            out.append(other_network_embeds())
        out.append(f"<p>{escape(line, quote=False)}</p>")
    return "\n".join(out)


@cache
def article_html() -> str:
    headline, dek, alt, image, paragraphs = seed()
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": {"@type": "WebPage", "@id": ARTICLE_URL},
        "headline": headline,
        "description": dek,
        "image": [image],
        "datePublished": _iso(PUBLISHED),
        "dateModified": _iso(MODIFIED),
        "author": [{"@type": "Person", "name": AUTHOR, "url": f"{SITE}/authors/tnr-staff"}],
        "publisher": {"@type": "Organization", "name": PUBLISHER,
                      "logo": {"@type": "ImageObject", "url": f"{SITE}/static/img/tnr-logo.png"}},
        "isAccessibleForFree": True,
    }
    share = f"https://twitter.com/intent/tweet?url={quote(ARTICLE_URL, safe='')}&text={quote(headline, safe='')}"
    related = "\n".join(f'<li><a href="{path}">{escape(title)}</a></li>' for path, title in RELATED)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(headline)} | The New Republic</title>
<meta name="description" content="{escape(dek)}">
<link rel="canonical" href="{ARTICLE_URL}">
<link rel="alternate" type="application/rss+xml" title="The New Republic" href="{SITE}{FEED_PATH}">
<meta property="og:type" content="article">
<meta property="og:site_name" content="{PUBLISHER}">
<meta property="og:title" content="{escape(headline)}">
<meta property="og:description" content="{escape(dek)}">
<meta property="og:url" content="{ARTICLE_URL}">
<meta property="og:image" content="{escape(image)}">
<meta property="article:published_time" content="{_iso(PUBLISHED)}">
<meta property="article:modified_time" content="{_iso(MODIFIED)}">
<meta property="article:section" content="Politics">
<meta name="author" content="{AUTHOR}">
<meta name="twitter:card" content="summary_large_image">
<meta name="twitter:site" content="@newrepublic">
<script type="application/ld+json">{json.dumps(ld, ensure_ascii=False)}</script>
</head>
<body class="article-page">
<header class="site-header"><a href="/" class="logo">The New Republic</a>
<nav><a href="{SECTION_PATH}">Politics</a> <a href="/culture">Culture</a> <a href="/magazine">Magazine</a></nav></header>
<main>
<article class="article" itemscope itemtype="https://schema.org/NewsArticle">
<header class="article-header">
<a class="section-label" href="{SECTION_PATH}">Politics</a>
<h1 class="article-headline" itemprop="headline">{escape(headline)}</h1>
<p class="article-dek">{escape(dek)}</p>
<div class="byline">By <a rel="author" href="/authors/tnr-staff">{AUTHOR}</a>
<time datetime="{_iso(PUBLISHED)}" itemprop="datePublished">February 14, 2025</time></div>
</header>
<figure class="article-lead-image"><img src="{escape(image)}" alt="{escape(alt)}" width="768" height="512">
<figcaption>{escape(alt)}</figcaption></figure>
<div class="article-body" itemprop="articleBody">
{_body_html(paragraphs)}
</div>
</article>
<aside class="related-articles"><h2>Related</h2>
<ul>
{related}
</ul></aside>
</main>
<footer class="site-footer">
<div class="share">Share: <a class="share-twitter" href="{share}">Post on X</a>
<a class="share-facebook" href="https://www.facebook.com/sharer/sharer.php?u={quote(ARTICLE_URL, safe='')}">Facebook</a></div>
<div class="follow">Follow us: <a href="https://twitter.com/newrepublic">@newrepublic on X</a>
<a href="https://www.facebook.com/newrepublic">Facebook</a></div>
<p>© 2025 The New Republic. All rights reserved.</p>
</footer>
</body>
</html>
"""


@cache
def section_html() -> str:
    headline, dek, *_ = seed()
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Politics | The New Republic</title>
<link rel="canonical" href="{SITE}{SECTION_PATH}"></head>
<body><main><h1>Politics</h1>
<ul class="river">
<li class="river-item"><a href="{ARTICLE_PATH}"><h2>{escape(headline)}</h2></a><p>{escape(dek)}</p>
<time datetime="{_iso(PUBLISHED)}">February 14, 2025</time></li>
</ul></main></body></html>
"""


@cache
def rss_xml() -> str:
    headline, dek, *_ = seed()
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
<title>The New Republic</title>
<link>{SITE}</link>
<description>The New Republic: politics, culture, ideas.</description>
<language>en-us</language>
<atom:link href="{SITE}{FEED_PATH}" rel="self" type="application/rss+xml"/>
<lastBuildDate>{format_datetime(MODIFIED, usegmt=True)}</lastBuildDate>
<item>
<title>{escape(headline)}</title>
<link>{ARTICLE_URL}</link>
<guid isPermaLink="true">{ARTICLE_URL}</guid>
<pubDate>{format_datetime(PUBLISHED, usegmt=True)}</pubDate>
<dc:creator>{AUTHOR}</dc:creator>
<category>Politics</category>
<description>{escape(dek)}</description>
</item>
</channel>
</rss>
"""


@cache
def sitemap_xml() -> str:
    headline, *_ = seed()
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url>
<loc>{ARTICLE_URL}</loc>
<lastmod>{_iso(MODIFIED)}</lastmod>
<news:news>
<news:publication><news:name>{PUBLISHER}</news:name><news:language>en</news:language></news:publication>
<news:publication_date>{_iso(PUBLISHED)}</news:publication_date>
<news:title>{escape(headline)}</news:title>
</news:news>
</url>
</urlset>
"""


def robots_txt() -> str:
    return f"User-agent: *\nDisallow: /search\n\nSitemap: {SITE}{SITEMAP_PATH}\n"


def serve(path: str) -> tuple[Response, float] | None:
    """(response, Last-Modified epoch) for a news-site path, or None for 404."""
    pages = {
        ARTICLE_PATH: (article_html, "text/html; charset=utf-8"),
        SECTION_PATH: (section_html, "text/html; charset=utf-8"),
        "/": (section_html, "text/html; charset=utf-8"),
        FEED_PATH: (rss_xml, "application/rss+xml; charset=utf-8"),
        SITEMAP_PATH: (sitemap_xml, "application/xml; charset=utf-8"),
        "/robots.txt": (robots_txt, "text/plain; charset=utf-8"),
    }
    entry = pages.get(path.rstrip("/") or "/")
    if entry is None:
        return None
    render, content_type = entry
    return Response(200, render().encode(), content_type, [("Cache-Control", "max-age=300, public")]), MODIFIED.timestamp()
