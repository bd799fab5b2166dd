"""The article page's evidence-sheet button (issue 14): the PDF it links to, the HTML sheet's CSP, the login rule."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import warnings

from archive_support import Seed, process_env

from fakeweb import ARTICLE_URL
from receipts.queries import short_id

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

SID = short_id(ARTICLE_URL)


def test_download_button_returns_the_pdf(client) -> None:
    page = client.get(f"/articles/{SID}")
    assert page.status_code == 200
    links = re.findall(r'<a class="button download-sheet" href="([^"]+)"', page.text)
    assert links == [f"/articles/{SID}/sheet.pdf"]
    pdf = client.get(links[0])
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-") and len(pdf.content) > 10_000
    assert pdf.headers["content-disposition"] == f'attachment; filename="receipt-{SID}.pdf"'
    by_url = client.get(f"/articles/{ARTICLE_URL}/sheet.html")  # the canonical URL works as the id too
    assert by_url.status_code == 200 and f"article {SID}" in by_url.text


def test_html_sheet_is_served_under_a_csp_that_allows_only_its_own_style(client, seed: Seed) -> None:
    resp = client.get(f"/articles/{SID}/sheet.html")
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/html")
    style = re.search(r"<style>(.*?)</style>", resp.text, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    csp = resp.headers["content-security-policy"]
    assert f"style-src 'sha256-{digest}'" in csp and "script-src" not in csp and "default-src 'none'" in csp
    assert seed.screenshot_sha256 in resp.text and "data:image/" in resp.text
    assert client.get("/articles/ffffffffffffffff/sheet.pdf").status_code == 404
    assert client.get("/articles/ffffffffffffffff/sheet.html").status_code == 404


def test_sheet_needs_a_session_when_reads_need_the_token(seed: Seed) -> None:
    from receipts.api.app import create_app
    from receipts.settings import reset_settings

    with process_env(seed):
        os.environ.update({"RECEIPTS_API_READ_TOKEN_REQUIRED": "1", "RECEIPTS_API_TOKEN": "sheet-test-token"})
        reset_settings()
        with TestClient(create_app(archive=seed.archive()), base_url="http://localhost",
                        follow_redirects=False) as http:
            locked = http.get(f"/articles/{SID}/sheet.html")
            assert locked.status_code == 303 and locked.headers["location"].startswith("/login?next=")
            assert http.post("/login", data={"token": "sheet-test-token", "next": "/"}).status_code == 303
            assert http.get(f"/articles/{SID}/sheet.html").status_code == 200
