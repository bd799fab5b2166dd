"""Article text search walks ``article_words`` (receipts.db.words) on a real nx-27017: the companion is
written with every article write and backfilled, and a search answers exactly what the Python matcher
over title and body answers, in the listing's order, page by page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pymongo

from receipts.db.archive import Archive, set_fields
from receipts.db.keys import with_keys
from receipts.db.pages import listing_page
from receipts.db.words import WORDS_SHA, words_doc
from receipts.models import Article
from receipts.queries import ArticleFilters, article_listing, text_matcher

T0 = datetime(2024, 3, 1, tzinfo=UTC)
TEXTS = [
    ("Flood warning", "The river rose overnight; flooding in the valley."),
    ("Budget talks", "Ministers met on the budget. No deal on the BUDGET yet."),
    ("Straße closed", "Die Straße ist gesperrt: roadworks until May."),
    ("İstanbul summit", "Leaders met in İstanbul for the summit."),
    ("Court rules", "The court_ruling came at 10:30; appeal expected."),
    ("Snake_case and digits", "Version 2.0 released, build 1234, see snake_case."),
    ("", "Untitled piece about a flood and a court."),
    ("Rail strike", ""),
    ("Exact phrase", "an exact phrase appears here, flood too"),
    ("Substring", "floodgate opened; budgetary concerns"),
]
QUERIES = ["flood", "Budget", "straße", "STRASSE", "istanbul", "i̇stanbul", "court", "court_ruling", "2", "1234",
           "flood -court", "flood court", "-flood", "floodgate", "budgetary", "rail strike", '"exact phrase"',
           '"exact phrase" flood', '"ood an"', "nothing", "snake_case", "10 30", "-nothing flood"]


def _archive(nx, name: str) -> Archive:
    db = pymongo.MongoClient(nx.uri, tz_aware=True)[name]
    for coll in ("articles", "article_words", "posts"):
        db[coll].drop()
    archive = Archive(db)
    archive.ensure_indexes()
    return archive


def _article(i: int) -> Article:
    title, body = TEXTS[i % len(TEXTS)]
    url = f"https://d{i % 2}.example/{i:03d}"
    return Article(id=url, url=url, canonical_url=url, domain=f"d{i % 2}.example", title=title or None,
                   body_text=body, published_at=T0 + timedelta(days=i), cites_deleted=i % 3 == 0)


def _pages(archive: Archive, f: ArticleFilters, size: int) -> list[str]:
    listing = article_listing(archive, f)
    out: list[str] = []
    after = None
    while True:
        docs = listing_page(archive.articles, listing, after, size)
        out.extend(d["_id"] for d in docs)
        if len(docs) < size:
            return out
        after = docs[-1][listing.key]


def _expected(archive: Archive, q: str, where: dict | None = None, newest: bool = False) -> list[str]:
    """The old way: every article matched in Python on title + body, in the listing's order."""
    match = text_matcher(q, ("title", "body_text"))
    docs = [d for d in archive.articles.find(where or {}) if match(d)]
    key = "published_key" if newest else "url_key"
    return [d["_id"] for d in sorted(docs, key=lambda d: d[key], reverse=newest)]


def test_companion_is_written_with_the_article_and_follows_its_changes(nx) -> None:
    archive = _archive(nx, "t_words_written")
    archive.save_article(_article(0), None)
    article = archive.articles.find_one({"_id": "https://d0.example/000"})
    words = archive.article_words.find_one({"_id": article["_id"]})
    assert words is not None and words["words"] == "flood flooding in overnight river rose the valley warning"
    assert words["url_key"] == article["url_key"] and words["published_key"] == article["published_key"]
    assert words["domain"] == "d0.example" and words["cites_deleted"] is True
    assert article[WORDS_SHA] == words[WORDS_SHA]
    set_fields(archive.articles, article["_id"], {"title": "Drought notice"})  # a text change rewrites it
    words = archive.article_words.find_one({"_id": article["_id"]})
    assert "drought" in words["words"].split() and "warning" not in words["words"].split()
    archive.refresh_citing_flags(article["_id"])  # no references: the flag drops, in the companion too
    assert archive.article_words.find_one({"_id": article["_id"]})["cites_deleted"] is False
    assert archive.articles.find_one({"_id": article["_id"]})[WORDS_SHA] == archive.article_words.find_one(
        {"_id": article["_id"]})[WORDS_SHA]


def test_companions_are_backfilled_for_articles_stored_without(nx) -> None:
    archive = _archive(nx, "t_words_backfill")
    for i in range(5):  # as an earlier version stored them: keys, no companion, no words_sha
        archive.articles.insert_one(with_keys(_article(i).to_doc(), "articles"))
    assert archive.article_words.count_documents({}) == 0
    # not walked yet (an article has no words_sha): the articles are searched themselves, same answer
    assert _pages(archive, ArticleFilters(q="budget"), 2) == ["https://d1.example/001"]
    archive.ensure_indexes()
    assert archive.article_words.count_documents({}) == 5
    for doc in archive.articles.find({}):
        assert archive.article_words.find_one({"_id": doc["_id"]}) == words_doc(doc)
    assert _pages(archive, ArticleFilters(q="budget"), 2) == ["https://d1.example/001"]
    assert archive.backfill_words() == 0  # nothing left to do


def test_word_search_equals_the_python_matcher_on_a_mixed_corpus(nx) -> None:
    archive = _archive(nx, "t_words_equal")
    for i in range(40):
        archive.save_article(_article(i), None)
    for q in QUERIES:
        assert _pages(archive, ArticleFilters(q=q), 3) == _expected(archive, q), q
        assert _pages(archive, ArticleFilters(q=q, domain="d1.example"), 4) == _expected(
            archive, q, {"domain": "d1.example"}), q
        assert _pages(archive, ArticleFilters(q=q, cites="deleted"), 5) == _expected(
            archive, q, {"cites_deleted": True}), q
        assert _pages(archive, ArticleFilters(q=q, published_from="2024-03-05", published_to="2024-03-30"), 4) == [
            d for d in _expected(archive, q, newest=True)
            if "2024-03-05" <= archive.articles.find_one({"_id": d})["published_at"].date().isoformat() <= "2024-03-30"], q
    assert _expected(archive, "flood") and _expected(archive, "straße") == _expected(archive, "strasse")


def test_a_stale_companion_never_adds_an_article(nx) -> None:
    archive = _archive(nx, "t_words_stale")
    archive.save_article(_article(1), None)  # "budget"
    doc = archive.articles.find_one({"_id": "https://d1.example/001"})
    doc.update(title="Weather", body_text="Sunny all week.")
    doc.pop(WORDS_SHA)
    archive.articles.replace_one({"_id": doc["_id"]}, doc)  # a writer that knows nothing of article_words
    assert _pages(archive, ArticleFilters(q="budget"), 2) == []
    assert _pages(archive, ArticleFilters(q="sunny"), 2) == [doc["_id"]]  # no words_sha: the articles are walked
    archive.ensure_indexes()  # the article has no words_sha: its companion is written again
    assert _pages(archive, ArticleFilters(q="sunny"), 2) == [doc["_id"]]
    # a companion out of step with its article (a writer that kept words_sha but changed the article):
    # the article's own fields and text decide what is listed
    doc = archive.articles.find_one({"_id": doc["_id"]})
    old_words = archive.article_words.find_one({"_id": doc["_id"]})["words"]
    doc = with_keys({**doc, "cites_deleted": True, "body_text": "Rain all week."}, "articles")
    archive.articles.replace_one({"_id": doc["_id"]}, doc)
    archive.article_words.replace_one({"_id": doc["_id"]}, {**words_doc(doc), "words": old_words, WORDS_SHA: "wstale"})
    assert _pages(archive, ArticleFilters(q="sunny", cites="deleted"), 2) == []  # the text no longer says it
    assert _pages(archive, ArticleFilters(q="weather", cites="deleted"), 2) == [doc["_id"]]
    archive.articles.replace_one({"_id": doc["_id"]}, with_keys({**doc, "cites_deleted": False}, "articles"))
    assert _pages(archive, ArticleFilters(q="weather", cites="deleted"), 2) == []  # the article's flag decides
