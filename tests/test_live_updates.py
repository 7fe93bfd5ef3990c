"""A running app sees every committed change to its index -- additions, replacements, deletions,
rebuilds -- without a restart, and never the passages a change removed."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.cli import cli
from search import create_app
from tests.conftest import ARTICLES, write_corpus


@pytest.fixture()
def corpus_copy(tmp_path: Path) -> Path:
    return write_corpus(tmp_path / "corpus")


@pytest.fixture()
def served(runner, corpus_copy, tmp_path):
    index_dir = tmp_path / "index"
    result = runner.invoke(cli, ["index", str(corpus_copy), "--index-dir", str(index_dir)])
    assert result.exit_code == 0, result.output
    return index_dir, create_app({"TESTING": True, "INDEX": str(index_dir)}).test_client()


def ids(client, query: str) -> list[str]:
    return [hit["article_id"] for hit in client.get(f"/api/search?q={query}").get_json()["results"]]


def test_deleted_article_disappears_from_a_running_app(runner, served):
    index_dir, client = served
    assert ids(client, "cycling") == ["bike-lanes.txt"]
    result = runner.invoke(cli, ["delete", "bike-lanes.txt", "--index-dir", str(index_dir)])
    assert result.exit_code == 0, result.output
    assert ids(client, "cycling") == []
    assert client.get("/api/articles/bike-lanes.txt").status_code == 404


def test_changed_article_shows_only_its_new_text(runner, served, corpus_copy):
    index_dir, client = served
    assert ids(client, "benchmark") == ["rates.txt"]
    (corpus_copy / "rates.txt").write_text(ARTICLES["rates.txt"].replace("benchmark", "yardstick"), encoding="utf-8")
    result = runner.invoke(cli, ["index", str(corpus_copy), "--index-dir", str(index_dir)])
    assert result.exit_code == 0, result.output
    assert ids(client, "benchmark") == [] and ids(client, "yardstick") == ["rates.txt"]
    body = client.get("/api/articles/rates.txt").get_json()["body"]
    assert "yardstick rate" in body and "benchmark" not in body


def test_rebuild_does_not_multiply_a_running_apps_index(runner, served, corpus_copy):
    index_dir, client = served
    before = client.get("/api/health").get_json()
    for _ in range(2):
        result = runner.invoke(cli, ["index", str(corpus_copy), "--index-dir", str(index_dir), "--rebuild"])
        assert result.exit_code == 0, result.output
    after = client.get("/api/health").get_json()
    assert (after["articles"], after["passages"]) == (before["articles"], before["passages"])
    assert after["generation"] > before["generation"]
    assert ids(client, "ATACMS") == ["000_4f5c96a77bf8f4f4.txt"]


def test_snapshots_are_reused_until_a_new_generation_lands(runner, served):
    from search.whoosh_backend import WhooshBackend

    index_dir, _client = served
    backend = WhooshBackend(index_dir)
    with backend.snapshot() as first:
        pass
    with backend.snapshot() as again:
        assert again is first
    result = runner.invoke(cli, ["delete", "marathon.txt", "--index-dir", str(index_dir)])
    assert result.exit_code == 0, result.output
    with backend.snapshot() as fresh:
        assert fresh is not first and fresh.up_to_date() and fresh.generation > first.generation
        assert not fresh.has_article("marathon.txt")
