"""The Wayback Machine's CDX index as a candidate source, when the article gives the author's handle.

``/cdx/search/cdx?url=x.com/HANDLE/status/*&output=json`` lists archived status URLs; the IDs
inside a window (snowflake times) become candidates, and each candidate's text is read from the
syndication endpoint (a follow-up call) so it can be scored like any other.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from crawlers.platforms.x.snowflake import snowflake_time
from crawlers.platforms.x.syndication import classify_response, syndication_url
from crawlers.platforms.x.urls import status_id_from_url
from crawlers.search.base import Found, QuoteTarget, SearchAnswer, SearchCall

CDX = "https://web.archive.org/cdx/search/cdx"
MAX_READS = 5  # candidates whose text is fetched, nearest to publication first


class WaybackProvider:
    name = "wayback"

    def unavailable_reason(self, target: QuoteTarget) -> str | None:
        if target.handle:
            return None
        who = f" (the article names only {target.name!r})" if target.name else ""
        return f"the Wayback Machine lookup needs the author's handle{who}"

    def plan(self, target: QuoteTarget) -> list[SearchCall]:
        params = {"url": f"x.com/{target.handle}/status/*", "output": "json", "fl": "original,timestamp",
                  "from": target.start.strftime("%Y%m%d"), "collapse": "urlkey"}
        query = f"x.com/{target.handle}/status/* {target.start:%Y-%m-%d}..{target.end:%Y-%m-%d}"
        return [SearchCall(self.name, f"{CDX}?{urlencode(params)}", query, "search",
                           window=(target.start, target.end))]

    def parse(self, call: SearchCall, status: int, headers: dict[str, str], body: bytes) -> SearchAnswer:
        if call.purpose == "post":
            outcome = classify_response(status, headers, body)
            if outcome.post is None:
                return SearchAnswer(error=f"could not read candidate {call.post_id}: {outcome.reason or outcome.error}")
            post = outcome.post
            return SearchAnswer(found=[Found(post.post_id, post.text, post.author.handle, post.author.name,
                                             post.created_at)])
        if status != 200:
            return SearchAnswer(error=f"Wayback CDX answered HTTP {status}")
        try:
            rows: Any = json.loads(body or b"[]")
        except ValueError:
            return SearchAnswer(error="Wayback CDX answered with a body that is not JSON")
        if not isinstance(rows, list) or not rows:
            return SearchAnswer()
        header = rows[0] if isinstance(rows[0], list) else []
        col = header.index("original") if "original" in header else 0
        start, end = call.window or (None, None)
        ids: dict[str, None] = {}
        for row in rows[1:]:
            if not isinstance(row, list) or len(row) <= col:
                continue
            post_id = status_id_from_url(str(row[col]))
            when = snowflake_time(post_id) if post_id else None
            if post_id and when and (start is None or start <= when) and (end is None or when <= end):
                ids[post_id] = None
        nearest = sorted(ids, key=int, reverse=True)[:MAX_READS]
        follow = [SearchCall(self.name, syndication_url(pid), call.query, "post", {"User-Agent": "Googlebot"}, pid)
                  for pid in nearest]
        return SearchAnswer(found=[Found(pid, created_at=snowflake_time(pid)) for pid in ids if pid not in nearest],
                            follow_ups=follow)
