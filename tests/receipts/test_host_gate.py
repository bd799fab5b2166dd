"""The shared host gate over nx-27017: budgets counted for all callers together, pauses seen by all."""

from __future__ import annotations

import copy

import pytest

from receipts.db.hostgate import Budget, HostGate, parse_budgets
from receipts.settings import SettingsError

HOST = "cdn.syndication.twimg.com"


def test_budgets_parse_and_refuse_nonsense() -> None:
    assert parse_budgets(f"{HOST}=60/min, .twimg.com=5/10s,x.com=2/h") == [
        Budget(HOST, 60, 60.0), Budget(".twimg.com", 5, 10.0), Budget("x.com", 2, 3600.0)]
    for bad in ("x.com", "x.com=0/min", "x.com=ten/min", "x.com=5/fortnight", "=5/min", "x.com=5/3d"):
        with pytest.raises(SettingsError):
            parse_budgets(bad)
    gate = HostGate.__new__(HostGate)
    gate.budgets = parse_budgets(".twimg.com=5/10s")
    assert gate.budget_for("pbs.twimg.com") == gate.budget_for("twimg.com") == Budget(".twimg.com", 5, 10.0)
    assert gate.budget_for("eviltwimg.com") is None


def test_two_gates_share_one_budget_and_one_pause(receipts_env) -> None:
    db = receipts_env.db
    a, b = HostGate(db, f"{HOST}=5/min"), HostGate(db, f"{HOST}=5/min")
    assert copy.deepcopy(a) is a  # Scrapy's settings copy keeps the one gate
    start = 60 * 1000 + 1.0  # the start of a window
    waits = [gate.delay(HOST, now=start + i) for i, gate in enumerate([a, b, a, b, a, b, a])]
    assert waits[:5] == [0.0] * 5  # five requests between the two, then both wait for the next window
    assert all(w > 0 for w in waits[5:]) and 60 - 6 - 0.5 < waits[5] <= 60 - 5 + 0.25
    assert a.delay(HOST, now=start + 60) == 0.0  # a new window
    assert a.delay("other.example", now=start) == 0.0  # no budget: never counted, never held

    until = a.pause("news.example", 30, now=start)
    assert b.delay("news.example", now=start + 10) == pytest.approx(20)  # the other caller is held too
    b.pause("news.example", 5, now=start + 10)  # a shorter pause never cuts a longer one
    assert a.delay("news.example", now=start + 20) == pytest.approx(until - start - 20)
    assert a.delay("news.example", now=start + 31) == 0.0
