"""Each request searches within ``NEWS_SEARCH_TIME_BUDGET`` seconds: past it, a 503 with ``Retry-After``."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from index.cli import cli
from index.errors import BadConfiguration
from search import create_app, engine
from search.backends import open_backend
from search.budget import SearchTimeout, remaining, time_budget
from search.params import SearchParams

pytestmark = pytest.mark.served

#: A budget every search overruns: the first step of any search takes longer than a nanosecond.
SPENT = 1e-9


def client(index_dir, budget):
    return create_app({"TESTING": True, "INDEX": str(index_dir), "TIME_BUDGET": budget}).test_client()


@pytest.mark.parametrize("query", ["missiles", "mi*", '"storm shadow"', "missiles OR rates -bank"])
def test_a_search_over_its_budget_is_a_503_json_error_with_retry_after(index_dir, query):
    response = client(index_dir, SPENT).get("/api/search", query_string={"q": query})
    assert response.status_code == 503 and response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert error["code"] == "search_timeout" and "time budget" in error["message"]
    assert response.headers["Retry-After"] == "1"


def test_the_pages_and_the_feed_say_so_in_the_site_layout(index_dir):
    web = client(index_dir, SPENT)
    for url in ("/?q=missiles", "/search.atom?q=missiles", "/?q=mi*&sort=newest"):
        response = web.get(url)
        assert response.status_code == 503 and response.mimetype == "text/html", url
        assert "Search is not available right now" in response.text and "time budget" in response.text
        assert response.headers["Retry-After"] == "1"


def test_within_its_budget_a_search_answers_and_no_budget_outlives_its_request(index_dir):
    web = client(index_dir, 30)
    assert web.get("/api/search?q=missiles").get_json()["total"] > 0
    assert remaining() is None  # the request's budget ended with it
    assert client(index_dir, 0).get("/api/search?q=missiles").status_code == 200  # 0: no limit


def test_the_budget_applies_to_the_backend_wherever_it_is_searched(index_dir):
    with open_backend({"INDEX": str(index_dir)}) as backend, backend.snapshot() as snapshot:
        with time_budget(SPENT), pytest.raises(SearchTimeout):
            engine.search(snapshot, SearchParams(q="storm shadow"))
        with time_budget(60):
            assert engine.search(snapshot, SearchParams(q="storm shadow")).total > 0
        assert engine.search(snapshot, SearchParams(q="storm shadow")).total > 0


def test_the_command_line_has_no_budget(index_dir, monkeypatch):
    monkeypatch.setenv("NEWS_SEARCH_TIME_BUDGET", str(SPENT))
    result = CliRunner().invoke(cli, ["search", "missiles", "--index-dir", str(index_dir)])
    assert result.exit_code == 0 and "Storm Shadow" in result.output


@pytest.mark.parametrize("value", [-1, "soon", float("inf"), True])
def test_a_wrong_budget_stops_the_app_with_a_clear_message(index_dir, value):
    with pytest.raises(BadConfiguration, match="NEWS_SEARCH_TIME_BUDGET must be a number of seconds"):
        create_app({"TESTING": True, "INDEX": str(index_dir), "TIME_BUDGET": value})
