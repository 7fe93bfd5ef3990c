"""A query in Sphinx's extended syntax, written from the parse tree, never from what a person typed.

The same parser reads the query for every backend (:func:`search.query.read_query`), so the syntax,
its warnings and the fall-back to plain words are the same; here it reads with :data:`SPHINX_SCHEMA`,
whose analyzers keep each word as typed (lower-cased, stop words dropped) for Sphinx to stem with its
own ``stem_en``. :func:`sphinx_match` then writes the tree:

=====================================  ============================================
parse tree                             extended syntax
=====================================  ============================================
a word in title and body               ``@(title,body) word``
a phrase                               ``@(title,body) "two words"`` (``~N`` for slop)
``prefix*``                            ``@(title,body) prefix*`` (``expansion_limit`` bounds it)
``source:`` / ``section:``             ``@source_name word`` / ``@section_name word``
OR / AND / ``-word``, NOT              ``(a | b)`` / ``(a b)`` / ``(a -b)``
=====================================  ============================================

Every character Sphinx reads as an operator is escaped in words, and words are lower-cased, so
``AND``/``OR``/``NOT``, ``MAYBE``, ``NEAR/3`` and ``@field`` typed by a person are only words. Sphinx
refuses a query that only excludes, and applies an exclusion to the passage it matches, where the
Whoosh backend applies it to the whole article: :class:`SphinxMatch` gives what is excluded apart
(``excluded``), for the caller to leave out the articles that match it.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from whoosh import query as wq
from whoosh.analysis import LowercaseFilter, RegexTokenizer, StopFilter
from whoosh.fields import TEXT, Schema

from index.schema import SCHEMA, STOP_WORDS, Fields
from search.query import ReadQuery, negated_parts
from search.sphinxql_backend.config import CHARSET_TABLE

#: The full-text fields of a shard that a query can name (see :data:`search.sphinxql_backend.config.FIELDS`).
TEXT_FIELDS = {Fields.TITLE: "title", Fields.BODY: "body", Fields.SOURCE: "source_name", Fields.SECTION: "section_name"}
#: Characters Sphinx's extended syntax reads as operators; escaped with a backslash inside words.
_SPECIAL = re.compile(r'([\\()|\-!@~"&/^$=<>\[\]{}:,.\'+])')


def _words_analyzer():
    return RegexTokenizer() | LowercaseFilter() | StopFilter(stoplist=STOP_WORDS)


def build_sphinx_schema() -> Schema:
    """The fields a query may name, read as words that Sphinx stems itself."""
    return Schema(title=TEXT(analyzer=_words_analyzer()), body=TEXT(analyzer=_words_analyzer(), phrase=True),
                  source=TEXT(analyzer=_words_analyzer()), section=TEXT(analyzer=_words_analyzer()))


#: The schema the SphinxQL backend reads queries with.
SPHINX_SCHEMA = build_sphinx_schema()


@dataclass(frozen=True)
class SphinxMatch:
    """What goes in ``MATCH()``: *text* (empty: every article); *excluded*, what an article must not hold
    anywhere -- an exclusion applies to the whole article, as in the Whoosh backend, not only to the
    passage that matches -- and *nothing* when the query can match nothing."""

    text: str
    excluded: str = ""
    nothing: bool = False


def _charset_class(table: str) -> re.Pattern:
    """A pattern of one character that *table* (a ``charset_table``) indexes as part of a word."""
    ranges = []
    for entry in table.split(","):
        source = entry.strip().split("->")[0].removesuffix("/2")
        ends = [int(end[2:], 16) if end.startswith("U+") else ord(end) for end in source.split("..")]
        ranges.append(f"{re.escape(chr(ends[0]))}-{re.escape(chr(ends[-1]))}")
    return re.compile("[" + "".join(ranges) + "]+")


_KEYWORD = _charset_class(CHARSET_TABLE)


def stem(word: str) -> str:
    """*word* as the Whoosh index holds it (itself when the analyzer keeps nothing of it)."""
    return next((token.text for token in SCHEMA[Fields.BODY].analyzer(word)), word)


def keywords(word: str) -> list[str]:
    """The words Sphinx reads in *word*: any character its ``charset_table`` does not hold separates them.

    >>> keywords("i.e"), keywords("naïve"), keywords("u.s.a"), keywords("中文")
    (['i', 'e'], ['naïve'], ['u', 's', 'a'], [])
    """
    return _KEYWORD.findall(word.lower())


def sphinx_word(word: str) -> str:
    """*word* (one word of the Whoosh analyzer: ``i.e``, ``3.14``) as one item of the extended syntax.

    Sphinx reads ``i.e`` as two words, and two words side by side as an AND, which binds looser than
    ``|``: ``role | i\\.e | expert`` would mean ``(role | i) (e | expert)``. A word of several Sphinx
    words is a phrase of them, as the Whoosh index finds it, and counts as many words in
    ``PACKEDFACTORS()`` (:func:`keyword_positions`).

    >>> sphinx_word("i.e"), sphinx_word("3.14"), sphinx_word("Expert")
    ('"i e"', '"3 14"', 'expert')
    """
    parts = keywords(word)
    return f'"{" ".join(parts)}"' if len(parts) > 1 else escape(word)


def keyword_positions(words: list[str]) -> list[list[int]]:
    """Where each of *words* is among the words of ``(w1 | w2 | ...)`` written by :func:`sphinx_word`:
    the numbers of its Sphinx words in ``PACKEDFACTORS()`` (none for a word Sphinx cannot index, left out).

    >>> keyword_positions(["role", "i.e", "expert", "中文"])
    [[0], [1, 2], [3], []]
    """
    positions, at = [], 0
    for word in words:
        count = len(keywords(word))
        positions.append(list(range(at, at + count)))
        at += count
    return positions


def words_match(words: list[str]) -> str:
    """*words* OR-ed, each by :func:`sphinx_word`, those Sphinx cannot index left out (when none can be,
    all of them, as a query that matches nothing: ``()`` is a syntax error).

    >>> words_match(["role", "i.e", "中文"]), words_match(["中文"])
    ('(role | "i e")', '(中文)')
    """
    indexed = [word for word in words if keywords(word)]
    return "(" + " | ".join(sphinx_word(word) for word in indexed or words) + ")"


def plain_match(words: list[str]) -> str:
    """The match :func:`sphinx_match` writes for a query of plain *words* (as :func:`words_match`, each
    word over title and body): it finds each word as ``words_match(words)`` counts them.

    >>> plain_match(["oil", "u.s"])
    '(@(title,body) oil | @(title,body) "u s")'
    """
    return "(" + " | ".join(f"@(title,body) {sphinx_word(word)}" for word in words if keywords(word)) + ")"


def escape(word: str) -> str:
    """*word* with every operator character escaped, lower-cased.

    >>> escape("NEAR/3"), escape("@title"), escape("u.s.")
    ('near\\\\/3', '\\\\@title', 'u\\\\.s\\\\.')
    """
    return _SPECIAL.sub(r"\\\1", word.lower())


def sphinx_match(read: ReadQuery, asked: bool = True) -> SphinxMatch:
    """The query *read* (read with :data:`SPHINX_SCHEMA`) as the text of ``MATCH()``; *asked* says
    whether a query was typed at all (one without searchable words matches nothing).

    >>> from search.query import read_query
    >>> sphinx_match(read_query('"storm shadow" missiles -ukraine', SPHINX_SCHEMA))
    SphinxMatch(text='((@(title,body) "storm shadow" | @(title,body) missiles) -((@(title,body) ukraine)))', excluded='(@(title,body) ukraine)', nothing=False)
    >>> sphinx_match(read_query("NOT ukraine", SPHINX_SCHEMA))
    SphinxMatch(text='', excluded='(@(title,body) ukraine)', nothing=False)
    """
    query = read.query
    if query is None or query is wq.NullQuery:
        return SphinxMatch("", nothing=asked)
    query = _without_every(query)
    if query is wq.NullQuery:
        return SphinxMatch("", nothing=True)
    if isinstance(query, wq.Every):
        return SphinxMatch("")
    if isinstance(query, wq.AndNot) and isinstance(query.a, wq.Every):
        return SphinxMatch("", _write(query.b))
    excluded = negated_parts(query)
    excluded_text = _write(excluded[0] if len(excluded) == 1 else wq.Or(excluded)) if excluded else ""
    only_excludes = isinstance(query, wq.Not) or (
        isinstance(query, wq.And) and all(isinstance(child, wq.Not) for child in query.children()))
    if isinstance(query, wq.Not):
        excluded_text = _write(query.query)
    return SphinxMatch("" if only_excludes else _write(query), excluded_text)


def _without_every(node: wq.Query) -> wq.Query:
    """*node* with every "match everything" (a lone ``*``) folded into what holds it, for which the extended
    syntax has no word: an OR holding it matches everything, an AND does without it, and excluding it
    leaves nothing (:data:`whoosh.query.NullQuery`)."""
    if isinstance(node, wq.Not):
        inner = _without_every(node.query)
        return wq.NullQuery if isinstance(inner, wq.Every) else wq.Not(inner)
    if isinstance(node, (wq.Or, wq.And)):
        children = [_without_every(child) for child in node.children()]
        if isinstance(node, wq.Or):
            if any(isinstance(child, wq.Every) for child in children):
                return wq.Every()
            children = [child for child in children if child is not wq.NullQuery]
        elif any(child is wq.NullQuery for child in children):
            return wq.NullQuery
        kept = [child for child in children if not isinstance(child, wq.Every)]
        if not kept:
            return wq.Every() if isinstance(node, wq.And) else wq.NullQuery
        return kept[0] if len(kept) == 1 and not isinstance(kept[0], wq.Not) else type(node)(kept)
    if isinstance(node, (wq.AndNot, wq.AndMaybe, wq.Require)):
        a, b = _without_every(node.a), _without_every(node.b)
        if a is wq.NullQuery or (isinstance(node, wq.AndNot) and isinstance(b, wq.Every)):
            return wq.NullQuery
        if isinstance(node, wq.AndNot):
            return a if b is wq.NullQuery else wq.AndNot(a, b)
        if isinstance(b, wq.Every) or (b is wq.NullQuery and isinstance(node, wq.AndMaybe)):
            return a
        if b is wq.NullQuery:
            return wq.NullQuery
        if isinstance(a, wq.Every):
            return b if isinstance(node, wq.Require) else wq.Every()
        return type(node)(a, b)
    return node


def _write(node: wq.Query) -> str:
    key = _leaf_key(node)
    if key is not None:
        return _leaf(key, [node.fieldname])
    if isinstance(node, wq.Or):
        # The parser asks for each word in title and in body: one item, limited to both fields.
        fields: dict[tuple, list[str]] = {}
        parts: list[str | tuple] = []
        for child in node.children():
            key = _leaf_key(child)
            if key is None:
                parts.append(_write(child))
            else:
                if key not in fields:
                    fields[key] = []
                    parts.append(key)
                fields[key].append(child.fieldname)
        return "(" + " | ".join(part if isinstance(part, str) else _leaf(part, fields[part]) for part in parts) + ")"
    if isinstance(node, wq.And):
        return "(" + " ".join(f"-({_write(child.query)})" if isinstance(child, wq.Not) else _write(child)
                              for child in node.children()) + ")"
    if isinstance(node, wq.AndNot):
        return f"({_write(node.a)} -({_write(node.b)}))"
    if isinstance(node, wq.AndMaybe):
        return f"({_write(node.a)} MAYBE {_write(node.b)})"
    if isinstance(node, wq.Require):
        return f"({_write(node.a)} {_write(node.b)})"
    if isinstance(node, wq.Not):
        return f"-({_write(node.query)})"
    raise ValueError(f"no Sphinx syntax for {type(node).__name__}")


def _leaf_key(node: wq.Query) -> tuple | None:
    """What a word, phrase or prefix asks for, whatever its field; ``None`` for anything else."""
    if isinstance(node, wq.Term):
        return ("word", sphinx_word(_text(node.text)))
    if isinstance(node, wq.Phrase):
        return ("phrase", " ".join(escape(word) for word in node.words), node.slop)
    if isinstance(node, (wq.Prefix, wq.Wildcard)):
        return ("prefix", escape(_text(node.text).split("*")[0].split("?")[0]))
    return None


def _leaf(key: tuple, fieldnames: list[str]) -> str:
    names = ",".join(dict.fromkeys(TEXT_FIELDS[name] for name in fieldnames))
    limit = f"@({names})" if "," in names else f"@{names}"
    if key[0] == "word":
        return f"{limit} {key[1]}"
    if key[0] == "phrase":
        return f'{limit} "{key[1]}"' + (f"~{key[2]}" if key[2] > 1 else "")
    return f"{limit} {key[1]}*"


def _text(text: bytes | str) -> str:
    return text.decode("utf-8") if isinstance(text, bytes) else text


def marked(snippet: str) -> str:
    """A snippet from the engine as HTML: its text escaped, the engine's markers as ``<mark>``.

    >>> marked("a <b>\\x02missiles\\x03</b> & more")
    'a &lt;b&gt;<mark>missiles</mark>&lt;/b&gt; &amp; more'
    """
    return html.escape(snippet, quote=False).replace("\x02", "<mark>").replace("\x03", "</mark>")
