"""X API v2 search: ``/2/tweets/search/recent`` (last 7 days) and ``/2/tweets/search/all`` (full archive).

Needs ``RECEIPTS_X_BEARER_TOKEN``; without it the provider is skipped and says so. Answers:
200 ``{"data": [...], "includes": {"users": [...]}, "meta": {...}}``; 401 (token refused) and 429
(rate limit, ``x-rate-limit-reset`` = epoch seconds) stop the provider for the rest of the crawl,
as does ``x-rate-limit-remaining: 0``; 403 on ``search/all`` means the access level lacks it.
``/2/users/by/username/HANDLE`` checks a handle the article gives.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from crawlers.search.base import Found, QuoteTarget, SearchAnswer, SearchCall
from crawlers.search.queries import build_queries
from receipts.models import utcnow

API_BASE = "https://api.x.com/2"
RECENT_SPAN = timedelta(days=7)
TWEET_FIELDS = "created_at,author_id,lang,edit_history_tweet_ids"
USER_FIELDS = "name,username,verified"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def reset_time(headers: dict[str, str]) -> datetime | None:
    raw = headers.get("x-rate-limit-reset", "").strip()
    return datetime.fromtimestamp(int(raw), UTC) if raw.isdigit() else None


def _problem(payload: Any) -> str:
    if isinstance(payload, dict):
        for key in ("detail", "title"):
            if isinstance(payload.get(key), str):
                return payload[key]
        errors = payload.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            return str(errors[0].get("detail") or errors[0].get("message") or "")
    return ""


class XApiProvider:
    name = "xapi"

    def __init__(self, token: str | None, now: datetime | None = None) -> None:
        self.token = token
        self.now = now

    def unavailable_reason(self, target: QuoteTarget) -> str | None:
        return None if self.token else "RECEIPTS_X_BEARER_TOKEN is not set (X API search skipped)"

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def search_url(self, query: str, start: datetime, end: datetime) -> str:
        """``search/recent`` when the whole window lies in the last 7 days, else ``search/all``."""
        now = self.now or utcnow()
        endpoint = "recent" if start >= now - RECENT_SPAN + timedelta(minutes=1) else "all"
        end = min(end, now - timedelta(seconds=30))  # the API refuses end_time in the future
        params = {"query": query, "max_results": "10", "start_time": _iso(start), "end_time": _iso(end),
                  "tweet.fields": TWEET_FIELDS, "expansions": "author_id", "user.fields": USER_FIELDS}
        return f"{API_BASE}/tweets/search/{endpoint}?{urlencode(params, quote_via=quote)}"

    def user_url(self, handle: str) -> str:
        return f"{API_BASE}/users/by/username/{quote(handle)}?{urlencode({'user.fields': USER_FIELDS})}"

    def plan(self, target: QuoteTarget) -> list[SearchCall]:
        calls: list[SearchCall] = []
        if target.handle:
            calls.append(SearchCall(self.name, self.user_url(target.handle), f"@{target.handle}", "user",
                                    self._headers()))
        for query in build_queries(target.text, target.handle):
            calls.append(SearchCall(self.name, self.search_url(query, target.start, target.end), query, "search",
                                    self._headers()))
        return calls

    def parse(self, call: SearchCall, status: int, headers: dict[str, str], body: bytes) -> SearchAnswer:
        headers = {k.lower(): v for k, v in headers.items()}
        try:
            payload: Any = json.loads(body or b"null")
        except ValueError:
            payload = None
        reset = reset_time(headers)
        until = f"; resets at {_iso(reset)}" if reset else ""
        if status == 401:
            return SearchAnswer(stop="X API answered 401 Unauthorized: RECEIPTS_X_BEARER_TOKEN was refused")
        if status == 429:
            return SearchAnswer(stop=f"X API rate limit reached (HTTP 429){until}; not retried in this crawl")
        if status == 403:
            detail = _problem(payload) or "forbidden"
            return SearchAnswer(stop=f"X API answered 403 ({detail}); search/all needs a higher access level")
        if status != 200 or not isinstance(payload, dict):
            detail = _problem(payload)
            return SearchAnswer(error=f"X API answered HTTP {status}" + (f": {detail}" if detail else ""))
        stop = (f"X API rate limit exhausted (x-rate-limit-remaining: 0){until}"
                if headers.get("x-rate-limit-remaining", "").strip() == "0" else None)
        if call.purpose == "user":
            data = payload.get("data")
            if not isinstance(data, dict):
                return SearchAnswer(error=f"X has no account @{call.query.lstrip('@')}: {_problem(payload)}", stop=stop)
            return SearchAnswer(user=Found("", handle=data.get("username"), name=data.get("name")), stop=stop)
        return SearchAnswer(found=self._found(payload), stop=stop)

    @staticmethod
    def _found(payload: dict[str, Any]) -> list[Found]:
        includes = payload.get("includes") if isinstance(payload.get("includes"), dict) else {}
        users = {u.get("id"): u for u in includes.get("users") or [] if isinstance(u, dict)}
        out: list[Found] = []
        for tweet in payload.get("data") or []:
            if not isinstance(tweet, dict) or not str(tweet.get("id", "")).isdigit():
                continue
            user = users.get(tweet.get("author_id"), {})
            out.append(Found(post_id=str(tweet["id"]), text=tweet.get("text") if isinstance(tweet.get("text"), str) else None,
                             handle=user.get("username"), name=user.get("name"), created_at=_time(tweet.get("created_at"))))
        return out
