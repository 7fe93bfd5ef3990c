"""The timeline of a search: periods chosen by the span of the results, in the JSON facets and drawn
on the page as an SVG bar chart whose bars link to each period's results."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from bs4 import BeautifulSoup

from index.articles import Article
from index.writer import update_index
from search import create_app
from search.timeline import TimelineBucket, timeline
from tests.test_api import assert_matches

pytestmark = pytest.mark.served

FIRST = date(2024, 3, 1)


@pytest.mark.parametrize("span, unit", [
    (1, "day"), (62, "day"), (63, "week"), (366, "week"), (367, "month"), (3653, "month"), (3654, "year"),
])
def test_the_period_follows_the_span(span, unit):
    buckets = timeline({FIRST: 1, FIRST + timedelta(days=span): 2})
    assert {bucket.unit for bucket in buckets} == {unit}
    assert (buckets[0].count, buckets[-1].count, sum(bucket.count for bucket in buckets)) == (1, 2, 3)


def test_one_day():
    assert timeline({FIRST: 5}) == [TimelineBucket("2024-03-01", "day", "1 Mar 2024", "2024-03-01", "2024-03-01", 5)]


def test_weeks_are_iso_weeks_and_empty_ones_count_zero():
    buckets = timeline({date(2024, 12, 31): 1, date(2025, 3, 12): 1, date(2024, 12, 30): 3})
    # ISO week 1 of 2025 starts on Monday 30 December 2024; 12 March 2025 is in week 11.
    assert [(b.key, b.start, b.end, b.count) for b in (buckets[0], buckets[-1])] == [
        ("2025-W01", "2024-12-30", "2025-01-05", 4), ("2025-W11", "2025-03-10", "2025-03-16", 1)]
    assert [b.count for b in buckets[1:-1]] == [0] * 9 and buckets[0].label == "Week of 30 Dec 2024"
    for before, after in zip(buckets, buckets[1:]):
        assert date.fromisoformat(before.end) + timedelta(days=1) == date.fromisoformat(after.start)


def test_months_and_years():
    months = timeline({date(2023, 11, 5): 1, date(2025, 2, 28): 1})
    assert len(months) == 16 and [(b.key, b.label, b.start, b.end) for b in months[2:5]] == [
        ("2024-01", "January 2024", "2024-01-01", "2024-01-31"),
        ("2024-02", "February 2024", "2024-02-01", "2024-02-29"),
        ("2024-03", "March 2024", "2024-03-01", "2024-03-31"),
    ]
    assert months[1].end == "2023-12-31" and months[-1].key == "2025-02"
    years = timeline({date(1987, 3, 1): 1, date(2024, 1, 1): 1})
    assert len(years) == 38 and years[0] == TimelineBucket("1987", "year", "1987", "1987-01-01", "1987-12-31", 1)


def test_a_stray_date_far_away_lists_only_the_years_with_articles():
    buckets = timeline({date(1, 1, 1): 1, date(2024, 5, 1): 4})
    assert [(b.key, b.count) for b in buckets] == [("0001", 1), ("2024", 4)]
    assert timeline({date(9999, 12, 31): 1, date(9999, 1, 1): 1})[-1].end == "9999-12-31"


def test_no_dates_no_timeline():
    assert timeline({}) == []


def test_json_facet_over_the_fixture_corpus(client):
    body = client.get("/api/search").get_json()
    assert_matches("SearchResults", body)
    buckets = body["facets"]["timeline"]
    # Every fixture article is dated, from April 2023 to November 2024: by month.
    assert [b["key"] for b in buckets][:2] == ["2023-04", "2023-05"] and buckets[-1]["key"] == "2024-11"
    assert {b["unit"] for b in buckets} == {"month"} and len(buckets) == 20
    assert sum(b["count"] for b in buckets) == body["total"] == 7
    assert buckets[-1] == {"key": "2024-11", "unit": "month", "label": "November 2024", "start": "2024-11-01",
                           "end": "2024-11-30", "count": 4}


def test_json_facet_of_a_narrow_search_is_by_day(client):
    body = client.get("/api/search?q=ukraine&group=passage").get_json()
    buckets = body["facets"]["timeline"]
    assert [(b["key"], b["count"]) for b in buckets] == [
        ("2024-11-17", 1), ("2024-11-18", 1), ("2024-11-19", 0), ("2024-11-20", 1)]


def test_undated_articles_are_not_counted(tmp_path):
    body = "The harbour authority reopened the north pier after repairs to storm damage."
    update_index(tmp_path, [Article(id="a", title="Pier reopens", body=body, path="a.txt", published="2024-01-02"),
                            Article(id="b", title="Pier repairs", body=body, path="b.txt")])
    client = create_app({"TESTING": True, "INDEX": str(tmp_path)}).test_client()
    facets = client.get("/api/search?q=pier").get_json()["facets"]
    assert [(b["key"], b["count"]) for b in facets["timeline"]] == [("2024-01-02", 1)]
    # One period is no chart.
    assert BeautifulSoup(client.get("/?q=pier").text, "html.parser").select_one("figure.timeline") is None


def chart(client, url: str) -> BeautifulSoup:
    response = client.get(url)
    assert response.status_code == 200
    return BeautifulSoup(response.text, "html.parser").select_one("figure.timeline")


def test_the_page_draws_one_linked_bar_per_period_with_articles(client):
    figure = chart(client, "/?q=ukraine&sort=newest")
    assert figure.find("figcaption").get_text() == "Matching articles by day: 17 Nov 2024 to 20 Nov 2024"
    svg = figure.find("svg")
    assert svg["role"] == "group" and svg["aria-labelledby"] == figure.find("figcaption")["id"]
    links = svg.find_all("a")
    assert [link["aria-label"] for link in links] == ["17 Nov 2024: 1 article", "18 Nov 2024: 1 article",
                                                      "20 Nov 2024: 1 article"]
    assert [link.find("title").get_text() for link in links] == [link["aria-label"] for link in links]
    assert parse_qs(urlparse(links[0]["href"]).query) == {
        "q": ["ukraine"], "sort": ["newest"], "from": ["2024-11-17"], "to": ["2024-11-17"]}
    bars = [link.select_one("rect.bar") for link in links]
    assert all(float(bar["height"]) == 80 for bar in bars)  # one article each: all at full height
    assert float(bars[2]["x"]) > float(bars[1]["x"]) + float(bars[1]["width"]) * 1.5  # an empty day between
    assert figure.find("svg").get("style") is None and not figure.select("[style]")  # the CSP forbids inline styles


def test_a_bar_leads_to_its_period_results(client):
    figure = chart(client, "/")
    november = next(link for link in figure.find_all("a") if link["aria-label"].startswith("November 2024"))
    assert november["aria-label"] == "November 2024: 4 articles"
    soup = BeautifulSoup(client.get(november["href"]).text, "html.parser")
    dates = [time["datetime"][:7] for time in soup.select("li.result time")]
    assert dates == ["2024-11"] * 4


def test_bar_links_stay_inside_the_search_dates(client):
    figure = chart(client, "/?from=2023-04-10&to=2024-11-18")  # results from 16 April 2023: by month
    hrefs = [parse_qs(urlparse(link["href"]).query) for link in figure.find_all("a")]
    assert (hrefs[0]["from"], hrefs[0]["to"]) == (["2023-04-10"], ["2023-04-30"])
    assert (hrefs[-1]["from"], hrefs[-1]["to"]) == (["2024-11-01"], ["2024-11-18"])
    assert hrefs[1] == {"from": ["2024-09-01"], "to": ["2024-09-30"]}
