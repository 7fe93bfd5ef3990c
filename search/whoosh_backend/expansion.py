"""How far a ``prefix*`` may reach: each pattern stands for at most so many words of the index.

``co*`` stands for thousands of words in a large archive, and each is scored as a word of its own,
so one short query could cost as much as thousands. As Lucene's clause limit and Elasticsearch's
``max_expansions`` do, a pattern is rewritten once, before anything else reads the query, to the
words it stands for -- the most frequent ones only, when there are more than the limit
(``NEWS_SEARCH_MAX_EXPANSIONS``) -- and the search says so in a warning. Matching, ranking and
marking then all read the same words.
"""

from __future__ import annotations

from whoosh import query as wq
from whoosh.reading import IndexReader

from index.store.reading import expanded_words
from search.backend import MAX_EXPANSIONS



def bounded_patterns(query: wq.Query, reader: IndexReader, limit: int = MAX_EXPANSIONS) -> tuple[wq.Query, list[str]]:
    """*query* with every prefix or wildcard replaced by an OR of the words it stands for, at most
    *limit* of them (the most frequent; ties in alphabetical order); and a warning for each pattern
    that stands for more.
    """
    cut: dict[str, int] = {}

    def rewrite(node: wq.Query) -> wq.Query:
        if isinstance(node, (wq.Prefix, wq.Wildcard)):
            words = [word.decode("utf-8") for word in expanded_words(node, reader)]
            if len(words) > limit:
                pattern = node.text + "*" if isinstance(node, wq.Prefix) else node.text
                cut[pattern] = max(cut.get(pattern, 0), len(words))
                words = sorted(words, key=lambda word: (-reader.doc_frequency(node.fieldname, word), word))[:limit]
            terms = [wq.Term(node.fieldname, word, boost=node.boost) for word in words]
            return wq.Or(terms) if terms else wq.NullQuery
        return node if node.is_leaf() else node.apply(rewrite)

    rewritten = rewrite(query)
    warnings = [f"“{pattern}” stands for {count:,} words; the search used the {limit:,} most frequent of them."
                for pattern, count in cut.items()]
    return rewritten, warnings
