"""The request log: one JSON line per request on ``news_search.requests`` (no query text unless asked),
and a line with the query on ``news_search.slow`` past ``NEWS_SEARCH_SLOW_MS``; over the real app."""

from __future__ import annotations

import json
import logging

import pytest

from index.errors import BadConfiguration
from search import create_app

#: A threshold no request of these tests comes near, and one every request passes.
NEVER_SLOW, ALWAYS_SLOW = 10**9, 0


def lines(caplog, logger: str) -> list[dict]:
    return [json.loads(record.getMessage()) for record in caplog.records if record.name == logger]


def make_client(index_dir, **config):
    return create_app({"TESTING": True, "INDEX": str(index_dir), "SLOW_MS": NEVER_SLOW, **config}).test_client()


def test_each_request_is_one_json_line_without_the_query(index_dir, caplog):
    client = make_client(index_dir)
    with caplog.at_level(logging.INFO, logger="news_search"):
        searched = client.get("/api/search?q=storm+shadow&per_page=0")  # a 400
        page = client.get("/?q=missiles")
        client.post("/api/search", json={"q": "interest rates"})
        client.get("/no/such/page")
    logged = lines(caplog, "news_search.requests")
    assert [(line["method"], line["route"], line["status"], line["query_chars"]) for line in logged] == [
        ("GET", "api.search", 400, 12), ("GET", "web.search", 200, 8), ("POST", "api.search_by_body", 200, 14),
        ("GET", "unmatched", 404, 0)]
    for line in logged:
        assert set(line) == {"time", "request_id", "method", "route", "status", "took_ms", "query_chars"}
        assert line["time"].endswith("+00:00") and line["took_ms"] >= 0
    assert [line["request_id"] for line in logged[:2]] == [searched.headers["X-Request-ID"], page.headers["X-Request-ID"]]
    assert len({line["request_id"] for line in logged}) == 4
    text = caplog.text
    assert "storm" not in text and "missiles" not in text and "interest" not in text
    assert lines(caplog, "news_search.slow") == []


def test_a_client_request_id_is_kept_when_usable(index_dir, caplog):
    client = make_client(index_dir)
    with caplog.at_level(logging.INFO, logger="news_search"):
        kept = client.get("/api/health", headers={"X-Request-ID": "lb-7f3a:42"})
        replaced = client.get("/api/health", headers={"X-Request-ID": 'x" injected {'})
    assert kept.headers["X-Request-ID"] == "lb-7f3a:42"
    assert replaced.headers["X-Request-ID"] != 'x" injected {' and len(replaced.headers["X-Request-ID"]) == 32
    assert [line["request_id"] for line in lines(caplog, "news_search.requests")] == [
        "lb-7f3a:42", replaced.headers["X-Request-ID"]]


def test_queries_are_logged_when_asked(index_dir, caplog, monkeypatch):
    monkeypatch.setenv("NEWS_SEARCH_LOG_QUERIES", "1")
    client = create_app({"TESTING": True, "INDEX": str(index_dir)}).test_client()
    with caplog.at_level(logging.INFO, logger="news_search"):
        client.get("/api/search?q=storm+shadow")
        client.post("/api/search", json={"q": "interest rates"})
    assert [line["query"] for line in lines(caplog, "news_search.requests")] == ["storm shadow", "interest rates"]


def test_a_slow_request_is_logged_again_with_its_query(index_dir, caplog):
    client = make_client(index_dir, SLOW_MS=ALWAYS_SLOW)
    with caplog.at_level(logging.INFO, logger="news_search"):
        client.get("/api/search?q=storm+shadow&sort=newest&source=Westbridge+Herald")
    [request] = lines(caplog, "news_search.requests")
    [slow] = lines(caplog, "news_search.slow")
    assert "query" not in request
    assert slow == {**request, "slow_ms": 0, "query": "storm shadow",
                    "parameters": {"sort": "newest", "source": "Westbridge Herald"}}
    assert [record.levelname for record in caplog.records if record.name == "news_search.slow"] == ["WARNING"]


@pytest.mark.parametrize("setting", [{"SLOW_MS": -1}, {"SLOW_MS": "soon"}, {"LOG_QUERIES": "yes please"}])
def test_bad_log_settings_are_refused_at_start(index_dir, setting):
    with pytest.raises(BadConfiguration):
        create_app({"TESTING": True, "INDEX": str(index_dir), **setting})
