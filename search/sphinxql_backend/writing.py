"""Writing articles into a cluster: the same runs as the Whoosh index's, every copy of a shard written alike.

* :func:`update_cluster` -- an indexing run (:class:`index.runs.Run`: new articles added, changed ones
  replaced with all their passages, unchanged ones left, ``prune`` and ``rebuild`` as for Whoosh) over a
  :class:`ClusterSink`;
* :func:`delete_from_cluster` -- remove articles by id;
* :func:`passage_row` -- one passage document as the row of a shard's RT index (:mod:`~search.sphinxql_backend.config`).

An article's passages all go to one shard, chosen by a hash of its id (:meth:`Cluster.shard_for`);
every copy of that shard gets the same statements, each copy over its own connection.

What a crash (or a copy that stops answering) leaves. The writes of each batch of articles
(:data:`index.runs.STORY_BATCH`) are one transaction per copy: a copy holds all of a batch or none
of it, and a batch committed on one copy may be missing on another when the run stopped between the
two. Nothing is lost that a second run does not bring back: a run reads every copy before it writes,
and an article that the copies of its shard do not hold alike (missing on one, or of another
content hash) is written again to all of them, as a changed article is. A run that cannot reach every
copy of every shard writes nothing and says which copy; one that loses a copy part way stops with
an error naming it. A rebuild is not one transaction, as it is in Whoosh: articles are rewritten
batch by batch and the ones no longer read are deleted at the end, so a stopped rebuild leaves old
and new articles side by side, all searchable, until the next run completes it.

One run at a time: a lock file beside the cluster map (``write.lock``) keeps a second run on the
same machine out, with :class:`index.errors.IndexBusy`.
"""

from __future__ import annotations

import base64
import calendar
import fcntl
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime

import pymysql

from index.articles import Article, Skipped
from index.errors import IndexBusy, NewsSearchError
from index.passages import MAX_WORDS, MIN_WORDS
from index.runs import Run, StoredArticle
from index.schema import SCHEMA, Fields
from index.stories import Candidate, StoryParams, unpack_keys
from index.summary import IndexSummary
from search.sphinxql_backend.config import Cluster, Copy, article_key, row_id
from search.sphinxql_backend.connection import connect, describe_error

#: Rows read per statement when reading what a copy holds.
READ_PAGE = 1000
#: Bytes of one INSERT statement at most (searchd's ``max_packet_size`` is 8 MB by default).
STATEMENT_BYTES = 4_000_000
#: The lock file beside the cluster map.
LOCK_NAME = "write.lock"


class CopyUnavailable(NewsSearchError):
    """A copy of a shard did not answer or refused a write: the run stopped, and says which copy."""

    code = "copy_unavailable"


def passage_row(document: dict) -> dict:
    """The RT-index row of one passage document (:func:`index.runs.passage_documents`, with its story)."""
    published: datetime | None = document.get(Fields.PUBLISHED)
    article_id = document[Fields.ARTICLE_ID]
    story = document.get(Fields.STORY) or article_id
    return {
        "id": row_id(document[Fields.PASSAGE_ID]),
        "title": document.get(Fields.TITLE, ""), "body": document[Fields.BODY],
        "source_name": document.get(Fields.SOURCE) or "", "section_name": document.get(Fields.SECTION) or "",
        "akey": article_key(article_id), "article_id": article_id, "passage_id": document[Fields.PASSAGE_ID],
        "position": document[Fields.POSITION], "start_offset": document[Fields.START],
        "end_offset": document[Fields.END], "lead": document[Fields.POSITION] == 0, "whole": False,
        "lead_text": document.get(Fields.LEAD, ""), "title_text": document.get(Fields.TITLE, ""),
        "body_text": document[Fields.BODY], "source": document.get(Fields.SOURCE) or "",
        "section": document.get(Fields.SECTION) or "", "url": document.get(Fields.URL) or "",
        "author": document.get(Fields.AUTHOR) or "",
        "published": calendar.timegm(published.timetuple()) if published else 0,
        "month": published.year * 100 + published.month if published else 0,
        "day": published.toordinal() if published else 0,
        "published_text": document.get(Fields.PUBLISHED_TEXT) or "",
        "story": story, "skey": article_key(story), "article_words": document.get(Fields.ARTICLE_WORDS, 0),
        "content_hash": document.get(Fields.CONTENT_HASH, ""), "path": document.get(Fields.PATH, ""),
        "story_bands": _b64(document.get(Fields.STORY_BANDS)), "story_sketch": _b64(document.get(Fields.STORY_SKETCH)),
        "story_since": document.get(Fields.STORY_SINCE) or 0,
        "title_words": word_count(Fields.TITLE, document.get(Fields.TITLE, "")),
        "body_words": word_count(Fields.BODY, document[Fields.BODY]), "indexed_at": int(time.time()),
    }


def word_count(fieldname: str, text: str) -> int:
    """The words of *text* as the Whoosh index counts a field's length: its analyzer's tokens."""
    return sum(1 for _ in SCHEMA[fieldname].analyzer(text)) if text else 0


def article_row(documents: list[dict]) -> dict:
    """The row of a whole article, from its passage documents (the first one's metadata and story):
    its title and whole body as fields, no passage text kept (the passages' rows hold it)."""
    first = passage_row(documents[0])
    body = "".join(document.get(Fields.LEAD, "") + document[Fields.BODY] for document in documents)
    return {**first, "id": row_id(first["article_id"] + "#article"), "body": body, "passage_id": "",
            "position": 0, "start_offset": 0, "end_offset": len(body), "lead": False, "whole": True,
            "lead_text": "", "body_text": "", "body_words": word_count(Fields.BODY, body)}


def _b64(value: bytes | None) -> str:
    # Strings reach searchd as SQL literals, in which it reads a NUL byte as the digit 0.
    return base64.b64encode(value).decode("ascii") if value else ""


class ClusterSink:
    """A :class:`index.runs.Sink` over every copy of every shard of *cluster*: a transaction per copy
    per batch of articles."""

    def __init__(self, cluster: Cluster, rebuild: bool = False, timeout: float = 60.0) -> None:
        self.cluster, self.rebuild = cluster, rebuild
        self.connections: dict[Copy, pymysql.connections.Connection] = {}
        for shard in cluster.shards:
            for copy in shard.copies:
                self.connections[copy] = self._connect(copy, timeout)
        self._deleted: dict[int, list[int]] = {}  # per shard: articles (akey) whose rows go
        self._rows: dict[int, list[dict]] = {}     # per shard: rows written in their place
        self.diverged: list[str] = []              # articles the copies of their shard did not hold alike

    @staticmethod
    def _connect(copy: Copy, timeout: float) -> pymysql.connections.Connection:
        try:
            return connect(copy.address, timeout=timeout)
        except (pymysql.Error, OSError) as error:
            raise CopyUnavailable(f"copy {copy.node} of {copy.index} at {copy.address} does not answer "
                                  f"({describe_error(error)}); nothing was written") from error

    def close(self) -> None:
        for connection in self.connections.values():
            try:
                connection.close()
            except (pymysql.Error, OSError):
                pass  # a copy that went away: nothing to close

    def _rows_of(self, copy: Copy, columns: str, where: str = "whole = 1") -> Iterator[tuple]:
        """Every row of *copy* matching *where*, *columns* first after the id, in pages by id."""
        last = 0
        while True:
            rows = self._execute(copy, f"SELECT id, {columns} FROM {copy.index} WHERE {where} AND id > %s "
                                       f"ORDER BY id ASC LIMIT {READ_PAGE} OPTION max_matches={READ_PAGE}", (last,))
            yield from rows
            if len(rows) < READ_PAGE:
                return
            last = rows[-1][0]

    def _execute(self, copy: Copy, statement: str, args=None) -> tuple:
        try:
            with self.connections[copy].cursor() as cursor:
                cursor.execute(statement, args)
                return cursor.fetchall()
        except (pymysql.Error, OSError) as error:
            raise CopyUnavailable(f"copy {copy.node} of {copy.index} at {copy.address} failed "
                                  f"({describe_error(error)}); run again once it answers: the run "
                                  "brings every copy up to date") from error

    def known(self) -> dict[str, StoredArticle]:
        """What the copies hold alike; an article they do not is known with no hash, so it is written again."""
        known: dict[str, StoredArticle] = {}
        for shard in self.cluster.shards:
            held = [{row[1]: StoredArticle(row[2], row[3])
                     for row in self._rows_of(copy, "article_id, content_hash, path")} for copy in shard.copies]
            for article_id in set().union(*held):
                versions = {copy.get(article_id) for copy in held}
                if len(versions) == 1:
                    known[article_id] = versions.pop()
                else:
                    self.diverged.append(article_id)
                    path = next(version.path for version in versions if version is not None)
                    known[article_id] = StoredArticle("", path)
        return known

    def indexed_stories(self) -> Iterator[tuple[tuple[int, ...], Candidate]]:
        for shard in self.cluster.shards:
            rows = self._rows_of(shard.copies[0], "story_bands, story_sketch, story, day, story_since")
            for _, bands, sketch, story, day, since in rows:
                if bands:
                    yield (unpack_keys(base64.b64decode(bands)),
                           Candidate(story, base64.b64decode(sketch), day or None, since or None))

    def write(self, article_id: str, documents: list[dict], replaces: bool) -> None:
        # Rows are replaced by id; deleting the article's rows first removes passages it no longer has.
        number = self.cluster.shard_for(article_id).number
        self._deleted.setdefault(number, []).append(article_key(article_id))
        rows = self._rows.setdefault(number, [])
        rows.append(article_row(documents))
        rows.extend(passage_row(document) for document in documents)

    def delete(self, article_id: str) -> None:
        self._deleted.setdefault(self.cluster.shard_for(article_id).number, []).append(article_key(article_id))

    def end_batch(self) -> None:
        """Write the batch: for each shard, one transaction on each of its copies."""
        for shard in self.cluster.shards:
            deleted, rows = self._deleted.pop(shard.number, []), self._rows.pop(shard.number, [])
            if deleted or rows:
                for copy in shard.copies:
                    self._transaction(copy, deleted, rows)

    def _transaction(self, copy: Copy, deleted: list[int], rows: list[dict]) -> None:
        statements = []
        for start in range(0, len(deleted), READ_PAGE):
            keys = ", ".join(str(key) for key in deleted[start : start + READ_PAGE])
            statements.append((f"DELETE FROM {copy.index} WHERE akey IN ({keys})", None))
        statements += list(_inserts(copy, rows))
        self._execute(copy, "BEGIN")
        for statement, args in statements:
            self._execute(copy, statement, args)
        self._execute(copy, "COMMIT")

    def finish(self, changed: bool) -> bool:
        self.end_batch()
        return changed


def _inserts(copy: Copy, rows: list[dict]) -> Iterator[tuple[str, list]]:
    """REPLACE statements for *rows*, each under :data:`STATEMENT_BYTES`."""
    if not rows:
        return
    columns = list(rows[0])
    head = f"REPLACE INTO {copy.index} ({', '.join(columns)}) VALUES "
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    batch: list[dict] = []
    size = 0
    for row in rows:
        row_size = sum(len(value) if isinstance(value, str) else 8 for value in row.values()) * 2
        if batch and size + row_size > STATEMENT_BYTES:
            yield head + ", ".join([one] * len(batch)), [row[column] for row in batch for column in columns]
            batch, size = [], 0
        batch.append(row)
        size += row_size
    yield head + ", ".join([one] * len(batch)), [row[column] for row in batch for column in columns]


@contextmanager
def write_lock(cluster: Cluster) -> Iterator[None]:
    """The cluster's write lock for this machine's runs. :raises IndexBusy: when another run holds it."""
    path = cluster.directory / LOCK_NAME
    with open(path, "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise IndexBusy(f"another indexer is writing to the cluster in {cluster.directory}") from error
        yield


def update_cluster(
    cluster: Cluster,
    items: Iterable[Article | Skipped],
    *,
    rebuild: bool = False,
    prune: bool = False,
    on_skip: Callable[[Skipped], None] | None = None,
    min_words: int = MIN_WORDS,
    max_words: int = MAX_WORDS,
    stories: StoryParams | None = None,
    timeout: float = 60.0,
) -> IndexSummary:
    """Bring every copy of every shard of *cluster* up to date with *items*, as :func:`index.writer.update_index`
    does for a Whoosh index (see the module's notes on what a stopped run leaves).

    :raises CopyUnavailable: naming the copy, when one does not answer or fails part way.
    :raises IndexBusy: when another run on this machine is writing to the cluster.
    """
    started = time.perf_counter()
    with write_lock(cluster):
        sink = ClusterSink(cluster, rebuild, timeout)
        try:
            run = Run(sink, rebuild, min_words, max_words, stories)
            run.read(items, on_skip)
            run.delete_gone(prune)
            committed = run.finish()
        finally:
            sink.close()
    return IndexSummary(**run.counts, seconds=time.perf_counter() - started, committed=committed, generation=None)


def delete_from_cluster(cluster: Cluster, article_ids: Iterable[str], timeout: float = 60.0) -> list[str]:
    """Remove the given articles (all their passages) from every copy; returns the ids that were found."""
    with write_lock(cluster):
        sink = ClusterSink(cluster, timeout=timeout)
        try:
            known = sink.known()
            found = [article_id for article_id in dict.fromkeys(article_ids) if article_id in known]
            for article_id in found:
                sink.delete(article_id)
            sink.end_batch()
        finally:
            sink.close()
    return found


def copy_rows(cluster: Cluster, timeout: float = 10.0) -> dict[str, dict[str, int]]:
    """Passages and articles of every copy, by node: what a status report and the tests compare."""
    counts = {}
    for shard in cluster.shards:
        for copy in shard.copies:
            with connect(copy.address, timeout=timeout) as connection, connection.cursor() as cursor:
                cursor.execute(f"SELECT whole, COUNT(*) FROM {copy.index} GROUP BY whole")
                by_kind = dict(cursor.fetchall())
                counts[copy.node] = {"passages": int(by_kind.get(0, 0)), "articles": int(by_kind.get(1, 0))}
    return counts

