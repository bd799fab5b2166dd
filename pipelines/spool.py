"""The spool: what could not be written while MongoDB was unreachable, kept on disk until it returns.

One pickle file per entry under ``RECEIPTS_DATA_DIR/spool`` (written to a temp name and renamed,
so a crash never leaves a half entry), replayed in order. A crawl that spooled anything ends as
``degraded``; entries a crawl could not replay before exiting are replayed by the next run.
"""

from __future__ import annotations

import itertools
import os
import pickle
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pymongo.errors import ConnectionFailure, ServerSelectionTimeoutError

DB_DOWN_ERRORS = (ConnectionFailure, ServerSelectionTimeoutError)


class DatabaseDown(ConnectionFailure):
    """MongoDB failed recently: write to the spool without waiting for another timeout."""


class Spool:
    def __init__(self, directory: Path, crawl_id: str | None) -> None:
        self.dir = Path(directory)
        self.prefix = f"{crawl_id or 'crawl'}-{os.getpid()}"
        self._seq = itertools.count()
        self.written = 0

    def put(self, kind: str, payload: Any) -> Path:
        self.dir.mkdir(parents=True, exist_ok=True)
        path = self.dir / f"{self.prefix}-{time.time_ns():020d}-{next(self._seq):06d}.pkl"
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
        pattern = f"{self.prefix}-*.pkl" if mine_only else "*.pkl"
        return sorted(self.dir.glob(pattern))

    def replay(self, handler: Callable[[str, Any], None], mine_only: bool = True) -> int:
        """Hand every entry to *handler* in order; an entry is removed once handled."""
        done = 0
        for path in self.pending(mine_only):
            with open(path, "rb") as fh:
                kind, payload = pickle.load(fh)
            handler(kind, payload)
            path.unlink(missing_ok=True)
            done += 1
        return done


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
