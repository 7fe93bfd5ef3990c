"""Article BM25 and passage BM25F on a cluster, computed as the Whoosh backend computes them.

Sphinx's own rankers weigh words with an idf of their own and fields by their own lengths. So the
engine only finds the candidates -- the articles' own rows (``whole = 1``) that match, the best
:data:`CANDIDATES` by its ``bm25a`` -- and reports, for each, how often each query word occurs in it
(``PACKEDFACTORS()``), once over title and body and once over the title alone. From those counts, the
article's length and each word's number of articles over the whole cluster, :func:`article_bm25`
computes the Whoosh backend's whole-article BM25 (:func:`search.whoosh_backend.ranking.article_idf`,
its ``K1``, ``B`` and ``TITLE_WEIGHT``, the title's field boost): the same score for the same article.
:func:`passage_bm25f` does the same for the passages of chosen articles, with Whoosh's BM25F, its idf
over passages and the fields' lengths as the Whoosh index's analyzer counts them (within 2% of
the Whoosh backend's scores: its indexer's tokenizer counts a word more in places).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from index.schema import TITLE_BOOST
from search.sphinxql_backend.config import HEAD_INDEX
from search.sphinxql_backend.querying import keyword_positions, keywords, plain_match, sphinx_word, words_match
from search.whoosh_backend.arrays import whoosh_idf
from search.whoosh_backend.matching import PASSAGE_B, PASSAGE_K1
from search.whoosh_backend.ranking import B, K1, TITLE_WEIGHT, article_idf

#: Articles the engine finds by its own ranking, to be scored here; at most, when they are counted in
#: stories (a statement takes up to 4,096 keys in a list).
CANDIDATES = 1000
MAX_CANDIDATES = 4000
#: Passages read per article, on average, at most when scoring articles' passages (100 passages are about
#: 10,000 words), and rows of one statement at most.
PASSAGES_PER_KEY = 100
MAX_ROWS = 100_000
#: Passages per article first asked for (:func:`passage_rows_first`): a query's words are in few of an
#: article's passages.
PASSAGES_FIRST = 4
#: How long word statistics are kept (:func:`statistics`), in seconds, and how many at most.
STATISTICS_SECONDS = 30.0
MAX_STATISTICS = 100_000
_statistics: dict[tuple, tuple[float, list]] = {}
#: Statements sent in one batch at most: searchd refuses more than 32.
BATCH = 32
#: Rows first asked for by a statement whose answer's size is not known beforehand (see :func:`results_up_to`).
FIRST_ROWS = 1000
_WORD_TF = re.compile(r"word(\d+)=\(tf=(\d+)")


@dataclass(frozen=True)
class ArticleScores:
    """The candidates' article keys and ids, whole-article BM25 (and each word's part of it, a column per
    word), whether each holds every word, and each one's story key."""

    keys: np.ndarray
    article_ids: list[str]
    scores: np.ndarray
    holds_all: np.ndarray
    parts: np.ndarray | None = None
    stories: np.ndarray | None = None


def typed_frequencies(factors: str, positions: list[list[int]]) -> np.ndarray:
    """The frequency of each typed word in a row, from its ``PACKEDFACTORS()`` for a query of
    :func:`~search.sphinxql_backend.querying.words_match`, each word's Sphinx words at *positions*
    (:func:`~search.sphinxql_backend.querying.keyword_positions`). A word of several Sphinx words is a
    phrase, each of whose words counts the phrase's occurrences; Sphinx reports a word that an earlier
    one repeats only at the first (whose count then holds both), so a phrase counts as the least of
    its words reported. A word with none reported (or none at all) is not in the row.

    >>> typed_frequencies("word0=(tf=3, idf=0.1), word1=(tf=1, idf=0.1), word2=(tf=1, idf=0.2)", [[0], [1, 2], [3], []]).tolist()
    [3.0, 1.0, 0.0, 0.0]
    >>> typed_frequencies("word0=(tf=0, idf=0.1), word1=(tf=4, idf=0.1), word2=(tf=0, idf=0.2), word4=(tf=1, idf=0.3)", [[0, 1], [2, 3], [4]]).tolist()
    [0.0, 0.0, 1.0]
    """
    reported = {int(number): int(tf) for number, tf in _WORD_TF.findall(factors)}
    frequencies = np.zeros(len(positions))
    for column, numbers in enumerate(positions):
        counts = [reported[number] for number in numbers if number in reported]
        frequencies[column] = min(counts) if counts else 0
    return frequencies


def _results(cursor, statements: list[tuple[str, tuple]]) -> list[list[tuple]]:
    """Every statement's rows, sent in batches of at most :data:`BATCH` (searchd takes 32 at once)."""
    results = []
    for start in range(0, len(statements), BATCH):
        batch = statements[start : start + BATCH]
        cursor.execute("; ".join(statement for statement, _ in batch), [arg for _, args in batch for arg in args])
        results.append(list(cursor.fetchall()))
        while cursor.nextset():
            results.append(list(cursor.fetchall()))
    return results


def results_up_to(cursor, statements: Callable[[int], list[tuple[str, tuple]]], ceiling: int,
                  first: int = FIRST_ROWS) -> list[list[tuple]]:
    """Every statement's rows, up to *ceiling* each: *statements* gives them for a number of rows (their
    ``LIMIT`` and ``max_matches``). Every node keeps a queue of ``max_matches`` rows for each statement,
    which past a few thousand rows costs more than the search itself (a timeline's days at 40,000 cost
    four times a search's count), so they are asked for *first* rows, and only those whose answer
    filled that are asked again for *ceiling*: the answer is the same as if asked for *ceiling* at once."""
    if first >= ceiling:
        return _results(cursor, statements(ceiling))
    results = _results(cursor, statements(first))
    full = [number for number, rows in enumerate(results) if len(rows) >= first]
    if full:
        again = statements(ceiling)
        for number, rows in zip(full, _results(cursor, [again[number] for number in full])):
            results[number] = rows
    return results


def passage_rows_first(articles: int) -> int:
    """The rows first asked for (:func:`results_up_to`) by a statement reading the passages of *articles*
    articles.

    >>> passage_rows_first(10), passage_rows_first(1000)
    (1000, 4000)
    """
    return max(FIRST_ROWS, PASSAGES_FIRST * articles)


def statistics(cursor, statements: list[tuple[str, tuple]]) -> list[list[tuple]]:
    """:func:`_results` of statements that count words and lengths over the whole cluster, kept per head
    for :data:`STATISTICS_SECONDS`: they weigh words in scores and move little with each write, and
    asking for them afresh would cost a statement per word of every search. What matches, and every
    count a page shows, is always asked afresh."""
    now = time.monotonic()
    head = (cursor.connection.host, cursor.connection.port)
    keys = [(head, statement, args) for statement, args in statements]
    missing = [number for number, key in enumerate(keys)
               if key not in _statistics or now - _statistics[key][0] > STATISTICS_SECONDS]
    if missing:
        if len(_statistics) > MAX_STATISTICS:
            _statistics.clear()
        for number, rows in zip(missing, _results(cursor, [statements[number] for number in missing])):
            _statistics[keys[number]] = (now, rows)
    return [_statistics[key][1] for key in keys]


def article_bm25(cursor, words: list[str], match: str, where: str = "", args: tuple = (),
                 candidates: int = CANDIDATES, weights: dict[str, float] | None = None,
                 stories: bool = False, idf: Callable[[int, int], float] = article_idf) -> ArticleScores:
    """The whole-article BM25 of the best *candidates* articles matching *match* (and *where*, with *args*)
    for *words* (as typed, each once; Sphinx stems them; each weighted by *weights*, 1 if not named there),
    each word's rarity by *idf*, from a connection's *cursor* to the head. With *stories*, *candidates*
    counts stories: while the archive holds several articles per story (wire copies), as many times more
    articles are taken, up to :data:`MAX_CANDIDATES`."""
    # The engine picks the candidates by the sum of tf*idf over the words, which misses fewer of the
    # articles our BM25 ranks first than its bm25a does (NPL nDCG@10 0.435 against 0.318 with 1000
    # candidates; TIME unchanged). WEIGHT() is a whole number: scaled up so that close scores stay apart;
    # idf='plain' keeps words that most articles hold from weighing less than nothing.
    every_word, positions = words_match(words), keyword_positions(words)
    filters = f"whole = 1{' AND ' + where if where else ''}"
    count, average, held = article_statistics(cursor, words)
    # A query of plain words matches the words themselves, so its candidates' counts over title and body
    # come with them; otherwise (phrases, exclusions, AND) they are asked of every word apart.
    plain = match == plain_match(words)

    def best(count: int) -> list[tuple]:
        return _results(cursor, [
            (f"SELECT akey, article_id, article_words, skey{', PACKEDFACTORS()' if plain else ''} FROM {HEAD_INDEX} "
             f"WHERE MATCH(%s) AND {filters} LIMIT {count} OPTION max_matches={count}, "
             "ranker=expr('sum(tf_idf)*1000000'), idf='plain,tfidf_unnormalized'", (match, *args))])[0]

    if stories:
        # As many more articles as the archive holds articles per story (counting each story by its
        # first article): wire copies of a story tie, and would otherwise fill the candidates.
        (articles, named), = statistics(cursor, [
            (f"SELECT COUNT(*), SUM(IF(skey = akey, 1, 0)) FROM {HEAD_INDEX} WHERE whole = 1", ())])[0]
        candidates = min(MAX_CANDIDATES, max(candidates, -(-candidates * int(articles) // max(int(named), 1))))
    found = best(candidates)
    if not found:
        return ArticleScores(np.zeros(0, dtype=np.int64), [], np.zeros(0), np.zeros(0, dtype=bool))
    keys = np.array([row[0] for row in found], dtype=np.int64)
    keys_list = ", ".join(str(key) for key in keys.tolist())
    *every, titles = _results(cursor, [
        *([] if plain else [
            (f"SELECT akey, PACKEDFACTORS() FROM {HEAD_INDEX} WHERE MATCH(%s) AND whole = 1 AND akey IN ({keys_list}) "
             f"LIMIT {len(keys)} OPTION max_matches={len(keys)}, ranker=expr('1')", (f"@(title,body) {every_word}",))]),
        (f"SELECT akey, PACKEDFACTORS() FROM {HEAD_INDEX} WHERE MATCH(%s) AND whole = 1 AND akey IN ({keys_list}) "
         f"LIMIT {len(keys)} OPTION max_matches={len(keys)}, ranker=expr('1')", (f"@title {every_word}",)),
    ])
    every = every[0] if every else [(row[0], row[4]) for row in found]
    at = {key: number for number, key in enumerate(keys.tolist())}
    tf = np.zeros((len(keys), len(words)))
    for key, factors in every:
        tf[at[key]] += typed_frequencies(factors, positions)
    for key, factors in titles:
        # The Whoosh title's postings carry its field boost in their weights: a title word counts
        # TITLE_WEIGHT times its boost, once of which the count over both fields already holds.
        tf[at[key]] += (TITLE_WEIGHT * TITLE_BOOST - 1) * typed_frequencies(factors, positions)
    lengths = np.array([max(row[2], 1) for row in found], dtype=np.float64)
    parts = np.zeros((len(keys), len(words)))
    for number, holding in enumerate(held):
        rarity = idf(count, holding)
        column = tf[:, number]
        parts[:, number] = rarity * (column * (K1 + 1)) / (column + K1 * ((1 - B) + B * lengths / average))
    parts *= weighing(words, weights)
    return ArticleScores(keys, [row[1] for row in found], parts.sum(axis=1), (tf > 0).all(axis=1), parts,
                         np.array([row[3] for row in found], dtype=np.int64))


def article_statistics(cursor, words: list[str]) -> tuple[int, float, list[int]]:
    """How many articles the cluster holds, their average length, and how many hold each of *words*
    (:func:`statistics`: kept a while)."""
    totals, *held = statistics(cursor, [
        (f"SELECT COUNT(*), SUM(article_words) FROM {HEAD_INDEX} WHERE whole = 1", ()),
        *[(f"SELECT COUNT(*) FROM {HEAD_INDEX} WHERE MATCH(%s) AND whole = 1", (f"@(title,body) {sphinx_word(word)}",))
          for word in words if keywords(word)],
    ])
    count = int(totals[0][0])
    return count, int(totals[0][1] or 0) / (count or 1) or 1.0, [int(rows[0][0]) for rows in _spread(held, words)]


def weighing(words: list[str], weights: dict[str, float] | None) -> np.ndarray:
    """Each of *words*' weight in *weights* (1 for a word not named there).

    >>> weighing(["oil", "prices"], {"oil": 1.8}).tolist()
    [1.8, 1.0]
    """
    return np.array([(weights or {}).get(word, 1.0) for word in words])


@dataclass(frozen=True)
class PassageCounts:
    """The passages of chosen articles that match a query, as :func:`passage_counts` reads them: their
    ids and article keys, each typed word's count in the title and in the text (a row per passage, a column
    per word) and the two fields' lengths as the Whoosh index counts them; over the whole cluster, how
    many passages there are, the fields' average lengths, and how many passages hold each word in the
    title and in the text."""

    ids: list[str]
    keys: np.ndarray
    title_tf: np.ndarray
    body_tf: np.ndarray
    title_words: np.ndarray
    body_words: np.ndarray
    count: int
    averages: tuple[float, float]
    held: np.ndarray  # two rows, title and text: a column per word


def passage_counts(cursor, words: list[str], match: str, keys: list[int]) -> PassageCounts:
    """:class:`PassageCounts` of the passages of the articles *keys* that match *match*, for *words*
    (each once, as typed): word counts per field from ``PACKEDFACTORS()``."""
    keys_list = ", ".join(str(key) for key in keys)
    every_word, positions = words_match(words), keyword_positions(words)
    ceiling = min(MAX_ROWS, PASSAGES_PER_KEY * len(keys))
    totals, *held = statistics(cursor, [
        (f"SELECT COUNT(*), SUM(title_words), SUM(body_words) FROM {HEAD_INDEX} WHERE whole = 0", ()),
        *[(f"SELECT COUNT(*) FROM {HEAD_INDEX} WHERE MATCH(%s) AND whole = 0", (f"@{field} {sphinx_word(word)}",))
          for field in ("title", "body") for word in words if keywords(word)]])
    held = _spread(held, [word for _ in range(2) for word in words])
    # The passages a query of plain words matches are those that hold one of them in either field.
    plain = match == plain_match(words)

    def scans(rows: int) -> list[tuple[str, tuple]]:
        limit = f"LIMIT {rows} OPTION max_matches={rows}"
        return [*([] if plain else [
                    (f"SELECT passage_id, akey FROM {HEAD_INDEX} WHERE MATCH(%s) AND whole = 0 AND akey IN ({keys_list}) "
                     f"{limit}", (match,))]),
                *[(f"SELECT passage_id, akey, PACKEDFACTORS(), title_words, body_words FROM {HEAD_INDEX} WHERE MATCH(%s) "
                   f"AND whole = 0 AND akey IN ({keys_list}) {limit}, ranker=expr('1')", (f"@{field} {every_word}",))
                  for field in ("title", "body")]]

    *matching, titled, bodied = results_up_to(cursor, scans, ceiling, passage_rows_first(len(keys))) if keys \
        else [[], [], []]
    at: dict[str, int] = {}  # each matching passage's place
    article_keys: list[int] = []
    for row in (matching[0] if matching else [*titled, *bodied]):
        if row[0] not in at:
            at[row[0]] = len(at)
            article_keys.append(row[1])
    lengths = np.zeros((2, len(at)))
    tf = np.zeros((2, len(at), len(words)))
    for field, rows in enumerate((titled, bodied)):
        for passage_id, _, factors, title_words, body_words in rows:
            if passage_id in at:
                number = at[passage_id]
                lengths[:, number] = title_words, body_words
                tf[field, number] = typed_frequencies(factors, positions)
    count = int(totals[0][0])
    averages = tuple((int(totals[0][1 + field] or 0) / (count or 1)) or 1.0 for field in range(2))
    holding = np.array([[int(rows[0][0]) for rows in held[:len(words)]], [int(rows[0][0]) for rows in held[len(words):]]])
    return PassageCounts(list(at), np.array(article_keys, dtype=np.int64), tf[0], tf[1], lengths[0], lengths[1], count,
                         averages, holding)


def passage_bm25f(cursor, words: list[str], match: str, keys: list[int],
                  weights: dict[str, float] | None = None) -> dict[str, float]:
    """Whoosh's BM25F score of each passage of the articles *keys* that matches *match*, for *words*
    (each once, as typed; each weighted by *weights*): by passage id. Word counts per field from
    :func:`passage_counts`, each field's lengths as the Whoosh index counts them, idf over passages."""
    if not keys:
        return {}
    counts = passage_counts(cursor, words, match, keys)
    return dict(zip(counts.ids, bm25f(counts, weighing(words, weights)).tolist()))


def bm25f(counts: PassageCounts, weights: np.ndarray) -> np.ndarray:
    """Whoosh's BM25F of each passage of *counts*, its words weighted by *weights*: each field's BM25
    (the title's counts times its field boost), added."""
    scores = np.zeros(len(counts.ids))
    fields = ((counts.title_tf, counts.title_words, TITLE_BOOST), (counts.body_tf, counts.body_words, 1.0))
    for number, (tf, lengths, boost) in enumerate(fields):
        idfs = np.array([whoosh_idf(counts.count, int(held)) for held in counts.held[number]]) * weights
        tf = tf * boost
        norm = PASSAGE_K1 * ((1 - PASSAGE_B) + PASSAGE_B * np.maximum(lengths, 1) / counts.averages[number])
        scores += (idfs * (tf * (PASSAGE_K1 + 1)) / (tf + norm[:, None])).sum(axis=1)
    return scores


def _spread(counts: list[list[tuple]], words: list[str]) -> list[list[tuple]]:
    """*counts*, one per word that Sphinx can index, at their words' places among *words*; a word it
    cannot index is held by no row."""
    given = iter(counts)
    return [next(given) if keywords(word) else [(0,)] for word in words]


def recency_decay(cursor, where: str, args: tuple, keys: np.ndarray, half_life: float) -> np.ndarray:
    """Each article's (*keys*) recency decay, ``0.5 ** (age / half_life)``, as the Whoosh backend decays
    relevance (:func:`~search.whoosh_backend.searching.with_recency`): age in days behind the newest
    article matching *where* (with *args*); an undated article is as old as the oldest dated one."""
    keys_list = ", ".join(str(key) for key in keys.tolist())
    span, dates = _results(cursor, [
        (f"SELECT MAX(published), MIN(published), COUNT(*) FROM {HEAD_INDEX} WHERE {where} AND day > 0", args),
        (f"SELECT akey, published, day FROM {HEAD_INDEX} WHERE whole = 1 AND akey IN ({keys_list}) "
         f"LIMIT {len(keys)} OPTION max_matches={len(keys)}", ()),
    ])
    if not span or not int(span[0][2]):
        return np.ones(len(keys))
    newest, oldest = int(span[0][0]), int(span[0][1])
    moment = {int(key): int(published) if int(day) else oldest for key, published, day in dates}
    ages = np.array([(newest - moment.get(int(key), oldest)) / 86_400 for key in keys.tolist()])
    return 0.5 ** (ages / half_life)
