"""Hostile and arbitrary input, generated: whatever a client sends, the answer is a 200 or a 4xx, never a 5xx,
and every 4xx under ``/api`` carries the JSON error body. Then the JSON API over real HTTP, checked by
Schemathesis against its own OpenAPI document."""

from __future__ import annotations

import json
import urllib.request
from urllib.parse import quote, quote_from_bytes

import pytest
import schemathesis
from hypothesis import given, settings, strategies as st
from schemathesis import checks

from search.openapi import openapi_document
from search.params import GROUPS, MAX_QUERY_CHARS, MAX_QUERY_TERMS, SORTS
from tests.test_api import assert_matches

pytestmark = pytest.mark.served

SEED_ID = "000_4f5c96a77bf8f4f4.txt"
SEARCH_PATHS = ("/api/search", "/")
ARTICLE_PATHS = (f"/api/articles/{SEED_ID}", f"/articles/{SEED_ID}")
PARAMETERS = ("q", "page", "per_page", "from", "to", "source", "sort", "group")

#: Every character and word the query syntax gives a meaning to, or that another search syntax would.
SYNTAX = ['"', "(", ")", "*", "?", "~", "^", ":", "-", "+", "[", "]", "{", "}", "/", "\\", "'",
          "AND", "OR", "NOT", "TO"]
#: Text that has tripped up search engines: control characters, NUL, bidirectional marks, combining marks,
#: full-width letters, emoji, fields that do not exist or have no value, and words that do match.
AWKWARD = [
    "\x00", "\x01", "\x08", "\t", "\n", "\r", "\x1b", "\x7f", "\x85", "\u200b", "\u200d", "\u202e", "\u200f",
    "\ufeff", "\u2028", "e\u0301", "\u0301", "a\u0308\u0308\u0308", "ｍｉｓｓｉｌｅｓ", "Ｕｋｒａｉｎｅ", "😀",
    "👩\u200d👩\u200d👧", "🇺🇦", "ß", "İ", "ﬁ", "٣", "中文", "עברית", "foo:bar", "published:2024", "url:x", "title:",
    "title:missiles", "source:northern", "body:", ":x", "x:", "a:b:c", "x~2", "x^3", '"a b"~3', "mi*", "*e*",
    "[a TO z]", "{a TO z}", "ANDNOT", "ANDMAYBE", "REQUIRE", "missiles", "harbor", "Ukraine", "the",
]

#: Queries made of a few parts joined with or without spaces; ``st.text`` adds any character but surrogates.
queries = st.builds(
    lambda parts, separator: separator.join(parts),
    st.lists(st.one_of(st.sampled_from(SYNTAX), st.sampled_from(AWKWARD), st.text(max_size=12)), max_size=10),
    st.sampled_from([" ", "", "  "]),
)
#: Thousands of words, always over the word cap.
too_many_words = st.lists(st.sampled_from(["missiles", "a", "x*", "NOT", "(", '"', "😀"]),
                          min_size=MAX_QUERY_TERMS + 1, max_size=3000).map(" ".join)


def argument(*valid: st.SearchStrategy[str]) -> st.SearchStrategy[str | None]:
    """A query-string argument: absent, well formed, or anything at all."""
    return st.one_of(st.none(), *valid, st.text(max_size=20), st.sampled_from(AWKWARD),
                     st.integers(-10**12, 10**12).map(str))


numbers = st.integers(1, 200).map(str)
search_arguments = st.fixed_dictionaries({
    "q": st.one_of(st.none(), queries),
    "page": argument(numbers),
    "per_page": argument(numbers),
    "from": argument(st.dates().map(str)),
    "to": argument(st.dates().map(str)),
    "source": argument(st.sampled_from(["Northern Wire", "harbor city ledger", "nowhere"])),
    "sort": argument(st.sampled_from(SORTS)),
    "group": argument(st.sampled_from(GROUPS)),
}).map(lambda arguments: {name: value for name, value in arguments.items() if value is not None})
#: A raw query string: bytes that are not UTF-8, broken percent escapes, repeated and unknown names.
raw_query_strings = st.lists(
    st.tuples(st.one_of(st.sampled_from(PARAMETERS), st.binary(max_size=8).map(quote_from_bytes)),
              st.one_of(st.binary(max_size=30).map(quote_from_bytes),
                        st.sampled_from(["%", "%zz", "%F", "%FF%FE", "%C0%80", "%ED%A0%80", "%00", "+", ""]))),
    max_size=6,
).map(lambda pairs: "&".join(f"{name}={value}" for name, value in pairs))
#: Paths under /api that may or may not exist, and every method.
api_paths = st.one_of(
    st.sampled_from(["", "/", "/search", "/search/", "//search", "/articles", "/articles/", "/health/x",
                     "/openapi.json/", "/articles/" + SEED_ID]),
    st.text(max_size=20).map(lambda text: "/" + quote(text, safe="/")),
).map(lambda suffix: "/api" + suffix)
methods = st.sampled_from(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"])

generated = settings(deadline=None, max_examples=120)


@pytest.fixture(scope="module")
def fuzz_client(app):
    """One test client for every generated example (the index is only read)."""
    return app.test_client()


def assert_answered(response, path: str) -> None:
    """A 200, or a 4xx; under ``/api`` every body matches the OpenAPI document, elsewhere it is a page."""
    assert response.status_code == 200 or 400 <= response.status_code < 500, (path, response.status_code)
    if not path.startswith("/api/"):
        assert response.mimetype == "text/html"
    elif response.status_code >= 400:
        assert_matches("Error", response.get_json())
    else:
        assert_matches("SearchResults" if path == "/api/search" else "Article", response.get_json())


@generated
@given(arguments=search_arguments)
def test_any_search_arguments_are_answered_without_a_server_error(fuzz_client, arguments):
    for path in SEARCH_PATHS:
        assert_answered(fuzz_client.get(path, query_string=arguments), path)


@generated
@given(q=queries)
def test_any_query_is_searched_or_refused(fuzz_client, q):
    for path in SEARCH_PATHS + ARTICLE_PATHS:
        response = fuzz_client.get(path, query_string={"q": q})
        assert_answered(response, path)
        if "\x00" not in q and len(q) <= MAX_QUERY_CHARS and len(q.split()) <= MAX_QUERY_TERMS:
            assert response.status_code == 200, (path, q)


@generated
@given(article_id=st.one_of(st.text(min_size=1, max_size=40), st.sampled_from(AWKWARD + SYNTAX)), q=queries)
def test_any_article_id_is_found_or_not_found(fuzz_client, article_id, q):
    for prefix in ("/api/articles/", "/articles/"):
        path = prefix + quote(article_id, safe="")
        assert_answered(fuzz_client.get(path, query_string={"q": q}), path)


@generated
@given(query_string=raw_query_strings)
def test_undecodable_query_strings_are_answered(fuzz_client, query_string):
    for path in SEARCH_PATHS + ARTICLE_PATHS:
        assert_answered(fuzz_client.get(f"{path}?{query_string}"), path)


@generated
@given(path=api_paths, method=methods)
def test_any_path_and_method_under_api_get_the_json_error_body(fuzz_client, path, method):
    response = fuzz_client.open(path, method=method)
    assert response.status_code < 500, (method, path, response.status_code)
    if response.status_code >= 400 and method != "HEAD":
        assert_matches("Error", response.get_json())
    if response.status_code == 405:
        assert "GET" in response.headers["Allow"]


#: Any JSON value at all.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**20, 10**20) | st.floats(allow_nan=False) | st.text(max_size=20)
    | st.sampled_from(AWKWARD),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
#: Search bodies: the parameters' names (now and then another) with values of any JSON type, or any JSON at all.
search_bodies = st.one_of(
    json_values,
    st.dictionaries(st.sampled_from([*PARAMETERS, "collapse", "limit"]),
                    st.one_of(json_values, queries, numbers.map(int), st.sampled_from([*SORTS, *GROUPS])), max_size=6),
)


@generated
@given(body=search_bodies)
def test_any_json_body_is_searched_or_refused_with_the_json_error(fuzz_client, body):
    response = fuzz_client.post("/api/search", data=json.dumps(body), content_type="application/json")
    assert_answered(response, "/api/search")


@settings(deadline=None, max_examples=20)
@given(q=too_many_words)
def test_thousands_of_words_are_refused(fuzz_client, q):
    for path in SEARCH_PATHS + ARTICLE_PATHS:
        response = fuzz_client.get(path, query_string={"q": q})
        assert response.status_code == 400, path
        if path.startswith("/api/"):
            assert response.get_json()["error"]["parameter"] == "q"


@pytest.mark.parametrize("q, status", [
    ("a" * MAX_QUERY_CHARS, 200),
    ("a" * (MAX_QUERY_CHARS + 1), 400),
    (" ".join(["missiles"] * MAX_QUERY_TERMS), 200),
    (" ".join(["missiles"] * (MAX_QUERY_TERMS + 1)), 400),
    ("\u3000".join(["missiles"] * (MAX_QUERY_TERMS + 1)), 400),
    ("missiles\x00", 400),
])
def test_query_length_and_word_caps(fuzz_client, q, status):
    for path in SEARCH_PATHS + ARTICLE_PATHS:
        response = fuzz_client.get(path, query_string={"q": q})
        assert response.status_code == status, path
        if status == 400 and path.startswith("/api/"):
            error = response.get_json()["error"]
            assert (error["code"], error["parameter"]) == ("invalid_parameter", "q") and error["message"]


@pytest.mark.parametrize("first", SYNTAX)
def test_syntax_characters_alone_and_in_pairs_are_searched(fuzz_client, first):
    queries = [first, f"missiles {first}", f"{first}missiles"] + [
        query for second in SYNTAX
        for query in (first + second, f"{first} {second}", f"{first}missiles{second}", f"{first}Ukraine {second}")
    ]
    failures = [
        (path, query, response.status_code)
        for query in queries for path in SEARCH_PATHS + ARTICLE_PATHS
        if (response := fuzz_client.get(path, query_string={"q": query})).status_code != 200
    ]
    assert failures == []


@pytest.mark.parametrize("query", ["", "q=missiles", "q=storm+shadow", "q=%22long+range%22", "q=-missiles+harbor"])
def test_results_grouped_by_passage(fuzz_client, query):
    response = fuzz_client.get(f"/api/search?group=passage&{query}")
    assert response.status_code == 200
    assert all(len(hit["passages"]) == 1 for hit in response.get_json()["results"])


def test_a_405_from_the_api_names_the_allowed_methods(fuzz_client):
    response = fuzz_client.put("/api/search?q=missiles")
    assert response.status_code == 405 and response.mimetype == "application/json"
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "POST"}
    assert response.get_json()["error"]["code"] == "method_not_allowed"


def test_api_without_a_trailing_slash_is_a_json_404(fuzz_client):
    response = fuzz_client.get("/api")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"


#: The document the server builds; the live server is checked to serve this same one.
schema = schemathesis.openapi.from_dict(openapi_document())


def test_live_server_serves_the_document_under_test(live_server):
    with urllib.request.urlopen(f"{live_server}/api/openapi.json") as response:
        assert json.load(response) == openapi_document()


# Loaded from the dict rather than from the live server's URL: ``schemathesis.pytest.from_fixture``, the
# loader a fixture's URL needs, sets ``Function._nodeid``, which pytest 9.2 no longer has.
@schema.parametrize()
@settings(deadline=None, max_examples=30)
def test_api_conforms_to_its_openapi_document(case, live_server):
    case.call_and_validate(base_url=live_server, checks=[
        checks.not_a_server_error, checks.status_code_conformance, checks.content_type_conformance,
        checks.response_schema_conformance, checks.response_headers_conformance, checks.unsupported_method,
    ])
