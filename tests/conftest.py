"""Shared fixtures: a real nx-27017 over TCP, the local fake web, and an isolated Receipts env.

Crawls run in subprocesses (the CLI), as users run them: a Twisted reactor cannot restart
inside one pytest process.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pymongo
import pytest

pytest_plugins = ["ui_support"]  # the web UI fixtures (base_url, browser) for the UI tests

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_mongo(uri: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        client: pymongo.MongoClient = pymongo.MongoClient(uri, serverSelectionTimeoutMS=300)
        try:
            client.admin.command("ping")
            return
        except pymongo.errors.PyMongoError:
            time.sleep(0.1)
        finally:
            client.close()
    raise RuntimeError(f"nx-27017 did not answer at {uri}")


@dataclass
class NxServer:
    uri: str
    port: int
    data_dir: Path
    proc: subprocess.Popen | None = None

    def start(self) -> None:
        log = open(self.data_dir / "nx.log", "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [str(BIN / "nx-27017"), "--data-dir", str(self.data_dir / "data"), "--pid-file",
             str(self.data_dir / "nx.pid"), "--log-file", str(self.data_dir / "nx.log"), "-p", str(self.port)],
            stdout=log, stderr=log, start_new_session=True)
        log.close()
        wait_for_mongo(self.uri)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture(scope="session")
def nx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NxServer]:
    data_dir = tmp_path_factory.mktemp("nx")
    (data_dir / "data").mkdir()
    port = free_port()
    server = NxServer(uri=f"mongodb://127.0.0.1:{port}/", port=port, data_dir=data_dir)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def fakeweb() -> Iterator:
    from fakeweb import FakeWeb

    web = FakeWeb().start()
    yield web
    web.stop()


@dataclass
class ReceiptsEnv:
    """An isolated Receipts installation: its own database name and data dir."""

    env: dict[str, str]
    db_name: str
    data_dir: Path
    uri: str

    @property
    def db(self) -> pymongo.database.Database:
        return pymongo.MongoClient(self.uri, tz_aware=True)[self.db_name]

    def run(self, *args: str, timeout: float = 180, check: bool = False, input: str | None = None,
            extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        proc = subprocess.run([str(BIN / "receipts"), *args], env={**self.env, **(extra_env or {})},
                              capture_output=True, text=True, timeout=timeout, input=input, cwd=self.data_dir)
        if check and proc.returncode != 0:
            raise AssertionError(f"receipts {' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
        return proc

    def crawl_json(self, url: str, *extra: str) -> dict:
        proc = self.run("crawl", url, "--json", *extra, check=True)
        return json.loads(proc.stdout)


@pytest.fixture
def receipts_env(nx: NxServer, fakeweb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ReceiptsEnv]:
    db_name = "t_" + uuid.uuid4().hex[:12]
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECEIPTS_")}
    env.update({
        "RECEIPTS_MONGODB_URI": nx.uri,
        "RECEIPTS_DB_NAME": db_name,
        "RECEIPTS_DATA_DIR": str(data_dir),
        "RECEIPTS_ORIGIN_MAP": json.dumps(fakeweb.origin_map()),
        "RECEIPTS_RETRY_MAX_WAIT": "5",
        "RECEIPTS_BROWSER": "0",
        # tests that crawl an article again expect its posts fetched again (tests/crawlers/test_recrawl.py
        # sets the default window to test re-crawls of unchanged articles)
        "RECEIPTS_RECRAWL_FRESH": "0",
        "RECEIPTS_TSA_URLS": "",  # no public TSA from tests (tests/receipts/evidence/test_timestamps.py runs its own)
    })
    for key in [k for k in os.environ if k.startswith("RECEIPTS_")]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        if key.startswith("RECEIPTS_"):
            monkeypatch.setenv(key, value)
    from receipts.settings import reset_settings

    reset_settings()
    yield ReceiptsEnv(env=env, db_name=db_name, data_dir=data_dir, uri=nx.uri)
    from receipts.db import close_all

    close_all()
    reset_settings()


@pytest.fixture(scope="module")
def seed(nx: NxServer, fakeweb, tmp_path_factory: pytest.TempPathFactory):
    """A seeded research archive (archive_support.py): one per test module that asks for it."""
    from archive_support import seeded

    return seeded(nx.uri, fakeweb, tmp_path_factory.mktemp("archive"))


@pytest.fixture(scope="module")
def client(seed) -> Iterator:
    """An in-process API client over the seeded archive."""
    from archive_support import process_env
    from fastapi.testclient import TestClient

    from receipts.api.app import create_app

    with process_env(seed):
        yield TestClient(create_app(archive=seed.archive()), base_url="http://localhost")


def bulk_article(fakeweb, path: str, count: int, title: str = "Bulk") -> str:
    """An article embedding *count* generated posts (live while the ``bulk`` fixture is in use)."""
    from fakeweb.bulk import bulk_id

    body = "".join(
        f'<blockquote class="twitter-tweet"><p>post {i}</p>&mdash; N (@demo_newsroom) '
        f'<a href="https://twitter.com/demo_newsroom/status/{bulk_id(i)}">March 1, 2025</a></blockquote>'
        for i in range(count))
    return fakeweb.add_page(path, f"<html><head><title>{title}</title></head><body><article><p>Intro.</p>{body}"
                                  "</article></body></html>")


@pytest.fixture
def bulk(fakeweb) -> Iterator[None]:
    """Generated posts are live (a bulk article can cite many)."""
    before = fakeweb.store.bulk_count
    fakeweb.store.bulk_count = 1000
    yield
    fakeweb.store.bulk_count = before


@pytest.fixture
def own_nx(tmp_path: Path) -> Iterator[NxServer]:
    """An external MongoDB this test may stop and start on the same port (the session one is shared)."""
    data_dir = tmp_path / "nx"
    (data_dir / "data").mkdir(parents=True)
    port = free_port()
    server = NxServer(uri=f"mongodb://127.0.0.1:{port}/", port=port, data_dir=data_dir)
    server.start()
    yield server
    server.stop()
