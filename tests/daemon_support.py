"""Helpers for the daemon tests: run ``receipts serve`` as a real process and talk to it over HTTP."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
from conftest import BIN, ReceiptsEnv, bulk_article, free_port

# compressed schedules: every test daemon runs with these unless a test overrides them
FAST = {
    "RECEIPTS_SCHEDULER_TICK": "0.3",
    "RECEIPTS_JOB_LEASE": "3",
    "RECEIPTS_JOB_TIMEOUT": "120",
    "RECEIPTS_RETRY_TIMES": "0",
    "RECEIPTS_WORKERS": "1",
    "RECEIPTS_POST_RECHECK": "1h",
    "RECEIPTS_ARTICLE_RECHECK": "1h",
    "RECEIPTS_LOG_LEVEL": "INFO",
}


def wait_for(predicate: Callable[[], Any], timeout: float = 30.0, interval: float = 0.1, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


class DaemonProc:
    """One ``receipts serve`` process with its own port and log file."""

    def __init__(self, renv: ReceiptsEnv, name: str, extra_env: dict[str, str] | None = None) -> None:
        self.renv = renv
        self.name = name
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.env = {**renv.env, **FAST, "RECEIPTS_API_URL": self.base_url, **(extra_env or {})}
        self.log_path = renv.data_dir / f"daemon-{name}.log"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 30.0) -> DaemonProc:
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen([str(BIN / "receipts"), "serve", "--port", str(self.port)], env=self.env,
                                         stdout=log, stderr=log, stdin=subprocess.DEVNULL, cwd=self.renv.data_dir,
                                         start_new_session=True)
        wait_for(self._healthy, timeout, 0.1, f"daemon {self.name} to answer /api/v1/health")
        return self

    def _healthy(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise AssertionError(f"daemon {self.name} exited with {self.proc.returncode}:\n{self.log()}")
        try:
            return httpx.get(self.base_url + "/api/v1/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def token(self) -> str:
        return self.env.get("RECEIPTS_API_TOKEN") or (self.renv.data_dir / "api-token").read_text().strip()

    def client(self, auth: bool = True) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.token()}"} if auth else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=10)

    def terminate(self, timeout: float = 60.0) -> int:
        """SIGTERM and wait: the graceful drain."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def kill(self) -> None:
        """SIGKILL the daemon process only (its worker subprocesses notice and exit)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def cleanup(self) -> None:
        if self.proc is None:
            return
        children = []
        try:
            children = psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.Error:
            pass
        self.kill()
        for child in children:
            try:
                child.kill()
            except psutil.Error:
                pass


def job_worker_pids(db: Any) -> list[int]:
    return [int(d["worker_pid"]) for d in db.jobs.find({}, {"worker_pid": 1}) if d.get("worker_pid")]


@pytest.fixture
def daemons(receipts_env: ReceiptsEnv) -> Iterator[Callable[..., DaemonProc]]:
    """Factory: ``daemons("a", RECEIPTS_WORKERS="2")`` → a started daemon; all are killed at teardown."""
    started: list[DaemonProc] = []

    def make(name: str = "a", start: bool = True, **extra_env: str) -> DaemonProc:
        proc = DaemonProc(receipts_env, name, extra_env)
        started.append(proc)
        return proc.start() if start else proc

    yield make
    for proc in started:
        proc.cleanup()
    db = receipts_env.db
    for pid in job_worker_pids(db):  # a worker orphaned by a SIGKILL-ed daemon exits by itself; make sure
        try:
            p = psutil.Process(pid)
            if "scheduler.worker_main" in " ".join(p.cmdline()):
                p.kill()
        except psutil.Error:
            pass


def embed(post_id: str, handle: str, text: str) -> str:
    """publish.twitter.com embed markup, as in shared/formats/embeds/01_*.html."""
    return (f'<blockquote class="twitter-tweet"><p lang="en" dir="ltr">{text}</p>&mdash; {handle} (@{handle}) '
            f'<a href="https://twitter.com/{handle}/status/{post_id}?ref_src=twsrc%5Etfw">February 13, 2025</a>'
            '</blockquote> <script async src="https://platform.twitter.com/widgets.js" charset="utf-8"></script>')


def article_page(path: str, title: str, body_html: str) -> str:
    url = f"https://news.example{path}"
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
            f'<link rel="canonical" href="{url}"><meta property="og:type" content="article">'
            f'<meta property="og:title" content="{title}"><meta property="og:url" content="{url}">'
            f'<meta property="article:published_time" content="2025-02-14T10:00:00Z"></head>'
            f'<body><article><h1>{title}</h1><div class="article-body"><p>Reporting from Brussels.</p>'
            f'{body_html}<p>More to come.</p></div></article></body></html>')


def unique_path(prefix: str) -> str:
    return f"/{prefix}-{os.getpid()}-{time.monotonic_ns()}"


def read_lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def kill_embedded(data_dir: Path) -> None:
    """SIGKILL the embedded nx-27017 recorded under *data_dir* (left behind by a SIGKILL-ed daemon)."""
    import json

    state_file = data_dir / "db" / "server.json"
    try:
        os.kill(int(json.loads(state_file.read_text())["pid"]), signal.SIGKILL)
    except (OSError, ValueError, KeyError):
        pass


SLOW_POSTS = 30


def slow_article(fakeweb: Any, name: str, posts: int = SLOW_POSTS) -> str:
    """An article citing *posts* generated posts: with a download delay, a crawl that lasts (needs ``bulk``)."""
    return bulk_article(fakeweb, unique_path(name), posts, title=name)


def crawl_under_way(db: Any, job_id: str) -> dict:
    """Wait until the job runs in a worker subprocess and has archived a few posts already."""
    return wait_for(lambda: (j := db.jobs.find_one({"_id": job_id})) and j["status"] == "running"
                    and j.get("worker_pid") and db.posts.count_documents({}) >= 2 and j, 60, 0.05,
                    "the slow crawl to be under way")


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True
