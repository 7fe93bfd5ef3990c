"""The JSON API, through Flask's test client and over real HTTP, checked against its OpenAPI document."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from index.cli import cli
from search.openapi import openapi_document

SEED_ID = "000_4f5c96a77bf8f4f4.txt"


def validator(schema_name: str) -> Draft202012Validator:
    """A validator for one of the OpenAPI document's component schemas."""
    resource = Resource.from_contents(openapi_document(), default_specification=DRAFT202012)
    registry = Registry().with_resource("urn:news-search", resource)
    return Draft202012Validator({"$ref": f"urn:news-search#/components/schemas/{schema_name}"}, registry=registry)


def assert_matches(schema_name: str, body: dict) -> None:
    errors = list(validator(schema_name).iter_errors(body))
    assert not errors, [error.message for error in errors]


def test_search_returns_the_seed_article_with_a_marked_snippet(client):
    response = client.get("/api/search?q=ATACMS")
    assert response.status_code == 200
    body = response.get_json()
    assert_matches("SearchResults", body)
    assert body["total"] == 1 and body["results"][0]["article_id"] == SEED_ID
    assert "<mark>ATACMS</mark>" in body["results"][0]["passages"][0]["snippet"]
    assert body["suggestion"] is None and body["warnings"] == []


@pytest.mark.parametrize("query", [
    "q=missiles", "q=missiles&group=passage&per_page=2&page=2", "", "q=missils", 'q="long range',
    "q=harbor&sort=oldest&from=2023-01-01&to=2024-12-31", "source=Northern%20Wire", "q=the",
])
def test_every_response_matches_the_openapi_schema(client, query):
    response = client.get(f"/api/search?{query}")
    assert response.status_code == 200
    assert_matches("SearchResults", response.get_json())


@pytest.mark.parametrize("query, parameter", [
    ("page=0", "page"), ("page=x", "page"), ("per_page=0", "per_page"), ("per_page=101", "per_page"),
    ("from=2024-13-01", "from"), ("to=yesterday", "to"), ("from=2024-12-01&to=2024-11-01", "from"),
    ("sort=best", "sort"), ("group=story", "group"), ("q=" + "a" * 1001, "q"), ("q=" + "word%20" * 65, "q"),
])
def test_wrong_parameters_get_400_and_the_json_error_body(client, query, parameter):
    response = client.get(f"/api/search?{query}")
    assert response.status_code == 400
    body = response.get_json()
    assert_matches("Error", body)
    assert body["error"]["code"] == "invalid_parameter" and body["error"]["parameter"] == parameter
    assert body["error"]["message"]


def test_article_endpoint(client):
    response = client.get(f"/api/articles/{SEED_ID}?q=missiles")
    assert response.status_code == 200
    body = response.get_json()
    assert_matches("Article", body)
    assert body["body"].startswith("President Joe Biden has reportedly authorized Ukraine")
    assert any(passage["matched"] for passage in body["passages"])
    for passage in body["passages"]:
        assert body["body"][passage["start"]:passage["end"]].startswith(passage["html"][:10].split("<")[0])


@pytest.mark.parametrize("article_id", [
    "nope", "../../etc/passwd", "..%2F..%2Fsetup.cfg", "a/b/c.txt", "%00", "x" * 3000, ".", "...",
])
def test_unknown_or_hostile_article_ids_are_404_json(client, article_id):
    response = client.get(f"/api/articles/{article_id}")
    assert response.status_code in (400, 404)
    assert_matches("Error", response.get_json())


def test_unknown_route_and_method_are_json(client):
    missing = client.get("/api/nothing")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"
    wrong_method = client.post("/api/search")
    assert wrong_method.status_code == 405 and wrong_method.get_json()["error"]["code"] == "method_not_allowed"


def test_related_endpoint(client):
    response = client.get(f"/api/articles/{SEED_ID}/related")
    assert response.status_code == 200
    body = response.get_json()
    assert_matches("Related", body)
    # "atacms" is in no other article, so it finds nothing and is no key term.
    assert body["article_id"] == SEED_ID and "missiles" in body["key_terms"] and "atacms" not in body["key_terms"]
    found = [hit["article_id"] for hit in body["results"]]
    assert SEED_ID not in found and found[0] == "https://herald.example/world/storm-shadow"
    missing = client.get("/api/articles/nope/related")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"


def test_health(client):
    body = client.get("/api/health").get_json()
    assert_matches("Health", body)
    assert body["status"] == "ok" and body["articles"] == 7 and body["passages"] > 7


def test_missing_index_is_a_json_error(tmp_path):
    from search import create_app

    client = create_app({"TESTING": True, "INDEX": str(tmp_path / "none")}).test_client()
    response = client.get("/api/search?q=x")
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "index_not_found"


def test_openapi_document_describes_every_route(client):
    document = client.get("/api/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    assert set(document["paths"]) == {"/api/search", "/api/articles/{article_id}", "/api/articles/{article_id}/related",
                                      "/search.atom", "/api/health", "/api/openapi.json"}
    names = {parameter["name"] for parameter in document["paths"]["/api/search"]["get"]["parameters"]}
    assert names == {"q", "page", "per_page", "from", "to", "source", "sort", "group", "collapse"}
    feed_names = {parameter["name"] for parameter in document["paths"]["/search.atom"]["get"]["parameters"]}
    assert feed_names == names
    assert list(document["paths"]["/search.atom"]["get"]["responses"]["200"]["content"]) == ["application/atom+xml"]


def test_security_headers(client):
    response = client.get("/api/search?q=x")
    assert "script-src" not in response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_cli_search_json_prints_the_api_body(client, runner, index_dir):
    result = runner.invoke(cli, ["search", "missiles", "--json", "--index-dir", str(index_dir), "--limit", "5"])
    assert result.exit_code == 0, result.output
    from_cli = json.loads(result.output)
    from_api = client.get("/api/search?q=missiles&per_page=5").get_json()
    from_cli.pop("took_ms"), from_api.pop("took_ms")
    assert from_cli == from_api


def test_cli_search_text_and_errors(runner, index_dir):
    result = runner.invoke(cli, ["search", "ATACMS", "--index-dir", str(index_dir)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("1 article, relevance first") and "**ATACMS**" in result.output
    bad_date = runner.invoke(cli, ["search", "x", "--from", "nope", "--index-dir", str(index_dir)])
    assert bad_date.exit_code == 2 and "--from" in bad_date.output


def test_live_server_over_http(live_server):
    with urllib.request.urlopen(f"{live_server}/api/search?q=ATACMS") as response:
        body = json.load(response)
    assert body["results"][0]["article_id"] == SEED_ID
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(f"{live_server}/api/search?per_page=0")
    assert error.value.code == 400 and json.load(error.value)["error"]["parameter"] == "per_page"


@pytest.mark.parametrize("query, parameter", [
    ("page=1_0", "page"), ("page=%D9%A3", "page"), ("per_page=%EF%BC%95", "per_page"),
    ("from=20240101", "from"), ("to=2024-W01-1", "to"),
])
def test_parameters_are_read_strictly(client, query, parameter):
    response = client.get(f"/api/search?{query}")
    assert response.status_code == 400 and response.get_json()["error"]["parameter"] == parameter


def test_source_facet_counts_case_variants_together(tmp_path):
    from index.articles import Article
    from index.writer import update_index
    from search import create_app

    body = "Grain shipments from the northern ports rose for a third month in a row."
    update_index(tmp_path, [Article(id=str(n), title="Grain", body=body, path=f"{n}.txt", source=source)
                            for n, source in enumerate(["Reuters", "reuters", "AP"])])
    client = create_app({"TESTING": True, "INDEX": str(tmp_path)}).test_client()
    facets = client.get("/api/search?q=grain").get_json()["facets"]["source"]
    assert facets == [{"value": "Reuters", "count": 2}, {"value": "AP", "count": 1}]
    assert client.get("/api/search?q=grain&source=REUTERS&collapse=none").get_json()["total"] == 2  # copies


def test_article_ids_with_slashes_and_dots_are_served(tmp_path):
    from index.articles import Article
    from index.writer import update_index
    from search import create_app

    body = "The river authority opened a new lock on the canal after two years of work."
    ids = ["/2024/11/story", "a//b", "x/../y", "with space & ?mark#1"]
    update_index(tmp_path, [Article(id=i, title="Canal", body=body, path=f"{n}.txt") for n, i in enumerate(ids)])
    client = create_app({"TESTING": True, "INDEX": str(tmp_path)}).test_client()
    from urllib.parse import quote
    for article_id in ids:
        response = client.get("/api/articles/" + quote(article_id, safe="/"))
        assert response.status_code == 200, article_id
        assert response.get_json()["article_id"] == article_id
