"""The HTML pages, read as a person would with BeautifulSoup: form, results, filters, article page."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from bs4 import BeautifulSoup

from search import create_app

pytestmark = pytest.mark.served

SEED_ID = "000_4f5c96a77bf8f4f4.txt"


def page(client, url: str, status: int = 200) -> BeautifulSoup:
    response = client.get(url)
    assert response.status_code == status, response.text[:500]
    return BeautifulSoup(response.text, "html.parser")


def test_search_page_keeps_the_query_and_shows_marked_results(client):
    soup = page(client, "/?q=ATACMS")
    assert soup.title.string.strip() == "ATACMS – News search"
    assert soup.find("input", {"name": "q", "type": "search"})["value"] == "ATACMS"
    assert soup.find("label", {"for": "q"})
    assert soup.find("main") and soup.find("form", {"role": "search"})
    results = soup.select("li.result")
    assert len(results) == 1
    link = results[0].find("h2").find("a")
    assert link.get_text().startswith("Biden authorizes Ukraine") and f"/articles/{SEED_ID}" in link["href"]
    assert [mark.get_text() for mark in results[0].select(".snippet mark")][:1] == ["ATACMS"]
    assert "1 article" in soup.select_one(".summary").get_text()
    json_link = soup.find("link", {"rel": "alternate", "type": "application/json"})
    assert json_link["href"].startswith("/api/search?q=ATACMS")


def test_empty_state(client):
    soup = page(client, "/?q=zeppelin")
    assert soup.select("li.result") == []
    assert "No results" in soup.select_one(".empty").get_text()


def test_did_you_mean_link(client):
    soup = page(client, "/?q=ukrane+missiles")
    link = soup.select_one(".suggestion a")
    assert link.get_text() == "ukraine missiles" and parse_qs(urlparse(link["href"]).query)["q"] == ["ukraine missiles"]


def test_warning_for_unreadable_syntax(client):
    soup = page(client, '/?q="long range')
    assert "searched as plain words" in soup.select_one(".warning").get_text()
    assert soup.select("li.result")


def test_filters_facets_and_sort_are_forms_and_links(client):
    soup = page(client, "/?q=missiles&source=Northern+Wire&sort=newest")
    form = soup.select_one("form.filter-form")
    assert form.find("input", {"name": "source"})["value"] == "Northern Wire"
    assert form.find("select", {"name": "sort"}).find("option", selected=True)["value"] == "newest"
    assert {hit.get_text() for hit in soup.select(".result .source")} == {"Northern Wire"}
    facet_links = {a.get_text(): a["href"] for a in soup.select(".facets a")}
    assert "Northern Wire" in facet_links and "November 2024" in facet_links
    month = parse_qs(urlparse(facet_links["November 2024"]).query)
    assert month["from"] == ["2024-11-01"] and month["to"] == ["2024-11-30"]


def test_the_filter_form_keeps_what_it_does_not_set(client):
    soup = page(client, "/?q=missiles&per_page=5&recency=30&explain=1&page=2&source=Northern+Wire")
    hidden = {field["name"]: field["value"] for field in soup.select("form.filter-form input[type=hidden]")}
    assert hidden == {"q": "missiles", "per_page": "5", "recency": "30", "explain": "1"}


def test_pagination_links(client):
    soup = page(client, "/?per_page=2")
    pager = soup.select_one("nav.pager")
    assert pager.select_one("[aria-current=page]").get_text() == "1"
    next_link = pager.find("a", rel="next")["href"]
    second = page(client, next_link)
    assert second.select_one("nav.pager [aria-current=page]").get_text() == "2"
    assert second.select("li.result") and second.select_one("ol.results")["start"] == "3"


def test_article_page_marks_matching_passages(client):
    soup = page(client, f"/articles/{SEED_ID}?q=ATACMS")
    assert soup.find("h1").get_text().startswith("Biden authorizes Ukraine")
    matched = soup.select(".passage.matched")
    assert matched and all(passage.find("mark") for passage in matched)
    assert {mark.get_text() for mark in soup.select(".article-body mark")} == {"ATACMS"}
    back = soup.select_one(".back a")
    assert parse_qs(urlparse(back["href"]).query)["q"] == ["ATACMS"]


def test_unknown_article_page_is_404(client):
    soup = page(client, "/articles/no-such-article", status=404)
    assert "no article has the id" in soup.select_one(".error").get_text()


def test_bad_parameter_renders_the_error_with_status_400(client):
    soup = page(client, "/?q=x&page=0", status=400)
    assert "page must be between" in soup.select_one(".error").get_text()


def test_hostile_article_is_escaped_everywhere(client):
    for url in ["/?q=press+release", "/?q=hostile", "/"]:
        response = client.get(url)
        soup = BeautifulSoup(response.text, "html.parser")
        assert soup.find("script") is None and soup.find("iframe") is None
        assert not soup.select("img[onerror]") and not soup.select("b")
    hit = BeautifulSoup(client.get("/?q=hostile").text, "html.parser").select_one(".result h2 a")
    assert hit.get_text().startswith('<script>alert("title")</script>')
    article = client.get(hit["href"])
    soup = BeautifulSoup(article.text, "html.parser")
    assert soup.find("script") is None and soup.find("iframe") is None and not soup.select("img[onerror]")
    assert "<iframe" in soup.select_one(".article-body").get_text()


def test_result_links_carry_the_search_and_the_article_links_back(client):
    soup = page(client, "/?q=missiles&sort=newest&per_page=2")
    href = soup.select_one(".result h2 a")["href"]
    assert parse_qs(urlparse(href).query) == {"q": ["missiles"], "sort": ["newest"], "per_page": ["2"]}
    back = page(client, href).select_one(".back a")["href"]
    assert parse_qs(urlparse(back).query) == {"q": ["missiles"], "sort": ["newest"], "per_page": ["2"]}


def test_url_builder_arguments_in_the_query_string_are_ignored(client):
    for extra in ("_method=POST", "_external=1", "_scheme=javascript", "_anchor=x"):
        response = client.get(f"/articles/{SEED_ID}?q=ATACMS&{extra}")
        assert response.status_code == 200, extra
        back = BeautifulSoup(response.text, "html.parser").select_one(".back a")["href"]
        assert back.startswith("/?") and "#" not in back, extra


def test_every_error_on_a_page_is_a_site_page_with_the_search_form(client):
    for url, status, heading in [("/nope?q=ukraine", 404, "Not found"),
                                 ("/articles/no-such-article?q=ukraine", 404, "Not found"),
                                 ("/?q=ukraine&page=0", 400, "Something is wrong with this request")]:
        response = client.get(url)
        assert response.status_code == status and response.mimetype == "text/html", url
        soup = BeautifulSoup(response.text, "html.parser")
        assert soup.select_one("header.site form[role=search] input[name=q]")["value"] == "ukraine", url
        assert soup.select_one("main.error-page h1").get_text() == heading, url
        assert soup.select_one("main.error-page .error").get_text().strip(), url
        assert soup.find("link", {"rel": "stylesheet"}) and soup.select_one("footer.site"), url


def test_a_wrong_method_on_a_page_is_a_405_site_page_that_says_what_is_allowed(client):
    response = client.post("/?q=ukraine")
    assert response.status_code == 405 and response.mimetype == "text/html"
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "HEAD"}
    soup = BeautifulSoup(response.text, "html.parser")
    assert soup.select_one("main.error-page h1").get_text() == "Method not allowed"
    assert soup.select_one("header.site input[name=q]")["value"] == "ukraine"


def test_errors_under_the_api_stay_json(client):
    for response, status in [(client.get("/api/nope"), 404), (client.post("/api/health"), 405)]:
        assert response.status_code == status and response.mimetype == "application/json"
        assert set(response.get_json()["error"]) == {"code", "message", "parameter"}


def sort_options(client, url: str) -> list[tuple[str, str, bool]]:
    """The order control of a search page: each option's value, label and whether it is selected."""
    select = page(client, url).select_one("form.filter-form select[name=sort]")
    return [(option["value"], option.get_text(strip=True), option.has_attr("selected"))
            for option in select.find_all("option")]


def test_order_control_names_each_order_once_and_the_default_as_it_is(client):
    with_query = [("", "Most relevant first (default)", True), ("newest", "Newest first", False),
                  ("oldest", "Oldest first", False)]
    assert sort_options(client, "/?q=missiles") == with_query
    assert sort_options(client, "/?q=missiles&sort=relevance") == with_query
    assert sort_options(client, "/?q=missiles&sort=oldest") == [
        ("", "Most relevant first (default)", False), ("newest", "Newest first", False),
        ("oldest", "Oldest first", True)]
    # Without a query every article is listed, newest first; relevance has nothing to rank by.
    assert sort_options(client, "/") == [("", "Newest first (default)", True), ("oldest", "Oldest first", False)]
    assert sort_options(client, "/?sort=newest") == [("", "Newest first (default)", True),
                                                     ("oldest", "Oldest first", False)]
    assert sort_options(client, "/?sort=relevance") == [("relevance", "Most relevant first", True),
                                                        ("", "Newest first (default)", False),
                                                        ("oldest", "Oldest first", False)]


def test_a_failure_inside_a_page_is_a_500_site_page_and_json_under_the_api(index_dir):
    app = create_app({"INDEX": str(index_dir)})  # not TESTING: errors are answered, not raised
    app.add_url_rule("/failing", "failing", lambda: 1 / 0)
    app.add_url_rule("/api/failing", "api_failing", lambda: 1 / 0)
    with app.extensions["news_search"]:
        client = app.test_client()
        response = client.get("/failing?q=ukraine")
        assert response.status_code == 500 and response.mimetype == "text/html"
        soup = BeautifulSoup(response.text, "html.parser")
        assert soup.select_one("main.error-page h1").get_text() == "Something went wrong on our side"
        assert soup.select_one("header.site input[name=q]")["value"] == "ukraine"
        response = client.get("/api/failing")
        assert response.status_code == 500 and response.get_json()["error"]["code"] == "internal_server_error"
