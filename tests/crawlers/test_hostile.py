"""Hostile and broken input (issue 7): a clear error on that fetch or reference, the rest goes on,
nothing crashes, nothing archived is lost or duplicated."""

from __future__ import annotations

import json

import pytest

from fakeweb.catalog import JOSHI_ID, PHOTO_ID, RUPAR_ID, VIETOR_ID
from fakeweb.hostile import TCO_SELF_LOOP

HOSTILE = "https://news.example/_hostile/"


def embed(post_id: str, handle: str = "someone") -> str:
    return (f'<blockquote class="twitter-tweet"><p lang="en" dir="ltr">shown text</p>&mdash; Someone (@{handle}) '
            f'<a href="https://twitter.com/{handle}/status/{post_id}">February 13, 2025</a></blockquote>')


def page(body: str) -> str:
    return f"<!doctype html><html><head><title>T</title></head><body><article><p>Intro.</p>{body}</article></body></html>"


def one_line_error(proc) -> str:
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 1, proc.stderr
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


@pytest.mark.parametrize(("path", "expected"), [
    ("big/50", "larger than download max size"),           # a 50 MB page over RECEIPTS_MAX_PAGE_BYTES
    ("gzip-bomb/200", "exceeded DOWNLOAD_MAXSIZE"),          # 200 KB inflating to 200 MB
    ("loop", "max redirections reached"),                    # a redirect loop
    ("chain/20", "max redirections reached"),                # a 20-hop chain
    ("reset", "Connection"),                                 # the server resets the connection
])
def test_broken_servers_give_one_clear_error(receipts_env, path, expected):
    # no hang: the run's own deadline (receipts_env.run) fails the test; speed is not asserted here
    line = one_line_error(receipts_env.run("crawl", HOSTILE + path))
    assert expected in line and "article fetch failed" in line


def test_trickling_server_times_out(receipts_env):
    proc = receipts_env.run("crawl", HOSTILE + "trickle", "--json",
                            extra_env={"RECEIPTS_DOWNLOAD_TIMEOUT": "2", "RECEIPTS_RETRY_TIMES": "1"})
    assert proc.returncode == 1 and "took longer than 2.0 seconds" in proc.stderr
    assert json.loads(proc.stdout)["crawl"]["status"] == "failed"


@pytest.mark.parametrize("scheme", ["file", "gopher", "ftp", "data"])
def test_redirect_to_another_scheme_is_a_failed_crawl(receipts_env, scheme):
    """A 302 to file:/gopher:/… is not followed, and the empty 302 is not archived as the article (item 13)."""
    proc = receipts_env.run("crawl", HOSTILE + f"redirect-to/{scheme}", "--json")
    line = one_line_error(proc)
    assert f"redirect to a {scheme}: URL is not followed" in line
    report = json.loads(proc.stdout)
    assert report["article"] is None
    crawl = receipts_env.db.crawls.find_one({"_id": report["crawl"]["id"]})
    assert crawl["status"] == "failed"
    assert f"redirect to a {scheme}: URL is not followed" in crawl["errors"][0]["error"]
    assert receipts_env.db.articles.count_documents({}) == 0


def test_short_chain_is_followed(receipts_env):
    report = receipts_env.crawl_json(HOSTILE + "chain/3")
    assert report["article"]["title"] == "End of the chain"


@pytest.mark.parametrize("content_type", ["application/pdf", "image/png", "text/plain"])
def test_non_html_content_types(receipts_env, fakeweb, content_type):
    url = fakeweb.add_page(f"/hostile/type-{content_type.replace('/', '-')}", b"\x89PNG\r\n\x1a\n....",
                           content_type=content_type)
    line = one_line_error(receipts_env.run("crawl", url))
    assert "not an HTML page" in line and content_type in line


@pytest.mark.parametrize("html", [
    "<html><p>unclosed <div><<>><blockquote class='twitter-tweet'><a href='https://twitter.com/a/status/x'>",
    "\x00\x01\x02 binary garbage \xff\xfe",
    "",
    "<" * 10000,
])
def test_malformed_html_still_archives_the_article(receipts_env, fakeweb, html):
    url = fakeweb.add_page(f"/hostile/malformed-{abs(hash(html))}", html)
    report = receipts_env.crawl_json(url)
    assert report["crawl"]["status"] in ("done", "done_with_errors")
    assert report["article"]["canonical_url"] == url
    assert all(r["post_id"] is None or r["post_id"].isdigit() for r in report["article"]["references"])


def test_truncated_page_keeps_what_it_can(receipts_env):
    report = receipts_env.crawl_json(HOSTILE + "truncated")
    assert report["article"]["title"] == "Cut off"
    assert report["crawl"]["status"] in ("done", "done_with_errors")


def test_bad_references_do_not_stop_the_rest(receipts_env, fakeweb):
    fakeweb.set_post_state(JOSHI_ID, "malformed")
    try:
        body = (embed(JOSHI_ID, "shashj") + embed(VIETOR_ID, "TVietor08")
                + f'<p><a href="https://t.co/{TCO_SELF_LOOP}">https://t.co/{TCO_SELF_LOOP}</a></p>'
                + '<p><a href="file:///etc/passwd">f</a> <a href="javascript:alert(1)">j</a> '
                + '<a href="data:text/html,hi">d</a> <a href="https://x.com/u/status/%zz">bad escape</a></p>')
        url = fakeweb.add_page("/hostile/mixed", page(body))
        report = receipts_env.crawl_json(url)
    finally:
        fakeweb.set_post_state(JOSHI_ID, "live")
    refs = {r["post_id"] or r["url"]: r for r in report["article"]["references"]}
    posts = {p["post_id"]: p for p in report["posts"]}
    # the malformed syndication body is an error of that route: oEmbed still archives the post
    assert posts[JOSHI_ID]["status"] == "live" and posts[JOSHI_ID]["route"] == "oembed"
    assert posts[VIETOR_ID]["status"] == "live" and refs[VIETOR_ID]["status"] == "archived"
    loop = refs[f"https://t.co/{TCO_SELF_LOOP}"]
    assert loop["status"] == "error" and "loops or chains" in loop["error"]
    assert report["crawl"]["status"] in ("done", "done_with_errors")
    assert len(report["article"]["references"]) == 3


def test_ten_thousand_embeds(receipts_env, fakeweb):
    ids = [RUPAR_ID, PHOTO_ID, VIETOR_ID]
    body = "".join(embed(ids[i % 3]) for i in range(10_000))
    url = fakeweb.add_page("/hostile/10k", page(body))
    report = receipts_env.crawl_json(url)
    refs = report["article"]["references"]
    assert sorted(r["post_id"] for r in refs) == sorted(ids)
    doc = receipts_env.db.articles.find_one({"_id": url})
    assert sum(len(r["locations"]) for r in doc["references"]) == 10_000
    assert receipts_env.db.posts.count_documents({}) == 3


def test_user_urls_refused_clearly(receipts_env):
    for bad, message in (("https://example.com/" + "a" * 10_000, "longer than"),
                         ("https://bücher.invalid/story", "cannot resolve host"),
                         ("https://exa mple.com/", "whitespace")):
        proc = receipts_env.run("crawl", bad)
        assert proc.returncode == 2 and message in proc.stderr, (bad, proc.stderr)
        assert len(proc.stderr.strip().splitlines()) == 1
    # invalid percent-encoding is fetched as escaped and answered by the server (404 here)
    line = one_line_error(receipts_env.run("crawl", "https://news.example/hostile/%zz%"))
    assert "HTTP 404" in line
