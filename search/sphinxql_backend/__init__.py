"""The SphinxQL backend: a search engine spoken to in SphinxQL over the MySQL protocol.

Production runs Manticore Search; here and in continuous integration it is Debian's ``sphinxsearch``
2.2.11, which speaks the same SphinxQL for everything the backend asks of it.

* :class:`SphinxQLBackend` -- a cluster behind its head node (``NEWS_SEARCH_SPHINXQL``), and for
  writes and per-agent status its map (``NEWS_SEARCH_CLUSTER``): connections lent per request and
  kept for the next, writes through :mod:`~search.sphinxql_backend.writing`;
* :class:`SphinxQLSnapshot` -- one connection to the head, answering every question of
  :class:`search.backend.Snapshot`.

Its parts:

* :mod:`~search.sphinxql_backend.config` -- the cluster map (:class:`~search.sphinxql_backend.config.Cluster`,
  its shards, copies and nodes), ``cluster.json``, each node's ``searchd`` config and the RT index schema;
* :mod:`~search.sphinxql_backend.connection` -- SphinxQL connections that give up in time, and readable
  error messages;
* :mod:`~search.sphinxql_backend.cluster` -- the ``searchd`` processes of a local cluster: starting and
  stopping nodes and whole clusters, waiting until they answer, and their status;
* :mod:`~search.sphinxql_backend.writing` -- indexing runs over every copy of every shard;
* :mod:`~search.sphinxql_backend.querying`, :mod:`~search.sphinxql_backend.ranking`,
  :mod:`~search.sphinxql_backend.searching`, :mod:`~search.sphinxql_backend.articles` -- a query in
  Sphinx's syntax, ranked as the Whoosh backend ranks; a search's page; an article;
* :mod:`~search.sphinxql_backend.spelling`, :mod:`~search.sphinxql_backend.related`,
  :mod:`~search.sphinxql_backend.stories` -- did-you-mean, related coverage, wire copies.

A cluster has no generations: what a search reads is what the head's agents hold when it asks. A
snapshot's ``generation`` (for the results cache) names the cluster's state by its counts of rows and
the time of its newest write, so that a write moves every cached result aside.

Importing the package loads none of its modules, nor the MySQL-protocol client they use, until a
backend is made: a web worker of the Whoosh backend never loads them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from index.errors import BadConfiguration
from search.backend import Backend
from search.params import SearchParams
from search.query import ReadQuery, read_query

_log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from search.results import ArticleView, Health, Page, Related, Stories
    from search.sphinxql_backend.config import Cluster

#: The environment variables that name the head node and the cluster map.
ENV_HEAD = "NEWS_SEARCH_SPHINXQL"
ENV_CLUSTER = "NEWS_SEARCH_CLUSTER"
#: Options of an indexing run that a cluster's writer takes (the others are the Whoosh writer's).
WRITE_OPTIONS = ("min_words", "max_words", "stories")


class SphinxQLSnapshot:
    """The cluster as one request reads it, over one connection to the head."""

    def __init__(self, backend: SphinxQLBackend, connection) -> None:
        self.backend = backend
        self.connection = connection
        self.broken = False
        self._generation: tuple | None = None

    @contextmanager
    def cursor(self) -> Iterator:
        """A cursor on the head; a connection that fails is not lent again, and the failure is
        :class:`~search.sphinxql_backend.connection.ClusterUnavailable`."""
        import pymysql

        from search.sphinxql_backend.connection import ClusterUnavailable, describe_error

        try:
            with self.connection.cursor() as cursor:
                yield cursor
        except (pymysql.OperationalError, pymysql.InterfaceError, OSError) as error:
            self.broken = True
            raise ClusterUnavailable(f"the search cluster's head at {self.backend.head} stopped answering "
                                     f"({describe_error(error)})") from error

    @property
    def generation(self) -> tuple:
        if self._generation is None:
            with self.cursor() as cursor:
                self._generation = (self.backend.head, *sorted(_rows_by_kind(cursor).items()))
        return self._generation

    def _read(self, read: ReadQuery) -> ReadQuery:
        from search.sphinxql_backend.querying import SPHINX_SCHEMA

        return read_query(read.text, SPHINX_SCHEMA) if read.query is not None and read.text.strip() else ReadQuery(None)

    def search(self, params: SearchParams, read: ReadQuery) -> Page:
        from dataclasses import replace

        from search.sphinxql_backend.searching import find, source_names
        from search.sphinxql_backend.spelling import suggest

        with self.cursor() as cursor:
            sources = source_names(cursor) if params.source else []
            page = find(cursor, params, self._read(read), sources)
        if params.q.strip() and read.query is not None:
            page = replace(page, suggestion=suggest(self.backend.cluster, params.q))
        return page

    def article(self, article_id: str, read: ReadQuery) -> ArticleView:
        from search.sphinxql_backend.articles import article_view

        with self.cursor() as cursor:
            return article_view(cursor, article_id, self._read(read))

    def has_article(self, article_id: str) -> bool:
        from search.sphinxql_backend.articles import has_article

        with self.cursor() as cursor:
            return has_article(cursor, article_id)

    def related(self, article_id: str, limit: int) -> Related:
        from search.sphinxql_backend.related import related_articles

        with self.cursor() as cursor:
            return related_articles(cursor, article_id, limit)

    def stories(self, top: int) -> Stories:
        from search.sphinxql_backend.stories import cluster_stories

        with self.cursor() as cursor:
            return cluster_stories(cursor, top)

    def health(self) -> Health:
        from search.results import Health

        with self.cursor() as cursor:
            counts = _counts(cursor)
        return Health(articles=counts["articles"], passages=counts["passages"], generation=None,
                      details={"head": self.backend.head, "agents": self.backend.agents()})

    def updated(self) -> datetime:
        with self.cursor() as cursor:
            return _counts(cursor)["updated"]


def _rows_by_kind(cursor) -> dict[int, tuple[int, int]]:
    """For passages' rows (0) and articles' rows (1): how many, and when the newest was written."""
    from search.sphinxql_backend.config import HEAD_INDEX

    cursor.execute(f"SELECT whole, COUNT(*), MAX(indexed_at) FROM {HEAD_INDEX} GROUP BY whole")
    return {int(whole): (int(count), int(newest or 0)) for whole, count, newest in cursor.fetchall()}


def _counts(cursor) -> dict:
    """Articles and passages on the cluster, and when its newest row was written (now, when empty)."""
    rows = _rows_by_kind(cursor)
    newest = max((newest for _, newest in rows.values()), default=0)
    return {"articles": rows.get(1, (0, 0))[0], "passages": rows.get(0, (0, 0))[0],
            "updated": datetime.fromtimestamp(newest, timezone.utc) if newest else datetime.now(timezone.utc)}


class SphinxQLBackend(Backend):
    """A cluster whose head node speaks SphinxQL at *head* (``HOST:PORT``), with the map *cluster_map*
    (``cluster.json``, or its directory) naming every copy of every shard: needed to write and to
    report each agent, not to search."""

    name = "sphinxql"

    def __init__(self, head: str | None = None, cluster_map: str | None = None) -> None:
        from search.sphinxql_backend.config import ClusterError, load_cluster, split_address

        try:
            self.cluster: Cluster | None = load_cluster(cluster_map) if cluster_map else None
        except ClusterError as error:
            raise BadConfiguration(f"{ENV_CLUSTER}: {error}") from error
        self.head = str(head) if head else (self.cluster.head if self.cluster else "")
        if not self.head:
            raise BadConfiguration(f"the sphinxql backend needs the head node, {ENV_HEAD}=HOST:PORT, or the "
                                   f"cluster map, {ENV_CLUSTER}=PATH (see `news-search cluster start`)")
        try:
            split_address(self.head)
        except ValueError as error:
            raise BadConfiguration(f"{ENV_HEAD} must be HOST:PORT; got {self.head!r}") from error
        self._lock = threading.Lock()
        self._idle: list[SphinxQLSnapshot] = []

    def acquire(self) -> SphinxQLSnapshot:
        import pymysql

        from search.sphinxql_backend.connection import ClusterUnavailable, connect, describe_error

        with self._lock:
            snapshot = self._idle.pop() if self._idle else None
        if snapshot is not None:
            return SphinxQLSnapshot(self, snapshot.connection)
        try:
            return SphinxQLSnapshot(self, connect(self.head))
        except (pymysql.Error, OSError) as error:
            # Where the head is, and why it did not answer, is for the service's log, not for its public.
            _log.warning("the search cluster's head at %s does not answer (%s)", self.head, describe_error(error))
            raise ClusterUnavailable("the search cluster does not answer; try again shortly") from error

    def release(self, snapshot: SphinxQLSnapshot) -> None:
        if snapshot.broken or not snapshot.connection.open:
            snapshot.connection.close()
            return
        with self._lock:
            self._idle.append(snapshot)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for snapshot in idle:
            snapshot.connection.close()

    def exists(self) -> bool:
        from search.sphinxql_backend.connection import ClusterUnavailable

        try:
            with self.snapshot() as snapshot:
                return snapshot.health().articles > 0
        except ClusterUnavailable:
            return False

    def _writable(self) -> Cluster:
        if self.cluster is None:
            raise BadConfiguration(f"writing to the cluster needs its map: {ENV_CLUSTER}=PATH "
                                   "(the cluster.json of `news-search cluster start`)")
        return self.cluster

    def update(self, items: Iterable, *, rebuild: bool = False, prune: bool = False,
               on_skip: Callable | None = None, **options):
        from search.sphinxql_backend.writing import update_cluster

        chosen = {name: value for name, value in options.items() if name in WRITE_OPTIONS}
        return update_cluster(self._writable(), items, rebuild=rebuild, prune=prune, on_skip=on_skip, **chosen)

    def delete(self, article_ids: Iterable[str]) -> list[str]:
        from search.sphinxql_backend.writing import delete_from_cluster

        return delete_from_cluster(self._writable(), article_ids)

    def stats(self) -> dict:
        with self.snapshot() as snapshot, snapshot.cursor() as cursor:
            counts = _counts(cursor)
        return {"articles": counts["articles"], "passages": counts["passages"], "generation": None,
                "updated": counts["updated"].isoformat(timespec="seconds"), "head": self.head,
                "agents": self.agents()}

    def agents(self) -> list[dict]:
        """Each node of the cluster (the head, each copy of each shard): whether it answers, the rows of
        each shard it holds, and what went wrong; none when the cluster's map is not known."""
        from search.sphinxql_backend.cluster import cluster_status

        if self.cluster is None:
            return []
        return [{"node": status.node, "indexes": list(self.cluster.node(status.node).indexes),
                 "answers": status.alive, "rows": status.rows, "error": status.error}
                for status in cluster_status(self.cluster)]
