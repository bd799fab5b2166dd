"""``receipts export wacz|sheet|jsonl|csv|prov``: this module owns the ``export`` group.

``wacz`` packs one article's evidence; the others write the articles matching the same filters as
``receipts query articles`` (read from the database directly, no daemon needed).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer

from receipts.cli.common import (
    Cites,
    Domain,
    Lang,
    PubFrom,
    PubTo,
    Text,
    Url,
    fail,
    is_stdout,
    none_matched,
    open_archive,
    query_or_fail,
)

export_app = typer.Typer(no_args_is_help=True, help="Export archived evidence (WACZ, …).")

Output = Annotated[Path, typer.Option("-o", "--output", help="The file to write (- for stdout).")]
ArticleAlias = Annotated[str | None, typer.Option("--article", hidden=True, help="Old name of --url.")]


@export_app.command("wacz")
def export_wacz(
    output: Annotated[Path, typer.Option("-o", "--output", help="The .wacz file to write (- for stdout).")],
    url: Annotated[str | None, typer.Option("--url", help="The article URL (as crawled, or canonical).")] = None,
    article: ArticleAlias = None,
) -> None:
    """Pack one article's captures (article, posts, short links, media, screenshots) into a signed WACZ 1.1."""
    import shutil
    import tempfile

    from receipts.evidence.signing import SigningError
    from receipts.evidence.wacz import export_wacz as write_wacz

    target = url or article
    if not target:
        fail("give the article with --url", 2)
        return
    to_stdout = is_stdout(output)
    with tempfile.TemporaryDirectory(prefix="receipts-wacz-out-") as tmp:
        path = Path(tmp) / "evidence.wacz" if to_stdout else output
        try:
            summary = write_wacz(open_archive(), target, path)
        except (LookupError, SigningError) as exc:
            fail(str(exc))
            return
        if to_stdout:
            with path.open("rb") as fh:
                shutil.copyfileobj(fh, sys.stdout.buffer)
            sys.stdout.buffer.flush()
    typer.echo(f"wrote {'stdout' if to_stdout else summary.path} ({summary.bytes} bytes): {summary.captures} "
               f"captures, {summary.records_copied} record groups, {summary.pages} pages", err=to_stdout)
    key = summary.signing_key
    if key is not None:
        if key.generated:
            typer.echo(f"generated a WACZ signing key at {key.source} (keep it; set RECEIPTS_SIGNING_KEY to use "
                       f"another). Its public half, to publish:\n{key.public_pem.rstrip()}", err=True)
        stamp = {"stamped": "timestamped", "pending": "timestamp pending (the daemon retries)"}.get(
            summary.signature_timestamp or "", "not timestamped (RECEIPTS_TSA_URLS is empty)")
        typer.echo(f"signed by {summary.signed_by} ({key.source}); signature {stamp}; "
                   f"{summary.warc_tokens} WARC timestamp tokens packed", err=to_stdout)
    if summary.captures_without_warc:
        typer.echo(f"note: {summary.captures_without_warc} captures were stored before WARC writing: this package "
                   "lists them but has no HTTP records for them", err=True)


def _write(fmt: str, archive: Any, query: dict[str, Any], fh: TextIO) -> int:
    from receipts.exports.csv import write_csv
    from receipts.exports.jsonl import write_jsonl
    from receipts.exports.prov import iter_prov

    if fmt == "jsonl":
        return write_jsonl(archive, query, fh)
    if fmt == "csv":
        return write_csv(archive, query, fh)
    n = 0
    for chunk in iter_prov(archive, query):
        fh.write(chunk)
        n += 1
    return max(n - 2, 0)


@export_app.command("sheet")
def export_sheet(
    output: Annotated[str, typer.Option("-o", "--output", help="receipt.pdf, receipt.html, or - (HTML on stdout).")],
    url: Annotated[str | None, typer.Option("--url", help="The article URL (as crawled, or canonical) or short id.")] = None,
    article: ArticleAlias = None,
) -> None:
    """The evidence sheet of one article: references beside the archived posts, hashes, WARC files, timestamps."""
    import sys

    from receipts.exports.pdf import PdfUnavailable, html_to_pdf
    from receipts.exports.sheet import sheet_html

    path = Path(output)
    if output != "-" and path.suffix.lower() not in (".pdf", ".html", ".htm"):
        fail("the output must end in .pdf or .html (or be - for HTML on stdout)", 2)
    target = url or article
    if not target:
        fail("give the article with --url", 2)
        return
    try:
        html = sheet_html(open_archive(), target)
    except LookupError as exc:
        fail(str(exc))
        return
    if output == "-":
        sys.stdout.write(html)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    if path.suffix.lower() == ".pdf":
        try:
            tmp.write_bytes(html_to_pdf(html))
        except PdfUnavailable as exc:
            fail(f"{exc} (write .html instead)")
    else:
        tmp.write_text(html, encoding="utf-8")
    tmp.replace(path)
    typer.echo(f"wrote {path} ({path.stat().st_size} bytes)", err=True)


def _export(fmt: str, output: Path, url: str | None, domain: str | None, published_from: str | None,
            published_to: str | None, language: str | None, cites: str | None, text: str | None) -> None:
    from receipts.queries import ArticleFilters, article_query

    archive = open_archive()
    filters = ArticleFilters(url=url, domain=domain, published_from=published_from, published_to=published_to,
                             language=language, cites=cites, q=text)
    query = query_or_fail(lambda: article_query(archive, filters))
    if is_stdout(output):
        n = _write(fmt, archive, query, sys.stdout)
        sys.stdout.flush()
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        tmp = output.with_name(output.name + ".part")
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            n = _write(fmt, archive, query, fh)
        tmp.replace(output)
    unit = "nodes" if fmt == "prov" else "rows"
    typer.echo(f"wrote {'stdout' if is_stdout(output) else output} ({n} {unit})", err=True)
    if n == 0:
        none_matched("articles")


@export_app.command("jsonl")
def export_jsonl(output: Output, url: Url = None, domain: Domain = None, published_from: PubFrom = None,
                 published_to: PubTo = None, language: Lang = None, cites: Cites = None, text: Text = None) -> None:
    """JSON Lines, one object per reference (article_*, ref_*, post_* keys)."""
    _export("jsonl", output, url, domain, published_from, published_to, language, cites, text)


@export_app.command("csv")
def export_csv(output: Output, url: Url = None, domain: Domain = None, published_from: PubFrom = None,
               published_to: PubTo = None, language: Lang = None, cites: Cites = None, text: Text = None) -> None:
    """CSV, one row per reference (article_*, ref_*, post_* columns)."""
    _export("csv", output, url, domain, published_from, published_to, language, cites, text)


@export_app.command("prov")
def export_prov(output: Output, url: Url = None, domain: Domain = None, published_from: PubFrom = None,
                published_to: PubTo = None, language: Lang = None, cites: Cites = None, text: Text = None) -> None:
    """PROV-O JSON-LD: articles wasQuotedFrom posts; captures as prov:Activity by the Receipts agent."""
    _export("prov", output, url, domain, published_from, published_to, language, cites, text)


def register(app: typer.Typer) -> None:
    app.add_typer(export_app, name="export")
