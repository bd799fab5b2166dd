"""X/Twitter embeds in article markup (see shared formats FORMATS.md §1 and embeds/).

Every known markup form is collected with one XPath union (document order), then each candidate
is read by the handler for its form. An embed "claims" its element: nested candidates (the iframe
inside a rendered ``div.twitter-tweet``, the placeholder blockquote inside ``amp-twitter``) and
links inside it (date link, t.co, mentions) belong to it.
"""

from __future__ import annotations

import json
import re
from urllib.parse import unquote

from lxml import etree

from crawlers.platforms.hits import Hit
from crawlers.platforms.markup import card_text, class_tokens, element_lines, has_class_xpath, tag_of
from crawlers.platforms.x.urls import (
    embed_iframe_id,
    is_pic_link,
    is_short_link,
    parse_status_url,
)

_cls = has_class_xpath
_CANDIDATES = etree.XPath(" | ".join([
    f"//blockquote[{_cls('twitter-tweet')} or {_cls('twitter-video')} or @data-tweetid or @data-tweet-id]",
    "//blockquote[.//a[contains(@href, '/status')]]",
    "//amp-twitter",
    "//*[@data-tweet-id or @data-tweetid]",
    f"//*[{_cls('twitter-tweet')} or {_cls('twitter-video')} or {_cls('twitter-tweet-rendered')}]",
    "//iframe[contains(@src, 'twitter.com/embed') or contains(@src, 'x.com/embed')"
    " or contains(@data-src, 'twitter.com/embed') or contains(@data-src, 'x.com/embed')"
    " or contains(@src, 'embedly.com') or contains(@data-src, 'embedly.com') or contains(@src, 'twitframe.com')"
    " or contains(@src, 'Tweet.html')]",
    f"//figure[{_cls('wp-block-embed-twitter')} or {_cls('is-provider-twitter')}]",
    "//*[@data-component-name='Twitter2ToDOM']",
    f"//div[{_cls('twitter-embed')}][@data-attrs]",
    # custom elements of privacy/two-click embed libraries: <embetty-tweet status="ID">, <lite-tweet tweetid=…>
    "//*[contains(local-name(), '-') and contains(local-name(), 'tweet')]",
]))
_INNER_EMBED = etree.XPath(
    f".//blockquote[{_cls('twitter-tweet')} or {_cls('twitter-video')} or @data-tweetid]"
    " | .//iframe | .//amp-twitter | .//*[@data-tweet-id or @data-tweetid]")
# "— Display Name (@handle)" at the end of the embed text (the date link removed)
FOOTER = re.compile(r"(?:^|\s)[—–―-]{1,2}\s*(?P<name>[^\n]*?)\s*\(\s*@(?P<handle>[A-Za-z0-9_]{1,15})\s*\)\s*$")
_BARE_STATUS = re.compile(r"(?:https?:)?//[^\s<>\"']+|(?:www\.|mobile\.)?(?:twitter|x)\.com/[^\s<>\"']+")
_DIGITS = re.compile(r"^\d{1,20}$")


def _status(href: str | None) -> dict[str, str | None] | None:
    if not href:
        return None
    return parse_status_url(href.strip())


def parse_tweet_container(el: etree._Element) -> Hit:
    """Read the classic embed markup inside *el*: ID from the LAST status link, text, footer, date."""
    hit = Hit(kind="embed", element=el)
    date_link: etree._Element | None = None
    parsed: dict[str, str | None] | None = None
    for a in el.iter("a"):
        href = a.get("href")
        found = _status(href)
        if found:
            date_link, parsed = a, found
        elif href and hit.media_url is None and (is_short_link(href.strip()) or is_pic_link(href.strip())):
            hit.media_url = href.strip()
    if parsed and date_link is not None:
        hit.post_id = parsed["id"]
        hit.url = (date_link.get("href") or "").strip()
        hit.handle = parsed["handle"]
        hit.displayed_date = " ".join(date_link.text_content().split()) or None
    text = element_lines(el, skip={date_link} if date_link is not None else None)
    match = FOOTER.search(text)
    if match:
        hit.display_name = match.group("name").strip() or None
        hit.handle = match.group("handle")
        text = text[: match.start()].strip()
    if text and not (hit.post_id and _status(text.strip())):
        hit.displayed_text = text
    for attr in ("data-tweetid", "data-tweet-id", "data-id"):
        if hit.post_id is None and _DIGITS.match(el.get(attr) or ""):
            hit.post_id = el.get(attr, "").lstrip("0") or "0"
    return hit


def _blockquote(el: etree._Element) -> Hit | None:
    tokens = class_tokens(el)
    classed = "twitter-tweet" in tokens or "twitter-video" in tokens
    hit = parse_tweet_container(el)
    if hit.post_id is None and not hit.displayed_text:
        return None
    if "twitter-video" in tokens:
        hit.variant = "blockquote.twitter-video"
    elif "cmplazyload" in tokens or el.get("data-cmp-hide") is not None:
        hit.variant = "blockquote.cmp-consent"
    elif classed:
        hit.variant = "blockquote.twitter-tweet"
    elif el.get("data-tweetid") is not None or el.get("data-tweet-id") is not None:
        hit.variant = "blockquote.data-tweetid"
    else:
        # a class-less blockquote counts only when it carries the embed footer + date link
        if not (hit.post_id and hit.display_name is not None and hit.displayed_date):
            return None
        hit.variant = "blockquote.unclassed"
    return hit


def _iframe_src(el: etree._Element) -> str:
    for attr in ("src", "data-src", "data-lazy-src", "data-cmp-src"):
        value = el.get(attr)
        if value:
            return value.strip()
    return ""


def _iframe(el: etree._Element, variant_prefix: str = "iframe") -> Hit | None:
    src = _iframe_src(el)
    post_id = None
    variant = f"{variant_prefix}.rendered"
    if src:
        post_id = embed_iframe_id(src)
        if "embedly.com" in src:
            if not post_id:
                return None
            variant = "embedly"
        elif "twitframe.com" in src:
            target = re.search(r"[?&]url=([^&]+)", src)
            parsed = _status(unquote(target.group(1))) if target else None
            post_id = parsed["id"] if parsed else None
            variant = "iframe.twitframe"
        elif not src.startswith(("http:", "https:", "//")) and "Tweet.html" in src:
            variant = f"{variant_prefix}.saved-page"
    attr_id = el.get("data-tweet-id") or el.get("data-tweetid") or ""
    if post_id is None and _DIGITS.match(attr_id):
        post_id = attr_id.lstrip("0") or "0"
    if post_id is None:
        return None
    return Hit(kind="embed", post_id=post_id, element=el, variant=variant,
               url=f"https://x.com/i/web/status/{post_id}")


def _rendered_container(el: etree._Element) -> Hit | None:
    for iframe in el.iter("iframe"):
        hit = _iframe(iframe)
        if hit:
            hit.element = el
            return hit
    attr_id = el.get("data-tweet-id") or el.get("data-tweetid") or ""
    if _DIGITS.match(attr_id):
        pid = attr_id.lstrip("0") or "0"
        return Hit(kind="embed", post_id=pid, element=el, variant=f"{tag_of(el)}.data-tweet-id",
                   url=f"https://x.com/i/web/status/{pid}")
    hit = parse_tweet_container(el)
    if hit.post_id is None and not hit.displayed_text:
        return None
    hit.variant = f"{tag_of(el)}.twitter-tweet"
    return hit


def _amp(el: etree._Element) -> Hit | None:
    inner = el.find(".//blockquote")
    hit = parse_tweet_container(inner) if inner is not None else Hit(kind="embed")
    hit.element = el
    hit.variant = "amp-twitter"
    attr_id = el.get("data-tweetid") or el.get("data-tweet-id") or ""
    if _DIGITS.match(attr_id):
        hit.post_id = attr_id.lstrip("0") or "0"
    if hit.post_id is None:
        return None
    hit.url = hit.url or f"https://x.com/i/web/status/{hit.post_id}"
    return hit


def _gutenberg(el: etree._Element) -> Hit | None:
    if any(inner is not el for inner in _INNER_EMBED(el)):
        return None  # a rendered wrapper: the blockquote/iframe inside is the embed
    url = None
    for a in el.iter("a"):
        if _status(a.get("href")):
            url = a.get("href", "").strip()
            break
    if url is None:
        for token in _BARE_STATUS.findall(el.text_content()):
            if _status(token if "//" in token else "https://" + token):
                url = token
                break
    if url is None:
        return None
    parsed = _status(url if "//" in url else "https://" + url)
    if not parsed:
        return None
    return Hit(kind="embed", post_id=parsed["id"], url=url, handle=parsed["handle"], element=el,
               variant="gutenberg-raw")


def _substack(el: etree._Element) -> Hit | None:
    data: dict[str, object] = {}
    holder = el if el.get("data-attrs") else el.find(".//*[@data-attrs]")
    if holder is not None:
        try:
            loaded = json.loads(holder.get("data-attrs") or "{}")
            if isinstance(loaded, dict):
                data = loaded
        except ValueError:
            data = {}
    url = data.get("url") if isinstance(data.get("url"), str) else None
    if not url and tag_of(el) == "a":
        url = el.get("href")
    parsed = _status(url if isinstance(url, str) else None)
    if not parsed:
        return None

    def text(key: str) -> str | None:
        value = data.get(key)
        return value.strip() or None if isinstance(value, str) else None

    shown = text("full_text") or card_text(el, parsed["handle"])  # the 2026 markup keeps no data-attrs
    return Hit(kind="embed", post_id=parsed["id"], url=url, element=el, variant="substack",
               handle=text("username") or parsed["handle"], display_name=text("name"),
               displayed_text=shown, displayed_date=text("date"))


def _custom_element(el: etree._Element) -> Hit | None:
    for attr in ("status", "tweet-id", "tweetid", "data-tweet-id", "data-id", "id", "data-status"):
        value = (el.get(attr) or "").strip()
        if _DIGITS.match(value):
            pid = value.lstrip("0") or "0"
            return Hit(kind="embed", post_id=pid, element=el, variant=tag_of(el),
                       url=f"https://x.com/i/web/status/{pid}")
        parsed = _status(value) if value.startswith(("http", "//")) else None
        if parsed:
            return Hit(kind="embed", post_id=parsed["id"], handle=parsed["handle"], element=el, url=value,
                       variant=tag_of(el))
    inner = el.find(".//blockquote")
    return _blockquote(inner) if inner is not None else None


def _read(el: etree._Element) -> Hit | None:
    tag = tag_of(el)
    if "-" in tag and "tweet" in tag:
        return _custom_element(el)
    if el.get("data-component-name") == "Twitter2ToDOM" or (
            "twitter-embed" in class_tokens(el) and el.get("data-attrs")):
        return _substack(el)
    if tag == "blockquote":
        return _blockquote(el)
    if tag == "amp-twitter":
        return _amp(el)
    if tag == "iframe":
        return _iframe(el)
    if tag == "figure":
        return _gutenberg(el)
    return _rendered_container(el)


def find_embeds(doc: etree._Element) -> list[Hit]:
    """All X embeds in document order; nested candidates inside a claimed embed are skipped."""
    try:
        candidates = _CANDIDATES(doc)
    except etree.XPathError:
        return []
    claimed: set[etree._Element] = set()
    hits: list[Hit] = []
    for el in candidates:
        if not isinstance(el.tag, str) or el in claimed:
            continue
        node = el.getparent()
        inside = False
        while node is not None:
            if node in claimed:
                inside = True
                break
            node = node.getparent()
        if inside:
            continue
        try:
            hit = _read(el)
        except (ValueError, TypeError, etree.LxmlError):
            hit = None
        if hit is None:
            continue
        claimed.add(el)
        hits.append(hit)
    return hits
