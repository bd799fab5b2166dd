"""SSRF rules on user-supplied URLs and every redirect they take (issue 7)."""

from __future__ import annotations

from fakeweb import ARTICLE_URL


def test_redirect_to_private_address_is_blocked(receipts_env, fakeweb):
    url = fakeweb.add_page("/sec/redirect-metadata", "", status=302,
                           headers={"Location": "http://169.254.169.254/latest/meta-data/"})
    proc = receipts_env.run("crawl", url, "--json")
    assert proc.returncode == 1
    assert "non-public address" in proc.stderr and "169.254.169.254" in proc.stderr
    caps = list(receipts_env.db.captures.find({"requested_url": "http://169.254.169.254/latest/meta-data/"}))
    assert caps and caps[0]["http_status"] is None and "BlockedAddress" in caps[0]["error"]


def test_redirect_to_loopback_is_blocked(receipts_env, fakeweb):
    target = fakeweb.base_url + "/news/post/191502/pete-hegseth-russia-concessions-ukraine"
    url = fakeweb.add_page("/sec/redirect-loopback", "", status=301, headers={"Location": target})
    proc = receipts_env.run("crawl", url)
    assert proc.returncode == 1 and "non-public address (127.0.0.1)" in proc.stderr


def test_allow_private_lifts_the_rule(receipts_env, fakeweb):
    direct = fakeweb.base_url + "/news/post/191502/pete-hegseth-russia-concessions-ukraine"
    proc = receipts_env.run("crawl", direct)
    assert proc.returncode == 2 and "RECEIPTS_ALLOW_PRIVATE" in proc.stderr
    proc = receipts_env.run("crawl", direct, "--json", extra_env={"RECEIPTS_ALLOW_PRIVATE": "1"})
    assert proc.returncode == 0, proc.stderr
    # the page's canonical link names the real article URL: the archive keys it by that
    assert '"canonical_url": "' + ARTICLE_URL in proc.stdout


def test_non_http_schemes_refused(receipts_env):
    for bad in ("file:///etc/passwd", "data:text/html,hi", "javascript:alert(1)"):
        proc = receipts_env.run("crawl", bad)
        assert proc.returncode == 2 and "not an http(s) URL" in proc.stderr, bad
