"""The service's metrics, in Prometheus's text format at ``/metrics`` (with ``prometheus_client``).

* :class:`Metrics` -- one app's counters: requests by route and status, their latency, the results
  cache's hits and misses;
* :func:`index_families` -- what the index holds, read from the snapshot the scrape borrows: whether it
  answers, its generation, articles, passages and the seconds since its last commit;
* :data:`bp` -- the ``/metrics`` route.

Under gunicorn every worker is a process with its own counters, and a scrape reaches one of them. With
``PROMETHEUS_MULTIPROC_DIR`` naming an empty directory when the service starts, ``prometheus_client``
keeps each worker's counters in a file there and a scrape adds up every worker's, those of workers
that have since been replaced included, so the totals only ever grow, as Prometheus expects of a
counter. Without it (one process: ``news-search serve``, the tests) the counters are the process's.
The index's figures are read at each scrape, not kept: every worker serves the same index.
"""

from __future__ import annotations

import os
import time
from datetime import datetime, timezone

from flask import Blueprint, Response, current_app, g, request
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from index.errors import BadConfiguration, NewsSearchError
from search.backend import Snapshot

#: Prometheus's text format, version 0.0.4: what ``generate_latest`` writes for our names, and what every
#: Prometheus release reads (``prometheus_client``'s own default now announces 1.0.0, Prometheus 3's).
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
#: The environment variable that puts ``prometheus_client`` in multiprocess mode, naming its directory.
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"

bp = Blueprint("metrics", __name__)


class Metrics:
    """One app's request and cache counters, kept in *registry* (in multiprocess mode, in files too)."""

    def __init__(self) -> None:
        where = os.environ.get(MULTIPROCESS_DIR)
        if where is not None and not os.path.isdir(where):
            raise BadConfiguration(f"{MULTIPROCESS_DIR} names {where!r}, which is not a directory; make it "
                                   "(empty) before the service starts")
        self.multiprocess_dir = where
        self.registry = CollectorRegistry()
        self.requests = Counter("news_search_requests", "Requests answered, by route (the Flask endpoint) and "
                                "HTTP status", ["route", "status"], registry=self.registry)
        self.latency = Histogram("news_search_request_duration_seconds", "Time to answer a request, by route",
                                 ["route"], registry=self.registry)
        self.cache_hits = Counter("news_search_results_cache_hits", "Searches answered from the results cache",
                                  registry=self.registry)
        self.cache_misses = Counter("news_search_results_cache_misses",
                                    "Searches looked up in the results cache and computed", registry=self.registry)

    def count_lookup(self, hit: bool) -> None:
        """Count one lookup in the results cache (:class:`search.cache.ResultsCache`'s ``on_lookup``)."""
        (self.cache_hits if hit else self.cache_misses).inc()

    def count_request(self, route: str, status: int, seconds: float) -> None:
        """Count one answered request."""
        self.requests.labels(route, str(status)).inc()
        self.latency.labels(route).observe(seconds)

    def exposition(self, index: list[GaugeMetricFamily]) -> bytes:
        """The text a scrape gets: every worker's counters (one process's, outside multiprocess mode)
        and the *index* figures."""
        registry = CollectorRegistry()
        if self.multiprocess_dir is not None:
            MultiProcessCollector(registry, self.multiprocess_dir)
        else:
            registry.register(_Families(list(self.registry.collect())))
        registry.register(_Families(index))
        return generate_latest(registry)


class _Families:
    """A collector of metric families already gathered."""

    def __init__(self, families: list) -> None:
        self.families = families

    def collect(self):
        return self.families


def index_families(snapshot: Snapshot | None) -> list:
    """What the index holds, as gauges; only ``news_search_index_up 0`` when *snapshot* is ``None``
    (the index could not be opened or read)."""
    up = GaugeMetricFamily("news_search_index_up", "1 when the index answers, 0 when it is missing or damaged")
    up.add_metric([], 0 if snapshot is None else 1)
    if snapshot is None:
        return [up]
    health = snapshot.health()
    families = [up]
    if health.generation is not None:
        families.append(GaugeMetricFamily("news_search_index_generation", "The served index's committed generation",
                                          value=health.generation))
    families += [
        GaugeMetricFamily("news_search_index_articles", "Articles in the served index", value=health.articles),
        GaugeMetricFamily("news_search_index_passages", "Passages in the served index", value=health.passages),
        GaugeMetricFamily("news_search_index_seconds_since_commit", "Seconds since the served index was committed",
                          value=(datetime.now(timezone.utc) - snapshot.updated()).total_seconds()),
    ]
    return families


def metrics() -> Metrics:
    """The app's metrics."""
    return current_app.extensions["news_search_metrics"]


def start_timer() -> None:
    """Note when the request began (the first thing every request does)."""
    g.started = time.perf_counter()


def count_response(response: Response) -> Response:
    """Count the answered request by route and status, with its time."""
    started = g.get("started")
    if started is not None:
        metrics().count_request(request.endpoint or "unmatched", response.status_code, time.perf_counter() - started)
    return response


@bp.get("/metrics")
def scrape():
    """The service's metrics in Prometheus's text format; 200 even when the index is missing or
    damaged (``news_search_index_up 0``), so that its errors can be seen."""
    from search import api

    snapshot = None
    try:
        snapshot = api.current_snapshot()
        index = index_families(snapshot)
    except NewsSearchError:
        index = index_families(None)
    except api.backend().read_errors as error:
        if snapshot is None or api.backend().damage(error, snapshot) is None:
            raise
        index = index_families(None)
    return Response(metrics().exposition(index), content_type=CONTENT_TYPE)
