"""The web UI in real Chromium (Playwright): search → article → the Rupar post beside the article's text,
its screenshot and deleted badge → the post's history. Screenshots go to tests/artifacts/."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import httpx
import pytest
from archive_support import EDIT_SUFFIX, RUPAR, RUPAR_KEY, XSS_ARTICLE, Seed, process_env
from conftest import ARTIFACTS
from ui_support import serve_app

from receipts.queries import short_id

playwright_sync = pytest.importorskip("playwright.sync_api")



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


# -- issue 10, item 14: the API docs load nothing from elsewhere ---------------------------------------
EXTERNAL = re.compile(r"""(?:https?:)?//[^"'\s<>]+""")


def test_docs_and_redoc_use_only_local_assets_under_a_csp(browser, base_url: str) -> None:
    with httpx.Client(base_url=base_url, timeout=10) as http:
        for path in ("/docs", "/redoc", "/docs/swagger-init.js"):
            resp = http.get(path)
            assert resp.status_code == 200, path
            assert not EXTERNAL.findall(resp.text), (path, EXTERNAL.findall(resp.text))
            csp = resp.headers["content-security-policy"]
            script_src = next(d for d in csp.split(";") if d.strip().startswith("script-src"))
            assert script_src.split() == ["script-src", "'self'"] and "default-src 'none'" in csp
        for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js"):
            got = http.get(f"/docs/assets/{asset}")
            assert got.status_code == 200 and len(got.content) > 10_000, asset
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda req: requests.append(req.url))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(base_url + "/docs")
    page.wait_for_selector(".swagger-ui .info .title:has-text('Receipts')", timeout=30_000)
    page.wait_for_selector(".opblock-summary-path:has-text('/api/v1/articles')", timeout=30_000)
    shot(page, "ui_docs_swagger")
    page.goto(base_url + "/redoc")
    page.wait_for_selector("h1:has-text('Receipts')", timeout=30_000)
    page.locator("h2:has-text('List Articles')").first.wait_for(timeout=30_000)  # ReDoc rendered the operations
    shot(page, "ui_docs_redoc")
    page.close()
    foreign = [u for u in requests if not u.startswith(base_url) and not u.startswith(("data:", "blob:"))]
    assert not foreign, foreign
    assert any(u.endswith("/docs/assets/swagger-ui-bundle.js") for u in requests)
    assert any(u.endswith("/docs/assets/redoc.standalone.js") for u in requests)
    assert not [e for e in errors if "Content Security Policy" in e], errors


# -- issue 10, item 15: every link on the UI pages answers ---------------------------------------------
LINK = re.compile(r"""(?:href|src)="([^"]+)\"""")


def test_every_link_in_the_ui_pages_answers_200(base_url: str, seed: Seed) -> None:
    from archive_support import XSS_POST_ID

    from fakeweb import ARTICLE_URL

    pages = ["/", "/?q=Hegseth", "/?q=%40atrupar", f"/articles/{short_id(ARTICLE_URL)}",
             f"/articles/{short_id(XSS_ARTICLE)}", f"/posts/{RUPAR_KEY}", f"/posts/x:{XSS_POST_ID}", "/handles/atrupar"]
    checked: dict[str, int] = {}
    with httpx.Client(base_url=base_url, timeout=30) as http:
        for path in pages:
            resp = http.get(path)
            assert resp.status_code == 200, path
            for link in LINK.findall(resp.text):
                link = link.replace("&amp;", "&")
                if link.startswith(("http://", "https://", "//", "mailto:")) or link in checked:
                    continue
                checked[link] = http.get(link).status_code
    bad = {link: status for link, status in checked.items() if status != 200}
    assert not bad, bad
    bodies = [link for link in checked if link.startswith("/api/v1/captures/") and link.endswith("/body")]
    media = {c["_id"] for c in seed.db.captures.find({"target_type": "media"}, {"_id": 1})}
    assert {b.split("/")[4] for b in bodies} & media  # media capture bodies among them
    assert len(bodies) >= 4 and len(checked) > 20


# -- issue 10, item 17: logging in to the UI when reads need the token ----------------------------------
LOCK_TOKEN = "ui-login-token-for-tests"


@pytest.fixture
def locked_url(seed: Seed) -> Iterator[str]:
    """The same app with RECEIPTS_API_READ_TOKEN_REQUIRED=1 (this test only)."""
    from receipts.settings import reset_settings

    saved = {k: os.environ.get(k) for k in ("RECEIPTS_API_READ_TOKEN_REQUIRED", "RECEIPTS_API_TOKEN")}
    with process_env(seed):
        os.environ.update({"RECEIPTS_API_READ_TOKEN_REQUIRED": "1", "RECEIPTS_API_TOKEN": LOCK_TOKEN})
        reset_settings()
        with serve_app(seed) as url:
            yield url
    for key, value in saved.items():
        if value is not None:
            os.environ[key] = value
    reset_settings()


def test_login_cookie_opens_the_ui_for_reads_only(browser, locked_url: str) -> None:
    base = locked_url
    with httpx.Client(base_url=base, timeout=10) as http:
        for path in ("/docs", "/redoc", "/api/v1/openapi.json", "/api/v1/articles"):
            assert http.get(path).status_code == 401, path
            assert http.get(path, headers={"Authorization": f"Bearer {LOCK_TOKEN}"}).status_code == 200, path
        assert http.get("/").status_code == 303 and http.get("/").headers["location"] == "/login?next=%2F"
        # the cookie is Secure when served over https (here: a trusted proxy on loopback says so)
        over_tls = http.post("/login", data={"token": LOCK_TOKEN, "next": "/"}, headers={"X-Forwarded-Proto": "https"})
        assert over_tls.status_code == 303 and "secure" in over_tls.headers["set-cookie"].lower()
        assert http.post("/login", data={"token": LOCK_TOKEN, "next": "//evil.example/x"}).headers["location"] == "/"
        for cross in ({"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "cross-site", "Origin": "null"}):
            foreign = http.post("/login", data={"token": LOCK_TOKEN}, headers=cross)
            assert foreign.status_code == 403 and "set-cookie" not in foreign.headers

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{base}/posts/{RUPAR_KEY}")
    assert "/login" in page.url and page.locator("form.login").is_visible()
    assert page.locator("script").count() == 0
    page.fill("input[name=token]", "not-the-token")
    page.click("form.login button[type=submit]")
    assert "not the API token" in page.inner_text(".error")
    shot(page, "ui_login_error")
    page.fill("input[name=token]", LOCK_TOKEN)
    page.click("form.login button[type=submit]")
    page.wait_for_selector("ol.versions")
    assert page.url.endswith(f"/posts/{RUPAR_KEY}")  # back where the browser was going
    assert loaded(page, "img.post-screenshot")  # media reads go through with the cookie
    (cookie,) = [c for c in context.cookies() if c["name"] == "receipts_session"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and not cookie["secure"]
    assert LOCK_TOKEN not in cookie["value"]
    assert page.request.get(f"{base}/api/v1/articles").status == 200
    assert page.request.post(f"{base}/api/v1/crawls", data={"url": "https://news.example/x"}).status == 401
    page.goto(f"{base}/docs")
    page.wait_for_selector(".swagger-ui .info .title:has-text('Receipts')", timeout=30_000)
    page.goto(f"{base}/")
    shot(page, "ui_logged_in")
    page.click("form.logout button")
    page.wait_for_selector("form.login")
    assert not [c for c in context.cookies() if c["name"] == "receipts_session"]
    page.goto(f"{base}/handles/atrupar")
    assert "/login" in page.url
    assert not [e for e in errors if "Content Security Policy" in e], errors
    context.close()
