"""One article on a cluster: rebuilt from its passages' rows, the query's matches marked.

* :func:`article_view` -- a :class:`search.results.ArticleView`, as the Whoosh backend builds it: the
  passages in order, the body as their leads and texts, each passage that the query matches by its own
  text marked whole (the engine's ``SNIPPET()`` over the whole passage, escaped, only ``<mark>`` as
  markup), the article's story and its other articles;
* :func:`has_article` -- whether an article is indexed.
"""

from __future__ import annotations

import html

from index.errors import ArticleNotFound
from search.query import ReadQuery
from search.results import ArticlePassage, ArticleView, Version
from search.sphinxql_backend.config import HEAD_INDEX, article_key
from search.sphinxql_backend.querying import marked, sphinx_match
from search.sphinxql_backend.ranking import results_up_to

#: Passages of one article read at most.
ARTICLE_PASSAGES = 10_000
#: ``SNIPPET()`` options that return a whole passage with every match marked.
WHOLE_PASSAGE = "'before_match=\x02', 'after_match=\x03', 'limit=0', 'query_mode=1'"


def has_article(cursor, article_id: str) -> bool:
    """Whether *article_id* is indexed."""
    cursor.execute(f"SELECT article_id FROM {HEAD_INDEX} WHERE whole = 1 AND akey = %s LIMIT 5",
                   (article_key(article_id),))
    return any(row[0] == article_id for row in cursor.fetchall())


def article_view(cursor, article_id: str, read: ReadQuery) -> ArticleView:
    """The article *article_id*, its passages in order; with a query (read with
    :data:`~search.sphinxql_backend.querying.SPHINX_SCHEMA`), matching passages marked.

    :raises ArticleNotFound: when no article has that id.
    """
    key = article_key(article_id)
    rows, = results_up_to(cursor, lambda limit: [
        (f"SELECT passage_id, position, start_offset, end_offset, lead_text, body_text, title_text, url, "
         f"source, published_text, author, section, story FROM {HEAD_INDEX} WHERE whole = 0 AND akey = %s "
         f"ORDER BY position ASC LIMIT {limit} OPTION max_matches={limit}", (key,))], ARTICLE_PASSAGES)
    rows = [row for row in rows if row[0].rsplit("#", 1)[0] == article_id]
    if not rows:
        raise ArticleNotFound(f"no article has the id {article_id!r}", "article_id")
    marks = _marked(cursor, key, read)
    passages = [ArticlePassage(passage_id, int(position), int(start), int(end), passage_id in marks,
                               marks.get(passage_id) or html.escape(text, quote=False))
                for passage_id, position, start, end, _, text, *_ in rows]
    first = rows[0]
    title, url, source, published, author, section, story = first[6:]
    story = story or article_id
    cursor.execute(f"SELECT article_id, source FROM {HEAD_INDEX} WHERE whole = 1 AND skey = %s "
                   "LIMIT 1000 OPTION max_matches=1000", (article_key(story),))
    versions = [Version(other, other_source or None) for other, other_source in cursor.fetchall() if other != article_id]
    return ArticleView(article_id=article_id, title=title, url=url or None, source=source or None,
                       published=published or None, author=author or None, section=section or None,
                       body="".join(row[4] + row[5] for row in rows), passages=passages, story=story,
                       other_versions=versions)


def _marked(cursor, key: int, read: ReadQuery) -> dict[str, str]:
    """The passages of the article *key* that the query matches by their own text, whole and marked."""
    match = sphinx_match(read, asked=read.query is not None)
    if not match.text:
        return {}
    # A title match alone would match every passage (each carries the title): only the body counts.
    body_only = match.text.replace("@(title,body)", "@body")
    rows, = results_up_to(cursor, lambda limit: [
        (f"SELECT passage_id, SNIPPET(body_text, %s, {WHOLE_PASSAGE}) FROM {HEAD_INDEX} "
         f"WHERE MATCH(%s) AND whole = 0 AND akey = %s LIMIT {limit} OPTION max_matches={limit}",
         (match.text, body_only, key))], ARTICLE_PASSAGES)
    return {passage_id: marked(text) for passage_id, text in rows if "\x02" in text}
