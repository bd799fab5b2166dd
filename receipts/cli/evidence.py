"""Evidence command: ``verify`` (``export wacz`` lives with the other exports in :mod:`receipts.cli.export`)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from receipts.cli.common import fail, open_archive


def verify(
    url: Annotated[str | None, typer.Option("--url", help="Only this article's evidence (its URL).")] = None,
    article: Annotated[str | None, typer.Option("--article", hidden=True, help="Old name of --url.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as one JSON object.")] = False,
) -> None:
    """Recompute every stored hash (media, capture bodies, WARC files and records); exit 1 on any mismatch."""
    from receipts.evidence.verify import verify_archive

    try:
        report = verify_archive(open_archive(), url or article)
    except LookupError as exc:
        fail(str(exc))
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
    app.command("verify")(verify)
