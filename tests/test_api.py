"""The JSON API, through Flask's test client and over real HTTP, checked against its OpenAPI document."""

from __future__ import annotations

import json
import unicodedata
import urllib.error
import urllib.request

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from index.cli import cli
from search.openapi import openapi_document

pytestmark = pytest.mark.served

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


def article_ids(client, **params) -> set[str]:
    body = client.get("/api/search", query_string={"per_page": 100, **params}).get_json()
    assert body["total"] == len(body["results"])
    return {hit["article_id"] for hit in body["results"]}


@pytest.mark.parametrize("q, excluded", [
    ("-missiles", ["missiles"]), ("NOT missiles", ["missiles"]), ("NOT kursk", ["kursk"]),
    ("-missiles -kursk", ["missiles", "kursk"]), ("NOT missiles NOT kursk", ["missiles", "kursk"]),
])
def test_a_query_of_exclusions_alone_finds_every_article_without_them(client, q, excluded):
    every = article_ids(client, collapse="none")
    holding = set().union(*(article_ids(client, q=word, collapse="none") for word in excluded))
    assert holding and holding < every
    for sort in ("relevance", "newest"):
        body = client.get("/api/search", query_string={"q": q, "per_page": 100, "collapse": "none", "sort": sort}).get_json()
        assert body["warnings"] == []
        assert {hit["article_id"] for hit in body["results"]} == every - holding, (q, sort)
    # Nothing to rank by: newest first unless asked otherwise, as an empty query lists.
    listed = client.get("/api/search", query_string={"q": q, "per_page": 100, "collapse": "none"}).get_json()
    newest = client.get("/api/search", query_string={"per_page": 100, "collapse": "none"}).get_json()
    assert listed["sort"] == "newest"
    assert [hit["article_id"] for hit in listed["results"]] == [
        hit["article_id"] for hit in newest["results"] if hit["article_id"] not in holding]


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
    wrong_method = client.put("/api/search")
    assert wrong_method.status_code == 405 and wrong_method.get_json()["error"]["code"] == "method_not_allowed"


def test_related_endpoint(client):
    response = client.get(f"/api/articles/{SEED_ID}/related")
    assert response.status_code == 200
    body = response.get_json()
    assert_matches("Related", body)
    # So few articles are too few for related coverage (search.whoosh_backend.related.MIN_ARTICLES);
    # tests/test_related.py checks the lists on a larger index.
    assert body["article_id"] == SEED_ID and body["key_terms"] == [] and body["results"] == []
    missing = client.get("/api/articles/nope/related")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"


def test_health(client):
    body = client.get("/api/health").get_json()
    assert_matches("Health", body)
    assert body["status"] == "ok" and body["articles"] == 7 and body["passages"] > 7


def test_health_shows_no_filesystem_path(client, index_dir, runner):
    response = client.get("/api/health")
    assert set(response.get_json()) - {"agents"} == {"status", "articles", "passages", "generation"}
    assert str(index_dir) not in response.text and "127.0.0.1" not in response.text and "index_dir" not in response.text
    assert "index_dir" not in validator("Health").schema and "index_dir" not in openapi_document()["components"][
        "schemas"]["Health"]["properties"]
    with_path = dict(response.get_json(), index_dir=str(index_dir))
    assert list(validator("Health").iter_errors(with_path)), "the document allows no more than the four figures"
    # The local admin command still says where the index is.
    stats = runner.invoke(cli, ["stats", "--json", "--index-dir", str(index_dir)])
    assert json.loads(stats.output)["index_dir"] == str(index_dir)


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
                                      "/search.atom", "/api/health", "/api/openapi.json", "/metrics"}
    names = {parameter["name"] for parameter in document["paths"]["/api/search"]["get"]["parameters"]}
    assert names == {"q", "page", "per_page", "from", "to", "source", "sort", "group", "collapse", "recency", "explain"}
    body = document["paths"]["/api/search"]["post"]["requestBody"]
    assert body["required"] and set(body["content"]) == {"application/json"}
    assert set(document["components"]["schemas"]["SearchRequest"]["properties"]) == names
    feed_names = {parameter["name"] for parameter in document["paths"]["/search.atom"]["get"]["parameters"]}
    assert feed_names == names
    assert list(document["paths"]["/search.atom"]["get"]["responses"]["200"]["content"]) == ["application/atom+xml"]


def test_security_headers(client):
    response = client.get("/api/search?q=x")
    assert "script-src" not in response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_cli_search_json_prints_the_api_body(client, runner, index_dir, backend_env):
    result = runner.invoke(cli, ["search", "missiles", "--json", "--index-dir", str(index_dir), "--limit", "5"],
                           env=backend_env)
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


def test_a_query_typed_with_separate_accents_finds_the_accented_words(tmp_path):
    from index.articles import Article
    from index.writer import update_index
    from search import create_app

    body = "Prime Minister Igor Matovič met Ana Stamenković in Bratislava on Tuesday."
    update_index(tmp_path, [Article(id="a", title="Talks in Bratislava", body=body, path="a.txt")])
    client = create_app({"TESTING": True, "INDEX": str(tmp_path)}).test_client()
    for q in ("Matovic\u030c", "Stamenkovic\u0301", '"Igor Matovic\u030c"'):
        body = client.get("/api/search", query_string={"q": q}).get_json()
        assert body["total"] == 1 and body["suggestion"] is None, q
        assert body["query"] == unicodedata.normalize("NFC", q)
        assert "<mark>" in body["results"][0]["passages"][0]["snippet"]


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


@pytest.mark.parametrize("url, parameter", [
    ("/api/search?q=missiles&limit=2", "limit"),
    ("/api/search?utm_source=newsletter", "utm_source"),
    ("/api/search?q=missiles&Page=2", "Page"),
    (f"/api/articles/{SEED_ID}?q=missiles&highlight=1", "highlight"),
    (f"/api/articles/{SEED_ID}?page=2", "page"),
    (f"/api/articles/{SEED_ID}/related?per_page=3", "per_page"),
    (f"/api/articles/{SEED_ID}/related?limit=3&q=missiles", "q"),
    ("/api/health?verbose=1", "verbose"), ("/api/openapi.json?format=yaml", "format"),
])
def test_unknown_parameters_get_400_naming_them(client, url, parameter):
    response = client.get(url)
    assert response.status_code == 400
    body = response.get_json()
    assert_matches("Error", body)
    assert body["error"]["code"] == "unknown_parameter" and body["error"]["parameter"] == parameter
    assert body["error"]["message"].startswith(f"unknown parameter {parameter}")


def test_a_hint_names_the_parameter_meant(client):
    message = client.get("/api/search?q=missiles&limit=2").get_json()["error"]["message"]
    assert "did you mean per_page?" in message


@pytest.mark.parametrize("url", [
    "/?q=missiles&utm_source=newsletter&fbclid=x", f"/articles/{SEED_ID}?q=missiles&utm_campaign=spring",
])
def test_pages_ignore_parameters_they_do_not_know(client, url):
    assert client.get(url).status_code == 200


def test_a_page_past_the_last_one_says_which_is_the_last(client):
    body = client.get("/api/search?q=missiles&per_page=1&page=9999").get_json()
    assert_matches("SearchResults", body)
    assert body["results"] == [] and body["page"] == 9999 and body["pages"] == body["total"] >= 2
    assert body["warnings"] == [f"There is no page 9999: the last page of these results is {body['pages']}."]
    last = client.get(f"/api/search?q=missiles&per_page=1&page={body['pages']}").get_json()
    assert len(last["results"]) == 1 and last["warnings"] == []
    nothing = client.get("/api/search?q=zzyzx&page=3").get_json()
    assert nothing["total"] == 0 and nothing["warnings"] == []  # no results at all: no page to point to


def post_search(client, body):
    """``POST /api/search`` with *body* as JSON (``null`` included)."""
    return client.post("/api/search", data=json.dumps(body), content_type="application/json")


@pytest.mark.parametrize("query", [
    {"q": "missiles"}, {"q": "missiles", "group": "passage", "per_page": 2, "page": 2}, {},
    {"q": "harbor", "sort": "oldest", "from": "2023-01-01", "to": "2024-12-31"}, {"source": "Northern Wire"},
    {"q": "missiles", "collapse": "none", "sort": None},
])
def test_post_search_answers_as_get_does(client, query):
    posted = post_search(client, query)
    assert posted.status_code == 200
    assert_matches("SearchResults", posted.get_json())
    got = client.get("/api/search", query_string={name: value for name, value in query.items() if value is not None})
    from_post, from_get = posted.get_json(), got.get_json()
    from_post.pop("took_ms"), from_get.pop("took_ms")
    assert from_post == from_get


def test_post_search_takes_a_query_too_long_for_a_url(client):
    q = " ".join(["missiles"] * 64)
    assert post_search(client, {"q": q}).get_json()["total"] > 0
    long = post_search(client, {"q": "a" * 5000})
    assert long.status_code == 400 and long.get_json()["error"]["parameter"] == "q"
    words = post_search(client, {"q": "missiles " * 100})  # under 1,000 characters, over 64 words
    assert words.status_code == 400 and "64 words" in words.get_json()["error"]["message"]


@pytest.mark.parametrize("body, code, parameter", [
    ([], "invalid_parameter", None), ("missiles", "invalid_parameter", None), (None, "invalid_parameter", None),
    ({"page": "2"}, "invalid_parameter", "page"), ({"q": 7}, "invalid_parameter", "q"),
    ({"per_page": 0}, "invalid_parameter", "per_page"), ({"q": "x", "limit": 2}, "unknown_parameter", "limit"),
])
def test_post_search_refuses_a_wrong_body_with_a_json_400(client, body, code, parameter):
    response = post_search(client, body)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert_matches("Error", response.get_json())
    assert (error["code"], error["parameter"]) == (code, parameter) and error["message"]


def test_post_search_refuses_what_is_not_json(client):
    broken = client.post("/api/search", data='{"q": "missiles"', content_type="application/json")
    assert broken.status_code == 400 and broken.get_json()["error"]["code"] == "bad_request"
    form = client.post("/api/search", data={"q": "missiles"})
    assert form.status_code == 415 and form.get_json()["error"]["code"] == "unsupported_media_type"
    huge = client.post("/api/search", data=json.dumps({"q": "a" * 100_000}), content_type="application/json")
    assert huge.status_code == 413 and huge.get_json()["error"]["code"] == "request_entity_too_large"
    for response in (broken, form, huge):
        assert_matches("Error", response.get_json())


def test_post_search_takes_no_parameters_in_its_url(client):
    response = client.post("/api/search?page=2", json={"q": "missiles"})
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert (error["code"], error["parameter"]) == ("unknown_parameter", "page") and "JSON body" in error["message"]
