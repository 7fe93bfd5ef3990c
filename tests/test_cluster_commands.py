"""``news-search cluster start|status|stop`` and the rest of the command line over a local cluster, as
the README shows them: start it, point the indexer and the search at it with the printed lines, read
each node's status, stop it."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from index.cli import cli
from search.sphinxql_backend.cluster import node_pids, stop_cluster
from search.sphinxql_backend.config import free_port
from tests.test_cluster import require_searchd


def exports(output: str) -> dict[str, str]:
    """The variables of the ``export NAME=value`` lines printed by ``cluster start``."""
    return dict(re.findall(r"^export (NEWS_SEARCH_\w+)=(\S+)$", output, re.MULTILINE))


def test_start_index_search_status_and_stop(tmp_path: Path, corpus: Path) -> None:
    require_searchd()
    runner, directory = CliRunner(), tmp_path / "cluster"
    started = runner.invoke(cli, ["cluster", "start", "--dir", str(directory), "--shards", "2", "--mirrors", "1"])
    try:
        assert started.exit_code == 0, started.output
        env = exports(started.stdout)
        assert env["NEWS_SEARCH_BACKEND"] == "sphinxql" and Path(env["NEWS_SEARCH_CLUSTER"]) == directory / "cluster.json"
        indexed = runner.invoke(cli, ["index", str(corpus)], env=env)
        assert indexed.exit_code == 0, indexed.output
        assert "7 added" in indexed.output
        found = runner.invoke(cli, ["search", "storm shadow", "--json"], env=env)
        assert found.exit_code == 0, found.output
        assert json.loads(found.output)["results"][0]["article_id"] == "https://herald.example/world/storm-shadow"
        stats = runner.invoke(cli, ["stats", "--json"], env=env)
        assert json.loads(stats.output)["articles"] == 7
        status = runner.invoke(cli, ["cluster", "status"], env=env)
        assert status.exit_code == 0, status.output
        lines = status.output.splitlines()
        assert [line.split()[0] for line in lines] == ["head", "data0", "data1", "mirror0"]
        assert all("answers" in line and "does not" not in line for line in lines)
        assert re.search(r"^mirror0 .*shard0 \d+ rows", status.output, re.MULTILINE)
        stopped = runner.invoke(cli, ["cluster", "stop", "--dir", str(directory)])
        assert stopped.exit_code == 0, stopped.output
        assert not any(node_pids(config) for config in directory.glob("*.conf"))
        down = runner.invoke(cli, ["cluster", "status"], env=env)
        assert down.exit_code == 1 and down.output.count("does not answer") == 4
    finally:
        stop_cluster(directory)


def test_more_mirrors_than_shards_is_bad_usage(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["cluster", "start", "--dir", str(tmp_path), "--shards", "1", "--mirrors", "2"])
    assert result.exit_code == 2 and "--mirrors" in result.output
    assert not list(tmp_path.glob("*.conf"))


def test_stopping_where_no_cluster_is_configured_says_so(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["cluster", "stop", "--dir", str(tmp_path)])
    assert result.exit_code == 1 and "no cluster is configured there" in result.output


def test_the_sphinxql_backend_without_a_head_or_map_says_what_it_needs(index_dir: Path) -> None:
    result = CliRunner().invoke(cli, ["search", "missiles"], env={"NEWS_SEARCH_BACKEND": "sphinxql",
                                                                  "NEWS_SEARCH_SPHINXQL": "", "NEWS_SEARCH_CLUSTER": ""})
    assert result.exit_code == 1 and "NEWS_SEARCH_SPHINXQL=HOST:PORT" in result.output
    assert "Traceback" not in result.output


def test_a_head_that_does_not_answer_is_an_error_not_a_hang(index_dir: Path) -> None:
    env = {"NEWS_SEARCH_BACKEND": "sphinxql", "NEWS_SEARCH_SPHINXQL": f"127.0.0.1:{free_port(set())}",
           "NEWS_SEARCH_CLUSTER": ""}
    result = CliRunner().invoke(cli, ["search", "missiles"], env=env)
    assert result.exit_code == 1 and "does not answer" in result.output
