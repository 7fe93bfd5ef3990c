"""Turn what a person typed into a Whoosh query.

The query language is Whoosh's own (phrases, ``AND``/``OR``/``NOT``, parentheses, ``field:``,
``prefix*``) plus ``-word`` exclusion, over the ``title`` and ``body`` fields with the others
reachable by name. Plain words are OR-ed, and :class:`ReadQuery` records which words a result
must hold to be an all-words match, so those can rank first (unless the query is a description).

Whoosh's parser accepts nearly anything, but an unclosed quote, unbalanced parentheses, a dangling
operator or an unknown ``field:`` would silently change the meaning; those queries are searched
as plain words instead, with a warning saying so.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from whoosh import qparser
from whoosh.query import And, AndNot, Not, NullQuery, Or, Phrase, Prefix, Query, Term, Wildcard
from whoosh.fields import Schema

from index.schema import SCHEMA, SEARCH_FIELDS, Fields

#: Fields a query may name with ``field:``.
QUERY_FIELDS = (Fields.TITLE, Fields.BODY, Fields.SOURCE, Fields.SECTION)
OPERATORS = ("AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "REQUIRE")
BINARY_OPERATORS = ("AND", "OR", "ANDNOT", "ANDMAYBE", "REQUIRE")
#: An all-words match ranks first unless the query is a description (:func:`is_description`): more
#: words than this, some of them stop words. The few articles that happen to hold every word of a
#: description are no likelier to be what it means: no fold of ``benchmarks/tuning.py`` puts them first.
ALL_WORDS_MAX = 5
#: Words that ask rather than name: a query that opens with one of :data:`INTERROGATIVES` is not
#: searched for the run of these it opens with (``why did yukos file for bankruptcy`` searches
#: ``yukos file for bankruptcy``): they say what kind of answer is wanted, not what it is about.
INTERROGATIVES = frozenset("how why what which who whom whose when where".split())
QUESTION_WORDS = INTERROGATIVES | frozenset(
    "did does do is are was were has have had can could would should will much many".split())
#: Whether :func:`without_question_words` applies (a ranking choice measured by ``benchmarks/passages.py``).
DROP_QUESTION_WORDS = True
#: Letters a ``prefix*`` needs: ``*e*`` would expand to most of the vocabulary, for every snippet.
MIN_PREFIX = 2

_FIELD_PREFIX = re.compile(r"(?<![\w:])([^\W\d_][\w-]*):(?=\S)")
_EMPTY_FIELD = re.compile(r"(?<![\w:])([^\W\d_][\w-]*):(?=[\s()+-]|$)")
#: Words of letters and nothing else, between spaces: what most queries are.
_LETTER_WORDS = re.compile(r"\s*[^\W\d_]+(?:\s+[^\W\d_]+)*\s*")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


@dataclass(frozen=True)
class ReadQuery:
    """A parsed query: the Whoosh query (``None`` when there is nothing to search for), the stemmed
    words an all-words match holds (empty when the query's own logic decides, and for a description),
    and any warnings."""

    query: Query | None
    required: frozenset[str] = frozenset()
    warnings: list[str] = field(default_factory=list)
    #: What was typed: a backend that reads queries with a schema of its own reads it again.
    text: str = ""
    #: The weight of each word typed more than once, as the index stems it (:func:`repeated_words`);
    #: each backend weighs the word by it (:func:`with_repeats` for Whoosh's query).
    repeated: Mapping[str, float] = field(default_factory=dict)


class StarWildcardPlugin(qparser.WildcardPlugin):
    """Only ``*`` is a wildcard: people end questions with ``?``, which must not turn a word into a pattern."""

    expr = r"(?P<text>[*])"


def build_parser(schema: Schema) -> qparser.MultifieldParser:
    """Whoosh's multi-field parser over title and body, with ``-word`` exclusion, words OR-ed."""
    parser = qparser.MultifieldParser(list(SEARCH_FIELDS), schema, group=qparser.OrGroup)
    parser.remove_plugin_class(qparser.WildcardPlugin)
    parser.add_plugin(StarWildcardPlugin())
    # Ranges ([a TO z]) expand over the whole vocabulary and are no news reader's syntax.
    parser.remove_plugin_class(qparser.RangePlugin)
    # A minus excludes only at the start of a word: "long-range" and "cease-fire" are words.
    parser.add_plugin(qparser.PlusMinusPlugin(minusexpr=r"(?:^|(?<=[\s(]))-(?=\S)"))
    return parser


def syntax_problem(text: str) -> str | None:
    """Why *text* cannot be read as query syntax, or ``None`` when it can."""
    if text.count('"') % 2:
        return "an unclosed quote"
    depth = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return "a closing parenthesis without an opening one"
    if depth:
        return "an unclosed parenthesis"
    for name in _FIELD_PREFIX.findall(_without_phrases(text)):
        if name not in QUERY_FIELDS:
            return f"no field is called {name!r} (fields: {', '.join(QUERY_FIELDS)})"
    for name in _EMPTY_FIELD.findall(re.sub(r'"[^"]*"', '""', text)):  # a phrase is a word after a field
        if name in QUERY_FIELDS:
            return f"{name}: with no word right after it"
    words = _without_phrases(text).replace("(", " ( ").replace(")", " ) ").split()
    for before, after in zip(["("] + words, words + [")"]):
        if before in OPERATORS and (after in BINARY_OPERATORS or after == ")"):
            return f"{before} without a word after it"
        if after in BINARY_OPERATORS and before == "(":
            return f"{after} without a word before it"
    for word in words:
        stem = word.lstrip("+-").split(":")[-1].strip('"')
        if "*" in stem and len(stem.split("*")[0]) < MIN_PREFIX:
            return f"a wildcard needs at least {MIN_PREFIX} letters before the *"
        if "*" in stem.rstrip("*"):
            return "a * can only end a word, as in vaccin*"
    return None


def _without_phrases(text: str) -> str:
    return re.sub(r'"[^"]*"', " ", text)


def read_query(text: str, schema: Schema) -> ReadQuery:
    """Parse *text*; unreadable syntax falls back to its plain words with a warning.

    >>> from index.schema import SCHEMA
    >>> read_query('"long range', SCHEMA).warnings
    ["The query's syntax could not be read (an unclosed quote), so it was searched as plain words."]
    """
    text = without_question_words(unicodedata.normalize("NFC", text))
    by_score = is_description(text, schema)
    problem = syntax_problem(text)
    if problem is None:
        try:
            query = (letter_words_query(text, schema)
                     or lone_exclusions_as_not(build_parser(schema).parse(text, normalize=False)))
        except Exception:  # noqa: BLE001 -- any parser failure means: fall back to plain words
            problem = "an operator in a place it cannot apply"
        else:
            return replace(_finish(query, [], description=by_score), text=text, repeated=repeated_words(text))
    warning = f"The query's syntax could not be read ({problem}), so it was searched as plain words."
    return replace(_finish(plain_query(text, schema), [warning], description=by_score), text=text,
                   repeated=repeated_words(text))


#: How much a word typed more than once weighs: BM25's query term frequency, saturated by this k3,
#: (k3 + 1) n / (k3 + n) for a word typed n times (0: every word once). A description that names its
#: subject twice is about it (``benchmarks/tuning.py`` chooses the value).
QUERY_TF_K3 = 8.0


def typed_counts(text: str, schema: Schema = SCHEMA) -> dict[str, int]:
    """How often each word (as *schema* stems it) is typed in *text*, outside phrases and exclusions.

    >>> typed_counts('oil prices and the price of "crude oil" -prices')
    {'oil': 1, 'price': 2}
    """
    plain = " ".join(word for word in _without_phrases(text).split() if not word.startswith("-"))
    counts: dict[str, int] = {}
    for token in schema[Fields.BODY].analyzer(plain):
        counts[token.text] = counts.get(token.text, 0) + 1
    return counts


def repeat_weight(times: int) -> float:
    """The weight of a word typed *times* times (see :data:`QUERY_TF_K3`); 1 for a word typed once."""
    return (QUERY_TF_K3 + 1) * times / (QUERY_TF_K3 + times) if QUERY_TF_K3 and times > 1 else 1.0


def repeated_words(text: str, schema: Schema = SCHEMA) -> dict[str, float]:
    """The :func:`repeat_weight` of each word *text* types more than once, by *schema*'s stem; none
    for a query whose own logic decides (``AND``, ``OR``, ``NOT``, ``field:``)."""
    if not QUERY_TF_K3 or own_logic(text):
        return {}
    return {word: repeat_weight(times) for word, times in typed_counts(text, schema).items() if times > 1}


def with_repeats(query: Query, repeated: Mapping[str, float]) -> Query:
    """*query* (read with the index's schema) with each word of *repeated* boosted by its weight, in
    title and body alike."""
    if not repeated:
        return query

    def weighted(node: Query) -> Query:
        if isinstance(node, Term) and node.text in repeated:
            return Term(node.fieldname, node.text, boost=node.boost * repeated[node.text])
        return node if node.is_leaf() else node.apply(weighted)

    return weighted(query)


def without_question_words(text: str) -> str:
    """*text* without the question words it opens with, when it opens with an interrogative and at
    least two words follow them; any other text as it is.

    >>> without_question_words("How did the Bank of Japan stop the dollar falling?")
    'the Bank of Japan stop the dollar falling?'
    >>> without_question_words("what is it"), without_question_words("The Who")
    ('what is it', 'The Who')
    """
    words = text.split()
    if not DROP_QUESTION_WORDS or not words or words[0].lower() not in INTERROGATIVES:
        return text
    opening = 0
    while opening < len(words) and words[opening].lower() in QUESTION_WORDS:
        opening += 1
    if len(words) - opening < 2:
        return text
    return re.sub(r"^\s*" + r"\s+".join(re.escape(word) for word in words[:opening]) + r"\s*", "", text)


def letter_words_query(text: str, schema: Schema) -> Query | None:
    """The query :func:`build_parser`'s parser makes of *text* when *text* is only words of letters
    (no operator, digit or punctuation) that the analyzer takes as one word each, made directly, in a
    tenth of the parser's time; ``None`` for any other text, which the parser reads.

    >>> from index.schema import SCHEMA
    >>> letter_words_query("Oil the prices", SCHEMA)
    Or([Term('title', 'oil'), Term('body', 'oil'), Term('title', 'price'), Term('body', 'price')])
    >>> letter_words_query("oil AND prices", SCHEMA) is None, letter_words_query("u.s. oil", SCHEMA) is None
    (True, True)
    """
    if not _LETTER_WORDS.fullmatch(text):
        return None
    words = text.split()
    if any(word in OPERATORS for word in words):
        return None
    clauses: list[Query] = []
    for word in words:
        for fieldname in SEARCH_FIELDS:
            tokens = list(schema[fieldname].process_text(word, mode="query"))
            if len(tokens) > 1:
                return None
            clauses += [Term(fieldname, token) for token in tokens]
    return Or(clauses) if clauses else NullQuery


def own_logic(text: str) -> bool:
    """Whether the query *text* says itself what a match holds: an operator (``AND``, ``OR``, ``NOT``...)
    or a ``field:``, outside its phrases.

    >>> own_logic("oil prices"), own_logic("oil OR prices"), own_logic("title:oil prices")
    (False, True, True)
    """
    plain = re.sub(r'"[^"]*"', " ", text)
    return any(word in OPERATORS for word in plain.split()) or bool(_FIELD_PREFIX.search(plain))


def plain_parts(read: ReadQuery, text: str, schema: Schema) -> dict[tuple, list[Query]]:
    """The parts of a plain query, each with the clauses that ask for it (a word in title and in body is
    one part): every word, every ``"phrase"``, every ``prefix*`` (as a pattern, or as the OR of the words
    it stands for), by a key naming the part. Empty for a single part, a description
    (:func:`is_description`), a query whose own logic decides (:func:`own_logic`) or any other shape:
    what a date-sorted search requires all of, in every backend.
    """
    if read.query is None or own_logic(text) or is_description(text, schema):
        return {}
    query = read.query.a if isinstance(read.query, AndNot) else read.query
    if not isinstance(query, Or):
        return {}
    groups: dict[tuple, list[Query]] = {}
    for child in query.children():
        if isinstance(child, Term):
            key: tuple = ("word", child.text)
        elif isinstance(child, Phrase):
            key = ("phrase", tuple(child.words))
        elif isinstance(child, (Prefix, Wildcard)):
            key = ("pattern", child.text)
        elif isinstance(child, Or) and all(isinstance(term, Term) for term in child.children()):
            key = ("words", frozenset(term.text for term in child.children()))
        else:
            return {}
        groups.setdefault(key, []).append(child)
    return groups if len(groups) > 1 else {}


def is_description(text: str, schema: Schema) -> bool:
    """Whether *text* describes what it wants in a phrase or a sentence -- more than
    :data:`ALL_WORDS_MAX` words, some of them stop words such as *of* or *the* -- rather than
    listing keywords, however many.

    >>> from index.schema import SCHEMA
    >>> is_description("background of the new prime minister of great britain", SCHEMA)
    True
    >>> is_description("joe biden xi jinping san francisco", SCHEMA)  # keywords, however many
    False
    >>> is_description("the new prime minister of britain", SCHEMA)  # five words
    False
    """
    tokens = [(token.text, token.stopped) for token in schema[Fields.BODY].analyzer(text, removestops=False)]
    kept = {word for word, stopped in tokens if not stopped}
    return len(kept) > ALL_WORDS_MAX and any(stopped for _, stopped in tokens)


def plain_query(text: str, schema: Schema) -> Query:
    """The words of *text*, without any syntax, OR-ed over title and body; a word typed with a minus
    in front (``-ukraine``) is left out all the same, as it would have been.

    >>> from index.schema import SCHEMA
    >>> print(plain_query("missiles -ukraine source:", SCHEMA))
    ((title:missil OR body:missil OR title:sourc OR body:sourc) ANDNOT (title:ukrain OR body:ukrain))
    """
    kept: list[str] = []
    excluded: list[str] = []
    for token in text.split():
        (excluded if token.startswith("-") else kept).extend(_WORD.findall(token))
    parser = qparser.MultifieldParser(list(SEARCH_FIELDS), schema, group=qparser.OrGroup,
                                      plugins=[qparser.WhitespacePlugin()])
    query = parser.parse(" ".join(kept))
    left_out = parser.parse(" ".join(excluded))
    if left_out is NullQuery:
        return query
    return Not(left_out) if query is NullQuery else AndNot(query, left_out)


def lone_exclusions_as_not(query: Query) -> Query:
    """*query* as parsed (not yet normalized), with ``-a -b`` -- exclusions and nothing else, which
    Whoosh's parser reads as nothing -- read as ``NOT (a OR b)``: every article without them.

    >>> from index.schema import SCHEMA
    >>> print(read_query("-trump -biden", SCHEMA).query)
    NOT (title:trump OR body:trump OR title:biden OR body:biden)
    """
    if isinstance(query, AndNot) and query.a.normalize() is NullQuery:  # nothing but stop words beside them
        return Not(query.b).normalize()
    return query.normalize()


def excludes_only(read: ReadQuery) -> bool:
    """Whether the query only says what an article must not hold (``-trump``, ``NOT a NOT b``).

    >>> from index.schema import SCHEMA
    >>> excludes_only(read_query("-trump", SCHEMA)), excludes_only(read_query("election -trump", SCHEMA))
    (True, False)
    """
    return isinstance(read.query, Not)


def lift_negations(query: Query) -> Query:
    """``a OR b NOT c`` means *(a or b) and not c*: an OR-ed ``NOT`` would match everything else;
    ``NOT a NOT b`` means neither."""
    if not query.is_leaf():
        query = query.apply(lift_negations)
    if type(query) is not Or:
        return query
    negated = [child.query for child in query.children() if isinstance(child, Not)]
    kept = [child for child in query.children() if not isinstance(child, Not)]
    if negated and not kept:
        return Not(negated[0] if len(negated) == 1 else Or(negated))
    if not negated:
        return query
    positive = kept[0] if len(kept) == 1 else Or(kept, boost=query.boost)
    return AndNot(positive, negated[0] if len(negated) == 1 else Or(negated))


def _finish(query: Query, warnings: list[str], description: bool = False) -> ReadQuery:
    query = lift_negations(query).normalize()
    if query is NullQuery:
        return ReadQuery(None, warnings=warnings + ["The query has no words that can be searched for."])
    return ReadQuery(query, frozenset() if description else required_words(query), warnings)


def required_words(query: Query) -> frozenset[str]:
    """The words a plain-words query (an OR of terms, minus exclusions) holds in an all-words match.

    >>> from index.schema import SCHEMA
    >>> sorted(read_query("missiles for ukraine", SCHEMA).required)
    ['missil', 'ukrain']
    >>> read_query("pressure on the regime to stop suppressing the buddhists and monks", SCHEMA).required
    frozenset()
    """
    if isinstance(query, AndNot):
        return required_words(query.a)
    if isinstance(query, Term):
        return frozenset([query.text])
    if isinstance(query, Or):
        words: set[str] = set()
        for child in query.children():
            if isinstance(child, Term):
                words.add(child.text)
            elif isinstance(child, Or) and all(isinstance(c, Term) for c in child.children()):
                words.update(c.text for c in child.children())
            else:
                return frozenset()
        return frozenset(words) if len(words) > 1 else frozenset()
    return frozenset()


def negated_parts(query: Query) -> list[Query]:
    """The sub-queries that a top-level ``AndNot``/``NOT`` excludes: an article that holds one of them
    anywhere is not a result, whatever its other passages hold."""
    if isinstance(query, Not):
        return [query.query]
    if isinstance(query, AndNot):
        return [query.b, *negated_parts(query.a)]
    if isinstance(query, And):
        return [part for child in query.children() for part in
                ([child.query] if isinstance(child, Not) else negated_parts(child))]
    return []
