"""Related coverage: the other articles most like one article.

* :func:`key_terms` -- the words that characterise an article against the whole index (Whoosh's
  Bo1 key-term model, as its ``more_like`` uses), minus stop words (:func:`stop_stems`) and words
  too common or found nowhere else;
* :func:`related_articles` -- the articles that share those words most, scored as search ranks
  articles (whole-article BM25, title words weighted; Whoosh's idf), the article's own copies left out.

The order of the results: the *limit* most similar articles whose similarity is at least
:data:`MIN_SHARE` of the article's similarity to itself; of those, the *close* ones (at least
:data:`CLOSE_SHARE`) come first, newest first, so the latest developments of a story lead;
the rest follow, most similar first. An index of fewer than :data:`MIN_ARTICLES` articles shows none.

Plain Python in, frozen dataclasses out (:mod:`search.results`).
"""

from __future__ import annotations

import math
import re
import time
from collections import Counter

import numpy as np
from whoosh.analysis import Analyzer
from whoosh.lang.stopwords import stoplists

from index.errors import ArticleNotFound
from index.schema import Fields
from search.params import RELATED_LIMIT
from search.results import Related, RelatedArticle
from search.whoosh_backend.arrays import IndexArrays, distinct, whoosh_idf
from search.whoosh_backend.generation import Generation
from search.whoosh_backend.ranking import article_bm25, article_frequencies

#: Key terms an article is compared by, and how many of the model's best words are considered.
KEY_TERMS = 12
KEY_TERM_CANDIDATES = 60
#: Key terms are read from an article's title and its first this many passages (some ten thousand
#: words, more than a news article holds), so that a very long one costs no more to relate.
KEY_TERM_PASSAGES = 100
#: A word in more than this share of all passages (and in more than MIN_COMMON passages) says
#: little about any one story, and reading its long postings would cost most of the time.
COMMON_SHARE = 0.05
MIN_COMMON = 50
#: Nor does a word in more than this share of the articles, whatever the index's size ("said",
#: "would", "many" in an index of a few dozen articles, where no word reaches MIN_COMMON passages).
#: At a fifth it leaves the key terms of Reuters-21578 and BBC News as they were: there a word in a
#: fifth of the articles is already in more than 5% of the passages.
COMMON_ARTICLE_SHARE = 0.2
#: Below this many articles no related coverage is shown (nor key terms): a key term is held by
#: another article as well, and by at most COMMON_ARTICLE_SHARE of them, so by two articles at the
#: least, which needs ten. In a handful of articles how rare a word is says little: in eight saved
#: pages, "many" and "too" were as rare as any name, and what was listed was noise.
MIN_ARTICLES = math.ceil(2 / COMMON_ARTICLE_SHARE)
#: Words that never characterise an article, besides those the analyzer drops: the English stop list
#: Whoosh ships (pronouns, auxiliaries, "but", "more", "too"), and the pieces the tokenizer splits
#: off contractions ("they're", "we've", "didn't").
STOP_LANGUAGE = "en"
CONTRACTIONS = ("re", "ve", "ll", "don", "didn", "doesn", "isn", "wasn", "aren", "weren", "hasn", "haven",
                "hadn", "couldn", "wouldn", "shouldn", "won", "ain")
#: Similarity, as a share of the article's similarity to itself: below MIN_SHARE an article is not
#: related; from CLOSE_SHARE it is close coverage of the same story.
MIN_SHARE = 0.15
CLOSE_SHARE = 0.4

_LETTER = re.compile(r"[^\W\d_]")


def key_terms(gen: Generation, stored: list[dict], count: int = KEY_TERMS) -> dict[str, float]:
    """The stemmed words that best characterise an article (its stored passages), with their weights.

    Words only this article holds are left out (they find nothing else), and so are stop words,
    words too common to say what the article is about (see :data:`COMMON_SHARE`,
    :data:`COMMON_ARTICLE_SHARE`) and numbers: the figures of a report are rare words, but they
    are not what it is about.
    """
    searcher = gen.searcher
    analyzer = searcher.schema[Fields.BODY].analyzer
    text = "\n".join([stored[0].get(Fields.TITLE, "")] + [fields[Fields.BODY] for fields in stored])
    reader = searcher.reader()
    common = max(COMMON_SHARE * reader.doc_count(), MIN_COMMON)
    stopped = gen.arrays.derived("stop_stems", lambda: stop_stems(analyzer))
    chosen: dict[str, float] = {}
    for word, weight in searcher.key_terms_from_text(Fields.BODY, text, numterms=KEY_TERM_CANDIDATES):
        if (_LETTER.search(word) and word not in stopped and reader.doc_frequency(Fields.BODY, word) <= common
                and shared_not_common(gen.arrays, word)):
            chosen[word] = weight
            if len(chosen) == count:
                break
    return chosen


def stop_stems(analyzer: Analyzer) -> frozenset[str]:
    """The stop words (see :data:`CONTRACTIONS`) as *analyzer* indexes them ("was" is ``wa``); those
    it drops itself never reach the index, and their stems may be other words' ("us" of "used")."""
    words = set(stoplists[STOP_LANGUAGE]) | set(CONTRACTIONS)
    return frozenset(token.text for word in words for token in analyzer(word))


def shared_not_common(arrays: IndexArrays, word: str) -> bool:
    """Whether another article than the one the word is taken from holds *word* too (title or body),
    and no more than :data:`COMMON_ARTICLE_SHARE` of the articles do: the cluster's rule as well."""
    holding = len(article_frequencies(arrays, [word], whoosh_idf)[word].articles)
    return 1 < holding <= COMMON_ARTICLE_SHARE * arrays.article_count


def surface_words(gen: Generation, stored: list[dict], stems: list[str]) -> list[str]:
    """Each stem as the article most often writes it, lower-cased (``missil`` -> ``missiles``)."""
    analyzer = gen.searcher.schema[Fields.BODY].analyzer
    spellings: dict[str, Counter[str]] = {stem: Counter() for stem in stems}
    for fields in [{Fields.BODY: stored[0].get(Fields.TITLE, "")}, *stored]:
        for token in analyzer(fields[Fields.BODY], keeporiginal=True):
            if token.text in spellings:
                spellings[token.text][token.original.lower()] += 1
    return [spellings[stem].most_common(1)[0][0] if spellings[stem] else stem for stem in stems]


def similarities(arrays: IndexArrays, words: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """The articles (by number, see :mod:`search.whoosh_backend.arrays`) that hold a word of *words*, and their
    whole-article BM25 for those words, as search ranks articles but with Whoosh's idf."""
    frequencies = article_frequencies(arrays, words, whoosh_idf)  # the idf MIN_SHARE and CLOSE_SHARE were set on
    if not frequencies:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    holding = distinct(np.concatenate([frequency.articles for frequency in frequencies.values()]))
    return holding, article_bm25(arrays, frequencies, words, holding)


def related_articles(gen: Generation, article_id: str, limit: int = RELATED_LIMIT) -> Related:
    """The articles most like *article_id*, without the article itself or its copies; none (and no
    key terms) in an index of fewer than :data:`MIN_ARTICLES` articles.

    Among the results, each story is shown once (see :class:`Copies`).

    :raises ArticleNotFound: when no article has that id.
    """
    started = time.perf_counter()
    stored = gen.stored_passages(article_id)
    if not stored:
        raise ArticleNotFound(f"no article has the id {article_id!r}", "article_id")
    arrays = gen.arrays
    if arrays.article_count < MIN_ARTICLES:
        return Related(article_id, [], [], round((time.perf_counter() - started) * 1000, 2))
    opening = stored[:KEY_TERM_PASSAGES]
    words = key_terms(gen, opening)
    holding, scores = similarities(arrays, words)
    number = arrays.article_numbers[article_id]
    at = int(np.searchsorted(holding, number))  # holding is in article order
    held = at < len(holding) and holding[at] == number
    own = float(scores[at]) if held else 0.0
    copies = Copies(gen)
    copies.is_new(article_id, stored[0], int(arrays.article_words[number]) if held else -1)
    found: list[RelatedArticle] = []
    for index in np.argsort(-scores, kind="stable") if own > 0 else ():
        candidate, score = int(holding[index]), float(scores[index])
        if len(found) == limit or score < MIN_SHARE * own:
            break
        if candidate == number:
            continue
        other = arrays.article_ids[candidate]
        fields = gen.searcher.stored_fields(int(arrays.first_passage[candidate]))
        if not copies.is_new(other, fields, int(arrays.article_words[candidate])):
            continue
        share = score / own
        found.append(RelatedArticle(other, fields.get(Fields.TITLE, ""), fields.get(Fields.URL),
                                    fields.get(Fields.SOURCE), fields.get(Fields.PUBLISHED_TEXT), round(share, 4),
                                    share >= CLOSE_SHARE))
    return Related(article_id, surface_words(gen, opening, list(words)), order_related(found),
                   round((time.perf_counter() - started) * 1000, 2))


class Copies:
    """The stories met so far, to pass over an article's copies and show each story once.

    Copies share a ``story`` when the index records stories. Exact copies (same title, same
    text) are passed over as well; texts are compared only between articles of the same title
    and length in words, which is rare.
    """

    def __init__(self, gen: Generation) -> None:
        self.gen = gen
        self.stories: set[str] = set()
        self.shapes: dict[tuple[str, int], list[str]] = {}
        self.texts: dict[str, str] = {}

    def is_new(self, article_id: str, fields: dict, words: int) -> bool:
        """Whether *article_id* is of a story not met yet; if it is, it counts as met from now on."""
        story = fields.get(Fields.STORY) or article_id
        if story in self.stories:
            return False
        met = self.shapes.setdefault((fields.get(Fields.TITLE, "").casefold(), words), [])
        if met and self.text(article_id) in {self.text(other) for other in met}:
            return False
        self.stories.add(story)
        met.append(article_id)
        return True

    def text(self, article_id: str) -> str:
        """The article's body, from its stored passages (read once)."""
        if article_id not in self.texts:
            stored = self.gen.stored_passages(article_id)
            self.texts[article_id] = "\n".join(fields[Fields.BODY] for fields in stored)
        return self.texts[article_id]


def order_related(found: list[RelatedArticle]) -> list[RelatedArticle]:
    """Close articles first, newest first (undated ones after them), then the rest as found."""
    close = [article for article in found if article.close]
    dated = sorted((article for article in close if article.published), key=lambda a: a.published, reverse=True)
    return dated + [a for a in close if not a.published] + [a for a in found if not a.close]
