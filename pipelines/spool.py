"""The spool: what could not be written while MongoDB was unreachable, kept on disk until it returns.

One pickle file per entry under ``RECEIPTS_DATA_DIR/spool`` (written to a temp name and renamed,
so a crash never leaves a half entry), replayed in order. A crawl that spooled anything ends as
``degraded``; entries a crawl could not replay before exiting are replayed by the next run.

Ownership: every writer holds an exclusive ``flock`` on ``<prefix>.lock`` (its crawl id and pid)
from its first entry until it closes or dies. Replaying someone else's entries (the leftovers of
earlier runs) first takes that owner's lock without waiting: a live owner, or another process
already replaying the same entries, holds it, so the group is skipped. The kernel drops a lock
when its holder dies, so the entries of a dead owner (or of a replayer that died half-way) are
claimable again, and two crawls starting at once never replay one entry twice or trip over an
entry the other has already removed.
"""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import os
import pickle
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from pymongo.errors import ConnectionFailure, ServerSelectionTimeoutError

DB_DOWN_ERRORS = (ConnectionFailure, ServerSelectionTimeoutError)
ENTRY_SUFFIX = ".pkl"
LOCK_SUFFIX = ".lock"


class DatabaseDown(ConnectionFailure):
    """MongoDB failed recently: write to the spool without waiting for another timeout."""


def owner_of(path: Path) -> str:
    """The owner prefix of an entry (``<crawl id>-<pid>``) or of a lock file."""
    if path.name.endswith(LOCK_SUFFIX):
        return path.name[: -len(LOCK_SUFFIX)]
    return path.name[: -len(ENTRY_SUFFIX)].rsplit("-", 2)[0]


def _try_lock(path: Path) -> IO[bytes] | None:
    """An open, exclusively locked *path* (created if missing), or None when someone else holds it."""
    fh = open(path, "ab")  # noqa: SIM115 - held for as long as the claim lasts
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        return None
    return fh


class Spool:
    def __init__(self, directory: Path, crawl_id: str | None) -> None:
        self.dir = Path(directory)
        self.prefix = f"{crawl_id or 'crawl'}-{os.getpid()}"
        self._seq = itertools.count()
        self._lock: IO[bytes] | None = None
        self.written = 0

    def _lock_path(self, owner: str) -> Path:
        return self.dir / f"{owner}{LOCK_SUFFIX}"

    def _hold(self) -> None:
        """Take this writer's owner lock (kept until :meth:`close` or the process ends)."""
        if self._lock is None:
            self.dir.mkdir(parents=True, exist_ok=True)
            fh = open(self._lock_path(self.prefix), "ab")  # noqa: SIM115 - held for the writer's life
            fcntl.flock(fh, fcntl.LOCK_EX)  # the prefix is unique to this process: never contended
            self._lock = fh

    def put(self, kind: str, payload: Any) -> Path:
        self._hold()
        path = self.dir / f"{self.prefix}-{time.time_ns():020d}-{next(self._seq):06d}{ENTRY_SUFFIX}"
        tmp = path.with_suffix(".tmp")
        with open(tmp, "wb") as fh:
            pickle.dump((kind, payload), fh, protocol=pickle.HIGHEST_PROTOCOL)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.rename(path)
        self.written += 1
        return path

    def pending(self, mine_only: bool = True) -> list[Path]:
        if not self.dir.is_dir():
            return []
        return self._owner_entries(self.prefix) if mine_only else sorted(self.dir.glob(f"*{ENTRY_SUFFIX}"))

    def _owner_entries(self, owner: str) -> list[Path]:
        return sorted(p for p in self.dir.glob(f"{owner}-*{ENTRY_SUFFIX}") if owner_of(p) == owner)

    def replay(self, handler: Callable[[str, Any], None], mine_only: bool = True) -> int:
        """Hand every entry to *handler* in order; an entry is removed once handled.

        ``mine_only=False`` replays the entries of other owners that are no longer alive (each
        owner's entries in order, under its lock); entries of a live owner are left to it.
        """
        if mine_only:
            return sum(1 for _ in self._replay_entries(self.pending(), handler))
        if not self.dir.is_dir():
            return 0
        owners = sorted({owner_of(p) for p in self.dir.glob(f"*{ENTRY_SUFFIX}")}
                        | {owner_of(p) for p in self.dir.glob(f"*{LOCK_SUFFIX}")})
        done = 0
        for owner in owners:
            if owner == self.prefix:
                continue
            done += self._replay_owner(owner, handler)
        return done

    def _replay_owner(self, owner: str, handler: Callable[[str, Any], None]) -> int:
        lock_path = self._lock_path(owner)
        lock = _try_lock(lock_path)
        if lock is None:
            return 0  # its writer is alive, or another process is replaying these entries right now
        try:
            done = sum(1 for _ in self._replay_entries(self._owner_entries(owner), handler))  # listed under the lock
            if not self._owner_entries(owner):
                lock_path.unlink(missing_ok=True)  # nothing left to claim: drop the lock file while holding it
            return done
        finally:
            lock.close()

    @staticmethod
    def _replay_entries(paths: list[Path], handler: Callable[[str, Any], None]) -> Iterator[Path]:
        for path in paths:
            try:
                with open(path, "rb") as fh:
                    kind, payload = pickle.load(fh)
            except FileNotFoundError:
                continue  # replayed and removed by the previous holder of the owner's lock
            handler(kind, payload)
            path.unlink(missing_ok=True)
            yield path

    def close(self) -> None:
        """Release the owner lock; its file goes too when nothing of ours is left to replay."""
        if self._lock is None:
            return
        if not self.pending():
            self._lock_path(self.prefix).unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            self._lock.close()
        self._lock = None


class Breaker:
    """After a failure, skip the database for *cooldown* seconds instead of waiting on each call."""

    def __init__(self, cooldown: float = 5.0) -> None:
        self.cooldown = cooldown
        self.down_until = 0.0

    def check(self) -> None:
        if time.monotonic() < self.down_until:
            raise DatabaseDown("MongoDB unreachable (recent failure)")

    def tripped(self) -> None:
        self.down_until = time.monotonic() + self.cooldown
