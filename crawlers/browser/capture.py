"""Screenshot helpers: render requests, a post on its platform's page, the embeds of an article.

Every capture gets its own browser context (a unique ``playwright_context`` name, closed by the
callback or errback), so cookies or storage of one page never leak into the next. All waits are
bounded: navigation (``PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT``), each selector wait, and an overall
``asyncio`` timeout around the work done on the page.
"""

from __future__ import annotations

import asyncio
import json
import logging
import struct
from dataclasses import dataclass
from typing import Any

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page

from crawlers.browser.routing import OriginRouter
from crawlers.platforms.base import BrowserPage, EmbedRender, PageOutcome
from receipts.ids import new_id

log = logging.getLogger(__name__)

VIEWPORT = {"width": 1200, "height": 1000}
EMBED_SETTLE_S = 0.3  # let a freshly rendered iframe paint before the shot
IMAGE_WAIT_S = 5.0
_IMAGES_DONE_JS = "sel => Array.from(document.querySelectorAll(sel + ' img')).every(img => img.complete)"


@dataclass
class Shot:
    """One element screenshot."""

    png: bytes
    dom_text: str
    url: str
    post_id: str | None = None
    element: str = "article"  # "article", "iframe", "blockquote"
    platform: str | None = None


def png_size(png: bytes) -> tuple[int, int] | None:
    """(width, height) from the PNG header, None when *png* is not a PNG."""
    if len(png) < 24 or png[:8] != b"\x89PNG\r\n\x1a\n" or png[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", png[16:24])


def render_meta(router: OriginRouter, timeout: float, **meta: Any) -> dict[str, Any]:
    """Request meta for one browser capture in a fresh, named context."""
    return {
        "playwright": True,
        "playwright_include_page": True,
        "playwright_context": new_id("ctx"),
        "playwright_context_kwargs": {"viewport": dict(VIEWPORT), "device_scale_factor": 1, "locale": "en-US",
                                      "timezone_id": "UTC", "service_workers": "block"},
        "playwright_page_init_callback": router,
        "playwright_page_goto_kwargs": {"wait_until": "load", "timeout": timeout * 1000},
        "dont_retry": True,  # a render is slow; its errors go to the errback, which decides
        "browser": True,
        **meta,
    }


async def close_page(page: Page | None) -> None:
    """Close the capture's context (and so its page); never raises."""
    if page is None:
        return
    try:
        await page.context.close()
    except PlaywrightError:
        pass
    except Exception:  # a closed driver during shutdown: nothing left to release
        log.debug("closing a browser context failed", exc_info=True)


async def _shot(page: Page, selector: str, timeout: float) -> bytes:
    locator = page.locator(selector).first
    await locator.scroll_into_view_if_needed(timeout=timeout * 1000)
    return await locator.screenshot(type="png", animations="disabled", timeout=timeout * 1000)


def settled_script(view: BrowserPage) -> str:
    """A JS expression, truthy once *view*'s page shows the post, a "missing" text or a login text."""
    if view.state_script:
        return view.state_script
    texts = {"missing": [t.lower() for t in view.missing_texts], "login": [t.lower() for t in view.login_texts]}
    return (
        "(() => {"
        f"  if (document.querySelector({json.dumps(view.ready_selector)})) return 'post';"
        "  const text = (document.body && document.body.innerText || '').toLowerCase();"
        f"  const texts = {json.dumps(texts)};"
        "  for (const kind of ['missing', 'login']) if (texts[kind].some((t) => text.includes(t))) return kind;"
        "  return null;"
        "})()"
    )


async def classify_page(page: Page, view: BrowserPage) -> PageOutcome:
    """What the settled page shows: *view*'s reader decides when it has one, else its selector and texts."""
    if view.read is not None:
        return view.read(await page.content(), page.url)
    if await page.locator(view.ready_selector).count():
        return PageOutcome("post")
    text = (await page.inner_text("body")).lower() if await page.locator("body").count() else ""
    for kind, texts in (("missing", view.missing_texts), ("login", view.login_texts)):
        found = next((t for t in texts if t.lower() in text), None)
        if found:
            return PageOutcome(kind, reason=f"the post's page says: {found}")
    return PageOutcome("blank", reason="the post's page rendered no post")


async def capture_post(page: Page, view: BrowserPage, post_id: str, timeout: float) -> tuple[PageOutcome, Shot | None]:
    """Wait for the post's page to settle, classify it, and screenshot the post if shown."""
    try:
        await page.wait_for_function(settled_script(view), timeout=timeout * 1000)
    except PlaywrightError:
        pass  # classify whatever is there (a blank or unknown page comes out "blank")
    outcome = await classify_page(page, view)
    if outcome.kind != "post":
        return outcome, None
    selector = view.screenshot_selector
    try:  # images are inserted with the post: give them a moment to arrive before the shot
        await page.wait_for_function(_IMAGES_DONE_JS, arg=selector, timeout=min(IMAGE_WAIT_S, timeout) * 1000)
    except PlaywrightError:
        pass
    png = await _shot(page, selector, timeout)
    dom_text = await page.locator(selector).first.inner_text(timeout=timeout * 1000)
    return outcome, Shot(png=png, dom_text=dom_text, url=page.url, post_id=post_id)


_EMBED_BOXES_JS = r"""(ns) => ns.map((n) => {
  const el = document.querySelector(`[data-receipts-embed="${n}"]`);
  if (!el) return null;
  const r = el.getBoundingClientRect();
  return {n: n, x: r.left + window.scrollX, y: r.top + window.scrollY, w: r.width, h: r.height};
}).concat([{dpr: window.devicePixelRatio || 1,
            height: document.documentElement.scrollHeight}])"""
MAX_FULL_PAGE_PX = 16000  # Chromium's texture limit: taller pages are shot element by element


async def _crop_from_full_page(page: Page, embeds: list[dict[str, Any]], timeout: float) -> dict[int, bytes] | None:
    """One full-page screenshot cut into the embeds' boxes: many embeds cost one capture, not one each.

    None when the page is too tall for one screenshot (the caller shoots each element instead).
    """
    from io import BytesIO

    from PIL import Image

    boxes = await page.evaluate(_EMBED_BOXES_JS, [e["n"] for e in embeds])
    meta = boxes.pop()
    if meta["height"] * meta["dpr"] > MAX_FULL_PAGE_PX:
        return None
    png = await page.screenshot(full_page=True, type="png", animations="disabled", timeout=timeout * 1000)
    image = Image.open(BytesIO(png))
    scale = meta["dpr"]
    out: dict[int, bytes] = {}
    for box in boxes:
        if not box or box["w"] < 2 or box["h"] < 2:
            continue
        left, top = round(box["x"] * scale), round(box["y"] * scale)
        right, bottom = round((box["x"] + box["w"]) * scale), round((box["y"] + box["h"]) * scale)
        buf = BytesIO()
        image.crop((left, top, min(right, image.width), min(bottom, image.height))).save(buf, format="PNG")
        out[box["n"]] = buf.getvalue()
    return out


async def tag_embeds(page: Page, renders: dict[str, EmbedRender], wait_for_widgets: float) -> list[dict[str, Any]]:
    """Each platform's embeds on the page, marked for the shot: ``{n, id, element, text, platform}``."""
    pending = [r.pending_script for r in renders.values() if r.pending_script]
    if pending:  # widget scripts replace each placeholder once they run; without them the placeholders stay
        try:
            await page.wait_for_function("() => " + " && ".join(f"({p})()" for p in pending),
                                         timeout=wait_for_widgets * 1000)
        except PlaywrightError:
            pass
    found: list[dict[str, Any]] = []
    for platform, render in renders.items():
        tagged = await page.evaluate(render.tag_script, len(found) and max(e["n"] for e in found) + 1)
        found.extend({**embed, "platform": platform} for embed in tagged)
    unique: dict[tuple[str, str], dict[str, Any]] = {}
    for embed in found:
        unique.setdefault((embed["platform"], embed["id"]), embed)
    return list(unique.values())


async def capture_embeds(page: Page, renders: dict[str, EmbedRender], timeout: float,
                         wait_for_widgets: float = 8.0) -> list[Shot]:
    """Screenshot each embed of the article as displayed: the rendered iframe, else the placeholder."""
    unique = await tag_embeds(page, renders, min(wait_for_widgets, timeout))

    async def frame_text(embed: dict[str, Any]) -> str:
        """The rendered embed's text, read from its iframe once loaded (all frames at once)."""
        text = embed.get("text") or ""
        if embed["element"] != "iframe":
            return text
        handle = await page.query_selector(f'[data-receipts-embed="{embed["n"]}"]')
        frame = await handle.content_frame() if handle else None
        if frame is None:
            return text
        await frame.wait_for_load_state("load", timeout=timeout * 1000)
        return await frame.inner_text("body", timeout=timeout * 1000)

    texts = await asyncio.gather(*(frame_text(e) for e in unique), return_exceptions=True)
    await asyncio.sleep(EMBED_SETTLE_S)  # let freshly rendered iframes paint, once for the page
    rendered = [(e, t) for e, t in zip(unique, texts, strict=True) if not isinstance(t, BaseException)]
    for embed, error in zip(unique, texts, strict=True):
        if isinstance(error, BaseException):
            log.warning("embed of post %s did not render: %s", embed["id"], error)
    crops = None
    if len(rendered) > 1:
        try:
            crops = await _crop_from_full_page(page, [e for e, _ in rendered], timeout)
        except PlaywrightError as exc:
            log.warning("full-page capture failed, shooting embeds one by one: %s", exc)
    shots: list[Shot] = []
    for embed, dom_text in rendered:
        try:
            png = crops[embed["n"]] if crops and embed["n"] in crops else \
                await _shot(page, f'[data-receipts-embed="{embed["n"]}"]', timeout)
        except PlaywrightError as exc:
            log.warning("embed screenshot of post %s failed: %s", embed["id"], exc)
            continue
        shots.append(Shot(png=png, dom_text=str(dom_text).strip(), url=page.url, post_id=embed["id"],
                          element=embed["element"], platform=embed["platform"]))
    return shots
