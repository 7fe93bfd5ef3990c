"""A real local sphinxsearch cluster (search.sphinxql_backend): start it, write to every copy of each shard, query
through the head, lose a shard, lose one copy of a mirrored shard, read the status, stop it.

Needs ``searchd`` (Debian: ``apt-get install sphinxsearch``); the tests skip without it, or fail when
``NEWS_SEARCH_REQUIRE_CLUSTER=1``. One cluster (2 shards, shard 0 mirrored) serves the module; the tests
that stop nodes start them again before they end. Lifecycle tests start a one-node cluster of their own.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pymysql
import pytest

from search.sphinxql_backend.cluster import (
    SEARCHD,
    cluster_status,
    node_pids,
    running_cluster,
    start_cluster,
    start_node,
    stop_cluster,
    stop_node,
)
from search.sphinxql_backend.config import HEAD_INDEX, Cluster, ClusterError, article_key, load_cluster, row_id
from search.sphinxql_backend.connection import connect

#: Articles as (id, title, source, published, passages): tiny, real-looking, on both shards.
ARTICLES = [
    ("herald/storm-shadow", "Britain weighs wider use of Storm Shadow missiles", "Westbridge Herald", "2024-11-20",
     ["British ministers met to discuss whether Ukraine may fire Storm Shadow cruise missiles inside Russia.",
      "The missiles, built jointly with France, have a range of more than 250 km."]),
    ("wire/grid-attacks", "Russian strikes hit Ukraine's power grid", "Northern Wire", "2024-11-18",
     ["A wave of missile and drone strikes damaged power plants across Ukraine overnight.",
      "Engineers were working to restore supply to hospitals first.",
      "Officials renewed calls for more air-defence systems before the coldest months."]),
    ("ledger/bike-lanes", "Council approves protected bike lanes on Harbor Street", "Harbor City Ledger", "2024-10-02",
     ["The city council voted 7-2 to build protected bike lanes along Harbor Street.",
      "Shop owners won a promise of loading zones on every block."]),
    ("wire/rates", "Central bank holds interest rates as inflation cools", "Northern Wire", "2024-09-18",
     ["The central bank kept its benchmark rate at 4.5% on Wednesday.",
      "Markets had priced in a small chance of a cut."]),
    ("ledger/marathon", "Record field runs the Harbor City marathon", "Harbor City Ledger", "2023-04-16",
     ["More than 12,000 runners finished the marathon, a record for the race.",
      "Volunteers handed out water along the route by the harbor."]),
    ("wire/lodz", "Łódź opens a new tram line", "Northern Wire", "2024-05-06",
     ["Trams in Łódź now reach the new rail station, the city said.",
      "The line cost 300 million złoty."]),
    ("wire/markup", 'Fares <i>rise</i> & "tickets"', "Northern Wire", "2024-01-02",
     ['A <b>bold</b> claim & a "quoted" fare rise.']),
]
PASSAGES = sum(len(article[4]) for article in ARTICLES)
COLUMNS = ("id", "title", "body", "akey", "article_id", "passage_id", "position", "start_offset", "end_offset",
           "lead", "title_text", "body_text", "source", "published", "month")


def require_searchd() -> None:
    """Skip the test when there is no ``searchd`` (fail instead with ``NEWS_SEARCH_REQUIRE_CLUSTER=1``)."""
    path = shutil.which("searchd") or SEARCHD
    if not os.access(path, os.X_OK):
        message = f"no searchd at {path} or on PATH (Debian: apt-get install sphinxsearch)"
        if os.environ.get("NEWS_SEARCH_REQUIRE_CLUSTER") == "1":
            pytest.fail(message)
        pytest.skip(message)


def rows_of(article: tuple) -> list[tuple]:
    """The passage rows of *article* in the order of :data:`COLUMNS`."""
    article_id, title, source, published, passages = article
    akey = article_key(article_id)
    stamp = int(dt.datetime.fromisoformat(published).replace(tzinfo=dt.timezone.utc).timestamp())
    rows, start = [], 0
    for position, text in enumerate(passages):
        rows.append((row_id(f"{article_id}#{position}"), title, text, akey, article_id, f"{article_id}#{position}",
                     position, start, start + len(text), position == 0, title, text, source, stamp,
                     int(published[:4] + published[5:7])))
        start += len(text) + 1
    return rows


def write_articles(cluster: Cluster, articles: list[tuple]) -> dict[int, int]:
    """REPLACE the passages of *articles* into every copy of their shards; passages per shard number."""
    per_shard: dict[int, int] = {shard.number: 0 for shard in cluster.shards}
    placeholders = "(" + ", ".join(["%s"] * len(COLUMNS)) + ")"
    for article in articles:
        shard, rows = cluster.shard_for(article[0]), rows_of(article)
        per_shard[shard.number] += len(rows)
        for copy in shard.copies:
            with connect(copy.address) as connection, connection.cursor() as cursor:
                cursor.execute(f"REPLACE INTO {copy.index} ({', '.join(COLUMNS)}) VALUES "
                               + ", ".join([placeholders] * len(rows)), [value for row in rows for value in row])
    return per_shard


def query(cluster: Cluster, sql: str, args: tuple = ()) -> tuple[list[tuple], dict[str, str]]:
    """Rows of *sql* through the head, and its ``SHOW META``."""
    with connect(cluster.head) as connection, connection.cursor() as cursor:
        cursor.execute(sql, args)
        rows = list(cursor.fetchall())
        cursor.execute("SHOW META")
        return rows, dict(cursor.fetchall())


def count_through_head(cluster: Cluster) -> tuple[int, str | None]:
    """How many passages the head counts, and the warning of ``SHOW META`` (``None`` for a complete count)."""
    rows, meta = query(cluster, f"SELECT COUNT(*) FROM {HEAD_INDEX}")
    return rows[0][0], meta.get("warning")


def searchd_alive(pid: int) -> bool:
    """Whether *pid* is still a searchd (a zombie is not: nobody reaps daemons in some containers)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].endswith(b"searchd")
    except OSError:
        return False


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """Two shards, shard 0 on two nodes, with :data:`ARTICLES` written; stopped after the module."""
    require_searchd()
    with running_cluster(tmp_path_factory.mktemp("cluster"), shards=2, mirrors=1) as started:
        per_shard = write_articles(started, ARTICLES)
        assert all(per_shard.values()), f"every shard should hold passages: {per_shard}"
        yield started


@pytest.fixture
def one_node(tmp_path: Path) -> Iterator[Cluster]:
    """A cluster of one shard without mirrors, for the lifecycle tests (stopped whatever they do)."""
    require_searchd()
    with running_cluster(tmp_path / "one", shards=1, mirrors=0) as started:
        yield started


def test_cluster_map_names_the_head_and_every_copy(cluster: Cluster) -> None:
    assert load_cluster(cluster.path) == cluster == load_cluster(cluster.directory)
    assert [[copy.node for copy in shard.copies] for shard in cluster.shards] == [["data0", "mirror0"], ["data1"]]
    assert [node.name for node in cluster.nodes] == ["head", "data0", "data1", "mirror0"]
    assert {copy.index for copy in cluster.shards[0].copies} == {"shard0"}
    assert cluster.head == cluster.node("head").address
    assert cluster.export_lines() == [
        "export NEWS_SEARCH_BACKEND=sphinxql",
        f"export NEWS_SEARCH_SPHINXQL={cluster.head}",
        f"export NEWS_SEARCH_CLUSTER={cluster.directory / 'cluster.json'}",
    ]
    head_config = cluster.node("head").config.read_text()
    assert f"agent = {cluster.shards[0].copies[0].agent}|{cluster.shards[0].copies[1].agent}:shard0" in head_config
    assert "ha_strategy = nodeads" in head_config


def test_status_counts_the_rows_of_every_copy(cluster: Cluster) -> None:
    expected = {number: sum(len(a[4]) for a in ARTICLES if cluster.shard_for(a[0]).number == number)
                for number in (0, 1)}
    statuses = {status.node: status for status in cluster_status(cluster)}
    assert {name: (s.alive, s.rows, s.error) for name, s in statuses.items()} == {
        "head": (True, {}, None),
        "data0": (True, {"shard0": expected[0]}, None),
        "data1": (True, {"shard1": expected[1]}, None),
        "mirror0": (True, {"shard0": expected[0]}, None),
    }
    assert all(s.pid and searchd_alive(s.pid) for s in statuses.values())


def test_head_sees_both_shards(cluster: Cluster) -> None:
    rows, meta = query(cluster, f"SELECT article_id FROM {HEAD_INDEX} WHERE MATCH(%s) LIMIT 100",
                       ("missiles | harbor",))
    assert sorted({row[0] for row in rows}) == [
        "herald/storm-shadow", "ledger/bike-lanes", "ledger/marathon", "wire/grid-attacks"]
    assert {cluster.shard_for(row[0]).number for row in rows} == {0, 1}
    assert "warning" not in meta
    rows, _ = query(cluster, f"SELECT COUNT(*), COUNT(DISTINCT akey) FROM {HEAD_INDEX}")
    assert rows == [(PASSAGES, len(ARTICLES))]


def test_best_passage_per_article_and_facets_in_one_batch(cluster: Cluster) -> None:
    match = "harbor | missiles"
    batch = (f"SELECT article_id, position, WEIGHT() w FROM {HEAD_INDEX} WHERE MATCH(%s) GROUP BY akey"
             " WITHIN GROUP ORDER BY WEIGHT() DESC, position ASC ORDER BY w DESC, akey ASC LIMIT 10"
             " OPTION max_matches=100;"
             f" SELECT source, COUNT(DISTINCT akey) n FROM {HEAD_INDEX} WHERE MATCH(%s) GROUP BY source"
             " ORDER BY n DESC, source ASC;"
             f" SELECT month ym, COUNT(DISTINCT akey) n FROM {HEAD_INDEX} WHERE MATCH(%s)"
             " GROUP BY ym ORDER BY ym DESC")
    with connect(cluster.head) as connection, connection.cursor() as cursor:
        cursor.execute(batch, (match, match, match))
        best = cursor.fetchall()
        assert cursor.nextset()
        sources = cursor.fetchall()
        assert cursor.nextset()
        months = cursor.fetchall()
    assert sorted((row[0], row[1]) for row in best) == [
        ("herald/storm-shadow", 0), ("ledger/bike-lanes", 0), ("ledger/marathon", 1), ("wire/grid-attacks", 0)]
    assert sources == ((("Harbor City Ledger", 2), ("Northern Wire", 1), ("Westbridge Herald", 1)))
    assert months == ((202411, 2), (202410, 1), (202304, 1))


def test_unicode_words_are_words(cluster: Cluster) -> None:
    rows, meta = query(cluster, f"SELECT article_id, position FROM {HEAD_INDEX} WHERE MATCH(%s)", ("@body łódź",))
    assert rows == [("wire/lodz", 0)]
    assert meta["keyword[0]"] == "łódź"


def test_snippets_mark_matches_but_do_not_escape(cluster: Cluster) -> None:
    """Markup in the text comes back as it is: a backend must escape it around its own markers."""
    rows, _ = query(cluster, f"SELECT SNIPPET(body_text, %s, 'before_match=\x02', 'after_match=\x03')"
                             f" FROM {HEAD_INDEX} WHERE MATCH(%s)", ("fares bold", "fares"))
    assert rows == [('A <b>\x02bold\x03</b> claim & a "quoted" \x02fare\x03 rise.',)]


def test_writes_through_the_head_are_refused(cluster: Cluster) -> None:
    with connect(cluster.head) as connection, connection.cursor() as cursor:
        with pytest.raises(pymysql.ProgrammingError, match=f"no such index '{HEAD_INDEX}'"):
            cursor.execute(f"REPLACE INTO {HEAD_INDEX} (id, title, body) VALUES (1, 'a', 'b')")


def test_losing_the_only_copy_of_a_shard_gives_partial_results_and_a_warning(cluster: Cluster) -> None:
    total, _ = count_through_head(cluster)
    lost = cluster.shards[1].copies[0]
    with connect(lost.address) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM shard1")
        on_lost_shard = cursor.fetchone()[0]
    stop_node(cluster.node(lost.node))
    try:
        count, warning = count_through_head(cluster)
        assert count == total - on_lost_shard
        assert warning is not None and f"agent {lost.agent}: connect() failed" in warning
        statuses = {status.node: status for status in cluster_status(cluster, timeout=0.5)}
        assert not statuses[lost.node].alive and statuses[lost.node].pid is None
        assert statuses[lost.node].error and statuses[lost.node].rows == {}
        assert all(statuses[name].alive for name in ("head", "data0", "mirror0"))
    finally:
        start_node(cluster.node(lost.node))
    assert count_through_head(cluster) == (total, None)


@pytest.mark.parametrize("copy", [0, 1], ids=["data0", "mirror0"])
def test_losing_one_copy_of_a_mirrored_shard(cluster: Cluster, copy: int) -> None:
    """What 2.2.11 does: with ``ha_strategy = nodeads`` the first 2-3 queries after a copy dies come back
    partial (with a warning); after that every query goes to the other copy and is complete."""
    total, _ = count_through_head(cluster)
    lost = cluster.shards[0].copies[copy]
    stop_node(cluster.node(lost.node))
    answers: list[tuple[int, str | None]] = []
    deadline = time.monotonic() + 10.0
    try:
        while len(answers) < 20 or any(count != total for count, _ in answers[-20:]):
            assert time.monotonic() < deadline, f"answers with {lost.node} down never settled: {answers}"
            answers.append(count_through_head(cluster))
    finally:
        start_node(cluster.node(lost.node))
    partial = [(count, warning) for count, warning in answers if count != total]
    assert all(warning and f"agent {lost.agent}: connect() failed" in warning for _, warning in partial)
    assert all(warning is None for count, warning in answers if count == total)
    print(f"{lost.node} down: {len(partial)} partial answers of {len(answers)}")
    assert count_through_head(cluster) == (total, None)


def test_stop_cluster_leaves_no_searchd(one_node: Cluster) -> None:
    pids = [status.pid for status in cluster_status(one_node)]
    assert len(pids) == 2 and all(pid and searchd_alive(pid) for pid in pids)
    stop_cluster(one_node.directory)
    assert not any(searchd_alive(pid) for pid in pids)
    assert all(node_pids(node.config) == [] for node in one_node.nodes)
    assert [(s.alive, s.pid) for s in cluster_status(one_node, timeout=0.5)] == [(False, None), (False, None)]
    stop_cluster(one_node.directory)  # nothing left to stop: no error
    stop_node(one_node.node("data0"))
    stop_cluster(one_node.directory / "never-made")


def test_a_node_comes_back_with_its_rows(one_node: Cluster) -> None:
    write_articles(one_node, ARTICLES[:2])
    data0 = one_node.node("data0")
    stop_node(data0)
    start_node(data0)
    assert [s.rows for s in cluster_status(one_node)] == [{}, {"shard0": 5}]


def test_a_hung_node_is_killed(one_node: Cluster) -> None:
    data0 = one_node.node("data0")
    [pid] = node_pids(data0.config)
    os.kill(pid, signal.SIGSTOP)  # ignores SIGTERM from --stopwait and from us: only SIGKILL ends it
    started = time.monotonic()
    stop_node(data0, timeout=1.0)
    assert not searchd_alive(pid)
    assert time.monotonic() - started < 10


def test_running_cluster_stops_everything_on_error(tmp_path: Path) -> None:
    require_searchd()
    with pytest.raises(RuntimeError, match="boom"):
        with running_cluster(tmp_path, shards=1, mirrors=1) as started:
            pids = [pid for node in started.nodes for pid in node_pids(node.config)]
            assert len(pids) == 3
            raise RuntimeError("boom")
    assert not any(searchd_alive(pid) for pid in pids)


def test_start_refuses_a_directory_whose_cluster_runs(one_node: Cluster) -> None:
    with pytest.raises(ClusterError, match="are running; stop_cluster"):
        start_cluster(one_node.directory, shards=1)
    assert all(s.alive for s in cluster_status(one_node))


def test_start_refuses_a_busy_port(tmp_path: Path) -> None:
    require_searchd()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(ClusterError, match=f"node head: port {port} on 127.0.0.1 is in use"):
            start_cluster(tmp_path, shards=1, port=port)
    assert not [config for config in tmp_path.glob("*.conf") if node_pids(config)]


def test_start_failure_names_the_node_and_cleans_up(tmp_path: Path) -> None:
    with pytest.raises(ClusterError, match=r"searchd node data0 \(127\.0\.0\.1:\d+, .*\) did not start:"
                                           r" searchd exited with status 1\n--- last lines of "):
        start_cluster(tmp_path, shards=1, searchd="/bin/false")


def test_a_node_that_cannot_start_says_why(one_node: Cluster) -> None:
    data0 = one_node.node("data0")
    write_articles(one_node, ARTICLES[:1])
    stop_node(data0)
    (data0.directory / "shard0.meta").write_text("not a meta file")
    with pytest.raises(ClusterError) as failure:
        start_node(data0)
    assert str(failure.value).startswith(f"searchd node data0 ({data0.address}, {data0.config}) did not start:"
                                         " searchd exited with status 1\n")
    assert f"invalid meta file {data0.directory / 'shard0.meta'}; NOT SERVING" in str(failure.value)
    assert f"--- last lines of {data0.log} ---" in str(failure.value)
    assert node_pids(data0.config) == []


def test_a_bad_cluster_map_is_a_cluster_error(tmp_path: Path) -> None:
    (tmp_path / "cluster.json").write_text('{"head": "127.0.0.1:9306"}')
    with pytest.raises(ClusterError, match="not a readable cluster map"):
        load_cluster(tmp_path)
