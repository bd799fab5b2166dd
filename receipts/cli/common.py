"""What the command modules share: the error console, ``fail``, logging set-up, the archive, shared options.

Command modules import this and the layers below, never each other or :mod:`receipts.cli`. The archive
and query layers are imported where they are used, so ``--help`` and the daemon client start fast.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
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

    return Archive(get_database())


def query_or_fail(build: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The query *build* returns; a bad filter is a one-line error, exit 2."""
    from receipts.queries import QueryError

    try:
        return build()
    except QueryError as exc:
        fail(str(exc), 2)
        raise  # unreachable: fail exits
