"""Write articles into the Whoosh index: add, replace, delete, rebuild -- each run one atomic commit.

* :func:`update_index` -- the incremental update (new articles added, changed ones replaced with all
  their passages, unchanged ones skipped), optionally pruning articles whose source is gone, or a
  ``rebuild`` that replaces every segment in the same commit; each article written gets its story
  (:mod:`index.stories`), shared with the articles it is a wire copy of;
* :func:`delete_articles` -- remove articles by id;
* :func:`index_stats` -- counts and generation of an index.

How the index is opened and written is the storage package's (:mod:`index.store`).

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
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from index.articles import Article, Skipped
from index.passages import MAX_WORDS, MIN_WORDS, split_passages
from index.schema import Fields
from index.store import IndexWriter, commit, committed_at, open_index, open_writer, writable_index
from index.stories import Fingerprint, StoryFinder, StoryParams, indexed_stories
from index.summary import IndexSummary

#: Articles read before their stories are found, together (:meth:`StoryFinder.assign_all`), and the
#: characters of their bodies that end a batch sooner (a batch's articles are held at once).
STORY_BATCH = 256
STORY_BATCH_CHARACTERS = 4_000_000
#: Memory, in MB, each writing process may use for its postings buffer before it spills to disk
#: (tokens counted at what turning them into postings takes: :data:`index.store.tokens.TOKEN_BYTES`).
WRITER_LIMIT_MB = 384


@dataclass(frozen=True)
class StoredArticle:
    """What the index remembers of an article to decide whether to replace or prune it."""

    content_hash: str
    path: str


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


def passage_documents(article: Article, min_words: int = MIN_WORDS, max_words: int = MAX_WORDS) -> Iterator[dict]:
    """The Whoosh documents of one article: one per passage, each with the article's metadata."""
    published = parse_published(article.published)
    common = {
        Fields.ARTICLE_ID: article.id,
        Fields.TITLE: article.title,
        Fields.PUBLISHED_TEXT: article.published,
        Fields.SOURCE: article.source,
        Fields.SECTION: article.section,
        Fields.URL: article.url,
        Fields.AUTHOR: article.author,
        Fields.PATH: os.path.abspath(article.path),
        Fields.CONTENT_HASH: article.content_hash,
        Fields.ARTICLE_WORDS: len(article.title.split()) + len(article.body.split()),
    }
    common = {name: value for name, value in common.items() if value is not None}
    if published is not None:
        common[Fields.PUBLISHED] = published
    previous_end = 0
    for passage in split_passages(article, min_words, max_words):
        yield {
            **common,
            Fields.PASSAGE_ID: f"{article.id}#{passage.position}",
            Fields.POSITION: passage.position,
            Fields.START: passage.start,
            Fields.END: passage.end,
            Fields.LEAD: article.body[previous_end : passage.start],
            Fields.BODY: passage.text,
        }
        previous_end = passage.end


def add_story(documents: list[dict], fingerprint: Fingerprint) -> None:
    """Put an article's story on each of its passage documents, and what finds its later copies on the first."""
    for document in documents:
        document[Fields.STORY] = fingerprint.story
    if fingerprint.bands:
        documents[0].update(story_bands=fingerprint.bands, story_sketch=fingerprint.sketch,
                            story_since=fingerprint.since or 0)


def _batches(items: Iterable[Article | Skipped], size: int, characters: int) -> Iterator[list[Article | Skipped]]:
    """*items* in lists of *size*, or fewer when their articles' bodies reach *characters* in all.

    >>> [len(batch) for batch in _batches([Article("a", "", "x" * 5, "a.txt")] * 7, 3, 12)]
    [3, 3, 1]
    >>> [len(batch) for batch in _batches([Article("a", "", "x" * 5, "a.txt")] * 7, 3, 8)]
    [2, 2, 2, 1]
    """
    batch: list[Article | Skipped] = []
    held = 0
    for item in items:
        batch.append(item)
        held += len(item.body) if isinstance(item, Article) else 0
        if len(batch) >= size or held >= characters:
            yield batch
            batch, held = [], 0
    if batch:
        yield batch


def parse_published(published: str | None) -> datetime | None:
    """The article's own wall-clock time, as the naive datetime Whoosh's DATETIME field sorts and filters on.

    An offset is dropped, not converted: ``2024-03-01T00:30:00+02:00`` is filed under 1 March, the
    date the article shows, so date filters and month facets agree with the page.
    """
    if not published:
        return None
    try:
        return datetime.fromisoformat(published).replace(tzinfo=None)
    except ValueError:
        return None


class _Run:
    """One :func:`update_index` call: its writer, what the index held when the lock was taken, the counts."""

    def __init__(self, writer: IndexWriter, rebuild: bool, min_words: int, max_words: int,
                 story_params: StoryParams | None = None) -> None:
        self.writer, self.rebuild = writer, rebuild
        self.known = stored_articles(writer)
        # A rebuild groups its articles afresh; an update also finds copies among the indexed articles.
        indexed = () if rebuild or not self.known else indexed_stories(writer.searcher().reader())
        self.stories = StoryFinder(story_params, indexed)
        self.min_words, self.max_words = min_words, max_words
        self.counts = dict(read=0, added=0, updated=0, unchanged=0, deleted=0, skipped=0, passages=0)
        self.seen: set[str] = set()
        self.paths_read: set[str] = set()

    def read(self, items: Iterable[Article | Skipped], on_skip: Callable[[Skipped], None] | None) -> None:
        """Take every article of *items*; count each skipped one and pass it to *on_skip*.

        Articles are taken a batch at a time, so that the stories of a batch's new and changed
        articles are found together (:meth:`StoryFinder.assign_all`).
        """
        for batch in _batches(items, STORY_BATCH, STORY_BATCH_CHARACTERS):
            writing = []
            for item in batch:
                skipped = item if isinstance(item, Skipped) else self.take(item, writing)
                if skipped is not None:
                    self.counts["skipped"] += 1
                    if on_skip is not None:
                        on_skip(skipped)
            fingerprints = self.stories.assign_all(
                [(article.id, article.title, article.body, article.published) for article, _ in writing])
            for (article, documents), fingerprint in zip(writing, fingerprints):
                self.write(article, documents, fingerprint)

    def take(self, article: Article, writing: list[tuple[Article, list[dict]]]) -> Skipped | None:
        """Count one article as added, replaced or left, and put it on *writing* unless it is left;
        an article without passages is returned as skipped.

        An article whose file moved is rewritten too, so the stored path follows the file and a
        later prune does not take the article for one whose source is gone.
        """
        documents = list(passage_documents(article, self.min_words, self.max_words))
        if not documents:
            return Skipped(article.path, f"{article.id}: no body text")
        path = os.path.abspath(article.path)
        self.counts["read"] += 1
        self.seen.add(article.id)
        self.paths_read.add(path)
        before = self.known.get(article.id)
        same = before == StoredArticle(article.content_hash, path)
        if same and not self.rebuild:
            self.counts["unchanged"] += 1
            return None
        self.counts["added" if before is None else "unchanged" if same else "updated"] += 1
        writing.append((article, documents))
        return None

    def write(self, article: Article, documents: list[dict], fingerprint: Fingerprint) -> None:
        """Write one article's passages with its story, in place of the indexed ones when it is replaced."""
        add_story(documents, fingerprint)
        if article.id in self.known and not self.rebuild:
            self.writer.delete_by_term(Fields.ARTICLE_ID, article.id)
        for document in documents:
            self.writer.add_document(**document)
        self.counts["passages"] += len(documents)

    def delete_gone(self, prune: bool) -> None:
        """Delete the known articles this run drops: all unseen ones on rebuild, vanished sources on prune."""
        # A run that read nothing (a mistyped or moved path) would otherwise empty the index.
        if not self.counts["read"]:
            return
        for article_id, stored in self.known.items():
            if article_id in self.seen:
                continue
            if self.rebuild or prune and (stored.path in self.paths_read or not os.path.exists(stored.path)):
                self.writer.delete_by_term(Fields.ARTICLE_ID, article_id)
                self.counts["deleted"] += 1

    def finish(self) -> bool:
        """Commit when the run changed the index, else cancel; returns whether it committed."""
        # Every added, replaced or rebuilt article writes passages; deletions alone write none.
        changed = bool(self.counts["passages"] or self.counts["deleted"])
        if changed:
            commit(self.writer, replace_all=self.rebuild)
        else:
            self.writer.cancel()
        return changed


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
    """
    started = time.perf_counter()
    parallel = {"procs": procs, "multisegment": True} if procs > 1 else {}
    with writable_index(index_dir) as ix:
        writer = open_writer(ix, lock_timeout, limitmb=WRITER_LIMIT_MB, **parallel)
        try:
            run = _Run(writer, rebuild, min_words, max_words, stories)
            run.read(items, on_skip)
            run.delete_gone(prune)
        except BaseException:
            writer.cancel()
            raise
        committed = run.finish()
        generation = ix.latest_generation()
    return IndexSummary(**run.counts, seconds=time.perf_counter() - started, committed=committed,
                        generation=generation)


def delete_articles(index_dir: str | os.PathLike, article_ids: Iterable[str], lock_timeout: float = 0.0) -> list[str]:
    """Remove the given articles (all their passages) in one commit; returns the ids that were found."""
    writer = open_writer(open_index(index_dir), lock_timeout)
    try:
        known = stored_articles(writer)
        found = [article_id for article_id in dict.fromkeys(article_ids) if article_id in known]
        for article_id in found:
            writer.delete_by_term(Fields.ARTICLE_ID, article_id)
    except BaseException:
        writer.cancel()
        raise
    if found:
        commit(writer)
    else:
        writer.cancel()
    return found


def index_stats(index_dir: str | os.PathLike) -> dict:
    """Counts and freshness of the index: articles, passages, generation, last commit time."""
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
        }
