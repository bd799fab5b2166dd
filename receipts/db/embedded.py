"""The embedded database: an ``nx-27017`` child process under ``RECEIPTS_DATA_DIR/db``.

Used only when ``RECEIPTS_MONGODB_URI`` is unset. The first Receipts process starts the
server on a free loopback port and records it in ``server.json``; later processes find it
there and reuse it. Every process registers itself as a client; the last client to leave
stops the server (SIGTERM, then SIGKILL after a grace period). A file lock serialises all
of this so two CLI invocations started together share one server.

A server that died (SIGKILL, OOM) is restarted on the port it had, so every client's address
stays valid and pymongo reconnects by itself; the daemon checks for that every tick
(:meth:`EmbeddedServer.revive`). Its files are created private (umask 077): the database holds
the whole archive.
"""

from __future__ import annotations

import atexit
import fcntl
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pymongo
from pymongo.errors import PyMongoError

from receipts.private import PRIVATE_UMASK, private_dir

log = logging.getLogger(__name__)


class EmbeddedDatabaseError(RuntimeError):
    """The embedded nx-27017 server could not be started or reached."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child still "exists"; treat it as dead
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ")[-1][:1] != "Z"
    except OSError:
        return True


def ping(uri: str, timeout_ms: int = 500) -> bool:
    client: pymongo.MongoClient = pymongo.MongoClient(uri, serverSelectionTimeoutMS=timeout_ms, connectTimeoutMS=timeout_ms)
    try:
        client.admin.command("ping")
        return True
    except PyMongoError:
        return False
    finally:
        client.close()


def _server_binary() -> list[str]:
    exe = Path(sys.executable).with_name("nx-27017")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("nx-27017")
    if found:
        return [found]
    return [sys.executable, "-m", "nx_27017"]


class EmbeddedServer:
    """Start-or-reuse handle on the nx-27017 server living under ``data_dir/db``."""

    def __init__(self, data_dir: Path, start_timeout: float = 30.0) -> None:
        self.dir = Path(data_dir) / "db"
        self.start_timeout = start_timeout
        self.state_file = self.dir / "server.json"
        self.clients_dir = self.dir / "clients"
        self.uri: str | None = None
        self.moved_to: str | None = None  # set by revive() when the server now answers elsewhere
        self._registered = False

    @contextmanager
    def _lock(self) -> Iterator[None]:
        private_dir(self.dir.parent)
        private_dir(self.dir)
        with open(self.dir / ".lock", "a+") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _read_state(self) -> dict | None:
        try:
            return json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return None

    def ensure(self) -> str:
        """Return the server's URI, starting it when no live server is recorded."""
        with self._lock():
            state = self._read_state()
            if state and _alive(int(state["pid"])) and ping(state["uri"], 2000):
                self.uri = state["uri"]
            else:
                self.uri = self._start_reusing(state)
            self._register()
        return self.uri

    def revive(self) -> bool:
        """Restart the server when it died, on the port it had; True when this call restarted it.

        Raises :class:`EmbeddedDatabaseError` when it cannot be restarted (the caller retries).
        """
        with self._lock():
            state = self._read_state()
            if state and _alive(int(state["pid"])):
                # another process could not reuse the port and moved it: this process's clients are stale
                self.moved_to = state["uri"] if self.uri and state["uri"] != self.uri else None
                if self.moved_to:
                    log.error("embedded database moved; restart this process",
                              extra={"from": self.uri, "to": self.moved_to})
                return False
            port = self._previous_port(state)
            log.warning("embedded database is down; restarting it", extra={"port": port})
            self.uri = self._start(port)
            self._register()
            log.warning("embedded database restarted", extra={"uri": self.uri})
            return True

    def _previous_port(self, state: dict | None) -> int | None:
        if state and state.get("port"):
            return int(state["port"])
        if self.uri:
            return int(self.uri.rstrip("/").rsplit(":", 1)[1])
        return None

    def _start_reusing(self, state: dict | None) -> str:
        """Start on the dead server's port (clients keep a valid address), else on a free one."""
        port = self._previous_port(state)
        if port is not None:
            try:
                return self._start(port)
            except EmbeddedDatabaseError as exc:
                log.warning("embedded database: port %s not reusable (%s); using a new one", port, exc)
        return self._start(None)

    def _start(self, port: int | None = None) -> str:
        port = port or _free_port()
        data = self.dir / "data"
        private_dir(data)
        log_file = open(self.dir / "nx-27017.log", "ab")  # noqa: SIM115 - handed to the child
        cmd = [*_server_binary(), "--data-dir", str(data), "--pid-file", str(self.dir / "nx-27017.pid"),
               "--log-file", str(self.dir / "nx-27017.log"), "--host", "127.0.0.1", "-p", str(port)]
        proc = subprocess.Popen(cmd, stdout=log_file, stderr=log_file, stdin=subprocess.DEVNULL,
                                start_new_session=True, umask=PRIVATE_UMASK)
        log_file.close()
        uri = f"mongodb://127.0.0.1:{port}/"
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise EmbeddedDatabaseError(
                    f"nx-27017 exited with code {proc.returncode}; see {self.dir / 'nx-27017.log'}")
            if ping(uri, 300):
                self.state_file.write_text(json.dumps({"pid": proc.pid, "port": port, "uri": uri,
                                                       "started_at": time.time()}))
                return uri
            time.sleep(0.1)
        proc.kill()
        raise EmbeddedDatabaseError(f"nx-27017 did not answer within {self.start_timeout:.0f}s")

    def _register(self) -> None:
        if self._registered:
            return
        private_dir(self.clients_dir)
        (self.clients_dir / str(os.getpid())).touch()
        self._registered = True
        atexit.register(self.release)

    def release(self) -> None:
        """Leave; the last live client stops the server."""
        if not self._registered:
            return
        self._registered = False
        with self._lock():
            (self.clients_dir / str(os.getpid())).unlink(missing_ok=True)
            live = []
            for entry in self.clients_dir.iterdir():
                if entry.name.isdigit() and _alive(int(entry.name)):
                    live.append(entry)
                else:
                    entry.unlink(missing_ok=True)
            if not live:
                self.stop_server()

    def stop_server(self) -> None:
        state = self._read_state()
        if not state:
            return
        pid = int(state["pid"])
        try:
            os.kill(pid, signal.SIGTERM)
            for _ in range(50):
                if not _alive(pid):
                    break
                time.sleep(0.1)
            else:
                os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:  # reap it when it is our own child
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        self.state_file.unlink(missing_ok=True)
