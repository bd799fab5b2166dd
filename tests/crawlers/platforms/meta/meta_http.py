"""Run a platform's plan against the fake web, as the downloader would (RECEIPTS_ORIGIN_MAP)."""

from __future__ import annotations

import httpx

from crawlers.platforms.base import FetchOutcome, FetchPlan
from fakeweb import FakeWeb


def transport(web: FakeWeb, original: str) -> str:
    for origin, base in sorted(web.origin_map().items(), key=lambda kv: -len(kv[0])):
        if original == origin or original.startswith(origin + "/") or original.startswith(origin + "?"):
            return base + original[len(origin) :]
    raise AssertionError(f"no origin for {original}")


def get(web: FakeWeb, client: httpx.Client, plan: FetchPlan) -> httpx.Response:
    return client.get(transport(web, plan.url), headers=plan.headers)


def run(platform, web: FakeWeb, client: httpx.Client, post_id: str, plan: FetchPlan) -> FetchOutcome:  # noqa: ANN001
    response = get(web, client, plan)
    return platform.interpret(plan, post_id, response.status_code, dict(response.headers), response.content)


TOKEN = "123456789|fake-client-token"  # one of fakeweb.meta.TOKENS
