"""Daemon commands: ``serve``, ``submit``, ``jobs`` and ``sources add|list|remove``."""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Annotated, Any

import typer

from receipts.cli.common import (
    ApiUrl,
    api_client,
    api_error,
    api_url,
    err,
    fail,
    none_matched,
    open_archive,
    read_runtime,
    remove_runtime,
    write_runtime,
)
from receipts.settings import get_settings

sources_app = typer.Typer(no_args_is_help=True, help="Feeds, sitemaps and section pages the daemon polls.")


def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default RECEIPTS_API_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default RECEIPTS_API_PORT; 0 = any free port).")] = None,
    workers: Annotated[int | None, typer.Option(help="Crawl workers (default RECEIPTS_WORKERS).")] = None,
) -> None:
    """Run Receipts as a service: HTTP API, web UI, scheduled source polls, crawl workers and re-checks."""
    from receipts.api.app import create_app
    from receipts.api.auth import ensure_token, token_path
    from receipts.api.server import make_server
    from scheduler import logjson
    from scheduler.daemon import Daemon

    settings = get_settings()
    logjson.setup("INFO" if settings.log_level == "WARNING" else settings.log_level)
    if port == 0:
        port = _free_port(host or settings.api_host)
    daemon = Daemon(host=host, port=port, workers=workers)
    daemon.prepare()
    token, generated = ensure_token(daemon.settings)
    url = f"http://{_url_host(daemon.host)}:{daemon.port}"
    where = "RECEIPTS_API_TOKEN" if daemon.settings.api_token else str(token_path(daemon.settings))
    if generated:
        sys.stderr.write(f"receipts: generated API token (stored in {token_path(daemon.settings)}): {token}\n")
    sys.stderr.write(f"receipts: serving {url}/ (web UI; API docs at {url}/docs); the API token is in {where}\n")
    sys.stderr.flush()
    runtime = write_runtime(url, os.getpid())
    sys.stderr.write(f"receipts: `receipts submit` finds this daemon through {runtime}\n")
    sys.stderr.flush()

    def api_server(d: Daemon) -> Any:  # the composition root: the daemon serves the API and the UI
        return make_server(create_app(daemon=d, archive=d.archive), d.host, d.port, d.settings)

    try:
        code = daemon.run(api_server)
    finally:
        remove_runtime(os.getpid())
    raise typer.Exit(code)


def _free_port(host: str) -> int:
    import socket

    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _url_host(host: str) -> str:
    """The host part of a URL a browser on this machine can open (a wildcard bind means loopback)."""
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def _daemon_found(override: str | None) -> bool:
    """A daemon to talk to: ``--api-url`` given, or a live daemon recorded in the data directory."""
    return bool(override) or read_runtime() is not None


def _unreachable(override: str | None, exc: Exception) -> None:
    fail(f"cannot reach the daemon at {api_url(override)}: {exc} (start it with `receipts serve`, or pass --api-url)")


def _print_report(job: dict[str, Any]) -> None:
    """The crawl report of a finished job, read from this machine's archive (the job line when it is not here)."""
    from receipts.report import build_report, render_text

    crawl_ids = job.get("crawl_ids") or []
    if job.get("kind") == "crawl" and crawl_ids:
        try:
            typer.echo(render_text(build_report(open_archive(), crawl_ids[-1])))
            return
        except LookupError:
            pass
    typer.echo(f"{job['id']} {job['status']} article={job.get('article_id')}")


def submit(
    url: Annotated[str, typer.Argument(help="The article URL to crawl.")],
    wait: Annotated[bool, typer.Option("--wait", help="Wait for the crawl to finish, then print its report.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the job as one JSON object.")] = False,
    timeout: Annotated[float, typer.Option(help="Give up waiting after this many seconds.")] = 3600.0,
    api: ApiUrl = None,
) -> None:
    """Queue a crawl on the running daemon and print its job id (with --wait, the crawl report)."""
    import httpx

    try:
        with api_client(api) as client:
            resp = client.post("/api/v1/crawls", json={"url": url})
            if resp.status_code != 202:
                fail(api_error(resp), 2 if resp.status_code in (400, 422) else 1)
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
                    fail(api_error(resp))
                job = resp.json()
                progress = (job["status"], job.get("attempts"))
                if progress != last:
                    last = progress
                    typer.echo(f"{job['status']} (attempt {job.get('attempts', 0)})", err=True)
    except httpx.HTTPError as exc:
        _unreachable(api, exc)
    if as_json:
        typer.echo(json.dumps(job))
    else:
        _print_report(job)
    if job["status"] == "failed":
        errors = job.get("errors") or []
        fail(errors[-1]["error"] if errors else "crawl failed")


def _api_get(api: str | None, path: str, params: dict[str, Any]) -> dict[str, Any]:
    import httpx

    try:
        with api_client(api) as client:
            resp = client.get(path, params={k: v for k, v in params.items() if v is not None})
    except httpx.HTTPError as exc:
        _unreachable(api, exc)
        raise
    if resp.status_code != 200:
        fail(api_error(resp))
    return resp.json()


def jobs(
    status: Annotated[str | None, typer.Option(help="queued | running | done | failed")] = None,
    limit: Annotated[int, typer.Option(help="How many, newest first.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    api: ApiUrl = None,
) -> None:
    """List crawl jobs: from the running daemon when there is one, else from the database."""
    if _daemon_found(api):
        items = _api_get(api, "/api/v1/crawls", {"status": status, "limit": min(limit, 200)})["items"]
    else:
        from receipts.db.reads import recent_jobs
        from receipts.exports.records import job_json

        items = [job_json(doc) for doc in recent_jobs(open_archive(), status, limit)]
    for item in items:
        if as_json:
            typer.echo(json.dumps(item))
        else:
            typer.echo(f"{item['id']}  {item['status']:<7}  {item['kind']:<15}  {item['url'] or len(item['post_ids'])}")
    if not items:
        none_matched(f"{status} jobs" if status else "jobs")


# -- sources ------------------------------------------------------------------------------------
@sources_app.command("add")
def sources_add(
    url: Annotated[str, typer.Argument(help="Feed, sitemap or section page URL.")],
    every: Annotated[str, typer.Option(help='Polling interval, e.g. "15m", "1h".')] = "15m",
    webhook: Annotated[str | None, typer.Option(help="POST each event about this source's articles here.")] = None,
    name: Annotated[str | None, typer.Option(help="A label.")] = None,
    api: ApiUrl = None,
) -> None:
    """Follow a source; a running daemon schedules it at once (else it is polled from the daemon's next start)."""
    if _daemon_found(api):
        import httpx

        try:
            with api_client(api) as client:
                resp = client.post("/api/v1/sources", json={"url": url, "every": every, "webhook_url": webhook,
                                                            "name": name})
        except httpx.HTTPError as exc:
            _unreachable(api, exc)
            return
        if resp.status_code not in (200, 201):
            fail(api_error(resp), 2 if resp.status_code in (400, 422) else 1)
        typer.echo(json.dumps({**resp.json(), "created": resp.status_code == 201}))
        return
    from receipts.db.sources import SourceError, add_source
    from receipts.exports.records import source_json

    try:
        doc, created = add_source(open_archive(), url, every, webhook, name)
    except (SourceError, ValueError) as exc:
        fail(str(exc), 2)
        return
    typer.echo(json.dumps({**source_json(doc), "created": created}))


@sources_app.command("list")
def sources_list(as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
                 api: ApiUrl = None) -> None:
    """The followed sources (from the running daemon when there is one, else from the database)."""
    if _daemon_found(api):
        items = _api_get(api, "/api/v1/sources", {"limit": 200})["items"]
    else:
        from receipts.db.sources import list_sources
        from receipts.exports.records import source_json

        items = [source_json(doc) for doc in list_sources(open_archive())]
    for item in items:
        if as_json:
            typer.echo(json.dumps(item))
        else:
            typer.echo(f"{item['id']}  every {item['every_seconds']:.0f}s  {item['kind'] or '?':<8}  "
                       f"polls={item['polls']} queued={item['queued']}  {item['url']}")
    if not items:
        none_matched("sources")


@sources_app.command("remove")
def sources_remove(source: Annotated[str, typer.Argument(help="Source id or URL.")]) -> None:
    """Stop following a source (its archived articles stay; a running daemon drops it at its next sync)."""
    from receipts.db.sources import remove_source

    doc = remove_source(open_archive(), source)
    if doc is None:
        fail(f"no source {source}")
        return
    typer.echo(doc["_id"])


# -- import -------------------------------------------------------------------------------------
def import_urls(
    source: Annotated[str, typer.Argument(help="A file (one URL a line, or CSV with a url column, or a sitemap "
                                                "XML), a sitemap URL, or - for stdin.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as one JSON object.")] = False,
    api: ApiUrl = None,
) -> None:
    """Submit many article URLs to the running daemon, with a progress bar and a summary."""
    import httpx
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from receipts.url_lists import UrlListError, read_url_list

    try:
        urls = read_url_list(source, _fetch_sitemap)
    except UrlListError as exc:
        fail(str(exc), 2)
        return
    if not urls:
        none_matched(f"URLs in {source}")
        return
    counts = {"queued": 0, "already_queued": 0, "rejected": 0}
    rejected: list[str] = []
    columns = (TextColumn("importing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    try:
        with api_client(api) as client, Progress(*columns, console=err, transient=as_json) as bar:
            task = bar.add_task("import", total=len(urls))
            for url in urls:
                resp = client.post("/api/v1/crawls", json={"url": url})
                if resp.status_code == 202:
                    counts["already_queued" if resp.json().get("deduplicated") else "queued"] += 1
                elif resp.status_code in (400, 422):
                    counts["rejected"] += 1
                    rejected.append(f"{url}: {api_error(resp)}")
                else:
                    fail(api_error(resp))
                bar.advance(task)
    except httpx.HTTPError as exc:
        _unreachable(api, exc)
        return
    if as_json:
        typer.echo(json.dumps({"urls": len(urls), **counts, "errors": rejected}))
    else:
        for line in rejected:
            err.print(f"rejected {line}", highlight=False, soft_wrap=True)
        typer.echo(f"{len(urls)} URLs: {counts['queued']} queued, {counts['already_queued']} already queued, "
                   f"{counts['rejected']} rejected (watch them with `receipts jobs`)")


def _fetch_sitemap(url: str) -> bytes:
    """A sitemap's bytes (through the origin map, every redirect checked)."""
    from scheduler.sources import fetch

    got = fetch(url)
    if got.status != 200:
        raise OSError(f"HTTP {got.status}")
    return got.body


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.command()(submit)
    app.command()(jobs)
    app.command("import")(import_urls)
    app.add_typer(sources_app, name="sources")
