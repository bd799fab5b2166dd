"""Offline fake web: X's endpoints (syndication, oEmbed, t.co, pbs/video, x.com pages, widgets.js, API v2,
Wayback CDX) and a demo news site, on one local HTTP server.

Point ``RECEIPTS_ORIGIN_MAP`` at ``FakeWeb.origin_map()``; every body and header still names the
real-world URLs. Post IDs and what each demo post is for: ``catalog.DEMO_POSTS``.
"""

from fakeweb.catalog import ARTICLE_URL, CATALOG_IDS, DEMO_POSTS, REAL_POST_IDS, DemoPost
from fakeweb.server import FakeWeb
from fakeweb.store import STATES

__all__ = ["ARTICLE_URL", "CATALOG_IDS", "DEMO_POSTS", "REAL_POST_IDS", "STATES", "DemoPost", "FakeWeb"]
