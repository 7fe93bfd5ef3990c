"""``/metrics``: the service's counters and its index's figures in Prometheus's text format, read back
with ``prometheus_client``'s own parser; in one process, and summed over gunicorn's workers."""

from __future__ import annotations

import http.client
import shutil
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from benchmarks.speed import free_port, start_service, stop_service
from search import create_app
from tests.test_damaged_index import remove_file


def scrape(get) -> dict[tuple[str, tuple], float]:
    """Every sample of ``/metrics`` as ``{(name, sorted labels): value}``; *get* fetches a path's text."""
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(get("/metrics"))
            for sample in family.samples}


def client_text(client):
    def get(path: str) -> str:
        response = client.get(path)
        assert response.status_code == 200, response.status_code
        assert response.content_type == "text/plain; version=0.0.4; charset=utf-8"
        return response.text
    return get


def requests_of(samples: dict, route: str, status: int) -> float:
    return samples.get(("news_search_requests_total", (("route", route), ("status", str(status)))), 0)


def test_requests_are_counted_by_route_and_status_with_their_latency(index_dir):
    client = create_app({"TESTING": True, "INDEX": str(index_dir)}).test_client()
    for path in ["/api/search?q=missiles", "/api/search?q=missiles", "/api/search?q=rates", "/?q=marathon",
                 "/api/search?per_page=0", "/no/such/page"]:
        client.get(path)
    samples = scrape(client_text(client))
    assert requests_of(samples, "api.search", 200) == 3
    assert requests_of(samples, "api.search", 400) == 1
    assert requests_of(samples, "web.search", 200) == 1
    assert requests_of(samples, "unmatched", 404) == 1
    assert samples[("news_search_request_duration_seconds_count", (("route", "api.search"),))] == 4
    assert samples[("news_search_request_duration_seconds_bucket", (("le", "+Inf"), ("route", "api.search")))] == 4
    assert samples[("news_search_request_duration_seconds_sum", (("route", "api.search"),))] > 0
    # The page and the API share the cache: "missiles" once computed, then found; "rates", "marathon" computed.
    assert samples[("news_search_results_cache_hits_total", ())] == 1
    assert samples[("news_search_results_cache_misses_total", ())] == 3
    # The scrape counts itself once it is answered: the next one sees it.
    assert requests_of(scrape(client_text(client)), "metrics.scrape", 200) == 1


def test_the_index_figures_are_those_health_gives(index_dir):
    client = create_app({"TESTING": True, "INDEX": str(index_dir)}).test_client()
    health = client.get("/api/health").get_json()
    samples = scrape(client_text(client))
    assert samples[("news_search_index_up", ())] == 1
    assert samples[("news_search_index_generation", ())] == health["generation"]
    assert samples[("news_search_index_articles", ())] == health["articles"] == 7
    assert samples[("news_search_index_passages", ())] == health["passages"]
    assert samples[("news_search_index_seconds_since_commit", ())] >= 0


def test_a_damaged_index_is_down_in_the_metrics_which_still_answer(index_dir, tmp_path):
    damaged = tmp_path / "damaged"
    shutil.copytree(index_dir, damaged)
    remove_file(damaged)
    client = create_app({"TESTING": True, "INDEX": str(damaged)}).test_client()
    assert client.get("/api/search?q=missiles").status_code == 503
    samples = scrape(client_text(client))
    assert samples[("news_search_index_up", ())] == 0
    assert ("news_search_index_articles", ()) not in samples
    assert requests_of(samples, "api.search", 503) == 1


def test_a_missing_index_is_down_in_the_metrics(tmp_path):
    client = create_app({"TESTING": True, "INDEX": str(tmp_path / "none")}).test_client()
    assert scrape(client_text(client))[("news_search_index_up", ())] == 0


def test_gunicorn_workers_report_one_sum(index_dir: Path, tmp_path: Path, monkeypatch):
    """Two workers answer the searches; whichever answers a scrape reports what both counted."""
    counters = tmp_path / "metrics"
    counters.mkdir()
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(counters))
    port = free_port()
    service = start_service(index_dir, port, tmp_path / "gunicorn.log")

    def get(path: str) -> str:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)  # a new connection: any worker
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            body = response.read().decode()
            assert response.status == 200, (path, response.status, body)
            return body
        finally:
            connection.close()

    try:
        sent = 0
        while len(list(counters.glob("counter_*.db"))) < 2 and sent < 500:  # until both workers have answered
            get("/api/search?q=missiles")
            sent += 1
        assert len(list(counters.glob("counter_*.db"))) == 2, "one worker answered every request"
        for _ in range(10):
            samples = scrape(get)
            assert requests_of(samples, "api.search", 200) == sent
            assert samples[("news_search_results_cache_hits_total", ())] + \
                samples[("news_search_results_cache_misses_total", ())] == sent
            assert samples[("news_search_index_articles", ())] == 7
    finally:
        stop_service(service)
