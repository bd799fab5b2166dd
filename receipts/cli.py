"""The ``receipts`` command line: the front door to crawling, serving, querying and exporting."""

from __future__ import annotations

import json
import logging
import os
import sys
from typing import Annotated

import typer
from rich.console import Console

from receipts.settings import SettingsError, get_settings, reset_settings

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Receipts: archive the social posts a news article embeds or cites, with provenance.")
err = Console(stderr=True)


def fail(message: str, code: int = 1) -> None:
    """One line on stderr, non-zero exit."""
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _setup_logging() -> None:
    level = getattr(logging, get_settings().log_level, logging.WARNING)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s", stream=sys.stderr,
                        force=True)
    for handler in logging.root.handlers:
        handler.setLevel(level)
    for noisy in ("pymongo", "scrapy", "twisted", "asyncio", "filelock", "urllib3", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


def _crawl_and_report(url: str, as_json: bool, *, options: dict, quiet_progress: bool = False) -> dict:
    from receipts.crawl import run_crawl
    from receipts.db import get_database
    from receipts.db.archive import Archive
    from receipts.report import build_report
    from receipts.urlcheck import BadURL, check_user_url

    try:
        url = check_user_url(url)
    except BadURL as exc:
        fail(str(exc), 2)
    if as_json or quiet_progress:
        crawl_id = run_crawl(url, options=options)
    else:
        with err.status(f"crawling {url} …", spinner="dots") as status:
            def progress(counts: dict[str, int]) -> None:
                status.update(f"crawling {url} … {counts['responses']} responses, {counts['posts']} posts archived")

            crawl_id = run_crawl(url, options=options, on_progress=progress)
    report = build_report(Archive(get_database()), crawl_id)
    return report


def _failure(report: dict) -> str | None:
    """The one-line error of a crawl that failed or was interrupted (None when it finished)."""
    crawl = report["crawl"]
    errors = crawl["errors"]
    if crawl["status"] == "failed":
        return errors[0]["error"] if errors else "crawl failed"
    if crawl["status"] == "interrupted":  # its own error comes last
        return errors[-1]["error"] if errors else "crawl interrupted"
    return None


def _exit_for(report: dict) -> None:
    message = _failure(report)
    if message:
        fail(message)


@app.command()
def crawl(
    url: Annotated[str, typer.Argument(help="The article URL (http or https).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print exactly one JSON object on stdout.")] = False,
    browser: Annotated[bool, typer.Option("--browser/--no-browser", help="Render screenshots in Chromium.")] = True,
) -> None:
    """Crawl one article: find every post it embeds or cites and archive them with provenance."""
    _setup_logging()
    report = _crawl_and_report(url, as_json, options={"browser": browser})
    if as_json:
        sys.stdout.write(json.dumps(report, ensure_ascii=False) + "\n")
        sys.stdout.flush()
        message = _failure(report)
        if message:
            err.print(f"error: {message}", highlight=False, soft_wrap=True)  # one line, however long
            raise typer.Exit(1)
        return
    if report["crawl"]["status"] != "interrupted":
        _exit_for(report)  # a failed crawl has nothing to show
    from receipts.report import render_text

    typer.echo(render_text(report))
    _exit_for(report)  # an interrupted one shows what it archived, then exits non-zero


@app.command()
def demo(
    as_json: Annotated[bool, typer.Option("--json", help="Print the crawl report as JSON.")] = False,
    port: Annotated[int, typer.Option(help="Port for the offline demo web (0 = any free port).")] = 0,
    token: Annotated[bool, typer.Option("--token/--no-token", help="Give the fake X API a bearer token, so "
                                        "unlinked quotes are searched (--no-token shows them unresolved).")] = True,
) -> None:
    """Serve the bundled offline demo (a news article + a fake X) on loopback, crawl it, print the report."""
    try:  # the fake web is a development package (fakeweb/), not part of `pip install .`
        from fakeweb import ARTICLE_URL as DEMO_ARTICLE_URL
        from fakeweb import FakeWeb
    except ModuleNotFoundError as exc:
        if exc.name != "fakeweb":
            raise
        fail("the demo needs the development install (run `make setup` in a clone of the repository)")

    _setup_logging()
    web = FakeWeb(port=port).start()
    try:
        mapping = {**web.origin_map(), **get_settings().origin_map}
        os.environ["RECEIPTS_ORIGIN_MAP"] = json.dumps(mapping)
        # the fake X API accepts any bearer; never hand it a real token from the environment
        os.environ.pop("RECEIPTS_X_BEARER_TOKEN", None)
        if token:
            os.environ["RECEIPTS_X_BEARER_TOKEN"] = "demo-token"
        reset_settings()
        if not as_json:
            err.print(f"demo web on {web.base_url}; crawling {DEMO_ARTICLE_URL}", highlight=False)
        report = _crawl_and_report(DEMO_ARTICLE_URL, as_json, options={"demo": True})
    finally:
        web.stop()
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False))
    else:
        from receipts.report import render_text

        typer.echo(render_text(report))
    _exit_for(report)


# -- command groups from other modules (each exposes register(app); imported last: they use `fail`)
from receipts import cli_daemon, cli_evidence, cli_query  # noqa: E402

for _group in (cli_daemon, cli_evidence, cli_query):
    _group.register(app)


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


if __name__ == "__main__":
    main()
