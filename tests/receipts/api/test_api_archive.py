"""The read API over a real archive: every filter, pagination, errors, injection attempts, media, Memento."""

from __future__ import annotations

import hashlib
import json
import warnings
from urllib.parse import quote

import pytest
from archive_support import (
    FILLER_COUNT,
    FILLER_DOMAIN,
    RUPAR,
    RUPAR_KEY,
    XSS_ARTICLE,
    XSS_POST_ID,
    Seed,
)

from fakeweb import ARTICLE_URL
from fakeweb.news import DEMO_SKEET, DEMO_TOOT
from receipts.queries import short_id

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

TOTAL_ARTICLES = 2 + FILLER_COUNT
MASTO_KEY = "mastodon:" + "/".join(DEMO_TOOT)  # the demo article's toot and Bluesky post
BSKY_KEY = f"bluesky:{DEMO_SKEET}"


def ids(resp) -> list[str]:
    assert resp.status_code == 200, resp.text
    return [item["id"] for item in resp.json()["items"]]


def error_of(resp, status: int = 400) -> str:
    assert resp.status_code == status, resp.text
    body = resp.json()["error"]
    assert body["code"] and body["message"]
    return body["message"]


# -- articles ------------------------------------------------------------------------------------
def test_article_detail_by_url_encoded_raw_and_short_id(client: TestClient) -> None:
    by_encoded = client.get(f"/api/v1/articles/{quote(ARTICLE_URL, safe='')}")
    by_raw = client.get(f"/api/v1/articles/{ARTICLE_URL}")
    by_short = client.get(f"/api/v1/articles/{short_id(ARTICLE_URL)}")
    assert by_encoded.status_code == by_raw.status_code == by_short.status_code == 200
    art = by_short.json()
    assert art == by_encoded.json() == by_raw.json()
    assert art["id"] == ARTICLE_URL and art["domain"] == "newrepublic.com" and art["published_at"] == "2025-02-14T15:41:00Z"
    rupar = next(r for r in art["references"] if r["post_id"] == RUPAR)
    assert rupar["kind"] == "embed" and rupar["state"] == "deleted"
    assert rupar["post"]["id"] == RUPAR_KEY and rupar["post"]["status"] == "deleted"
    assert rupar["post"]["author"]["handle"] == "atrupar" and rupar["post"]["text"].startswith("REPORTER:")
    assert rupar["quote_check"]["verdict"]
    unresolved = [r for r in art["references"] if not r["post_id"]]
    assert unresolved and all(r["post"] is None and r["state"] == "unresolved" for r in unresolved)
    assert error_of(client.get("/api/v1/articles/https%3A%2F%2Fnowhere.example%2Fx"), 404)
    assert error_of(client.get("/api/v1/articles/0123456789abcdef"), 404)


@pytest.mark.parametrize(("params", "expected"), [
    ({"url": ARTICLE_URL}, {ARTICLE_URL}),
    ({"domain": "newrepublic.com"}, {ARTICLE_URL}),
    ({"domain": "NEWS.example"}, {XSS_ARTICLE}),
    ({"published_from": "2025-02-14", "published_to": "2025-02-14"}, {ARTICLE_URL}),
    ({"published_from": "2024-06-02T12:00:00Z", "published_to": "2025-02-14T15:40:59+00:00"}, {XSS_ARTICLE}),
    ({"published_to": "2023-02-01"}, {f"https://{FILLER_DOMAIN}/story/{i}" for i in range(2)}),
    ({"language": "de"}, {XSS_ARTICLE}),
    ({"cites": "deleted"}, {ARTICLE_URL}),
    ({"cites": "edited"}, {ARTICLE_URL}),
    ({"q": "Hegseth"}, {ARTICLE_URL}),
    ({"q": "Feuerwerk"}, {XSS_ARTICLE}),
    ({"q": "Hegseth", "domain": "news.example"}, set()),
    ({"domain": FILLER_DOMAIN, "language": "fr", "published_from": "2023-03-01"},
     {f"https://{FILLER_DOMAIN}/story/{i}" for i in range(2, FILLER_COUNT)}),
])
def test_article_filters(client: TestClient, params: dict, expected: set[str]) -> None:
    assert set(ids(client.get("/api/v1/articles", params=params))) == expected


# -- posts ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("params", "expected"), [
    ({"platform": "x"}, {RUPAR_KEY, f"x:{XSS_POST_ID}"}),
    ({"handle": "ATRUPAR"}, {RUPAR_KEY}),
    ({"handle": "@evil_handle"}, {f"x:{XSS_POST_ID}"}),
    ({"created_from": "2025-01-01"}, {RUPAR_KEY, BSKY_KEY}),
    ({"created_to": "2024-06-01"}, {f"x:{XSS_POST_ID}"}),
    ({"created_from": "2025-02-13T22:53:10Z"}, {BSKY_KEY}),
    ({"status": "deleted"}, {RUPAR_KEY}),
    ({"status": "live"}, {f"x:{XSS_POST_ID}", MASTO_KEY, BSKY_KEY}),
    ({"status": "edited"}, {RUPAR_KEY}),
    ({"status": "unavailable"}, set()),
    ({"has_media": "true"}, {RUPAR_KEY, f"x:{XSS_POST_ID}", MASTO_KEY, BSKY_KEY}),
    ({"platform": "mastodon"}, {MASTO_KEY}),
    ({"platform": "bluesky", "has_media": "true"}, {BSKY_KEY}),
    ({"has_media": "false"}, set()),
    ({"q": "concessions"}, {RUPAR_KEY}),
    ({"q": "hostile", "handle": "atrupar"}, set()),
])
def test_post_filters(client: TestClient, params: dict, expected: set[str]) -> None:
    assert set(ids(client.get("/api/v1/posts", params=params))) == expected


def test_post_detail_history_captures_and_citing_articles(client: TestClient) -> None:
    post = client.get(f"/api/v1/posts/{RUPAR_KEY}").json()
    assert client.get(f"/api/v1/posts/{RUPAR}").json() == post  # bare digits work too
    assert post["status"] == "deleted" and post["state"] == "deleted" and post["is_edited"]
    assert len(post["versions"]) == 2 and post["versions"][1]["text"].endswith("[edited: corrected transcript]")
    assert len(post["captures"]) >= 3
    for cap in post["captures"]:  # every capture id works in its detail route
        detail = client.get(f"/api/v1/captures/{cap['id']}")
        assert detail.status_code == 200 and detail.json()["target_id"] == RUPAR_KEY
    assert [a["id"] for a in post["cited_by"]] == [ARTICLE_URL]
    assert error_of(client.get("/api/v1/posts/x:999"), 404)
    assert error_of(client.get("/api/v1/posts/not-a-post"), 404)


def test_handle_summary(client: TestClient) -> None:
    summary = client.get("/api/v1/handles/AtRupar").json()
    assert summary["handle"] == "atrupar" and summary["post_count"] == 1 and summary["states"] == {"deleted": 1}
    assert [a["id"] for a in summary["articles"]] == [ARTICLE_URL]
    assert summary["recent_posts"][0]["id"] == RUPAR_KEY
    assert "handle" in error_of(client.get("/api/v1/handles/bad-handle!"))
    assert error_of(client.get("/api/v1/handles/nobody_here"), 404)


# -- pagination -----------------------------------------------------------------------------------
def test_cursor_pagination_is_complete_and_stable(client: TestClient) -> None:
    seen: list[str] = []
    pages = 0
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        body = client.get("/api/v1/articles", params=params).json()
        assert len(body["items"]) <= 2
        seen += [a["id"] for a in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == TOTAL_ARTICLES and pages == (TOTAL_ARTICLES + 1) // 2
    assert seen == ids(client.get("/api/v1/articles"))  # same order as one big page
    # filters and a cursor combine; page size is capped, not refused
    first = client.get("/api/v1/articles", params={"domain": FILLER_DOMAIN, "limit": 3}).json()
    rest = client.get("/api/v1/articles", params={"domain": FILLER_DOMAIN, "cursor": first["next_cursor"],
                                                  "limit": 100000}).json()
    assert len(first["items"]) == 3 and len(rest["items"]) == FILLER_COUNT - 3 and rest["next_cursor"] is None


@pytest.mark.parametrize(("path", "params", "status", "needle"), [
    ("/api/v1/articles", {"limit": 0}, 422, "limit"),
    ("/api/v1/articles", {"limit": "ten"}, 422, "limit"),
    ("/api/v1/articles", {"cursor": "!!!not-a-cursor"}, 400, "cursor"),
    ("/api/v1/posts", {"cursor": "WyJhIiwiYiJd"}, 400, "cursor"),  # a token for another listing shape
    ("/api/v1/articles", {"published_from": "yesterday"}, 400, "published_from"),
    ("/api/v1/articles", {"published_from": "2025-13-01"}, 400, "published_from"),
    ("/api/v1/articles", {"published_from": "2025-02-02", "published_to": "2025-01-01"}, 400, "published_to"),
    ("/api/v1/articles", {"language": "english!!"}, 400, "language"),
    ("/api/v1/articles", {"domain": "not a domain"}, 400, "domain"),
    ("/api/v1/articles", {"url": "javascript:alert(1)"}, 400, "url"),
    ("/api/v1/articles", {"cites": "maybe"}, 400, "cites"),
    ("/api/v1/articles", {"q": "x" * 201}, 422, "q"),
    ("/api/v1/articles", {"sort": "title"}, 400, "sort"),
    ("/api/v1/posts", {"status": "bogus"}, 400, "status"),
    ("/api/v1/posts", {"platform": "myspace"}, 400, "platform"),
    ("/api/v1/posts", {"handle": "no spaces allowed"}, 400, "handle"),
    ("/api/v1/posts", {"has_media": "perhaps"}, 400, "has_media"),
    ("/api/v1/posts", {"created_to": "2025-02-30"}, 400, "created_to"),
    ("/api/v1/media/NOTAHASH", {}, 400, "sha256"),
])
def test_bad_parameters_answer_4xx_with_a_reason(client: TestClient, path: str, params: dict, status: int,
                                                 needle: str) -> None:
    assert needle in error_of(client.get(path, params=params), status)


# -- operator injection --------------------------------------------------------------------------
@pytest.mark.parametrize("query_string", [
    "status[$ne]=deleted", "handle[$regex]=.*", "q[$where]=sleep(100)", "url[$gt]=", "$where=1",
    "domain[%24ne]=x",
])
def test_bracketed_operators_are_rejected(client: TestClient, query_string: str) -> None:
    path = "/api/v1/posts" if query_string.startswith(("status", "handle")) else "/api/v1/articles"
    assert "unknown parameter" in error_of(client.get(f"{path}?{query_string}"))


@pytest.mark.parametrize("value", ['{"$where": "sleep(1000)"}', "$where", '{"$ne": null}', ".*", "$regex"])
def test_operator_strings_are_plain_values(client: TestClient, value: str) -> None:
    # as text they are searched for literally and match nothing; as handles/domains/status they are invalid
    assert ids(client.get("/api/v1/posts", params={"q": value})) == []
    assert ids(client.get("/api/v1/articles", params={"q": value})) == []
    for path, param in (("/api/v1/posts", "handle"), ("/api/v1/posts", "status"), ("/api/v1/articles", "domain"),
                        ("/api/v1/articles", "language"), ("/api/v1/articles", "url")):
        error_of(client.get(path, params={param: value}))
    assert client.get(f"/api/v1/posts/{quote(value, safe='')}").status_code == 404
    assert client.get(f"/api/v1/articles/{quote(value, safe='')}").status_code == 404


# -- media ----------------------------------------------------------------------------------------
def test_media_streams_stored_bytes_inertly(client: TestClient, seed: Seed) -> None:
    photo = client.get(f"/api/v1/media/{seed.photo_sha256}")
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/png"
    assert hashlib.sha256(photo.content).hexdigest() == seed.photo_sha256
    assert photo.headers["content-disposition"].startswith("inline")
    assert photo.headers["x-content-type-options"] == "nosniff"
    assert photo.headers["content-security-policy"].startswith("sandbox")
    html = client.get(f"/api/v1/media/{seed.html_sha256}")
    assert html.status_code == 200 and "html" not in html.headers["content-type"]
    assert html.headers["content-disposition"].startswith("attachment")
    assert html.headers["content-security-policy"].startswith("sandbox")
    assert html.headers["x-content-type-options"] == "nosniff"
    assert error_of(client.get("/api/v1/media/" + "0" * 64), 404)


# -- Memento ----------------------------------------------------------------------------------------
def test_timemaps_for_article_and_post_urls(client: TestClient, seed: Seed) -> None:
    archive = seed.archive()
    article_caps = archive.get_article(ARTICLE_URL).capture_ids
    resp = client.get(f"/timemap/link/{ARTICLE_URL}")
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("application/link-format")
    body = resp.text
    assert f'<{ARTICLE_URL}>; rel="original"' in body and 'rel="self"; type="application/link-format"' in body
    mementos = [line for line in body.split(",\n") if "memento" in line]
    assert len(mementos) >= len(article_caps) == 3
    assert all('datetime="' in m and " GMT" in m for m in mementos)
    first = mementos[0].split(">")[0].lstrip("<").replace("http://testserver", "")
    replay = client.get(first)
    assert replay.status_code == 200 and replay.headers["memento-datetime"].endswith("GMT")
    assert "html" not in replay.headers["content-type"] and "sandbox" in replay.headers["content-security-policy"]
    encoded = client.get(f"/timemap/link/{quote(ARTICLE_URL, safe='')}")
    assert encoded.text == body
    post_caps = len(list(archive.captures.find({"target_id": RUPAR_KEY})))
    post_map = client.get(f"/timemap/link/https://twitter.com/atrupar/status/{RUPAR}").text
    assert post_map.count('memento"') + post_map.count("memento;") >= 1
    assert len([line for line in post_map.split(",\n") if "memento" in line]) == post_caps
    assert error_of(client.get("/timemap/link/https://nowhere.example/never"), 404)
    assert error_of(client.get("/timemap/link/ftp:/x"))


# -- events, docs, CLI -------------------------------------------------------------------------------
def test_events_docs_and_openapi(client: TestClient) -> None:
    events = client.get("/api/v1/events", params={"type": "post_deleted"}).json()["items"]
    assert [e["subject_id"] for e in events] == [RUPAR_KEY]
    assert client.get("/docs").status_code == 200
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in ("/api/v1/articles", "/api/v1/posts", "/api/v1/media/{sha256}", "/api/v1/handles/{handle}",
                 "/timemap/link/{url}", "/api/v1/exports/csv", "/api/v1/events"):
        assert path in paths or any(p.startswith(path.split("{")[0]) for p in paths), path


def test_cli_query(seed: Seed) -> None:
    posts = json.loads(seed.cli("query", "posts", "--status", "deleted", "--json").stdout)
    assert [p["id"] for p in posts["items"]] == [RUPAR_KEY]
    csv_text = seed.cli("query", "articles", "--domain", FILLER_DOMAIN, "--csv").stdout
    assert csv_text.splitlines()[0].startswith("article_id,") and len(csv_text.splitlines()) == FILLER_COUNT + 1
    page = json.loads(seed.cli("query", "articles", "--limit", "4", "--json").stdout)
    rest = json.loads(seed.cli("query", "articles", "--cursor", page["next_cursor"], "--json").stdout)
    assert len({a["id"] for a in page["items"] + rest["items"]}) == TOTAL_ARTICLES
    events = json.loads(seed.cli("query", "events", "--type", "post_edited", "--json").stdout)
    assert [e["subject_id"] for e in events["items"]] == [RUPAR_KEY]
    assert "atrupar" in seed.cli("query", "posts", "--handle", "atrupar").stdout
    bad = seed.cli("query", "posts", "--status", "bogus", check=False)
    assert bad.returncode == 2 and "status" in bad.stderr
