"""``/outlets/<domain>``: what one outlet's archived articles cite, and how much of it changed since.

Counts (articles, posts cited, later deleted, edited) and a small bar chart per month, drawn as SVG
by the server (no script, no stylesheet of its own: presentation attributes only).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from receipts.api.routes_archive import archive_of
from receipts.api.timeouts import DeadlineRoute
from receipts.db.dates import as_utc
from receipts.db.desk import outlet_articles, post_statuses
from receipts.exports.records import article_summary
from receipts.queries import DOMAIN_RE
from receipts.web.login import require_read_ui
from receipts.web.routes import not_found, page

CHART_W, CHART_H, PAD_L, PAD_B, PAD_T = 640, 200, 34, 34, 12
MAX_MONTHS = 24

router = APIRouter(route_class=DeadlineRoute, include_in_schema=False, dependencies=[Depends(require_read_ui)])


def _month(value: Any) -> str | None:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    moment = as_utc(value) if value else None
    return moment.strftime("%Y-%m") if moment else None


def _post_keys(doc: dict[str, Any]) -> set[str]:
    return {f"{r.get('platform') or 'x'}:{r['post_id']}" for r in doc.get("references") or [] if r.get("post_id")}


def chart(months: list[tuple[str, int, int]]) -> dict[str, Any]:
    """Bars per month: articles (full bar) and those citing a since-deleted or edited post (overlay)."""
    top = max((n for _, n, _ in months), default=0) or 1
    inner_w, inner_h = CHART_W - PAD_L - 8, CHART_H - PAD_B - PAD_T
    step = inner_w / max(len(months), 1)
    bars = []
    for i, (month, total, changed) in enumerate(months):
        h = inner_h * total / top
        hc = inner_h * changed / top
        x = PAD_L + i * step + step * 0.15
        bars.append({"x": round(x, 1), "w": round(step * 0.7, 1), "y": round(PAD_T + inner_h - h, 1),
                     "h": round(h, 1), "yc": round(PAD_T + inner_h - hc, 1), "hc": round(hc, 1), "month": month,
                     "total": total, "changed": changed, "label_x": round(x + step * 0.35, 1),
                     "show_label": len(months) <= 8 or i % max(len(months) // 6, 1) == 0})
    return {"w": CHART_W, "h": CHART_H, "bars": bars, "top": top, "base_y": PAD_T + inner_h, "pad_l": PAD_L,
            "top_y": PAD_T}


@router.get("/outlets/{domain}", response_class=HTMLResponse)
def outlet_page(domain: str, request: Request) -> HTMLResponse:
    domain = domain.strip().lower()
    if not DOMAIN_RE.fullmatch(domain):
        return not_found("Not an outlet domain.")
    archive = archive_of(request)
    docs = outlet_articles(archive, domain)
    if not docs:
        return not_found(f"No archived articles from {domain}.")
    keys = set().union(*(_post_keys(d) for d in docs))
    statuses = post_statuses(archive, keys)
    deleted = {k for k, p in statuses.items() if p.get("status") == "deleted"}
    unavailable = {k for k, p in statuses.items() if p.get("status") == "unavailable"}
    edited = {k for k, p in statuses.items() if p.get("edited") or p.get("is_edited")
              or len(p.get("versions") or []) > 1}
    per_month: Counter[str] = Counter()
    changed_month: Counter[str] = Counter()
    for d in docs:
        month = _month(d.get("published_at")) or _month(d.get("first_seen_at"))
        if month:
            per_month[month] += 1
            if _post_keys(d) & (deleted | edited):
                changed_month[month] += 1
    months = sorted(per_month)[-MAX_MONTHS:]
    counts = {"articles": len(docs), "posts": len(keys), "archived": len(statuses), "deleted": len(deleted),
              "edited": len(edited), "unavailable": len(unavailable),
              "articles_citing_changed": sum(1 for d in docs if _post_keys(d) & (deleted | edited))}
    recent = [article_summary(d) for d in docs[:25]]
    return page("outlet.html", title=domain, domain=domain, counts=counts, recent=recent,
                chart=chart([(m, per_month[m], changed_month[m]) for m in months]))
