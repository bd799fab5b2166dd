"""Spooled entries are claimed atomically (issue 10, item 6): two processes replaying the same leftover
spool at once never crash on an entry the other removed and never replay one twice, and a live
crawl's own spool is left to it."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

ENTRIES = 300

# Spool ENTRIES posts as a crawl does during an outage; with "hold", stay alive until <spool>/../release exists.
WRITER = """
import sys, time
from pathlib import Path
from crawlers.items import PostItem
from pipelines.spool import Spool
from receipts.models import Post
spool_dir, count, hold = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "hold"
spool = Spool(spool_dir, sys.argv[4])
for i in range(count):
    spool.put("item", PostItem(Post(id=f"x:{9000 + i}", platform="x", post_id=str(9000 + i),
                                    url=f"https://x.com/i/status/{9000 + i}", text=f"spooled {i}"), None))
(spool_dir.parent / "written").touch()
while hold and not (spool_dir.parent / "release").exists():
    time.sleep(0.05)
"""

# What `receipts crawl` does first: replay the leftovers of earlier runs. Starts when <data>/go exists.
REPLAYER = """
import json, sys, time
from pathlib import Path
from pipelines.writer import replay_leftover_spool
from receipts.db import get_database
from receipts.db.archive import Archive
spool_dir = Path(sys.argv[1])
archive = Archive(get_database())
archive.db.command("ping")
(spool_dir.parent / f"ready-{sys.argv[2]}").touch()
while not (spool_dir.parent / "go").exists():
    time.sleep(0.01)
print(json.dumps({"replayed": replay_leftover_spool(archive, spool_dir)}))
"""


def wait_for(condition, timeout: float = 60.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def spool_entries(receipts_env, crawl_id: str, hold: bool) -> tuple[Path, subprocess.Popen]:
    spool_dir = receipts_env.data_dir / "spool"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(spool_dir), str(ENTRIES),
                               "hold" if hold else "exit", crawl_id], env=receipts_env.env)
    wait_for(lambda: (receipts_env.data_dir / "written").exists() or writer.poll() is not None, what="the writer")
    assert writer.poll() in (None, 0)
    assert len(list(spool_dir.glob("*.pkl"))) == ENTRIES
    return spool_dir, writer


def test_two_processes_replaying_one_spool_replay_each_entry_once(receipts_env):
    spool_dir, writer = spool_entries(receipts_env, "crgone", hold=False)
    assert writer.wait(30) == 0  # the crawl that spooled them has exited
    replayers = [subprocess.Popen([sys.executable, "-c", REPLAYER, str(spool_dir), str(n)], env=receipts_env.env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for n in (1, 2)]
    wait_for(lambda: all((receipts_env.data_dir / f"ready-{n}").exists() or p.poll() is not None
                         for n, p in zip((1, 2), replayers, strict=True)), what="both replayers")
    (receipts_env.data_dir / "go").touch()  # both start replaying the same spool at the same moment
    results = [p.communicate(timeout=120) for p in replayers]
    for proc, (_, err) in zip(replayers, results, strict=True):
        assert proc.returncode == 0, err
    counts = [json.loads(out)["replayed"] for out, _ in results]
    assert sum(counts) == ENTRIES, counts  # every entry replayed, none twice
    assert not list(spool_dir.glob("*.pkl"))
    assert receipts_env.db.posts.count_documents({}) == ENTRIES


def test_a_live_crawls_spool_is_left_to_it(receipts_env):
    from pipelines.writer import replay_leftover_spool
    from receipts.db import get_database
    from receipts.db.archive import Archive

    spool_dir, writer = spool_entries(receipts_env, "crlive", hold=True)
    archive = Archive(get_database())
    try:
        assert replay_leftover_spool(archive, spool_dir) == 0  # its owner is alive and will replay them itself
        assert len(list(spool_dir.glob("*.pkl"))) == ENTRIES
    finally:
        (receipts_env.data_dir / "release").touch()
        writer.wait(30)
    assert replay_leftover_spool(archive, spool_dir) == ENTRIES  # the owner died: now they are leftovers
    assert not list(spool_dir.glob("*.pkl")) and not list(spool_dir.glob("*.lock"))
    assert receipts_env.db.posts.count_documents({}) == ENTRIES


def test_the_next_crawl_replays_what_an_earlier_run_left(receipts_env):
    """The storage pipeline replays dead owners' entries when the spider opens (the runner no longer does)."""
    from fakeweb import ARTICLE_URL

    spool_dir, writer = spool_entries(receipts_env, "crgone", hold=False)
    assert writer.wait(30) == 0
    receipts_env.crawl_json(ARTICLE_URL)
    assert not list(spool_dir.glob("*.pkl"))
    assert receipts_env.db.posts.find_one({"_id": "x:9000"})["text"] == "spooled 0"
    assert receipts_env.db.posts.find_one({"_id": f"x:{9000 + ENTRIES - 1}"}) is not None
