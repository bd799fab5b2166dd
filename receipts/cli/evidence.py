"""Evidence command: ``verify`` (``export wacz`` lives with the other exports in :mod:`receipts.cli.export`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from receipts.cli.common import fail, open_archive


def verify(
    url: Annotated[str | None, typer.Option("--url", help="Only this article's evidence (its URL).")] = None,
    article: Annotated[str | None, typer.Option("--article", hidden=True, help="Old name of --url.")] = None,
    wacz: Annotated[list[Path] | None, typer.Option(
        "--wacz", help="Check this WACZ package (repeatable); alone, nothing in the archive is checked.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON line per object checked, then a summary line.")] = False,
) -> None:
    """Recompute every stored hash (media, capture bodies, WARC files and records), check every RFC 3161
    timestamp token and WACZ signature; exit 1 on any mismatch."""
    from receipts.evidence.proofs import verify_wacz
    from receipts.evidence.verify import VerifyReport, verify_archive

    try:
        target = url or article
        report = verify_archive(open_archive(), target) if (target or not wacz) else VerifyReport()
    except LookupError as exc:
        fail(str(exc))
        return
    for path in wacz or []:
        verify_wacz(path, report)
    if as_json:
        for obj in report.objects:
            typer.echo(json.dumps(obj, default=str))
        typer.echo(json.dumps({"kind": "summary", **report.to_json()}))
    else:
        for mismatch in report.mismatches:
            typer.echo(f"MISMATCH {mismatch}")
        c = report.counts
        proofs = (f", {c['timestamp_tokens']} timestamp tokens"
                  + (f" ({c['timestamps_pending']} timestamps pending)" if c["timestamps_pending"] else "")
                  + (f", {c['wacz_files']} WACZ files, {c['wacz_signatures']} signatures" if c["wacz_files"] else ""))
        typer.echo(f"{'FAILED' if report.mismatches else 'ok'}: {c['media_files']} media files, "
                   f"{c['body_files']} capture bodies, {c['warc_files']} WARC files, {c['warc_records']} WARC records"
                   + proofs + (f", {len(report.mismatches)} mismatches" if report.mismatches else ""))
    if not report.ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("verify")(verify)
