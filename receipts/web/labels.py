"""Human labels and one-line explanations for every state, verdict, status and event the UI shows.

The templates never print a raw code alone: ``label(kind, code)`` is the words on the badge and
``explain(kind, code)`` its tooltip and legend line. Unknown codes fall back to the code itself.
"""

from __future__ import annotations

Entry = tuple[str, str]

POST_STATES: dict[str, Entry] = {
    "live": ("live", "The post was still online at the last check."),
    "edited": ("edited", "The author changed the post after it was first archived; every version is kept."),
    "deleted": ("deleted", "The platform says the post no longer exists; the archived copy is kept."),
    "unavailable": ("unavailable", "The post exists but cannot be seen (private, suspended or withheld account)."),
    "error": ("check failed", "The last check could not reach the platform; the last archived state stands."),
    "unresolved": ("not matched", "The article quotes or names a post that could not be identified."),
    "missing": ("not archived", "The post is named but was not fetched (see the reason)."),
}
REFERENCE_STATUSES: dict[str, Entry] = {
    "archived": ("archived", "The post was fetched and stored with this crawl."),
    "deleted": ("deleted", "The platform answered that the post is gone."),
    "unavailable": ("unavailable", "The platform answered that the post cannot be seen."),
    "unresolved": ("not matched", "No post could be identified for this quote or attribution."),
    "skipped": ("skipped", "Not fetched: the article cites more posts than the crawl limit."),
    "error": ("error", "The fetch failed; the next re-check tries again."),
}
REFERENCE_KINDS: dict[str, Entry] = {
    "embed": ("embed", "The article embeds the post (a widget or blockquote)."),
    "link": ("link", "The article links to the post."),
    "media_link": ("media link", "The article links to the post's photo or video."),
    "attribution": ("quote", "The article quotes or attributes words to an account without a link."),
}
VERDICTS: dict[str, Entry] = {
    "exact": ("exact quote", "The words the article shows are exactly the post's words."),
    "equivalent": ("same words", "The same words as the post, up to spacing, punctuation or case."),
    "excerpt": ("faithful excerpt", "The article shows part of the post's words, unchanged."),
    "edited_since": ("edited since quoted", "The post was changed after the article quoted it."),
    "altered": ("quote altered", "The article's version of the post differs from what the post said."),
    "misattributed": ("misattributed", "The quoted words belong to a different account than the article says."),
    "deleted": ("post deleted", "The quoted post has been deleted since."),
    "unavailable": ("post unavailable", "The quoted post can no longer be seen."),
    "unverified": ("not verified", "The article shows no text to compare, or the post has none."),
}
JOB_STATUSES: dict[str, Entry] = {
    "queued": ("queued", "Waiting for a free crawl worker."),
    "running": ("running", "A worker is crawling the article and its posts now."),
    "done": ("done", "Finished: the article and its posts are archived."),
    "failed": ("failed", "Gave up after its retries; the error says why."),
}
CRAWL_STATUSES: dict[str, Entry] = {
    "running": ("running", "The crawl is under way."),
    "done": ("done", "Every reference was fetched."),
    "done_with_errors": ("done, some errors", "Finished, but some posts could not be fetched."),
    "failed": ("failed", "The article itself could not be fetched."),
    "degraded": ("done, database hiccup", "MongoDB was briefly unreachable; entries went through the spool."),
    "interrupted": ("interrupted", "Stopped before the end (shutdown); unfinished posts are errors."),
}
EVENTS: dict[str, Entry] = {
    "post_deleted": ("post deleted", "A cited post was deleted on the platform."),
    "post_unavailable": ("post gone unavailable", "A cited post became private, withheld or suspended."),
    "post_restored": ("post restored", "A post that was gone is visible again."),
    "post_edited": ("post edited", "The author changed a cited post's text."),
    "media_changed": ("media changed", "A cited post's photos or videos changed."),
    "article_changed": ("article changed", "The article's page changed since the last crawl."),
    "embed_removed": ("embed removed", "The article no longer embeds or links a post it used to."),
    "embed_added": ("embed added", "The article now embeds or links a new post."),
    "quote_changed": ("quote check changed", "The verdict on a quote changed."),
}
ARTICLE_FLAGS: dict[str, Entry] = {
    "cites_deleted": ("cites a deleted post", "At least one post this article cites has been deleted since."),
    "cites_edited": ("cites an edited post", "At least one post this article cites was edited after archiving."),
}

TABLES: dict[str, dict[str, Entry]] = {
    "state": POST_STATES, "ref_status": REFERENCE_STATUSES, "kind": REFERENCE_KINDS, "verdict": VERDICTS,
    "job": JOB_STATUSES, "crawl": CRAWL_STATUSES, "event": EVENTS, "flag": ARTICLE_FLAGS,
}
LEGEND: list[tuple[str, str, dict[str, Entry]]] = [
    ("state", "Post status", POST_STATES), ("verdict", "Quote check", VERDICTS), ("kind", "Reference kind",
                                                                               REFERENCE_KINDS),
    ("flag", "Article badges", ARTICLE_FLAGS), ("job", "Crawl jobs", JOB_STATUSES), ("event", "Changes", EVENTS),
]


def _entry(kind: str, code: str | None) -> Entry:
    code = code or ""
    return TABLES.get(kind, {}).get(code) or (code.replace("_", " ") or "unknown", "")


def label(kind: str, code: str | None) -> str:
    """The words for *code* (e.g. ``label("verdict", "edited_since")`` → "edited since quoted")."""
    return _entry(kind, code)[0]


def explain(kind: str, code: str | None) -> str:
    """One line saying what *code* means ("" when unknown)."""
    return _entry(kind, code)[1]
