"""The fake web's generated bulk posts (fakeweb/bulk.py): off by default, served in the real shape when on."""

from __future__ import annotations

import json

from fakeweb import CATALOG_IDS
from fakeweb.bulk import bulk_body, bulk_handle, bulk_id, bulk_index
from fakeweb.server import FakeWeb


def test_ids_round_trip_and_do_not_collide_with_the_catalogue() -> None:
    ids = [bulk_id(i) for i in range(500)]
    assert len(set(ids)) == 500
    assert [bulk_index(pid) for pid in ids] == list(range(500))
    assert not set(ids) & set(CATALOG_IDS)
    assert all(bulk_index(pid) is None for pid in CATALOG_IDS)
    assert bulk_index(str(int(bulk_id(3)) + 1)) is None
    assert bulk_index("not a number") is None


def test_bulk_posts_are_404_until_enabled_then_live_everywhere() -> None:
    with FakeWeb() as web:
        pid = bulk_id(7)
        query = f"/syn/tweet-result?id={pid}&token=x"
        assert web.handle("GET", query, {}, b"").status == 404
        web.store.bulk_count = 10
        resp = web.handle("GET", query, {}, b"")
        assert resp.status == 200
        body = json.loads(resp.body)
        assert body["id_str"] == pid
        assert body["user"]["screen_name"] == bulk_handle(7)
        assert body == bulk_body(pid, 10)
        assert web.handle("GET", f"/syn/tweet-result?id={bulk_id(10)}&token=x", {}, b"").status == 404
        page = web.handle("GET", f"/x/{bulk_handle(7)}/status/{pid}", {"user-agent": "Mozilla/5.0"}, b"")
        assert page.status == 200
        web.set_post_state(pid, "deleted")  # a bulk post can change state like any other
        assert b"TweetTombstone" in web.handle("GET", query, {}, b"").body
        web.reset()
        assert web.handle("GET", query, {}, b"").status == 200  # the range survives reset(), the state does not
