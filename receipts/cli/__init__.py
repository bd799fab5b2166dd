"""The ``receipts`` command line: the front door to crawling, serving, querying and exporting.

One module per command group; each exposes ``register(app)``. Shared helpers live in
:mod:`receipts.cli.common`, so no command module imports this one or another command module.
"""

from __future__ import annotations

import sys

import typer

from receipts.cli import crawl, daemon, evidence, export, media, query
from receipts.cli.common import err, set_verbose
from receipts.settings import SettingsError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Receipts: archive the social posts a news article embeds or cites, with provenance.")



@app.callback()
def _options(verbose: bool = typer.Option(False, "--verbose", "-v", help="Say which archive (data directory or "
                                          "MongoDB URI) a command uses, and warn when it is empty.")) -> None:
    set_verbose(verbose)


for _commands in (crawl, daemon, evidence, export, media, query):
    _commands.register(app)


def main() -> None:
    from receipts.private import private_process

    private_process()  # before any file is created: the archive is owner-only
    try:
        app()
    except SettingsError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(2)
    finally:
        from receipts.db import close_all

        close_all()
