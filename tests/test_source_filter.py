"""The source filter: a source named by any whole words of its name, in any case, through the
``source`` parameter, the ``source:`` query field and ``--source``; and a warning naming the filter
when it leaves nothing of what the query finds."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.articles import Article
from index.cli import cli
from index.writer import update_index
from search import create_app
from search.engine import get_article, search
from search.params import parse_search_params
from search.whoosh_backend import WhooshBackend

ARTICLES = [
    Article(id="flood-bbc", title="Flood warnings issued for the Severn", source="BBC News", published="2024-02-10",
            path="flood-bbc.txt",
            body="The Environment Agency issued flood warnings for towns along the Severn after two days of rain."),
    Article(id="flood-sky", title="Residents sandbag homes as river rises", source="Sky News", published="2024-02-11",
            path="flood-sky.txt",
            body="Residents in Worcester filled sandbags as the flood defences on the river were tested again."),
    Article(id="flood-reuters", title="Rain disrupts rail services in western England", source="Reuters",
            published="2024-02-11", path="flood-reuters.txt",
            body="Rail operators cancelled trains between Bristol and Birmingham because of flood water on the line."),
    Article(id="budget-bbc", title="Chancellor sets date for spring budget", source="BBC News",
            published="2024-01-20", path="budget-bbc.txt",
            body="The chancellor will present the budget on 6 March, the Treasury said on Saturday."),
]


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    index_dir = tmp_path_factory.mktemp("sources") / "index"
    summary = update_index(index_dir, ARTICLES)
    assert summary.committed and summary.skipped == 0
    return index_dir


@pytest.fixture(scope="module")
def snapshot(index_dir: Path):
    with WhooshBackend(index_dir).snapshot() as snapshot:
        yield snapshot


def run(snapshot, **args):
    return search(snapshot, parse_search_params({name: str(value) for name, value in args.items()}))


def found(results) -> set[str]:
    return {hit.article_id for hit in results.hits}


@pytest.mark.parametrize("source, expected", [
    ("bbc", {"flood-bbc"}),
    ("BBC", {"flood-bbc"}),
    ("bbc news", {"flood-bbc"}),
    ("news", {"flood-bbc", "flood-sky"}),
    ("reuters", {"flood-reuters"}),
    ("bb", set()),
    ("bbc sky", set()),
])
def test_a_source_is_named_by_whole_words_of_its_name(snapshot, source, expected):
    assert found(run(snapshot, q="flood", source=source)) == expected


def test_the_query_field_names_a_source_the_same_way(snapshot):
    assert found(run(snapshot, q="source:bbc")) == {"flood-bbc", "budget-bbc"}
    assert found(run(snapshot, q="source:News AND flood")) == {"flood-bbc", "flood-sky"}
    assert found(run(snapshot, q='source:"bbc news" AND budget')) == {"budget-bbc"}
    assert found(run(snapshot, q="source:bb")) == set()


def test_the_article_page_marks_a_search_naming_a_source(snapshot):
    article = get_article(snapshot, "flood-bbc", "source:bbc AND flood")
    assert [passage.matched for passage in article.passages] == [True]
    assert "<mark>flood</mark> warnings" in article.passages[0].html


def test_the_command_line_filters_by_a_word_of_the_source(index_dir, runner):
    result = runner.invoke(cli, ["search", "flood", "--source", "bbc", "--index-dir", str(index_dir)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("1 article,") and "Flood warnings issued for the Severn" in result.output


def test_a_filter_that_leaves_nothing_says_so(snapshot):
    results = run(snapshot, q="flood", source="xyz")
    assert results.total == 0
    assert results.warnings == ["No article from source “xyz” matches; without that filter, 3 do."]
    dated = run(snapshot, q="budget", to="2023-12-31")
    assert dated.warnings == ["No article published on or before 2023-12-31 matches; without that filter, 1 does."]
    both = run(snapshot, q="flood", source="reuters", **{"from": "2024-02-01", "to": "2024-02-10"})
    assert both.warnings == ["No article from source “reuters” published from 2024-02-01 to 2024-02-10 matches; "
                             "without those filters, 3 do."]


def test_no_warning_when_the_query_finds_nothing_anyway(snapshot):
    assert run(snapshot, q="volcano", source="bbc").warnings == []
    assert run(snapshot, q="flood", source="bbc").warnings == []


def test_the_api_shows_the_warning(index_dir):
    client = create_app({"TESTING": True, "INDEX": str(index_dir)}).test_client()
    body = client.get("/api/search?q=flood&source=bbc").get_json()
    assert [hit["source"] for hit in body["results"]] == ["BBC News"]
    empty = client.get("/api/search?q=flood&source=xyz").get_json()
    assert empty["total"] == 0 and empty["warnings"][0].startswith("No article from source “xyz” matches")
