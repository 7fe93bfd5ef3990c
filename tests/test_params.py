"""Search parameters as every surface reads them: names checked against what an endpoint takes, and a
search given as a JSON object (``POST /api/search``) read the same way as one given in a URL."""

from __future__ import annotations

from datetime import date

import pytest

from search.params import (ARTICLE_NAMES, RELATED_NAMES, SEARCH_NAMES, ParameterError, SearchParams, UnknownParameter,
                           check_names, parse_search_body, parse_search_params)


def test_known_names_pass():
    check_names({"q": "missiles", "per_page": "5", "collapse": "none"}, SEARCH_NAMES)
    check_names({}, ARTICLE_NAMES)
    check_names({"limit": "3"}, RELATED_NAMES)


@pytest.mark.parametrize("args, known, parameter, hint", [
    ({"q": "yen", "limit": "2"}, SEARCH_NAMES, "limit", "did you mean per_page?"),
    ({"per_page": "2"}, RELATED_NAMES, "per_page", "did you mean limit?"),
    ({"q": "x", "pgae": "2"}, SEARCH_NAMES, "pgae", "did you mean page?"),
    ({"q": "x", "page": "2"}, ARTICLE_NAMES, "page", None),
    ({"utm_source": "news", "q": "x"}, SEARCH_NAMES, "utm_source", None),
])
def test_an_unknown_name_is_refused_and_named(args, known, parameter, hint):
    with pytest.raises(UnknownParameter) as error:
        check_names(args, known)
    assert isinstance(error.value, ParameterError) and error.value.code == "unknown_parameter"
    assert error.value.parameter == parameter
    assert error.value.message.startswith(f"unknown parameter {parameter}")
    assert (hint in error.value.message) if hint else "did you mean" not in error.value.message
    assert ", ".join(known) in error.value.message


def test_every_unknown_name_is_in_the_message():
    with pytest.raises(UnknownParameter) as error:
        check_names({"limit": "2", "q": "x", "offset": "10"}, SEARCH_NAMES)
    assert error.value.parameter == "limit"
    assert error.value.message.startswith("unknown parameters limit (did you mean per_page?), offset;")


def test_a_json_body_reads_as_the_same_url_arguments():
    body = {"q": "storm shadow", "page": 2, "per_page": 5, "from": "2024-01-01", "to": "2024-12-31",
            "source": "Northern Wire", "sort": "newest", "group": "passage", "collapse": "none"}
    expected = SearchParams(q="storm shadow", page=2, per_page=5, date_from=date(2024, 1, 1),
                            date_to=date(2024, 12, 31), source="Northern Wire", sort="newest", group="passage",
                            collapse="none")
    assert parse_search_body(body) == expected
    assert parse_search_body(body) == parse_search_params({name: str(value) for name, value in body.items()})


def test_null_and_missing_values_are_the_defaults():
    assert parse_search_body({}) == SearchParams()
    assert parse_search_body({"q": None, "page": None, "sort": None}) == SearchParams()


@pytest.mark.parametrize("body", [[], "q=yen", 3, None, True])
def test_a_body_that_is_not_an_object_is_refused(body):
    with pytest.raises(ParameterError) as error:
        parse_search_body(body)
    assert error.value.parameter is None and "JSON object" in error.value.message


@pytest.mark.parametrize("body, parameter", [
    ({"page": "2"}, "page"), ({"page": 2.0}, "page"), ({"page": True}, "page"), ({"per_page": [5]}, "per_page"),
    ({"q": 3}, "q"), ({"q": ["a", "b"]}, "q"), ({"from": 20240101}, "from"), ({"sort": {"by": "date"}}, "sort"),
    ({"source": False}, "source"),
])
def test_a_value_of_the_wrong_json_type_is_refused(body, parameter):
    with pytest.raises(ParameterError) as error:
        parse_search_body(body)
    assert error.value.code == "invalid_parameter" and error.value.parameter == parameter


@pytest.mark.parametrize("body, parameter", [
    ({"page": 0}, "page"), ({"page": -1}, "page"), ({"per_page": 101}, "per_page"), ({"page": 10**30}, "page"),
    ({"q": "a" * 1001}, "q"), ({"q": "word " * 65}, "q"), ({"from": "2024-13-01"}, "from"),
    ({"group": "story"}, "group"),
])
def test_a_body_is_checked_as_a_url_is(body, parameter):
    with pytest.raises(ParameterError) as error:
        parse_search_body(body)
    assert error.value.parameter == parameter


def test_an_unknown_name_in_a_body_is_refused():
    with pytest.raises(UnknownParameter) as error:
        parse_search_body({"q": "yen", "limit": 2})
    assert error.value.parameter == "limit" and "per_page" in error.value.message


def test_a_number_too_long_for_a_page_says_the_range():
    with pytest.raises(ParameterError) as error:
        parse_search_params({"page": "1" + "0" * 20})
    assert error.value.message == "page must be between 1 and 10000"
