"""``receipts query articles|posts|events``.

Reads the database directly (no daemon needed) with the same filters as the API.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from typing import Annotated, Any

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
    none_matched,
    open_archive,
    query_or_fail,
)

query_app = typer.Typer(no_args_is_help=True, help="Search the archive: articles, posts, events.")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print {\"items\": [...], \"next_cursor\": ...} as JSON.")]
CsvOpt = Annotated[bool, typer.Option("--csv", help="Print CSV (one row per item; for articles, per reference).")]
LimitOpt = Annotated[int, typer.Option("--limit", min=1, max=10000, help="At most this many items.")]
CursorOpt = Annotated[str | None, typer.Option("--cursor", help="Continue after a previous --json page.")]


def _page(collection: Any, listing: Any, to_item: Callable, limit: int, cursor: str | None) -> dict[str, Any]:
    """Up to *limit* items of a keyed listing, with the same cursors as the API (its pages cap at 200)."""
    from receipts.api.common import ApiError, paginate_listing

    items: list[dict[str, Any]] = []
    next_cursor = cursor
    try:
        while len(items) < limit:
            page = paginate_listing(collection, listing, to_item, limit=min(200, limit - len(items)), cursor=next_cursor)
            items += page["items"]
            next_cursor = page["next_cursor"]
            if not next_cursor:
                break
    except ApiError as exc:
        fail(exc.message, 2)
    return {"items": items, "next_cursor": next_cursor}


def _emit_csv(rows: Iterator[dict[str, Any]], columns: list[str]) -> None:
    from receipts.exports.csv import iter_csv_rows

    for chunk in iter_csv_rows(rows, columns):
        sys.stdout.write(chunk)


def _flatten(item: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in item.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, f"{name}_"))
        elif isinstance(value, list):
            out[name] = json.dumps(value, ensure_ascii=False) if value else ""
        else:
            out[name] = value
    return out


def _choose(as_json: bool, as_csv: bool) -> None:
    if as_json and as_csv:
        fail("choose one of --json and --csv", 2)


Platform = Annotated[str | None, typer.Option(help="x, bluesky, mastodon, threads, instagram, tiktok, youtube or "
                                                   "facebook (articles: citing a post of it).")]


@query_app.command("articles")
def query_articles(platform: Platform = None, url: Url = None, domain: Domain = None, published_from: PubFrom = None,
                   published_to: PubTo = None, language: Lang = None, cites: Cites = None, text: Text = None,
                   limit: LimitOpt = 50, cursor: CursorOpt = None, as_json: JsonOpt = False,
                   as_csv: CsvOpt = False) -> None:
    """Articles in canonical-URL order (grouped by outlet); newest first within a published date range."""
    from receipts.exports.records import ROW_COLUMNS, article_summary, flat_rows
    from receipts.queries import ArticleFilters, article_listing

    _choose(as_json, as_csv)
    archive = open_archive()
    filters = ArticleFilters(platform=platform, url=url, domain=domain, published_from=published_from, published_to=published_to,
                             language=language, cites=cites, q=text)
    listing = query_or_fail(lambda: article_listing(archive, filters))
    page = _page(archive.articles, listing, lambda d: d, limit, cursor)
    if not page["items"]:
        none_matched("articles")
    if as_csv:
        _emit_csv((row for doc in page["items"] for row in flat_rows(archive, doc)), ROW_COLUMNS)
        return
    items = [article_summary(d) for d in page["items"]]
    if as_json:
        typer.echo(json.dumps({"items": items, "next_cursor": page["next_cursor"]}, ensure_ascii=False))
        return
    for a in items:
        flags = " [cites deleted]" if a["cites_deleted"] else ""
        typer.echo(f"{a['short_id']}  {a['published_at'] or '-':<20}  {a['reference_count']:>3} refs  "
                   f"{a['title'] or a['id']}{flags}\n{'':18}{a['id']}")
    if page["next_cursor"]:
        typer.echo(f"more: --cursor {page['next_cursor']}", err=True)


@query_app.command("posts")
def query_posts(
    platform: Platform = None,
    handle: Annotated[str | None, typer.Option(help="Author handle (case-insensitive): atrupar, jay.bsky.team, "
                                                    "user@mastodon.social.")] = None,
    created_from: Annotated[str | None, typer.Option("--created-from", help="ISO 8601 date/datetime.")] = None,
    created_to: Annotated[str | None, typer.Option("--created-to", help="ISO 8601 date/datetime.")] = None,
    status: Annotated[str | None, typer.Option(help="live, deleted, edited, unavailable or error.")] = None,
    has_media: Annotated[bool | None, typer.Option("--has-media/--no-media", help="With / without photos or videos.")] = None,
    text: Text = None, limit: LimitOpt = 50, cursor: CursorOpt = None, as_json: JsonOpt = False,
    as_csv: CsvOpt = False,
) -> None:
    """Posts, newest created_at first."""
    from receipts.exports.records import post_summary
    from receipts.queries import PostFilters, post_listing

    _choose(as_json, as_csv)
    archive = open_archive()
    filters = PostFilters(platform=platform, handle=handle, created_from=created_from, created_to=created_to,
                          status=status, has_media=has_media, q=text)
    listing = query_or_fail(lambda: post_listing(archive, filters))
    page = _page(archive.posts, listing, post_summary, limit, cursor)
    if not page["items"]:
        none_matched("posts")
    if as_json:
        typer.echo(json.dumps(page, ensure_ascii=False))
        return
    if as_csv:
        rows = [_flatten(p) for p in page["items"]]
        columns = list(dict.fromkeys(k for r in rows for k in r)) or ["id"]
        _emit_csv(iter(rows), columns)
        return
    for p in page["items"]:
        text_line = " ".join((p["text"] or "").split())
        typer.echo(f"{p['id']}  @{p['author']['handle'] or '?'}  {p['created_at'] or '-'}  {p['state']}\n"
                   f"    {text_line[:140]}{'…' if len(text_line) > 140 else ''}")
    if page["next_cursor"]:
        typer.echo(f"more: --cursor {page['next_cursor']}", err=True)


@query_app.command("events")
def query_events(
    type_: Annotated[str | None, typer.Option("--type", help="Event type(s), comma-separated.")] = None,
    since: Annotated[str | None, typer.Option(help="After this event id or ISO 8601 time.")] = None,
    subject: Annotated[str | None, typer.Option("--subject", help="Article URL or post id (x:<id>).")] = None,
    limit: LimitOpt = 50, cursor: CursorOpt = None, as_json: JsonOpt = False, as_csv: CsvOpt = False,
) -> None:
    """Change events (deletions, edits, …), oldest first."""
    from receipts.exports.records import event_json
    from receipts.queries import EVENT_TYPES, event_listing, parse_choice, since_bound

    _choose(as_json, as_csv)
    archive = open_archive()
    types = [t.strip() for t in (type_ or "").split(",") if t.strip()]
    query_or_fail(lambda: {t: parse_choice(t, "type", EVENT_TYPES) for t in types})
    bound = query_or_fail(lambda: since_bound(since.strip()) if since else None)  # type: ignore[arg-type,return-value]
    # the API's listing and cursors: a watcher can page on in either
    listing = event_listing(types, bound, subject.strip() if subject else None)  # type: ignore[arg-type]
    page = _page(archive.events, listing, event_json, limit, cursor)
    if not page["items"]:
        none_matched("events")
    if as_json:
        typer.echo(json.dumps(page, ensure_ascii=False))
        return
    if as_csv:
        rows = [_flatten(e) for e in page["items"]]
        columns = list(dict.fromkeys(["id", "type", "subject_id", "created_at", *(k for r in rows for k in r)]))
        _emit_csv(iter(rows), columns)
        return
    for e in page["items"]:
        typer.echo(f"{e['id']}  {e['created_at']}  {e['type']:<16}  {e['subject_id']}")
    if page["next_cursor"]:
        typer.echo(f"more: --cursor {page['next_cursor']}", err=True)


def register(app: typer.Typer) -> None:
    app.add_typer(query_app, name="query")
