"""Exports round-trip: CSV and JSONL into pandas, PROV through rdflib's JSON-LD parser, WACZ through `wacz validate`."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import warnings
from pathlib import Path

import pandas as pd
from archive_support import (
    EDIT_SUFFIX,
    FILLER_COUNT,
    FILLER_DOMAIN,
    RUPAR,
    XSS_ARTICLE,
    XSS_TEXT,
    Seed,
)
from rdflib import RDF, Graph, Namespace, URIRef

from fakeweb import ARTICLE_URL
from fakeweb.news import DEMO_SKEET, DEMO_TOOT
from receipts.exports.records import ROW_COLUMNS

MASTO_KEY = "mastodon:" + "/".join(DEMO_TOOT)
BSKY_KEY = f"bluesky:{DEMO_SKEET}"

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

PROV = Namespace("http://www.w3.org/ns/prov#")
BIN = Path(sys.executable).parent


def expected_rows(seed: Seed) -> int:
    return sum(max(len(d.get("references") or []), 1) for d in seed.db.articles.find({}, {"references": 1}))


def test_csv_and_jsonl_load_in_pandas_one_row_per_reference(seed: Seed, client: TestClient, tmp_path: Path) -> None:
    out = tmp_path / "refs.csv"
    seed.cli("export", "csv", "-o", str(out))
    frame = pd.read_csv(out, dtype={"ref_post_id": str})  # ids of every platform: "1890…", "mastodon.social/113…"
    assert list(frame.columns) == ROW_COLUMNS and len(frame) == expected_rows(seed)
    rupar = frame[frame.ref_post_id == RUPAR].iloc[0]
    assert rupar.article_id == ARTICLE_URL and rupar.post_status == "deleted" and rupar.ref_state == "deleted"
    assert rupar.post_author_handle == "atrupar" and rupar.post_text.endswith(EDIT_SUFFIX)
    assert "\n" in rupar.post_text  # multi-line text survives quoting
    assert rupar.post_version_count == 2 and bool(rupar.post_is_edited)
    assert frame[frame.article_id == XSS_ARTICLE].iloc[0].post_text == XSS_TEXT

    api = client.get("/api/v1/exports/jsonl")
    assert api.status_code == 200 and api.headers["content-disposition"].startswith("attachment")
    lines = pd.read_json(io.StringIO(api.text), lines=True, dtype=False)
    assert len(lines) == len(frame) and list(lines.columns) == ROW_COLUMNS
    assert sorted(lines.article_id) == sorted(frame.article_id)
    by_cli = tmp_path / "refs.jsonl"
    seed.cli("export", "jsonl", "-o", str(by_cli), "--domain", FILLER_DOMAIN)
    filler = pd.read_json(by_cli, lines=True)
    assert len(filler) == FILLER_COUNT and filler.ref_kind.isna().all()

    csv_api = client.get("/api/v1/exports/csv", params={"cites": "deleted"})
    assert csv_api.headers["content-type"].startswith("text/csv")
    assert set(pd.read_csv(io.StringIO(csv_api.text)).article_id) == {ARTICLE_URL}
    assert client.get("/api/v1/exports/csv", params={"language": "??"}).status_code == 400


def test_prov_parses_as_json_ld(seed: Seed, client: TestClient, tmp_path: Path) -> None:
    out = tmp_path / "prov.jsonld"
    seed.cli("export", "prov", "-o", str(out), "--url", ARTICLE_URL)
    graph = Graph().parse(out, format="json-ld")
    article = URIRef(ARTICLE_URL)
    quoted = sorted(graph.objects(article, PROV.wasQuotedFrom))
    cited = [seed.db.posts.find_one({"_id": key}) for key in (MASTO_KEY, BSKY_KEY)]  # the demo's other networks
    assert quoted == sorted(URIRef(u) for u in (f"https://x.com/atrupar/status/{RUPAR}", *(p["url"] for p in cited)))
    rupar_url = URIRef(f"https://x.com/atrupar/status/{RUPAR}")
    agents = list(graph.subjects(RDF.type, PROV.SoftwareAgent))
    assert len(agents) == 1
    activities = list(graph.subjects(RDF.type, PROV.Activity))
    captures = sum(seed.db.captures.count_documents({"target_id": key}) for key in (f"x:{RUPAR}", MASTO_KEY, BSKY_KEY))
    captures += len(seed.archive().get_article(ARTICLE_URL).capture_ids)
    assert len(activities) == captures
    for act in activities:
        assert (act, PROV.wasAssociatedWith, agents[0]) in graph
        assert list(graph.objects(act, PROV.used)) and list(graph.objects(act, PROV.startedAtTime))
        for entity in graph.objects(act, PROV.generated):
            assert (entity, RDF.type, PROV.Entity) in graph and str(entity).startswith("urn:sha256:")
    assert (URIRef(f"urn:sha256:{seed.screenshot_sha256}"), PROV.wasDerivedFrom, rupar_url) in graph
    api = client.get("/api/v1/exports/prov")
    assert api.headers["content-type"].startswith("application/ld+json")
    everything = Graph().parse(data=api.text, format="json-ld")
    assert len(set(everything.subjects(PROV.wasQuotedFrom, None))) == 2  # both articles that cite posts
    json.loads(api.text)


def test_wacz_export_validates(seed: Seed, client: TestClient, tmp_path: Path) -> None:
    api = client.get("/api/v1/exports/wacz", params={"url": ARTICLE_URL})
    assert api.status_code == 200, api.text
    assert api.headers["content-disposition"].startswith("attachment")
    path = tmp_path / "article.wacz"
    path.write_bytes(api.content)
    proc = subprocess.run([str(BIN / "wacz"), "validate", "-f", str(path)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert client.get("/api/v1/exports/wacz").status_code == 400
    assert client.get("/api/v1/exports/wacz", params={"domain": FILLER_DOMAIN}).status_code == 400
    assert client.get("/api/v1/exports/wacz", params={"url": "https://nowhere.example/"}).status_code == 404
