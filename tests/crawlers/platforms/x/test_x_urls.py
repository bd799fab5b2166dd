"""Regression tests for the fixes made to crawlers/platforms/x/urls.py (ASCII-only IDs)."""

from __future__ import annotations

from crawlers.platforms.x.urls import embed_iframe_id, parse_status_url


def test_status_ids_are_ascii_digits_only() -> None:
    assert parse_status_url("https://x.com/u/status/١٢٣") is None
    assert parse_status_url("https://twitter.com/jack/status/20/photo/1?s=20") == {
        "id": "20", "handle": "jack", "media": "photo", "index": "1",
    }


def test_embed_iframe_id_ascii_only() -> None:
    assert embed_iframe_id("https://platform.twitter.com/embed/Tweet.html?id=²") is None
    assert embed_iframe_id("https://platform.twitter.com/embed/Tweet.html?dnt=false&id=1629262255744503809") == (
        "1629262255744503809"
    )
