"""Browser captures with real Chromium, a real nx-27017 and the fake web, through the real CLI.

Post and embed screenshots are stored as PNG media; the rendered x.com page is the third fetch
route (and the judge of a bare 404: a login wall is ``unavailable``, never ``deleted``); a run with
the browser disabled starts no Chromium at all. Screenshots are copied to ``tests/artifacts/``.
"""

from __future__ import annotations

import io
import json
import stat
from pathlib import Path

import gridfs
import pytest
from conftest import ARTIFACTS
from PIL import Image

from crawlers.browser import HANDLER, browser_settings, find_chromium
from crawlers.browser.capture import png_size
from crawlers.browser.routing import OriginRouter
from fakeweb import ARTICLE_URL, DEMO_POSTS
from fakeweb.catalog import RUPAR_ID, catalog_bodies
from receipts.settings import get_settings

UNKNOWN_ID = "1889222841300000001"  # in no catalogue: 404 everywhere, "this page doesn’t exist" on x.com


def chromium_wrapper(tmp_path: Path) -> tuple[Path, Path]:
    """An executable that records each launch, then runs the real Chromium (RECEIPTS_BROWSER_PATH)."""
    real = find_chromium()
    if real is None:
        pytest.skip("no Chromium on this machine")
    marker = tmp_path / "chromium-launches.txt"
    wrapper = tmp_path / "chromium-wrapper"
    wrapper.write_text(f'#!/bin/sh\necho launched "$@" >> "{marker}"\nexec "{real}" "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    return wrapper, marker


def launches(marker: Path) -> int:
    """Browser launches recorded by the wrapper (``--version`` probes for provenance do not count)."""
    if not marker.exists():
        return 0
    return sum("--remote-debugging-pipe" in line for line in marker.read_text().splitlines())


def crawl(receipts_env, url: str, *args: str, **env: str) -> dict:
    proc = receipts_env.run("crawl", url, "--json", *args, extra_env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def load_png(db, sha256: str, name: str) -> Image.Image:
    data = gridfs.GridFSBucket(db, bucket_name="mediafiles").open_download_stream(sha256).read()
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / name).write_bytes(data)
    image = Image.open(io.BytesIO(data))
    image.load()
    assert image.format == "PNG"
    assert png_size(data) == image.size
    return image


def link_page(fakeweb, path: str, post_ids: list[str]) -> str:
    links = "".join(f'<p>As <a href="https://x.com/demo_newsroom/status/{pid}">this post</a> shows.</p>'
                    for pid in post_ids)
    html = (f"<!DOCTYPE html><html lang=\"en\"><head><title>Browser test {path}</title></head><body>"
            f"<article><h1>Browser test</h1>{links}</article></body></html>")
    return fakeweb.add_page(path, html)


# ------------------------------------------------------------------------------------------ settings


def test_browser_settings_only_install_the_handler_when_enabled() -> None:
    s = get_settings()
    assert "DOWNLOAD_HANDLERS" not in browser_settings(s, enabled=False)
    on = browser_settings(s, enabled=True)
    assert on["DOWNLOAD_HANDLERS"] == {"http": HANDLER, "https": HANDLER}
    launch = on["PLAYWRIGHT_LAUNCH_OPTIONS"]
    assert launch["headless"] is True
    assert {"--no-sandbox", "--disable-quic", "--disable-background-networking"} <= set(launch["args"])
    assert launch.get("executable_path") == find_chromium(s.browser_path)
    assert on["PLAYWRIGHT_MAX_CONTEXTS"] == s.browser_concurrency
    assert on["PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT"] == s.browser_timeout * 1000


def test_origin_router_maps_allows_targets_and_blocks_the_rest() -> None:
    router = OriginRouter({"https://x.com": "http://127.0.0.1:9/x"})
    assert router.target("https://x.com/a/status/1?s=20") == "http://127.0.0.1:9/x/a/status/1?s=20"
    assert router.target("http://127.0.0.1:9/x/other") == "http://127.0.0.1:9/x/other"
    assert router.target("https://real.example/track.js") is None
    assert router.target("data:image/png;base64,AAAA") == "data:image/png;base64,AAAA"


# ------------------------------------------------------------------------------------------ with Chromium


def test_demo_article_post_and_embed_screenshots(receipts_env, tmp_path: Path) -> None:
    wrapper, marker = chromium_wrapper(tmp_path)
    report = crawl(receipts_env, ARTICLE_URL, RECEIPTS_BROWSER="1", RECEIPTS_BROWSER_PATH=str(wrapper))
    assert report["crawl"]["status"] == "done", report["crawl"]["errors"]
    assert launches(marker) == 1  # one browser for the whole crawl
    db = receipts_env.db
    key = f"x:{RUPAR_ID}"

    post = db.posts.find_one({"_id": key})
    assert post["status"] == "live" and post["route"] == "syndication"
    post_media = db.media.find_one({"_id": post["screenshot_sha256"]})
    assert post_media["content_type"] == "image/png"
    assert f"https://x.com/atrupar/status/{RUPAR_ID}" in post_media["source_urls"]
    image = load_png(db, post["screenshot_sha256"], "post_screenshot_rupar.png")
    assert image.width > 100 and image.height > 50
    assert (post_media["width"], post_media["height"]) == image.size

    ref = next(r for r in db.articles.find_one({"_id": ARTICLE_URL})["references"] if r.get("post_id") == RUPAR_ID)
    assert ref["kind"] == "embed" and ref["screenshot_sha256"]
    assert ref["screenshot_sha256"] != post["screenshot_sha256"]
    embed_media = db.media.find_one({"_id": ref["screenshot_sha256"]})
    assert embed_media["content_type"] == "image/png" and ARTICLE_URL in embed_media["source_urls"]
    embed = load_png(db, ref["screenshot_sha256"], "embed_screenshot_rupar.png")
    assert embed.width > 100 and embed.height > 50

    captures = list(db.captures.find({"target_type": "screenshot"}))
    # the Rupar post and embed, and the demo's Mastodon and Bluesky posts and embeds: two shots each
    assert sorted(c["meta"]["kind"] for c in captures) == ["embed_screenshot"] * 3 + ["post_screenshot"] * 3
    shots = {c["meta"]["kind"]: c for c in captures if c["target_id"] == key}
    assert set(shots) == {"post_screenshot", "embed_screenshot"}
    assert shots["post_screenshot"]["body_sha256"] == post["screenshot_sha256"]
    assert shots["post_screenshot"]["route"] == "browser"
    assert "@atrupar" in shots["post_screenshot"]["meta"]["dom_text"]
    assert shots["embed_screenshot"]["body_sha256"] == ref["screenshot_sha256"]
    assert shots["embed_screenshot"]["meta"]["element"] == "iframe"  # widgets.js rendered it
    assert "Aaron Rupar" in shots["embed_screenshot"]["meta"]["dom_text"]
    # the page kept the real URL: its navigation capture names x.com, the transport the fake web
    render = db.captures.find_one({"target_id": key, "route": "browser", "target_type": "post"})
    assert render["requested_url"] == f"https://x.com/atrupar/status/{RUPAR_ID}"
    assert render["fetched_url"] == render["requested_url"]
    assert render["transport_url"].startswith("http://127.0.0.1:")


def test_browser_route_login_wall_and_missing_page(receipts_env, fakeweb, tmp_path: Path) -> None:
    gif = DEMO_POSTS["gif"].id
    browser_only = DEMO_POSTS["state_browser_only"].id
    login = DEMO_POSTS["state_login_required"].id
    quote = DEMO_POSTS["quote"].id
    url = link_page(fakeweb, "/browser-route", [browser_only, gif, quote, login, UNKNOWN_ID])
    for pid in (gif, quote):
        fakeweb.set_post_state(pid, "browser_only")  # syndication and oEmbed answer 503, the page works
    try:
        report = crawl(receipts_env, url, RECEIPTS_BROWSER="1", RECEIPTS_RETRY_TIMES="0")
    finally:
        for pid in (gif, quote):
            fakeweb.set_post_state(pid, "live")
    posts = {p["post_id"]: p for p in report["posts"]}
    bodies = catalog_bodies()
    db = receipts_env.db

    for pid in (browser_only, gif, quote):
        post = db.posts.find_one({"_id": f"x:{pid}"})
        assert post["status"] == "live" and post["route"] == "browser", post
        assert post["created_at"].isoformat().startswith(bodies[pid]["created_at"][:19])
        assert post["screenshot_sha256"] and db.media.find_one({"_id": post["screenshot_sha256"]})
    assert posts[browser_only]["text"] == "Demo post for the browser only state."
    assert posts[browser_only]["author"]["handle"] == "demo_newsroom"
    assert posts[browser_only]["author"]["name"] == "Demo Newsroom"
    gif_post = db.posts.find_one({"_id": f"x:{gif}"})
    assert gif_post["text"] == "When the press conference goes off script 😬"  # emoji <img alt> → character
    assert gif_post["author"]["handle"] == "reactionclips"
    assert any(m["type"] == "animated_gif" and "/tweet_video/" in m["source_url"] for m in gif_post["media"])
    load_png(db, gif_post["screenshot_sha256"], "post_screenshot_browser_route_gif.png")
    # the quoted post shown inside the article is not the focal post
    assert posts[quote]["text"] == bodies[quote]["text"] and posts[quote]["author"]["handle"] == "brusselsdesk"
    assert [m["type"] for m in db.posts.find_one({"_id": f"x:{quote}"})["media"]] == ["avatar"]  # not its video

    assert posts[login]["status"] == "unavailable"
    assert "login" in posts[login]["status_reason"]
    assert posts[UNKNOWN_ID]["status"] == "deleted"
    assert "doesn’t exist" in posts[UNKNOWN_ID]["status_reason"]
    refs = {r["post_id"]: r["status"] for r in report["article"]["references"]}
    assert refs == {browser_only: "archived", gif: "archived", quote: "archived", login: "unavailable",
                    UNKNOWN_ID: "deleted"}


def test_browser_disabled_starts_no_chromium(receipts_env, fakeweb, tmp_path: Path) -> None:
    wrapper, marker = chromium_wrapper(tmp_path)
    photo = DEMO_POSTS["photo"].id
    login = DEMO_POSTS["state_login_required"].id
    url = link_page(fakeweb, "/no-browser", [photo, login])
    runs = [crawl(receipts_env, url, RECEIPTS_BROWSER="0", RECEIPTS_BROWSER_PATH=str(wrapper)),
            crawl(receipts_env, url, "--no-browser", RECEIPTS_BROWSER="1", RECEIPTS_BROWSER_PATH=str(wrapper))]
    assert launches(marker) == 0
    for report in runs:
        posts = {p["post_id"]: p for p in report["posts"]}
        assert posts[photo]["status"] == "live" and posts[photo]["screenshot_sha256"] is None
        assert posts[login]["status"] == "deleted"  # without a browser a bare 404 stays what the API said
    db = receipts_env.db
    assert db.captures.count_documents({"target_type": "screenshot"}) == 0
    assert db.captures.count_documents({"route": "browser"}) == 0


def test_several_embeds_each_get_their_own_screenshot(receipts_env, fakeweb) -> None:
    """Many embeds: one full-page capture cut into each embed's box, each attached to its reference."""
    from fakeweb.catalog import JOSHI_ID, VIETOR_ID

    posts = [(RUPAR_ID, "atrupar"), (JOSHI_ID, "shashj"), (VIETOR_ID, "TVietor08")]
    body = "".join(
        f'<p>Paragraph {i}.</p><blockquote class="twitter-tweet"><p lang="en" dir="ltr">shown {i}</p>&mdash; '
        f'N (@{handle}) <a href="https://twitter.com/{handle}/status/{pid}">February 13, 2025</a></blockquote>'
        for i, (pid, handle) in enumerate(posts))
    html = ("<!doctype html><html><head><title>Three embeds</title></head><body><article>"
            f"{body}</article><script async src='https://platform.twitter.com/widgets.js'></script></body></html>")
    url = fakeweb.add_page("/browser/three-embeds", html)
    report = crawl(receipts_env, url, RECEIPTS_BROWSER="1")
    assert report["crawl"]["status"] == "done", report["crawl"]["errors"]
    db = receipts_env.db
    refs = {r["post_id"]: r for r in db.articles.find_one({"_id": url})["references"]}
    shas = {pid: refs[pid]["screenshot_sha256"] for pid, _ in posts}
    assert all(shas.values()) and len(set(shas.values())) == 3  # three different images
    for pid, handle in posts:
        image = load_png(db, shas[pid], f"embed_{handle}.png")
        assert image.width > 100 and image.height > 50
        cap = db.captures.find_one({"target_type": "screenshot", "body_sha256": shas[pid]})
        assert handle in cap["meta"]["dom_text"]  # the crop belongs to that post's embed


def test_posts_of_other_platforms_are_screenshotted_on_their_pages_and_embeds(receipts_env, fakeweb) -> None:
    """Mastodon, Bluesky and YouTube: each post's own page is shot, and each embed as the article showed it."""
    toot, did, rkey, video = "113456789012345679", "did:plc:fll26nbvvyfm6ion7tj2sbjc", "3ljsyvltpvk2e", "dQw4w9WgXcQ"
    uri = f"at://{did}/app.bsky.feed.post/{rkey}"
    body = (
        f'<blockquote class="mastodon-embed" data-embed-url="https://mastodon.social/@dana/{toot}/embed">'
        f'<a href="https://mastodon.social/@dana/{toot}">Post by @dana@mastodon.social</a></blockquote>'
        '<script data-allowed-prefixes="https://mastodon.social/" async src="https://mastodon.social/embed.js"></script>'
        f'<p>Between the embeds.</p><blockquote class="bluesky-embed" data-bluesky-uri="{uri}" '
        f'data-bluesky-cid="bafyreiexample"><p lang="en">what goes into edge detection</p>&mdash; Nicolas (<a href='
        f'"https://bsky.app/profile/{did}?ref_src=embed">@nmattia.bsky.social</a>) <a href="https://bsky.app/profile/'
        f'{did}/post/{rkey}?ref_src=embed">March 4, 2025 at 9:09 AM</a></blockquote>'
        '<script async src="https://embed.bsky.app/static/embed.js" charset="utf-8"></script>'
        f'<p>And a video.</p><iframe width="560" height="315" src="https://www.youtube.com/embed/{video}"></iframe>')
    html = ("<!doctype html><html lang='en'><head><title>Other platforms</title></head><body><article>"
            f"<h1>Other platforms</h1>{body}</article></body></html>")
    url = fakeweb.add_page("/browser/other-platforms", html)
    report = crawl(receipts_env, url, RECEIPTS_BROWSER="1")
    assert report["crawl"]["status"] == "done", report["crawl"]["errors"]
    db = receipts_env.db
    keys = {"mastodon": f"mastodon:mastodon.social/{toot}", "bluesky": f"bluesky:{uri}", "youtube": f"youtube:{video}"}
    for platform, key in keys.items():
        post = db.posts.find_one({"_id": key})
        assert post["status"] == "live" and post["screenshot_sha256"], (platform, post)
        image = load_png(db, post["screenshot_sha256"], f"post_screenshot_{platform}.png")
        assert image.width > 50 and image.height > 20
        cap = db.captures.find_one({"target_type": "screenshot", "body_sha256": post["screenshot_sha256"]})
        assert cap["meta"]["kind"] == "post_screenshot" and cap["route"] == "browser"
    refs = {f"{r['platform']}:{r['post_id']}": r for r in db.articles.find_one({"_id": url})["references"]}
    for platform in ("mastodon", "bluesky"):  # their embed scripts turned each blockquote into an iframe
        sha = refs[keys[platform]]["screenshot_sha256"]
        assert sha and sha != db.posts.find_one({"_id": keys[platform]})["screenshot_sha256"], platform
        cap = db.captures.find_one({"target_type": "screenshot", "body_sha256": sha})
        assert cap["meta"]["kind"] == "embed_screenshot" and cap["meta"]["element"] == "iframe", cap["meta"]
        load_png(db, sha, f"embed_screenshot_{platform}.png")
