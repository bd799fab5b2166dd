"""Operations: ``/api/v1/health``, ``/api/v1/stats`` and Prometheus text at ``/metrics``."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pymongo
from fastapi import APIRouter, Depends, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from pymongo.errors import PyMongoError

from receipts.api.auth import require_read
from receipts.api.timeouts import DeadlineRoute
from receipts.db.archive import Archive
from receipts.db.jobs import STATUSES, JobQueue
from receipts.db.stats import crawls_started_since, events_since, jobs_finished_since, totals
from receipts.models import utcnow

router = APIRouter(route_class=DeadlineRoute, tags=["ops"])

FINISHED_BAD = ("failed",)


def compute_stats(archive: Archive, window: float = 3600.0) -> dict[str, Any]:
    """Queue depth per status and the last *window* seconds of crawling."""
    now = utcnow()
    since = now - timedelta(seconds=window)
    depth = JobQueue(archive).depth()
    crawls = crawls_started_since(archive, since)
    finished = [c for c in crawls if c.get("status") != "running"]
    failed = [c for c in finished if c.get("status") in FINISHED_BAD]
    jobs_finished = jobs_finished_since(archive, since)
    jobs_failed = [j for j in jobs_finished if j.get("status") == "failed"]
    posts = sum(int((c.get("stats") or {}).get("posts", 0)) for c in finished)
    events = events_since(archive, since)
    return {
        "generated_at": now.isoformat().replace("+00:00", "Z"),
        "window_seconds": window,
        "queue": {s: depth.get(s, 0) for s in STATUSES},
        "last_hour": {
            "crawls": len(crawls), "crawls_finished": len(finished), "crawls_failed": len(failed),
            "crawl_error_rate": round(len(failed) / len(finished), 4) if finished else 0.0,
            "posts_fetched": posts, "jobs_finished": len(jobs_finished), "jobs_failed": len(jobs_failed),
            "job_error_rate": round(len(jobs_failed) / len(jobs_finished), 4) if jobs_finished else 0.0,
            "events": events,
        },
        "totals": totals(archive),
    }


HEALTH_PING_S = 3.0


@router.get("/api/v1/health")
def health(request: Request, response: Response) -> dict[str, Any]:
    """Liveness and readiness: the database answers, the scheduler and workers run."""
    archive: Archive = request.app.state.archive
    checks: dict[str, Any] = {}
    try:
        with pymongo.timeout(HEALTH_PING_S):  # an outage answers 503 promptly, not after server selection
            archive.db.command("ping")
        checks["database"] = "ok"
    except PyMongoError as exc:
        checks["database"] = f"error: {exc.__class__.__name__}"
    daemon = getattr(request.app.state, "daemon", None)
    if daemon is not None:
        checks.update(daemon.health())
    ok = checks["database"] == "ok" and all(v in ("ok", "draining") or not isinstance(v, str)
                                            for k, v in checks.items() if k != "database")
    if not ok:
        response.status_code = 503
    started = getattr(request.app.state, "started_at", None)
    return {"status": "ok" if ok else "unavailable", "checks": checks,
            "uptime_seconds": round(time.monotonic() - started, 3) if started else None}


@router.get("/api/v1/stats", dependencies=[Depends(require_read)])
def stats(request: Request) -> dict[str, Any]:
    out = compute_stats(request.app.state.archive)
    daemon = getattr(request.app.state, "daemon", None)
    if daemon is not None:
        out["workers"] = {"size": daemon.pool.size, "busy": daemon.pool.busy_count, "alive": daemon.pool.alive()}
    return out


class _StatsCollector:
    """Computes the gauges at scrape time from the database."""

    def __init__(self, request: Request) -> None:
        self.request = request

    def collect(self) -> Any:
        data = compute_stats(self.request.app.state.archive)
        queue = GaugeMetricFamily("receipts_jobs", "Crawl jobs by status", labels=["status"])
        for status, n in data["queue"].items():
            queue.add_metric([status], n)
        yield queue
        hour = data["last_hour"]
        for key, help_ in (("crawls", "Crawls started in the last hour"),
                           ("crawls_failed", "Crawls failed in the last hour"),
                           ("posts_fetched", "Posts fetched in the last hour"),
                           ("jobs_failed", "Jobs failed for good in the last hour"),
                           ("events", "Change events in the last hour")):
            yield GaugeMetricFamily(f"receipts_{key}_last_hour", help_, value=hour[key])
        yield GaugeMetricFamily("receipts_crawl_error_rate", "Failed / finished crawls, last hour",
                                value=hour["crawl_error_rate"])
        for key, n in data["totals"].items():
            yield GaugeMetricFamily(f"receipts_{key}", f"Stored {key}", value=n)
        daemon = getattr(self.request.app.state, "daemon", None)
        if daemon is not None:
            yield GaugeMetricFamily("receipts_workers", "Worker slots", value=daemon.pool.size)
            yield GaugeMetricFamily("receipts_workers_busy", "Workers running a job", value=daemon.pool.busy_count)
            view = daemon.leadership.view()  # issue 15: many daemons, one leader (as last seen, no database call)
            yield GaugeMetricFamily("receipts_daemons_alive", "Daemons with a fresh heartbeat on this database",
                                    value=view["daemons_alive"])
            yield GaugeMetricFamily("receipts_daemon_is_leader", "1 if this daemon runs the schedules",
                                    value=1 if view["is_leader"] else 0)
            leader = GaugeMetricFamily("receipts_leader", "The daemon holding the leader lease", labels=["daemon"])
            if view["leader"]:
                leader.add_metric([view["leader"]], 1)
            yield leader


@router.get("/metrics", dependencies=[Depends(require_read)])
def metrics(request: Request) -> Response:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_StatsCollector(request))  # type: ignore[arg-type]
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
