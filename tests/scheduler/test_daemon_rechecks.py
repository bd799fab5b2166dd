"""Re-checks on a compressed schedule: a deletion is dated exactly once, a 503 never reads as one."""

from __future__ import annotations

from daemon_support import article_page, daemons, embed, unique_path, wait_for  # noqa: F401

from fakeweb.catalog import REPLY_ID, TEXT_2026_ID, VIETOR_ID


def test_deleted_post_gives_one_event_and_a_503_gives_none(daemons, receipts_env, fakeweb) -> None:  # noqa: F811
    deleted, flaky, steady = f"x:{TEXT_2026_ID}", f"x:{REPLY_ID}", f"x:{VIETOR_ID}"
    path = unique_path("rechecks")
    url = fakeweb.add_page(path, article_page(path, "Three posts", "".join([
        embed(TEXT_2026_ID, "brusselsdesk", "A post that will be deleted"),
        embed(REPLY_ID, "policywonk", "A post whose server will fail"),
        embed(VIETOR_ID, "TVietor08", "A post that stays as it is"),
    ])))
    # the offsets lie far enough apart that a re-check slowed by a busy machine still ends before the second one
    # is due (an offset already past when a check ends is skipped, as after downtime)
    daemon = daemons("rechecks", RECEIPTS_POST_RECHECK="2s,30s", RECEIPTS_POST_RECHECK_EVERY="1h")
    db = receipts_env.db
    try:
        with daemon.client() as client:
            job = client.post("/api/v1/crawls", json={"url": url}).json()
            done = wait_for(lambda: (j := client.get(f"/api/v1/crawls/{job['id']}").json())["status"] in ("done", "failed")
                            and j, 120, 0.1, "the article crawl")
            assert done["status"] == "done", done
            posts = {p["_id"]: p for p in db.posts.find({"_id": {"$in": [deleted, flaky, steady]}})}
            assert set(posts) == {deleted, flaky, steady} and all(p["status"] == "live" for p in posts.values())
            assert all(p["next_check_at"] is not None and p["check_count"] == 0 for p in posts.values())
            fakeweb.set_post_state(TEXT_2026_ID, "deleted")
            fakeweb.set_post_state(REPLY_ID, "error503")
            captures_before = {pid: db.captures.count_documents({"target_id": pid}) for pid in posts}

            # both decaying offsets (2 s, 30 s) pass: every post is re-checked twice, then waits for the 1 h step
            try:
                wait_for(lambda: all(p.get("check_count", 0) >= 2 for p in db.posts.find({"_id": {"$in": list(posts)}})),
                         180, 0.2, "two re-checks of every post")
            except AssertionError as exc:
                jobs = [(j["kind"], j["status"], j["attempts"], j["errors"]) for j in db.jobs.find({})]
                raise AssertionError(f"{exc}\njobs: {jobs}\n{daemon.log()[-3000:]}") from None

            events = [(e["type"], e["subject_id"]) for e in db.events.find({}).sort("_id", 1)]
            # exactly one deletion (the 503 gives none); the article citing it re-checks its quote
            assert events == [("post_deleted", deleted), ("quote_changed", url)]
            quote = db.events.find_one({"type": "quote_changed"})
            assert quote["data"]["to"] == "deleted" and quote["data"]["post_id"] == deleted
            assert db.articles.find_one({"_id": url})["cites_deleted"] is True
            after = {p["_id"]: p for p in db.posts.find({"_id": {"$in": list(posts)}})}
            assert after[deleted]["status"] == "deleted" and after[deleted]["text"] == posts[deleted]["text"]
            assert after[flaky]["status"] == "live" and after[flaky]["last_error"]  # a failed fetch, recorded as such
            assert after[steady]["status"] == "live" and after[steady]["text"] == posts[steady]["text"]
            for pid in posts:
                assert after[pid]["last_checked_at"] > posts[pid]["last_checked_at"]
                assert db.captures.count_documents({"target_id": pid}) > captures_before[pid]
            recheck_jobs = list(db.jobs.find({"kind": "recheck_posts"}))
            assert recheck_jobs and all(j["status"] == "done" for j in recheck_jobs)
            assert all(j["priority"] < done["priority"] for j in recheck_jobs)

            listed = client.get("/api/v1/events", params={"type": "post_deleted"}).json()
            assert [(e["type"], e["subject_id"]) for e in listed["items"]] == [("post_deleted", deleted)]
            event = listed["items"][0]
            assert event["id"].startswith("ev") and event["created_at"].endswith("Z")
            after_deletion = client.get("/api/v1/events", params={"since": event["id"]}).json()["items"]
            assert [e["type"] for e in after_deletion] == ["quote_changed"]
            assert client.get("/api/v1/events", params={"since": after_deletion[0]["id"]}).json()["items"] == []
            assert client.get("/api/v1/events", params={"type": "post_edited"}).json()["items"] == []
    finally:
        fakeweb.set_post_state(TEXT_2026_ID, "live")
        fakeweb.set_post_state(REPLY_ID, "live")
