"""Search providers, queries and scoring against the fake web's real-shaped X API v2 and CDX answers
(called in-process through the same dispatch functions the fake server uses)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

from crawlers.search.base import Found, QuoteTarget, SearchAnswer, SearchCall
from crawlers.search.queries import build_queries, phrases
from crawlers.search.scoring import score
from crawlers.search.wayback import WaybackProvider
from crawlers.search.xapi import XApiProvider
from fakeweb import xapi as fake_xapi
from fakeweb.catalog import JOSHI_ID, JOSHI_TEXT, REPLY_ID, VIETOR_ID, VIETOR_TEXT
from fakeweb.respond import Response
from fakeweb.store import Store

PUBLISHED = datetime(2025, 2, 14, 16, 41, tzinfo=UTC)
SPLIT_JOSHI = JOSHI_TEXT.replace("showing. Publicly", "showing Publicly")  # as discovery joins the parts


def target(text: str = SPLIT_JOSHI, handle: str | None = None, name: str | None = "Shashank Joshi") -> QuoteTarget:
    return QuoteTarget(text=text, handle=handle, name=name, start=PUBLISHED - timedelta(days=30), end=PUBLISHED)


def run(provider: XApiProvider, store: Store, call: SearchCall, token: bool = True) -> tuple[Response, SearchAnswer]:
    """The fake API's answer to *call* (as its HTTP server would give it) and the provider's reading of it."""
    parts = urlsplit(call.url)
    headers = {"authorization": call.headers.get("Authorization", "")} if token else {}
    response = fake_xapi.dispatch(store, parts.path, dict(parse_qsl(parts.query)), headers)
    return response, provider.parse(call, response.status, dict(response.headers), response.body)


def test_queries_are_exact_phrases_first_and_avoid_the_split_seam() -> None:
    queries = build_queries(SPLIT_JOSHI)
    assert queries[0].startswith('"') and queries[1].startswith('"')
    assert all("showing Publicly" not in q for q in queries)  # the seam where the article split the post
    assert build_queries(VIETOR_TEXT, "TVietor08")[0].endswith(" from:TVietor08")
    assert phrases("Too short.") == []


def test_xapi_provider_finds_the_joshi_post_via_search_all() -> None:
    store, provider = Store(), XApiProvider("test-token", now=datetime(2026, 1, 1, tzinfo=UTC))
    calls = provider.plan(target())
    assert [c.purpose for c in calls][:2] == ["search", "search"]
    assert "/2/tweets/search/all?" in calls[0].url  # the window is older than 7 days
    assert calls[0].headers == {"Authorization": "Bearer test-token"}
    response, result = run(provider, store, calls[0])
    assert response.status == 200 and result.error is None and result.stop is None
    assert [f.post_id for f in result.found] == [JOSHI_ID]
    found = result.found[0]
    assert (found.handle, found.name) == ("shashj", "Shashank Joshi") and found.text == JOSHI_TEXT
    total, parts = score(target(), found)
    assert total == 1.0 and parts == {"text": 1.0, "author": 1.0, "time": 1.0}


def test_recent_endpoint_inside_seven_days() -> None:
    provider = XApiProvider("t", now=PUBLISHED + timedelta(days=1))
    recent = QuoteTarget("x y z", None, None, PUBLISHED - timedelta(days=3), PUBLISHED)
    assert "/2/tweets/search/recent?" in provider.search_url("q", recent.start, recent.end)


def test_user_lookup_checks_a_handle() -> None:
    store, provider = Store(), XApiProvider("t")
    calls = provider.plan(target(VIETOR_TEXT, handle="TVietor08", name=None))
    assert calls[0].purpose == "user" and "/2/users/by/username/TVietor08" in calls[0].url
    _, result = run(provider, store, calls[0])
    assert result.user is not None and result.user.name == "Tommy Vietor"
    missing = SearchCall("xapi", provider.user_url("nobody_here_123"), "@nobody_here_123", "user", calls[0].headers)
    _, result = run(provider, store, missing)
    assert result.user is None and "nobody_here_123" in (result.error or "")


def test_401_without_token_and_429_with_reset_stop_the_provider() -> None:
    store, provider = Store(), XApiProvider("t")
    call = provider.plan(target())[0]
    response, result = run(provider, store, call, token=False)
    assert response.status == 401 and result.stop and "401" in result.stop and not result.found
    store.rate_limited = True
    response, result = run(provider, store, call)
    assert response.status == 429
    reset = response.header("x-rate-limit-reset") or ""
    assert result.stop and "429" in result.stop
    assert datetime.fromtimestamp(int(reset), UTC).strftime("%Y-%m-%dT%H:%M:%SZ") in result.stop
    assert XApiProvider(None).unavailable_reason(target()) == \
        "RECEIPTS_X_BEARER_TOKEN is not set (X API search skipped)"


def test_scoring_rejects_someone_elses_copy_and_later_posts() -> None:
    copy = Found("1", JOSHI_TEXT, "policywonk", "Policy Wonk", PUBLISHED - timedelta(hours=3))
    assert score(target(), copy)[0] < 0.8  # same words, wrong author: a quote-post or a copy
    later = Found(JOSHI_ID, JOSHI_TEXT, "shashj", "Shashank Joshi", PUBLISHED + timedelta(days=2))
    assert score(target(), later)[1]["time"] == 0.0
    other = Found(REPLY_ID, "@shashj Agreed. Conceding the endgame before the talks even start is a strange way",
                  "policywonk", "Policy Wonk", PUBLISHED - timedelta(hours=20))
    assert score(target(), other)[0] < 0.5


def test_wayback_lists_the_handles_posts_then_reads_them() -> None:
    store, provider = Store(), WaybackProvider()
    assert "needs the author's handle" in (provider.unavailable_reason(target(name="Tommy Vietor")) or "")
    tgt = target(VIETOR_TEXT, handle="TVietor08", name=None)
    [call] = provider.plan(tgt)
    parts = urlsplit(call.url)
    assert parts.netloc == "web.archive.org" and dict(parse_qsl(parts.query))["url"] == "x.com/TVietor08/status/*"
    response = fake_xapi.cdx(store, dict(parse_qsl(parts.query)))
    result = provider.parse(call, response.status, {}, response.body)
    assert [c.post_id for c in result.follow_ups] == [VIETOR_ID]
    assert result.follow_ups[0].url.startswith("https://cdn.syndication.twimg.com/tweet-result?id=" + VIETOR_ID)
