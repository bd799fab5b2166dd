"""Meta's oEmbed endpoints on the Graph API (``graph.facebook.com`` / ``graph.threads.net``).

Every one of them needs an access token (an app token ``APP_ID|CLIENT_TOKEN`` or a user token). The token
travels in ``Authorization: Bearer`` (the Graph API accepts it there as well as in ``access_token=``), so
it never enters a stored URL; the capture middleware redacts the header from the archive. Errors are
Graph error bodies: HTTP 400 ``{"error": {"message", "type": "OAuthException", "code", "error_subcode"?,
"fbtrace_id"}}``; code 190 is a refused token, codes 4/17/32/613 are rate limits, ``is_transient`` marks
Meta's own trouble.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from crawlers.platforms.base import FetchOutcome, FetchPlan
from crawlers.platforms.meta.page import header
from crawlers.platforms.payload import as_dict, as_str

GRAPH_VERSION = "v19.0"
INSTAGRAM_OEMBED = f"https://graph.facebook.com/{GRAPH_VERSION}/instagram_oembed"
FACEBOOK_POST_OEMBED = f"https://graph.facebook.com/{GRAPH_VERSION}/oembed_post"
FACEBOOK_VIDEO_OEMBED = f"https://graph.facebook.com/{GRAPH_VERSION}/oembed_video"
THREADS_OEMBED = "https://graph.threads.net/v1.0/oembed"

TOKEN_CODES = frozenset({102, 104, 190})  # session, missing and refused access tokens
RATE_CODES = frozenset({4, 17, 32, 613})  # application, user, page and custom rate limits


@dataclass(frozen=True)
class GraphError:
    """The ``error`` object of a Graph API error body."""

    message: str
    type: str | None
    code: int | None
    subcode: int | None
    transient: bool

    def describe(self) -> str:
        detail = f"code {self.code}" + (f"/{self.subcode}" if self.subcode else "")
        return f"{self.type or 'Graph error'} ({detail}): {self.message}"


def oembed_plan(endpoint: str, target_url: str, token: str) -> FetchPlan:
    """``GET <endpoint>?url=<target>`` with the token as a bearer header (``omitscript`` keeps the html short)."""
    url = f"{endpoint}?url={quote(target_url, safe='')}&omitscript=true"
    return FetchPlan("oembed", url, {"Accept": "application/json", "Authorization": f"Bearer {token}"})


def read_json(body: bytes) -> Any:
    """The decoded body, or None when it is not JSON."""
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None


def graph_error(body: bytes) -> GraphError | None:
    """The Graph error in *body*, or None when the body is no Graph error."""
    error = as_dict(as_dict(read_json(body)).get("error"))
    message = as_str(error.get("message"))
    if message is None:
        return None
    code, subcode = error.get("code"), error.get("error_subcode")
    return GraphError(
        message=message,
        type=as_str(error.get("type")),
        code=code if isinstance(code, int) and not isinstance(code, bool) else None,
        subcode=subcode if isinstance(subcode, int) and not isinstance(subcode, bool) else None,
        transient=error.get("is_transient") is True,
    )


def oembed_failure(status: int, headers: Mapping[str, str], body: bytes) -> FetchOutcome:
    """A non-200 oEmbed answer. Never ``gone``: the embed page (the next route) gets its say.

    Meta's oEmbed answers the same HTTP 400 for a deleted, private, age-restricted or unembeddable post
    (and for a refused token, code 190); none of it proves a deletion, so every failure is an ``error``
    whose message keeps Meta's words.
    """
    error = graph_error(body)
    if error is not None and error.code in TOKEN_CODES:
        return FetchOutcome(kind="error", error=f"oEmbed refused RECEIPTS_META_TOKEN: {error.describe()}")
    message = f"oEmbed HTTP {status}" + (f": {error.describe()}" if error else "")
    retry = header(headers, "retry-after")
    if retry and (status in (429, 503) or (error is not None and error.code in RATE_CODES)):
        message += f" (Retry-After: {retry.strip()})"
    return FetchOutcome(kind="error", error=message)


def oembed_body(status: int, headers: Mapping[str, str], body: bytes) -> dict[str, Any] | FetchOutcome:
    """The oEmbed JSON object of a 200 answer, or the outcome that ends this route."""
    if status != 200:
        return oembed_failure(status, headers, body)
    data = read_json(body)
    if not isinstance(data, dict) or not isinstance(data.get("html"), str):
        error = graph_error(body)
        return FetchOutcome(
            kind="error", error=f"oEmbed: {error.describe() if error else 'not an oEmbed object'}"
        )
    return data
