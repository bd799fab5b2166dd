"""The leader lease and heartbeats over nx-27017: one holder at a time, taken over once expired."""

from __future__ import annotations

from receipts.db.leases import LEADER, Heartbeats, Leases


def test_one_holder_until_the_lease_runs_out(receipts_env) -> None:
    leases = Leases(receipts_env.db)
    t = 1_000_000.0
    assert leases.acquire(LEADER, "a", 15, now=t)  # first: the upsert creates it
    assert not leases.acquire(LEADER, "b", 15, now=t + 1)  # held: the upsert's insert hits the _id
    assert leases.acquire(LEADER, "a", 15, now=t + 5)  # the holder renews
    assert not leases.acquire(LEADER, "b", 15, now=t + 19)  # renewed until t + 20
    assert leases.holder(LEADER, now=t + 19)["holder"] == "a"
    assert leases.holder(LEADER, now=t + 21) is None  # expired: nobody leads
    assert leases.acquire(LEADER, "b", 15, now=t + 21)  # taken over
    assert not leases.acquire(LEADER, "a", 15, now=t + 22)  # the old holder cannot take it back
    leases.release(LEADER, "a")  # not its lease: no effect
    assert leases.holder(LEADER, now=t + 22)["holder"] == "b"
    leases.release(LEADER, "b")
    assert leases.acquire(LEADER, "a", 15, now=t + 23)  # released: free at once
    assert receipts_env.db.leases.count_documents({}) == 1


def test_heartbeats_count_the_living_and_forget_the_long_gone(receipts_env) -> None:
    beats = Heartbeats(receipts_env.db)
    t = 2_000_000.0
    beats.beat("h1:7:aa", {"port": 1}, now=t)
    beats.beat("h2:7:bb", now=t - 10)
    beats.beat("h3:7:cc", now=t - 7200)
    assert [d["_id"] for d in beats.alive(5, now=t)] == ["h1:7:aa"]
    assert [d["_id"] for d in beats.alive(15, now=t)] == ["h1:7:aa", "h2:7:bb"]
    assert receipts_env.db.daemons.find_one({"_id": "h3:7:cc"}) is None  # over an hour old: deleted
    beats.gone("h1:7:aa")
    assert [d["_id"] for d in beats.alive(15, now=t)] == ["h2:7:bb"]
