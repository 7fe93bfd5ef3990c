"""The ``Host`` a request names never makes the links the service writes: a host it does not answer
for gets a 400, and with a configured public address every absolute link is built from that."""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

import feedparser
import pytest

from index.errors import BadConfiguration
from search import create_app

pytestmark = pytest.mark.served

HOSTILE = "evil.example"


def feed_links(response) -> list[str]:
    """Every link and id of an Atom feed, entries included."""
    feed = feedparser.parse(response.data)
    assert feed.bozo == 0, feed.get("bozo_exception")
    links = [feed.feed.id, *(link.href for link in feed.feed.links)]
    for entry in feed.entries:
        links += [entry.id, *(link.href for link in entry.links if link.rel == "alternate")]
    return links


def raw_get(base: str, path: str, host: str) -> tuple[int, str, bytes]:
    """A GET over real HTTP with the ``Host`` header set by hand, as a client may send it."""
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.putrequest("GET", path, skip_host=True)
        connection.putheader("Host", host)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type", ""), response.read()
    finally:
        connection.close()


def test_by_default_a_host_other_than_this_machine_gets_a_400_over_http(live_server):
    status, content_type, body = raw_get(live_server, "/search.atom?q=missiles", HOSTILE)
    assert status == 400 and content_type.startswith("text/html")
    assert HOSTILE.encode() not in body and b"NEWS_SEARCH_BASE_URL" in body
    status, content_type, body = raw_get(live_server, "/api/search?q=missiles", HOSTILE + ":8080")
    assert status == 400 and content_type == "application/json"
    assert b"does not answer for that host" in body
    for host in ("localhost:5000", "127.0.0.1", "[::1]:5000"):
        assert raw_get(live_server, "/search.atom?q=missiles", host)[0] == 200, host


def test_the_feed_of_a_trusted_host_links_to_that_host(client):
    links = feed_links(client.get("/search.atom?q=missiles", headers={"Host": "127.0.0.1:5000"}))
    assert links and all(link.startswith("http://127.0.0.1:5000/") for link in links)


def test_with_a_base_url_every_absolute_link_uses_it_whatever_the_host(index_dir):
    app = create_app({"TESTING": True, "INDEX": str(index_dir), "BASE_URL": "https://news.example.org/archive/"})
    client = app.test_client()
    for host in (HOSTILE, "localhost"):
        response = client.get("/search.atom?q=missiles&per_page=1", headers={"Host": host})
        assert response.status_code == 200
        links = feed_links(response)
        assert len(links) >= 5 and all(link.startswith("https://news.example.org/archive/") for link in links)
        assert HOSTILE not in response.text
    assert "https://news.example.org/archive/search.atom?q=missiles&per_page=1" in links
    assert any(link.startswith("https://news.example.org/archive/articles/") for link in links)


def test_a_base_url_keeps_the_path_the_service_is_mounted_at(index_dir):
    app = create_app({"TESTING": True, "INDEX": str(index_dir), "BASE_URL": "https://news.example.org/archive"})
    response = app.test_client().get("/search.atom?q=missiles", environ_base={"SCRIPT_NAME": "/archive"})
    assert all(link.startswith("https://news.example.org/archive/") and "/archive/archive/" not in link
               for link in feed_links(response))


def test_trusted_hosts_name_the_hosts_answered(index_dir):
    app = create_app({"TESTING": True, "INDEX": str(index_dir), "TRUSTED_HOSTS": ["news.example.org", ".example.net"]})
    client = app.test_client()
    assert client.get("/api/search?q=missiles", headers={"Host": "news.example.org"}).status_code == 200
    assert client.get("/api/search?q=missiles", headers={"Host": "www.example.net"}).status_code == 200
    refused = client.get("/api/search?q=missiles", headers={"Host": "localhost"})
    assert refused.status_code == 400 and "news.example.org" in refused.get_json()["error"]["message"]


@pytest.mark.parametrize("config", [{"BASE_URL": "news.example.org"}, {"BASE_URL": "ftp://news.example.org"},
                                    {"BASE_URL": "https://news.example.org/?a=1"}, {"TRUSTED_HOSTS": "localhost"}])
def test_a_wrong_address_setting_stops_the_app_with_a_clear_message(index_dir, config):
    with pytest.raises(BadConfiguration, match="NEWS_SEARCH_"):
        create_app({"TESTING": True, "INDEX": str(index_dir), **config})


def test_the_settings_are_read_from_the_environment(index_dir, monkeypatch):
    monkeypatch.setenv("NEWS_SEARCH_BASE_URL", "https://news.example.org")
    monkeypatch.setenv("NEWS_SEARCH_TRUSTED_HOSTS", '["news.example.org"]')
    app = create_app({"TESTING": True, "INDEX": str(index_dir)})
    assert app.config["BASE_URL"] == "https://news.example.org"
    assert app.test_client().get("/", headers={"Host": HOSTILE}).status_code == 400
