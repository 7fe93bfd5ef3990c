"""Whoosh's highlighter as the service uses it: what it needs of Whoosh's internals.

* :class:`MarkFormatter` -- a formatter that escapes every piece of text and wraps matched words in
  ``<mark>``; the escaping is done in Whoosh's text hook, so it lives here, beside the version check
  that guards it;
* :func:`pinpoint_results` -- Whoosh results for some passages, told ahead where the query's words
  stand in each, so the highlighter reads them from the index instead of analysing the text again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

import numpy as np
from whoosh import highlight
from whoosh.query import Query
from whoosh.searching import Results, Searcher

#: Between the fragments of one snippet.
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


def pinpoint_results(searcher: Searcher, query: Query, fieldname: str, docnums: Sequence[int],
                     holders: Callable[[str, str], np.ndarray],
                     where: Callable[[str, str, list[int]], dict[int, list]]) -> Results:
    """Whoosh results for the passages *docnums* that know which of the query's words in *fieldname*
    each holds, so that the highlighter reads where the words are from the index (the field is indexed
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
    for _, text in query.existing_terms(searcher.reader(), phrases=True, expand=True, fieldname=fieldname):
        word = text.decode("utf-8") if isinstance(text, bytes) else text
        held = holders(fieldname, word)
        found = np.minimum(np.searchsorted(held, wanted), max(len(held) - 1, 0))
        holding = [int(docnum) for docnum in wanted[held[found] == wanted]] if len(held) else []
        if holding:
            results.termdocs[fieldname, text] = holding
            for docnum, characters in where(fieldname, word, holding).items():
                results.docterms[docnum].append((fieldname, text))
                places[docnum][word] = characters
    # Whoosh's pinpoint highlighter looks for the places in the results' character cache.
    results._char_cache[fieldname] = places
    return results
