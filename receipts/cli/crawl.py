"""Crawl commands: ``crawl`` (one article) and ``demo`` (the bundled offline demo)."""

from __future__ import annotations

import json
import os
import sys
from typing import Annotated

import typer

from receipts.cli.common import err, fail, open_archive, setup_logging
from receipts.settings import get_settings, reset_settings


def _crawl_and_report(url: str, as_json: bool, *, options: dict, quiet_progress: bool = False) -> dict:
    from crawlers.run import run_crawl
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
    report = build_report(open_archive(), crawl_id)
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


def crawl(
    url: Annotated[str, typer.Argument(help="The article URL (http or https).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print exactly one JSON object on stdout.")] = False,
    browser: Annotated[bool, typer.Option("--browser/--no-browser", help="Render screenshots in Chromium.")] = True,
    full: Annotated[bool, typer.Option("--full", help="Re-fetch the article, every post and its media even if "
                                                      "an earlier crawl found them unchanged.")] = False,
) -> None:
    """Crawl one article: find every post it embeds or cites and archive them with provenance."""
    setup_logging()
    options: dict = {"browser": browser, **({"full": True} if full else {})}
    report = _crawl_and_report(url, as_json, options=options)
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


def demo(
    as_json: Annotated[bool, typer.Option("--json", help="Print the crawl report as JSON.")] = False,
    port: Annotated[int, typer.Option(help="Port for the offline demo web (0 = any free port).")] = 0,
    token: Annotated[bool, typer.Option("--token/--no-token", help="Give the fake X API a bearer token, so "
                                        "unlinked quotes are searched (--no-token shows them unresolved).")] = True,
    serve: Annotated[bool, typer.Option("--serve", help="Then run `receipts serve` on this archive (the demo web "
                                        "stays up for new crawls) and print the article's URL; Ctrl-C stops.")] = False,
    serve_port: Annotated[int, typer.Option("--serve-port", help="Port for --serve (0 = any free port).")] = 0,
) -> None:
    """Serve the bundled offline demo (a news article + a fake X) on loopback, crawl it, print the report."""
    try:  # the fake web is a development package (fakeweb/), not part of `pip install .`
        from fakeweb import ARTICLE_URL as DEMO_ARTICLE_URL
        from fakeweb import FakeWeb
    except ModuleNotFoundError as exc:
        if exc.name != "fakeweb":
            raise
        fail("the demo needs the development install (run `make setup` in a clone of the repository)")

    setup_logging()
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
        if as_json:
            typer.echo(json.dumps(report, ensure_ascii=False))
        else:
            from receipts.report import render_text

            typer.echo(render_text(report))
            _demo_sheet(DEMO_ARTICLE_URL)
        if serve and not _failure(report):
            _serve_demo(report, serve_port)
    finally:
        web.stop()
    _exit_for(report)


def _serve_demo(report: dict, port: int) -> None:
    """``receipts serve`` on this archive in a child process; prints where to open the article, waits for Ctrl-C."""
    import signal
    import socket
    import subprocess
    import time

    import httpx

    from receipts.queries import short_id

    if not port:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
    base = f"http://127.0.0.1:{port}"
    child = subprocess.Popen([sys.executable, "-m", "receipts.cli", "serve", "--host", "127.0.0.1", "--port",
                              str(port)], env={**os.environ, "RECEIPTS_API_URL": base})
    signal.signal(signal.SIGTERM, lambda *_: child.send_signal(signal.SIGTERM))  # stop = stop the daemon too
    try:
        deadline = time.monotonic() + 60
        while True:
            if child.poll() is not None:
                fail(f"`receipts serve` exited with {child.returncode}")
            try:
                if httpx.get(base + "/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                fail(f"`receipts serve` did not answer on {base} within 60 s")
            time.sleep(0.2)
        article = (report.get("article") or {}).get("canonical_url") or (report["crawl"].get("article_id") or "")
        typer.echo(f"open {base}/articles/{short_id(article)}" if article else f"open {base}/")
        sys.stdout.flush()
        child.wait()
    except KeyboardInterrupt:  # Ctrl-C reached the daemon too; SIGTERM covers a SIGINT sent to this process only
        child.send_signal(signal.SIGTERM)
    finally:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(60)
            except subprocess.TimeoutExpired:
                child.kill()


def _demo_sheet(url: str) -> None:
    """Write the demo article's evidence sheet into the data dir (PDF when Chromium prints, else HTML); say where."""
    from receipts.exports.pdf import PdfUnavailable, html_to_pdf
    from receipts.exports.sheet import sheet_html

    try:
        html = sheet_html(open_archive(), url)
    except LookupError:
        return
    get_settings().data_dir.mkdir(parents=True, exist_ok=True)
    base = get_settings().data_dir / "demo-evidence-sheet"
    base.with_suffix(".html").write_text(html, encoding="utf-8")
    path = base.with_suffix(".html")
    try:
        base.with_suffix(".pdf").write_bytes(html_to_pdf(html))
        path = base.with_suffix(".pdf")
    except PdfUnavailable:
        pass
    typer.echo(f"evidence sheet: {path}")


def register(app: typer.Typer) -> None:
    app.command()(crawl)
    app.command()(demo)
