"""The daemon as a real process: feed sources, on-demand crawls over HTTP and the CLI, auth."""

from __future__ import annotations

import json

import httpx
from daemon_support import daemons, wait_for  # noqa: F401

from fakeweb.catalog import ARTICLE_URL

FEED_URL = "https://newrepublic.com/feed/rss"


def test_feed_source_yields_an_archived_article_and_a_304_afterwards(daemons, receipts_env) -> None:  # noqa: F811
    daemon = daemons("feed")
    added = receipts_env.run("sources", "add", FEED_URL, "--every", "1h", extra_env={"RECEIPTS_API_URL": daemon.base_url},
                             check=True)
    source = json.loads(added.stdout)
    assert source["created"] is True and source["every_seconds"] == 3600
    db = receipts_env.db
    job = wait_for(lambda: db.jobs.find_one({"url": ARTICLE_URL, "status": {"$in": ["done", "failed"]}}), 60, 0.2,
                   "the feed's article to be crawled")
    assert db.articles.find_one({"_id": ARTICLE_URL})["title"]
    assert job["source_id"] == source["id"] and job["origin"] == "source" and job["status"] == "done"
    assert job["priority"] < 100  # scheduled work ranks below on-demand crawls

    with daemon.client() as client:
        got = client.get(f"/api/v1/sources/{source['id']}").json()
        assert got["kind"] == "rss" and got["polls"] == 1 and got["queued"] == 1 and got["last_status"] == 200
        assert client.post(f"/api/v1/sources/{source['id']}/poll").status_code == 202
        again = wait_for(lambda: (s := client.get(f"/api/v1/sources/{source['id']}").json())["polls"] >= 2 and s,
                         20, 0.2, "the second poll")
    assert again["last_status"] == 304 and again["not_modified"] == 1 and again["queued"] == 1
    assert len(list(db.jobs.find({"url": ARTICLE_URL}))) == 1  # unchanged feed: nothing queued again

    listed = receipts_env.run("sources", "list", "--json", check=True).stdout.splitlines()
    assert [json.loads(line)["id"] for line in listed] == [source["id"]]
    assert receipts_env.run("sources", "remove", FEED_URL, check=True).stdout.strip() == source["id"]
    assert db.sources.find_one({"_id": source["id"]}) is None
    wait_for(lambda: db.apscheduler_jobs.find_one({"_id": f"source:{source['id']}"}) is None, 10, 0.2,
             "the removed source's poll to be unscheduled")


def test_on_demand_crawl_over_http_and_the_cli(daemons, receipts_env, fakeweb) -> None:  # noqa: F811
    daemon = daemons("ondemand", RECEIPTS_WORKERS="2")
    with daemon.client() as client:
        resp = client.post("/api/v1/crawls", json={"url": ARTICLE_URL})
        assert resp.status_code == 202
        job = resp.json()
        assert job["status"] == "queued" and job["id"].startswith("jb") and resp.headers["location"].endswith(job["id"])
        done = wait_for(lambda: (j := client.get(f"/api/v1/crawls/{job['id']}").json())["status"] in ("done", "failed")
                        and j, 60, 0.2, "the on-demand crawl")
        assert done["status"] == "done", done
        assert done["article_id"] == ARTICLE_URL
        assert done["crawl_ids"] and done["crawls"][0]["id"] == done["crawl_ids"][0]
        assert done["crawls"][0]["status"] in ("done", "done_with_errors")
        assert done["stats"]["requests"] >= 1 and done["timings"]["run_seconds"] > 0
        assert done["started_at"] and done["finished_at"] and done["attempts"] == 1

        listed = client.get("/api/v1/crawls", params={"status": "done"}).json()
        assert job["id"] in [item["id"] for item in listed["items"]]
        assert client.get("/api/v1/crawls", params={"status": "queued"}).json()["items"] == []
        assert client.get("/api/v1/crawls/jbnope").status_code == 404

    # the CLI goes through the same API, with the token from the data dir
    proc = receipts_env.run("submit", ARTICLE_URL, "--wait", "--json", extra_env={"RECEIPTS_API_URL": daemon.base_url},
                            timeout=120)
    assert proc.returncode == 0, proc.stderr
    submitted = json.loads(proc.stdout)
    assert submitted["status"] == "done" and submitted["id"] != job["id"]
    assert "done" in proc.stderr  # progress lines

    bad = receipts_env.run("submit", "ftp://example.com/x", extra_env={"RECEIPTS_API_URL": daemon.base_url})
    assert bad.returncode == 2 and "not an http(s) URL" in bad.stderr


def test_writes_need_the_token_and_it_is_generated_once(daemons, receipts_env) -> None:  # noqa: F811
    daemon = daemons("auth", RECEIPTS_WORKERS="0")
    token_file = receipts_env.data_dir / "api-token"
    assert token_file.stat().st_mode & 0o777 == 0o600
    token = token_file.read_text().strip()
    assert daemon.log().count(token) == 1  # printed once, on first start

    anonymous = httpx.Client(base_url=daemon.base_url, timeout=10)
    wrong = httpx.Client(base_url=daemon.base_url, headers={"Authorization": "Bearer nope"}, timeout=10)
    for client in (anonymous, wrong):
        for method, path, body in (("POST", "/api/v1/crawls", {"url": ARTICLE_URL}),
                                   ("POST", "/api/v1/sources", {"url": FEED_URL}),
                                   ("DELETE", "/api/v1/sources/srcx", None)):
            resp = client.request(method, path, json=body)
            assert resp.status_code == 401, (method, path)
            assert resp.json()["error"]["code"] == "unauthorized"
            assert resp.headers["www-authenticate"] == "Bearer"
        assert client.get("/api/v1/crawls").status_code == 200  # reads are open by default
    assert receipts_env.db.jobs.count_documents({}) == 0

    with daemon.client() as client:
        bad = client.post("/api/v1/crawls", json={"url": "http://169.254.169.254/latest/meta-data"})
        assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_url"
        invalid = client.post("/api/v1/crawls", json={"link": ARTICLE_URL})
        assert invalid.status_code == 422 and "url" in invalid.json()["error"]["message"]
    assert daemon.terminate() == 0

    again = daemons("auth2", RECEIPTS_WORKERS="0")
    assert token_file.read_text().strip() == token and token not in again.log()
    strict = daemons("strict", RECEIPTS_WORKERS="0", RECEIPTS_API_READ_TOKEN_REQUIRED="1")
    assert httpx.get(strict.base_url + "/api/v1/crawls").status_code == 401
    with strict.client() as client:
        assert client.get("/api/v1/crawls").status_code == 200
