"""Issue 16, the CLI a new user meets: empty results say so, ``--verbose`` names the archive, ``-o -``
writes to stdout, one ``--url`` everywhere, and a daemon found through its runtime file by ``submit
--wait``, ``jobs``, ``sources`` and ``import``."""

from __future__ import annotations

import json
import os
import re
import subprocess
import zipfile
from io import BytesIO

from conftest import BIN
from daemon_support import daemons, wait_for  # noqa: F401

from fakeweb import ARTICLE_URL
from fakeweb.news import SITEMAP_PATH, sitemap_xml


def test_empty_results_say_no_match_on_stderr_and_exit_0(receipts_env) -> None:
    for args, what in ((("query", "articles"), "no articles matched"), (("query", "posts"), "no posts matched"),
                       (("query", "events"), "no events matched"), (("jobs",), "no jobs matched"),
                       (("jobs", "--status", "failed"), "no failed jobs matched"),
                       (("sources", "list"), "no sources matched")):
        proc = receipts_env.run(*args)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout == "", args
        assert what in proc.stderr, (args, proc.stderr)
    proc = receipts_env.run("query", "articles", "--json")
    assert json.loads(proc.stdout)["items"] == [] and "no articles matched" in proc.stderr


def test_verbose_names_the_archive_and_warns_when_it_is_empty(receipts_env) -> None:
    proc = receipts_env.run("--verbose", "query", "posts")
    assert proc.returncode == 0, proc.stderr
    assert f"MongoDB {receipts_env.uri}" in proc.stderr and receipts_env.db_name in proc.stderr
    assert "this archive is empty" in proc.stderr
    quiet = receipts_env.run("query", "posts")
    assert "archive:" not in quiet.stderr and "empty" not in quiet.stderr


def test_exports_write_to_stdout_with_dash_and_take_url(receipts_env) -> None:
    receipts_env.crawl_json(ARTICLE_URL, "--no-browser")
    verbose = receipts_env.run("-v", "query", "articles")
    assert "archive:" in verbose.stderr and "empty" not in verbose.stderr

    csv_out = receipts_env.run("export", "csv", "-o", "-", "--url", ARTICLE_URL, check=True)
    assert csv_out.stdout.splitlines()[0].startswith("article_") and ARTICLE_URL in csv_out.stdout
    jsonl_out = receipts_env.run("export", "jsonl", "-o", "-", check=True)
    rows = [json.loads(line) for line in jsonl_out.stdout.splitlines()]
    assert rows and all(r["article_url"] == ARTICLE_URL for r in rows)
    prov_out = receipts_env.run("export", "prov", "-o", "-", check=True)
    assert "wasQuotedFrom" in prov_out.stdout

    wacz = subprocess.run([str(BIN / "receipts"), "export", "wacz", "--url", ARTICLE_URL, "-o", "-"],
                          env=receipts_env.env, capture_output=True, timeout=120, cwd=receipts_env.data_dir)
    assert wacz.returncode == 0, wacz.stderr
    with zipfile.ZipFile(BytesIO(wacz.stdout)) as zf:
        assert "datapackage.json" in zf.namelist() and "archive/data.warc.gz" in zf.namelist()
    assert b"wrote stdout" in wacz.stderr and b"note:" not in wacz.stderr  # every capture is packaged
    legacy = receipts_env.run("export", "wacz", "--article", ARTICLE_URL, "-o", "evidence.wacz", check=True)
    assert "wrote" in legacy.stdout and (receipts_env.data_dir / "evidence.wacz").stat().st_size > 1000
    assert not (receipts_env.data_dir / "-").exists()
    assert "--article" not in receipts_env.run("export", "wacz", "--help").stdout  # the alias is hidden
    assert receipts_env.run("verify", "--url", ARTICLE_URL).returncode == 0

    none = receipts_env.run("export", "csv", "-o", "-", "--domain", "nothing.example")
    assert none.returncode == 0 and "no articles matched" in none.stderr


def test_submit_jobs_sources_and_import_find_the_daemon_through_its_runtime_file(
        receipts_env, daemons, fakeweb) -> None:  # noqa: F811
    daemon = daemons("desk")
    log = wait_for(lambda: "serving" in daemon.log() and daemon.log(), 10, 0.1, "the serving line")
    assert f"serving http://127.0.0.1:{daemon.port}/" in log
    assert str(receipts_env.data_dir / "api-token") in log
    runtime = json.loads((receipts_env.data_dir / "daemon.json").read_text())
    assert runtime == {"url": f"http://127.0.0.1:{daemon.port}", "pid": daemon.pid}

    # no RECEIPTS_API_URL in this environment: the runtime file says where the daemon is
    assert "RECEIPTS_API_URL" not in receipts_env.env
    done = receipts_env.run("submit", ARTICLE_URL, "--wait", timeout=240)
    assert done.returncode == 0, done.stderr
    assert "queued " in done.stderr and "Pete Hegseth" in done.stdout  # the crawl report, not just the job id
    verbose = receipts_env.run("-v", "jobs", check=True)
    assert f"daemon: http://127.0.0.1:{daemon.port} (from {receipts_env.data_dir / 'daemon.json'})" in verbose.stderr
    jobs = receipts_env.run("jobs", "--json", check=True)
    listed = [json.loads(line) for line in jobs.stdout.splitlines()]
    assert listed and listed[0]["url"] == ARTICLE_URL and listed[0]["status"] == "done"

    added = receipts_env.run("sources", "add", "https://newrepublic.com" + SITEMAP_PATH, "--every", "1h", check=True)
    assert json.loads(added.stdout)["created"] is True
    assert "newrepublic.com" + SITEMAP_PATH in receipts_env.run("sources", "list", check=True).stdout

    lines = receipts_env.data_dir / "urls.txt"
    lines.write_text(f"# a list\n{ARTICLE_URL}\nftp://nope.example/x\n\n")
    csv_file = receipts_env.data_dir / "urls.csv"
    csv_file.write_text("title,URL\nHegseth,https://newrepublic.com/post/1/a-story\n")
    sitemap_file = receipts_env.data_dir / "sitemap.xml"
    sitemap_file.write_text(sitemap_xml())
    for path in (lines, csv_file, sitemap_file):
        proc = receipts_env.run("import", str(path), "--json", timeout=120)
        assert proc.returncode == 0, proc.stderr
        summary = json.loads(proc.stdout)
        assert summary["urls"] == summary["queued"] + summary["already_queued"] + summary["rejected"] > 0
    assert summary["urls"] == sitemap_xml().count("<loc>")
    text = receipts_env.run("import", str(lines), timeout=60, check=True)
    assert "2 URLs:" in text.stdout and "1 rejected" in text.stdout and "ftp://nope.example/x" in text.stderr
    from_url = receipts_env.run("import", "https://newrepublic.com" + SITEMAP_PATH, "--json", check=True)
    assert json.loads(from_url.stdout)["urls"] == summary["urls"]
    bad_csv = receipts_env.data_dir / "bad.csv"
    bad_csv.write_text("title,link\na,b\n")
    refused = receipts_env.run("import", str(bad_csv))
    assert refused.returncode == 2 and "url column" in refused.stderr

    elsewhere = receipts_env.run("jobs", "--api-url", "http://127.0.0.1:9")
    assert elsewhere.returncode == 1 and "cannot reach the daemon at http://127.0.0.1:9" in elsewhere.stderr
    assert daemon.terminate() == 0
    assert not (receipts_env.data_dir / "daemon.json").exists()


def test_demo_serve_ends_with_the_article_url_and_serves_it(receipts_env) -> None:
    import signal
    import threading

    import httpx

    from receipts.queries import short_id

    log = (receipts_env.data_dir / "demo.log").open("w")
    proc = subprocess.Popen([str(BIN / "receipts"), "demo", "--serve"], env=receipts_env.env, cwd=receipts_env.data_dir,
                            stdout=subprocess.PIPE, stderr=log, text=True, start_new_session=True)
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")), daemon=True).start()
    try:
        wait_for(lambda: any(line.startswith("open ") for line in lines) or proc.poll() is not None, 240, 0.2,
                 "the demo's open line")
        assert proc.poll() is None, (proc.returncode, lines, (receipts_env.data_dir / "demo.log").read_text())
        opened = [line for line in lines if line.startswith("open ")][-1].split()[1]
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/articles/[0-9a-f]{16}", opened)
        assert opened.endswith(short_id(ARTICLE_URL))
        page = httpx.get(opened, timeout=10)
        assert page.status_code == 200 and "Pete Hegseth" in page.text
        assert "Pete Hegseth" in "".join(lines[:-1])  # the report came first
        proc.send_signal(signal.SIGTERM)  # (SIGINT is ignored by processes started in the background)
        assert proc.wait(90) == 0
        assert not (receipts_env.data_dir / "daemon.json").exists()  # the served daemon stopped too
    finally:
        log.close()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
