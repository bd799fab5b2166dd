"""X API v2 (``api.x.com/2/…``: search, user and post lookup) and the Wayback Machine CDX listing."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

from fakeweb.catalog import USERS, Body, parse_created_at, snowflake_ms
from fakeweb.respond import Response, json_response
from fakeweb.store import Store

RATE_LIMITS = {"search_recent": 450, "search_all": 300, "users": 300, "tweets": 450}
WINDOW_S = 900
HIDDEN_FROM_API = ("deleted", "notfound", "suspended", "protected")
INVALID = "https://api.twitter.com/2/problems/invalid-request"
NOT_FOUND = "https://api.twitter.com/2/problems/resource-not-found"


def _rate_headers(store: Store, bucket: str, count: bool = True) -> list[tuple[str, str]]:
    limit = RATE_LIMITS[bucket]
    with store.lock:
        if count:
            store.api_calls[bucket] += 1
        used = store.api_calls[bucket]
    now = int(store.clock())
    reset = now - now % WINDOW_S + WINDOW_S
    remaining = 0 if store.rate_limited else max(0, limit - used)
    return [("x-rate-limit-limit", str(limit)), ("x-rate-limit-remaining", str(remaining)),
            ("x-rate-limit-reset", str(reset))]


def _invalid(message: str, parameter: str, value: str | None = None) -> dict[str, Any]:
    return {
        "errors": [{"parameters": {parameter: [value] if value is not None else []}, "message": message}],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": INVALID,
    }


def dispatch(store: Store, path: str, query: Mapping[str, str], headers: Mapping[str, str]) -> Response:
    bucket = ("search_recent" if path == "/2/tweets/search/recent" else
              "search_all" if path == "/2/tweets/search/all" else
              "users" if path.startswith("/2/users/") else "tweets")
    auth = headers.get("authorization", "")
    if not re.fullmatch(r"Bearer \S+", auth.strip()):
        return json_response({"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"},
                             401, _rate_headers(store, bucket, count=False))
    if store.rate_limited:
        return json_response({"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank",
                              "status": 429}, 429, _rate_headers(store, bucket))
    rate = _rate_headers(store, bucket)
    if bucket.startswith("search"):
        payload, status = search(store, query, recent=bucket == "search_recent")
        return json_response(payload, status, rate)
    match = re.fullmatch(r"/2/users/by/username/(\w{1,50})", path)
    if match:
        return json_response(user_lookup(store, match[1], query), 200, rate)
    match = re.fullmatch(r"/2/tweets/(\d{1,25})", path)
    if match:
        return json_response(tweet_lookup(store, match[1], query), 200, rate)
    return json_response({"errors": [{"message": "Sorry, that page does not exist", "code": 34}]}, 404, rate)


# ------------------------------------------------------------------------------------------ objects


def _fields(query: Mapping[str, str], name: str) -> set[str]:
    return {f.strip() for f in query.get(name, "").split(",") if f.strip()}


def tweet_object(body: Body, fields: set[str]) -> dict[str, Any]:
    control = body.get("edit_control", {})
    out: dict[str, Any] = {
        "id": body["id_str"],
        "text": body["text"],
        "edit_history_tweet_ids": list(control.get("edit_tweet_ids", [body["id_str"]])),
    }
    extra: dict[str, Any] = {
        "author_id": body.get("user", {}).get("id_str"),
        "created_at": body["created_at"],
        "lang": body.get("lang", "en"),
        "possibly_sensitive": body.get("possibly_sensitive", False),
        "conversation_id": body.get("in_reply_to_status_id_str") or body["id_str"],
        "public_metrics": {"retweet_count": 0, "reply_count": body.get("conversation_count", 0),
                           "like_count": body.get("favorite_count", 0), "quote_count": 0,
                           "bookmark_count": 0, "impression_count": 0},
    }
    if "in_reply_to_user_id_str" in body:
        extra["in_reply_to_user_id"] = body["in_reply_to_user_id_str"]
    refs = []
    if "quoted_tweet" in body:
        refs.append({"type": "quoted", "id": body["quoted_tweet"]["id_str"]})
    if "in_reply_to_status_id_str" in body:
        refs.append({"type": "replied_to", "id": body["in_reply_to_status_id_str"]})
    if refs:
        extra["referenced_tweets"] = refs
    for key in fields:
        if key in extra and extra[key] is not None:
            out[key] = extra[key]
    return dict(sorted(out.items()))


def _user_object(user: Mapping[str, Any], fields: set[str]) -> dict[str, Any]:
    out = {"id": user["id_str"], "name": user["name"], "username": user["screen_name"]}
    if "profile_image_url" in fields:
        out["profile_image_url"] = user.get("profile_image_url_https", "")
    if "verified" in fields:
        out["verified"] = bool(user.get("verified"))
    if "protected" in fields:
        out["protected"] = False
    return dict(sorted(out.items()))


def _known_users(store: Store) -> dict[str, Mapping[str, Any]]:
    users: dict[str, Mapping[str, Any]] = {u.screen_name.lower(): u.body() for u in USERS.values()}
    for _, body in store.all_posts():
        if "user" in body:
            users.setdefault(body["user"]["screen_name"].lower(), body["user"])
    return users


def user_lookup(store: Store, username: str, query: Mapping[str, str]) -> dict[str, Any]:
    user = _known_users(store).get(username.lower())
    if user is None:
        return {"errors": [{"value": username, "detail": f"Could not find user with username: [{username}].",
                            "title": "Not Found Error", "resource_type": "user", "parameter": "username",
                            "resource_id": username, "type": NOT_FOUND}]}
    return {"data": _user_object(user, _fields(query, "user.fields"))}


def tweet_lookup(store: Store, post_id: str, query: Mapping[str, str]) -> dict[str, Any]:
    found = store.lookup(post_id)
    if found is None or found[0] in ("deleted", "notfound", "suspended"):
        return {"errors": [{"value": post_id, "detail": f"Could not find tweet with id: [{post_id}].",
                            "title": "Not Found Error", "resource_type": "tweet", "parameter": "id",
                            "resource_id": post_id, "type": NOT_FOUND}]}
    if found[0] == "protected":
        return {"errors": [{"value": post_id, "detail": f"Sorry, you are not authorized to see the Tweet with id: [{post_id}].",
                            "title": "Authorization Error", "resource_type": "tweet", "parameter": "id",
                            "resource_id": post_id, "type": "https://api.twitter.com/2/problems/not-authorized-for-resource"}]}
    body = found[1]
    out: dict[str, Any] = {"data": tweet_object(body, _fields(query, "tweet.fields"))}
    if "author_id" in _fields(query, "expansions") and "user" in body:
        out["includes"] = {"users": [_user_object(body["user"], _fields(query, "user.fields"))]}
    return out


# ------------------------------------------------------------------------------------------ search


def _words(text: str) -> list[str]:
    return re.findall(r"\w+(?:'\w+)*", text.lower().replace("’", "'").replace("‘", "'"))


def _contains(haystack: list[str], needle: list[str]) -> bool:
    n = len(needle)
    return n == 0 or any(haystack[i:i + n] == needle for i in range(len(haystack) - n + 1))


def _term_matches(term: str, body: Body) -> bool:
    negate = term.startswith("-") and len(term) > 1
    term = term[1:] if negate else term
    words = _words(body["text"])
    if term.startswith('"') and term.endswith('"') and len(term) >= 2:
        result = _contains(words, _words(term[1:-1]))
    elif ":" in term and not term.startswith("http"):
        op, _, value = term.partition(":")
        value = value.strip('"').lower()
        op = op.lower()
        if op == "from":
            result = body.get("user", {}).get("screen_name", "").lower() == value.lstrip("@")
        elif op == "lang":
            result = body.get("lang", "en") == value
        elif op == "is" and value == "reply":
            result = "in_reply_to_status_id_str" in body
        elif op == "is" and value == "quote":
            result = "quoted_tweet" in body
        elif op == "is" and value == "retweet":
            result = False
        elif op == "has" and value in ("media", "images", "videos"):
            types = {m["type"] for m in body.get("mediaDetails", [])}
            result = bool(types) if value == "media" else ("photo" in types if value == "images" else bool(types - {"photo"}))
        elif op == "url":
            result = any(value in u.get("expanded_url", "").lower() for u in body.get("entities", {}).get("urls", []))
        else:
            result = True  # operators the fake does not model match everything
    else:
        result = _contains(words, _words(term))
    return result != negate


def _matches(query: str, body: Body) -> bool:
    terms = re.findall(r'-?"[^"]*"|\S+', query.replace("(", " ").replace(")", " "))
    clauses: list[list[str]] = [[]]
    for term in terms:
        if term == "OR":
            clauses.append([])
        else:
            clauses[-1].append(term)
    return any(clause and all(_term_matches(t, body) for t in clause) for clause in clauses)


def _parse_time(value: str) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def search(store: Store, query: Mapping[str, str], recent: bool) -> tuple[dict[str, Any], int]:
    text = query.get("query", "")
    if not text.strip():
        return _invalid("The `query` query parameter can not be empty", "query"), 400
    low, high = (10, 100) if recent else (10, 500)
    raw_max = query.get("max_results", "10")
    if not raw_max.isdigit() or not low <= int(raw_max) <= high:
        return _invalid(f"The `max_results` query parameter value [{raw_max}] is not between {low} and {high}",
                        "max_results", raw_max), 400
    max_results = int(raw_max)
    now = dt.datetime.fromtimestamp(store.clock(), dt.UTC)
    window: dict[str, dt.datetime] = {}
    for name in ("start_time", "end_time"):
        if query.get(name):
            moment = _parse_time(query[name])
            if moment is None:
                return _invalid(f"Invalid '{name}':'{query[name]}'.", name, query[name]), 400
            window[name] = moment
    if recent:
        earliest = now - dt.timedelta(days=7)
        if "start_time" in window and window["start_time"] < earliest:
            stamp = earliest.strftime("%Y-%m-%dT%H:%MZ")
            return _invalid(f"Invalid 'start_time':'{query['start_time']}'. 'start_time' must be on or after {stamp}",
                            "start_time", query["start_time"]), 400
        window.setdefault("start_time", earliest)
    hits = []
    for body in store.live_posts():
        created = parse_created_at(body["created_at"])
        if "start_time" in window and created < window["start_time"]:
            continue
        if "end_time" in window and created >= window["end_time"]:
            continue
        if _matches(text, body):
            hits.append(body)
    hits.sort(key=lambda b: snowflake_ms(b["id_str"]), reverse=True)
    token = query.get("next_token") or query.get("pagination_token") or ""
    offset = _decode_token(token)
    page = hits[offset:offset + max_results]
    if not page:
        return {"meta": {"result_count": 0}}, 200
    fields = _fields(query, "tweet.fields")
    payload: dict[str, Any] = {"data": [tweet_object(b, fields) for b in page]}
    if "author_id" in _fields(query, "expansions"):
        users: dict[str, Any] = {}
        for b in page:
            if "user" in b:
                users.setdefault(b["user"]["id_str"], _user_object(b["user"], _fields(query, "user.fields")))
        payload["includes"] = {"users": list(users.values())}
    meta: dict[str, Any] = {"newest_id": page[0]["id_str"], "oldest_id": page[-1]["id_str"], "result_count": len(page)}
    if offset + max_results < len(hits):
        meta["next_token"] = _encode_token(offset + max_results)
    payload["meta"] = meta
    return payload, 200


def _encode_token(offset: int) -> str:
    return base64.b32encode(f"fakeweb:{offset}".encode()).decode().rstrip("=").lower()


def _decode_token(token: str) -> int:
    if not token:
        return 0
    try:
        raw = base64.b32decode(token.upper() + "=" * (-len(token) % 8)).decode()
        return max(0, int(raw.split(":", 1)[1]))
    except (ValueError, IndexError):
        return 0


# ------------------------------------------------------------------------------------------ Wayback CDX

CDX_FIELDS = ["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"]


def _captures(store: Store) -> list[list[str]]:
    rows = []
    for _, body in store.all_posts():
        if "user" not in body:
            continue
        handle, pid = body["user"]["screen_name"], body["id_str"]
        first = dt.datetime.fromtimestamp(snowflake_ms(pid) / 1000, dt.UTC) + dt.timedelta(hours=2)
        for host, delay in (("twitter.com", 0), ("x.com", 1)):
            stamp = (first + dt.timedelta(days=delay)).strftime("%Y%m%d%H%M%S")
            original = f"https://{host}/{handle}/status/{pid}"
            surt = ",".join(reversed(host.split("."))) + f")/{handle.lower()}/status/{pid}"
            digest = base64.b32encode(hashlib.sha1(f"{original}{stamp}".encode()).digest()).decode()
            length = str(9000 + int(hashlib.sha1(original.encode()).hexdigest()[:4], 16) % 4000)
            rows.append([surt, stamp, original, "text/html", "200", digest, length])
    rows.sort()
    return rows


def cdx(store: Store, query: Mapping[str, str]) -> Response:
    url = re.sub(r"^https?://", "", query.get("url", "")).lower()
    url = re.sub(r"^(www|mobile|m)\.", "", url)
    prefix = url.endswith("*") or query.get("matchType") == "prefix"
    url = url.rstrip("*")
    host, _, path = url.partition("/")
    surt = ",".join(reversed(host.split("."))) + ")/" + path
    rows = [r for r in _captures(store) if (r[0].startswith(surt) if prefix else r[0] == surt.rstrip("/"))]
    for bound, keep in (("from", lambda r, v: r[1][: len(v)] >= v), ("to", lambda r, v: r[1][: len(v)] <= v)):
        if query.get(bound):
            rows = [r for r in rows if keep(r, query[bound])]
    if query.get("limit", "").lstrip("-").isdigit():
        rows = rows[: int(query["limit"])] if int(query["limit"]) >= 0 else rows[int(query["limit"]):]
    fields = [f for f in query.get("fl", "").split(",") if f in CDX_FIELDS] or CDX_FIELDS
    picked = [[r[CDX_FIELDS.index(f)] for f in fields] for r in rows]
    if query.get("output") == "json":
        # the real CDX server writes one row per line
        text = "[" + ",\n".join(json.dumps(r, separators=(",", ":")) for r in [fields, *picked]) + "]\n" if picked else "[]\n"
        return Response(200, text.encode(), "application/json")
    text = "".join(" ".join(r) + "\n" for r in picked)
    return Response(200, text.encode(), "text/plain; charset=utf-8")
