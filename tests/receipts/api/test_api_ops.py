"""API plumbing in-process against nx-27017: health, stats, /metrics, error bodies, cursor pagination."""

from __future__ import annotations

import time
from datetime import timedelta

from fastapi.testclient import TestClient

from receipts.api.app import create_app
from receipts.db import get_database
from receipts.db.archive import Archive
from receipts.db.jobs import JobQueue, ensure_job_indexes
from receipts.models import utcnow
from receipts.settings import reset_settings


def _client() -> tuple[TestClient, Archive]:
    archive = Archive(get_database())
    archive.ensure_indexes()
    ensure_job_indexes(archive)
    return TestClient(create_app(archive=archive), base_url="http://localhost"), archive


def test_health_stats_and_metrics(receipts_env) -> None:
    client, archive = _client()
    queue = JobQueue(archive)
    queue.enqueue("crawl", url="https://news.example/one")
    queue.enqueue("crawl", url="https://news.example/two")
    held = queue.claim("w")
    queue.fail(held["_id"], held["claim"], "broken", retry=False)

    health = client.get("/api/v1/health")
    assert health.status_code == 200 and health.json()["checks"]["database"] == "ok"
    stats = client.get("/api/v1/stats").json()
    assert stats["queue"] == {"queued": 1, "running": 0, "done": 0, "failed": 1}
    assert stats["last_hour"]["jobs_failed"] == 1 and stats["last_hour"]["job_error_rate"] == 1.0
    metrics = client.get("/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    assert 'receipts_jobs{status="queued"} 1.0' in metrics.text
    assert 'receipts_jobs{status="failed"} 1.0' in metrics.text
    assert "# TYPE receipts_crawls_last_hour gauge" in metrics.text


def test_errors_have_one_shape(receipts_env) -> None:
    client, _ = _client()
    for resp, status, code in (
        (client.get("/api/v1/crawls/jbmissing"), 404, "not_found"),
        (client.get("/api/v1/nothing-here"), 404, "not_found"),
        (client.get("/api/v1/crawls", params={"status": "sleeping"}), 422, "invalid_request"),
        (client.get("/api/v1/events", params={"type": "post_vanished"}), 400, "bad_type"),
        (client.get("/api/v1/events", params={"since": "yesterday"}), 400, "bad_since"),
        (client.get("/api/v1/events", params={"cursor": "!!"}), 400, "bad_cursor"),
        (client.get("/api/v1/events", params={"limit": 0}), 422, "invalid_request"),
        (client.post("/api/v1/crawls", json={"url": "https://news.example/x"}), 401, "unauthorized"),
    ):
        assert resp.status_code == status, resp.text
        body = resp.json()
        assert set(body) == {"error"} and body["error"]["code"] == code and body["error"]["message"]


def test_events_paginate_stably_and_filter(receipts_env) -> None:
    client, archive = _client()
    start = utcnow() - timedelta(minutes=10)
    ids = [archive.add_event("post_deleted" if i % 3 == 0 else "post_edited", f"x:{i}", {"n": i},
                             at=start + timedelta(seconds=i))["_id"] for i in range(7)]
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/events", params=params).json()
        seen += [item["id"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
        archive.add_event("post_restored", "x:late", at=start - timedelta(minutes=1))  # recorded while paging
    assert pages == 3 and seen[:7] == ids and len(seen) == len(set(seen)) == 9  # new ones follow; none repeat

    deleted = client.get("/api/v1/events", params={"type": "post_deleted"}).json()["items"]
    assert [e["subject_id"] for e in deleted] == ["x:0", "x:3", "x:6"]
    after = client.get("/api/v1/events", params={"since": ids[5]}).json()["items"]
    assert [e["subject_id"] for e in after] == ["x:6", "x:late", "x:late"]  # recording order, backdated ones too
    time.sleep(0.01)
    mark = utcnow()
    time.sleep(0.01)
    fresh = archive.add_event("embed_added", "https://news.example/a", {"post_id": "1"})
    by_time = client.get("/api/v1/events", params={"since": mark.isoformat()}).json()["items"]
    assert [e["id"] for e in by_time] == [fresh["_id"]]
    assert client.get("/api/v1/events", params={"since": mark.isoformat().replace("+00:00", "Z")}).json()["items"]
    assert client.get("/api/v1/events", params={"limit": 1000}).json()["next_cursor"] is None


def test_reads_need_the_token_when_configured(receipts_env, monkeypatch) -> None:
    monkeypatch.setenv("RECEIPTS_API_READ_TOKEN_REQUIRED", "1")
    monkeypatch.setenv("RECEIPTS_API_TOKEN", "s3cret")
    reset_settings()
    client, _ = _client()
    assert client.get("/api/v1/events").status_code == 401
    assert client.get("/metrics").status_code == 401
    assert client.get("/api/v1/events", headers={"Authorization": "Bearer s3cret"}).status_code == 200
    assert client.get("/api/v1/health").status_code == 200  # probes stay open


def test_request_bodies_are_capped(receipts_env, monkeypatch) -> None:
    monkeypatch.setenv("RECEIPTS_API_TOKEN", "s3cret")
    reset_settings()
    client, _ = _client()
    auth = {"Authorization": "Bearer s3cret"}
    huge = '{"url": "https://news.example/' + "a" * 100_000 + '"}'
    resp = client.post("/api/v1/crawls", content=huge, headers={**auth, "Content-Type": "application/json"})
    assert resp.status_code == 413 and resp.json()["error"]["code"] == "too_large"

    def chunks():  # no Content-Length: counted as it arrives
        for _ in range(100):
            yield b"x" * 1024

    resp = client.post("/api/v1/crawls", content=chunks(), headers={**auth, "Content-Type": "application/json"})
    assert resp.status_code == 413
    resp = client.post("/api/v1/crawls", json={"url": "ftp://nope"}, headers=auth)
    assert resp.status_code == 400 or resp.status_code == 422
    assert "http" in resp.json()["error"]["message"]
