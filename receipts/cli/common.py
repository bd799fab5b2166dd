"""What the command modules share: the error console, ``fail``, logging set-up, the archive, shared options.

Command modules import this and the layers below, never each other or :mod:`receipts.cli`. The archive
and query layers are imported where they are used, so ``--help`` and the daemon client start fast.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from receipts.settings import get_settings

if TYPE_CHECKING:
    from receipts.db.archive import Archive

err = Console(stderr=True)

# -- the article filters shared by ``query articles`` and the exports ---------------------------------
Url = Annotated[str | None, typer.Option(help="Exact article URL (crawled or canonical).")]
Domain = Annotated[str | None, typer.Option(help="Exact host, e.g. newrepublic.com.")]
PubFrom = Annotated[str | None, typer.Option("--published-from", help="ISO 8601 date/datetime.")]
PubTo = Annotated[str | None, typer.Option("--published-to", help="ISO 8601 date/datetime (a date includes the day).")]
Lang = Annotated[str | None, typer.Option("--language", help="Language tag, e.g. en.")]
Cites = Annotated[str | None, typer.Option("--cites", help="deleted or edited: cites a post that is now so.")]
Text = Annotated[str | None, typer.Option("--text", "-q", help="Words to find (text index).")]


def fail(message: str, code: int = 1) -> None:
    """One line on stderr, non-zero exit."""
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def setup_logging() -> None:
    level = getattr(logging, get_settings().log_level, logging.WARNING)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s", stream=sys.stderr,
                        force=True)
    for handler in logging.root.handlers:
        handler.setLevel(level)
    for noisy in ("pymongo", "scrapy", "twisted", "asyncio", "filelock", "urllib3", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


def open_archive() -> Archive:
    from receipts.db import get_database
    from receipts.db.archive import Archive

    archive = Archive(get_database())
    describe_archive(archive)
    return archive


def query_or_fail(build: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The query *build* returns; a bad filter is a one-line error, exit 2."""
    from receipts.queries import QueryError

    try:
        return build()
    except QueryError as exc:
        fail(str(exc), 2)
        raise  # unreachable: fail exits


# -- --verbose, empty results, ``-o -`` -----------------------------------------------------------
VERBOSE = {"on": False}


def set_verbose(on: bool) -> None:
    VERBOSE["on"] = on


def describe_archive(archive: Archive) -> None:
    """With ``--verbose``: which archive this is (MongoDB URI or data directory), and a warning when empty."""
    if not VERBOSE["on"]:
        return
    settings = get_settings()
    if settings.mongodb_uri:
        where = f"MongoDB {redact_uri(settings.mongodb_uri)} database {settings.db_name}"
    else:
        where = f"the embedded database in {settings.data_dir} (RECEIPTS_DATA_DIR) database {settings.db_name}"
    err.print(f"archive: {where}; files in {settings.data_dir}", highlight=False, soft_wrap=True)
    from receipts.db.desk import archive_is_empty

    if archive_is_empty(archive):
        err.print("[yellow]warning:[/] this archive is empty (no articles, no posts): is it the one you meant? "
                  "Set RECEIPTS_DATA_DIR or RECEIPTS_MONGODB_URI.", highlight=False, soft_wrap=True)


def redact_uri(uri: str) -> str:
    """A MongoDB URI without its password."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(uri)
    if parts.password is None:
        return uri
    netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def none_matched(what: str) -> None:
    """The one stderr line for an empty result (the exit status stays 0)."""
    err.print(f"no {what} matched", highlight=False)


STDOUT = Path("-")


def is_stdout(path: Path) -> bool:
    return str(path) == "-"


# -- the running daemon: its runtime file and the API client ------------------------------------
RUNTIME_FILE = "daemon.json"
ApiUrl = Annotated[str | None, typer.Option("--api-url", help="The daemon's URL (default: RECEIPTS_API_URL, else "
                                            "the running daemon's RECEIPTS_DATA_DIR/daemon.json, else "
                                            "RECEIPTS_API_HOST:RECEIPTS_API_PORT).")]


def runtime_path() -> Path:
    return get_settings().data_dir / RUNTIME_FILE


def write_runtime(url: str, pid: int) -> Path:
    """Record the running daemon's URL for ``submit``, ``jobs``, ``sources`` and ``import`` (mode 0600)."""
    import json
    import os

    path = runtime_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{pid}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump({"url": url, "pid": pid}, fh)
    tmp.replace(path)
    return path


def remove_runtime(pid: int) -> None:
    """Remove the runtime file if it is still this daemon's."""
    info = read_runtime(check_alive=False)
    if info and info.get("pid") == pid:
        runtime_path().unlink(missing_ok=True)


def read_runtime(check_alive: bool = True) -> dict[str, Any] | None:
    """The runtime file's ``{"url", "pid"}``; None when absent, unreadable or (with *check_alive*) stale."""
    import json
    import os

    try:
        info = json.loads(runtime_path().read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(info, dict) or not isinstance(info.get("url"), str) or not isinstance(info.get("pid"), int):
        return None
    if check_alive:
        try:
            os.kill(info["pid"], 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
    return info


def api_url(override: str | None = None) -> str:
    """Where the daemon is: ``--api-url``, RECEIPTS_API_URL, the runtime file, then host:port."""
    return _api_url(override)[0]


def _api_url(override: str | None) -> tuple[str, str]:
    settings = get_settings()
    if override:
        return override.rstrip("/"), "--api-url"
    if settings.api_url:
        return settings.api_url.rstrip("/"), "RECEIPTS_API_URL"
    info = read_runtime()
    if info:
        return info["url"], str(runtime_path())
    return settings.api_base_url, "RECEIPTS_API_HOST/RECEIPTS_API_PORT (no running daemon recorded)"


def api_client(override: str | None = None) -> Any:
    """An httpx client for the daemon, with the API token when this machine has it."""
    import httpx

    from receipts.api.auth import read_token

    url, source = _api_url(override)
    if VERBOSE["on"]:
        err.print(f"daemon: {url} (from {source})", highlight=False, soft_wrap=True)
    headers = {"Accept": "application/json"}
    token = read_token(get_settings())
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.Client(base_url=url, headers=headers, timeout=30.0)


def api_error(resp: Any) -> str:
    try:
        error = resp.json()["error"]
        return f"{error['message']} ({resp.status_code} {error['code']})"
    except (ValueError, KeyError, TypeError):
        return f"HTTP {resp.status_code}"
