"""The Atom feed of a search (``/search.atom``), read with feedparser as a feed reader would."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import feedparser
import pytest
from bs4 import BeautifulSoup

from index.articles import Article
from index.writer import update_index
from search import create_app

pytestmark = pytest.mark.served


def read_feed(client, url: str, sanitize: bool = True) -> feedparser.FeedParserDict:
    response = client.get(url)
    assert response.status_code == 200, response.text[:300]
    assert response.mimetype == "application/atom+xml"
    feed = feedparser.parse(response.data, sanitize_html=sanitize)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == "atom10"
    return feed


def test_the_feed_lists_the_search_results_newest_first(client):
    feed = read_feed(client, "/search.atom?q=missiles")
    results = client.get("/api/search?q=missiles&sort=newest").get_json()["results"]
    assert [entry.link for entry in feed.entries] == [
        "http://localhost/articles/" + hit["article_id"] for hit in results]
    assert [entry.title for entry in feed.entries] == [hit["title"] for hit in results]
    published = [entry.published for entry in feed.entries]
    assert published == sorted(published, reverse=True) and published[0] == "2024-11-20T00:00:00Z"
    assert feed.feed.updated == published[0] and feed.feed.title == "News search: missiles"
    links = {link.rel: link.href for link in feed.feed.links}
    assert links["self"] == "http://localhost/search.atom?q=missiles" == feed.feed.id
    assert links["alternate"] == "http://localhost/?q=missiles&sort=newest"


def test_one_entry_per_article_whatever_the_search_page_grouped_by(client):
    by_article = read_feed(client, "/search.atom?q=missiles")
    by_passage = read_feed(client, "/search.atom?q=missiles&group=passage")
    ids = [entry.id for entry in by_passage.entries]
    assert len(ids) == len(set(ids)) and ids == [entry.id for entry in by_article.entries]


def test_an_entry_carries_source_dates_original_link_and_the_marked_passage(client):
    feed = read_feed(client, "/search.atom?q=%22storm+shadow%22", sanitize=False)
    entry = feed.entries[0]
    assert entry.id == entry.link == "http://localhost/articles/https://herald.example/world/storm-shadow"
    assert entry.author == "Westbridge Herald" and entry.updated == entry.published == "2024-11-20T00:00:00Z"
    assert {link.rel: link.href for link in entry.links}["related"] == "https://herald.example/world/storm-shadow"
    assert entry.summary_detail.type == "text/html"
    snippet = client.get("/api/search?q=%22storm+shadow%22").get_json()["results"][0]["passages"][0]["snippet"]
    assert entry.summary == snippet
    marks = {mark.get_text() for mark in BeautifulSoup(entry.summary, "html.parser").find_all("mark")}
    assert marks and marks <= {"Storm", "Shadow", "Storm Shadow"}


def test_article_text_is_escaped(client):
    feed = read_feed(client, "/search.atom?q=hostile", sanitize=False)
    entry = feed.entries[0]
    assert entry.title.startswith('<script>alert("title")</script> Hostile')
    summary = BeautifulSoup(entry.summary, "html.parser")
    assert summary.find("script") is None and summary.find("iframe") is None and summary.find("img") is None
    assert '<iframe src="https://evil.example"></iframe>' in summary.get_text()


def test_the_same_parameters_as_the_json_search(client):
    feed = read_feed(client, "/search.atom?q=missiles&sort=relevance&per_page=2&source=Northern+Wire")
    results = client.get("/api/search?q=missiles&sort=relevance&per_page=2&source=Northern+Wire").get_json()
    assert [entry.title for entry in feed.entries] == [hit["title"] for hit in results["results"]]
    assert feed.feed.title == "News search: missiles · source Northern Wire"
    everything = read_feed(client, "/search.atom?per_page=2")
    assert everything.feed.title == "News search: latest articles" and len(everything.entries) == 2
    next_page = {link.rel: link.href for link in everything.feed.links}["next"]
    assert parse_qs(urlparse(next_page).query) == {"page": ["2"], "per_page": ["2"]}
    second = read_feed(client, next_page.removeprefix("http://localhost"))
    assert {link.rel for link in second.feed.links} >= {"next", "previous"}
    assert second.entries[0].link not in {entry.link for entry in everything.entries}


@pytest.mark.parametrize("query", ["per_page=0", "from=yesterday", "sort=best", "q=" + "a" * 1001])
def test_wrong_parameters_get_400(client, query):
    response = client.get(f"/search.atom?{query}")
    assert response.status_code == 400 and response.mimetype == "text/html"


def test_characters_xml_cannot_carry_are_left_out(client):
    feed = read_feed(client, "/search.atom?q=missiles%1b%01")
    assert feed.feed.title == "News search: missiles" and feed.entries


def test_undated_articles_still_make_a_valid_feed(tmp_path):
    body = "The harbour authority reopened the north pier after repairs to storm damage."
    update_index(tmp_path, [Article(id="pier", title="Pier reopens", body=body, path="pier.txt")])
    client = create_app({"TESTING": True, "INDEX": str(tmp_path)}).test_client()
    feed = read_feed(client, "/search.atom?q=pier")
    assert feed.entries[0].title == "Pier reopens" and "published" not in feed.entries[0]
    assert feed.entries[0].updated == feed.feed.updated  # the index's commit time stands in


def test_the_search_page_links_its_feed(client):
    soup = BeautifulSoup(client.get("/?q=missiles&page=2&per_page=2&sort=oldest").text, "html.parser")
    link = soup.find("link", {"rel": "alternate", "type": "application/atom+xml"})
    assert link["href"] == "/search.atom?q=missiles&per_page=2" and link["title"] == "News search: missiles"
    assert soup.select_one('footer a[type="application/atom+xml"]')["href"] == link["href"]
    no_query = BeautifulSoup(client.get("/").text, "html.parser")
    assert no_query.find("link", {"type": "application/atom+xml"}) is None


def test_over_http(live_server):
    feed = feedparser.parse(f"{live_server}/search.atom?q=ATACMS")
    assert feed.status == 200 and feed.bozo == 0
    assert [entry.title for entry in feed.entries] == [
        "Biden authorizes Ukraine to strike inside Russia with U.S.-made ATACMS missiles"]


def test_feed_refuses_a_parameter_it_does_not_know(client):
    response = client.get("/search.atom?q=missiles&limit=2")
    assert response.status_code == 400 and "limit" in response.get_data(as_text=True)
