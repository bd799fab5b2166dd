"""End-to-end crawls through the real CLI, nx-27017 over TCP and the fake web (issue 2)."""

from __future__ import annotations

import json

import pytest
from conftest import FIXTURES, ROOT

from fakeweb import ARTICLE_URL
from fakeweb.catalog import (
    EXTRA_TCO_CHAIN,
    JOSHI_ID,
    PHOTO_ID,
    REAL_POST_IDS,
    RUPAR_ID,
    STATE_POSTS,
    VIETOR_ID,
)


def embed(post_id: str, handle: str = "someone", text: str = "text") -> str:
    return (f'<blockquote class="twitter-tweet"><p lang="en" dir="ltr">{text}</p>&mdash; Someone (@{handle}) '
            f'<a href="https://twitter.com/{handle}/status/{post_id}?ref_src=twsrc%5Etfw">February 13, 2025</a>'
            '</blockquote>')


def page(body: str, title: str = "Test article") -> str:
    return (f"<!doctype html><html lang='en'><head><title>{title}</title></head><body><article>"
            f"<h1>{title}</h1><p>Intro paragraph with enough words to count as an article body.</p>{body}"
            "<p>Closing paragraph of the article.</p></article></body></html>")


def refs_by_post(report: dict) -> dict[str | None, dict]:
    return {r["post_id"]: r for r in report["article"]["references"]}


def posts_by_id(report: dict) -> dict[str, dict]:
    return {p["post_id"]: p for p in report["posts"]}


def test_seed_article_three_x_references_and_two_fediverse_posts(receipts_env):
    report = receipts_env.crawl_json(ARTICLE_URL)
    art = report["article"]
    assert art["canonical_url"] == ARTICLE_URL
    assert art["title"].startswith("Pete Hegseth Crumbles")
    assert art["published_at"].startswith("2025-02-14")
    refs = art["references"]
    assert [(r["platform"], r["kind"]) for r in refs] == [
        ("x", "embed"), ("x", "attribution"), ("x", "attribution"), ("mastodon", "embed"), ("bluesky", "embed")]
    others = {r["platform"]: r for r in refs if r["platform"] != "x"}
    assert others["mastodon"]["post_id"] == "mastodon.social/113456789012345680"
    assert others["bluesky"]["post_id"].startswith("at://did:plc:") and others["bluesky"]["handle"] == "nmattia.bsky.social"
    assert all(r["status"] == "archived" for r in others.values())
    rupar = refs_by_post(report)[RUPAR_ID]
    assert (rupar["kind"], rupar["status"], rupar["handle"]) == ("embed", "archived", "atrupar")
    assert "What concessions will Putin be asked to make?" in rupar["displayed_text"]
    post = posts_by_id(report)[RUPAR_ID]
    assert post["status"] == "live"
    assert post["author"] == {"handle": "atrupar", "name": "Aaron Rupar"}
    assert post["created_at"] == "2025-02-13T22:53:09Z"
    assert post["text"].startswith("REPORTER: You have focused on what Ukraine is giving up.")
    assert any(m["type"] == "video" and "1280x720" in m["source_url"] for m in post["media"])
    quotes = [r for r in refs if r["kind"] == "attribution"]
    assert {q["display_name"] for q in quotes} == {"Shashank Joshi", "Tommy Vietor"}
    for q in quotes:
        assert q["post_id"] is None and q["status"] == "unresolved"
    joshi = next(q for q in quotes if q["display_name"] == "Shashank Joshi")
    assert "lack of experience is already showing" in joshi["displayed_text"]
    for r in refs:
        start, end = r["offsets"]
        assert 0 <= start < end
    crawl = report["crawl"]
    assert crawl["requests"] >= 2 and crawl["errors"] == []
    # provenance next to the article, the posts and the captures in MongoDB
    db = receipts_env.db
    doc = db.articles.find_one({"_id": ARTICLE_URL})
    assert doc["references"][0]["locations"][0]["css_path"]
    assert db.posts.find_one({"_id": f"x:{RUPAR_ID}"})["raw"]["id_str"] == RUPAR_ID
    caps = list(db.captures.find({"crawl_id": crawl["id"]}))
    routes = {c["route"] for c in caps}
    assert {"article", "syndication"} <= routes
    art_cap = next(c for c in caps if c["route"] == "article")
    assert art_cap["http_status"] == 200 and len(art_cap["body_sha256"]) == 64
    assert art_cap["transport_url"].startswith("http://127.0.0.1")
    assert art_cap["requested_url"] == ARTICLE_URL


def test_real_syndication_bodies_and_link_shapes(receipts_env, fakeweb):
    a, b, c, d = REAL_POST_IDS
    body = (embed(a, "MattCarrollCode")
            + f'<p>See <a href="https://x.com/i/web/status/{b}">this</a>, '
            f'<a href="https://mobile.twitter.com/u/status/{c}/photo/1?s=20">that</a> and '
            f'<a href="https://twitter.com/#!/u/statuses/{d}">the old one</a>. '
            f'Share: <a href="https://twitter.com/intent/tweet?text=x">tweet this</a> '
            f'<a href="https://twitter.com/someone">profile</a></p>')
    url = fakeweb.add_page("/crawl/real-bodies", page(body))
    report = receipts_env.crawl_json(url)
    refs = refs_by_post(report)
    assert set(refs) == set(REAL_POST_IDS)
    assert refs[a]["kind"] == "embed" and refs[b]["kind"] == "link"
    posts = posts_by_id(report)
    for pid in REAL_POST_IDS:
        assert posts[pid]["status"] == "live", posts[pid]
        assert posts[pid]["author"]["handle"]
        assert refs[pid]["status"] == "archived"
    # the quote tweet's quoted post is archived too
    quoted = posts[c]["quoted_post_id"] or posts[b]["quoted_post_id"] or posts[a]["quoted_post_id"] \
        or posts[d]["quoted_post_id"]
    assert quoted and quoted in posts


@pytest.mark.parametrize(("state", "post_status", "ref_status"), [
    ("deleted", "deleted", "deleted"),
    ("empty", "deleted", "deleted"),
    ("suspended", "unavailable", "unavailable"),
    ("protected", "unavailable", "unavailable"),
    ("age_restricted", "unavailable", "unavailable"),
])
def test_tombstones_and_not_found(receipts_env, fakeweb, state, post_status, ref_status):
    pid = STATE_POSTS[state]
    url = fakeweb.add_page(f"/crawl/state-{state}", page(embed(pid, "demo_newsroom")))
    report = receipts_env.crawl_json(url)
    post = posts_by_id(report)[pid]
    assert post["status"] == post_status
    assert refs_by_post(report)[pid]["status"] == ref_status
    if state in ("deleted", "protected"):
        assert "Post" in post["status_reason"]


def test_unknown_post_404_is_deleted(receipts_env, fakeweb):
    pid = "1890000000000000001"
    url = fakeweb.add_page("/crawl/unknown", page(embed(pid)))
    report = receipts_env.crawl_json(url)
    assert posts_by_id(report)[pid]["status"] == "deleted"
    assert "404" in posts_by_id(report)[pid]["status_reason"]


@pytest.mark.parametrize("state", ["error503", "error429"])
def test_server_errors_are_never_deletions(receipts_env, fakeweb, state):
    pid = STATE_POSTS[state]
    url = fakeweb.add_page(f"/crawl/{state}", page(embed(pid, "demo_newsroom")))
    report = receipts_env.crawl_json(url)
    post = posts_by_id(report)[pid]
    assert post["status"] == "error"
    assert refs_by_post(report)[pid]["status"] == "error"
    caps = list(receipts_env.db.captures.find({"target_id": f"x:{pid}"}))
    statuses = [c["http_status"] for c in caps]
    expected = 503 if state == "error503" else 429
    # every attempt is a capture: retries on both routes
    assert statuses.count(expected) >= 4
    assert {c["route"] for c in caps} == {"syndication", "oembed"}
    assert receipts_env.db.events.count_documents({"type": "post_deleted"}) == 0


def test_flaky_server_retried_then_archived(receipts_env, fakeweb):
    pid = STATE_POSTS["flaky503"]
    fakeweb.reset()
    url = fakeweb.add_page("/crawl/flaky", page(embed(pid, "demo_newsroom")))
    report = receipts_env.crawl_json(url)
    post = posts_by_id(report)[pid]
    assert post["status"] == "live" and post["route"] == "syndication"
    caps = list(receipts_env.db.captures.find({"target_id": f"x:{pid}"}).sort("fetched_at", 1))
    assert [c["http_status"] for c in caps if c["route"] == "syndication"] == [503, 503, 200]


def test_oembed_fallback(receipts_env, fakeweb):
    fakeweb.set_post_state(JOSHI_ID, "oembed_only")
    try:
        url = fakeweb.add_page("/crawl/oembed", page(embed(JOSHI_ID, "shashj")))
        report = receipts_env.crawl_json(url)
    finally:
        fakeweb.set_post_state(JOSHI_ID, "live")
    post = posts_by_id(report)[JOSHI_ID]
    assert post["status"] == "live" and post["route"] == "oembed"
    assert post["author"]["handle"] == "shashj"
    assert "lack of experience is already showing" in post["text"]
    assert post["created_at"].startswith("2025-02-13T16:27:31")
    assert refs_by_post(report)[JOSHI_ID]["status"] == "archived"


def test_recrawl_is_idempotent(receipts_env, fakeweb):
    first = receipts_env.crawl_json(ARTICLE_URL)
    db = receipts_env.db
    counts = {name: db[name].count_documents({}) for name in ("articles", "posts")}
    captures_after_first = db.captures.count_documents({})
    second = receipts_env.crawl_json(ARTICLE_URL)
    assert {name: db[name].count_documents({}) for name in ("articles", "posts")} == counts
    # appended, never rewritten: the unchanged article is a 304 check; its posts are fetched again
    # (RECEIPTS_RECRAWL_FRESH=0 in tests), media stored from the same URLs are not (tests/crawlers/test_recrawl.py)
    assert db.captures.count_documents({}) > captures_after_first
    assert db.captures.count_documents({"crawl_id": first["crawl"]["id"]}) == captures_after_first
    assert db.captures.count_documents({"crawl_id": second["crawl"]["id"], "outcome": "not_modified"}) == 1
    assert second["crawl"]["id"] != first["crawl"]["id"]
    assert len(second["article"]["references"]) == len(first["article"]["references"])
    doc = db.articles.find_one({"_id": ARTICLE_URL})
    assert len(doc["capture_ids"]) == 2
    post = db.posts.find_one({"_id": f"x:{RUPAR_ID}"})
    assert len(post["versions"]) == 1  # unchanged text is not a new version
    assert db.events.count_documents({}) == 0


def test_short_links_resolve_to_posts(receipts_env, fakeweb):
    body = (f'<p>Watch <a href="https://t.co/{EXTRA_TCO_CHAIN}">https://t.co/{EXTRA_TCO_CHAIN}</a> and '
            f'<a href="https://x.com/brusselsdesk/status/{PHOTO_ID}">the photo</a>.</p>')
    url = fakeweb.add_page("/crawl/tco", page(body))
    report = receipts_env.crawl_json(url)
    refs = refs_by_post(report)
    assert refs[RUPAR_ID]["kind"] == "media_link" and refs[RUPAR_ID]["status"] == "archived"
    assert refs[PHOTO_ID]["kind"] == "link"
    tco = [c for c in receipts_env.db.captures.find({"route": "tco"})]
    assert len(tco) == 2 and all(c["http_status"] == 301 for c in tco)


def test_same_post_twice_is_one_reference(receipts_env, fakeweb):
    body = embed(VIETOR_ID, "TVietor08") + f'<p>As <a href="https://x.com/TVietor08/status/{VIETOR_ID}">he said</a>.</p>'
    url = fakeweb.add_page("/crawl/dupe", page(body))
    report = receipts_env.crawl_json(url)
    refs = [r for r in report["article"]["references"] if r["post_id"] == VIETOR_ID]
    assert len(refs) == 1 and refs[0]["kind"] == "embed"
    doc = receipts_env.db.articles.find_one({"_id": url})
    assert len(doc["references"][0]["locations"]) == 2


def test_bad_input_one_line_errors(receipts_env, fakeweb):
    proc = receipts_env.run("crawl", "ftp://example.com/a")
    assert proc.returncode == 2 and "not an http(s) URL" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    url = fakeweb.add_page("/crawl/data.json", '{"a": 1}', content_type="application/json")
    proc = receipts_env.run("crawl", url, "--json")
    assert proc.returncode == 1 and "not an HTML page" in proc.stderr
    assert json.loads(proc.stdout)["crawl"]["status"] == "failed"
    env = {"RECEIPTS_ORIGIN_MAP": json.dumps({**fakeweb.origin_map(), "https://down.example": "http://127.0.0.1:9"})}
    proc = receipts_env.run("crawl", "https://down.example/story", extra_env=env)
    assert proc.returncode == 1 and "article fetch failed" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    proc = receipts_env.run("crawl", "http://127.0.0.1:8080/x")
    assert proc.returncode == 2 and "non-public address" in proc.stderr


def test_readable_summary(receipts_env):
    proc = receipts_env.run("crawl", ARTICLE_URL, check=True)
    assert "5 reference(s)" in proc.stdout
    assert "@atrupar" in proc.stdout and "Shashank Joshi" in proc.stdout
    assert "@dana@mastodon.social" in proc.stdout and "@nmattia.bsky.social" in proc.stdout


def test_scrapy_crawl_command_works(receipts_env, tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    root = ROOT
    proc = subprocess.run([str(Path(sys.executable).parent / "scrapy"), "crawl", "article", "-a", f"url={ARTICLE_URL}"],
                          cwd=root, env=receipts_env.env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert receipts_env.db.posts.find_one({"_id": f"x:{RUPAR_ID}"}) is not None


def test_a_post_deleted_later_flags_every_article_citing_it(receipts_env, fakeweb):
    first = fakeweb.add_page("/crawl/cites-a", page(embed(PHOTO_ID, "brusselsdesk")))
    receipts_env.crawl_json(first)
    db = receipts_env.db
    assert db.posts.find_one({"_id": f"x:{PHOTO_ID}"})["cited_by"] == [first]
    assert db.articles.find_one({"_id": first})["cites_deleted"] is False
    fakeweb.set_post_state(PHOTO_ID, "deleted")
    try:
        second = fakeweb.add_page("/crawl/cites-b", page(embed(PHOTO_ID, "brusselsdesk")))
        receipts_env.crawl_json(second)
    finally:
        fakeweb.set_post_state(PHOTO_ID, "live")
    assert sorted(db.posts.find_one({"_id": f"x:{PHOTO_ID}"})["cited_by"]) == sorted([first, second])
    assert db.events.count_documents({"type": "post_deleted", "subject_id": f"x:{PHOTO_ID}"}) == 1
    # the earlier article learns it now cites a deleted post (flag, and its reference's quote check)
    assert db.articles.find_one({"_id": first})["cites_deleted"] is True
    proc = receipts_env.run("query", "articles", "--cites", "deleted", "--json", check=True)
    assert {a["id"] for a in json.loads(proc.stdout)["items"]} >= {first, second}
    proc = receipts_env.run("query", "posts", "--handle", "BrusselsDesk", "--status", "deleted", "--json", check=True)
    assert [p["id"] for p in json.loads(proc.stdout)["items"]] == [f"x:{PHOTO_ID}"]


def test_flattened_embed_resolves_through_its_media_link(receipts_env, fakeweb):
    """The seed article as printed: the Rupar embed flattened to text, its pic.twitter.com link the only
    pointer to the post — resolved through t.co (the pic code is the t.co code)."""

    html = (FIXTURES / "articles" / "seed_flattened.html").read_text()
    url = fakeweb.add_page("/crawl/seed-flattened", html)
    report = receipts_env.crawl_json(url)
    refs = report["article"]["references"]
    rupar = next(r for r in refs if r["handle"] == "atrupar")
    assert rupar["kind"] == "attribution" and rupar["post_id"] == RUPAR_ID and rupar["status"] == "archived"
    assert rupar["resolution"]["provider"] == "short_link"
    assert rupar["resolution"]["query"].endswith("8KqMe7ohG3")
    assert RUPAR_ID in posts_by_id(report)
    tco = receipts_env.db.captures.find_one({"route": "tco"})
    assert tco["requested_url"] == "https://t.co/8KqMe7ohG3" and tco["http_status"] == 301
    assert len(refs) == 3
