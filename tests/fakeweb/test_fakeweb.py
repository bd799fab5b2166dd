"""The offline fake web reproduces the real endpoints' formats (real bodies in fakeweb/data)."""

from __future__ import annotations

import io
import json
import re
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image

from fakeweb import DEMO_POSTS, REAL_POST_IDS, FakeWeb
from fakeweb import catalog as cat
from fakeweb.catalog import DATA_DIR, STATE_POSTS

SYN = "https://cdn.syndication.twimg.com"
BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"


@pytest.fixture(scope="module")
def web() -> Iterator[FakeWeb]:
    server = FakeWeb().start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _fresh(web: FakeWeb) -> None:
    web.reset()


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10, follow_redirects=False) as c:
        yield c


def url(web: FakeWeb, original: str) -> str:
    """Rewrite a real-world URL through the origin map, as RECEIPTS_ORIGIN_MAP does."""
    for origin, base in sorted(web.origin_map().items(), key=lambda kv: -len(kv[0])):
        if original == origin or original.startswith(origin + "/"):
            return base + original[len(origin):]
    raise AssertionError(f"no origin for {original}")


def syn(web: FakeWeb, client: httpx.Client, post_id: str, token: str | None = "abc") -> httpx.Response:
    query = f"?id={post_id}&lang=en" + (f"&token={token}" if token else "")
    return client.get(url(web, f"{SYN}/tweet-result{query}"))


# ------------------------------------------------------------------------------------------ server basics


def test_origin_map_points_every_origin_at_this_server(web: FakeWeb) -> None:
    mapping = web.origin_map()
    assert mapping["https://cdn.syndication.twimg.com"] == f"{web.base_url}/syn"
    assert mapping["https://publish.x.com"] == mapping["https://publish.twitter.com"] == f"{web.base_url}/oembed"
    for origin in ("https://x.com", "https://twitter.com", "https://mobile.twitter.com", "https://www.x.com"):
        assert mapping[origin] == f"{web.base_url}/x"
    assert mapping["https://api.twitter.com"] == f"{web.base_url}/xapi"
    assert mapping["https://newrepublic.com"] == f"{web.base_url}/news"
    assert mapping["https://news.example"] == f"{web.base_url}/site"


def test_every_response_has_realistic_headers_and_is_logged(web: FakeWeb, client: httpx.Client) -> None:
    response = syn(web, client, cat.JOSHI_ID)
    for name in ("date", "content-type", "content-length", "server"):
        assert name in response.headers
    assert int(response.headers["content-length"]) == len(response.content)
    client.post(f"{web.base_url}/_admin/reset")
    (entry,) = [e for e in web.requests_log() if "/syn/" in e["path"]] or [None]
    assert entry is None  # reset cleared the log, admin calls are never logged
    syn(web, client, "1")
    (entry,) = web.requests_log()
    assert entry["method"] == "GET" and entry["path"] == "/syn/tweet-result?id=1&lang=en&token=abc"
    assert entry["status"] == 404 and "user-agent" in entry["headers"]


# ------------------------------------------------------------------------------------------ syndication


@pytest.mark.parametrize("post_id", REAL_POST_IDS)
def test_real_syndication_bodies_are_served_verbatim(web: FakeWeb, client: httpx.Client, post_id: str) -> None:
    (path,) = DATA_DIR.glob(f"tweet_*_{post_id}.json")
    expected = json.loads(path.read_text(encoding="utf-8"))
    response = syn(web, client, post_id)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.json() == expected
    assert list(response.json()) == list(expected)  # key order too


def test_missing_token_answers_empty_object(web: FakeWeb, client: httpx.Client) -> None:
    response = syn(web, client, cat.RUPAR_ID, token=None)
    assert response.status_code == 200 and response.json() == {}


def test_unknown_id_is_404(web: FakeWeb, client: httpx.Client) -> None:
    assert syn(web, client, "1234567890123456789").status_code == 404


def test_deleted_post_answers_the_real_tombstone(web: FakeWeb, client: httpx.Client) -> None:
    web.set_post_state(cat.JOSHI_ID, "deleted")
    body = syn(web, client, cat.JOSHI_ID).json()
    assert body == json.loads((DATA_DIR / "tombstone_deleted.json").read_text(encoding="utf-8"))


def test_state_posts_answer_per_state(web: FakeWeb, client: httpx.Client) -> None:
    def get(state: str) -> httpx.Response:
        return syn(web, client, STATE_POSTS[state])

    suspended = get("suspended").json()["tombstone"]["text"]
    assert suspended["text"] == "This Post is from a suspended account. Learn more"
    assert suspended["text"][suspended["entities"][0]["from_index"]:suspended["entities"][0]["to_index"]] == "Learn more"
    assert get("protected").json()["tombstone"]["text"]["text"] == (
        "You’re unable to view this Post because this account owner limits who can view their Posts. Learn more")
    assert get("age_restricted").json() == {"__typename": "TweetTombstone"}
    assert get("empty").json() == {}
    assert get("error503").status_code == 503
    limited = get("error429")
    assert limited.status_code == 429 and limited.headers["retry-after"] == "1"
    assert get("login_required").status_code == 404
    assert get("browser_only").status_code == 503
    assert [get("flaky503").status_code for _ in range(3)] == [503, 503, 200]


def test_rupar_video_post_has_the_real_video_shape(web: FakeWeb, client: httpx.Client) -> None:
    body = syn(web, client, cat.RUPAR_ID).json()
    assert body["created_at"] == "2025-02-13T22:53:09.000Z"
    assert body["user"]["screen_name"] == "atrupar" and body["user"]["name"] == "Aaron Rupar"
    assert body["text"].endswith("I just reject that at… https://t.co/8KqMe7ohG3")
    (media,) = body["entities"]["media"]
    assert media == {"display_url": "pic.twitter.com/8KqMe7ohG3",
                     "expanded_url": "https://x.com/atrupar/status/1890172385467187200/video/1",
                     "indices": media["indices"], "url": "https://t.co/8KqMe7ohG3"}
    assert body["text"][media["indices"][0]:media["indices"][1]] == "https://t.co/8KqMe7ohG3"
    (detail,) = body["mediaDetails"]
    assert detail["type"] == "video"
    assert re.fullmatch(r"https://pbs\.twimg\.com/amplify_video_thumb/\d+/img/[\w-]+\.jpg", detail["media_url_https"])
    variants = detail["video_info"]["variants"]
    mp4 = [v for v in variants if v["content_type"] == "video/mp4"]
    assert [re.search(r"/(\d+x\d+)/", v["url"])[1] for v in mp4] == ["320x180", "640x360", "1280x720"]
    assert [v["bitrate"] for v in mp4] == sorted(v["bitrate"] for v in mp4)
    assert all(re.fullmatch(r"https://video\.twimg\.com/amplify_video/\d+/vid/avc1/\d+x\d+/[\w-]+\.mp4\?tag=14", v["url"])
               for v in mp4)
    (hls,) = [v for v in variants if v["content_type"] == "application/x-mpegURL"]
    assert "bitrate" not in hls
    assert body["video"]["poster"] == detail["media_url_https"]
    assert body["video"]["videoId"] == {"type": "tweet", "id": cat.RUPAR_ID}


def test_demo_posts_have_consistent_snowflake_times(web: FakeWeb, client: httpx.Client) -> None:
    for post in DEMO_POSTS.values():
        web.set_post_state(post.id, "live")
        body = syn(web, client, post.id).json()
        assert body["id_str"] == post.id
        assert body["created_at"] == cat.created_at_of(post.id)
        assert body["user"]["screen_name"] == post.handle


def test_article_quotes_are_the_posts_texts(web: FakeWeb, client: httpx.Client) -> None:
    article = (DATA_DIR / "article.md").read_text(encoding="utf-8")
    joshi = syn(web, client, cat.JOSHI_ID).json()["text"]
    vietor = syn(web, client, cat.VIETOR_ID).json()
    assert "Hegseth’s lack of experience is already showing" in article and joshi.startswith(
        "Hegseth’s lack of experience is already showing. Publicly makes a series of pre-emptive concessions")
    assert joshi.endswith("had no authority to say any of those things.")
    assert vietor["text"].startswith("This was a huge fuckup by Hegseth. There’s no walking back")
    assert vietor["text"].endswith("Maybe don’t make an unqualified Fox News host @SecDef?")
    (mention,) = vietor["entities"]["user_mentions"]
    assert vietor["text"][mention["indices"][0]:mention["indices"][1]] == "@SecDef"
    assert cat.snowflake_ms(cat.JOSHI_ID) < cat.snowflake_ms(cat.RUPAR_ID)


def test_2026_shapes(web: FakeWeb, client: httpx.Client) -> None:
    assert syn(web, client, cat.TEXT_2026_ID).json()["entities"] == {}
    photo = syn(web, client, cat.PHOTO_SAME_BYTES_ID).json()
    assert list(photo["entities"]) == ["media"]
    assert photo["entities"]["media"][0]["display_url"].startswith("pic.x.com/")


def test_quote_reply_and_gif_posts(web: FakeWeb, client: httpx.Client) -> None:
    quote = syn(web, client, cat.QUOTE_ID).json()
    assert quote["quoted_tweet"]["id_str"] == cat.RUPAR_ID and "__typename" not in quote["quoted_tweet"]
    reply = syn(web, client, cat.REPLY_ID).json()
    assert reply["in_reply_to_status_id_str"] == cat.JOSHI_ID and reply["parent"]["id_str"] == cat.JOSHI_ID
    assert reply["display_text_range"][0] == len("@shashj ")
    (gif,) = syn(web, client, cat.GIF_ID).json()["mediaDetails"]
    assert gif["type"] == "animated_gif"
    assert gif["video_info"]["variants"] == [{"bitrate": 0, "content_type": "video/mp4",
                                              "url": f"https://video.twimg.com/tweet_video/{cat.GIF_KEY}.mp4"}]


def test_edit_changes_text_and_appends_edit_id(web: FakeWeb, client: httpx.Client) -> None:
    web.set_post_state(cat.RUPAR_ID, "live", text="Corrected transcript of the exchange")
    body = syn(web, client, cat.RUPAR_ID).json()
    assert body["text"] == "Corrected transcript of the exchange https://t.co/8KqMe7ohG3"
    ids = body["edit_control"]["edit_tweet_ids"]
    assert ids[0] == cat.RUPAR_ID and len(ids) == 2 and int(ids[1]) > int(ids[0])
    assert body["isEdited"] is True
    start, end = body["entities"]["media"][0]["indices"]
    assert body["text"][start:end] == "https://t.co/8KqMe7ohG3"
    assert syn(web, client, ids[1]).json()["id_str"] == ids[1]


def test_unknown_state_and_unknown_post_are_rejected(web: FakeWeb) -> None:
    with pytest.raises(ValueError):
        web.set_post_state(cat.RUPAR_ID, "sleeping")
    with pytest.raises(KeyError):
        web.set_post_state("42", "deleted")


# ------------------------------------------------------------------------------------------ oEmbed


def test_oembed_twitter_era_matches_the_real_shape(web: FakeWeb, client: httpx.Client) -> None:
    target = f"https://twitter.com/atrupar/status/{cat.RUPAR_ID}"
    response = client.get(url(web, "https://publish.twitter.com/oembed"), params={"url": target})
    real = json.loads((DATA_DIR / "oembed_2024_twitter_dieworkwear_1797170834429313181.json").read_text())
    body = response.json()
    assert response.status_code == 200 and list(body) == list(real)
    assert (body["width"], body["height"], body["type"], body["cache_age"], body["version"]) == (550, None, "rich", "3153600000", "1.0")
    assert body["provider_name"] == "Twitter" and body["url"] == target
    assert "\\u003Cblockquote" in response.text and "https:\\/\\/twitter.com" in response.text
    assert body["html"].startswith('<blockquote class="twitter-tweet"><p lang="en" dir="ltr">REPORTER: ')
    assert ('that at… <a href="https://t.co/8KqMe7ohG3">pic.twitter.com/8KqMe7ohG3</a></p>&mdash; Aaron Rupar (@atrupar) '
            f'<a href="https://twitter.com/atrupar/status/{cat.RUPAR_ID}?ref_src=twsrc%5Etfw">February 13, 2025</a>'
            '</blockquote>\n<script async src="https://platform.twitter.com/widgets.js" charset="utf-8"></script>\n\n'
            ) in body["html"]


def test_oembed_x_era_and_omit_script(web: FakeWeb, client: httpx.Client) -> None:
    target = f"https://x.com/TVietor08/status/{cat.VIETOR_ID}"
    body = client.get(url(web, "https://publish.x.com/oembed"),
                      params={"url": target, "omit_script": "1", "dnt": "true"}).json()
    assert body["provider_name"] == "X" and body["provider_url"] == "https://x.com"
    assert body["html"].startswith('<blockquote class="twitter-tweet" data-width="550" data-dnt="true">')
    assert body["html"].endswith("</blockquote>")
    assert '<a href="https://x.com/SecDef?ref_src=twsrc%5Etfw">@SecDef</a>?' in body["html"]


def test_oembed_errors(web: FakeWeb, client: httpx.Client) -> None:
    endpoint = url(web, "https://publish.twitter.com/oembed")
    missing = client.get(endpoint)
    assert missing.status_code == 400
    assert missing.json() == {"errors": [{"code": 357, "message": "url: queryParam is required"}]}
    protected = client.get(endpoint, params={"url": f"https://twitter.com/x/status/{STATE_POSTS['protected']}"})
    assert protected.status_code == 403
    assert protected.json()["error"] == "Sorry, you are not authorized to see this status."
    deleted = client.get(endpoint, params={"url": f"https://twitter.com/x/status/{STATE_POSTS['deleted']}"})
    assert deleted.status_code == 404 and deleted.headers["content-type"].startswith("text/html")
    assert client.get(endpoint, params={"url": "https://twitter.com/x/status/99"}).status_code == 404


# ------------------------------------------------------------------------------------------ t.co


def test_tco_redirects_by_user_agent(web: FakeWeb, client: httpx.Client) -> None:
    short = url(web, "https://t.co/8KqMe7ohG3")
    target = f"https://x.com/atrupar/status/{cat.RUPAR_ID}/video/1"
    plain = client.get(short, headers={"User-Agent": "curl/8.5.0"})
    assert plain.status_code == 301 and plain.headers["location"] == target
    browser = client.get(short, headers={"User-Agent": BROWSER_UA})
    assert browser.status_code == 200 and "location" not in browser.headers
    assert browser.text == (
        f'<head><meta name="referrer" content="always"><noscript><META http-equiv="refresh" content="0;URL={target}">'
        f'</noscript><title>{target}</title></head><script>window.opener = null; location.replace("'
        + target.replace("/", "\\/") + '")</script>')


def test_tco_chain_article_and_unknown(web: FakeWeb, client: httpx.Client) -> None:
    ua = {"User-Agent": "curl/8"}
    chain = client.get(url(web, f"https://t.co/{cat.EXTRA_TCO_CHAIN}"), headers=ua)
    assert chain.headers["location"] == "https://t.co/8KqMe7ohG3"
    article = client.get(url(web, f"https://t.co/{cat.EXTRA_TCO_ARTICLE}"), headers=ua)
    assert article.headers["location"] == cat.ARTICLE_URL
    assert client.get(url(web, "https://t.co/doesnotexist"), headers=ua).status_code == 404


# ------------------------------------------------------------------------------------------ media


def _image(response: httpx.Response) -> Image.Image:
    return Image.open(io.BytesIO(response.content))


def test_pbs_serves_real_jpegs_sized_by_name(web: FakeWeb, client: httpx.Client) -> None:
    sizes = {}
    for name in ("orig", "4096x4096", "large", "medium", "small", "thumb"):
        response = client.get(url(web, f"https://pbs.twimg.com/media/{cat.PHOTO_KEY}?format=jpg&name={name}"))
        assert response.status_code == 200 and response.headers["content-type"] == "image/jpeg"
        assert response.content[:2] == b"\xff\xd8"
        image = _image(response)
        assert image.format == "JPEG"
        sizes[name] = image.size
    assert sizes["orig"] == sizes["4096x4096"] == (1200, 800)
    assert sizes["large"] == (1024, 683) and sizes["small"] == (680, 453) and sizes["thumb"] == (150, 150)
    legacy = client.get(url(web, f"https://pbs.twimg.com/media/{cat.PHOTO_KEY}.jpg:large"))
    assert _image(legacy).size == (1024, 683)


def test_pbs_bytes_are_deterministic_and_shared_by_the_alias(web: FakeWeb, client: httpx.Client) -> None:
    def get(key: str) -> bytes:
        return client.get(url(web, f"https://pbs.twimg.com/media/{key}?format=jpg&name=orig")).content

    assert get(cat.PHOTO_KEY) == get(cat.PHOTO_KEY) == get(cat.PHOTO_SAME_BYTES_KEY)
    other = client.get(url(web, f"https://pbs.twimg.com/media/{cat.NO_ORIG_KEY}?format=jpg&name=4096x4096")).content
    assert other[:2] == b"\xff\xd8" and other != get(cat.PHOTO_KEY)


def test_pbs_fallback_png_and_unknown(web: FakeWeb, client: httpx.Client) -> None:
    base = "https://pbs.twimg.com/media/"
    assert client.get(url(web, f"{base}{cat.NO_ORIG_KEY}?format=jpg&name=orig")).status_code == 404
    assert client.get(url(web, f"{base}{cat.NO_ORIG_KEY}?format=jpg&name=4096x4096")).status_code == 200
    png = client.get(url(web, f"{base}{cat.PNG_AS_JPEG_KEY}?format=jpg&name=orig"))
    assert png.headers["content-type"] == "image/jpeg" and png.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert client.get(url(web, f"{base}NoSuchKeyAAAAAA?format=jpg&name=orig")).status_code == 404
    assert client.get(url(web, f"{base}{cat.PHOTO_KEY}?format=jpg&name=bogus")).status_code == 404


def test_pbs_avatars_thumbs_and_real_keys(web: FakeWeb, client: httpx.Client) -> None:
    avatar = cat.RUPAR.avatar_url
    assert _image(client.get(url(web, avatar))).size == (48, 48)
    assert _image(client.get(url(web, avatar.replace("_normal", "_400x400")))).size == (400, 400)
    assert _image(client.get(url(web, avatar.replace("_normal", "_bigger")))).size == (73, 73)
    real = client.get(url(web, "https://pbs.twimg.com/media/FsZNOgcWAAEQtrd?format=jpg&name=medium"))
    assert _image(real).size == (1200, 539)  # the real body's "sizes"
    card = client.get(url(web, "https://pbs.twimg.com/card_img/1702940668891377664/wjPofjBa?format=jpg&name=600x314"))
    assert card.status_code == 200 and card.content[:2] == b"\xff\xd8"
    poster = syn(web, client, cat.RUPAR_ID).json()["video"]["poster"]
    assert client.get(url(web, poster)).status_code == 200
    gif_thumb = f"https://pbs.twimg.com/tweet_video_thumb/{cat.GIF_KEY}.jpg"
    assert client.get(url(web, gif_thumb)).status_code == 200


def _boxes(data: bytes) -> list[tuple[bytes, bytes]]:
    out, pos = [], 0
    while pos + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[pos:pos + 8])
        out.append((kind, data[pos + 8:pos + size]))
        pos += size
    return out


def test_video_variants_are_valid_mp4s(web: FakeWeb, client: httpx.Client) -> None:
    variants = syn(web, client, cat.RUPAR_ID).json()["mediaDetails"][0]["video_info"]["variants"]
    sizes = []
    for variant in (v for v in variants if v["content_type"] == "video/mp4"):
        response = client.get(url(web, variant["url"]))
        assert response.status_code == 200 and response.headers["content-type"] == "video/mp4"
        boxes = dict(_boxes(response.content))
        assert list(boxes)[:2] == [b"ftyp", b"moov"] and b"mdat" in boxes
        mvhd = dict(_boxes(boxes[b"moov"]))[b"mvhd"]
        timescale, duration = struct.unpack(">II", mvhd[12:20])
        assert duration / timescale == 44.0
        sizes.append(len(response.content))
    assert sizes == sorted(sizes)


def test_hls_master_media_playlists_and_segments(web: FakeWeb, client: httpx.Client) -> None:
    (variant,) = syn(web, client, cat.HLS_ID).json()["mediaDetails"][0]["video_info"]["variants"]
    assert variant["content_type"] == "application/x-mpegURL"
    master = client.get(url(web, variant["url"]))
    assert master.headers["content-type"] == "application/x-mpegURL"
    assert master.text.startswith("#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-INDEPENDENT-SEGMENTS\n")
    renditions = [line for line in master.text.splitlines() if line.startswith("/")]
    audio = re.findall(r'URI="([^"]+)"', master.text)
    assert len(renditions) == 2 and len(audio) == 2
    for path in renditions + audio:
        playlist = client.get(url(web, "https://video.twimg.com" + path))
        assert playlist.status_code == 200 and "#EXT-X-ENDLIST" in playlist.text
    media = client.get(url(web, "https://video.twimg.com" + renditions[-1])).text
    (init,) = re.findall(r'#EXT-X-MAP:URI="([^"]+)"', media)
    segments = [line for line in media.splitlines() if line.startswith("/")]
    assert len(segments) == 3  # 9 s in 3 s segments
    assert client.get(url(web, "https://video.twimg.com" + init)).content[4:8] == b"ftyp"
    segment = client.get(url(web, "https://video.twimg.com" + segments[0])).content
    assert [kind for kind, _ in _boxes(segment)] == [b"styp", b"moof", b"mdat"]


def test_hls_playlists_follow_the_real_x_playlists(web: FakeWeb, client: httpx.Client) -> None:
    def shape(text: str) -> list[str]:
        return [line.split(":", 1)[0] if line.startswith("#") else re.sub(r"/\d+/", "/ID/", line).rsplit("/", 1)[0]
                for line in text.splitlines() if line]

    real_master = (DATA_DIR / "hls_master_amplify_video_1974992463661289472.m3u8").read_text()
    (variant,) = syn(web, client, cat.HLS_ID).json()["mediaDetails"][0]["video_info"]["variants"]
    master = client.get(url(web, variant["url"])).text
    assert shape(master)[:-1] == shape(real_master)[:-1]  # same tags and URI layout; last rendition size differs
    real_media = (DATA_DIR / "hls_media_amplify_video_1974992463661289472_1920x1080.m3u8").read_text()
    rendition = [line for line in master.splitlines() if line.startswith("/")][-1]
    media = client.get(url(web, "https://video.twimg.com" + rendition)).text
    real_tags = [t for t in shape(real_media) if t.startswith("#")]
    assert [t for t in shape(media) if t.startswith("#") and t in real_tags][: len(real_tags)] == real_tags
    assert re.search(r"/vid/avc1/0/3000/\d+x\d+/[\w-]+\.m4s$", media, re.M)


def test_large_video_and_range_requests(web: FakeWeb, client: httpx.Client) -> None:
    variants = syn(web, client, cat.LARGE_VIDEO_ID).json()["mediaDetails"][0]["video_info"]["variants"]
    (variant,) = [v for v in variants if v["content_type"] == "video/mp4"]
    full = client.get(url(web, variant["url"]))
    assert len(full.content) == cat.LARGE_VIDEO_BYTES
    part = client.get(url(web, variant["url"]), headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.headers["content-range"] == f"bytes 100-199/{cat.LARGE_VIDEO_BYTES}"
    assert part.content == full.content[100:200]
    assert client.get(url(web, "https://video.twimg.com/amplify_video/1/vid/avc1/1x1/x.mp4")).status_code == 404


# ------------------------------------------------------------------------------------------ x.com pages


def test_x_page_for_bots_has_og_tags(web: FakeWeb, client: httpx.Client) -> None:
    page = client.get(url(web, f"https://x.com/atrupar/status/{cat.RUPAR_ID}"),
                      headers={"User-Agent": "WhatsApp/2.2336.9 N"})
    assert page.status_code == 200
    assert '<meta content="Aaron Rupar (@atrupar) on X" property="og:title"/>' in page.text
    assert f'content="twitter://status?id={cat.RUPAR_ID}" property="al:ios:url"' in page.text
    assert re.search(r'content="https://pbs\.twimg\.com/amplify_video_thumb/[^"]+\.jpg:large"\s+property="og:image"', page.text)
    gone = client.get(url(web, f"https://x.com/x/status/{STATE_POSTS['deleted']}"),
                      headers={"User-Agent": "facebookexternalhit/1.1"})
    assert gone.status_code == 404 and "Post Not Found - X | 404 Error" in gone.text


def _state(page: str) -> dict:
    match = re.search(r'<script type="application/json" id="fakeweb-state">(.*?)</script>', page, re.S)
    assert match
    return json.loads(match[1])


def test_x_page_for_browsers_is_a_js_shell(web: FakeWeb, client: httpx.Client) -> None:
    page = client.get(url(web, f"https://x.com/shashj/status/{cat.JOSHI_ID}"), headers={"User-Agent": BROWSER_UA}).text
    assert "<noscript>" in page and "JavaScript is not available." in page
    assert '<div id="react-root"' in page and "data-testid" in page
    state = _state(page)
    assert state["kind"] == "tweet" and state["tweets"][-1]["id"] == cat.JOSHI_ID
    login = client.get(url(web, f"https://x.com/x/status/{STATE_POSTS['login_required']}"), headers={"User-Agent": BROWSER_UA})
    assert _state(login.text)["kind"] == "login" and _state(login.text)["loginTitle"] == "Sign in to X"
    gone = client.get(url(web, f"https://x.com/x/status/{STATE_POSTS['deleted']}"), headers={"User-Agent": BROWSER_UA})
    assert _state(gone.text)["message"] == "Hmm...this page doesn’t exist. Try searching for something else."


@pytest.mark.skipif(shutil.which("chromium") is None, reason="no system chromium")
def test_x_page_renders_real_selectors_in_a_browser(web: FakeWeb) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    mapping = web.origin_map()

    def route(r):  # type: ignore[no-untyped-def]
        for origin, base in mapping.items():
            if r.request.url.startswith(origin + "/"):
                return r.fulfill(response=r.fetch(url=base + r.request.url[len(origin):], max_redirects=0))
        return r.abort()

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"))
        try:
            page = browser.new_page()
            page.route("**/*", route)
            page.goto(f"https://x.com/reactionclips/status/{cat.GIF_ID}")
            page.wait_for_selector('article[data-testid="tweet"]', timeout=30000)
            link = page.locator(f'div[data-testid="User-Name"] a[href="/reactionclips/status/{cat.GIF_ID}"] time')
            assert link.get_attribute("datetime") == cat.created_at_of(cat.GIF_ID)
            text = page.locator('div[data-testid="tweetText"]')
            assert text.get_attribute("lang") == "en"
            assert text.locator("img").get_attribute("alt") == "😬"
            assert page.locator('[data-testid="videoPlayer"] video').get_attribute("poster").startswith("https://pbs.twimg.com/")
            page.goto(cat.ARTICLE_URL)
            frame = page.wait_for_selector("div.twitter-tweet-rendered iframe[data-tweet-id]", timeout=30000)
            assert frame.get_attribute("data-tweet-id") == cat.RUPAR_ID
            assert page.locator("blockquote.twitter-tweet").count() == 0
        finally:
            browser.close()


def test_widgets_js_and_tweet_html(web: FakeWeb, client: httpx.Client) -> None:
    script = client.get(url(web, "https://platform.twitter.com/widgets.js"))
    assert script.status_code == 200 and "twitter-tweet-rendered" in script.text and "data-tweet-id" in script.text
    card = client.get(url(web, f"https://platform.twitter.com/embed/Tweet.html?id={cat.RUPAR_ID}")).text
    assert f'data-tweet-id="{cat.RUPAR_ID}"' in card and "Aaron Rupar" in card


# ------------------------------------------------------------------------------------------ X API and CDX


def test_x_api_needs_a_bearer_token(web: FakeWeb, client: httpx.Client) -> None:
    response = client.get(url(web, "https://api.x.com/2/tweets/search/all"), params={"query": "Hegseth"})
    assert response.status_code == 401
    assert response.json() == {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}
    assert {"x-rate-limit-limit", "x-rate-limit-remaining", "x-rate-limit-reset"} <= set(response.headers)


def test_x_api_search_finds_quoted_phrases(web: FakeWeb, client: httpx.Client) -> None:
    auth = {"Authorization": "Bearer test-token"}
    params = {"query": '"lack of experience is already showing"', "tweet.fields": "author_id,created_at",
              "expansions": "author_id", "start_time": "2025-02-13T00:00:00Z", "end_time": "2025-02-15T00:00:00Z"}
    response = client.get(url(web, "https://api.x.com/2/tweets/search/all"), params=params, headers=auth)
    body = response.json()
    assert [t["id"] for t in body["data"]] == [cat.JOSHI_ID]
    assert set(body["data"][0]) == {"id", "text", "author_id", "created_at", "edit_history_tweet_ids"}
    assert body["includes"]["users"] == [{"id": cat.JOSHI.id_str, "name": "Shashank Joshi", "username": "shashj"}]
    assert body["meta"] == {"newest_id": cat.JOSHI_ID, "oldest_id": cat.JOSHI_ID, "result_count": 1}
    assert int(response.headers["x-rate-limit-remaining"]) < int(response.headers["x-rate-limit-limit"])
    typed = client.get(url(web, "https://api.twitter.com/2/tweets/search/all"), headers=auth,
                       params={"query": "\"There's no walking back\" from:TVietor08"}).json()
    assert [t["id"] for t in typed["data"]] == [cat.VIETOR_ID]
    late = dict(params, start_time="2025-02-14T00:00:00Z")
    none = client.get(url(web, "https://api.x.com/2/tweets/search/all"), params=late, headers=auth).json()
    assert none == {"meta": {"result_count": 0}}


def test_x_api_rate_limit_switch_and_lookups(web: FakeWeb, client: httpx.Client) -> None:
    auth = {"Authorization": "Bearer t"}
    user = client.get(url(web, "https://api.x.com/2/users/by/username/atrupar"), headers=auth).json()
    assert user == {"data": {"id": cat.RUPAR.id_str, "name": "Aaron Rupar", "username": "atrupar"}}
    tweet = client.get(url(web, f"https://api.x.com/2/tweets/{cat.RUPAR_ID}"), headers=auth).json()
    assert tweet["data"]["edit_history_tweet_ids"] == [cat.RUPAR_ID]
    gone = client.get(url(web, f"https://api.x.com/2/tweets/{STATE_POSTS['deleted']}"), headers=auth).json()
    assert gone["errors"][0]["title"] == "Not Found Error"
    client.post(f"{web.base_url}/_admin/rate_limited", json={"on": True})
    limited = client.get(url(web, "https://api.x.com/2/tweets/search/recent"), params={"query": "x"}, headers=auth)
    assert limited.status_code == 429 and limited.headers["x-rate-limit-remaining"] == "0"
    assert "x-rate-limit-reset" in limited.headers


def test_wayback_cdx_lists_status_urls(web: FakeWeb, client: httpx.Client) -> None:
    endpoint = url(web, "https://web.archive.org/cdx/search/cdx")
    rows = client.get(endpoint, params={"url": "x.com/atrupar/status/*", "output": "json"}).json()
    assert rows[0] == ["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"]
    assert [r[2] for r in rows[1:]] == [f"https://x.com/atrupar/status/{cat.RUPAR_ID}"]
    text = client.get(endpoint, params={"url": "twitter.com/atrupar/status/*"}).text
    (line,) = text.splitlines()
    assert line.split(" ")[0] == f"com,twitter)/atrupar/status/{cat.RUPAR_ID}" and len(line.split(" ")) == 7
    assert client.get(endpoint, params={"url": "x.com/nobody/status/*", "output": "json"}).json() == []


# ------------------------------------------------------------------------------------------ news site


def test_article_page_embeds_rupar_and_keeps_quotes_as_prose(web: FakeWeb, client: httpx.Client) -> None:
    page = client.get(url(web, cat.ARTICLE_URL))
    html = page.text
    assert page.status_code == 200 and f'<link rel="canonical" href="{cat.ARTICLE_URL}">' in html
    embed = ('<blockquote class="twitter-tweet"><p lang="en" dir="ltr">REPORTER: You have focused on what Ukraine is '
             "giving up. What concessions will Putin be asked to make?<br><br>HEGSETH: Um. I would start by saying")
    assert embed in html
    assert ('I just reject that at… <a href="https://t.co/8KqMe7ohG3">pic.twitter.com/8KqMe7ohG3</a></p>&mdash; Aaron Rupar '
            '(@atrupar) <a href="https://twitter.com/atrupar/status/1890172385467187200?ref_src=twsrc%5Etfw">February 13, '
            '2025</a></blockquote> <script async src="https://platform.twitter.com/widgets.js" charset="utf-8"></script>'
            ) in html
    assert html.count("twitter-tweet") == 1
    assert "<p>“Hegseth’s lack of experience is already showing,” posted The Economist’s defense editor" in html
    assert "Maybe don’t make an unqualified Fox News host @SecDef?”</p>" in html
    (ld,) = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    data = json.loads(ld)
    assert data["@type"] == "NewsArticle" and data["datePublished"].startswith("2025-02-14")
    assert "https://twitter.com/intent/tweet?" in html and "https://twitter.com/newrepublic" in html


def test_news_feed_sitemap_and_conditional_get(web: FakeWeb, client: httpx.Client) -> None:
    feed = client.get(url(web, "https://newrepublic.com/feed/rss"))
    item = ET.fromstring(feed.content).find("channel/item")
    assert item is not None and item.findtext("link") == cat.ARTICLE_URL
    sitemap = ET.fromstring(client.get(url(web, "https://newrepublic.com/sitemap-news.xml")).content)
    assert [e.text for e in sitemap.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")] == [cat.ARTICLE_URL]
    assert "/post/191502/" in client.get(url(web, "https://newrepublic.com/politics")).text
    etag, modified = feed.headers["etag"], feed.headers["last-modified"]
    again = client.get(url(web, "https://newrepublic.com/feed/rss"), headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    since = client.get(url(web, "https://newrepublic.com/feed/rss"), headers={"If-Modified-Since": modified})
    assert since.status_code == 304
    changed = client.get(url(web, "https://newrepublic.com/feed/rss"), headers={"If-None-Match": '"other"'})
    assert changed.status_code == 200


def test_added_pages_and_admin_over_http(web: FakeWeb, client: httpx.Client) -> None:
    original = web.add_page("/story.html", "<html><body>story</body></html>")
    assert original == "https://news.example/story.html"
    first = client.get(url(web, original))
    assert first.text == "<html><body>story</body></html>"
    assert client.get(url(web, original), headers={"If-None-Match": first.headers["etag"]}).status_code == 304
    made = client.post(f"{web.base_url}/_admin/pages", json={"path": "/gone", "body": "no", "status": 410,
                                                              "headers": {"X-Test": "1"}}).json()
    assert made["url"] == "https://news.example/gone"
    gone = client.get(url(web, made["url"]))
    assert gone.status_code == 410 and gone.headers["x-test"] == "1"
    assert client.post(f"{web.base_url}/_admin/posts/{cat.JOSHI_ID}", json={"state": "deleted"}).status_code == 200
    assert syn(web, client, cat.JOSHI_ID).json()["__typename"] == "TweetTombstone"
    log = client.get(f"{web.base_url}/_admin/log").json()
    assert [e["status"] for e in log] == [200, 304, 410, 200]
    client.post(f"{web.base_url}/_admin/reset")
    assert syn(web, client, cat.JOSHI_ID).json()["__typename"] == "Tweet"
    assert client.get(url(web, original)).status_code == 404


def test_bodies_and_headers_never_name_the_loopback_address(web: FakeWeb, client: httpx.Client) -> None:
    host = web.base_url.removeprefix("http://")
    originals = [
        f"{SYN}/tweet-result?id={cat.RUPAR_ID}&token=a",
        f"https://publish.twitter.com/oembed?url=https://twitter.com/atrupar/status/{cat.RUPAR_ID}",
        f"https://x.com/atrupar/status/{cat.RUPAR_ID}",
        cat.ARTICLE_URL, "https://newrepublic.com/feed/rss", "https://t.co/8KqMe7ohG3",
        "https://platform.twitter.com/widgets.js",
        "https://web.archive.org/cdx/search/cdx?url=x.com/atrupar/status/*&output=json",
    ]
    for original in originals:
        for ua in ("curl/8", BROWSER_UA, "Twitterbot/1.0"):
            response = client.get(url(web, original), headers={"User-Agent": ua})
            assert host not in response.text and "127.0.0.1" not in response.text, original
            assert all(host not in value for value in response.headers.values()), original


def test_module_entry_point_prints_the_origin_map(tmp_path: Path) -> None:
    process = subprocess.Popen([sys.executable, "-m", "fakeweb", "--port", "0"], stdout=subprocess.PIPE,
                               text=True, cwd=tmp_path)  # the dev install makes it importable from anywhere
    try:
        assert process.stdout is not None
        mapping = json.loads(process.stdout.readline())
        base = mapping["https://cdn.syndication.twimg.com"]
        assert httpx.get(f"{base}/tweet-result?id={cat.RUPAR_ID}&token=x", timeout=10).json()["id_str"] == cat.RUPAR_ID
    finally:
        process.terminate()
        process.wait(timeout=10)
