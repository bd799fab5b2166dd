"""Re-crawls of an article already archived (issue 17): conditional requests over real HTTP to the fake
web, nx-27017 over TCP, the real CLI."""

from __future__ import annotations

import json
from email.utils import formatdate

import httpx
import pytest

from fakeweb.catalog import PHOTO_ID, RUPAR_ID
from receipts.origin import route as origin_route

FRESH = {"RECEIPTS_RECRAWL_FRESH": "1h"}  # the default: posts fetched within the hour are not fetched again


def embed(post_id: str, handle: str) -> str:
    return (f'<blockquote class="twitter-tweet"><p lang="en" dir="ltr">text</p>&mdash; Someone (@{handle}) '
            f'<a href="https://twitter.com/{handle}/status/{post_id}?ref_src=twsrc%5Etfw">February 13, 2025</a>'
            '</blockquote>')


def page(body: str, extra: str = "") -> str:
    return ("<!doctype html><html lang='en'><head><title>Re-crawl</title></head><body><article><h1>Re-crawl</h1>"
            f"<p>Intro paragraph with enough words to count as an article body.</p>{body}{extra}"
            "<p>Closing paragraph of the article.</p></article></body></html>")


BODY = embed(PHOTO_ID, "brusselsdesk") + embed(RUPAR_ID, "atrupar")


def crawl(env, url: str, *args: str, extra_env: dict[str, str] | None = None, check: bool = True) -> dict:
    proc = env.run("crawl", url, "--json", *args, extra_env=extra_env, check=check)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def requests_since(fakeweb, start: int) -> list[dict]:
    return fakeweb.requests_log()[start:]


def header(capture: dict, name: str) -> str | None:
    return {k.lower(): v for k, v in capture["headers"].items()}.get(name.lower())


def counts(db) -> dict[str, int]:
    return {name: db[name].count_documents({}) for name in ("posts", "media", "articles")}


def article_captures(db, url: str) -> list[dict]:
    ids = db.articles.find_one({"_id": url})["capture_ids"]
    return [db.captures.find_one({"_id": i}) for i in ids]


@pytest.fixture
def archived(receipts_env, fakeweb, request):
    """An article with two posts (a photo, a video) archived once: its URL and the first crawl's report."""
    url = fakeweb.add_page(f"/recrawl/{request.node.name}", page(BODY))
    first = crawl(receipts_env, url)
    assert first["crawl"]["status"] == "done"
    return url, first


def test_unchanged_article_is_a_304_check_and_fetches_nothing_else(receipts_env, fakeweb, archived) -> None:
    url, first = archived
    db = receipts_env.db
    before, [first_cap] = counts(db), article_captures(db, url)
    assert first_cap["http_status"] == 200 and header(first_cap, "ETag")
    start = len(fakeweb.requests_log())
    second = crawl(receipts_env, url, extra_env=FRESH)
    sent = requests_since(fakeweb, start)
    assert [(r["path"], r["status"]) for r in sent] == [(f"/site/recrawl/{_name(url)}", 304)]
    assert sent[0]["headers"]["if-none-match"] == header(first_cap, "ETag")
    assert sent[0]["headers"]["if-modified-since"] == header(first_cap, "Last-Modified")
    crawl_doc = second["crawl"]
    # the one article fetch the fake web saw (above): a quarter or less of the first crawl's requests
    assert crawl_doc["status"] == "done" and crawl_doc["requests"] <= 2
    assert crawl_doc["requests"] * 4 <= first["crawl"]["requests"]
    assert crawl_doc["recrawl"]["article"] == "not_modified" and crawl_doc["recrawl"]["posts_fresh"] == 2
    # the check is appended as evidence: a 304 capture, in the WARC, pointing at the body it confirms
    caps = article_captures(db, url)
    assert [c["_id"] for c in caps[:1]] == [first_cap["_id"]] and len(caps) == 2
    check = caps[1]
    assert (check["http_status"], check["outcome"], check["crawl_id"]) == (304, "not_modified", crawl_doc["id"])
    assert check["meta"]["confirms_capture_id"] == first_cap["_id"] and check["warc_record_id"]
    assert db.captures.count_documents({"crawl_id": crawl_doc["id"]}) == 1  # no post or media fetch made up
    assert counts(db) == before
    article = second["article"]
    assert [r["status"] for r in article["references"]] == ["archived", "archived"]
    assert article["references"] == first["article"]["references"]
    for post in first["posts"]:
        assert db.posts.find_one({"_id": f"x:{post['post_id']}"})["last_capture_id"] is not None


def _name(url: str) -> str:
    return url.rsplit("/", 1)[1]


def test_stale_posts_are_fetched_again_but_their_stored_media_are_not(receipts_env, fakeweb, archived) -> None:
    url, first = archived
    db = receipts_env.db
    before = counts(db)
    last = {p["post_id"]: db.posts.find_one({"_id": f"x:{p['post_id']}"})["last_capture_id"] for p in first["posts"]}
    start = len(fakeweb.requests_log())
    second = crawl(receipts_env, url, extra_env={"RECEIPTS_RECRAWL_FRESH": "0"})  # every post is stale
    sent = requests_since(fakeweb, start)
    assert sent[0]["status"] == 304
    assert sorted(r["path"].split("?")[0] for r in sent[1:]) == ["/syn/tweet-result"] * 2
    assert not [r for r in sent if r["path"].startswith(("/pbs/", "/video/"))]
    assert second["crawl"]["recrawl"]["media_known"] >= 2 and second["crawl"]["recrawl"]["posts_fresh"] == 0
    for post in second["posts"]:
        stored = db.posts.find_one({"_id": f"x:{post['post_id']}"})
        assert stored["last_capture_id"] != last[post["post_id"]]  # a real fetch, with its own capture
        old = {m["source_url"]: m["sha256"] for p in first["posts"] if p["post_id"] == post["post_id"] for m in p["media"]}
        assert {m["source_url"]: m["sha256"] for m in post["media"]} == old and all(old.values())
    assert counts(db) == before
    # the media CDN revalidates as a real one does: Last-Modified, and a 304 to If-Modified-Since
    photo = next(m["source_url"] for p in first["posts"] for m in p["media"] if m["type"] == "photo")
    local = origin_route(photo, fakeweb.origin_map())
    modified = httpx.get(local, timeout=10).headers["last-modified"]
    assert httpx.get(local, headers={"If-Modified-Since": modified}, timeout=10).status_code == 304
    assert httpx.get(local, headers={"If-Modified-Since": formatdate(0, usegmt=True)}, timeout=10).status_code == 200


def test_a_changed_article_is_processed_again_in_full(receipts_env, fakeweb, archived) -> None:
    url, first = archived
    db = receipts_env.db
    fakeweb.add_page(f"/recrawl/{_name(url)}", page(BODY, "<p>An update: the minister has since resigned.</p>"))
    start = len(fakeweb.requests_log())
    second = crawl(receipts_env, url, extra_env=FRESH)
    sent = requests_since(fakeweb, start)
    assert sent[0]["status"] == 200 and "if-none-match" in sent[0]["headers"]
    assert sorted(r["path"].split("?")[0] for r in sent if r["path"].startswith("/syn/")) == ["/syn/tweet-result"] * 2
    assert second["crawl"]["recrawl"]["article"] == "changed"
    caps = article_captures(db, url)
    assert len(caps) == 2 and caps[1]["http_status"] == 200 and caps[1]["outcome"] is None
    assert caps[1]["body_sha256"] != caps[0]["body_sha256"]
    assert "resigned" in db.articles.find_one({"_id": url})["body_text"]
    assert {p["post_id"] for p in second["posts"]} == {PHOTO_ID, RUPAR_ID}


def test_a_5xx_to_the_conditional_request_is_an_error_never_unchanged(receipts_env, fakeweb, archived) -> None:
    url, first = archived
    db = receipts_env.db
    before = counts(db)
    fakeweb.add_page(f"/recrawl/{_name(url)}", page(BODY), status=503)
    second = crawl(receipts_env, url, extra_env={**FRESH, "RECEIPTS_RETRY_TIMES": "0"}, check=False)
    assert second["crawl"]["status"] == "failed" and "HTTP 503" in second["crawl"]["errors"][0]["error"]
    assert second["crawl"]["recrawl"]["article"] is None
    caps = article_captures(db, url)
    assert len(caps) == 1  # the failed fetch confirms nothing
    failed = list(db.captures.find({"crawl_id": second["crawl"]["id"]}))
    assert [(c["http_status"], c["outcome"]) for c in failed] == [(503, None)]
    assert counts(db) == before
    assert {db.posts.find_one({"_id": f"x:{p['post_id']}"})["status"] for p in first["posts"]} == {"live"}
    refs = db.articles.find_one({"_id": url})["references"]
    assert [r["status"] for r in refs] == ["archived", "archived"]


def test_full_refetches_the_article_posts_and_media(receipts_env, fakeweb, archived) -> None:
    url, _ = archived
    start = len(fakeweb.requests_log())
    second = crawl(receipts_env, url, "--full", extra_env=FRESH)
    sent = requests_since(fakeweb, start)
    assert sent[0]["status"] == 200 and "if-none-match" not in sent[0]["headers"]
    assert len([r for r in sent if r["path"].startswith("/syn/")]) == 2
    assert [r for r in sent if r["path"].startswith(("/pbs/", "/video/"))]
    assert second["crawl"]["recrawl"]["article"] is None and second["crawl"]["recrawl"]["media_known"] == 0


def test_a_200_with_the_same_body_is_unchanged_too(receipts_env, fakeweb, archived) -> None:
    """A server that ignores the validators (here: it serves a new ETag for the same bytes) answers 200: the
    body's sha256 says the article is unchanged."""
    url, _ = archived
    db = receipts_env.db
    fakeweb.add_page(f"/recrawl/{_name(url)}", page(BODY), headers={"ETag": '"regenerated-1"'})
    start = len(fakeweb.requests_log())
    second = crawl(receipts_env, url, extra_env=FRESH)
    sent = requests_since(fakeweb, start)
    assert [r["status"] for r in sent] == [200]
    assert second["crawl"]["recrawl"]["article"] == "unchanged"
    first_cap, check = article_captures(db, url)
    assert (check["http_status"], check["outcome"]) == (200, "unchanged")
    assert check["body_sha256"] == first_cap["body_sha256"] and check["meta"]["confirms_capture_id"] == first_cap["_id"]
    # this 200 keeps its body (stored once by sha256) and its new validators: the next check sends them
    assert header(check, "ETag") == '"regenerated-1"'
    start = len(fakeweb.requests_log())
    third = crawl(receipts_env, url, extra_env=FRESH)
    [sent] = requests_since(fakeweb, start)
    assert sent["headers"]["if-none-match"] == '"regenerated-1"' and sent["status"] == 304
    assert third["crawl"]["recrawl"]["confirms_capture_id"] == check["_id"]
