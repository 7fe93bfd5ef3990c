"""``explain=1`` and ``--explain``: each result carries the components of its score, which add up to it."""

from __future__ import annotations

import json

import pytest

from search import create_app
from index.cli import cli
from tests.test_api import assert_matches

pytestmark = pytest.mark.served

QUERIES = ["missiles", "missiles winter", "russian missile strikes on ukraine power grid", "missil*"]


def validate(body: dict) -> None:
    assert_matches("SearchResults", body)


def total_of(explanation: dict) -> float:
    parts = sum(explanation.get("article_bm25", {}).values())
    parts += sum(explanation.get(name, 0.0) for name in
                 ("passage_evidence", "passage_score", "article_relevance", "coverage", "proximity"))
    return parts * explanation["recency"]


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("extra", ["", "&group=passage", "&sort=newest", "&recency=10"])
def test_the_components_add_up_to_the_score_and_the_order_is_unchanged(client, query, extra):
    plain = client.get(f"/api/search?q={query}{extra}").get_json()
    explained = client.get(f"/api/search?q={query}{extra}&explain=1").get_json()
    validate(explained)
    assert [hit["article_id"] for hit in explained["results"]] == [hit["article_id"] for hit in plain["results"]]
    assert [hit["score"] for hit in explained["results"]] == [hit["score"] for hit in plain["results"]]
    assert explained["results"]
    for hit in explained["results"]:
        explanation = hit["explanation"]
        assert explanation["total"] == hit["score"]
        assert total_of(explanation) == pytest.approx(hit["score"], abs=1e-4)
    assert all("explanation" not in hit for hit in plain["results"])


def test_a_relevance_explanation_names_each_word_and_the_all_words_tier(client):
    hit = client.get("/api/search?q=missiles+winter&explain=1").get_json()["results"][0]
    explanation = hit["explanation"]
    assert set(explanation["article_bm25"]) == {"missil", "winter"}
    assert explanation["all_words"] is True and explanation["recency"] == 1.0


def test_post_takes_explain_as_a_boolean(client):
    body = client.post("/api/search", json={"q": "missiles", "explain": True}).get_json()
    validate(body)
    assert all("explanation" in hit for hit in body["results"])
    wrong = client.post("/api/search", json={"q": "missiles", "explain": "yes"})
    assert wrong.status_code == 400 and wrong.get_json()["error"]["parameter"] == "explain"


def test_a_bounded_prefix_names_its_words_and_the_limit(index_dir):
    app = create_app({"TESTING": True, "INDEX": str(index_dir), "MAX_EXPANSIONS": 2})
    body = app.test_client().get("/api/search?q=mi*&explain=1").get_json()
    expansions = [hit["explanation"].get("expansions") for hit in body["results"]]
    assert body["warnings"]
    assert expansions[0][0]["pattern"] == "mi*" and expansions[0][0]["limit"] == 2
    assert len(expansions[0][0]["words"]) == 2


def test_the_cli_explains_in_text_and_json(runner, index_dir):
    text = runner.invoke(cli, ["search", "missiles winter", "--explain", "--index-dir", str(index_dir)])
    assert text.exit_code == 0, text.output
    assert "bm25(missil)=" in text.output and "all_words=True" in text.output
    as_json = runner.invoke(cli, ["search", "missiles", "--explain", "--json", "--index-dir", str(index_dir)])
    assert as_json.exit_code == 0, as_json.output
    assert all("explanation" in hit for hit in json.loads(as_json.output)["results"])


def test_a_word_typed_twice_weighs_more_in_every_article_that_holds_it(client):
    """A query that names a word twice is about it: that word's part of each article's score grows by
    :func:`~search.query.repeat_weight` against the others'."""
    from search.query import repeat_weight

    def parts(query: str) -> dict[str, dict[str, float]]:
        body = client.get(f"/api/search?q={query}&explain=1").get_json()
        return {hit["article_id"]: hit["explanation"]["article_bm25"] for hit in body["results"]}

    once, twice = parts("missiles winter"), parts("missiles winter missiles")
    both = [article for article, words in once.items() if words.get("missil") and words.get("winter")]
    assert both and repeat_weight(2) > 1.2
    for article in both:
        ratio = twice[article]["missil"] / twice[article]["winter"]
        assert ratio == pytest.approx(repeat_weight(2) * once[article]["missil"] / once[article]["winter"], rel=1e-6)
