"""An indexing run's decisions, whatever index it writes to.

* :class:`Run` -- reads articles a batch at a time, finds their stories (:mod:`index.stories`), and
  decides for each whether it is new, changed (replaced with all its passages) or unchanged (left),
  and which indexed articles a rebuild or a prune deletes; counts it all for :class:`IndexSummary`;
* :class:`Sink` -- what a backend's writer does with those decisions: the Whoosh index's
  (:mod:`index.writer`) commits once per run; another engine's may commit per batch;
* :func:`passage_documents` -- one article as the documents of its passages, with its metadata.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from index.articles import Article, Skipped
from index.passages import MAX_WORDS, MIN_WORDS, split_passages
from index.schema import Fields
from index.stories import Candidate, Fingerprint, StoryFinder, StoryParams

#: Articles read before their stories are found, together (:meth:`StoryFinder.assign_all`), and the
#: characters of their bodies that end a batch sooner (a batch's articles are held at once).
STORY_BATCH = 256
STORY_BATCH_CHARACTERS = 4_000_000


@dataclass(frozen=True)
class StoredArticle:
    """What the index remembers of an article to decide whether to replace or prune it."""

    content_hash: str
    path: str


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


def batches(items: Iterable[Article | Skipped], size: int, characters: int) -> Iterator[list[Article | Skipped]]:
    """*items* in lists of *size*, or fewer when their articles' bodies reach *characters* in all.

    >>> [len(batch) for batch in batches([Article("a", "", "x" * 5, "a.txt")] * 7, 3, 12)]
    [3, 3, 1]
    >>> [len(batch) for batch in batches([Article("a", "", "x" * 5, "a.txt")] * 7, 3, 8)]
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


class Sink(Protocol):
    """Where a :class:`Run` writes: an index, as the run found it, and its writes until :meth:`finish`."""

    def known(self) -> dict[str, StoredArticle]:
        """Every indexed article's content hash and path, by id, as the run begins."""

    def indexed_stories(self) -> Iterable[tuple[tuple[int, ...], Candidate]]:
        """The band keys and candidates of the indexed articles (:func:`index.stories.indexed_stories`)."""

    def write(self, article_id: str, documents: list[dict], replaces: bool) -> None:
        """Write one article's passage documents, in place of its indexed ones when *replaces*."""

    def delete(self, article_id: str) -> None:
        """Delete every passage of an indexed article."""

    def end_batch(self) -> None:
        """A batch of articles is written."""

    def finish(self, changed: bool) -> bool:
        """The run is over: make its writes visible when *changed*, else drop them; whether it committed."""


class Run:
    """One indexing run over a :class:`Sink`: what the index held when the run began, the counts, and
    the decisions -- add, replace, leave, delete -- that every backend's writer shares."""

    def __init__(self, sink: Sink, rebuild: bool, min_words: int = MIN_WORDS, max_words: int = MAX_WORDS,
                 story_params: StoryParams | None = None) -> None:
        self.sink, self.rebuild = sink, rebuild
        self.known = sink.known()
        # A rebuild groups its articles afresh; an update also finds copies among the indexed articles.
        indexed = () if rebuild or not self.known else sink.indexed_stories()
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
        for batch in batches(items, STORY_BATCH, STORY_BATCH_CHARACTERS):
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
            self.sink.end_batch()

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
        self.sink.write(article.id, documents, replaces=article.id in self.known and not self.rebuild)
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
                self.sink.delete(article_id)
                self.counts["deleted"] += 1

    def finish(self) -> bool:
        """Commit when the run changed the index, else cancel; returns whether it committed."""
        # Every added, replaced or rebuilt article writes passages; deletions alone write none.
        return self.sink.finish(bool(self.counts["passages"] or self.counts["deleted"]))
