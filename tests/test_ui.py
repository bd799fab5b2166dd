"""The web UI in real Chromium (Playwright): search → article → the Rupar post beside the article's text,
its screenshot and deleted badge → the post's history. Screenshots go to tests/artifacts/."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from archive_support import EDIT_SUFFIX, RUPAR, RUPAR_KEY, XSS_ARTICLE, Seed, process_env

from crawlers.browser import LAUNCH_ARGS, find_chromium
from receipts.queries import short_id

playwright_sync = pytest.importorskip("playwright.sync_api")

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = find_chromium()  # the system Chromium (Playwright's own browser when there is none)
ARGS = list(LAUNCH_ARGS)


@pytest.fixture(scope="module")
def base_url(seed: Seed) -> Iterator[str]:
    import uvicorn
    from conftest import free_port

    from receipts.api.app import create_app

    with process_env(seed):
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(create_app(archive=seed.archive()), host="127.0.0.1", port=port,
                                               log_level="warning", lifespan="off"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 15
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.started, "uvicorn did not start"
        yield f"http://127.0.0.1:{port}"
        server.should_exit = True
        thread.join(10)


@pytest.fixture(scope="module")
def browser() -> Iterator:
    with playwright_sync.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield chromium
        chromium.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def loaded(page, selector: str) -> bool:
    return page.eval_on_selector(selector, "img => img.complete && img.naturalWidth > 0")


def test_search_article_side_by_side_and_post_history(browser, base_url: str) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    response = page.goto(base_url + "/")
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp and "frame-src 'none'" in csp
    page.fill("input[name=q]", "Hegseth")
    page.click("button[type=submit]")
    page.wait_for_selector("#articles .article-row")
    shot(page, "ui_search")
    page.click("#articles .article-row a:has-text('Pete Hegseth Crumbles')")
    page.wait_for_selector("h1.article-title")
    assert "Pete Hegseth Crumbles" in page.inner_text("h1.article-title")

    ref = page.locator(f".reference[data-post-id='{RUPAR}']")
    assert "What concessions will Putin be asked to make?" in ref.locator(".displayed-text").inner_text()
    archived = ref.locator(".archived")
    assert "Aaron Rupar" in archived.locator(".author").inner_text()
    assert EDIT_SUFFIX in archived.locator(".post-text").inner_text()
    assert ref.locator(".badge-deleted").first.is_visible()
    assert ref.locator(".verdict").inner_text().strip()
    assert loaded(page, f".reference[data-post-id='{RUPAR}'] img.post-screenshot")
    assert loaded(page, f".reference[data-post-id='{RUPAR}'] img.embed-screenshot")
    # side by side on a desktop: the archived pane sits to the right of the displayed one
    left = ref.locator(".displayed").bounding_box()
    right = archived.bounding_box()
    assert right["x"] > left["x"] + left["width"] - 1 and abs(right["y"] - left["y"]) < 5
    ref.scroll_into_view_if_needed()
    shot(page, "ui_article")

    page.set_viewport_size({"width": 390, "height": 844})  # phone width: stacked, no horizontal scroll
    assert page.evaluate("document.documentElement.scrollWidth") <= 392
    shot(page, "ui_article_phone")
    page.set_viewport_size({"width": 1280, "height": 900})

    archived.locator("a.history").click()
    page.wait_for_selector("ol.versions")
    assert page.url.endswith(f"/posts/{RUPAR_KEY}")
    assert page.locator(".version").count() == 2
    assert EDIT_SUFFIX.split()[0].strip("[") in page.locator(".diff ins").first.inner_text()
    assert page.locator(".timeline .capture").count() >= 3
    assert page.locator("h1 .badge-deleted").is_visible()
    assert "Pete Hegseth Crumbles" in page.inner_text("body")  # cited by
    shot(page, "ui_post_history")
    page.click("h1 a")  # the handle page
    page.wait_for_selector("h1.handle-title")
    assert "@atrupar" in page.inner_text("h1.handle-title")
    shot(page, "ui_handle")
    assert not [e for e in errors if "Content Security Policy" in e], errors
    page.close()


def test_hostile_text_renders_inert(browser, base_url: str) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{base_url}/articles/{short_id(XSS_ARTICLE)}")
    assert page.evaluate("window.__pwned") is None
    assert page.title() != "pwned" and "<script>" in page.title()
    assert "<script>document.title='pwned'</script>" in page.inner_text("h1.article-title")
    assert "<script>window.__pwned = 1</script>" in page.inner_text(".archived .post-text")
    assert page.locator("script").count() == 0 and page.locator(".archived .post-text img").count() == 0
    assert loaded(page, ".archived img.thumb")  # the stored photo, through /api/v1/media
    shot(page, "ui_hostile_article")
    page.goto(f"{base_url}/?q=hostile")
    assert page.evaluate("window.__pwned") is None and page.locator("#posts .post-row").count() == 1
    assert page.goto(f"{base_url}/posts/x:404").status == 404
    page.close()
