"""``recency=DAYS``: relevance decays by half for each DAYS an article is older than the newest match."""

from __future__ import annotations

import json

import pytest
from bs4 import BeautifulSoup

from index.cli import cli

pytestmark = pytest.mark.served

SEED = "000_4f5c96a77bf8f4f4.txt"  # 2024-11-17, ranked above grid-attacks for "missiles" by relevance alone
GRID = "grid-attacks.txt"          # 2024-11-18


def ids(body: dict) -> list[str]:
    return [hit["article_id"] for hit in body["results"]]


def test_a_newer_article_of_similar_relevance_moves_above_an_older_one(client):
    before = ids(client.get("/api/search?q=missiles").get_json())
    assert before.index(SEED) < before.index(GRID)
    after = client.get("/api/search?q=missiles&recency=1&explain=1").get_json()
    assert ids(after).index(GRID) < ids(after).index(SEED)
    decay = {hit["article_id"]: hit["explanation"]["recency"] for hit in after["results"]}
    assert max(decay.values()) == 1.0  # the newest match is not decayed
    assert decay[GRID] == pytest.approx(0.25) and decay[SEED] == pytest.approx(0.125)  # 2 and 3 days behind
    assert after["total"] == client.get("/api/search?q=missiles").get_json()["total"]


def test_without_recency_the_ranking_is_the_same_as_before(client):
    plain = client.get("/api/search?q=missiles+winter").get_json()
    explained = client.get("/api/search?q=missiles+winter&explain=1").get_json()
    assert [(hit["article_id"], hit["score"]) for hit in plain["results"]] == \
           [(hit["article_id"], hit["score"]) for hit in explained["results"]]
    assert all(hit["explanation"]["recency"] == 1.0 for hit in explained["results"])


def test_recency_applies_only_to_relevance(client):
    newest = client.get("/api/search?q=missiles&sort=newest").get_json()
    assert client.get("/api/search?q=missiles&sort=newest&recency=1").get_json()["results"] == newest["results"]


@pytest.mark.parametrize("value", ["0", "-3", "soon", "1e9", "nan", "999999999"])
def test_a_wrong_recency_is_refused_naming_the_parameter(client, value):
    response = client.get(f"/api/search?q=missiles&recency={value}")
    assert response.status_code == 400
    assert response.get_json()["error"]["parameter"] == "recency"


def test_post_takes_recency_as_a_number(client):
    assert ids(client.post("/api/search", json={"q": "missiles", "recency": 1}).get_json()).index(GRID) < \
           ids(client.post("/api/search", json={"q": "missiles", "recency": 1}).get_json()).index(SEED)
    wrong = client.post("/api/search", json={"q": "missiles", "recency": "1"})
    assert wrong.status_code == 400 and wrong.get_json()["error"]["parameter"] == "recency"


def test_the_page_keeps_recency_in_its_links(client):
    page = BeautifulSoup(client.get("/?q=missiles&recency=1&per_page=1").text, "html.parser")
    assert page.select_one("a[rel=next]")["href"].count("recency=1") == 1


def test_the_cli_takes_recency_in_days(runner, index_dir):
    result = runner.invoke(cli, ["search", "missiles", "--recency", "1", "--json", "--index-dir", str(index_dir)])
    assert result.exit_code == 0, result.output
    found = ids(json.loads(result.output))
    assert found.index(GRID) < found.index(SEED)
    wrong = runner.invoke(cli, ["search", "missiles", "--recency", "0", "--index-dir", str(index_dir)])
    assert wrong.exit_code == 2 and "--recency" in wrong.output


def components(explanation: dict) -> list[float]:
    """The numbers an explanation adds up (before the decay): every part but ``recency`` and ``total``."""
    values = []
    for name, value in explanation.items():
        if name in ("recency", "total", "all_words", "expansions"):
            continue
        values += list(value.values()) if isinstance(value, dict) else [value]
    return values


@pytest.mark.parametrize("group", ["article", "passage"])
@pytest.mark.parametrize("query", ["", "missiles", "missil*"])
def test_a_decay_too_small_for_a_float_is_still_explained(client, query, group):
    # Half-lives of a minute and a half: an article days behind the newest decays below the smallest float.
    response = client.get("/api/search", query_string={"q": query, "group": group, "sort": "relevance",
                                                      "recency": "0.001", "explain": "1", "per_page": "50"})
    assert response.status_code == 200, response.data[:500]
    hits = response.get_json()["results"]
    assert hits
    if query == "missiles":
        assert any(hit["explanation"]["recency"] == 0.0 for hit in hits)
    for hit in hits:
        assert hit["explanation"]["total"] == hit["score"]
        if query and hit["explanation"]["recency"] == 0.0:
            assert max(components(hit["explanation"])) > 0  # the relevance the decay took away is still shown
