"""Quote verdicts on real-shaped data: the real syndication bodies (fakeweb/data), embed markup in tests/fixtures,
the fake web's demo posts and demo article (as discovery reads it)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from conftest import FIXTURES

from crawlers.discovery import extract_article
from crawlers.platforms.x.syndication import classify_response, normalize_tweet
from fakeweb.catalog import ARTICLE_URL, DATA_DIR, JOSHI_ID, JOSHI_TEXT, RUPAR_ID, VIETOR_ID, catalog_bodies
from fakeweb.news import article_html
from fakeweb.store import Store
from receipts.models import Post, Reference
from receipts.quotes.compare import check_quote, compare_text
from receipts.quotes.dates import date_consistent, parse_displayed_date
from receipts.quotes.normalize import normalize_text, words

CARROLL_ID = "1629262255744503809"


def syndication(name: str) -> dict:
    return json.loads((DATA_DIR / name).read_text(encoding="utf-8"))


def carroll_post() -> Post:
    return normalize_tweet(syndication(f"tweet_card_{CARROLL_ID}.json"))


def embed_ref(html: str | None = None) -> Reference:
    html = html or (FIXTURES / "embeds" / f"01_publish_twitter_basic_mattcarrollcode_{CARROLL_ID}.html").read_text()
    refs = [r for r in extract_article(f"<html><body><article><p>Intro.</p>{html}</article></body></html>",
                                       "https://news.example/a").to_article().references if r.kind == "embed"]
    assert len(refs) == 1
    return refs[0]


def demo_post(post_id: str) -> Post:
    return normalize_tweet(catalog_bodies()[post_id])


def demo_refs() -> dict[str, Reference]:
    refs = extract_article(article_html(), ARTICLE_URL).to_article().references
    return {r.display_name or r.handle or "": r for r in refs}


def quote_ref(text: str, **fields) -> Reference:
    return Reference(kind="attribution", displayed_text=text, **fields)


# ------------------------------------------------------------------------------------ normalising


def test_normalize_handles_entities_quotes_dashes_space_media_links_and_emoji() -> None:
    shown = "📰 It&#39;s “done” — see   pic.twitter.com/AbC123\n\nnow…"
    placeholder = {"pic.twitter.com/AbC123": None}  # the post's links say it is a media placeholder
    assert normalize_text(shown, placeholder) == "It's \"done\" - see now..."
    assert normalize_text(shown) == "It's \"done\" - see pic.twitter.com/AbC123 now..."  # nothing says what it is
    assert normalize_text("Cafe\u0301") == "Café"
    assert words(normalize_text("Hegseth’s lack, of EXPERIENCE.")) == ["hegseth's", "lack", "of", "experience"]


def test_x_posts_say_which_of_their_link_texts_are_media_placeholders() -> None:
    from crawlers.platforms.x.links import link_map

    post = demo_post(RUPAR_ID)  # a video post: its t.co and both pic hosts vanish, as the embed shows one
    assert post.links == link_map(post.raw) and None in post.links.values()
    code = next(k for k in post.links if k.startswith("pic.twitter.com/")).split("/", 1)[1]
    assert normalize_text(f"a pic.x.com/{code} b", post.links) == normalize_text("a b")
    assert normalize_text(f"a https://pic.twitter.com/{code} b", post.links) == normalize_text("a b")


def test_tco_and_display_url_equal_the_expanded_url_through_the_post_entities() -> None:
    post = carroll_post()
    assert "https://beta.reactjs.org/learn/tutorial-tic-tac-toe" in (post.text or "")
    via_tco = compare_text("tutorial? https://t.co/fI2B6TT8rL", "tutorial? https://beta.reactjs.org/learn/tutorial-tic-tac-toe",
                           {"t.co/fI2B6TT8rL": "https://beta.reactjs.org/learn/tutorial-tic-tac-toe"})
    assert via_tco.verdict == "equivalent"


# ------------------------------------------------------------------------------------ verdicts


def test_exact_when_the_article_prints_the_post_verbatim() -> None:
    check = check_quote(quote_ref(JOSHI_TEXT, display_name="Shashank Joshi", post_id=JOSHI_ID), demo_post(JOSHI_ID))
    assert check.verdict == "exact" and check.similarity == 1.0
    assert check.capture_id is None and check.checked_at.tzinfo is not None


def test_real_embed_is_equivalent_to_its_syndication_body() -> None:
    ref, post = embed_ref(), carroll_post()
    assert ref.post_id == CARROLL_ID and ref.displayed_date == "February 24, 2023"
    post.last_capture_id = "cap1"
    check = check_quote(ref, post)
    assert check.verdict == "equivalent", check
    assert check.similarity == 1.0 and check.capture_id == "cap1" and check.mismatches == []
    assert check.displayed_normalized == check.post_normalized


@pytest.mark.parametrize("name,post_id", [("Shashank Joshi", JOSHI_ID), ("Tommy Vietor", VIETOR_ID)])
def test_quote_split_around_its_attribution_is_equivalent_not_altered(name: str, post_id: str) -> None:
    ref = demo_refs()[name]  # “A,” posted … “B”: discovery joins the parts; the post's full stop became a comma
    assert ref.kind == "attribution" and ref.post_id is None
    check = check_quote(ref.model_copy(update={"post_id": post_id}), demo_post(post_id))
    assert check.verdict == "equivalent", check.diff
    assert check.diff == [] and check.similarity == 1.0


def test_demo_embed_with_its_pic_link_is_equivalent() -> None:
    ref = demo_refs()["Aaron Rupar"]
    assert "pic.twitter.com/" in (ref.displayed_text or "")
    assert check_quote(ref, demo_post(RUPAR_ID)).verdict == "equivalent"


@pytest.mark.parametrize("shown", [
    "Hegseth’s lack of experience is already showing. Publicly makes a series of pre-emptive concess…",
    "…a series of pre-emptive concessions prior to the most important negotiations in many years",
    "Hegseth’s lack of experience is already showing … he had no authority to say any of those things.",
    "Publicly makes a series of pre-emptive concessions prior to the most important negotiations",
])
def test_excerpt_truncated_elided_or_partial(shown: str) -> None:
    check = check_quote(quote_ref(shown, display_name="Shashank Joshi", post_id=JOSHI_ID), demo_post(JOSHI_ID))
    assert check.verdict == "excerpt" and check.similarity == 1.0


def test_altered_quote_stores_a_word_level_diff() -> None:
    shown = ("Hegseth’s lack of judgment is already showing. Publicly makes a series of concessions prior to the "
             "most important negotiations in many years")
    check = check_quote(quote_ref(shown, display_name="Shashank Joshi", post_id=JOSHI_ID), demo_post(JOSHI_ID))
    assert check.verdict == "altered"
    assert 0.8 < check.similarity < 1.0
    assert {"op": "replaced", "article": "judgment", "post": "experience"} in [
        {k: d[k] for k in ("op", "article", "post")} for d in check.diff]
    assert any(d["op"] == "omitted" and d["post"] == "pre-emptive" for d in check.diff)


def test_words_out_of_order_are_altered_not_excerpt() -> None:
    check = check_quote(quote_ref("experience lack of Hegseth’s", post_id=JOSHI_ID), demo_post(JOSHI_ID))
    assert check.verdict == "altered" and check.similarity < 1.0


def test_edited_post_the_article_shows_the_earlier_text() -> None:
    store = Store()
    before = normalize_tweet(store.lookup(JOSHI_ID)[1])
    store.set_state(JOSHI_ID, "live", text="Hegseth’s lack of experience is showing. (Edited for accuracy.)")
    after = normalize_tweet(store.lookup(JOSHI_ID)[1])
    assert len(after.edit_ids) == 2 and after.edit_ids[0] == JOSHI_ID
    ref = quote_ref(JOSHI_TEXT, display_name="Shashank Joshi", post_id=JOSHI_ID)
    # with the earlier version archived (a previous crawl) …
    after.versions = [{"text": before.text, "edit_ids": before.edit_ids}, {"text": after.text, "edit_ids": after.edit_ids}]
    check = check_quote(ref, after)
    assert check.verdict == "edited_since" and check.similarity == 1.0
    # … and without it: the cited ID has a newer edit and the texts differ
    after.versions = []
    check = check_quote(ref, after)
    assert check.verdict == "edited_since" and after.edit_ids[-1] in check.mismatches[0]
    # the article quoting the current text is fine
    assert check_quote(quote_ref(after.text or "", post_id=after.edit_ids[-1]), after).verdict == "exact"


def test_deleted_post_uses_the_tombstone_and_keeps_the_archived_text() -> None:
    outcome = classify_response(200, {"content-type": "application/json"},
                                (DATA_DIR / "tombstone_deleted.json").read_bytes())
    assert outcome.kind == "gone" and outcome.status == "deleted"
    post = demo_post(JOSHI_ID).model_copy(update={"status": outcome.status, "status_reason": outcome.reason})
    check = check_quote(quote_ref(JOSHI_TEXT, post_id=JOSHI_ID), post)
    assert check.verdict == "deleted" and check.similarity == 1.0
    gone = Post(id="x:1", post_id="1", url="https://x.com/i/status/1", status="deleted", text=None)
    assert check_quote(quote_ref("anything", post_id="1"), gone).verdict == "deleted"


def test_unavailable_and_unverified() -> None:
    locked = Post(id="x:2", post_id="2", url="https://x.com/i/status/2", status="unavailable", text=None)
    assert check_quote(quote_ref("words here", post_id="2"), locked).verdict == "unavailable"
    assert check_quote(quote_ref("words here", post_id="2"), None).verdict == "unverified"
    failed = Post(id="x:3", post_id="3", url="https://x.com/i/status/3", status="error", text=None)
    assert check_quote(quote_ref("words here", post_id="3"), failed).verdict == "unverified"


def test_quote_longer_than_a_truncated_long_post_is_unverified() -> None:
    rupar = demo_post(RUPAR_ID)  # note_tweet: the archived text stops at "at…"
    shown = (rupar.text or "").removesuffix("…") + " its face, and more words the archive never saw."
    assert check_quote(quote_ref(shown, post_id=RUPAR_ID), rupar).verdict == "unverified"


def test_misattributed_handle_in_a_real_embed() -> None:
    html = (FIXTURES / "embeds" / f"01_publish_twitter_basic_mattcarrollcode_{CARROLL_ID}.html").read_text()
    ref = embed_ref(html.replace("(@mattcarrollcode)", "(@reactjs)"))
    assert ref.handle == "reactjs"
    check = check_quote(ref, carroll_post())
    assert check.verdict == "misattributed"
    assert check.mismatches == ["handle: article shows @reactjs, post is by @mattcarrollcode"]
    assert check.similarity == 1.0  # the text itself is faithful


def test_misattributed_display_name() -> None:
    ref = quote_ref(JOSHI_TEXT, display_name="Tommy Vietor", post_id=JOSHI_ID)
    check = check_quote(ref, demo_post(JOSHI_ID))
    assert check.verdict == "misattributed" and check.mismatches[0].startswith("display_name:")
    # a display name with emoji or a title still matches
    post = demo_post(JOSHI_ID)
    post.author.name = "Shashank Joshi 🇬🇧"
    assert check_quote(quote_ref(JOSHI_TEXT, display_name="Defense editor Shashank Joshi", post_id=JOSHI_ID),
                       post).verdict == "exact"


# ------------------------------------------------------------------------------------ dates


@pytest.mark.parametrize("shown,ok", [
    ("February 24, 2023", True),   # the post's UTC date (23:29Z)
    ("February 25, 2023", True),   # the same instant seen from UTC+1 or later: just after midnight
    ("25. Februar 2023", True),    # a data-lang="de" embed
    ("February 26, 2023", False),  # no time zone gives that date
    ("February 23, 2023", False),
])
def test_date_near_midnight_in_another_time_zone(shown: str, ok: bool) -> None:
    html = (FIXTURES / "embeds" / f"01_publish_twitter_basic_mattcarrollcode_{CARROLL_ID}.html").read_text()
    ref = embed_ref(html.replace(">February 24, 2023<", f">{shown}<"))
    assert ref.displayed_date == shown
    post = carroll_post()
    assert post.created_at == datetime(2023, 2, 24, 23, 29, 26, tzinfo=UTC)
    check = check_quote(ref, post)
    assert (check.verdict == "equivalent") is ok
    if not ok:
        assert check.verdict == "misattributed" and check.mismatches[0].startswith("date:")


def test_date_with_a_known_article_offset() -> None:
    posted = datetime(2023, 2, 24, 23, 29, 26, tzinfo=UTC)
    assert date_consistent(date(2023, 2, 25), posted, timedelta(hours=1))
    assert not date_consistent(date(2023, 2, 24), posted, timedelta(hours=1))
    assert date_consistent(date(2023, 2, 24), posted, timedelta(hours=-8))
    assert not date_consistent(date(2023, 2, 26), posted)


@pytest.mark.parametrize("text,expected", [
    ("February 13, 2025", date(2025, 2, 13)),
    ("Feb 13, 2025", date(2025, 2, 13)),
    ("13 February 2025", date(2025, 2, 13)),
    ("26. Mai 2019", date(2019, 5, 26)),
    ("26 de mayo de 2019", date(2019, 5, 26)),
    ("26 mai 2019", date(2019, 5, 26)),
    ("2019年5月26日", date(2019, 5, 26)),
    ("2025-02-13", date(2025, 2, 13)),
    ("November 4, 2024 at 9:09 AM", date(2024, 11, 4)),
    ("yesterday", None),
    ("February 30, 2025", None),
])
def test_parse_displayed_date(text: str, expected: date | None) -> None:
    assert parse_displayed_date(text) == expected
