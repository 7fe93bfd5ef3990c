"""Wire copies on a cluster: how many stories have copies, and the largest of them.

* :func:`cluster_stories` -- a :class:`search.results.Stories`, as the Whoosh backend counts them;
* :func:`matching_keys` -- which of some article keys match a condition (a story's first article,
  still indexed or matching a search).

An article's row carries its story (``story``, and its key ``skey``): the id of the first indexed
article it is a near-duplicate of, else its own id. The copies of a story are spread over the shards
(an article's shard follows its own id), so stories are grouped by the head, over the rows whose story
is another article's (``skey != akey``): a few rows per story with copies, never one per article.
"""

from __future__ import annotations

from search.results import Stories, Story, StoryArticle
from search.sphinxql_backend.config import HEAD_INDEX
from search.sphinxql_backend.ranking import results_up_to

#: Article keys in one ``IN`` list at most.
IN_LIST = 4096
#: Stories with copies read at most.
MAX_STORIES = 1_000_000


def cluster_stories(cursor, top: int) -> Stories:
    """How many stories have more than one article and how many articles they hold; the *top* largest,
    largest first (ties by story id), each with the article that named it first, then the others."""
    rows, = results_up_to(cursor, lambda limit: [
        (f"SELECT skey, COUNT(*) n, skey <> akey AS copy FROM {HEAD_INDEX} WHERE whole = 1 AND copy = 1 "
         f"GROUP BY skey LIMIT {limit} OPTION max_matches={limit}", ())], MAX_STORIES)
    copies = {int(skey): int(count) for skey, count, _ in rows}
    named = matching_keys(cursor, list(copies))  # stories whose first article is still indexed
    sizes = {key: count + (key in named) for key, count in copies.items()}
    grouped = {key: size for key, size in sizes.items() if size > 1}
    largest = sorted(grouped, key=lambda key: -grouped[key])[: max(top * 4, top + 16)]
    members = _members(cursor, largest)
    stories = []
    for key in largest:
        rows = members.get(key, [])
        story = next((row[5] for row in rows if row[5]), "")
        articles = sorted(rows, key=lambda row: (row[0] != story, row[4], row[0]))
        stories.append(Story(story, [StoryArticle(row[0], row[1], row[2] or None, row[3] or None) for row in articles]))
    stories.sort(key=lambda story: (-len(story.articles), story.story))
    return Stories(len(grouped), sum(grouped.values()), stories[:top])


def matching_keys(cursor, keys: list[int], where: str = "whole = 1", args: tuple = ()) -> set[int]:
    """Which of the article *keys* have a row matching *where* (with *args*), asked :data:`IN_LIST`
    keys at a time."""
    found: set[int] = set()
    for start in range(0, len(keys), IN_LIST):
        chunk = keys[start : start + IN_LIST]
        cursor.execute(f"SELECT akey FROM {HEAD_INDEX} WHERE {where} AND akey IN ({', '.join(str(key) for key in chunk)}) "
                       f"LIMIT {len(chunk)} OPTION max_matches={len(chunk)}", args)
        found.update(int(row[0]) for row in cursor.fetchall())
    return found


def _members(cursor, keys: list[int]) -> dict[int, list[tuple]]:
    """The articles of each story *keys*: id, title, source, date as given, row order, story."""
    if not keys:
        return {}
    chunk = ", ".join(str(key) for key in keys)
    members: dict[int, list[tuple]] = {}
    for rows in results_up_to(cursor, lambda limit: [
            (f"SELECT article_id, title_text, source, published_text, id, story, skey FROM {HEAD_INDEX} "
             f"WHERE whole = 1 AND skey IN ({chunk}) LIMIT {limit} OPTION max_matches={limit}", ())], 100_000):
        for row in rows:
            members.setdefault(int(row[6]), []).append(row[:6])
    return members
