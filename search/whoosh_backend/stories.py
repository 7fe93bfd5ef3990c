"""Wire copies on the read side: one result per story, an article's other versions, the largest stories.

The writer gives every article a story (:mod:`index.stories`): the id of the first indexed article
it is a near-duplicate of, else its own id.

* :func:`collapse_stories` -- results in display order, reduced to the first article of each story;
  the story's other matching articles become that result's versions;
* :func:`article_versions` -- the other articles of one article's story;
* :func:`largest_stories` -- the stories with the most articles, and :func:`grouped_counts` -- how
  many stories have copies (``news-search stories``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from whoosh.reading import IndexReader

from index.store.reading import column_values
from index.schema import Fields
from search.results import Story, StoryArticle, Version
from search.whoosh_backend.arrays import IndexArrays
from search.whoosh_backend.generation import Generation
from search.whoosh_backend.ordering import leading, ordered

@dataclass(frozen=True)
class StoryCodes:
    """Every article's story as a number (per article number of :class:`search.whoosh_backend.arrays.IndexArrays`)."""

    codes: np.ndarray
    ids: list[str]


def story_codes(gen: Generation) -> StoryCodes:
    """The story of each article of the generation, read once.

    An article indexed without a story is its own story.
    """
    arrays = gen.arrays
    return arrays.derived("stories", lambda: _read_codes(gen.searcher.reader(), arrays))


def _read_codes(reader: IndexReader, arrays: IndexArrays) -> StoryCodes:
    values = column_values(reader, Fields.STORY, "")
    numbers: dict[str, int] = {}
    codes = np.fromiter(
        (numbers.setdefault(values[docnum] or article_id, len(numbers))
         for article_id, docnum in zip(arrays.article_ids, arrays.first_passage.tolist())),
        dtype=np.int64, count=arrays.article_count,
    )
    return StoryCodes(codes, list(numbers))


@dataclass(frozen=True)
class Collapsed:
    """Result units in display order, at most one article per story, and what each stands for."""

    order: np.ndarray           # unit indices kept, in display order: all of them, or at least the page's
    total: int                  # how many units are kept in all
    _arrays: IndexArrays
    _codes: StoryCodes
    _unit_articles: np.ndarray  # article number per unit
    _dropped: np.ndarray        # article numbers of the units left out of the stories in *order*, in display order

    def story(self, unit: int) -> str:
        """The story of a unit's article."""
        return self._codes.ids[self._codes.codes[self._unit_articles[unit]]]

    def versions(self, unit: int) -> list[Version]:
        """The other articles of a unit's story among the results left out, in display order."""
        code = self._codes.codes[self._unit_articles[unit]]
        others = self._dropped[self._codes.codes[self._dropped] == code] if len(self._dropped) else self._dropped
        arrays = self._arrays
        return [Version(arrays.article_ids[article], arrays.source_names[arrays.source[article]]
                        if arrays.source[article] >= 0 else None)
                for article in dict.fromkeys(others.tolist())]


def collapse_stories(gen: Generation, unit_articles: np.ndarray, keys: tuple[np.ndarray, np.ndarray], needed: int,
                     collapse: str = "story", distinct: bool = True) -> Collapsed:
    """Results in display order reduced to one article per story: the first one in the order, with
    every unit of it (with ``group=passage``, all its passages); with *collapse* ``none``, every result.
    Only as much of the order is worked out as the first *needed* results take
    (:func:`~search.whoosh_backend.ordering.leading`); the total is exact.

    :param unit_articles: the article number of each result unit.
    :param keys: the keys of display order, see :func:`~search.whoosh_backend.ordering.leading`.
    :param distinct: whether no two units are of the same article (else the whole order is sorted:
        how many units a story keeps depends on which of its articles comes first).
    """
    codes, arrays, size = story_codes(gen), gen.arrays, len(unit_articles)
    if collapse != "story":
        return Collapsed(leading(keys, needed), size, arrays, codes, unit_articles, unit_articles[:0])
    # Enough results that a page of stories is most often among them at the first try: each try
    # selects over every match again, and sorting a few hundred more costs next to nothing.
    count = max(4 * needed, needed + 256) if distinct else None
    while True:
        order = leading(keys, count)
        articles = unit_articles[order]
        stories = codes.codes[articles]
        _, first, inverse = np.unique(stories, return_index=True, return_inverse=True)
        keep = articles == articles[first[inverse.ravel()]]
        if len(order) == size:
            return Collapsed(order[keep], int(keep.sum()), arrays, codes, unit_articles, articles[~keep])
        if keep.sum() >= needed:
            break
        count *= 4
    # The first of the order are known; count the rest's stories without ordering them.
    every_story = codes.codes[unit_articles]
    seen = np.zeros(len(codes.ids), dtype=bool)
    seen[every_story] = True
    shown = np.zeros(len(codes.ids), dtype=bool)
    shown[stories[keep]] = True
    kept = np.zeros(size, dtype=bool)
    kept[order[keep]] = True
    others = ordered(keys, np.flatnonzero(shown[every_story] & ~kept))
    return Collapsed(order[keep], int(np.count_nonzero(seen)), arrays, codes, unit_articles, unit_articles[others])


def article_versions(gen: Generation, article_id: str, story: str) -> list[Version]:
    """The other articles of *story* than *article_id*, in index order."""
    return [Version(fields[Fields.ARTICLE_ID], fields.get(Fields.SOURCE))
            for fields in gen.searcher.documents(story=story, position=0) if fields[Fields.ARTICLE_ID] != article_id]


def grouped_counts(gen: Generation) -> tuple[int, int]:
    """How many stories have more than one article, and how many articles those stories hold."""
    codes = story_codes(gen).codes
    sizes = np.bincount(codes) if len(codes) else np.zeros(0, dtype=np.int64)
    return int((sizes > 1).sum()), int(sizes[sizes > 1].sum())


def largest_stories(gen: Generation, top: int = 10) -> list[Story]:
    """The *top* stories with the most articles (two at least), largest first, ties by story id."""
    codes = story_codes(gen)
    sizes = np.bincount(codes.codes, minlength=len(codes.ids)) if len(codes.codes) else np.zeros(0, dtype=np.int64)
    grouped = sorted(np.flatnonzero(sizes > 1).tolist(), key=lambda code: (-sizes[code], codes.ids[code]))
    stories = []
    for code in grouped[:top]:
        members = [_story_article(gen, article)
                   for article in np.flatnonzero(codes.codes == code).tolist()]
        # The article that named the story first, then the others in index order.
        members.sort(key=lambda member: member.article_id != codes.ids[code])
        stories.append(Story(codes.ids[code], members))
    return stories


def _story_article(gen: Generation, article: int) -> StoryArticle:
    fields = gen.searcher.stored_fields(int(gen.arrays.first_passage[article]))
    return StoryArticle(fields[Fields.ARTICLE_ID], fields.get(Fields.TITLE, ""), fields.get(Fields.SOURCE),
                        fields.get(Fields.PUBLISHED_TEXT))
