"""Unlinked quotes end to end: real nx-27017, the fake web, the CLI in a subprocess."""

from __future__ import annotations

import json

from fakeweb.catalog import ARTICLE_URL, JOSHI_ID, JOSHI_TEXT, VIETOR_ID

TOKEN = {"RECEIPTS_X_BEARER_TOKEN": "test-token"}


def refs_by_name(report: dict) -> dict[str, dict]:
    return {r["display_name"] or r["handle"]: r for r in report["article"]["references"]}


def crawl(env, url: str, extra_env: dict[str, str] | None = None) -> dict:
    proc = env.run("crawl", url, "--json", extra_env=extra_env, check=True)
    return json.loads(proc.stdout)


def test_demo_resolves_joshi_and_vietor_through_the_x_api(receipts_env) -> None:
    proc = receipts_env.run("demo", "--json", check=True)
    report = json.loads(proc.stdout)
    refs = refs_by_name(report)
    for name, post_id in (("Shashank Joshi", JOSHI_ID), ("Tommy Vietor", VIETOR_ID)):
        ref = refs[name]
        assert ref["kind"] == "attribution" and ref["status"] == "archived", ref
        assert ref["post_id"] == post_id
        assert ref["resolution"]["provider"] == "xapi" and ref["resolution"]["score"] >= 0.8
        assert ref["resolution"]["query"].startswith('"')  # an exact phrase found it
        assert ref["quote_check"]["verdict"] == "equivalent"  # split around the attribution, not altered
        assert ref["unresolved_reason"] is None
    assert {p["post_id"] for p in report["posts"]} >= {JOSHI_ID, VIETOR_ID}
    assert report["crawl"]["status"] == "done"
    stored = receipts_env.db.articles.find_one({"_id": ARTICLE_URL})
    joshi = next(r for r in stored["references"] if r["post_id"] == JOSHI_ID)
    assert joshi["candidates"][0]["post_id"] == JOSHI_ID and joshi["candidates"][0]["scores"]["author"] == 1.0
    searches = list(receipts_env.db.captures.find({"route": "search"}))
    assert searches and all("api.x.com/2/tweets/search/" in c["requested_url"] for c in searches)
    # the bearer token reached the API but never the archive: captures and WARC files
    assert all(c["request_headers"].get("Authorization") == "[redacted]" for c in searches)
    import gzip

    warcs = list((receipts_env.data_dir / "warc").glob("*.warc.gz"))
    assert warcs
    for warc in warcs:
        assert b"demo-token" not in gzip.decompress(warc.read_bytes())
    text = receipts_env.run("demo", check=True).stdout
    assert "found via xapi" in text and "quote check: equivalent" in text


def test_demo_without_a_token_leaves_the_quotes_unresolved_and_says_why(receipts_env) -> None:
    report = json.loads(receipts_env.run("demo", "--json", "--no-token", check=True).stdout)
    for name in ("Shashank Joshi", "Tommy Vietor"):
        ref = refs_by_name(report)[name]
        assert ref["status"] == "unresolved" and ref["post_id"] is None and ref["resolution"] is None
        assert "RECEIPTS_X_BEARER_TOKEN is not set" in ref["unresolved_reason"]
        assert "handle" in ref["unresolved_reason"]  # why the Wayback provider could not help either
    assert report["crawl"]["status"] == "done"


def test_rate_limited_api_leaves_quotes_unresolved_and_the_crawl_goes_on(receipts_env, fakeweb) -> None:
    seen = len(fakeweb.requests_log())
    fakeweb.set_rate_limited(True)
    try:
        report = crawl(receipts_env, ARTICLE_URL, TOKEN)
    finally:
        fakeweb.set_rate_limited(False)
    refs = refs_by_name(report)
    for name in ("Shashank Joshi", "Tommy Vietor"):
        assert refs[name]["status"] == "unresolved"
        assert "429" in refs[name]["unresolved_reason"] and "resets at" in refs[name]["unresolved_reason"]
    assert refs["Aaron Rupar"]["status"] == "archived"
    assert report["crawl"]["status"] == "done"
    search_calls = [e for e in fakeweb.requests_log()[seen:] if "/tweets/search/" in e["path"]]
    # each quote's first query runs at once; the first 429 stops the provider for the crawl (no retries)
    assert 1 <= len(search_calls) <= 2 and all(e["status"] == 429 for e in search_calls)


def test_altered_quote_with_a_handle_is_resolved_and_flagged(receipts_env, fakeweb) -> None:
    altered = JOSHI_TEXT.replace("lack of experience", "lack of judgment")
    url = fakeweb.add_page("/altered-quote", f"""<html><head><title>Altered</title>
<meta property="article:published_time" content="2025-02-14T15:41:00Z"></head>
<body><article><p>Experts were not kind.</p>
<p>“{altered}” @shashj posted on X.</p></article></body></html>""")
    report = crawl(receipts_env, url, TOKEN)
    [ref] = [r for r in report["article"]["references"] if r["kind"] == "attribution"]
    assert ref["handle"] == "shashj" and ref["post_id"] == JOSHI_ID and ref["status"] == "archived"
    check = ref["quote_check"]
    assert check["verdict"] == "altered"
    assert any(d["article"] == "judgment" and d["post"] == "experience" for d in check["diff"])


def test_wayback_resolves_a_handle_attributed_quote_without_a_token(receipts_env, fakeweb) -> None:
    url = fakeweb.add_page("/wayback-quote", f"""<html><head><title>Wayback</title>
<meta property="article:published_time" content="2025-02-14T15:41:00Z"></head>
<body><article><p>Experts were not kind.</p>
<p>“{JOSHI_TEXT}” @shashj wrote on X.</p></article></body></html>""")
    report = crawl(receipts_env, url)
    [ref] = [r for r in report["article"]["references"] if r["kind"] == "attribution"]
    assert ref["post_id"] == JOSHI_ID and ref["status"] == "archived", ref
    assert ref["resolution"]["provider"] == "wayback"
    assert ref["quote_check"]["verdict"] == "exact"


def test_recrawl_after_an_edit_turns_the_verdict_and_emits_quote_changed(receipts_env, fakeweb) -> None:
    url = fakeweb.add_page("/edited-quote", f"""<html><head><title>Edited</title>
<meta property="article:published_time" content="2025-02-14T15:41:00Z"></head>
<body><article><p>Experts were not kind.</p>
<p>“{JOSHI_TEXT}” @shashj posted on X.</p></article></body></html>""")
    try:
        first = crawl(receipts_env, url, TOKEN)
        [ref] = [r for r in first["article"]["references"] if r["kind"] == "attribution"]
        assert ref["post_id"] == JOSHI_ID and ref["quote_check"]["verdict"] == "exact"
        fakeweb.set_post_state(JOSHI_ID, "live", text="Nothing to see here, I was wrong about Hegseth.")
        second = crawl(receipts_env, url, TOKEN)
    finally:
        fakeweb.reset()
    [ref] = [r for r in second["article"]["references"] if r["kind"] == "attribution"]
    assert ref["post_id"] == JOSHI_ID and ref["status"] == "archived"
    assert ref["quote_check"]["verdict"] == "edited_since"
    events = list(receipts_env.db.events.find({"type": "quote_changed"}))
    assert [(e["data"]["from"], e["data"]["to"]) for e in events] == [("exact", "edited_since")]
