"""The postView normaliser on the saved bodies (fakeweb/data/bluesky) and on broken variants of them."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawlers.platforms.bluesky.normalise import (
    PostFormatError,
    facets,
    normalise_post_view,
    quoted_uris,
    view_media,
    visibility_reason,
)
from fakeweb.bluesky import DATA_DIR


def view(name: str) -> dict:
    return json.loads((DATA_DIR / f"post_{name}.json").read_text(encoding="utf-8"))


def test_every_saved_view_normalises() -> None:
    for path in sorted(DATA_DIR.glob("post_*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        post = normalise_post_view(data)
        assert post.post_id == data["uri"] and post.text == data["record"]["text"]
        assert post.created_at is not None and post.raw == data
        for facet in facets(data["record"]):
            assert post.text[facet.start : facet.end] == facet.text


def test_facets_that_do_not_fit_are_skipped() -> None:
    record = {
        "text": "é @a.example",
        "facets": [
            {
                "index": {"byteStart": 1, "byteEnd": 5},
                "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "x"}],
            },
            {
                "index": {"byteStart": 3, "byteEnd": 99},
                "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "x"}],
            },
            {
                "index": {"byteStart": 3, "byteEnd": 13},
                "features": [{"$type": "app.bsky.richtext.facet#mention"}],
            },
            {
                "index": {"byteStart": "3", "byteEnd": 13},
                "features": [{"$type": "app.bsky.richtext.facet#mention", "did": "d"}],
            },
            {
                "index": {"byteStart": 3, "byteEnd": 13},
                "features": [
                    {"$type": "app.bsky.richtext.facet#unknown", "x": 1},
                    {"$type": "app.bsky.richtext.facet#mention", "did": "did:plc:a"},
                ],
            },
        ],
    }
    (facet,) = facets(record)  # byte 1 is inside "é"; 99 is past the end; no did; a string offset
    assert (facet.kind, facet.start, facet.end, facet.text, facet.target) == (
        "mention",
        2,
        12,
        "@a.example",
        "did:plc:a",
    )
    assert facets({"text": 5}) == [] and facets({"text": "x", "facets": "nope"}) == []


def test_broken_views_raise_format_errors() -> None:
    good = view("davidharting_text")
    for breaking in (
        lambda v: v.update(uri="at://davidharting.com/app.bsky.feed.post/3la4vfasktq27"),
        lambda v: v.update(uri="https://bsky.app/"),
        lambda v: v["record"].pop("text"),
        lambda v: v.update(record="text"),
        lambda v: v["author"].update(did="did:plc:ab5inzxnpw4j2zvzlxupr5ut"),
    ):
        broken = copy.deepcopy(good)
        breaking(broken)
        with pytest.raises(PostFormatError):
            normalise_post_view(broken)
    with pytest.raises(PostFormatError):
        normalise_post_view([good])


def test_media_urls_must_be_https_and_quotes_must_be_posts() -> None:
    data = view("deepdishswift_images_mentions")
    data["embed"]["images"][0]["fullsize"] = "javascript:alert(1)"
    (photo,) = view_media(data["embed"])
    assert "/feed_thumbnail/" in photo.source_url and photo.fallback_urls == []
    feed = {
        "$type": "app.bsky.embed.record#view",
        "record": {
            "$type": "app.bsky.feed.defs#generatorView",
            "uri": "at://did:plc:ab5inzxnpw4j2zvzlxupr5ut/app.bsky.feed.generator/x",
        },
    }
    assert quoted_uris(feed) == []
    gone = {
        "$type": "app.bsky.embed.record#view",
        "record": {
            "$type": "app.bsky.embed.record#viewNotFound",
            "uri": "at://did:plc:ab5inzxnpw4j2zvzlxupr5ut/app.bsky.feed.post/3lx",
            "notFound": True,
        },
    }
    assert quoted_uris(gone) == ["at://did:plc:ab5inzxnpw4j2zvzlxupr5ut/app.bsky.feed.post/3lx"]


def test_only_self_labels_opt_out() -> None:
    data = view("danoleary_no_unauthenticated")
    assert "!no-unauthenticated" in (visibility_reason(data) or "")
    data["author"]["labels"][0]["src"] = "did:plc:ar7c4by46qjdydhdevvrndac"  # another labeler's label
    assert visibility_reason(data) is None
    data["labels"] = [{"src": "did:plc:ar7c4by46qjdydhdevvrndac", "val": "!hide"}]
    assert "!hide" in (visibility_reason(data) or "")


@settings(max_examples=150, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
        max_leaves=30,
    )
)
def test_normaliser_is_total(junk: object) -> None:
    base = view("kamhoyung_video")
    for key in ("embed", "record", "author"):
        mutated = copy.deepcopy(base)
        mutated[key] = junk
        try:
            post = normalise_post_view(mutated)
        except PostFormatError:
            continue
        assert post.post_id == base["uri"]


def test_a_new_cid_for_the_same_uri_is_a_new_version(receipts_env) -> None:
    """The archive keeps each record CID it saw: the same URI answering with another CID (the record
    was rewritten) appends a version; the same CID again does not."""
    from receipts.db import get_database
    from receipts.db.archive import Archive

    archive = Archive(get_database())
    first = view("davidharting_text")
    rewritten = copy.deepcopy(first)
    rewritten["cid"] = "bafyreib2rxk3rh6kzwq6z5q3gqxq7y5ja5e3c4g2c5x6qz4l3m2n5o6p7q"
    rewritten["record"]["text"] = first["record"]["text"]  # same text: only the CID says it changed
    for body, capture in ((first, "cap1"), (first, "cap2"), (rewritten, "cap3")):
        archive.save_post(normalise_post_view(body), capture)
    stored = archive.get_post(normalise_post_view(first).id)
    assert [v.get("revision") for v in stored.versions] == [first["cid"], rewritten["cid"]]
    assert [v["capture_id"] for v in stored.versions] == ["cap1", "cap3"]
    assert stored.revision == rewritten["cid"] and stored.edited
