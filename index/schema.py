"""The Whoosh schema both halves share: one document per passage.

Every passage document carries its article's metadata (title, date, source, ...), so a passage can be
ranked, filtered and shown on its own, and the article can be rebuilt from its passages: each passage
stores its offsets and the whitespace (``lead``) between the previous passage and itself.

>>> sorted(SCHEMA.stored_names())[:3]
['article_id', 'author', 'body']
"""

from __future__ import annotations

from collections.abc import Callable

from whoosh.analysis import STOP_WORDS as WHOOSH_STOP_WORDS
from whoosh.analysis import Analyzer, IDAnalyzer, StemmingAnalyzer
from whoosh.columns import NumericColumn, VarBytesColumn
from whoosh.fields import COLUMN, DATETIME, ID, NUMERIC, STORED, TEXT, Schema
from whoosh.lang.porter import stem as whoosh_porter_stem

from index.stemming import porter_stem
from index.store.formats import Characters, Positions

#: Weight of a title match against a body match.
TITLE_BOOST = 2.0


class Fields:
    """The name of each field of the schema: code that reads or writes a field names it through these.

    >>> sorted(value for name, value in vars(Fields).items() if name.isupper()) == sorted(SCHEMA.names())
    True
    """

    PASSAGE_ID = "passage_id"
    ARTICLE_ID = "article_id"
    POSITION = "position"
    START = "start"
    END = "end"
    LEAD = "lead"
    TITLE = "title"
    BODY = "body"
    PUBLISHED = "published"
    PUBLISHED_TEXT = "published_text"
    SOURCE = "source"
    SECTION = "section"
    URL = "url"
    AUTHOR = "author"
    PATH = "path"
    CONTENT_HASH = "content_hash"
    ARTICLE_WORDS = "article_words"
    STORY = "story"
    STORY_BANDS = "story_bands"
    STORY_SKETCH = "story_sketch"
    STORY_SINCE = "story_since"


#: Words too common to be worth searching for: Whoosh's English stop words but three that news names
#: things by -- "US" (the United States), "May" (the month; Theresa May), "Will" (a name; a will).
STOP_WORDS = WHOOSH_STOP_WORDS - {"us", "may", "will"}


def text_analyzer(stem: Callable[[str], str] = porter_stem, stops: frozenset[str] = STOP_WORDS) -> Analyzer:
    """English text: word tokens, lower-cased, *stops* dropped, stemmed by *stem* (cached): Porter's
    (:func:`index.stemming.porter_stem`).

    >>> [token.text for token in text_analyzer()("The vaccinated are running in the US in May")]
    ['vaccin', 'run', 'us', 'mai']
    """
    return StemmingAnalyzer(stemfn=stem, stoplist=stops, cachesize=100_000)


def keyword_analyzer() -> Analyzer:
    """A whole value as one lower-cased token, so ``source:reuters`` matches "Reuters"."""
    return IDAnalyzer(lowercase=True)


def text_field(*, chars: bool = False, stem: Callable[[str], str] = porter_stem, stops: frozenset[str] = STOP_WORDS,
               **options) -> TEXT:
    """Whoosh's ``TEXT`` field, analysed by :func:`text_analyzer` (*stem*, *stops*), its postings keeping
    where each word stands, and with *chars* its characters, as arrays (:mod:`index.store.formats`).
    """
    field = TEXT(analyzer=text_analyzer(stem, stops), chars=chars, **options)
    format_class = Characters if chars else Positions
    field.format = format_class(field_boost=field.format.field_boost)
    return field


def date_field() -> DATETIME:
    """Whoosh's ``DATETIME``, sortable, indexed as one term per value: dates are filtered, sorted and
    counted from the column (:mod:`search.whoosh_backend.arrays`), never searched by range, so the seven coarser
    terms per value Whoosh adds by default for fast range queries would only cost indexing time.

    >>> from datetime import datetime
    >>> len(list(date_field().index(datetime(2024, 11, 17, 9, 30))))
    1
    """
    field = DATETIME(sortable=True)
    field.shift_step = 0
    return field


def build_schema(stem: Callable[[str], str] = porter_stem, stops: frozenset[str] = STOP_WORDS) -> Schema:
    """A new instance of the passage schema, its text stemmed by *stem*, *stops* left out."""
    return Schema(
        passage_id=STORED,  # shown, never searched: a term per passage would only cost indexing time
        article_id=ID(stored=True, sortable=True),
        position=NUMERIC(int, bits=32, stored=True, signed=False, shift_step=0),
        start=STORED,
        end=STORED,
        lead=STORED,
        title=text_field(stored=True, field_boost=TITLE_BOOST, stem=stem, stops=stops),
        # Characters, for highlighting from the index; no separate unstemmed word list for spelling
        # (a quarter of the indexing time): suggestions come from the stems (search.whoosh_backend.searching.suggest).
        body=text_field(stored=True, phrase=True, chars=True, stem=stem, stops=stops),
        published=date_field(),
        published_text=STORED,
        source=ID(stored=True, sortable=True, analyzer=keyword_analyzer()),
        section=ID(stored=True, sortable=True, analyzer=keyword_analyzer()),
        url=STORED,
        author=STORED,
        path=STORED,
        content_hash=STORED,
        # Words in the whole article (title and body), for ranking articles by their length.
        article_words=COLUMN(NumericColumn("I")),
        # Wire copies (index/stories.py): the article's story on every passage; on the first passage
        # only, its LSH band keys, sketch and start, from which a later run finds copies among indexed
        # articles (columns: read all at once, faster than stored fields and cheaper than terms).
        story=ID(stored=True, sortable=True),
        story_bands=COLUMN(VarBytesColumn()),
        story_sketch=COLUMN(VarBytesColumn()),
        story_since=COLUMN(NumericColumn("I")),  # the day the story started (date.toordinal), 0 for none
    )


#: The schema of every index this package writes, and of every index it reads but those below.
SCHEMA = build_schema()

#: The schema of an index written before :func:`index.stemming.porter_stem` and :data:`STOP_WORDS`, with
#: Whoosh's own Porter stemmer and stop words: such an index is read, and updated, with the words it
#: holds until it is rebuilt.
EARLIER_SCHEMA = build_schema(whoosh_porter_stem, WHOOSH_STOP_WORDS)


def stemmer_of(schema: Schema) -> Callable[[str], str] | None:
    """The stemming function of *schema*'s body text, if it has one.

    >>> stemmer_of(SCHEMA) is porter_stem, stemmer_of(EARLIER_SCHEMA) is whoosh_porter_stem
    (True, True)
    """
    body = schema[Fields.BODY] if Fields.BODY in schema else None
    items = getattr(getattr(body, "analyzer", None), "items", ())
    return next((getattr(item, "stemfn", None) for item in items if hasattr(item, "stemfn")), None)


def earlier_words(schema: Schema) -> bool:
    """Whether *schema* analyses text as indexes written before this version's words did
    (:data:`EARLIER_SCHEMA`), whatever copy of it this is (one unpickled from an index, say).

    >>> earlier_words(EARLIER_SCHEMA), earlier_words(SCHEMA)
    (True, False)
    """
    return stemmer_of(schema) is whoosh_porter_stem


#: What is said of an index written with :data:`EARLIER_SCHEMA`'s words (``news-search index``, ``stats``).
EARLIER_WORDS_NOTE = ("this index was written with Whoosh's Porter stemmer and stop words, which leave some forms of "
                      "a word apart (accelerated, accelerate; running, run) and cannot find US or May: "
                      "`news-search index --rebuild` re-indexes it with today's")


#: The fields a query searches when it names none.
SEARCH_FIELDS = ("title", "body")
