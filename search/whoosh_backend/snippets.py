"""Highlighted snippets, made with Whoosh's highlighter: text HTML-escaped, matches in ``<mark>``.

* :class:`MarkFormatter` -- escapes every piece of text and wraps matched words in ``<mark>``;
* :func:`passage_snippet` -- the best fragments of a passage hit;
* :func:`whole_highlight` -- a whole passage of an article, every match marked.

Formatters are made per call: Whoosh's own keep state between searches.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

import numpy as np
from whoosh import highlight
from whoosh.query import Query
from whoosh.searching import Hit, Results, Searcher

from index.store.reading import keep_characters
from index.schema import Fields

#: Longest snippet fragment, and how much context to keep around a match.
SNIPPET_CHARS = 300
SNIPPET_SURROUND = 120
SEPARATOR = " … "


class MarkFormatter(highlight.Formatter):
    """Whoosh formatter: ``<mark>`` around matches, every other character HTML-escaped."""

    between = SEPARATOR

    def _text(self, text: str) -> str:
        return escape(text, quote=False)

    def format_token(self, text: str, token, replace: bool = False) -> str:
        return f"<mark>{escape(highlight.get_text(text, token, replace), quote=False)}</mark>"

    def format_fragment(self, fragment: highlight.Fragment, replace: bool = False) -> str:
        """The fragment, with an ellipsis on each side where it cuts the passage short."""
        text = super().format_fragment(fragment, replace=replace)
        before = "… " if fragment.text[: fragment.startchar].strip() else ""
        after = " …" if fragment.text[fragment.endchar :].strip() else ""
        return before + text + after


def pinpoint_results(searcher: Searcher, query: Query, docnums: Sequence[int],
                     holders: Callable[[str, str], np.ndarray],
                     where: Callable[[str, str, list[int]], dict[int, list]]) -> Results:
    """Whoosh results for the passages *docnums* that know which of the query's body words each
    holds, so that the highlighter reads where the words are from the index (the body is indexed
    with character offsets) instead of analysing each passage's text again.

    :param holders: the passages that hold a word in a field, as a sorted array.
    :param where: where a word stands in some of the passages: (position, first character, end
        character) of each occurrence, by passage (:meth:`search.whoosh_backend.arrays.IndexArrays.characters`).
    """
    wanted = np.asarray(sorted(set(docnums)), dtype=np.int64)
    results = Results(searcher, query, [(0.0, int(docnum)) for docnum in wanted])
    results.docterms, results.termdocs = {int(docnum): [] for docnum in wanted}, {}
    # Where each word stands in each passage, read ahead for the highlighter (Whoosh would step
    # through each word's postings one by one to find the same).
    places: dict[int, dict[str, list]] = {int(docnum): {} for docnum in wanted}
    for fieldname, text in query.existing_terms(searcher.reader(), phrases=True, expand=True, fieldname=Fields.BODY):
        word = text.decode("utf-8") if isinstance(text, bytes) else text
        held = holders(fieldname, word)
        found = np.minimum(np.searchsorted(held, wanted), max(len(held) - 1, 0))
        holding = [int(docnum) for docnum in wanted[held[found] == wanted]] if len(held) else []
        if holding:
            results.termdocs[fieldname, text] = holding
            for docnum, characters in where(fieldname, word, holding).items():
                results.docterms[docnum].append((fieldname, text))
                places[docnum][word] = characters
    keep_characters(results, Fields.BODY, places)
    return results


def passage_snippet(hit: Hit, text: str, strict_phrase: bool = False) -> str:
    """The passage's text around the query's matches, escaped and marked; its opening when nothing
    in the body matched (a title-only match).

    With :func:`pinpoint_results` the matches are found from the index; otherwise (phrases, whose
    words are marked only where they make the phrase) the text is analysed again."""
    if hit.results.has_matched_terms() and not strict_phrase:
        fragmenter = highlight.PinpointFragmenter(maxchars=SNIPPET_CHARS, surround=SNIPPET_SURROUND, autotrim=True)
    else:
        fragmenter = highlight.ContextFragmenter(maxchars=SNIPPET_CHARS, surround=SNIPPET_SURROUND)
    highlighter = highlight.Highlighter(fragmenter=fragmenter, formatter=MarkFormatter())
    snippet = highlighter.highlight_hit(hit, Fields.BODY, text=text, top=1, strict_phrase=strict_phrase)
    if not snippet and strict_phrase:
        snippet = highlighter.highlight_hit(hit, Fields.BODY, text=text, top=1)
    return snippet or opening(text)


def whole_highlight(hit: Hit, text: str, strict_phrase: bool = False) -> str:
    """All of *text* (a matching passage), escaped, every match marked."""
    highlighter = highlight.Highlighter(fragmenter=highlight.WholeFragmenter(), formatter=MarkFormatter())
    marked = highlighter.highlight_hit(hit, Fields.BODY, text=text, top=1, strict_phrase=strict_phrase)
    return marked or escape(text, quote=False)


def opening(text: str, limit: int = SNIPPET_CHARS) -> str:
    """The start of *text*, cut at a word boundary, escaped."""
    if len(text) <= limit:
        return escape(text, quote=False)
    cut = text.rfind(" ", 0, limit)
    return escape(text[: cut if cut > 0 else limit], quote=False) + "…"
