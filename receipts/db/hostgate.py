"""Per-host politeness shared by every crawl on one database (collection ``host_gate``).

``RECEIPTS_HOST_BUDGETS`` (``cdn.syndication.twimg.com=60/min,pbs.twimg.com=300/min``) caps the
requests to a host per window for all daemons and workers together. The counter of a window is one
document keyed ``"<host>|<window number>"`` (fixed windows: the window number is the epoch time
divided by the window length), raised by one atomic ``$inc`` upsert per request; a request whose
count is over the budget waits for the next window. A budget key ``.twimg.com`` (leading dot) covers
every subdomain with one counter.

A 429 (or a 503 with ``Retry-After``) seen by any crawl pauses its host for everyone: the document
``"pause|<host>"`` holds the time the pause ends, only ever moved later.

Every call fails open: when the database cannot be reached, a crawl goes on at Scrapy's own pace.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass

from pymongo import ReturnDocument
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError, PyMongoError, ServerSelectionTimeoutError

from receipts.settings import SettingsError, parse_duration

log = logging.getLogger(__name__)

UNITS = {"s": 1.0, "sec": 1.0, "second": 1.0, "m": 60.0, "min": 60.0, "minute": 60.0,
         "h": 3600.0, "hour": 3600.0, "d": 86400.0, "day": 86400.0}
MAX_PAUSE = 3600.0


@dataclass(frozen=True)
class Budget:
    key: str  # a host, or ".domain" for a domain and its subdomains
    limit: int
    period: float  # seconds

    def covers(self, host: str) -> bool:
        if self.key.startswith("."):
            return host == self.key[1:] or host.endswith(self.key)
        return host == self.key


def parse_budgets(text: str) -> list[Budget]:
    """``"host=60/min, other=5/10s"`` → budgets; a SettingsError names the bad part."""
    out: list[Budget] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        host, _, rate = part.partition("=")
        count, _, unit = rate.partition("/")
        host, unit = host.strip().lower(), unit.strip().lower()
        try:
            limit = int(count)
            period = UNITS[unit] if unit in UNITS else parse_duration(unit)
        except (ValueError, SettingsError) as exc:
            raise SettingsError(f"RECEIPTS_HOST_BUDGETS: {part!r} is not host=N/window (e.g. x.com=60/min)") from exc
        if not host or limit < 1 or not 0 < period <= 86400:
            raise SettingsError(f"RECEIPTS_HOST_BUDGETS: {part!r} needs a host, N >= 1 and a window up to 1d")
        out.append(Budget(host, limit, period))
    return out


class HostGate:
    """Budgets and pauses over ``host_gate``: :meth:`delay` before a request, :meth:`pause` after a 429."""

    PAUSE_TTL = 1.0  # seconds a host's pause state is trusted before it is read again
    DOWN_FOR = 10.0  # after a database error, requests go without asking for this long

    def __init__(self, db: Database, budgets: list[Budget] | str = "") -> None:
        self.coll: Collection = db["host_gate"]
        self.budgets = parse_budgets(budgets) if isinstance(budgets, str) else list(budgets)
        self._pauses: dict[str, tuple[float, float]] = {}  # host -> (read at, paused until)
        self._down_until = 0.0

    def _paused_until(self, host: str, now: float) -> float:
        """When *host*'s shared pause ends (0: not paused), read at most once a PAUSE_TTL per host, so an
        unbudgeted request costs no database round trip."""
        cached = self._pauses.get(host)
        if cached is not None and now - cached[0] < self.PAUSE_TTL:
            return cached[1]
        pause = self.coll.find_one({"_id": f"pause|{host}"})
        until = float(pause.get("until") or 0) if pause else 0.0
        self._pauses[host] = (now, until)
        return until

    def __deepcopy__(self, memo: dict) -> HostGate:
        """Scrapy deep-copies its settings per crawler; the gate (a database handle) is shared as is."""
        return self

    def budget_for(self, host: str) -> Budget | None:
        host = host.lower()
        return next((b for b in self.budgets if b.covers(host)), None)

    def delay(self, host: str, now: float | None = None) -> float:
        """Seconds to wait before a request to *host*; 0 means go (and the request was counted)."""
        now = time.time() if now is None else now
        host = host.lower()
        if now < self._down_until:
            return 0.0  # the database is away: do not make every request wait for it
        try:
            until = self._paused_until(host, now)
            if until > now:
                return until - now
            budget = self.budget_for(host)
            if budget is None:
                return 0.0
            window = int(now // budget.period)
            doc = self.coll.find_one_and_update({"_id": f"{budget.key}|{window}"}, {"$inc": {"n": 1}},
                                                upsert=True, return_document=ReturnDocument.AFTER)
            count = int((doc or {}).get("n") or 0)
            if count == 1:  # the window's first request tidies up the one before last
                self.coll.delete_one({"_id": f"{budget.key}|{window - 2}"})
            if count <= budget.limit:
                return 0.0
            return (window + 1) * budget.period - now + random.uniform(0.0, min(0.25, budget.period / 20))
        except PyMongoError as exc:
            if isinstance(exc, ServerSelectionTimeoutError):  # unreachable, not merely slow: stop asking a while
                self._down_until = now + self.DOWN_FOR
            log.warning("host gate unavailable; not waiting", extra={"host": host, "error": str(exc)[:200]})
            return 0.0

    def pause(self, host: str, seconds: float, now: float | None = None) -> float:
        """Hold every request to *host* for *seconds* (at most an hour); returns when the pause ends."""
        now = time.time() if now is None else now
        host = host.lower()
        until = now + max(0.0, min(float(seconds), MAX_PAUSE))
        self._pauses[host] = (now, max(until, self._pauses.get(host, (0.0, 0.0))[1]))
        try:
            self.coll.update_one({"_id": f"pause|{host}", "until": {"$lt": until}},
                                 {"$set": {"until": until, "host": host}}, upsert=True)
        except DuplicateKeyError:  # already paused for longer
            pass
        except PyMongoError as exc:
            log.warning("host gate unavailable; pause not shared", extra={"host": host, "error": str(exc)[:200]})
        return until
