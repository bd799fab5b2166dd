"""Evidence commands: ``export wacz`` and ``verify``.

``export_app`` is the ``receipts export`` group; other formats register as sibling commands
(``@export_app.command("jsonl")`` in their own module, imported before ``register`` runs, or
added here).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

export_app = typer.Typer(no_args_is_help=True, help="Export archived evidence (WACZ, …).")


def _fail(message: str, code: int = 1) -> None:
    from receipts.cli import fail

    fail(message, code)


@export_app.command("wacz")
def export_wacz(
    article: Annotated[str, typer.Option("--article", help="The article URL (as crawled, or canonical).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="The .wacz file to write.")],
) -> None:
    """Pack one article's captures (article, posts, short links, media, resources) into a WACZ 1.1."""
    from receipts.db import get_database
    from receipts.db.archive import Archive
    from receipts.evidence.wacz import export_wacz as write_wacz

    try:
        summary = write_wacz(Archive(get_database()), article, output)
    except LookupError as exc:
        _fail(str(exc))
        return
    typer.echo(f"wrote {summary.path} ({summary.bytes} bytes): {summary.captures} captures, "
               f"{summary.records_copied} record groups, {summary.pages} pages")
    if summary.captures_without_warc:
        typer.echo(f"note: {summary.captures_without_warc} captures predate WARC writing and are not in the package",
                   err=True)


def verify(
    article: Annotated[str | None, typer.Option("--article", help="Only this article's evidence.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as one JSON object.")] = False,
) -> None:
    """Recompute every stored hash (media, capture bodies, WARC files and records); exit 1 on any mismatch."""
    from receipts.db import get_database
    from receipts.db.archive import Archive
    from receipts.evidence.verify import verify_archive

    try:
        report = verify_archive(Archive(get_database()), article)
    except LookupError as exc:
        _fail(str(exc))
        return
    if as_json:
        typer.echo(json.dumps(report.to_json()))
    else:
        for mismatch in report.mismatches:
            typer.echo(f"MISMATCH {mismatch}")
        c = report.counts
        typer.echo(f"{'FAILED' if report.mismatches else 'ok'}: {c['media_files']} media files, "
                   f"{c['body_files']} capture bodies, {c['warc_files']} WARC files, {c['warc_records']} WARC records"
                   + (f", {len(report.mismatches)} mismatches" if report.mismatches else ""))
    if not report.ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(export_app, name="export")
    app.command("verify")(verify)
