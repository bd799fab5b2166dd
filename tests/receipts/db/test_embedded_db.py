"""The embedded default: nx-27017 started under RECEIPTS_DATA_DIR, reused, stopped by the last client."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from fakeweb import ARTICLE_URL
from receipts.db.embedded import _alive

BIN = Path(sys.executable).parent
HOLDER = """
import sys
from receipts.db import get_database, close_all
get_database().command("ping")
print("ready", flush=True)
sys.stdin.read()
close_all()
"""


def _env(tmp_path: Path, fakeweb) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECEIPTS_")}
    env.update({"RECEIPTS_DATA_DIR": str(tmp_path / "var"), "RECEIPTS_BROWSER": "0",
                "RECEIPTS_ORIGIN_MAP": json.dumps(fakeweb.origin_map())})
    return env


def test_embedded_server_started_reused_and_stopped(tmp_path, fakeweb):
    env = _env(tmp_path, fakeweb)
    state = tmp_path / "var" / "db" / "server.json"
    holder = subprocess.Popen([str(BIN / "python"), "-c", HOLDER], env=env, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        server = json.loads(state.read_text())
        assert _alive(server["pid"])
        assert (tmp_path / "var" / "db" / "data").is_dir()  # all files under RECEIPTS_DATA_DIR
        proc = subprocess.run([str(BIN / "receipts"), "crawl", ARTICLE_URL, "--json"], env=env,
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["article"]["canonical_url"] == ARTICLE_URL
        # the CLI reused the running server and left it running for the other client
        assert json.loads(state.read_text())["pid"] == server["pid"]
        assert _alive(server["pid"])
    finally:
        holder.communicate("", timeout=30)
    deadline = time.monotonic() + 10
    while _alive(server["pid"]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(server["pid"]), "the last client must stop the embedded server"
    assert not state.exists()
    # data survives a restart: a new CLI process starts a new server over the same files
    proc = subprocess.run([str(BIN / "python"), "-c",
                           "from receipts.db import get_database, close_all\n"
                           "print(get_database().articles.count_documents({}))\nclose_all()"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == "1", proc.stderr
