"""Which daemon leads: a lease in MongoDB (:mod:`receipts.db.leases`), renewed by a background thread.

Every daemon runs one :class:`Leadership`. The leader renews the ``leader`` lease every third of
``RECEIPTS_LEADER_LEASE``; the others read it and try to take it the moment it expires, so a dead
leader is replaced within one lease. The leader trusts its own lead only until a safety margin
before the lease it last wrote runs out (measured on its monotonic clock from *before* the write),
so an old leader that cannot renew (database gone, process stalled) stops firing before anyone else
may start. Each pass also writes this daemon's heartbeat and reads who is alive, cached for
``/api/v1/health`` and ``/metrics`` (which never wait on the database for it).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from pymongo.database import Database
from pymongo.errors import PyMongoError

from receipts.db.leases import LEADER, Heartbeats, Leases

log = logging.getLogger(__name__)


def daemon_identity() -> str:
    """Unique per daemon process even across containers that share hostnames' pids: ``host:pid:random``."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class Leadership:
    """Runs the election loop; *on_change(leading)* is called on every gain and loss of the lead."""

    def __init__(self, db: Database, lease: float, daemon_id: str | None = None,
                 on_change: Callable[[bool], None] | None = None, info: dict[str, Any] | None = None) -> None:
        self.leases = Leases(db)
        self.heartbeats = Heartbeats(db)
        self.lease = max(0.5, float(lease))
        self.safety = min(1.0, self.lease / 5)
        self.daemon_id = daemon_id or daemon_identity()
        self.on_change = on_change
        self.info = dict(info or {})
        self._valid_until = 0.0  # monotonic
        self._leading = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.leader_id: str | None = None
        self.alive: list[str] = []
        self.last_error: str | None = None

    # -- what others ask -----------------------------------------------------------------------
    def is_leader(self) -> bool:
        return time.monotonic() < self._valid_until

    def view(self) -> dict[str, Any]:
        """The cluster as last seen (no database call)."""
        return {"daemon": self.daemon_id, "leader": self.leader_id, "is_leader": self.is_leader(),
                "daemons_alive": len(self.alive), "lease_seconds": self.lease}

    # -- the loop ------------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="leadership", daemon=True)
        self._thread.start()

    def stop(self, release: bool = True) -> None:
        """End the loop; with *release*, free the lease so another daemon takes over at once."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
        was_leading = self.is_leader()
        self._valid_until = 0.0
        self._set_leading(False)
        try:
            if release and was_leading:
                self.leases.release(LEADER, self.daemon_id)
            self.heartbeats.gone(self.daemon_id)
        except PyMongoError:
            pass

    def _loop(self) -> None:
        while not self._stop.is_set():
            delay = self.step()
            self._stop.wait(delay)

    def step(self) -> float:
        """One election pass; returns the seconds until the next one."""
        started = time.monotonic()
        renew_every = self.lease / 3
        try:
            got = self.leases.acquire(LEADER, self.daemon_id, self.lease)
            if got:
                self._valid_until = started + self.lease - self.safety
            self.heartbeats.beat(self.daemon_id, {**self.info, "leader": got})
            current = self.leases.holder(LEADER)
            self.leader_id = current.get("holder") if current else None
            self.alive = [str(d["_id"]) for d in self.heartbeats.alive(self.lease)]
            self.last_error = None
        except PyMongoError as exc:
            self.last_error = f"{exc.__class__.__name__}: {str(exc)[:200]}"
            log.warning("leader election pass failed", extra={"error": self.last_error})
            got, current = False, None
        self._set_leading(self.is_leader())
        if got:
            return renew_every
        if current is not None:  # someone leads: look again right when their lease would run out
            return max(0.05, min(renew_every, float(current.get("expires") or 0) - time.time() + 0.05))
        return min(renew_every, 1.0)

    def _set_leading(self, leading: bool) -> None:
        if leading == self._leading:
            return
        if self.on_change is not None:
            try:
                self.on_change(leading)
            except Exception:  # e.g. the database went away: the next pass tries again
                log.exception("leadership change handler failed")
                return
        self._leading = leading
        log.info("leadership gained" if leading else "leadership lost", extra={"daemon": self.daemon_id})
