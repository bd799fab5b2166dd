"""The rendered x.com status page: which state it shows, and the focal post as a :class:`Post`.

Selectors follow FORMATS.md §6: ``article[data-testid="tweet"]`` per post, the focal one being the
article whose ``time`` sits in a link to ``/status/{id}``; ``[data-testid=tweetText]`` (emoji are
``<img alt>``), ``[data-testid=User-Name]``, ``time[datetime]``, ``[data-testid=tweetPhoto] img``,
``[data-testid=videoPlayer] video``. A quoted post is nested in a ``div[role=link]`` and is skipped.

Every logged-out x.com page also shows the "Don’t miss what’s happening" bottom bar, so the login
wall is recognised by the sign-in dialog *and* the absence of the focal post.
"""

from __future__ import annotations

import re

from dateutil import parser as dateparser
from lxml import html as lxml_html

from crawlers.platforms.base import BrowserPage, EmbedRender, PageOutcome
from crawlers.platforms.x.media import avatar_400, best_photo_urls
from receipts.models import Author, Media, Post

NOT_FOUND_MARKERS = ("this page doesn’t exist", "this page doesn't exist")
LOGIN_MARKERS = ("sign in to x", "log in to x", "sign in to twitter", "log in to twitter")


def focal_selector(post_id: str) -> str:
    """CSS for the focal post's article (the one whose time link points at its own status)."""
    return f'article[data-testid="tweet"]:has(a[href$="/status/{post_id}"] time)'


def page_state_script(post_id: str) -> str:
    """A JS expression, truthy once the page has rendered one of the states :func:`classify` knows."""
    return (
        "(() => {"
        f"  if (document.querySelector('{focal_selector(post_id)}')) return 'tweet';"
        "  const text = (document.body && document.body.innerText || '').toLowerCase();"
        "  if (text.includes('this page doesn’t exist') || text.includes(\"this page doesn't exist\")) return 'missing';"
        "  if (document.querySelector('[role=dialog] [data-testid=loginButton], [data-testid=sheetDialog]')) return 'login';"
        "  if (document.querySelector('[data-testid=error-detail]')) return 'error';"
        "  return null;"
        "})()"
    )


def _status_link(post_id: str) -> re.Pattern[str]:
    return re.compile(rf"/status(?:es)?/{re.escape(post_id)}(?:$|[/?#])")


def _outside_quote(el) -> bool:
    """Not part of a quoted post (X nests those in a ``div[role=link]`` inside the article)."""
    return not el.xpath('ancestor::div[@role="link"]')


def _first(article, xpath: str):
    for el in article.xpath(xpath):
        if _outside_quote(el):
            return el
    return None


def focal_article(doc, post_id: str):
    link = _status_link(post_id)
    for article in doc.xpath('//article[@data-testid="tweet"]'):
        for a in article.xpath(".//a[@href][.//time]"):
            if _outside_quote(a) and link.search(a.get("href", "")):
                return article
    return None


def rich_text(el) -> str:
    """Visible text of *el* with emoji images turned back into their characters."""
    parts: list[str] = []

    def walk(node) -> None:
        if node.tag == "img":
            parts.append(node.get("alt") or "")
        elif node.tag == "br":
            parts.append("\n")
        elif isinstance(node.tag, str) and node.tag not in ("script", "style"):
            parts.append(node.text or "")
            for child in node:
                walk(child)
                parts.append(child.tail or "")

    walk(el)
    return "".join(parts)


def _author(article) -> Author:
    box = _first(article, './/*[@data-testid="User-Name"]')
    name = handle = None
    if box is not None:
        for span in box.xpath(".//span"):
            text = span.text_content().strip()
            if text.startswith("@") and handle is None:
                handle = text[1:]
            elif text and name is None and not span.xpath("ancestor::time"):
                name = text
        if handle is None:
            for a in box.xpath(".//a[@href]"):
                m = re.fullmatch(r"/(\w{1,50})", a.get("href", ""))
                if m:
                    handle = m.group(1)
                    break
    avatar = _first(article, './/*[@data-testid="Tweet-User-Avatar"]//img[@src]')
    return Author(handle=handle, name=name, avatar_url=avatar.get("src") if avatar is not None else None)


def _media(article, author: Author) -> list[Media]:
    media: list[Media] = []
    for img in article.xpath('.//*[@data-testid="tweetPhoto"]//img[@src]'):
        if not _outside_quote(img):
            continue
        first, *rest = best_photo_urls(img.get("src"))
        media.append(Media(type="photo", source_url=first, fallback_urls=rest, alt_text=img.get("alt") or None))
    for video in article.xpath('.//*[@data-testid="videoPlayer"]//video'):
        if not _outside_quote(video):
            continue
        src, poster = video.get("src") or "", video.get("poster")
        if src.startswith(("https://", "http://")):
            kind = "animated_gif" if video.get("loop") is not None or "/tweet_video/" in src else "video"
            media.append(Media(type=kind, source_url=src, poster_url=poster))
        elif poster:  # blob: source (MSE): only the poster can be fetched from the page
            media.append(Media(type="poster", source_url=poster))
    if author.avatar_url and author.avatar_url.startswith(("https://", "http://")):
        big = avatar_400(author.avatar_url)
        media.append(Media(type="avatar", source_url=big,
                           fallback_urls=[author.avatar_url] if big != author.avatar_url else []))
    return media


def parse_post(doc, post_id: str, url: str) -> Post | None:
    article = focal_article(doc, post_id)
    if article is None:
        return None
    text_el = _first(article, './/*[@data-testid="tweetText"]')
    author = _author(article)
    created_at = None
    link = _status_link(post_id)
    for a in article.xpath(".//a[@href][.//time[@datetime]]"):
        if _outside_quote(a) and link.search(a.get("href", "")):
            try:
                created_at = dateparser.isoparse(a.xpath(".//time/@datetime")[0])
            except ValueError:
                created_at = None
            break
    handle = author.handle
    return Post(
        id=f"x:{post_id}", platform="x", post_id=post_id,
        url=f"https://x.com/{handle}/status/{post_id}" if handle else url,
        author=author,
        text=rich_text(text_el) if text_el is not None else "",
        lang=text_el.get("lang") if text_el is not None else None,
        created_at=created_at, status="live", route="browser",
        media=_media(article, author),
    )


def classify(html: str, post_id: str, url: str) -> PageOutcome:
    """What a rendered status page says about *post_id*."""
    if not html.strip():
        return PageOutcome("blank", reason="the page rendered nothing")
    doc = lxml_html.fromstring(html)
    post = parse_post(doc, post_id, url)
    if post is not None:
        article = focal_article(doc, post_id)
        return PageOutcome("post", post=post, dom_text=article.text_content() if article is not None else None)
    body = doc.find("body")
    text = (body.text_content() if body is not None else doc.text_content()).lower()
    if any(marker in text for marker in NOT_FOUND_MARKERS):
        return PageOutcome("missing", reason="x.com: this page doesn’t exist")
    dialog = doc.xpath('//*[@role="dialog"]')
    if dialog and (doc.xpath('//*[@data-testid="loginButton"]')
                   or any(marker in dialog[0].text_content().lower() for marker in LOGIN_MARKERS)):
        return PageOutcome("login", reason="login required (x.com shows a sign-in wall)")
    detail = doc.xpath('//*[@data-testid="error-detail"]')
    if detail:
        return PageOutcome("error", reason="x.com: " + detail[0].text_content().strip()[:200])
    return PageOutcome("blank", reason="the status page rendered no post")


EMBED_TAG_JS = r"""(start) => {
  const out = [];
  const statusId = (href) => { const m = /\/status(?:es)?\/(\d+)/.exec(href || ""); return m ? m[1] : null; };
  let n = start;
  document.querySelectorAll("iframe").forEach((frame) => {
    let id = frame.getAttribute("data-tweet-id");
    const src = frame.getAttribute("src") || frame.getAttribute("data-src") || "";
    if (!id && /platform\.(twitter|x)\.com\/embed\/Tweet\.html/.test(src)) {
      const m = /[?&]id=(\d+)/.exec(src);
      id = m ? m[1] : null;
    }
    if (!id) return;
    frame.setAttribute("data-receipts-embed", String(n));
    out.push({n: n++, id: id, element: "iframe", text: ""});
  });
  document.querySelectorAll("blockquote.twitter-tweet, blockquote.twitter-video").forEach((bq) => {
    const links = Array.from(bq.querySelectorAll("a[href]")).map((a) => statusId(a.getAttribute("href")));
    const id = links.reverse().find((x) => x) || statusId(bq.getAttribute("data-tweetid") && "/status/" + bq.getAttribute("data-tweetid"));
    if (!id) return;
    bq.setAttribute("data-receipts-embed", String(n));
    out.push({n: n++, id: id, element: "blockquote", text: bq.innerText});
  });
  return out;
}"""

EMBEDS_PENDING_JS = "() => !document.querySelector('blockquote.twitter-tweet, blockquote.twitter-video')"
EMBED_RENDER = EmbedRender(EMBED_TAG_JS, EMBEDS_PENDING_JS)


def browser_page(post_id: str, url: str) -> BrowserPage:
    """The x.com status page: settled by :func:`page_state_script`, read by :func:`classify`."""
    focal = focal_selector(post_id)
    return BrowserPage(url=url, ready_selector=focal, screenshot_selector=focal,
                       missing_texts=NOT_FOUND_MARKERS, login_texts=LOGIN_MARKERS,
                       state_script=page_state_script(post_id),
                       read=lambda html, final_url: classify(html, post_id, final_url))
