"""The flood benchmark's own parts: its costly queries are the ones the service counts as costly,
its ordinary ones are not, and a short flood against the real service under gunicorn is answered
with results or 429s, never a server error. Nothing here is timed."""

from __future__ import annotations

from pathlib import Path

from benchmarks.flood import costly_queries, run_phase
from benchmarks.speed import free_port, make_queries, start_service, stop_service
from index.schema import SCHEMA
from search.fairness import is_costly
from search.query import read_query
from tests.test_speed_benchmark import TITLES


def test_the_costly_queries_are_costly_and_the_ordinary_ones_are_not():
    assert all(is_costly(read_query(query, SCHEMA)) for query in costly_queries())
    assert not any(is_costly(read_query(query, SCHEMA)) for query in make_queries(TITLES, count=30))
    assert any(query.endswith("*") for query in costly_queries()) and any(" OR " in q for q in costly_queries())


def test_a_short_flood_gets_answers_or_429s_and_never_a_server_error(index_dir: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("NEWS_SEARCH_COSTLY_SHARE", "0.000001")  # so that the share binds at once
    port = free_port()
    service = start_service(index_dir, port, tmp_path / "gunicorn.log", cache=0)
    try:
        outcomes = run_phase(port, 2.0, {"ordinary": (2, ["missiles", "interest rates", "marathon"]),
                                         "costly": (2, ["mi*", "ra*"])})
    finally:
        stop_service(service)
    ordinary, costly = outcomes["ordinary"], outcomes["costly"]
    assert set(ordinary.statuses) == {200} and sum(ordinary.statuses.values()) > 0
    assert set(costly.statuses) <= {200, 429} and costly.statuses[429] > 0
    assert len(ordinary.latencies) == ordinary.summary()["requests"]
