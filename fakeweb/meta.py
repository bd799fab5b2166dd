"""Fake Meta: Instagram's captioned embed pages, Threads' embed pages, Facebook's Embedded Posts plugin,
the token-gated oEmbed endpoints of the Graph API, and the image CDNs (sources: data/*/SOURCES.md).

Prefixes (``server.PREFIXES``): ``ig`` (www.instagram.com), ``threads`` (www.threads.net / .com),
``fb`` (www.facebook.com), ``graph`` (graph.facebook.com and graph.threads.net: the path tells them
apart), ``meta_cdn`` (scontent.cdninstagram.com, scontent.xx.fbcdn.net).

States per post (:data:`STATES`): ``live``; ``removed`` (oEmbed: HTTP 400 code 100; Instagram/Threads
page 404, Facebook plugin 200 "no longer available"); ``login`` (302 to the login page); ``server_error``
(500); ``rate_limited`` (429 + Retry-After; oEmbed 400 code 4); ``garbage`` (200, a script shell with no
post). The hook ids in :data:`HOOKS` start in those states; :func:`set_state` changes any post.
"""

from __future__ import annotations

import html
import json
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from fakeweb.media import image_bytes
from fakeweb.respond import Response, html_response, json_response, not_found

DATA = Path(__file__).with_name("data")
PREFIXES = ("ig", "threads", "fb", "graph", "meta_cdn")
TOKENS = frozenset({"123456789|fake-client-token"})  # what the fake Graph API accepts
STATES = ("live", "removed", "login", "server_error", "rate_limited", "garbage")
HOOKS: dict[str, dict[str, str]] = {
    "instagram": {
        "removed": "DRem0vedXyz",
        "login": "DLog1nWall0",
        "server_error": "D5xxServErr",
        "rate_limited": "D429TooMny",
        "garbage": "DJsShell000",
    },
    "threads": {
        "removed": "DRem0vedXyz",
        "login": "DLog1nWall0",
        "server_error": "D5xxServErr",
        "rate_limited": "D429TooMny",
        "garbage": "DJsShell000",
    },
    "facebook": {
        "removed": "/hooks/posts/1000000000000404",
        "login": "/hooks/posts/1000000000000302",
        "server_error": "/hooks/posts/1000000000000500",
        "rate_limited": "/hooks/posts/1000000000000429",
        "garbage": "/hooks/posts/1000000000000200",
    },
}
HOOK_USER = "hooks"  # the account of the Instagram / Threads hook posts
RETRY_AFTER = "60"
FBTRACE = "AbCdEfGhIjKlMnOpQrStUv0"
BAD_TOKEN = {
    "error": {
        "message": "Invalid OAuth access token - Cannot parse access token",
        "type": "OAuthException",
        "code": 190,
        "fbtrace_id": FBTRACE,
    }
}
NO_TOKEN = {
    "error": {
        "message": "An access token is required to request this resource.",
        "type": "OAuthException",
        "code": 104,
        "fbtrace_id": FBTRACE,
    }
}
RATE_LIMIT = {
    "error": {
        "message": "(#4) Application request limit reached",
        "type": "OAuthException",
        "is_transient": True,
        "code": 4,
        "fbtrace_id": FBTRACE,
    }
}
# not a verified message (see data/instagram/SOURCES.md): the client reads the status and the code only
NOT_AVAILABLE = {
    "error": {
        "message": "(#100) The requested resource is not available",
        "type": "OAuthException",
        "code": 100,
        "fbtrace_id": FBTRACE,
    }
}
IG_404 = (
    '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Page not found • Instagram</title></head>'
    "<body><main><h2>Sorry, this page isn't available.</h2><p>The link you followed may be broken, or the page "
    'may have been removed. <a href="/">Go back to Instagram.</a></p></main></body></html>\n'
)
SHELL = (
    '<!DOCTYPE html>\n<html lang="en" id="facebook" class="no_js"><head><meta charset="utf-8" />'
    '<title id="pageTitle">Instagram</title></head><body><script>requireLazy(["TimeSliceImpl","ServerJS"],'
    "function(TimeSlice,ServerJS){});</script></body></html>\n"
)
LOGIN_PAGES = {
    "ig": "<title>Login • Instagram</title></head><body><h1>Log into Instagram</h1>",
    "threads": "<title>Threads</title></head><body><h1>Log in with your Instagram account</h1>",
    "fb": "<title>Log into Facebook</title></head><body><h2>You must log in to continue.</h2>",
}


# ------------------------------------------------------------------------------------ data and states


@cache
def posts(platform: str) -> dict[str, dict[str, Any]]:
    return json.loads((DATA / platform / "posts.json").read_text(encoding="utf-8"))


def set_state(store: Any, platform: str, post_id: str, state: str) -> None:
    """Make every endpoint answer for *post_id* of *platform* as *state* (one of :data:`STATES`)."""
    if state not in STATES:
        raise ValueError(f"unknown state {state!r} (known: {', '.join(STATES)})")
    with store.lock:
        store.__dict__.setdefault("meta_states", {})[(platform, post_id)] = state


def state_of(store: Any, platform: str, post_id: str) -> str | None:
    """The post's state, or None when the fake has no such post."""
    with store.lock:
        override = store.__dict__.get("meta_states", {}).get((platform, post_id))
    if override:
        return override
    for state, hook in HOOKS[platform].items():
        if hook == post_id:
            return state
    return "live" if post_id in posts(platform) else None


def _failure(state: str | None, login: str) -> Response | None:
    """The answer of a page in a non-live state, or None for a live post."""
    if state == "login":
        return Response(302, b"", None, [("Location", login)])
    if state == "server_error":
        return html_response("<!DOCTYPE html><html><body><h1>Something went wrong</h1></body></html>", 500)
    if state == "rate_limited":
        return html_response(
            "<!DOCTYPE html><html><body><h1>Please wait a few minutes</h1></body></html>",
            429,
            [("Retry-After", RETRY_AFTER)],
        )
    if state == "garbage":
        return html_response(SHELL)
    return None


def cdn_url(platform: str, key: str, size: str = "") -> str:
    host = "scontent.xx.fbcdn.net" if platform == "facebook" else "scontent.cdninstagram.com"
    return f"https://{host}/v/t51.2885-15/{quote(key, safe='')}{size}_n.jpg"


# ------------------------------------------------------------------------------------ Instagram


def _ig_page(code: str, post: dict[str, Any]) -> str:
    user = html.escape(post["user"])
    src = {w: html.escape(cdn_url("instagram", code, f"_s{w}")) for w in (640, 750, 1080)}
    srcset = ",".join(f"{src[w]} {w}w" for w in (640, 750, 1080))
    caption = "<br />".join(html.escape(line) for line in post["caption"].split("\n"))
    comments = f"View all {post['comments']:,} comments" if post["comments"] else ""
    caption_div = (
        f'<div class="Caption"><a class="CaptionUsername" href="https://www.instagram.com/{user}/" '
        f'target="_blank">{user}</a><br /><br />{caption}<div class="CaptionComments">{comments}</div></div>'
        if post["caption"]
        else ""
    )
    flags = json.dumps(
        {
            "isRichEmbed": False,
            "isSidecar": post["media_type"] == "GraphSidecar",
            "isGuideEmbed": False,
            "isProfileEmbed": False,
            "contextJSON": None,
        }
    )
    return (
        '<!DOCTYPE html>\n<html lang="en" id="facebook" class="no_js">\n<head><meta charset="utf-8" />'
        '<meta name="referrer" content="default" id="meta_referrer" />'
        f'<noscript><meta http-equiv="refresh" content="0; URL=/p/{code}/embed/captioned/?_fb_noscript=1" />'
        '</noscript><title id="pageTitle">Instagram</title></head>\n<body>'
        f'<div class="Embed" data-media-type="{post["media_type"]}"><div class="Header">'
        f'<a href="https://www.instagram.com/{user}/" target="_blank"><span class="UsernameText">{user}</span></a>'
        f'</div><a class="EmbeddedMedia" href="https://www.instagram.com/p/{code}/" target="_blank">'
        f'<img class="EmbeddedMediaImage" alt="Instagram post shared by &#064;{user}" src="{src[640]}" '
        f'srcset="{srcset}" /></a>{caption_div}</div>\n'
        f'<script>requireLazy(["TimeSliceImpl","ServerJS"],function(TimeSlice,ServerJS){{(new ServerJS()).handle('
        f'{{"require":[["PolarisEmbedSimple","init",[],[{flags}]]]}});}});</script>\n</body></html>\n'
    )


def _ig_blockquote(code: str, post: dict[str, Any]) -> str:
    link = f"https://www.instagram.com/p/{code}/?utm_source=ig_embed&amp;utm_campaign=loading"
    return (
        f'<blockquote class="instagram-media" data-instgrm-captioned data-instgrm-permalink="{link}" '
        f'data-instgrm-version="14" style=" background:#FFF; border:0;"><div style="padding:16px;">'
        f'<a href="{link}" target="_blank">View this post on Instagram</a>'
        f'<p style=" margin:8px 0 0 0; padding:0 4px;"><a href="{link}" target="_blank">'
        f"{html.escape(post['caption'])}</a></p>"
        f'<p style=" color:#c9c8cd;">A post shared by <a href="https://www.instagram.com/{post["user"]}/?utm_source=ig_embed" '
        f'target="_blank">{html.escape(post["name"])}</a> (@{post["user"]}) on <time style=" font-family:Arial,sans-serif;" '
        f'datetime="{post["time"]}">{post["time"][:10]}</time></p></div></blockquote>'
    )


def instagram(store: Any, path: str) -> Response:
    parts = [p for p in path.split("/") if p]
    if parts[:2] == ["accounts", "login"]:
        return html_response(f'<!DOCTYPE html><html lang="en"><head>{LOGIN_PAGES["ig"]}</body></html>')
    if len(parts) < 3 or parts[0] not in ("p", "reel", "tv") or parts[2] != "embed" or len(parts) > 4:
        return not_found()
    code = parts[1]
    state = state_of(store, "instagram", code)
    login = f"https://www.instagram.com/accounts/login/?next=%2Fp%2F{code}%2Fembed%2Fcaptioned%2F"
    if state in (None, "removed"):
        return html_response(IG_404, 404)
    failed = _failure(state, login)
    if failed is not None:
        return failed
    return html_response(_ig_page(code, posts("instagram")[code]))


# ------------------------------------------------------------------------------------ Threads


def _threads_blockquote(code: str, user: str) -> str:
    link = f"https://www.threads.net/@{user}/post/{code}"
    return (
        f'<blockquote class="text-post-media" data-text-post-permalink="{link}" data-text-post-version="0" '
        f'id="ig-tp-{code}" style=" background:#FFF; border-width: 1px; border-style: solid;"> '
        f'<a href="{link}" style=" background:#FFFFFF; line-height:0;" target="_blank"> <div style=" padding: 40px;">'
        f'<div style=" font-size: 15px; color: #999999;"> Post by @{user}</div> '
        '<div style=" font-size: 15px; color: #000000; font-weight: 600; "> View on Threads</div></div></a></blockquote>'
    )


def _threads_page(code: str, post: dict[str, Any]) -> str:
    title = html.escape(f"{post['name']} (@{post['user']}) on Threads", quote=True)
    image = (
        f'<meta property="og:image" content="{html.escape(post["image"])}" />' if post.get("image") else ""
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8" />'
        f'<title>{title}</title><meta property="og:title" content="{title}" />'
        f'<meta property="og:description" content="{html.escape(post["text"], quote=True)}" />{image}'
        f'<meta property="og:url" content="https://www.threads.net/@{post["user"]}/post/{code}" />'
        f'</head><body><div id="barcelona-page-layout">{html.escape(post["text"])}</div></body></html>\n'
    )


def threads(store: Any, path: str) -> Response:
    parts = [p for p in path.split("/") if p]
    if parts == ["login"]:
        return html_response(f'<!DOCTYPE html><html lang="en"><head>{LOGIN_PAGES["threads"]}</body></html>')
    if len(parts) != 4 or not parts[0].startswith("@") or parts[1] != "post" or parts[3] != "embed":
        return not_found()
    user, code = parts[0][1:], parts[2]
    state = state_of(store, "threads", code)
    post = posts("threads").get(code)
    owner = post["user"] if post else HOOK_USER
    if state in (None, "removed") or user.lower() != owner.lower():
        return html_response(IG_404.replace("Instagram", "Threads"), 404)
    failed = _failure(state, "https://www.threads.net/login/?show_choice_screen=false")
    return failed if failed is not None else html_response(_threads_page(code, post))


# ------------------------------------------------------------------------------------ Facebook


def _fb_key(href: str) -> str:
    parts = urlsplit(href)
    return parts.path.rstrip("/").lower() if parts.hostname in ("www.facebook.com", "facebook.com") else ""


def _fb_page(key: str, post: dict[str, Any]) -> str:
    page, name = post["page"], html.escape(post["name"])
    paragraphs = "<br /> <br /> ".join(html.escape(p) for p in post["text"])
    picture = ""
    if post.get("image"):
        src = html.escape(cdn_url("facebook", key, "_s552x414"))
        picture = (
            f'<div class="_2l7q"><a href="https://www.facebook.com/photo.php?fbid=1&amp;ref=embed_post" '
            f'target="_blank"><img class="_1p6f _1p6g img" src="{src}" alt="" width="{post["image"]["w"]}" '
            f'height="{post["image"]["h"]}" /></a></div>'
        )
    avatar = html.escape(cdn_url("facebook", page + "-avatar", "_s50x50"))
    return (
        '<!DOCTYPE html>\n<html lang="en" id="facebook" class="no_svg no_js">\n<head><meta charset="utf-8" />'
        "<title>Facebook</title></head>"
        '<body dir="ltr" class="plugin x1 Locale_en_US"><div class="_li"><div class="pluginSkinLight pluginFontHelvetica">'
        '<div class="_5pcb _5tmf _50f3" data-testid="newsFeedStream"><div role="feed">'
        f'<div><div class="_2q1_"><div class="_4-u2 _5v3q _9ft8"><div class="_2q20 _2ph-"><div class="clearfix">'
        f'<a href="https://www.facebook.com/{page}?ref=embed_post" class="_8o _8t lfloat _ohe" target="_blank">'
        f'<img class="_s0 _4ooo _5xib _5sq7 _rw img" src="{avatar}" alt="" aria-label="{name}" role="img" /></a>'
        f'<div class="clearfix _42ef"><div class="_6a _3-8w"><div class="_2iem">'
        f'<a href="https://www.facebook.com/{page}?ref=embed_post" target="_blank"><span class="_2_79 _50f7">{name}</span></a></div>'
        f'<a href="{key}?ref=embed_post" class="_2q21" target="_blank"><abbr data-utime="{post["utime"]}" '
        f'data-tooltip-content="{html.escape(post["tooltip"])}" data-hover="tooltip" class="timestamp">'
        f'<span class="timestampContent">{html.escape(post["date"])}</span></abbr></a></div></div></div></div>'
        f'{picture}<div class="_4i-s"><div data-testid="post_message" class="_5pbx userContent _3576">'
        f'<div class="text_exposed_root"><p>{paragraphs}</p></div></div></div>'
        "</div></div></div></div></div></div></div></div>\n</body></html>\n"
    )


FB_UNAVAILABLE = (
    '<!DOCTYPE html>\n<html lang="en" id="facebook" class="no_svg no_js">\n<head><meta charset="utf-8" />'
    '<title>Facebook</title></head><body dir="ltr" class="plugin x1 Locale_en_US"><div class="_li">'
    '<div class="pluginSkinLight pluginFontHelvetica"><div class="_5pcb _5tmf _50f3" data-testid="newsFeedStream">'
    '<div role="feed"><div class="pam uiBoxWhite"><p class="_1q3v">This Facebook post is no longer available. '
    "It may have been removed or the privacy settings of the post may have changed.</p>"
    '<div class="_1q3w"><a href="https://developers.facebook.com/docs/plugins/embedded-posts/?ref=embed_post" '
    'target="_blank">Help Center</a></div></div></div></div></div></div>\n</body></html>\n'
)


def facebook(store: Any, path: str, query: dict[str, str]) -> Response:
    if path.rstrip("/") == "/login":
        return html_response(f'<!DOCTYPE html><html lang="en"><head>{LOGIN_PAGES["fb"]}</body></html>')
    if path not in ("/plugins/post.php", "/plugins/video.php"):
        return not_found()
    key = _fb_key(query.get("href", ""))
    state = state_of(store, "facebook", key)
    if state in (None, "removed"):
        return html_response(FB_UNAVAILABLE)  # Facebook answers 200 with its notice
    failed = _failure(state, f"https://www.facebook.com/login/?next={quote(query.get('href', ''), safe='')}")
    return failed if failed is not None else html_response(_fb_page(key, posts("facebook")[key]))


# ------------------------------------------------------------------------------------ Graph API oEmbed


def _token(query: dict[str, str], headers: dict[str, str]) -> str | None:
    auth = headers.get("authorization", "")
    if auth.lower().startswith(("bearer ", "oauth ")):
        return auth.split(None, 1)[1].strip()
    return query.get("access_token") or None


def graph(store: Any, path: str, query: dict[str, str], headers: dict[str, str]) -> Response:
    endpoints = {
        "/v19.0/instagram_oembed": "instagram",
        "/v19.0/oembed_post": "facebook",
        "/v19.0/oembed_video": "facebook",
        "/v1.0/oembed": "threads",
    }
    platform = endpoints.get(path.rstrip("/"))
    if platform is None:
        return json_response(
            {
                "error": {
                    "message": "Unknown path components: " + path,
                    "type": "OAuthException",
                    "code": 2500,
                    "fbtrace_id": FBTRACE,
                }
            },
            400,
        )
    token = _token(query, headers)
    if token is None:
        return json_response(NO_TOKEN, 400)
    if token not in TOKENS:
        return json_response(BAD_TOKEN, 400)
    target = query.get("url", "")
    if platform == "facebook":
        key = _fb_key(target)
    else:
        segments = [p for p in urlsplit(target).path.split("/") if p]
        key = segments[-1] if segments else ""
    state = state_of(store, platform, key)
    if state in (None, "removed", "login", "garbage"):
        return json_response(NOT_AVAILABLE, 400)
    if state == "rate_limited":
        return json_response(RATE_LIMIT, 400)
    if state == "server_error":
        return json_response(
            {
                "error": {
                    "message": "An unexpected error has occurred. Please retry your request later.",
                    "type": "OAuthException",
                    "is_transient": True,
                    "code": 2,
                    "fbtrace_id": FBTRACE,
                }
            },
            500,
        )
    post = posts(platform)[key]
    if platform == "instagram":
        return json_response(
            {
                "version": "1.0",
                "title": post["caption"],
                "author_name": post["user"],
                "author_url": f"https://www.instagram.com/{post['user']}",
                "provider_name": "Instagram",
                "provider_url": "https://www.instagram.com/",
                "type": "rich",
                "width": 658,
                "height": None,
                "html": _ig_blockquote(key, post),
                "thumbnail_url": cdn_url("instagram", key, "_s640"),
                "thumbnail_width": 640,
                "thumbnail_height": round(640 * post["height"] / post["width"]),
            }
        )
    if platform == "threads":
        return json_response(
            {
                "version": "1.0",
                "provider_name": "Threads",
                "provider_url": "https://www.threads.net/",
                "type": "rich",
                "width": 658,
                "html": _threads_blockquote(key, post["user"]),
            }
        )
    url = f"https://www.facebook.com/{post['page']}/posts/{key.rsplit('/', 1)[1]}/"
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in post["text"])
    return json_response(
        {
            "author_name": post["name"],
            "author_url": f"https://www.facebook.com/{post['page']}",
            "provider_url": "https://www.facebook.com",
            "provider_name": "Facebook",
            "success": True,
            "height": None,
            "html": (
                '<div id="fb-root"></div><div class="fb-post" data-href="' + url + '" data-width="552">'
                f'<blockquote cite="{url}" class="fb-xfbml-parse-ignore">{paragraphs}<p>Posted by '
                f'<a href="https://www.facebook.com/{post["page"]}">{html.escape(post["name"])}</a> on '
                f'<a href="{url}">{html.escape(post["date"])}</a></p></blockquote></div>'
            ),
            "type": "rich",
            "version": "1.0",
            "url": url,
            "width": 552,
        }
    )


# ------------------------------------------------------------------------------------ CDN and dispatch


def cdn(path: str) -> Response:
    """Any ``/v/…_s<W>[x<H>]_n.jpg`` picture (generated, deterministic per path)."""
    name = path.rsplit("/", 1)[-1]
    size = (640, 640)
    if "_s" in name:
        dims = name.rsplit("_s", 1)[1].split("_", 1)[0]
        w, _, h = dims.partition("x")
        if w.isdigit():
            size = (int(w), int(h) if h.isdigit() else int(w))
    if not path.startswith("/v/") or not name.endswith(".jpg"):
        return not_found()
    return Response(
        200,
        image_bytes("meta" + path, size, size),
        "image/jpeg",
        [("Cache-Control", "max-age=1209600, no-transform"), ("Access-Control-Allow-Origin", "*")],
    )


def dispatch(store: Any, prefix: str, path: str, query: dict[str, str], headers: dict[str, str]) -> Response:
    """Route one request of a Meta prefix (see the module docstring)."""
    if prefix == "ig":
        return instagram(store, path)
    if prefix == "threads":
        return threads(store, path)
    if prefix == "fb":
        return facebook(store, path, query)
    if prefix == "graph":
        return graph(store, path, query, headers)
    return cdn(path)
