"""How matching articles are ordered by relevance.

The index holds passages, but people judge a search by whether the right *article* comes first.
An article's score fuses two kinds of evidence:

* **article BM25** -- Whoosh's BM25 formula over the whole article, with term frequencies summed
  from its passages' postings and the article's own length, so a story that is about the query
  throughout beats one that mentions it in passing;
* **passage evidence** -- the sum of its best two passages' scores, so a story with a passage that
  answers the query closely beats one where the words are scattered.

Then, for queries of three words or more, **pseudo-relevance feedback** (RM3-style): the words that
characterise the best few articles re-weight the matching articles, which finds the ones that use the story's vocabulary rather than
the query's exact words. Feedback re-ranks only articles the query matched: it never adds results
that do not contain the query.

Parameters were tuned on the TIME collection's odd-numbered queries (``benchmarks/relevance.py``).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from weakref import WeakKeyDictionary

from whoosh.query import Query
from whoosh.scoring import bm25
from whoosh.searching import Searcher

from search.query import negated_parts
from search.searchers import column, stored_passages

#: BM25 parameters for whole articles.
K1 = 2.0
B = 0.75
#: A title word counts as much as this many body occurrences.
TITLE_WEIGHT = 2.0
#: Weight of the passage evidence against the article evidence (both scaled to the best result).
PASSAGE_WEIGHT = 0.5
#: How many of an article's best passages make its passage evidence.
PASSAGES_SCORED = 2
#: Feedback: articles it learns from, words it adds, and their weight against the query's.
FEEDBACK_ARTICLES = 3
FEEDBACK_WORDS = 20
FEEDBACK_WEIGHT = 0.3
#: Feedback is for descriptive queries: a query of one or two words says exactly what it wants,
#: and re-weighting by the best articles' vocabulary would cost more time than it could repay.
FEEDBACK_MIN_WORDS = 3

TextFields = ("title", "body")

# Collection totals per open reader: computed once per index generation, dropped with the reader.
_TOTALS: WeakKeyDictionary = WeakKeyDictionary()


def passage_evidence(passage_scores: list[float]) -> float:
    """An article's passage evidence from its passages' scores, best first."""
    return sum(passage_scores[:PASSAGES_SCORED])


def query_words(query: Query, searcher: Searcher) -> dict[str, float]:
    """The (stemmed) words the query looks for in title or body, with their boosts; prefixes and
    wildcards expanded to the words of the index they match. Excluded words are not included."""
    excluded = {text for part in negated_parts(query) for _, text in part.iter_all_terms()}
    words: dict[str, float] = {}
    for leaf in query.leaves():
        if getattr(leaf, "fieldname", None) not in TextFields:
            continue
        terms = leaf.expanded_terms(searcher.reader()) if leaf.has_terms() else []
        for _, text in terms:
            text = text.decode("utf-8") if isinstance(text, bytes) else text
            if text not in excluded:
                words[text] = max(words.get(text, 0.0), leaf.boost)
    return words


def article_frequencies(searcher: Searcher, words: Iterable[str]) -> dict[str, Counter[str]]:
    """For each word, its frequency in each article that has it: body occurrences summed over the
    article's passages, plus the title's occurrences (counted once, as every passage repeats it)."""
    leaves = [(reader, column(reader, "article_id")) for reader, _ in searcher.reader().leaf_readers()]
    frequencies: dict[str, Counter[str]] = {}
    for word in words:
        counts: Counter[str] = Counter()
        titled: dict[str, float] = {}
        # Segment by segment: a column read through the whole index's reader looks up the
        # segment of every document again.
        for reader, article_ids in leaves:
            for fieldname in TextFields:
                if (fieldname, word) not in reader:
                    continue
                matcher = reader.postings(fieldname, word)
                while matcher.is_active():
                    if fieldname == "body":
                        counts[article_ids[matcher.id()]] += matcher.weight()
                    else:
                        titled[article_ids[matcher.id()]] = matcher.weight()
                    matcher.next()
        for article_id, weight in titled.items():
            counts[article_id] += TITLE_WEIGHT * weight
        frequencies[word] = counts
    return frequencies


def collection_totals(searcher: Searcher) -> tuple[int, float]:
    """How many articles the index holds and their average length in words (cached per reader)."""
    reader = searcher.reader()
    if reader not in _TOTALS:
        lengths = column(reader, "article_words")
        firsts = list(searcher.document_numbers(position=0))
        _TOTALS[reader] = (len(firsts), sum(lengths[docnum] for docnum in firsts) / (len(firsts) or 1))
    return _TOTALS[reader]


def article_bm25(searcher: Searcher, frequencies: Mapping[str, Counter[str]], words: Mapping[str, float],
                 lengths: Mapping[str, int]) -> Counter[str]:
    """Whole-article BM25 of the articles in *lengths* (article id -> words) for *words* (word ->
    weight), from their :func:`article_frequencies`."""
    count, average = collection_totals(searcher)
    scores: Counter[str] = Counter()
    for word, frequency in frequencies.items():
        idf = math.log(count / (len(frequency) + 1)) + 1  # Whoosh's idf, counted in articles
        for article_id, tf in frequency.items():
            if article_id in lengths:
                scores[article_id] += words[word] * bm25(idf, tf, lengths[article_id] or 1, average or 1, B, K1)
    return scores


def fuse(article_scores: Mapping[str, float], passage_scores: Mapping[str, float]) -> dict[str, float]:
    """Both kinds of evidence, each scaled to its best value, added with :data:`PASSAGE_WEIGHT`."""
    top_article = max(article_scores.values(), default=0.0) or 1.0
    top_passage = max(passage_scores.values(), default=0.0) or 1.0
    return {
        article_id: article_scores.get(article_id, 0.0) / top_article
        + PASSAGE_WEIGHT * passage_scores[article_id] / top_passage
        for article_id in passage_scores
    }


def feedback_words(searcher: Searcher, texts: list[tuple[str, float]], query: Mapping[str, float],
                   count: int) -> dict[str, float]:
    """RM3's expansion: the words that weigh most in the best articles' texts (each text weighted by
    its score, each word by its share of the text and its rarity), scaled to :data:`FEEDBACK_WEIGHT`."""
    analyzer = searcher.schema["body"].analyzer
    weights: Counter[str] = Counter()
    for text, weight in texts:
        tokens = Counter(token.text for token in analyzer(text))
        length = sum(tokens.values()) or 1
        for word, tf in tokens.items():
            weights[word] += weight * tf / length
    reader = searcher.reader()
    rare: dict[str, float] = {}
    for word, weight in weights.items():
        frequency = reader.doc_frequency("body", word)
        if word not in query and frequency:
            rare[word] = weight * math.log(1 + reader.doc_count() / frequency)
    chosen = sorted(rare, key=rare.__getitem__, reverse=True)[:FEEDBACK_WORDS]
    top = max((rare[word] for word in chosen), default=1.0)
    return {word: FEEDBACK_WEIGHT * rare[word] / top for word in chosen}


def article_text(searcher: Searcher, article_id: str) -> str:
    """An article's title and body, from its stored passages."""
    stored = stored_passages(searcher, article_id)
    return "\n".join([stored[0].get("title", "")] + [fields["body"] for fields in stored]) if stored else ""


@dataclass(frozen=True)
class Ranking:
    """Relevance scores of the matching articles, and which of them hold every required word."""

    scores: dict[str, float]
    complete: frozenset[str]


def rank_articles(searcher: Searcher, query: Query, passage_scores: Mapping[str, float],
                  docnums: Mapping[str, int], required: frozenset[str] = frozenset()) -> Ranking:
    """Score each matching article (by id; *docnums* gives one passage of each).

    :param passage_scores: each article's passage evidence, see :func:`passage_evidence`.
    :param required: the words an all-words match holds (anywhere in the article).
    """
    words = query_words(query, searcher)
    if not words:
        return Ranking(dict(passage_scores), frozenset(passage_scores) if not required else frozenset())
    lengths_column = column(searcher.reader(), "article_words")
    lengths = {article_id: lengths_column[docnum] for article_id, docnum in docnums.items()}
    frequencies = article_frequencies(searcher, words)
    complete = frozenset(lengths).intersection(*(frequencies.get(word, ()) for word in required))
    direct = article_bm25(searcher, frequencies, words, lengths)
    best = sorted(direct, key=direct.__getitem__, reverse=True)[:FEEDBACK_ARTICLES]
    if len(words) < FEEDBACK_MIN_WORDS or not best or direct[best[0]] <= 0:
        return Ranking(fuse(direct, passage_scores), complete)
    texts = [(article_text(searcher, article_id), direct[article_id] / direct[best[0]]) for article_id in best]
    extra = feedback_words(searcher, texts, words, FEEDBACK_WORDS)
    if extra:
        direct += article_bm25(searcher, article_frequencies(searcher, extra), extra, lengths)
    return Ranking(fuse(direct, passage_scores), complete)
