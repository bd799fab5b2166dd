"""x.com status pages: the JavaScript-rendered page, the no-JS shell and the link-preview bot page (FORMATS §6).

The browser page carries the post as JSON and builds, after a short ``setTimeout``, the same DOM
(``data-testid`` selectors) as real X. Without JavaScript only the real ``<noscript>`` text shows.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from functools import cache
from html import escape
from typing import Any

from fakeweb.catalog import DATA_DIR, Body, parse_created_at
from fakeweb.respond import Response, html_response
from fakeweb.store import Store
from fakeweb.syndication import PROTECTED_TEXT, SUSPENDED_TEXT

BOT_UA = re.compile(r"WhatsApp|facebookexternalhit|Facebot|Twitterbot|Slackbot|TelegramBot|Discordbot|LinkedInBot"
                    r"|Embedly|redditbot|Iframely|SkypeUriPreview|Applebot", re.I)
RENDER_DELAY_MS = 250

NOT_FOUND_TEXT = "Hmm...this page doesn’t exist. Try searching for something else."
ERROR_TEXT = "Something went wrong. Try reloading."
LOGIN_TITLE = "Sign in to X"
BOTTOM_BAR = ("Don’t miss what’s happening", "People on X are the first to know.")
NOSCRIPT_H1 = "JavaScript is not available."
NOSCRIPT_P = ("We’ve detected that JavaScript is disabled in this browser. Please enable JavaScript or switch to "
              "a supported browser to continue using x.com.")

EMOJI = re.compile(
    "[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\u2190-\u21FF](?:\uFE0F)?"
    "(?:\u200D[\U0001F000-\U0001FAFF\u2600-\u27BF](?:\uFE0F)?)*"
)


def is_bot(user_agent: str) -> bool:
    return bool(BOT_UA.search(user_agent))


# ------------------------------------------------------------------------------------------ tweet → view


def _split_emoji(text: str) -> list[list[str]]:
    out: list[list[str]] = []
    pos = 0
    for match in EMOJI.finditer(text):
        if match.start() > pos:
            out.append(["t", text[pos:match.start()]])
        code = "-".join(f"{ord(c):x}" for c in match[0] if c != "\uFE0F")
        out.append(["e", match[0], f"https://abs-0.twimg.com/emoji/v2/svg/{code}.svg"])
        pos = match.end()
    if pos < len(text):
        out.append(["t", text[pos:]])
    return out


def text_segments(body: Body) -> list[list[str]]:
    """The visible text as segments: ["t", text], ["a", href, text], ["e", emoji, svg]."""
    text = body["text"]
    start, end = body.get("display_text_range", [0, len(text)])
    entities = body.get("entities", {})
    spans: list[tuple[int, int, str, str]] = []
    for m in entities.get("user_mentions", []):
        spans.append((m["indices"][0], m["indices"][1], f"/{m['screen_name']}", "@" + m["screen_name"]))
    for h in entities.get("hashtags", []):
        spans.append((h["indices"][0], h["indices"][1], f"/hashtag/{h['text']}?src=hashtag_click", "#" + h["text"]))
    for u in entities.get("urls", []):
        spans.append((u["indices"][0], u["indices"][1], u["url"], u["display_url"]))
    out: list[list[str]] = []
    pos = start
    for s, e, href, label in sorted(spans):
        if s < pos or e > end:
            continue
        out.extend(_split_emoji(text[pos:s]))
        out.append(["a", href, label])
        pos = e
    out.extend(_split_emoji(text[pos:end]))
    return out


def _time_text(created: dt.datetime) -> str:
    hour = created.hour % 12 or 12
    return f"{hour}:{created:%M} {'AM' if created.hour < 12 else 'PM'} · {created:%b} {created.day}, {created.year}"


def tweet_view(body: Body) -> dict[str, Any]:
    created = parse_created_at(body["created_at"])
    view: dict[str, Any] = {
        "id": body["id_str"],
        "name": body["user"]["name"] if "user" in body else "",
        "handle": body["user"]["screen_name"] if "user" in body else "",
        "avatar": body.get("user", {}).get("profile_image_url_https", ""),
        "datetime": body["created_at"],
        "timeText": _time_text(created),
        "lang": body.get("lang", "en"),
        "segments": text_segments(body),
        "photos": [],
        "video": None,
        "quoted": None,
    }
    for media in body.get("mediaDetails", []):
        if media["type"] == "photo":
            base = media["media_url_https"].rsplit(".", 1)[0]
            view["photos"].append({"src": f"{base}?format=jpg&name=small", "alt": media.get("ext_alt_text", "Image")})
        elif media["type"] == "animated_gif":
            view["video"] = {"poster": media["media_url_https"], "src": media["video_info"]["variants"][0]["url"],
                             "gif": True}
        elif media["type"] == "video":
            blob = uuid.uuid5(uuid.NAMESPACE_URL, body["id_str"])
            view["video"] = {"poster": media["media_url_https"], "src": f"blob:https://x.com/{blob}", "gif": False}
    if "quoted_tweet" in body:
        view["quoted"] = tweet_view(body["quoted_tweet"])
    return view


# ------------------------------------------------------------------------------------------ pages


_RENDER_JS = r"""
(function () {
  var state = JSON.parse(document.getElementById("fakeweb-state").textContent);
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) { node.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return node;
  }
  function tweetText(t) {
    var div = el("div", {"data-testid": "tweetText", lang: t.lang, dir: "auto"});
    t.segments.forEach(function (s) {
      if (s[0] === "t") div.appendChild(el("span", {}, [s[1]]));
      else if (s[0] === "a") div.appendChild(el("a", {href: s[1], role: "link", dir: "ltr"}, [s[2]]));
      else div.appendChild(el("img", {alt: s[1], draggable: "false", src: s[2], title: s[1]}));
    });
    return div;
  }
  function userName(t, linked) {
    var time = el("time", {datetime: t.datetime}, [t.timeText]);
    return el("div", {"data-testid": "User-Name"}, [
      el("a", {href: "/" + t.handle, role: "link"}, [el("span", {}, [t.name])]),
      el("a", {href: "/" + t.handle, role: "link", tabindex: "-1"}, [el("span", {}, ["@" + t.handle])]),
      linked ? el("a", {href: "/" + t.handle + "/status/" + t.id, role: "link"}, [time]) : time
    ]);
  }
  function media(t) {
    var nodes = [];
    t.photos.forEach(function (p) {
      nodes.push(el("div", {"data-testid": "tweetPhoto"}, [el("img", {alt: p.alt, draggable: "true", src: p.src})]));
    });
    if (t.video) {
      var attrs = {poster: t.video.poster, preload: "none", playsinline: "", "aria-label": "Embedded video", src: t.video.src};
      if (t.video.gif) { attrs.loop = ""; attrs.type = "video/mp4"; }
      nodes.push(el("div", {"data-testid": "videoPlayer"}, [el("video", attrs)]));
    }
    return nodes;
  }
  function article(t) {
    var children = [el("div", {"data-testid": "Tweet-User-Avatar"}, [el("img", {alt: "", src: t.avatar})]),
                    userName(t, true), tweetText(t)].concat(media(t));
    if (t.quoted) {
      children.push(el("div", {role: "link", tabindex: "0"}, [userName(t.quoted, false), tweetText(t.quoted)].concat(media(t.quoted))));
    }
    children.push(el("div", {role: "group"}, ["reply", "retweet", "like", "bookmark"].map(function (k) {
      return el("button", {"data-testid": k, type: "button"}, []);
    })));
    return el("article", {"data-testid": "tweet", role: "article", tabindex: "-1"}, children);
  }
  function render() {
    var root = document.getElementById("react-root");
    root.textContent = "";
    var column = el("div", {"data-testid": "primaryColumn"});
    root.appendChild(el("main", {role: "main"}, [column]));
    if (state.kind === "tweet") {
      var timeline = el("div", {"aria-label": "Timeline: Conversation"});
      state.tweets.forEach(function (t) { timeline.appendChild(el("div", {"data-testid": "cellInnerDiv"}, [article(t)])); });
      column.appendChild(el("section", {role: "region"}, [timeline]));
      document.title = state.title;
    } else if (state.kind === "login") {
      root.appendChild(el("div", {role: "dialog", "aria-modal": "true", "data-testid": "sheetDialog"}, [
        el("h1", {}, [state.loginTitle]),
        el("a", {href: "/i/flow/login", role: "link", "data-testid": "loginButton"}, ["Log in"]),
        el("a", {href: "/i/flow/signup", role: "link", "data-testid": "signupButton"}, ["Sign up"])]));
      document.title = "X";
    } else {
      column.appendChild(el("div", {"data-testid": state.kind === "error" ? "error-detail" : "empty_state"}, [
        el("span", {}, [state.message])]));
      document.title = state.kind === "missing" ? "Page not found / X" : "X";
    }
    if (state.bottomBar) {
      root.appendChild(el("div", {"data-testid": "BottomBar"}, [el("span", {}, [state.bottomBar[0]]),
        el("span", {}, [state.bottomBar[1]])]));
    }
  }
  setTimeout(render, state.delay);
})();
"""


def _shell(state: dict[str, Any]) -> str:
    data = json.dumps(state, ensure_ascii=False).replace("<", "\\u003c")
    return (
        '<!DOCTYPE html><html dir="ltr" lang="en"><head><meta charset="utf-8"/>'
        '<meta name="viewport" content="width=device-width,initial-scale=1,maximum-scale=1,user-scalable=0,viewport-fit=cover"/>'
        '<link rel="preconnect" href="//abs.twimg.com"/><link rel="preconnect" href="//pbs.twimg.com"/>'
        '<link rel="preconnect" href="//video.twimg.com"/>'
        '<meta content="X (formerly Twitter)" property="og:site_name"/>'
        '<link rel="shortcut icon" href="//abs.twimg.com/favicons/twitter.3.ico"><title>X</title></head>'
        '<body style="background-color: #FFFFFF;">'
        '<noscript><form action="https://x.com/?mx=2" method="POST" style="background-color: #fff; position: fixed; '
        'top: 0; left: 0; right: 0; bottom: 0; z-index: 9999;"><div style="font-size: 13px; line-height: 16px; '
        'padding: 10px 0 0 0; text-align: center;">'
        f"<h1>{NOSCRIPT_H1}</h1><p>{NOSCRIPT_P}</p></div></form></noscript>"
        '<div id="react-root" style="height:100%;display:flex;"></div>'
        f'<script type="application/json" id="fakeweb-state">{data}</script>'
        f"<script>{_RENDER_JS}</script></body></html>"
    )


def _browser_state(state: str, body: Body) -> dict[str, Any]:
    common: dict[str, Any] = {"delay": RENDER_DELAY_MS, "bottomBar": list(BOTTOM_BAR)}
    if state in ("deleted", "notfound"):
        return {**common, "kind": "missing", "message": NOT_FOUND_TEXT}
    if state in ("login_required", "age_restricted"):
        return {**common, "kind": "login", "loginTitle": LOGIN_TITLE}
    if state in ("error503", "error429"):
        return {**common, "kind": "error", "message": ERROR_TEXT}
    if state == "suspended":
        return {**common, "kind": "error", "message": SUSPENDED_TEXT}
    if state == "protected":
        return {**common, "kind": "error", "message": PROTECTED_TEXT}
    tweets = []
    if "parent" in body:
        parent = dict(body["parent"])
        tweets.append(tweet_view(parent))
    tweets.append(tweet_view(body))
    flat = "".join(s[1] for s in tweets[-1]["segments"])
    return {**common, "kind": "tweet", "focal": body["id_str"], "tweets": tweets,
            "title": f"{body['user']['name']} on X: \"{flat}\" / X"}


@cache
def _bot_template() -> str:
    return (DATA_DIR / "x_status_page_bot_UA_og_tags_1859598454357389763.html").read_text(encoding="utf-8")


def _replace_meta(html: str, attr: str, name: str, value: str) -> str:
    pattern = re.compile(rf'<meta\s+content="[^"]*"(\s+){attr}="{re.escape(name)}"', re.S)
    return pattern.sub(lambda m: f'<meta content="{value}"{m[1]}{attr}="{name}"', html, count=1)


def bot_page(body: Body | None, page_url: str) -> Response:
    """The server-rendered og:/al: page link-preview bots get (modelled on the real one in data/)."""
    html = _bot_template()
    if body is None:
        html = _replace_meta(html, "property", "og:url", escape(page_url))
        html = _replace_meta(html, "property", "og:title", "Post Not Found - X | 404 Error")
        html = _replace_meta(html, "name", "title", "Post Not Found - X | 404 Error")
        for attr, name in (("property", "og:description"), ("name", "description")):
            html = _replace_meta(html, attr, name, "")
        html = _replace_meta(html, "property", "og:image", "/ssr/default/v2/og/image.png")
        return html_response(html, 404)
    user = body["user"]
    title = escape(f"{user['name']} (@{user['screen_name']}) on X")
    start, end = body.get("display_text_range", [0, len(body["text"])])
    description = escape(body["text"][start:end])
    media = body.get("mediaDetails") or []
    image = (media[0]["media_url_https"] + ":large") if media else user["profile_image_url_https"].replace(
        "_normal.", "_200x200.")
    html = _replace_meta(html, "property", "og:url", escape(page_url))
    html = _replace_meta(html, "property", "og:title", title)
    html = _replace_meta(html, "name", "title", title)
    html = _replace_meta(html, "property", "og:description", description)
    html = _replace_meta(html, "name", "description", description)
    html = _replace_meta(html, "property", "og:image", image)
    for name in ("al:ios:url", "al:android:url"):
        html = _replace_meta(html, "property", name, f"twitter://status?id={body['id_str']}")
    return html_response(html)


def status_page(store: Store, post_id: str, user_agent: str, page_url: str) -> Response:
    found = store.lookup(post_id)
    if is_bot(user_agent):
        visible = found is not None and found[0] not in ("deleted", "notfound", "suspended", "protected",
                                                         "login_required", "age_restricted")
        return bot_page(found[1] if visible and found else None, page_url)
    if found is None:
        state: dict[str, Any] = {"delay": RENDER_DELAY_MS, "bottomBar": list(BOTTOM_BAR), "kind": "missing",
                                 "message": NOT_FOUND_TEXT}
    else:
        state = _browser_state(*found)
    return html_response(_shell(state))
