"""``new_id`` across processes: same pid, same clock, no collision; ids still sort by time."""

from __future__ import annotations

import json
import multiprocessing
import re
import subprocess
import sys

from receipts.ids import ID_LENGTH, id_time_prefix, new_id

PER_WRITER = 20000
PINNED_MS = 1_767_225_600_000  # 2026-01-01: every id of both writers falls in this one millisecond


WRITER = f"""
import json, os, sys, time
os.getpid = lambda: 7  # the pid and clock of the other writer (the two-containers case)
time.time = lambda: {PINNED_MS} / 1000
from receipts.ids import new_id
json.dump([new_id("cap") for _ in range({PER_WRITER})], sys.stdout)
"""


def test_two_writers_with_the_same_pid_and_clock_never_collide() -> None:
    writers = [subprocess.Popen([sys.executable, "-c", WRITER], stdout=subprocess.PIPE) for _ in range(2)]
    a, b = (json.loads(proc.communicate(timeout=60)[0]) for proc in writers)
    assert len(a) == len(b) == PER_WRITER
    prefix = "cap" + id_time_prefix(PINNED_MS)
    assert all(i.startswith(prefix) for i in a + b)  # the pinned clock was in force
    assert len(set(a)) == PER_WRITER and len(set(b)) == PER_WRITER
    assert not set(a) & set(b)


def test_ids_sort_by_time_and_read_well_in_urls(monkeypatch) -> None:
    import time

    moments = [1_700_000_000_000, 1_700_000_000_001, 1_700_000_060_000, 1_800_000_000_000]
    made = []
    for ms in moments:
        monkeypatch.setattr(time, "time", lambda ms=ms: ms / 1000)
        made.append([new_id("ev") for _ in range(50)])
    flat = [i for batch in made for i in batch]
    assert all(re.fullmatch(rf"ev[0-9a-z]{{{ID_LENGTH}}}", i) for i in flat)
    for earlier, later in zip(made, made[1:], strict=False):
        assert max(earlier) < min(later)
    for batch, ms in zip(made, moments, strict=True):
        assert all(i[2:11] == id_time_prefix(ms) for i in batch)
    counters = [int(i[11:15], 36) for i in made[0]]  # one process: its counter steps by one
    assert all((b - a) % 36**4 == 1 for a, b in zip(counters, counters[1:], strict=False))


def test_a_forked_child_does_not_repeat_its_parent() -> None:
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    parent_next = new_id()
    child = ctx.Process(target=lambda: queue.put(new_id()))
    child.start()
    child_id = queue.get(timeout=30)
    child.join(10)
    assert child_id[13:] != parent_next[13:] and child_id != new_id()
