"""PROV-O as JSON-LD: what each article quoted, and how each piece of evidence was obtained.

* every article is a ``prov:Entity``/``schema:NewsArticle`` that ``prov:wasQuotedFrom`` each post it cites;
* every post is a ``prov:Entity``/``schema:SocialMediaPosting`` (its URL is the IRI);
* every capture is a ``prov:Activity`` that ``prov:used`` the requested URL and ``prov:generated`` the
  stored bytes (``urn:sha256:<hex>``), ``prov:wasAssociatedWith`` Receipts, the ``prov:SoftwareAgent``;
* stored media and screenshots are entities ``prov:wasDerivedFrom`` their post.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from receipts.db.archive import Archive
from receipts.db.reads import capture_ids_for, captures_by_ids, posts_by_ids
from receipts.exports import iter_articles
from receipts.exports.records import iso, post_state

CONTEXT = {
    "prov": "http://www.w3.org/ns/prov#",
    "schema": "https://schema.org/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "rcpt": "https://receipts.invalid/ns#",
}


def _receipts_version() -> str:
    try:
        return version("receipts")
    except PackageNotFoundError:
        return "unknown"


def agent_iri() -> str:
    return f"urn:receipts:software:{_receipts_version()}"


def _ref(iri: str) -> dict[str, str]:
    return {"@id": iri}


def _date(value: Any) -> dict[str, str] | None:
    text = iso(value)
    return {"@value": text, "@type": "xsd:dateTime"} if text else None


def _clean(node: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in node.items() if v not in (None, [], "")}


def capture_node(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The activity for one capture, plus the entity it generated."""
    cap_iri = f"urn:receipts:capture:{doc['_id']}"
    nodes: list[dict[str, Any]] = []
    generated = []
    if doc.get("body_sha256"):
        body_iri = f"urn:sha256:{doc['body_sha256']}"
        generated.append(_ref(body_iri))
        nodes.append(_clean({"@id": body_iri, "@type": "prov:Entity", "schema:encodingFormat": doc.get("content_type"),
                             "schema:contentSize": doc.get("body_size"), "prov:wasGeneratedBy": _ref(cap_iri)}))
    url = doc.get("requested_url")
    nodes.insert(0, _clean({
        "@id": cap_iri, "@type": "prov:Activity", "rdfs:label": f"{doc.get('route')} capture",
        "prov:used": _ref(url) if url else None, "prov:generated": generated,
        "prov:startedAtTime": _date(doc.get("fetched_at")), "prov:endedAtTime": _date(doc.get("fetched_at")),
        "prov:wasAssociatedWith": _ref(agent_iri()), "rcpt:httpStatus": doc.get("http_status"),
        "rcpt:route": doc.get("route"), "rcpt:crawl": doc.get("crawl_id"),
    }))
    return nodes


def post_nodes(doc: dict[str, Any]) -> list[dict[str, Any]]:
    author = doc.get("author") or {}
    iri = doc.get("url") or f"urn:receipts:post:{doc['_id']}"
    nodes = [_clean({
        "@id": iri, "@type": ["prov:Entity", "schema:SocialMediaPosting"], "schema:identifier": doc["_id"],
        "schema:text": doc.get("text"), "schema:dateCreated": _date(doc.get("created_at")),
        "schema:author": _clean({"@type": "schema:Person", "schema:name": author.get("name"),
                                 "schema:alternateName": author.get("handle"), "schema:identifier": author.get("id")}),
        "rcpt:status": doc.get("status"), "rcpt:state": post_state(doc),
    })]
    for sha in [m.get("sha256") for m in doc.get("media") or []] + [doc.get("screenshot_sha256")]:
        if sha:
            nodes.append({"@id": f"urn:sha256:{sha}", "@type": "prov:Entity", "prov:wasDerivedFrom": _ref(iri)})
    return nodes


def iter_nodes(archive: Archive, query: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield {"@id": agent_iri(), "@type": ["prov:SoftwareAgent", "schema:SoftwareApplication"], "schema:name": "Receipts",
           "schema:softwareVersion": _receipts_version()}
    seen_posts: set[str] = set()
    seen_captures: set[str] = set()
    for art in iter_articles(archive, query):
        refs = art.get("references") or []
        post_ids = sorted({f"{r.get('platform') or 'x'}:{r['post_id']}" for r in refs if r.get("post_id")})
        posts = {d["_id"]: d for d in posts_by_ids(archive, post_ids)} if post_ids else {}
        quoted = [_ref(posts[p].get("url") or f"urn:receipts:post:{p}") for p in post_ids if p in posts]
        yield _clean({
            "@id": art["_id"], "@type": ["prov:Entity", "schema:NewsArticle"], "schema:headline": art.get("title"),
            "schema:url": art.get("url"), "schema:datePublished": _date(art.get("published_at")),
            "schema:author": art.get("byline"), "schema:inLanguage": art.get("language"),
            "prov:wasQuotedFrom": quoted,
        })
        capture_ids = list(art.get("capture_ids") or [])
        for pid in post_ids:
            if pid in posts and pid not in seen_posts:
                seen_posts.add(pid)
                yield from post_nodes(posts[pid])
                capture_ids += capture_ids_for(archive, pid)
        new = [c for c in capture_ids if c not in seen_captures]
        seen_captures.update(new)
        if new:
            for cap in captures_by_ids(archive, new):
                yield from capture_node(cap)


def iter_prov(archive: Archive, query: dict[str, Any]) -> Iterator[str]:
    """The JSON-LD document as text chunks (one node per chunk)."""
    ctx = {**CONTEXT, "rdfs": "http://www.w3.org/2000/01/rdf-schema#"}
    yield '{"@context": ' + json.dumps(ctx) + ', "@graph": [\n'
    first = True
    for node in iter_nodes(archive, query):
        yield ("" if first else ",\n") + json.dumps(node, ensure_ascii=False)
        first = False
    yield "\n]}\n"


def prov_document(archive: Archive, query: dict[str, Any]) -> dict[str, Any]:
    return json.loads("".join(iter_prov(archive, query)))
