"""Source polling intervals are validated before they are stored; a bad stored one never stops the daemon."""

from __future__ import annotations

import math

import pytest
from daemon_support import daemons, wait_for  # noqa: F401

from receipts.db.sources import MAX_EVERY, MIN_EVERY, SourceError, parse_every, source_id_for
from receipts.models import utcnow

FEED_URL = "https://newrepublic.com/feed/rss"
OTHER_FEED = "https://newrepublic.com/feed/other"
BAD_INTERVALS = [1e308, "999999999999d", "NaN", float("nan"), float("inf"), "-inf", "1e400", -60, 0, "0s", "30s",
                 "400d", True, "soon", "", None, [], {}]


@pytest.mark.parametrize("every", BAD_INTERVALS, ids=repr)
def test_parse_every_refuses_what_cannot_be_scheduled(every) -> None:
    with pytest.raises(SourceError):
        parse_every(every)


def test_parse_every_accepts_minutes_to_a_year() -> None:
    assert parse_every("15m") == 900 and parse_every(3600) == 3600 and parse_every("1d") == 86400
    assert parse_every(MIN_EVERY) == MIN_EVERY and parse_every("365d") == 365 * 86400 <= MAX_EVERY
    assert all(math.isfinite(parse_every(v)) for v in ("1m", "2w", "90s"))


def test_bad_intervals_are_a_400_and_never_stored(daemons, receipts_env) -> None:  # noqa: F811
    daemon = daemons("intervals", RECEIPTS_WORKERS="0")
    db = receipts_env.db
    with daemon.client() as client:
        for every in ("1e308", '"999999999999d"', '"NaN"', "NaN", "Infinity", '"0s"', "true"):
            body = f'{{"url": "{FEED_URL}", "every": {every}}}'  # raw JSON: NaN as Python's parser reads it
            resp = client.post("/api/v1/sources", content=body, headers={"Content-Type": "application/json"})
            assert resp.status_code in (400, 422), (every, resp.status_code, resp.text)
            error = resp.json()["error"]
            assert error["code"] in ("bad_source", "invalid_request") and error["message"], error
        assert db.sources.count_documents({}) == 0
        # the daemon is unharmed: a good source is added, listed and scheduled
        ok = client.post("/api/v1/sources", json={"url": FEED_URL, "every": "1h"})
        assert ok.status_code == 201, ok.text
        assert [s["id"] for s in client.get("/api/v1/sources").json()["items"]] == [ok.json()["id"]]
        wait_for(lambda: db.apscheduler_jobs.find_one({"_id": f"source:{ok.json()['id']}"}), 20, 0.1, "the poll job")
        assert client.get("/api/v1/health").status_code == 200


def test_cli_refuses_a_bad_interval_with_one_line(receipts_env) -> None:
    proc = receipts_env.run("sources", "add", FEED_URL, "--every", "999999999999d")
    assert proc.returncode == 2, proc
    assert "polling interval" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert receipts_env.db.sources.count_documents({}) == 0


def test_a_bad_stored_interval_never_stops_the_daemon(daemons, receipts_env) -> None:  # noqa: F811
    db = receipts_env.db
    now = utcnow()
    bad_ids = []
    for n, every in enumerate((1e308, "soon", "999999999999d")):  # nx-27017 cannot store NaN
        url = f"https://newrepublic.com/feed/broken-{n}"
        bad_ids.append(source_id_for(url))
        db.sources.insert_one({"_id": bad_ids[-1], "url": url, "every": every, "created_at": now, "updated_at": now,
                               "polls": 0, "queued": 0, "not_modified": 0})
    daemon = daemons("bad-rows", RECEIPTS_WORKERS="0")  # starts (health 200) despite them
    with daemon.client() as client:
        listed = client.get("/api/v1/sources")
        assert listed.status_code == 200, listed.text
        assert {s["id"] for s in listed.json()["items"]} == set(bad_ids)
        assert all(s["every_seconds"] is None for s in listed.json()["items"])
        # every source operation still works: add, poll, remove
        added = client.post("/api/v1/sources", json={"url": OTHER_FEED, "every": "1h"})
        assert added.status_code == 201, added.text
        wait_for(lambda: db.apscheduler_jobs.find_one({"_id": f"source:{added.json()['id']}"}), 20, 0.1, "the poll job")
        assert client.post(f"/api/v1/sources/{bad_ids[0]}/poll").status_code == 202
        assert client.delete(f"/api/v1/sources/{bad_ids[1]}").status_code == 204
    for sid in (bad_ids[0], bad_ids[2]):
        doc = db.sources.find_one({"_id": sid})
        assert doc["last_error"].startswith("not scheduled: polling interval"), doc
        assert db.apscheduler_jobs.find_one({"_id": f"source:{sid}"}) is None
    assert "source skipped" in daemon.log()
