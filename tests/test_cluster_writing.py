"""Indexing into a real local Sphinx cluster (two shards, the first with a mirror): the runs of the Whoosh
index -- add, leave, replace, delete, prune -- with every copy written alike, a copy that is down
refused loudly, and a run killed part way completed by the next."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from index.articles import read_articles
from index.errors import IndexBusy
from index.writer import update_index
from search.sphinxql_backend.cluster import running_cluster, start_node, stop_node
from search.sphinxql_backend.config import Cluster
from search.sphinxql_backend.connection import connect
from search.sphinxql_backend.writing import (CopyUnavailable, copy_rows, delete_from_cluster, update_cluster,
                                             write_lock)
from tests.conftest import write_corpus
from tests.test_cluster import require_searchd

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    require_searchd()
    with running_cluster(tmp_path / "cluster", shards=2, mirrors=1) as started:
        yield started


def rows_of(cluster: Cluster, node: str, columns: str = "article_id, position, body_text") -> set[tuple]:
    copy = next(copy for shard in cluster.shards for copy in shard.copies if copy.node == node)
    with connect(copy.address) as connection, connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {copy.index} WHERE whole = 0 LIMIT 10000 OPTION max_matches=10000")
        return set(cursor.fetchall())


def assert_copies_alike(cluster: Cluster) -> None:
    assert rows_of(cluster, "data0", "id, article_id, content_hash, body_text") == \
        rows_of(cluster, "mirror0", "id, article_id, content_hash, body_text")


def test_a_run_writes_every_article_to_its_shard_on_every_copy(cluster: Cluster, tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus")
    summary = update_cluster(cluster, read_articles([corpus]))
    whoosh = update_index(tmp_path / "whoosh", read_articles([corpus]))
    assert (summary.added, summary.skipped, summary.passages) == (whoosh.added, whoosh.skipped, whoosh.passages)
    counts = copy_rows(cluster)
    assert counts["data0"] == counts["mirror0"] and counts["data0"]["articles"] and counts["data1"]["articles"]
    assert counts["data0"]["passages"] + counts["data1"]["passages"] == whoosh.passages
    assert counts["data0"]["articles"] + counts["data1"]["articles"] == whoosh.added
    assert_copies_alike(cluster)
    again = update_cluster(cluster, read_articles([corpus]))
    assert (again.added, again.updated, again.unchanged, again.passages) == (0, 0, whoosh.added, 0)


def test_a_changed_article_is_replaced_with_all_its_passages_and_a_deleted_one_goes(cluster: Cluster,
                                                                                     tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus")
    update_cluster(cluster, read_articles([corpus]))
    path = corpus / "bike-lanes.txt"
    path.write_text(path.read_text().split("\n\n")[0] + "\n\nThe council dropped the bike lanes plan.\n")
    summary = update_cluster(cluster, read_articles([corpus]))
    assert (summary.updated, summary.added) == (1, 0)
    node = "data0" if any("bike-lanes" in row[0] for row in rows_of(cluster, "data0")) else "data1"
    bodies = [body for article_id, _, body in rows_of(cluster, node) if article_id.endswith("bike-lanes.txt")
              or "bike-lanes" in article_id]
    assert bodies == ["The council dropped the bike lanes plan."]
    assert_copies_alike(cluster)
    article_id = next(row[0] for row in rows_of(cluster, node) if "bike-lanes" in row[0])
    assert delete_from_cluster(cluster, [article_id, "no-such-article"]) == [article_id]
    assert not any("bike-lanes" in row[0] for node in ("data0", "data1", "mirror0") for row in rows_of(cluster, node))
    path.unlink()
    (corpus / "marathon.txt").unlink()
    pruned = update_cluster(cluster, read_articles([corpus]), prune=True)
    assert pruned.deleted == 1 and not any("marathon" in row[0] for node in ("data0", "data1") for row in rows_of(cluster, node))
    assert_copies_alike(cluster)


def test_a_copy_that_is_down_stops_the_run_before_it_writes_and_the_next_run_completes(cluster: Cluster,
                                                                                       tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus")
    mirror = cluster.node("mirror0")
    stop_node(mirror)
    with pytest.raises(CopyUnavailable, match="copy mirror0 of shard0 .* does not answer.*nothing was written"):
        update_cluster(cluster, read_articles([corpus]))
    assert not rows_of(cluster, "data0") and not rows_of(cluster, "data1")
    start_node(mirror)
    summary = update_cluster(cluster, read_articles([corpus]))
    assert summary.added > 0
    assert_copies_alike(cluster)


def test_copies_that_differ_are_brought_alike_by_the_next_run(cluster: Cluster, tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus")
    update_cluster(cluster, read_articles([corpus]))
    # As if a run had stopped between committing a batch on data0 and on mirror0: one article missing there.
    mirror = cluster.shards[0].copies[1]
    with connect(mirror.address) as connection, connection.cursor() as cursor:
        cursor.execute(f"SELECT akey FROM {mirror.index} WHERE whole = 1 LIMIT 1")
        cursor.execute(f"DELETE FROM {mirror.index} WHERE akey = %s", (cursor.fetchall()[0][0],))
    assert rows_of(cluster, "data0") != rows_of(cluster, "mirror0")
    summary = update_cluster(cluster, read_articles([corpus]))
    assert (summary.updated, summary.added) == (1, 0)
    assert_copies_alike(cluster)


def test_a_second_run_at_the_same_time_is_refused(cluster: Cluster, tmp_path: Path) -> None:
    with write_lock(cluster), pytest.raises(IndexBusy, match="another indexer is writing to the cluster"):
        update_cluster(cluster, read_articles([write_corpus(tmp_path / "corpus")]))


#: A child that indexes synthetic articles and, with two batches committed, says so and waits to be killed.
KILLED_RUN = """
import random, sys
from index.articles import Article
from search.sphinxql_backend.config import load_cluster
from search.sphinxql_backend.writing import update_cluster

WORDS = [line.strip() for line in open(sys.argv[2]) if line.strip().isalpha()]

def articles(count, stop_at):
    rng = random.Random(7)
    for number in range(count):
        if number == stop_at:
            print("two batches written", flush=True)
            sys.stdin.readline()  # killed here
        body = " ".join(rng.choice(WORDS) for _ in range(120)) + "."
        yield Article(f"synthetic-{number}", f"Story {number} {rng.choice(WORDS)}", body, f"synthetic-{number}.txt")

update_cluster(load_cluster(sys.argv[1]), articles(int(sys.argv[3]), int(sys.argv[4])))
print("done", flush=True)
"""


def test_an_indexer_killed_part_way_leaves_whole_batches_and_the_next_run_completes(cluster: Cluster,
                                                                                       tmp_path: Path) -> None:
    words = tmp_path / "words.txt"
    rng = random.Random(3)
    words.write_text("\n".join("".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 9)))
                               for _ in range(5000)))
    total, stop_at = 700, 600  # batches of 256: two are committed when the 601st article is asked for
    with subprocess.Popen([sys.executable, "-c", KILLED_RUN, str(cluster.path), str(words), str(total), str(stop_at)],
                          cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                          env=dict(os.environ, PYTHONPATH=str(REPO))) as child:
        try:
            assert child.stdout.readline().strip() == "two batches written"
        finally:
            child.send_signal(signal.SIGKILL)
    assert child.returncode == -signal.SIGKILL
    counts = copy_rows(cluster)
    assert counts["data0"] == counts["mirror0"]
    assert counts["data0"]["articles"] + counts["data1"]["articles"] == 512
    assert_copies_alike(cluster)
    # The same articles again, to the end: the 512 written are left, the rest added.
    finished = subprocess.run([sys.executable, "-c", KILLED_RUN, str(cluster.path), str(words), str(total), str(total)],
                              cwd=REPO, capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=str(REPO)),
                              timeout=300)
    assert finished.returncode == 0 and finished.stdout.strip() == "done", finished.stderr
    counts = copy_rows(cluster)
    assert counts["data0"]["articles"] + counts["data1"]["articles"] == total
    assert_copies_alike(cluster)
