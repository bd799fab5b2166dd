"""Listing keys on a real nx-27017: written with every document, backfilled, and the keyed listings
return the right documents in the right order, with date bounds and paging that neither repeats nor skips."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pymongo
import pytest
from fastapi.testclient import TestClient

from receipts.api.app import create_app
from receipts.db.archive import Archive
from receipts.db.keys import NO_TIME, time_key
from receipts.db.pages import listing_page
from receipts.models import Article, Author, Capture, Media, Post
from receipts.queries import (
    ArticleFilters,
    PostFilters,
    QueryError,
    article_listing,
    post_listing,
    text_matcher,
)

T0 = datetime(2024, 3, 1, tzinfo=UTC)
WORDS = ("flood", "budget", "court")


def _archive(nx, name: str) -> Archive:
    db = pymongo.MongoClient(nx.uri, tz_aware=True)[name]
    for coll in ("posts", "articles", "captures", "events"):
        db[coll].drop()
    archive = Archive(db)
    archive.ensure_indexes()
    return archive


def _post(i: int, *, undated: bool = False, status: str = "live", media: bool = False) -> Post:
    pid = str(1000 + i)
    handle = f"u{i % 3}"
    return Post(id=f"x:{pid}", post_id=pid, url=f"https://x.com/{handle}/status/{pid}",
                author=Author(id=str(i % 3), handle=handle.upper(), name=handle), text=f"{WORDS[i % 3]} item {i}",
                created_at=None if undated else T0 + timedelta(hours=i), status=status,
                media=[Media(type="photo", source_url=f"https://pbs.twimg.com/m/{i}.jpg")] if media else [])


def _seed_posts(archive: Archive, n: int = 30) -> None:
    for i in range(n):
        archive.save_post(_post(i, status="deleted" if i % 5 == 0 else "live", media=i % 2 == 0), None)


def _walk(archive: Archive, listing, size: int) -> list[str]:
    """Every id of *listing*, page by page through the cursor key."""
    out: list[str] = []
    after = None
    while True:
        docs = listing_page(archive.posts if listing.collection == "posts" else archive.articles, listing, after, size)
        out.extend(d["_id"] for d in docs)
        if len(docs) < size:
            return out
        after = docs[-1][listing.key]


def test_time_key_sorts_as_time_and_none_first() -> None:
    moments = [datetime(1000, 1, 1, tzinfo=UTC), datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
               datetime(1970, 1, 1, tzinfo=UTC), T0, T0 + timedelta(microseconds=1), datetime(8999, 1, 1, tzinfo=UTC)]
    keys = [time_key(m) for m in moments]
    assert keys == sorted(keys) and len(set(keys)) == len(keys) and NO_TIME < keys[0]
    assert time_key("2024-03-01T00:00:00Z") == time_key(T0)  # a date nx-27017 returned as a string


def test_keys_are_written_with_every_post_article_capture_event(nx) -> None:
    archive = _archive(nx, "t_keys_written")
    archive.save_post(_post(1, media=True), None)
    doc = archive.posts.find_one({"_id": "x:1001"})
    rk = doc["recent_key"]
    assert rk == f"{time_key(T0 + timedelta(hours=1))} x:1001"
    assert doc["handle_key"] == f"u1 {rk}" and doc["status_key"] == f"live {rk}" and doc["media_key"] == f"1 {rk}"
    assert doc["platform_key"] == f"x {rk}" and "edited_key" not in doc
    archive.update_post_fields("x:1001", {"status": "deleted"})  # a re-check: the keys follow the status
    assert archive.posts.find_one({"_id": "x:1001"})["status_key"] == f"deleted {rk}"
    article = Article(id="https://news.example/a", url="https://news.example/a", canonical_url="https://news.example/a",
                      domain="news.example",
                      published_at=T0, language="en")
    archive.save_article(article, None)
    adoc = archive.articles.find_one({"_id": article.id})
    assert adoc["url_key"] == "u" + article.id and adoc["domain_key"] == f"news.example u{article.id}"
    assert adoc["published_key"] == f"{time_key(T0)} {article.id}" and "cites_deleted_key" not in adoc
    archive.refresh_citing_flags(article.id)
    archive.set_references(article.id, [], cites_deleted=True)
    assert archive.articles.find_one({"_id": article.id})["cites_deleted_key"] == f"1 u{article.id}"
    archive.add_capture(Capture(id="cp1", crawl_id="cr1", target_type="post", target_id="x:1001", route="syndication",
                                requested_url="https://x.com/a", fetched_at=T0, outcome="ok"))
    assert archive.captures.find_one({"_id": "cp1"})["capture_key"] == f"x:1001 {time_key(T0)} cp1"
    ev = archive.add_event("post_deleted", "x:1001")
    stored = archive.events.find_one({"_id": ev["_id"]})
    assert stored["event_key"] == "e" + ev["_id"] and stored["type_key"] == f"post_deleted e{ev['_id']}"


def test_backfill_writes_missing_keys_once(nx) -> None:
    archive = _archive(nx, "t_keys_backfill")
    _seed_posts(archive, 6)
    archive.add_capture(Capture(id="cp1", crawl_id="cr1", target_type="post", target_id="x:1001", route="syndication",
                                requested_url="https://x.com/a", fetched_at=T0, outcome="ok"))
    expected = {d["_id"]: d["recent_key"] for d in archive.posts.find({})}
    for coll, keys in (("posts", ["recent_key", "handle_key", "status_key", "media_key", "platform_key"]),
                       ("captures", ["capture_key"])):
        for d in archive.db[coll].find({}):  # an archive from before the keys: strip them
            archive.db[coll].update_one({"_id": d["_id"]}, {"$unset": {k: "" for k in keys}})
    assert archive.posts.find_one({"recent_key": {"$exists": True}}) is None
    archive.ensure_indexes()  # the backfill runs here
    assert {d["_id"]: d.get("recent_key") for d in archive.posts.find({})} == expected
    assert archive.captures.find_one({"_id": "cp1"})["capture_key"].startswith("x:1001 t")
    assert archive.backfill_keys() == 0  # nothing left to do


def test_post_listings_order_filters_and_paging(nx) -> None:
    archive = _archive(nx, "t_keys_posts")
    _seed_posts(archive)
    archive.save_post(_post(99, undated=True), None)  # no created_at: last, and outside every date range
    everything = _walk(archive, post_listing(archive, PostFilters()), 7)
    assert everything[-1] == "x:1099"
    assert everything[:-1] == [f"x:{1000 + i}" for i in reversed(range(30))]  # newest created_at first
    assert len(set(everything)) == len(everything)
    deleted = _walk(archive, post_listing(archive, PostFilters(status="deleted")), 2)
    assert deleted == [f"x:{1000 + i}" for i in reversed(range(0, 30, 5))]
    media = _walk(archive, post_listing(archive, PostFilters(has_media="true", handle="@U0")), 3)
    assert media == [f"x:{1000 + i}" for i in reversed(range(30)) if i % 2 == 0 and i % 3 == 0]
    # date bounds: a bare end date covers that day; a datetime end is inclusive; the start is inclusive
    start, end = T0 + timedelta(hours=5), T0 + timedelta(hours=9)
    ranged = _walk(archive, post_listing(archive, PostFilters(created_from=start.isoformat(),
                                                              created_to=end.isoformat())), 2)
    assert ranged == [f"x:{1000 + i}" for i in (9, 8, 7, 6, 5)]
    day = _walk(archive, post_listing(archive, PostFilters(created_from="2024-03-01", created_to="2024-03-01")), 4)
    assert day == [f"x:{1000 + i}" for i in reversed(range(24))]
    with pytest.raises(QueryError):
        post_listing(archive, PostFilters(created_from="2024-03-02", created_to="2024-02-28"))


def test_text_search_newest_first_by_walk_and_by_text_index(nx) -> None:
    archive = _archive(nx, "t_keys_text")
    _seed_posts(archive)
    want = [f"x:{1000 + i}" for i in reversed(range(30)) if i % 3 == 1]  # "budget"
    assert _walk(archive, post_listing(archive, PostFilters(q="Budget")), 4) == want
    # rare words: the walk gives up early and the text index answers, in the same order
    import receipts.db.pages as pages

    saved = pages.WALK_BUDGET, pages.FIRST_CHUNK
    pages.WALK_BUDGET, pages.FIRST_CHUNK = 1, 1
    try:
        assert _walk(archive, post_listing(archive, PostFilters(q="budget")), 4) == want
        assert _walk(archive, post_listing(archive, PostFilters(q="budget", handle="u1")), 2) == want
    finally:
        pages.WALK_BUDGET, pages.FIRST_CHUNK = saved
    match = text_matcher('flood -item "exact phrase"', ("text",))
    assert not match({"text": "flood item"}) and match({"text": "an exact phrase flood"})


def test_article_listings(nx) -> None:
    archive = _archive(nx, "t_keys_articles")
    for i in range(12):
        url = f"https://d{i % 2}.example/{i:02d}"
        archive.save_article(Article(id=url, url=url, canonical_url=url, domain=f"d{i % 2}.example", title=f"{WORDS[i % 3]} story",
                                     published_at=T0 + timedelta(days=i) if i != 11 else None), None)
    listing = article_listing(archive, ArticleFilters())
    assert _walk(archive, listing, 5) == sorted(f"https://d{i % 2}.example/{i:02d}" for i in range(12))
    assert _walk(archive, article_listing(archive, ArticleFilters(domain="d1.example")), 2) == [
        f"https://d1.example/{i:02d}" for i in range(1, 12, 2)]
    ranged = _walk(archive, article_listing(archive, ArticleFilters(published_from="2024-03-03",
                                                                    published_to="2024-03-06")), 2)
    assert ranged == [f"https://d{i % 2}.example/{i:02d}" for i in (5, 4, 3, 2)]  # newest first, both days in
    assert _walk(archive, article_listing(archive, ArticleFilters(q="court", domain="d0.example")), 1) == [
        "https://d0.example/02", "https://d0.example/08"]
    assert _walk(archive, article_listing(archive, ArticleFilters(url="https://d0.example/04")), 3) == [
        "https://d0.example/04"]


def test_post_with_captures_is_paged_through_the_api(nx) -> None:
    archive = _archive(nx, "t_keys_captures")
    archive.save_post(_post(1), None)
    archive.save_post(_post(2), None)
    for k in range(7):
        for target in ("x:1001", "x:1002"):
            archive.add_capture(Capture(id=f"cp{target[-1]}{k}", crawl_id="cr1", target_type="post", target_id=target,
                                        route="syndication", requested_url="https://x.com/a",
                                        fetched_at=T0 + timedelta(minutes=7 - k), outcome="ok"))
    client = TestClient(create_app(archive=archive), base_url="http://localhost")
    seen: list[str] = []
    cursor = None
    while True:
        params = {"captures_limit": 3, **({"captures_cursor": cursor} if cursor else {})}
        body = client.get("/api/v1/posts/x:1001", params=params).json()
        seen.extend(c["id"] for c in body["captures"])
        cursor = body["captures_next_cursor"]
        if not cursor:
            break
    assert seen == [f"cp1{k}" for k in reversed(range(7))]  # oldest first, each once, no other post's
    bad = client.get("/api/v1/posts/x:1002", params={"captures_cursor": cursor or "x.y"})
    assert bad.status_code == 400
    first = client.get("/api/v1/posts/x:1001", params={"captures_limit": 3}).json()["captures_next_cursor"]
    other = client.get("/api/v1/posts/x:1002", params={"captures_cursor": first})
    assert other.status_code == 400  # a cursor of one post's captures is refused for another
    page = client.get("/posts/x:1001")
    assert page.status_code == 200 and "cp16" in page.text
