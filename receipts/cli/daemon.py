"""Daemon commands: ``serve``, ``submit``, ``jobs`` and ``sources add|list|remove``."""

from __future__ import annotations

import json
import sys
import time
from typing import Annotated, Any

import typer

from receipts.cli.common import fail, open_archive
from receipts.settings import get_settings

sources_app = typer.Typer(no_args_is_help=True, help="Feeds, sitemaps and section pages the daemon polls.")


def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default RECEIPTS_API_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default RECEIPTS_API_PORT).")] = None,
    workers: Annotated[int | None, typer.Option(help="Crawl workers (default RECEIPTS_WORKERS).")] = None,
) -> None:
    """Run Receipts as a service: HTTP API, scheduled source polls, crawl workers and re-checks."""
    from receipts.api.app import create_app
    from receipts.api.auth import ensure_token, token_path
    from receipts.api.server import make_server
    from scheduler import logjson
    from scheduler.daemon import Daemon

    settings = get_settings()
    logjson.setup("INFO" if settings.log_level == "WARNING" else settings.log_level)
    daemon = Daemon(host=host, port=port, workers=workers)
    daemon.prepare()
    token, generated = ensure_token(daemon.settings)
    if generated:
        sys.stderr.write(f"receipts: generated API token (stored in {token_path(daemon.settings)}): {token}\n")
        sys.stderr.flush()

    def api_server(d: Daemon) -> Any:  # the composition root: the daemon serves the API and the UI
        return make_server(create_app(daemon=d, archive=d.archive), d.host, d.port, d.settings)

    raise typer.Exit(daemon.run(api_server))


# -- API client ---------------------------------------------------------------------------------
def _client() -> Any:
    import httpx

    from receipts.api.auth import read_token

    settings = get_settings()
    headers = {"Accept": "application/json"}
    token = read_token(settings)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.Client(base_url=settings.api_base_url, headers=headers, timeout=30.0)


def _api_error(resp: Any) -> str:
    try:
        err = resp.json()["error"]
        return f"{err['message']} ({resp.status_code} {err['code']})"
    except (ValueError, KeyError, TypeError):
        return f"HTTP {resp.status_code}"


def submit(
    url: Annotated[str, typer.Argument(help="The article URL to crawl.")],
    wait: Annotated[bool, typer.Option("--wait", help="Wait for the crawl to finish, printing progress.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the job as one JSON object.")] = False,
    timeout: Annotated[float, typer.Option(help="Give up waiting after this many seconds.")] = 3600.0,
) -> None:
    """Queue a crawl on the running daemon (RECEIPTS_API_URL) and print its job id."""
    import httpx

    try:
        with _client() as client:
            resp = client.post("/api/v1/crawls", json={"url": url})
            if resp.status_code != 202:
                fail(_api_error(resp), 2 if resp.status_code in (400, 422) else 1)
            job = resp.json()
            if not wait:
                typer.echo(json.dumps(job) if as_json else job["id"])
                return
            typer.echo(f"queued {job['id']}", err=True)
            last = None
            deadline = time.monotonic() + timeout
            while job["status"] not in ("done", "failed"):
                if time.monotonic() > deadline:
                    fail(f"still {job['status']} after {timeout:.0f}s: {job['id']}")
                time.sleep(0.5)
                resp = client.get(f"/api/v1/crawls/{job['id']}")
                if resp.status_code != 200:
                    fail(_api_error(resp))
                job = resp.json()
                progress = (job["status"], job.get("attempts"))
                if progress != last:
                    last = progress
                    typer.echo(f"{job['status']} (attempt {job.get('attempts', 0)})", err=True)
    except httpx.HTTPError as exc:
        fail(f"cannot reach the daemon at {get_settings().api_base_url}: {exc}")
    if as_json:
        typer.echo(json.dumps(job))
    else:
        typer.echo(f"{job['id']} {job['status']} article={job.get('article_id')}")
    if job["status"] == "failed":
        errors = job.get("errors") or []
        fail(errors[-1]["error"] if errors else "crawl failed")


def jobs(
    status: Annotated[str | None, typer.Option(help="queued | running | done | failed")] = None,
    limit: Annotated[int, typer.Option(help="How many, newest first.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """List crawl jobs from the database (works with or without a running daemon)."""
    from receipts.db.reads import recent_jobs
    from receipts.exports.records import job_json

    for doc in recent_jobs(open_archive(), status, limit):
        item = job_json(doc)
        if as_json:
            typer.echo(json.dumps(item))
        else:
            typer.echo(f"{item['id']}  {item['status']:<7}  {item['kind']:<15}  {item['url'] or len(item['post_ids'])}")


# -- sources ------------------------------------------------------------------------------------
@sources_app.command("add")
def sources_add(
    url: Annotated[str, typer.Argument(help="Feed, sitemap or section page URL.")],
    every: Annotated[str, typer.Option(help='Polling interval, e.g. "15m", "1h".')] = "15m",
    webhook: Annotated[str | None, typer.Option(help="POST each event about this source's articles here.")] = None,
    name: Annotated[str | None, typer.Option(help="A label.")] = None,
) -> None:
    """Follow a source; the daemon polls it from its next tick."""
    from receipts.db.sources import SourceError, add_source
    from receipts.exports.records import source_json

    try:
        doc, created = add_source(open_archive(), url, every, webhook, name)
    except (SourceError, ValueError) as exc:
        fail(str(exc), 2)
        return
    typer.echo(json.dumps({**source_json(doc), "created": created}))


@sources_app.command("list")
def sources_list(as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False) -> None:
    """The followed sources."""
    from receipts.db.sources import list_sources
    from receipts.exports.records import source_json

    for doc in list_sources(open_archive()):
        item = source_json(doc)
        if as_json:
            typer.echo(json.dumps(item))
        else:
            typer.echo(f"{item['id']}  every {item['every_seconds']:.0f}s  {item['kind'] or '?':<8}  "
                       f"polls={item['polls']} queued={item['queued']}  {item['url']}")


@sources_app.command("remove")
def sources_remove(source: Annotated[str, typer.Argument(help="Source id or URL.")]) -> None:
    """Stop following a source (its archived articles stay)."""
    from receipts.db.sources import remove_source

    doc = remove_source(open_archive(), source)
    if doc is None:
        fail(f"no source {source}")
        return
    typer.echo(doc["_id"])


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.command()(submit)
    app.command()(jobs)
    app.add_typer(sources_app, name="sources")
