"""Every example the README and the commands' ``--help`` give works on the bundled corpus as shipped:
each ``news-search`` line runs (on its own copy of an index of ``corpus/``) and does what it says,
each query of the README's syntax table finds articles, and the first run shows a real product."""

from __future__ import annotations

import json
import re
import shlex
import shutil
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner

from index.cli import cli
from search import create_app

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")
#: The articles of corpus/: the seed article and the Wikinews articles.
BUNDLED = 294


def readme_commands() -> list[str]:
    """The ``news-search`` lines of the README's shell blocks (Start's serve aside: it does not return;
    and ``cluster``, which runs a cluster's nodes: tests/test_cluster_commands.py runs those lines)."""
    blocks = re.findall(r"```sh\n(.*?)```", README, flags=re.S)
    lines = [line.strip() for block in blocks for line in block.splitlines()]
    return [line for line in lines if line.startswith("news-search ")
            and not line.startswith(("news-search serve", "news-search cluster "))]


def help_commands() -> list[str]:
    """The ``news-search`` example lines of every command's ``--help``."""
    runner, examples = CliRunner(), []
    for name in cli.list_commands(None):
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0, result.output
        examples += [line.strip() for line in result.output.splitlines() if line.strip().startswith("news-search ")]
    return examples


def table_queries() -> list[str]:
    """The queries of the README's "you type / it finds" table."""
    table = README.split("| you type | it finds |", 1)[1].split("\n\n", 1)[0]
    return [query for row in table.splitlines()[2:] for query in re.findall(r"`([^`]+)`", row.split(" | ")[0])]


@pytest.fixture(scope="module")
def bundled_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    index_dir = tmp_path_factory.mktemp("bundled") / "index"
    result = CliRunner().invoke(cli, ["index", str(REPO / "corpus"), "--index-dir", str(index_dir)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"{BUNDLED} articles read: {BUNDLED} added") and " 0 skipped" in result.output
    return index_dir


@pytest.fixture(scope="module")
def client(bundled_index: Path):
    return create_app({"TESTING": True, "INDEX": str(bundled_index), "RESULTS_CACHE": 0}).test_client()


def test_the_examples_are_found():
    assert len(readme_commands()) >= 10 and len(help_commands()) >= 6 and len(table_queries()) >= 8


@pytest.mark.parametrize("line", sorted(set(readme_commands() + help_commands())))
def test_example_works_on_the_bundled_corpus(line: str, bundled_index: Path, tmp_path: Path, monkeypatch):
    monkeypatch.chdir(REPO)  # examples name corpus/ relative to the repository
    index_dir = tmp_path / "index"
    shutil.copytree(bundled_index, index_dir)
    args = shlex.split(line, comments=True)[1:]
    command = args[0]
    if command != "extract":
        args += ["--index-dir", str(index_dir)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    output = result.output
    if command == "search" and "--json" in args:
        assert json.loads(output)["total"] > 0
    elif command == "search":
        assert re.match(r"[1-9][0-9]* articles?, ", output) and "**" in output, output
    elif command == "related":
        assert re.match(r"[1-9][0-9]* related articles? for ", output), output
    elif command == "delete":
        assert output.strip() == "1 deleted"
    elif command == "index":
        assert re.match(rf"{BUNDLED} articles read: .* 0 skipped", output), output
    elif command == "extract":
        assert json.loads(output)["title"].startswith("Biden authorizes Ukraine")
    elif command == "stats":
        assert json.loads(output)["articles"] == BUNDLED
    elif command == "stories":
        assert output.startswith("0 stories with copies")  # as the README says of the bundled articles
    else:
        pytest.fail(f"no check for the example {line!r}")


@pytest.mark.parametrize("query", table_queries())
def test_every_query_of_the_syntax_table_finds_articles(query: str, client):
    body = client.get("/api/search", query_string={"q": query}).get_json()
    assert body["total"] > 0 and body["warnings"] == [], body
    # A query of the title or source marks nothing in the body's snippets, nor one of exclusions alone.
    if ":" not in query and not query.startswith(("-", "NOT ")):
        assert any("<mark>" in passage["snippet"] for hit in body["results"] for passage in hit["passages"])


def test_the_readme_api_example_answers(client):
    url = re.search(r"curl '(http://127\.0\.0\.1:5000(/api/search\?[^']+))'", README).group(2)
    assert client.get(url).get_json()["total"] >= 10


def test_a_first_search_shows_results_a_timeline_and_related_coverage(client):
    body = client.get("/api/search?q=election").get_json()
    assert body["total"] >= 10 and body["pages"] > 1
    counted = {bucket["start"][:4] for bucket in body["facets"]["timeline"] if bucket["count"]}
    assert {"2019", "2020"} <= counted
    page = BeautifulSoup(client.get("/?q=election").text, "html.parser")
    assert len(page.select("mark")) >= 10
    first = body["results"][0]["article_id"]
    article = BeautifulSoup(client.get(f"/articles/{first}?q=election").text, "html.parser")
    assert "Related coverage" in article.get_text() and len(article.select("mark")) > 0
    assert client.get(f"/api/articles/{first}/related").get_json()["results"]
