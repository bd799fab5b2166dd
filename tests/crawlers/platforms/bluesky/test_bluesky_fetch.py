"""Bluesky routes → real HTTP to the fake web → interpret(): every outcome the platform can reach."""

from __future__ import annotations

import io
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime

import lxml.html
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from crawlers.platforms.base import FetchOutcome, FetchPlan
from crawlers.platforms.bluesky import PLATFORM
from crawlers.platforms.bluesky.normalise import facets
from crawlers.platforms.x.media import parse_hls_master, parse_hls_media
from receipts.media_store import sniff_content_type
from receipts.origin import route

KOELN = "at://did:plc:k7n4tq2zv5xw3yb6mrd2ahcs/app.bsky.feed.post/3lkoelnbrue2x"
DEEPDISH = "at://did:plc:6y3jllixhqf3vjupdvzdtxsf/app.bsky.feed.post/3lhmdqmtrj22m"
LAUNCHED = "at://did:plc:grjqrmpcr7bcrwxmll7weidf/app.bsky.feed.post/3lhmjfkl44s2y"
KONSTANTIN = "at://did:plc:64fyz6rpsagabcfqzdxykwgg/app.bsky.feed.post/3lhnv26fdxc2v"
BPAVUK = "at://did:plc:ab5inzxnpw4j2zvzlxupr5ut/app.bsky.feed.post/3lhnuqw5cms2h"
DANA = "at://did:plc:g2nrqauct55qb6tcpepoo3dr/app.bsky.feed.post/3lhnqkp3a5c2h"
VIDEO = "at://did:plc:l7mosai5i2u562b5qbosw6c7/app.bsky.feed.post/3lhnr2o6kb22h"
EXTERNAL = "at://did:plc:a2xro4bckdu24pdxtevo7mmr/app.bsky.feed.post/3lhlr5a4shz2u"
OPTED_OUT = "at://did:plc:z7ja7uhcr5is6uqmnsjyn3k7/app.bsky.feed.post/3lhmggpkbw22v"
HARTING = "at://did:plc:pqeikn4fnyts5seuh5bazj7b/app.bsky.feed.post/3la4vfasktq27"
DELETED = "at://did:plc:pqeikn4fnyts5seuh5bazj7b/app.bsky.feed.post/3lgonepost22a"
BLOCKED = "at://did:plc:qbxw5vnj3kzt7ha2mdrfyc4e/app.bsky.feed.post/3lblockedxx2a"


def get(web, url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """GET the real-world *url* on the fake web (real HTTP), errors included."""
    request = urllib.request.Request(route(url, web.origin_map()), headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def outcomes(web, post_id: str) -> Iterator[tuple[FetchPlan, FetchOutcome]]:
    for plan in PLATFORM.routes(post_id):
        status, headers, body = get(web, plan.url, plan.headers)
        yield plan, PLATFORM.interpret(plan, post_id, status, headers, body)


def first(web, post_id: str) -> FetchOutcome:
    plan, outcome = next(outcomes(web, post_id))
    assert plan.route == ("appview" if post_id.startswith("at://did:") else "resolve_handle")
    return outcome


def read(web, post_id: str) -> FetchOutcome:
    outcome = first(web, post_id)
    assert outcome.kind == "post" and outcome.post is not None, outcome
    return outcome


@pytest.fixture
def live(fakeweb) -> Iterator:
    """The fake web, with every post this test changes put back to live."""
    changed: list[str] = []
    original = fakeweb.set_bluesky_state

    def setter(uri: str, state: str) -> None:
        original(uri, state)
        changed.append(uri)

    fakeweb.set_bluesky_state = setter
    try:
        yield fakeweb
    finally:
        fakeweb.set_bluesky_state = original
        for uri in changed:
            original(uri, "live")


# ---------------------------------------------------------------------------------------- routes


def test_routes() -> None:
    appview, oembed = PLATFORM.routes(HARTING)
    assert (appview.route, oembed.route) == ("appview", "oembed")
    assert appview.url == (
        "https://public.api.bsky.app/xrpc/app.bsky.feed.getPostThread?uri=at%3A%2F%2Fdid%3Aplc%3Apqeikn4fnyts5seuh5bazj7b"
        "%2Fapp.bsky.feed.post%2F3la4vfasktq27&depth=0&parentHeight=0"
    )
    assert oembed.url.startswith("https://embed.bsky.app/oembed?url=at%3A%2F%2Fdid%3Aplc%3A")
    resolve, by_handle = PLATFORM.routes("at://davidharting.com/app.bsky.feed.post/3la4vfasktq27")
    assert (
        resolve.url
        == "https://public.api.bsky.app/xrpc/com.atproto.identity.resolveHandle?handle=davidharting.com"
    )
    assert by_handle.route == "appview" and "davidharting.com" in by_handle.url
    assert PLATFORM.routes("not an id") == []


# ---------------------------------------------------------------------------------------- live posts


def test_text_post_facets_are_utf8_byte_offsets(fakeweb) -> None:
    outcome = read(fakeweb, KOELN)
    post = outcome.post
    assert post is not None
    assert (post.id, post.platform, post.post_id, post.route, post.status) == (
        f"bluesky:{KOELN}",
        "bluesky",
        KOELN,
        "appview",
        "live",
    )
    assert post.url == "https://bsky.app/profile/did:plc:k7n4tq2zv5xw3yb6mrd2ahcs/post/3lkoelnbrue2x"
    assert post.text and post.text.startswith("Grüße aus Köln 👋 Neuer Bericht")
    assert post.lang == "de"
    assert post.created_at == datetime(2025, 3, 14, 8, 15, 42, 123000, tzinfo=UTC)
    assert (post.author.id, post.author.handle, post.author.name) == (
        "did:plc:k7n4tq2zv5xw3yb6mrd2ahcs",
        "koelner-notizen.bsky.social",
        "Kölner Notizen",
    )
    assert post.metrics == {"like_count": 17, "repost_count": 3, "reply_count": 2, "quote_count": 1}
    assert post.reply_to_post_id == DEEPDISH and outcome.related_post_ids == []
    record = post.raw["thread"]["post"]["record"]  # type: ignore[index]
    decoded = facets(record)
    assert [(f.kind, f.text, f.target) for f in decoded] == [
        ("mention", "@reporter.example.com", "did:plc:aglxlci7cqa7x5wqt2d2w2ai"),
        (
            "link",
            "zeitung.example/koeln/bruecke-sanie...",
            "https://zeitung.example/koeln/bruecke-sanierung-2025?utm_source=bsky",
        ),
        ("tag", "#Köln", "Köln"),
    ]
    byte_starts = sorted(f["index"]["byteStart"] for f in record["facets"])
    for facet, byte_start in zip(decoded, byte_starts, strict=True):
        assert post.text[facet.start : facet.end] == facet.text
        assert facet.start < byte_start  # the umlauts and the emoji before it take more than one byte
    assert [m.type for m in post.media] == ["avatar"]


def test_images_post_best_quality_and_real_mention_offsets(fakeweb) -> None:
    post = read(fakeweb, DEEPDISH).post
    assert post is not None
    photo, avatar = post.media
    assert (
        photo.type == "photo"
        and "/img/feed_fullsize/plain/did:plc:6y3jllixhqf3vjupdvzdtxsf/" in photo.source_url
    )
    assert photo.fallback_urls == [photo.source_url.replace("feed_fullsize", "feed_thumbnail")]
    assert (photo.width, photo.height, photo.alt_text) == (1089, 676, None)
    assert photo.media_key == "bafkreifl2ekavq2diky6z5cwtkadnrkslx7lzequr2t2fkgeoxe5syzwom"
    assert avatar.type == "avatar"
    record = post.raw["thread"]["post"]["record"]  # type: ignore[index]
    assert [f.text for f in facets(record)] == [
        "@charliemchapman.com",
        "@ryanashcraft.com",
        "@teamneem.bsky.social",
        "@edwardsanchez.bsky.social",
        "@launchedfm.com",
    ]
    sizes = []
    for url in (photo.source_url, *photo.fallback_urls, avatar.source_url):
        status, headers, body = get(fakeweb, url)
        assert (
            status == 200
            and headers["Content-Type"] == "image/jpeg"
            and sniff_content_type(body) == "image/jpeg"
        )
        sizes.append(Image.open(io.BytesIO(body)).size)
    assert sizes[0] == (1089, 676) and sizes[1][0] < sizes[0][0]  # fullsize is the larger copy
    assert get(fakeweb, photo.source_url.replace("bafkreifl2", "bafkreizz2"))[0] == 404


def test_video_post_hls_playlist_poster_and_segments(fakeweb) -> None:
    post = read(fakeweb, VIDEO).post
    assert post is not None
    video = post.media[0]
    assert video.type == "video" and video.source_url.endswith("/playlist.m3u8")
    assert "mpegurl" in (video.content_type or "").lower()
    assert video.poster_url and video.poster_url.endswith("/thumbnail.jpg")
    assert (video.width, video.height, video.media_key) == (
        1920,
        1920,
        "bafkreic3uqlah5pnqzq4tx2r5cg6kyj2uziq4jn4uatuwdhvl33sx2qkgm",
    )
    record = post.raw["thread"]["post"]["record"]  # type: ignore[index]
    assert [f.text for f in facets(record)] == ["#swiftUI", "#iOS", "#beginner", "#code", "#keeplearning"]
    status, _, master = get(fakeweb, video.source_url)
    assert status == 200 and sniff_content_type(master) is not None
    best = parse_hls_master(master.decode(), base_url=video.source_url)["video"]
    assert (best["width"], best["height"]) == (720, 720) and best["url"].endswith("/720p/video.m3u8")
    status, _, media_playlist = get(fakeweb, best["url"])
    segments = parse_hls_media(media_playlist.decode(), base_url=best["url"])
    assert status == 200 and len(segments) == 2
    for url in segments:
        status, _, body = get(fakeweb, url)
        assert status == 200 and sniff_content_type(body) == "video/mp2t"
    status, headers, poster = get(fakeweb, video.poster_url)
    assert status == 200 and sniff_content_type(poster) == "image/jpeg"


def test_quote_with_media_names_the_quoted_post_and_chains(fakeweb) -> None:
    outcome = read(fakeweb, KONSTANTIN)
    post = outcome.post
    assert post is not None and post.text == ""
    assert outcome.related_post_ids == [BPAVUK] and post.quoted_post_id == BPAVUK
    assert [m.type for m in post.media] == ["photo", "avatar"]
    assert (
        "did:plc:64fyz6rpsagabcfqzdxykwgg" in post.media[0].source_url
    )  # its own image, not the quoted post's
    assert (
        post.media[0].alt_text
        == "Bluesky Alt Text Rating\nHow consistently do you use alt text?\nMy score is 93%"
    )
    quoted = read(fakeweb, outcome.related_post_ids[0])
    assert quoted.related_post_ids == [DANA]
    assert quoted.post is not None and [m.type for m in quoted.post.media] == ["photo", "photo", "avatar"]
    (link,) = facets(quoted.post.raw["thread"]["post"]["record"])  # type: ignore[index]
    assert (link.kind, link.text, link.target) == (
        "link",
        "dame.is/ratingalttext",
        "https://dame.is/ratingalttext",
    )


def test_record_quote_and_external_card(fakeweb) -> None:
    quote = read(fakeweb, LAUNCHED)
    assert quote.related_post_ids == [DEEPDISH] and quote.post is not None
    assert [m.type for m in quote.post.media] == [
        "avatar"
    ]  # the quoted post's image belongs to the quoted post
    card_post = read(fakeweb, EXTERNAL).post
    assert card_post is not None and card_post.card is not None
    assert card_post.card["url"] == (
        "https://www.createwithswift.com/designing-for-application-states-creating-seamless-user-experiences/"
    )
    assert card_post.card["title"] == "Designing for Application States: Creating Seamless User Experiences"
    assert [m.type for m in card_post.media] == ["card_image", "avatar"]
    status, _, body = get(fakeweb, card_post.media[0].source_url)
    assert status == 200 and sniff_content_type(body) == "image/jpeg"


def test_oembed_fallback_gives_text_author_and_time(fakeweb) -> None:
    _, (plan, outcome) = outcomes(fakeweb, HARTING)
    assert plan.route == "oembed" and outcome.kind == "post" and outcome.post is not None
    post = outcome.post
    assert (post.route, post.post_id, post.text) == (
        "oembed",
        HARTING,
        "I like to think that Yoshi gets the zoomies",
    )
    assert (post.author.id, post.author.handle, post.author.name) == (
        "did:plc:pqeikn4fnyts5seuh5bazj7b",
        "davidharting.com",
        "David Harting",
    )
    assert post.created_at == datetime(2024, 11, 4, 14, 9, 15, 412000, tzinfo=UTC)
    assert post.status_reason and "oEmbed" in post.status_reason and post.media == []


# ---------------------------------------------------------------------------------------- handles


def test_handle_resolves_then_reads_by_did(fakeweb) -> None:
    ref = PLATFORM.parse_url(
        "https://bsky.app/profile/KamHoyung.bsky.social/post/3lhnr2o6kb22h?ref_src=embed"
    )
    assert ref is not None and ref.handle == "kamhoyung.bsky.social"
    moves = [outcome for _, outcome in outcomes(fakeweb, ref.post_id)]
    assert [(o.kind, o.moved_to) for o in moves] == [("moved", VIDEO), ("moved", VIDEO)]
    assert read(fakeweb, VIDEO).post is not None


def test_unresolvable_handle_is_unavailable_never_deleted(fakeweb) -> None:
    post_id = "at://gone-away.bsky.social/app.bsky.feed.post/3lhnr2o6kb22h"
    (_, resolved), (_, by_handle) = outcomes(fakeweb, post_id)
    assert (resolved.kind, resolved.status) == ("gone", "unavailable")
    assert (
        resolved.reason
        and "gone-away.bsky.social" in resolved.reason
        and "Unable to resolve handle" in resolved.reason
    )
    assert (
        by_handle.kind == "error"
    )  # the AppView says NotFound for the unknown handle: not proof of deletion


# ---------------------------------------------------------------------------------------- gone


def test_deleted_post(fakeweb) -> None:
    (_, appview), (_, oembed) = outcomes(fakeweb, DELETED)
    assert (appview.kind, appview.status) == ("gone", "deleted")
    assert appview.reason == f"Post not found: {DELETED}"
    assert oembed.kind == "error"  # the embed service's 404 also covers AppView failures


def test_post_deleted_at_runtime_and_the_spa_shell(live) -> None:
    assert read(live, HARTING).post is not None
    page = "https://bsky.app/profile/davidharting.com/post/3la4vfasktq27"
    status, _, before = get(live, page)
    assert (
        status == 200 and b'og:description" content="I like to think that Yoshi gets the zoomies"' in before
    )
    live.set_bluesky_state(HARTING, "deleted")
    outcome = first(live, HARTING)
    assert (outcome.kind, outcome.status) == ("gone", "deleted")
    status, _, after = get(live, page)
    assert status == 200 and b"og:description" not in after and b'<div id="root">' in after
    with pytest.raises(ValueError):
        live.set_bluesky_state(HARTING, "vanished")
    with pytest.raises(ValueError):
        live.set_bluesky_state("at://davidharting.com/app.bsky.feed.post/3la4vfasktq27", "deleted")


def test_blocked_post(fakeweb) -> None:
    (_, appview), (_, oembed) = outcomes(fakeweb, BLOCKED)
    assert (appview.kind, appview.status) == ("gone", "unavailable") and "blockedPost" in (
        appview.reason or ""
    )
    assert (oembed.kind, oembed.status) == ("gone", "unavailable")


def test_author_opted_out_of_logged_out_viewers(fakeweb) -> None:
    (_, appview), (_, oembed) = outcomes(fakeweb, OPTED_OUT)
    assert (appview.kind, appview.status, appview.post) == ("gone", "unavailable", None)
    assert "!no-unauthenticated" in (appview.reason or "")
    assert (oembed.kind, oembed.status, oembed.reason) == (
        "gone",
        "unavailable",
        "post is not publicly accessible",
    )


# ---------------------------------------------------------------------------------------- errors


@pytest.mark.parametrize("rkey", ["fakeweb-500", "fakeweb-429", "fakeweb-garbage", "fakeweb-shape"])
def test_failures_are_errors(fakeweb, rkey: str) -> None:
    post_id = f"at://did:plc:pqeikn4fnyts5seuh5bazj7b/app.bsky.feed.post/{rkey}"
    results = list(outcomes(fakeweb, post_id))
    assert [o.kind for _, o in results] == ["error", "error"]
    assert all(o.status is None and o.post is None for _, o in results)


@pytest.mark.parametrize("state", ["error500", "error429"])
def test_failing_appview_for_a_live_post(live, state: str) -> None:
    live.set_bluesky_state(DEEPDISH, state)
    plan, outcome = next(outcomes(live, DEEPDISH))
    assert outcome.kind == "error" and (
        "HTTP 500" in (outcome.error or "") or "HTTP 429" in (outcome.error or "")
    )


def test_answer_for_another_post_or_route_is_an_error(fakeweb) -> None:
    plan = PLATFORM.routes(HARTING)[0]
    status, headers, body = get(fakeweb, plan.url, plan.headers)
    assert PLATFORM.interpret(plan, DEEPDISH, status, headers, body).kind == "error"
    assert (
        PLATFORM.interpret(FetchPlan("browser", "https://bsky.app/"), HARTING, 200, {}, body).kind == "error"
    )
    assert PLATFORM.interpret(plan, "3la4vfasktq27", status, headers, body).kind == "error"


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["appview", "oembed", "resolve_handle"]),
    st.integers(100, 599),
    st.binary(max_size=200)
    | st.sampled_from(
        [
            b"{}",
            b"[]",
            b'{"thread":null}',
            b'{"thread":{"$type":1}}',
            b'{"error":"NotFound"}',
            b'{"did":"nope"}',
            b'{"html":"<p>"}',
        ]
    ),
)
def test_interpret_never_raises_and_only_answers_that_say_so_are_gone(
    route_name: str, status: int, body: bytes
) -> None:
    post_id = (
        HARTING
        if route_name != "resolve_handle"
        else "at://davidharting.com/app.bsky.feed.post/3la4vfasktq27"
    )
    outcome = PLATFORM.interpret(FetchPlan(route_name, "https://x.invalid/"), post_id, status, {}, body)
    if status >= 500 or status == 429 or status not in (200, 400, 403):
        assert outcome.kind == "error"
    if outcome.kind == "gone":
        assert outcome.status in ("deleted", "unavailable") and outcome.reason


# ---------------------------------------------------------------------------------------- browser page


def test_browser_page_is_the_embed_frame(live) -> None:
    page = PLATFORM.browser_page(HARTING)
    assert page is not None
    assert (
        page.url
        == "https://embed.bsky.app/embed/did:plc:pqeikn4fnyts5seuh5bazj7b/app.bsky.feed.post/3la4vfasktq27"
    )
    status, _, body = get(live, page.url)
    doc = lxml.html.document_fromstring(body)
    assert status == 200 and doc.cssselect(page.ready_selector) and doc.cssselect(page.screenshot_selector)
    assert (
        "I like to think that Yoshi gets the zoomies"
        in doc.cssselect(page.screenshot_selector)[0].text_content()
    )
    live.set_bluesky_state(HARTING, "deleted")
    status, _, body = get(live, page.url)
    doc = lxml.html.document_fromstring(body)
    assert status == 200 and not doc.cssselect(page.ready_selector)
    assert any(text in doc.text_content() for text in page.missing_texts)
    status, _, body = get(live, PLATFORM.browser_page(OPTED_OUT).url)  # type: ignore[union-attr]
    assert any(text in body.decode() for text in page.login_texts)
    by_handle = PLATFORM.browser_page("at://davidharting.com/app.bsky.feed.post/3la4vfasktq27")
    assert by_handle is not None and by_handle.url.startswith(
        "https://bsky.app/profile/davidharting.com/post/"
    )
    assert PLATFORM.browser_page("nope") is None
