"""Issue 16, the researcher's desk in real Chromium: submit from the form and watch the job finish, the
changes feed (and its Atom feed, parsed by feedparser) after a deletion in the fake web, downloads that
return the archive's bytes, /docs with the outside network blocked, phone and desktop screenshots under
tests/artifacts/, and an accessibility check (axe-core from the ``axe-playwright-python`` wheel when
installed, plus our own checks of labels, alt text, landmarks, heading order and palette contrast)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import zipfile
from pathlib import Path

import feedparser
import httpx
import pytest
from archive_support import RUPAR, RUPAR_KEY, Seed
from conftest import ARTIFACTS, ROOT
from daemon_support import crawl_under_way, daemons, slow_article, wait_for  # noqa: F401

from fakeweb import ARTICLE_URL
from receipts.queries import short_id

playwright_sync = pytest.importorskip("playwright.sync_api")

DOCS = ROOT / "docs"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def shot(page, name: str, keep: str | None = None) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if keep and os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1":  # refresh the README's (first screen only)
        page.screenshot(path=str(DOCS / keep))


def no_csp_errors(page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    return errors


# -- submit → jobs → article → changes, on a real daemon -------------------------------------------------
def test_submit_from_the_form_watch_it_finish_then_follow_a_deletion(browser, receipts_env, daemons,  # noqa: F811
                                                                    fakeweb) -> None:
    daemon = daemons("desk-ui")
    token = daemon.token()
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    errors = no_csp_errors(page)
    try:
        page.goto(daemon.base_url + "/submit")
        page.fill("#urls", ARTICLE_URL)
        page.fill("#token", "wrong-token")
        page.click(".submit-form button[type=submit]")
        assert "not the API token" in page.inner_text(".error")
        assert not [c for c in context.cookies() if c["name"] == "receipts_submit"]
        page.fill("#token", token)
        page.click(".submit-form button[type=submit]")
        page.wait_for_url(re.compile(r"/jobs\?ids="))
        (cookie,) = [c for c in context.cookies() if c["name"] == "receipts_submit"]
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and token not in cookie["value"]
        assert page.locator("meta[http-equiv=refresh]").count() == 1  # live while queued or running
        shot(page, "desk_jobs_running")
        # the page refreshes itself (no script): wait for the row to say done
        page.wait_for_selector("tr.job[data-status=done]", timeout=180_000)
        row = page.locator("tr.job").first
        assert int(row.locator(".found").inner_text()) >= 3 and int(row.locator(".archived-count").inner_text()) >= 3
        assert row.locator(".badge").get_attribute("title").startswith("Finished")
        assert page.locator("meta[http-equiv=refresh]").count() == 0
        shot(page, "desk_jobs_done")
        page.set_viewport_size(PHONE)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 2
        shot(page, "desk_jobs_phone")
        page.set_viewport_size(DESKTOP)
        row.locator("a").click()
        page.wait_for_selector("h1.article-title")
        assert "Pete Hegseth" in page.inner_text("h1.article-title")

        # the post is deleted on the platform; the same form (the cookie remembers the token) crawls it again
        fakeweb.set_post_state(RUPAR, "deleted")
        page.goto(daemon.base_url + "/submit")
        assert page.locator("#token").count() == 0 and page.locator(".remembered").is_visible()
        page.fill("#urls", ARTICLE_URL)
        page.click(".submit-form button[type=submit]")
        page.wait_for_selector("tr.job[data-status=done]", timeout=180_000)
        page.goto(daemon.base_url + "/changes")
        deleted = page.locator(f".change-post_deleted[data-post-id='{RUPAR_KEY}']")
        assert deleted.count() == 1
        assert "post deleted" in deleted.locator(".badge").inner_text().lower()
        assert "Pete Hegseth" in deleted.locator(".cited").inner_text()
        shot(page, "desk_changes", keep="desk-changes.png")
        page.goto(daemon.base_url + "/changes?outlet=newrepublic.com&platform=x")
        assert page.locator(".change-post_deleted").count() == 1
        page.goto(daemon.base_url + "/changes?outlet=elsewhere.example")
        assert page.locator(".change").count() == 0 and "No changes matched" in page.inner_text("main")
        page.goto(daemon.base_url + "/changes?platform=bluesky")
        assert page.locator(".change-post_deleted").count() == 0

        # the article page now says when the deletion was first seen
        page.goto(f"{daemon.base_url}/articles/{short_id(ARTICLE_URL)}")
        ref = page.locator(f".reference[data-post-id='{RUPAR}']")
        assert "Deletion first seen" in ref.locator(".deletion-seen").inner_text()
        assert page.locator(".article-row, .flags [data-flag=cites_deleted]").count() >= 1

        with httpx.Client(base_url=daemon.base_url, timeout=10) as http:
            feed_resp = http.get("/changes.atom", params={"outlet": "newrepublic.com"})
        assert feed_resp.headers["content-type"].startswith("application/atom+xml")
        feed = feedparser.parse(feed_resp.content)
        assert not feed.bozo, feed.bozo_exception
        assert feed.version == "atom10" and feed.feed.title.startswith("Receipts")
        (entry,) = [e for e in feed.entries if RUPAR_KEY in e.title]
        assert entry.title.startswith("post deleted") and entry.link == f"{daemon.base_url}/posts/{RUPAR_KEY}"
        assert entry.id.startswith("urn:receipts:event:ev") and entry.updated_parsed
        assert "Pete Hegseth" in entry.summary
        assert not [e for e in errors if "Content Security Policy" in e], errors
        page.request.post(daemon.base_url + "/submit/forget", headers={"Sec-Fetch-Site": "same-origin"})
    finally:
        fakeweb.reset()
        context.close()


def test_a_cross_site_post_cannot_submit(receipts_env, daemons) -> None:  # noqa: F811
    daemon = daemons("desk-csrf", RECEIPTS_WORKERS="0")
    with httpx.Client(base_url=daemon.base_url, timeout=10) as http:
        for headers in ({"Sec-Fetch-Site": "cross-site"}, {"Origin": "http://evil.example"}):
            resp = http.post("/submit", data={"urls": ARTICLE_URL, "token": daemon.token()}, headers=headers)
            assert resp.status_code == 403 and "set-cookie" not in resp.headers
        missing = http.post("/submit", data={"urls": ARTICLE_URL})
        assert missing.status_code == 401 and "token is required" in missing.text
        mixed = http.post("/submit", data={"urls": f"{ARTICLE_URL}\nftp://x.example/a", "token": daemon.token()})
        assert mixed.status_code == 200 and "ftp://x.example/a" in mixed.text and "Queued 1 crawl" in mixed.text
    assert [d["url"] for d in receipts_env.db.jobs.find({})] == [ARTICLE_URL]


def test_a_running_job_shows_its_progress_as_it_goes(receipts_env, daemons, fakeweb, bulk) -> None:  # noqa: F811
    slow = {"RECEIPTS_DOWNLOAD_DELAY": "0.3", "RECEIPTS_CONCURRENCY": "1", "RECEIPTS_PER_HOST_CONCURRENCY": "1"}
    daemon = daemons("desk-progress", **slow)
    with daemon.client() as api:
        job_id = api.post("/api/v1/crawls", json={"url": slow_article(fakeweb, "desk-progress", 12)}).json()["id"]
    crawl_under_way(receipts_env.db, job_id)
    archived = re.compile(r'class="archived-count">(\d+)<')

    def running_progress() -> int:
        """Posts archived so far, as the jobs page shows a running job (0 once it is not running)."""
        html = httpx.get(f"{daemon.base_url}/jobs", params={"ids": job_id}, timeout=10).text
        if 'data-status="running"' not in html:
            return 0
        assert 'http-equiv="refresh"' in html and 'class="found">…<' in html
        return int(archived.search(html).group(1))

    seen = [wait_for(running_progress, 60, 0.2, "posts archived so far on a running job's row")]
    done = wait_for(lambda: receipts_env.db.jobs.find_one({"_id": job_id})["status"] == "done", 180, 0.3, "done")
    assert done
    html = httpx.get(f"{daemon.base_url}/jobs", params={"ids": job_id}, timeout=10).text
    final = int(archived.search(html).group(1))
    assert final == 12 > seen[0] >= 1 and 'http-equiv="refresh"' not in html
    assert re.search(r'class="found">12<', html) and re.search(r'class="failed-count">0<', html)


# -- the seeded archive: labels, diffs, downloads, outlet, legend, phone width ------------------------------
def test_article_labels_diff_and_downloads_return_the_archived_bytes(browser, base_url: str, seed: Seed) -> None:
    context = browser.new_context(viewport=DESKTOP, accept_downloads=True)
    page = context.new_page()
    errors = no_csp_errors(page)
    page.goto(f"{base_url}/articles/{short_id(ARTICLE_URL)}")
    ref = page.locator(f".reference[data-post-id='{RUPAR}']")
    verdict = ref.locator(".verdict")
    assert verdict.inner_text() == "edited since quoted" and "changed after" in verdict.get_attribute("title")
    badge = ref.locator(".archived .badge-deleted")
    assert badge.inner_text().lower() == "deleted" and "no longer exists" in badge.get_attribute("title")
    assert "[edited:" in ref.locator(".inline-diff .diff ins").first.inner_text()  # first archived → latest
    assert ref.locator(".deletion-seen").is_visible()
    assert page.locator(".flags [data-flag=cites_deleted]").inner_text() == "cites a deleted post"
    assert page.locator("[data-download=sheet]").count() == 0  # no evidence-sheet route in this app
    assert "evidence sheet" in page.content()  # the marked spot for it
    shot(page, "desk_article", keep="desk-article.png")

    def download(selector: str) -> bytes:
        with page.expect_download() as info:
            page.locator(selector).first.click()
        return Path(info.value.path()).read_bytes()

    data = download("[data-download=json]")
    api = httpx.get(f"{base_url}/api/v1/articles/{short_id(ARTICLE_URL)}", timeout=10).json()
    assert json.loads(data) == api
    csv_bytes = download("[data-download=csv]")
    assert csv_bytes.decode().splitlines()[0].startswith("article_") and RUPAR in csv_bytes.decode()
    assert csv_bytes == seed.cli("export", "csv", "-o", "-", "--url", ARTICLE_URL).stdout.encode()
    with zipfile.ZipFile(io.BytesIO(download("[data-download=wacz]"))) as zf:
        package = json.loads(zf.read("datapackage.json"))
        assert ARTICLE_URL in package["description"] and "archive/data.warc.gz" in zf.namelist()
    shot_bytes = download(".archived [data-download=screenshot]")
    assert hashlib.sha256(shot_bytes).hexdigest() == seed.screenshot_sha256

    page.goto(f"{base_url}/posts/{RUPAR_KEY}")
    assert hashlib.sha256(download("[data-download=screenshot]")).hexdigest() == seed.screenshot_sha256
    assert json.loads(download("[data-download=json]"))["id"] == RUPAR_KEY
    page.set_viewport_size(PHONE)
    page.goto(f"{base_url}/articles/{short_id(ARTICLE_URL)}")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 2
    shot(page, "desk_article_phone")
    assert not [e for e in errors if "Content Security Policy" in e], errors
    context.close()


def test_cards_say_what_the_badge_means_and_the_legend_explains_every_code(browser, base_url: str) -> None:
    page = browser.new_page(viewport=DESKTOP)
    page.goto(f"{base_url}/?q=newrepublic.com")
    card = page.locator(".article-row:has-text('Pete Hegseth')")
    assert card.locator("[data-flag=cites_deleted]").inner_text() == "cites a deleted post"
    assert card.locator(".badge").first.get_attribute("title")
    page.goto(f"{base_url}/legend")
    for code in ("edited_since", "deleted", "cites_deleted", "post_deleted", "queued", "altered"):
        row = page.locator(f".legend-row[data-code={code}]").first
        assert row.locator("dd").inner_text().strip(), code
    page.close()


def test_outlet_page_counts_and_chart(browser, base_url: str, seed: Seed) -> None:
    page = browser.new_page(viewport=DESKTOP)
    page.goto(f"{base_url}/outlets/filler.example")
    articles = seed.db.articles.count_documents({"domain": "filler.example"})
    assert int(page.inner_text("[data-count=articles]")) == articles
    bars = page.locator("svg.bars g.bar")
    assert bars.count() >= 1 and sum(int(b.get_attribute("data-total")) for b in bars.all()) == articles
    page.goto(f"{base_url}/outlets/newrepublic.com")
    assert int(page.inner_text("[data-count=deleted]")) >= 1 and int(page.inner_text("[data-count=posts]")) >= 3
    assert page.locator("svg.bars rect[fill='#b3261e']").count() >= 1  # citing a changed post
    shot(page, "desk_outlet")
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 2
    shot(page, "desk_outlet_phone")
    assert page.goto(f"{base_url}/outlets/nothing.example").status == 404
    page.close()


def test_seeded_changes_feed_and_atom(base_url: str) -> None:
    with httpx.Client(base_url=base_url, timeout=10) as http:
        html = http.get("/changes")
        assert html.status_code == 200 and "post edited" in html.text and "post deleted" in html.text
        assert http.get("/changes?platform=nope").status_code == 400
        feed = feedparser.parse(http.get("/changes.atom").content)
    assert not feed.bozo and feed.entries
    times = [e.updated_parsed for e in feed.entries]
    assert times == sorted(times, reverse=True)  # newest first
    edited = [e for e in feed.entries if e.title.startswith("post edited")]
    assert edited and edited[0].link.endswith(f"/posts/{RUPAR_KEY}")


def test_docs_render_their_operations_with_the_outside_network_blocked(browser, base_url: str) -> None:
    context = browser.new_context(viewport=DESKTOP)
    blocked: list[str] = []

    def only_local(route) -> None:
        if route.request.url.startswith(base_url) or route.request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
    page = context.new_page()
    page.goto(base_url + "/docs")
    page.wait_for_selector(".opblock-summary-path:has-text('/api/v1/crawls')", timeout=30_000)
    assert page.locator(".opblock").count() > 10
    shot(page, "desk_docs_offline")
    context.close()
    assert not blocked, blocked


def test_keyboard_reaches_the_desk_from_the_skip_link(browser, base_url: str) -> None:
    page = browser.new_page(viewport=DESKTOP)
    page.goto(base_url + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "/submit"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/submit$"))
    page.keyboard.press("Tab")  # skip link
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "urls":
            break
    assert page.evaluate("document.activeElement.id") == "urls"
    page.close()


# -- accessibility ------------------------------------------------------------------------------------------
A11Y_PAGES = ["/", "/?q=Hegseth", f"/articles/{short_id(ARTICLE_URL)}", f"/posts/{RUPAR_KEY}", "/handles/atrupar",
              "/submit", "/jobs", "/changes", "/outlets/newrepublic.com", "/legend"]


def _axe_source() -> str | None:
    try:
        import axe_playwright_python
    except ImportError:
        return None
    path = Path(axe_playwright_python.__file__).parent / "axe.min.js"
    return path.read_text(encoding="utf-8") if path.exists() else None


OWN_CHECKS = """() => {
  const out = [];
  const name = el => (el.getAttribute('aria-label') || (el.id && document.querySelector(`label[for="${el.id}"]`))
                      || el.closest('label') || el.getAttribute('aria-labelledby'));
  for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea'))
    if (!name(el)) out.push('unlabelled ' + el.outerHTML.slice(0, 80));
  for (const el of document.querySelectorAll('img')) if (!el.hasAttribute('alt')) out.push('img without alt');
  for (const el of document.querySelectorAll('button, a[href]'))
    if (!el.textContent.trim() && !el.getAttribute('aria-label') && !el.querySelector('img[alt]:not([alt=""])')) out.push('unnamed ' + el.outerHTML.slice(0, 80));
  if (!document.documentElement.lang) out.push('no lang');
  if (document.querySelectorAll('main').length !== 1) out.push('main landmark count');
  if (document.querySelectorAll('h1').length !== 1) out.push('h1 count ' + document.querySelectorAll('h1').length);
  let last = 0;
  for (const h of document.querySelectorAll('main h1, main h2, main h3, main h4')) {
    const level = +h.tagName[1];
    if (level > last + 1) out.push('heading jumps to ' + h.tagName + ': ' + h.textContent.slice(0, 40));
    last = level;
  }
  return out;
}"""


def _luminance(hex_color: str) -> float:
    rgb = [int(hex_color[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_the_css_palette_has_enough_contrast() -> None:
    css = (ROOT / "receipts" / "web" / "static" / "receipts.css").read_text()
    palette = dict(re.findall(r"--([a-z]+):\s*(#[0-9a-f]{6})", css))
    for state in ("live", "deleted", "edited", "unavailable", "unresolved", "muted"):
        assert contrast(palette[state], "#ffffff") >= 4.5, state  # white badge text on the state colour
    for text in ("fg", "muted"):
        assert contrast(palette[text], palette["bg"]) >= 4.5, text
    assert contrast("#0b57d0", "#ffffff") >= 4.5 and contrast("#ffffff", "#111111") >= 4.5  # links, header


def test_accessibility_no_serious_violations(browser, base_url: str) -> None:
    axe = _axe_source()
    context = browser.new_context(viewport=DESKTOP, bypass_csp=True)  # axe runs as an injected script
    page = context.new_page()
    report: dict[str, object] = {"engine": "axe-core" if axe else "own checks only"}
    problems: dict[str, list] = {}
    for path in A11Y_PAGES:
        assert page.goto(base_url + path).status == 200, path
        own = page.evaluate(OWN_CHECKS)
        if own:
            problems[path] = own
        if axe:
            page.add_script_tag(content=axe)
            result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
            serious = [{"id": v["id"], "impact": v["impact"], "nodes": [n["html"][:120] for n in v["nodes"][:3]]}
                       for v in result["violations"] if v["impact"] in ("serious", "critical")]
            report[path] = [v["id"] for v in result["violations"]]
            if serious:
                problems.setdefault(path, []).extend(serious)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "desk_a11y.json").write_text(json.dumps({"report": report, "problems": problems}, indent=1))
    context.close()
    assert not problems, problems
    if os.environ.get("RECEIPTS_REQUIRE_AXE") == "1":
        assert axe, "axe-playwright-python is not installed"
