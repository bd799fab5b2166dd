"""Leases and heartbeats shared by every daemon on one database (collections ``leases``, ``daemons``).

A lease is one document keyed by its name (``_id: "leader"``) holding ``holder`` and ``expires``
(seconds since the epoch, a number: nx-27017 keeps numbers typed under ``$set``). Taking or renewing
it is a single ``update_one`` on ``_id`` whose filter also asks "expired, or already mine", with
``upsert``: when the document does not exist the insert creates it; when it exists and is held by
someone else the filter matches nothing and the upsert's insert fails on the duplicate ``_id`` —
that :class:`DuplicateKeyError` is the answer "not yours". So two daemons can never both hold it.

Times come from each daemon's clock: the machines must keep time (NTP); the holder stops acting a
safety margin before its lease runs out (see :class:`scheduler.leader.Leadership`).

A heartbeat is one document per daemon (``_id`` = daemon id) with ``seen`` (epoch seconds); a daemon
is alive while its heartbeat is younger than the lease.
"""

from __future__ import annotations

import time
from typing import Any

from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

LEADER = "leader"
FORGET_AFTER = 3600.0  # heartbeats older than this are deleted (a daemon long gone)


class Leases:
    """Named leases: at most one holder each, until it expires."""

    def __init__(self, db: Database) -> None:
        self.coll: Collection = db["leases"]

    def acquire(self, name: str, holder: str, seconds: float, now: float | None = None) -> bool:
        """Take or renew *name* for *seconds*; False while another holder's lease runs."""
        now = time.time() if now is None else now
        try:
            self.coll.update_one(
                {"_id": name, "$or": [{"expires": {"$lt": now}}, {"holder": holder}]},
                {"$set": {"holder": holder, "expires": now + seconds, "renewed": now}}, upsert=True)
        except DuplicateKeyError:
            return False
        doc = self.coll.find_one({"_id": name})  # confirm: the write above may have lost a race to an insert
        return doc is not None and doc.get("holder") == holder

    def holder(self, name: str, now: float | None = None) -> dict[str, Any] | None:
        """The current lease document of *name*, or None when nobody holds it (or it expired)."""
        now = time.time() if now is None else now
        doc = self.coll.find_one({"_id": name})
        if doc is None or float(doc.get("expires") or 0) < now:
            return None
        return doc

    def release(self, name: str, holder: str) -> None:
        """Give *name* up at once (a clean shutdown), if *holder* still has it."""
        self.coll.update_one({"_id": name, "holder": holder}, {"$set": {"expires": 0.0}})


class Heartbeats:
    """One document per daemon: who it is and when it was last seen."""

    def __init__(self, db: Database) -> None:
        self.coll: Collection = db["daemons"]

    def beat(self, daemon_id: str, info: dict[str, Any] | None = None, now: float | None = None) -> None:
        now = time.time() if now is None else now
        self.coll.update_one({"_id": daemon_id}, {"$set": {**(info or {}), "seen": now}}, upsert=True)

    def alive(self, within: float, now: float | None = None) -> list[dict[str, Any]]:
        """Daemons seen in the last *within* seconds (a handful of documents: read them all)."""
        now = time.time() if now is None else now
        docs = list(self.coll.find({}))
        stale = [d["_id"] for d in docs if float(d.get("seen") or 0) < now - FORGET_AFTER]
        for daemon_id in stale:
            self.coll.delete_one({"_id": daemon_id})
        return sorted((d for d in docs if float(d.get("seen") or 0) >= now - within), key=lambda d: str(d["_id"]))

    def gone(self, daemon_id: str) -> None:
        self.coll.delete_one({"_id": daemon_id})
