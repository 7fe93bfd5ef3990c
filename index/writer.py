"""Write articles into the Whoosh index: add, replace, delete, rebuild -- each run one atomic commit.

* :func:`update_index` -- the incremental update (new articles added, changed ones replaced with all
  their passages, unchanged ones skipped), optionally pruning articles whose source is gone, or a
  ``rebuild`` that replaces every segment in the same commit; each article written gets its story
  (:mod:`index.stories`), shared with the articles it is a wire copy of;
* :func:`delete_articles` -- remove articles by id;
* :func:`index_stats` -- counts and generation of an index.

What a run decides (add, replace, leave, delete) is :mod:`index.runs`'s, shared with every backend;
how the index is opened and written is the storage package's (:mod:`index.store`).

Whoosh writes new segments beside the live ones and makes them visible by atomically replacing the
table of contents, so a reader sees either the previous generation or the new one, never a part of a
run; a killed writer leaves only orphan files that the next commit cleans up, and its write lock is
released by the operating system (as are the sub-writer processes of a bulk build: see
:class:`index.store.parallel.BoundSubWriter`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from index.articles import Article, Skipped
from index.errors import DiskFull, IndexDamaged
from index.passages import MAX_WORDS, MIN_WORDS
from index.runs import Run, StoredArticle
from index.schema import EARLIER_WORDS_NOTE, Fields, earlier_words
from index.store import (READ_ERRORS, IndexWriter, abandon, commit, committed_at, is_disk_full, open_index,
                         open_writer, read_damage, writable_index)
from index.store.files import newest_generation
from index.stories import StoryParams, indexed_stories
from index.summary import IndexSummary

#: Memory, in MB, each writing process may use for its postings buffer before it spills to disk
#: (tokens counted at what turning them into postings takes: :data:`index.store.tokens.TOKEN_BYTES`).
WRITER_LIMIT_MB = 384


def stored_articles(writer: IndexWriter) -> dict[str, StoredArticle]:
    """Every indexed article's content hash and source path, by article id, as the index was when
    *writer* took the lock -- so no other run can commit between this answer and our own commit.
    """
    # The writer's searcher reads the committed segments (deleted passages left out); the writer keeps
    # it open for its own deletions and closes it when it finishes.
    searcher = writer.searcher()
    return {
        fields[Fields.ARTICLE_ID]: StoredArticle(fields[Fields.CONTENT_HASH], fields[Fields.PATH])
        for fields in searcher.documents(position=0)
    }


class WhooshSink:
    """A :class:`index.runs.Sink` over a Whoosh writer: the whole run one commit (replacing every
    segment on a rebuild), or none."""

    def __init__(self, writer: IndexWriter, rebuild: bool = False) -> None:
        self.writer, self.rebuild = writer, rebuild

    def known(self) -> dict[str, StoredArticle]:
        try:
            return stored_articles(self.writer)
        except READ_ERRORS as error:
            damaged = read_damage(error, self.writer.storage.folder)
            if damaged is None:
                raise
            if self.rebuild:
                return {}  # every segment is replaced: what the damaged ones held is not needed
            raise _needs_rebuild(damaged) from error

    def indexed_stories(self):
        try:
            return indexed_stories(self.writer.searcher().reader())
        except READ_ERRORS as error:
            damaged = read_damage(error, self.writer.storage.folder)
            if damaged is None:
                raise
            raise _needs_rebuild(damaged) from error

    def write(self, article_id: str, documents: list[dict], replaces: bool) -> None:
        if replaces:
            self.writer.delete_by_term(Fields.ARTICLE_ID, article_id)
        for document in documents:
            self.writer.add_document(**document)

    def delete(self, article_id: str) -> None:
        self.writer.delete_by_term(Fields.ARTICLE_ID, article_id)

    def end_batch(self) -> None:
        pass  # one commit for the whole run

    def finish(self, changed: bool) -> bool:
        if changed:
            commit(self.writer, replace_all=self.rebuild)
        else:
            self.writer.cancel()
        return changed


def _needs_rebuild(damaged: IndexDamaged) -> IndexDamaged:
    """*damaged*, saying how to recover: an update keeps what is indexed, so it must read it."""
    return IndexDamaged(f"{damaged.message}; rebuild it with `news-search index --rebuild PATH ...` "
                        "or restore a backup with `news-search restore`")


def update_index(
    index_dir: str | os.PathLike,
    items: Iterable[Article | Skipped],
    *,
    rebuild: bool = False,
    prune: bool = False,
    on_skip: Callable[[Skipped], None] | None = None,
    min_words: int = MIN_WORDS,
    max_words: int = MAX_WORDS,
    lock_timeout: float = 0.0,
    procs: int = 1,
    stories: StoryParams | None = None,
) -> IndexSummary:
    """Bring the index in *index_dir* up to date with *items*, in one commit.

    Incremental by default: new articles are added, articles whose content changed (or whose file
    moved) are replaced with all their passages, unchanged ones are left alone. With *prune*, articles
    whose source file is gone (or was read and no longer holds them) are deleted. With *rebuild*, every
    article is written afresh and the commit replaces all previous segments, so the new index is
    swapped in whole. Nothing is committed when nothing changed, and nothing is deleted when no
    article was read; a new index is only left behind when something was committed to it.

    :param items: what :func:`index.articles.read_articles` yields; each :class:`Skipped` is passed to *on_skip*.
    :param procs: processes that analyse and write passages; with more than one, Whoosh's
        multiprocess writer leaves one new segment per process instead of merging them.
    :param stories: how near-duplicate articles are grouped into stories (:mod:`index.stories`).
    :raises IndexBusy: when another process is writing to the index.
    :raises IndexDamaged: when the index cannot be read, unless *rebuild* (which replaces it whole).
    :raises DiskFull: when the disk fills up; nothing of the run is committed or left behind.
    """
    started = time.perf_counter()
    parallel = {"procs": procs, "multisegment": True} if procs > 1 else {}
    with disk_full_as_error(index_dir), writable_index(index_dir, restem=rebuild) as ix:
        writer = open_writer(ix, lock_timeout, limitmb=WRITER_LIMIT_MB, **parallel)
        try:
            run = Run(WhooshSink(writer, rebuild), rebuild, min_words, max_words, stories)
            run.read(items, on_skip)
            run.delete_gone(prune)
            committed = run.finish()
        except BaseException:
            abandon(writer)
            raise
        generation = ix.latest_generation()
        notes = (EARLIER_WORDS_NOTE,) if earlier_words(ix.schema) else ()
    return IndexSummary(**run.counts, seconds=time.perf_counter() - started, committed=committed,
                        generation=generation, notes=notes)


def delete_articles(index_dir: str | os.PathLike, article_ids: Iterable[str], lock_timeout: float = 0.0) -> list[str]:
    """Remove the given articles (all their passages) in one commit; returns the ids that were found."""
    with disk_full_as_error(index_dir):
        writer = open_writer(open_index(index_dir), lock_timeout)
        try:
            known = stored_articles(writer)
            found = [article_id for article_id in dict.fromkeys(article_ids) if article_id in known]
            for article_id in found:
                writer.delete_by_term(Fields.ARTICLE_ID, article_id)
            if found:
                commit(writer)
            else:
                writer.cancel()
        except BaseException:
            abandon(writer)
            raise
    return found


@contextmanager
def disk_full_as_error(index_dir: str | os.PathLike) -> Iterator[None]:
    """Running out of disk space while writing *index_dir* as :class:`DiskFull`, which says what became
    of the run: the writer that failed gives up (:func:`index.store.abandon`) before this sees it."""
    try:
        yield
    except Exception as error:
        if not is_disk_full(error):
            raise
        generation = newest_generation(index_dir)
        kept = f"the index stays at generation {generation}" if generation > 0 else "no index was written"
        raise DiskFull(f"no space left on the device holding {index_dir}: this run was not committed and {kept}; "
                       "free some space and run it again") from error


def index_stats(index_dir: str | os.PathLike) -> dict:
    """Counts and freshness of the index: articles, passages, generation, last commit time, and its
    stemmer (``porter``; ``whoosh-porter`` for an index written with Whoosh's own stemmer and stop
    words, until rebuilt)."""
    ix = open_index(index_dir)
    generation = ix.latest_generation()
    with ix.searcher() as searcher:
        return {
            "articles": sum(1 for _ in searcher.document_numbers(position=0)),
            "passages": searcher.doc_count(),
            "segments": len(searcher.reader().leaf_readers()),
            "index_dir": str(Path(index_dir).resolve()),
            "generation": generation,
            "updated": committed_at(index_dir, generation).isoformat(timespec="seconds"),
            "stemmer": "whoosh-porter" if earlier_words(searcher.schema) else "porter",
        }
