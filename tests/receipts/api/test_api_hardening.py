"""Issue 10, the API side: bounded times and dates, signed cursors, one parameter check for every route,
webhook URLs redacted on open reads, the Host allow-list. In-process over the real app and nx-27017."""

from __future__ import annotations

import base64
import json
import warnings

import pytest
from archive_support import FILLER_COUNT, RUPAR_KEY, Seed

from receipts.db import get_database
from receipts.db.archive import Archive
from receipts.db.jobs import JobQueue, ensure_job_indexes
from receipts.settings import reset_settings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

TOKEN = "t0ken-for-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def error_of(resp, status: int = 400) -> dict:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert set(body) == {"error"} and body["error"]["code"] and body["error"]["message"], body
    return body["error"]


def fresh_client(base_url: str = "http://localhost") -> tuple[TestClient, Archive]:
    from receipts.api.app import create_app

    archive = Archive(get_database())
    archive.ensure_indexes()
    ensure_job_indexes(archive)
    return TestClient(create_app(archive=archive), base_url=base_url), archive


def forged(values: list) -> str:
    """A cursor in the old, unsigned format: base64 JSON of the sort values."""
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


# -- item 2: event times before 1970 (base 36 of a negative number looped forever) -------------------
@pytest.mark.timeout(60)
@pytest.mark.parametrize("since", ["1969-12-31T23:59:59Z", "1900-01-01", "0001-01-01T00:00:00Z",
                                   "9999-12-31T23:59:59Z", "5200-01-01T00:00:00Z", "ev-1", "ev$ne"])
def test_out_of_range_since_is_a_400_not_a_hang(client: TestClient, since: str) -> None:
    err = error_of(client.get("/api/v1/events", params={"since": since}))
    assert err["code"] == "bad_since" and "since" in err["message"]


def test_event_id_time_prefix_refuses_negative_and_too_late_times() -> None:
    from receipts.ids import ID_TIME_LIMIT_MS, id_time_prefix

    assert id_time_prefix(0) == "000000000" and id_time_prefix(ID_TIME_LIMIT_MS - 1) == "zzzzzzzzz"
    for bad in (-1, -10**12, ID_TIME_LIMIT_MS):
        with pytest.raises(ValueError):
            id_time_prefix(bad)


# -- item 10: dates at the ends of the calendar, NUL bytes -> 400, never 500 ------------------------
@pytest.mark.parametrize(("path", "params", "needle"), [
    ("/api/v1/posts", {"created_to": "9999-12-31"}, "created_to"),
    ("/api/v1/posts", {"created_from": "0001-01-01T00:00:00+14:00"}, "created_from"),
    ("/api/v1/posts", {"created_to": "9999-12-31T23:59:59-10:00"}, "created_to"),
    ("/api/v1/articles", {"published_to": "9999-12-31"}, "published_to"),
    ("/api/v1/articles", {"published_from": "0001-01-01T00:00:00+14:00"}, "published_from"),
    ("/api/v1/exports/csv", {"published_to": "9999-12-31"}, "published_to"),
    ("/api/v1/exports/jsonl", {"published_from": "0001-01-01T00:00:00+14:00"}, "published_from"),
    ("/api/v1/exports/prov", {"published_to": "9999-12-31"}, "published_to"),
    ("/api/v1/exports/wacz", {"published_to": "9999-12-31"}, "published_to"),
    ("/api/v1/articles", {"q": "a\x00b"}, "q"),
    ("/api/v1/posts", {"q": "\x00"}, "q"),
    ("/api/v1/exports/csv", {"q": "x\x00"}, "q"),
])
def test_calendar_edges_and_nul_bytes_are_400s(client: TestClient, path: str, params: dict, needle: str) -> None:
    client.raise_server_exceptions = False
    try:
        err = error_of(client.get(path, params=params))
    finally:
        client.raise_server_exceptions = True
    assert needle in err["message"]


def test_dates_inside_the_bounds_still_work(client: TestClient) -> None:
    assert client.get("/api/v1/posts", params={"created_to": "8999-12-31"}).status_code == 200
    assert client.get("/api/v1/articles", params={"published_from": "1000-01-01T00:00:00+14:00"}).status_code == 200


def test_cli_refuses_calendar_edges(seed: Seed) -> None:
    bad = seed.cli("query", "posts", "--created-to", "9999-12-31", check=False)
    assert bad.returncode == 2 and "created_to" in bad.stderr and "Traceback" not in bad.stderr


# -- item 5: cursors are signed; forged or altered ones are 400s ------------------------------------
def test_forged_cursor_cannot_inject_operators(receipts_env) -> None:
    client, archive = fresh_client()
    queue = JobQueue(archive)
    for i in range(3):
        queue.enqueue("crawl", url=f"https://news.example/c{i}")
    # the old unsigned format put these values into the query: {"created_at": {"$ne": null}, ...}
    for values in ([{"$ne": None}, "zzzz"], [{"$where": "sleep(1000)"}, "a"], ["x", {"$gt": ""}]):
        err = error_of(client.get("/api/v1/crawls", params={"cursor": forged(values)}))
        assert err["code"] == "bad_cursor"
    assert len(client.get("/api/v1/crawls").json()["items"]) == 3


def test_altered_cursor_and_cursor_of_another_listing(client: TestClient) -> None:
    page = client.get("/api/v1/articles", params={"limit": 2}).json()
    cursor = page["next_cursor"]
    body, _, sig = cursor.partition(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["v"] = [{"$gt": ""}]
    tampered = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=") + "." + sig
    assert "signature" in error_of(client.get("/api/v1/articles", params={"cursor": tampered}))["message"]
    flipped = cursor[:-5] + ("A" if cursor[-5] != "A" else "B") + cursor[-4:]  # one MAC character
    assert error_of(client.get("/api/v1/articles", params={"cursor": flipped}))["code"] == "bad_cursor"
    assert "listing" in error_of(client.get("/api/v1/posts", params={"cursor": cursor}))["message"]
    rest = client.get("/api/v1/articles", params={"cursor": cursor, "limit": 200}).json()["items"]
    assert len(rest) == 2 + FILLER_COUNT - 2  # the genuine cursor still pages on


def test_cli_cursor_is_checked_and_shared_with_the_api(client: TestClient, seed: Seed) -> None:
    api_cursor = client.get("/api/v1/articles", params={"limit": 3}).json()["next_cursor"]
    from_cli = json.loads(seed.cli("query", "articles", "--cursor", api_cursor, "--json").stdout)
    assert len(from_cli["items"]) == 2 + FILLER_COUNT - 3
    bad = seed.cli("query", "articles", "--cursor", forged([{"$gt": ""}]), check=False)
    assert bad.returncode == 2 and "cursor" in bad.stderr and "Traceback" not in bad.stderr
    posts = json.loads(seed.cli("query", "posts", "--limit", "1", "--json").stdout)
    bad = seed.cli("query", "articles", "--cursor", posts["next_cursor"], check=False)
    assert bad.returncode == 2 and "listing" in bad.stderr


# -- item 12: unknown and bracketed parameters on every route ---------------------------------------
@pytest.mark.parametrize(("path", "query"), [
    ("/api/v1/events", "since[$gt]=0"), ("/api/v1/events", "type[$ne]=post_deleted"), ("/api/v1/events", "sort=x"),
    ("/api/v1/crawls", "status[$ne]=done"), ("/api/v1/crawls", "kind=crawl"),
    ("/api/v1/sources", "url[$regex]=.*"), ("/api/v1/sources", "foo=1"),
    ("/api/v1/crawls/jbnope", "x=1"), ("/api/v1/sources/srcnope", "webhook=1"),
    ("/api/v1/health", "verbose=1"), ("/api/v1/stats", "window=1"), ("/metrics", "name[]=x"),
    (f"/api/v1/posts/{RUPAR_KEY}", "fields=raw"), ("/api/v1/handles/atrupar", "recent=1000"),
    ("/api/v1/exports/csv", "columns=all"), ("/", "qq=1"), ("/handles/atrupar", "page=2"),
])
def test_unknown_parameters_are_rejected_everywhere(client: TestClient, path: str, query: str) -> None:
    err = error_of(client.get(f"{path}?{query}"))
    assert err["code"] == "unknown_parameter" and "unknown parameter" in err["message"]


def test_declared_parameters_and_timemap_queries_still_pass(client: TestClient) -> None:
    assert client.get("/api/v1/events?type=post_deleted&limit=5").status_code == 200
    assert client.get("/api/v1/crawls?status=done&limit=1").status_code == 200
    assert client.get("/?q=Hegseth").status_code == 200
    # a TimeMap's query string is part of the URL looked up, not parameters
    assert client.get("/timemap/link/https://nowhere.example/a?id=1").status_code == 404


# -- item 11: webhook URLs only with the token; Host allow-list --------------------------------------
def test_webhook_urls_are_redacted_on_open_reads(receipts_env, monkeypatch) -> None:
    monkeypatch.setenv("RECEIPTS_API_TOKEN", TOKEN)
    reset_settings()
    client, _ = fresh_client()
    secret_hook = "https://newrepublic.com/hooks/T0PSECRET/abc?key=s3cr3t"
    made = client.post("/api/v1/sources", json={"url": "https://newrepublic.com/feed/rss", "webhook_url": secret_hook},
                       headers=AUTH)
    assert made.status_code == 201, made.text
    source_id = made.json()["id"]
    assert made.json()["webhook_url"] == secret_hook  # the writer sees what it wrote
    for resp in (client.get("/api/v1/sources"), client.get(f"/api/v1/sources/{source_id}")):
        assert resp.status_code == 200
        text = resp.text
        assert "T0PSECRET" not in text and "s3cr3t" not in text
    item = client.get("/api/v1/sources").json()["items"][0]
    assert item["webhook_url"] == "https://newrepublic.com/…" and item["webhook_redacted"] is True
    for resp in (client.get("/api/v1/sources", headers=AUTH), client.get(f"/api/v1/sources/{source_id}", headers=AUTH)):
        assert secret_hook in resp.text
    wrong = client.get("/api/v1/sources", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 200 and "T0PSECRET" not in wrong.text


@pytest.mark.parametrize("host", ["evil.example", "rebind.attacker.test:8600", "127.0.0.1.nip.io", "10.0.0.5"])
def test_foreign_host_headers_are_refused(receipts_env, host: str) -> None:
    client, _ = fresh_client()
    resp = client.get("/api/v1/sources", headers={"Host": host})
    assert error_of(resp)["code"] == "bad_host"
    assert error_of(client.get("/", headers={"Host": host}))["code"] == "bad_host"


@pytest.mark.parametrize("host", ["localhost", "LOCALHOST:8600", "127.0.0.1", "127.0.0.1:1234", "[::1]:8600"])
def test_loopback_host_headers_are_served(receipts_env, host: str) -> None:
    client, _ = fresh_client()
    assert client.get("/api/v1/sources", headers={"Host": host}).status_code == 200


def test_allowed_hosts_setting(receipts_env, monkeypatch) -> None:
    monkeypatch.setenv("RECEIPTS_API_ALLOWED_HOSTS", "receipts.newsroom.internal, *.archive.example")
    reset_settings()
    client, _ = fresh_client()
    assert client.get("/api/v1/health", headers={"Host": "receipts.newsroom.internal"}).status_code == 200
    assert client.get("/api/v1/health", headers={"Host": "a.archive.example:443"}).status_code == 200
    assert error_of(client.get("/api/v1/health", headers={"Host": "localhost"}))["code"] == "bad_host"
