"""Warm crawl processes: each worker thread keeps one ``worker_main --warm`` interpreter that has
already imported Scrapy, the platforms and the pipelines, and hands it the next job on stdin.

A Twisted reactor cannot be restarted, so a crawl still gets a process of its own; only the
seconds of interpreter start and imports move out of the job's time (a re-crawl of an unchanged
article is otherwise mostly that floor). A spare that died, or a pool with
``RECEIPTS_WARM_WORKERS=0``, falls back to a cold ``worker_main JOB CRAWL`` start.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

log = logging.getLogger(__name__)


class WarmSpare:
    """One pre-started crawl interpreter waiting for ``JOB_ID CRAWL_ID LOG_PATH`` on stdin."""

    def __init__(self, log_dir: Path) -> None:
        log_dir.mkdir(parents=True, exist_ok=True)
        with open(log_dir / "warm.log", "ab") as early:  # what it says before it has a job (import errors)
            self.proc = subprocess.Popen([sys.executable, "-m", "scheduler.worker_main", "--warm"],
                                         stdin=subprocess.PIPE, stdout=early, stderr=early, start_new_session=True)

    def hand(self, job_id: str, crawl_id: str, log_path: Path) -> subprocess.Popen | None:
        """Give the spare its job; None when it is gone (the caller starts a cold process)."""
        if self.proc.poll() is not None or self.proc.stdin is None:
            return None
        try:
            self.proc.stdin.write(f"{job_id} {crawl_id} {log_path}\n".encode())
            self.proc.stdin.close()
        except (BrokenPipeError, OSError, ValueError):
            self.discard()
            return None
        return self.proc

    def discard(self) -> None:
        """Stop an unused spare (closing its stdin ends it; kill it if it does not go)."""
        try:
            if self.proc.stdin is not None and not self.proc.stdin.closed:
                self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
