"""Bounded exponential backoff for loops that must outlive a database outage."""

from __future__ import annotations

import random


class Backoff:
    """``base``, doubling per consecutive failure up to ``cap`` seconds (±10 % jitter); ``reset`` on success."""

    def __init__(self, base: float = 0.5, cap: float = 30.0) -> None:
        self.base = max(0.01, base)
        self.cap = max(self.base, cap)
        self.failures = 0

    def next_delay(self) -> float:
        """Record one more failure and return how long to wait before the next try."""
        delay = min(self.cap, self.base * 2 ** min(self.failures, 30))
        self.failures += 1
        return delay * random.uniform(0.9, 1.1)

    def reset(self) -> None:
        self.failures = 0

    @property
    def failing(self) -> bool:
        return self.failures > 0
