"""Crawls of articles citing posts on the registered platforms other than X, end to end through the CLI."""

from __future__ import annotations

import json

import pytest

from fakeweb.mastodon import DATA as MASTODON_DATA
from fakeweb.mastodon import DELETED_ID

PHOTO = "113456789012345679"  # @dana's status with one image attachment
TEXT = "113456789012345678"  # @dana's status with a mention and a link


def page(body: str) -> str:
    return ("<!doctype html><html lang='en'><head><title>Fediverse article</title></head><body><article>"
            "<h1>Fediverse article</h1><p>Intro paragraph with enough words to count as an article body.</p>"
            f"{body}<p>Closing paragraph of the article.</p></article></body></html>")


def mastodon_blockquote(status_id: str, acct: str = "dana") -> str:
    """The Mastodon ≥ 4.3 "Embed" snippet (tests/fixtures/mastodon/ has the real one this follows)."""
    return (f'<blockquote class="mastodon-embed" data-embed-url="https://mastodon.social/@{acct}/{status_id}/embed" '
            'style="max-width: 540px;"> <a href="https://mastodon.social/@' + acct + f'/{status_id}" target="_blank">'
            f' <div>Post by @{acct}@mastodon.social</div> <div>View on Mastodon</div> </a> </blockquote> '
            '<script data-allowed-prefixes="https://mastodon.social/" async src="https://mastodon.social/embed.js">'
            '</script>')


@pytest.fixture
def fediverse_article(fakeweb) -> str:
    return fakeweb.add_page("/crawl/fediverse", page(
        mastodon_blockquote(PHOTO)
        + f'<p>She <a href="https://mastodon.social/@dana/{TEXT}">wrote earlier</a> that the hearing ran late.</p>'
        + f'<iframe src="https://mastodon.social/@dana/{DELETED_ID}/embed" class="mastodon-embed" width="400">'
          '</iframe><script src="https://mastodon.social/embed.js" async="async"></script>'
        + '<p>A <a href="https://blog.example/@someone/123">blog post</a> that only looks like a toot.</p>'))


def test_mastodon_embeds_and_links_are_archived_and_a_look_alike_is_dropped(receipts_env, fediverse_article) -> None:
    report = receipts_env.crawl_json(fediverse_article)
    refs = {r["post_id"]: r for r in report["article"]["references"]}
    photo, text, gone = (f"mastodon.social/{i}" for i in (PHOTO, TEXT, DELETED_ID))
    assert set(refs) == {photo, text, gone}, refs.keys()  # blog.example answered "not a Mastodon status"
    assert {r["platform"] for r in refs.values()} == {"mastodon"}
    assert (refs[photo]["kind"], refs[photo]["status"]) == ("embed", "archived")
    assert (refs[text]["kind"], refs[text]["status"]) == ("link", "archived")
    assert refs[gone]["status"] == "deleted"
    posts = {p["post_id"]: p for p in report["posts"]}
    assert posts[photo]["status"] == "live" and "courtroom sketch" in posts[photo]["text"]
    assert [m["status"] for m in posts[photo]["media"] if m["type"] == "photo"] == ["stored"]
    db = receipts_env.db
    stored = db.posts.find_one({"_id": f"mastodon:{photo}"})
    assert stored is not None and stored["platform"] == "mastodon"
    assert db.posts.find_one({"_id": f"mastodon:{gone}"})["status"] == "deleted"
    assert db.posts.find_one({"_id": "mastodon:blog.example/123"}) is None


def test_platform_filters_and_fediverse_handles_in_the_cli_and_api(receipts_env, fediverse_article) -> None:
    from fakeweb import ARTICLE_URL

    receipts_env.crawl_json(fediverse_article)
    receipts_env.crawl_json(ARTICLE_URL)  # X posts beside them
    posts = json.loads(receipts_env.run("query", "posts", "--platform", "mastodon", "--json", check=True).stdout)
    assert posts["items"] and {p["platform"] for p in posts["items"]} == {"mastodon"}
    x_posts = json.loads(receipts_env.run("query", "posts", "--platform", "x", "--json", check=True).stdout)
    assert x_posts["items"] and {p["platform"] for p in x_posts["items"]} == {"x"}
    articles = json.loads(receipts_env.run("query", "articles", "--platform", "mastodon", "--json", check=True).stdout)
    assert {a["id"] for a in articles["items"]} == {fediverse_article, ARTICLE_URL}  # the demo embeds a toot too
    by_handle = json.loads(receipts_env.run("query", "posts", "--handle", "@Dana@mastodon.social", "--json",
                                            check=True).stdout)
    assert by_handle["items"] and all(p["author"]["handle"] == "dana@mastodon.social" for p in by_handle["items"])
    bad = receipts_env.run("query", "posts", "--platform", "myspace")
    assert bad.returncode != 0 and "platform" in (bad.stderr + bad.stdout) and len(bad.stderr.strip().splitlines()) == 1

    from fastapi.testclient import TestClient

    from receipts.api.app import create_app

    with TestClient(create_app(), base_url="http://localhost") as client:
        key = f"mastodon:mastodon.social/{PHOTO}"
        got = client.get(f"/api/v1/posts/{key}")
        assert got.status_code == 200 and got.json()["platform"] == "mastodon"
        listed = client.get("/api/v1/articles", params={"platform": "mastodon"}).json()["items"]
        assert {a["id"] for a in listed} == {fediverse_article, ARTICLE_URL}
        assert client.get("/api/v1/posts", params={"platform": "myspace"}).status_code == 400
        # the Memento TimeMap of a toot's public URL lists the captures its post was read from
        timemap = client.get(f"/timemap/link/https://mastodon.social/@dana/{PHOTO}")
        assert timemap.status_code == 200, timemap.text
        mementos = [line for line in timemap.text.split(",\n") if "memento" in line]
        post_captures = receipts_env.db.captures.find({"target_id": key})
        assert mementos and len(mementos) >= len([c for c in post_captures if c.get("body_sha256")])


def test_an_edited_toot_keeps_the_edit_history_mastodon_lists(receipts_env, fakeweb) -> None:
    edited = "108942703571991143"  # Mastodon's documentation example: edited three times, then a poll added
    url = fakeweb.add_page("/crawl/edited-toot", page(
        f'<p>The <a href="https://mastodon.social/@trwnh/{edited}">post</a> changed after it went out.</p>'))
    report = receipts_env.crawl_json(url)
    post = {p["post_id"]: p for p in report["posts"]}[f"mastodon.social/{edited}"]
    assert post["status"] == "live"
    stored = receipts_env.db.posts.find_one({"_id": f"mastodon:mastodon.social/{edited}"})
    listed = [v for v in stored["versions"] if v.get("listed_by") == "platform"]
    served = json.loads((MASTODON_DATA / "mastodon.social" / f"{edited}.history.json").read_text(encoding="utf-8"))
    assert len(listed) == len(served) >= 3  # every StatusEdit, the poll-only edit (same text) too
    assert listed[-1]["text"] == stored["text"]  # oldest first, the current text last
    history = [c for c in receipts_env.db.captures.find({"target_id": stored["_id"]}) if c["route"] == "history"]
    assert history and history[0]["body_sha256"]
    receipts_env.crawl_json(url)  # a re-crawl appends nothing it already keeps
    again = receipts_env.db.posts.find_one({"_id": stored["_id"]})
    assert len(again["versions"]) == len(stored["versions"])


def bluesky_blockquote(did: str, rkey: str, handle: str, text: str) -> str:
    """The bsky.app "Embed post" snippet (the real ones are in tests/fixtures/bluesky/)."""
    post = f"https://bsky.app/profile/{did}/post/{rkey}?ref_src=embed"
    return (f'<blockquote class="bluesky-embed" data-bluesky-uri="at://{did}/app.bsky.feed.post/{rkey}" '
            f'data-bluesky-cid="bafyreiexample" data-bluesky-embed-color-mode="system"><p lang="en">{text}'
            f'<br><br><a href="{post}">[image or embed]</a></p>&mdash; Someone (<a href="https://bsky.app/profile/'
            f'{did}?ref_src=embed">@{handle}</a>) <a href="{post}">March 4, 2025 at 9:09 AM</a></blockquote>'
            '<script async src="https://embed.bsky.app/static/embed.js" charset="utf-8"></script>')


def test_bluesky_embeds_links_and_handles_are_archived(receipts_env, fakeweb) -> None:
    images = ("did:plc:fll26nbvvyfm6ion7tj2sbjc", "3ljsyvltpvk2e")  # nmattia: an images post
    text = ("did:plc:pqeikn4fnyts5seuh5bazj7b", "3la4vfasktq27")  # davidharting.com: text only
    gone = "at://did:plc:pqeikn4fnyts5seuh5bazj7b/app.bsky.feed.post/3lgonepost22a"
    url = fakeweb.add_page("/crawl/bluesky", page(
        bluesky_blockquote(*images, "nmattia.bsky.social", "what goes into edge detection")
        + f'<p>He <a href="https://bsky.app/profile/davidharting.com/post/{text[1]}">joked</a> about it.</p>'
        + '<p>It was <a href="https://bsky.app/profile/davidharting.com/post/3lgonepost22a">deleted</a> later.</p>'))
    report = receipts_env.crawl_json(url)
    refs = {r["post_id"]: r for r in report["article"]["references"]}
    image_uri, text_uri = (f"at://{did}/app.bsky.feed.post/{rkey}" for did, rkey in (images, text))
    assert set(refs) == {image_uri, text_uri, gone}  # the handle links were re-keyed to the DID form
    assert {r["platform"] for r in refs.values()} == {"bluesky"}
    assert (refs[image_uri]["kind"], refs[image_uri]["status"]) == ("embed", "archived")
    assert (refs[text_uri]["kind"], refs[text_uri]["status"]) == ("link", "archived")
    assert refs[gone]["status"] == "deleted"
    posts = {p["post_id"]: p for p in report["posts"]}
    assert "edge detection" in posts[image_uri]["text"]
    assert [m["status"] for m in posts[image_uri]["media"] if m["type"] == "photo"]
    assert all(m["status"] == "stored" for m in posts[image_uri]["media"] if m["type"] == "photo")
    assert receipts_env.db.posts.find_one({"_id": f"bluesky:{text_uri}"})["status"] == "live"
    api = receipts_env.run("query", "posts", "--handle", "@davidharting.com", "--json", check=True)
    assert [p["post_id"] for p in json.loads(api.stdout)["items"]] == [text_uri]


# ------------------------------------------------------------------ Threads, Instagram, Facebook, TikTok, YouTube

TIKTOK_ID = "7348705314746699054"  # fakeweb/data/tiktok: the real oEmbed body and its embed snippet
YOUTUBE_ID = "dQw4w9WgXcQ"  # fakeweb/data/youtube: the real oEmbed body
INSTAGRAM_CODE = "Bw-eOMwAiNU"
THREADS_CODE = "C-GMXpGM4KR"
FACEBOOK_PATH = "/sozialdemokratie/posts/928812574504508"
META_TOKEN = "123456789|fake-client-token"  # what the fake Graph API accepts


def video_and_meta_page() -> str:
    """One embed of each, in the markup the platforms' "Embed" buttons give (shared/formats/other_platforms)."""
    from fakeweb.tiktok import DATA as TIKTOK_DATA

    tiktok = (TIKTOK_DATA / f"embed_blockquote_{TIKTOK_ID}.html").read_text()
    return page(
        f'<blockquote class="instagram-media" data-instgrm-captioned data-instgrm-permalink='
        f'"https://www.instagram.com/p/{INSTAGRAM_CODE}/?utm_source=ig_embed&amp;utm_campaign=loading" '
        f'data-instgrm-version="14"><div><a href="https://www.instagram.com/p/{INSTAGRAM_CODE}/">View this post on '
        'Instagram</a><p>A post shared by Bumble, For Friendship (@bumblebff)</p></div></blockquote>'
        '<script async src="//www.instagram.com/embed.js"></script>'
        f'<blockquote class="text-post-media" data-text-post-permalink="https://www.threads.net/@popey/post/{THREADS_CODE}"'
        f' data-text-post-version="0" id="ig-tp-{THREADS_CODE}"><a href="https://www.threads.net/@popey/post/'
        f'{THREADS_CODE}">Post by @popey</a></blockquote><script async src="https://www.threads.net/embed.js"></script>'
        '<div class="fb-post" data-href="https://www.facebook.com/Sozialdemokratie/posts/928812574504508/" '
        'data-width="600"><blockquote cite="https://www.facebook.com/Sozialdemokratie/posts/928812574504508/">'
        '<p>In Zeiten explodierender Kosten für Strom, Heizen und Lebensmittel dürfen Familien nicht noch zusätzlich '
        'belastet&#8230;</p><p>Posted by <a href="https://www.facebook.com/Sozialdemokratie">SPÖ</a> on&nbsp;'
        '<a href="https://www.facebook.com/Sozialdemokratie/posts/928812574504508/">Monday, February 7, 2022</a></p>'
        '</blockquote></div>'
        + tiktok
        + f'<iframe width="560" height="315" src="https://www.youtube.com/embed/{YOUTUBE_ID}?feature=oembed" '
          'frameborder="0" allowfullscreen></iframe>')


@pytest.mark.parametrize("token", [None, META_TOKEN], ids=["public-embed-pages", "meta-oembed"])
def test_threads_instagram_facebook_tiktok_and_youtube_embeds_are_archived(receipts_env, fakeweb, token) -> None:
    url = fakeweb.add_page("/crawl/video-and-meta", video_and_meta_page())
    extra = {"RECEIPTS_META_TOKEN": token} if token else {}
    proc = receipts_env.run("crawl", url, "--json", extra_env=extra, check=True)
    report = json.loads(proc.stdout)
    refs = {r["platform"]: r for r in report["article"]["references"]}
    assert set(refs) == {"instagram", "threads", "facebook", "tiktok", "youtube"}, refs.keys()
    assert [refs[p]["post_id"] for p in ("instagram", "threads", "facebook", "tiktok", "youtube")] == [
        INSTAGRAM_CODE, THREADS_CODE, FACEBOOK_PATH, TIKTOK_ID, YOUTUBE_ID]
    assert all(r["kind"] == "embed" and r["status"] == "archived" for r in refs.values()), refs
    posts = {p["platform"]: p for p in report["posts"]}
    assert posts["instagram"]["author"]["handle"] == "bumblebff" and "favorite wall" in posts["instagram"]["text"]
    assert "homelab rack" in posts["threads"]["text"]
    assert "Mietpreisbremse" in posts["facebook"]["text"] or "Familien" in posts["facebook"]["text"]
    assert "Andre 3000" in posts["tiktok"]["text"] and posts["tiktok"]["author"]["handle"] == "atribecalledval"
    assert posts["youtube"]["text"]
    meta_route = "oembed" if token else "embed_page"
    assert {posts[p]["route"] for p in ("instagram", "facebook")} == {meta_route}
    assert posts["threads"]["route"] == "embed_page"  # Threads' oEmbed has no text: it is the route without a handle
    assert {posts[p]["route"] for p in ("tiktok", "youtube")} == {"oembed"}
    db = receipts_env.db
    # each post's thumbnail or image is archived like any media, with its hash (Facebook's oEmbed shows none)
    for platform in (p for p in refs if not (token and p == "facebook")):
        stored = db.posts.find_one({"_id": f"{platform}:{refs[platform]['post_id']}"})
        images = [m for m in stored["media"] if m["type"] in ("photo", "poster", "thumbnail")]
        assert images and all(m["status"] == "stored" and m["sha256"] for m in images), (platform, stored["media"])
    if token:  # the token went as a header, never into a stored URL
        assert not list(db.captures.find({"requested_url": {"$regex": "fake-client-token"}}))
    listed = receipts_env.run("query", "posts", "--platform", "tiktok", "--json", check=True)
    assert [p["post_id"] for p in json.loads(listed.stdout)["items"]] == [TIKTOK_ID]


def test_a_removed_instagram_post_is_unavailable_never_deleted(receipts_env, fakeweb) -> None:
    from fakeweb import meta

    url = fakeweb.add_page("/crawl/removed-instagram", page(
        f'<p>She <a href="https://www.instagram.com/p/{INSTAGRAM_CODE}/">posted a photo</a>.</p>'
        f'<p>And a <a href="https://www.youtube.com/watch?v={YOUTUBE_ID}">video</a>.</p>'))
    meta.set_state(fakeweb.store, "instagram", INSTAGRAM_CODE, "removed")
    fakeweb.set_video_state("youtube", YOUTUBE_ID, "error503")
    try:
        report = receipts_env.crawl_json(url)
    finally:
        fakeweb.reset()
    refs = {r["platform"]: r for r in report["article"]["references"]}
    assert refs["instagram"]["status"] == "unavailable"  # Meta answers a removed and a private post alike
    assert refs["youtube"]["status"] == "error"  # a 503 says nothing about the video
    youtube = receipts_env.db.posts.find_one({"_id": f"youtube:{YOUTUBE_ID}"})
    assert youtube is None or youtube["status"] == "error"
