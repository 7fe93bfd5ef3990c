"""Whoosh's highlighter as the service uses it: what it needs of Whoosh's internals.

* :class:`MarkFormatter` -- a formatter that escapes every piece of text and wraps matched words in
  ``<mark>``; the escaping is done in Whoosh's text hook, so it lives here, beside the version check
  that guards it;
* :func:`pinpoint_results` -- Whoosh results for some passages, told ahead where the words to mark
  stand in each, so the highlighter reads them from the index instead of analysing the text again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape

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


def pinpoint_results(searcher: Searcher, query: Query, fieldname: str, docnums: Iterable[int],
                     places: Mapping[int, Mapping[str, list[tuple[int, int, int]]]]) -> Results:
    """Whoosh results for the passages *docnums* that tell the highlighter where the words to mark
    stand in *fieldname* (the field is indexed with character offsets), so that it reads them from
    here instead of analysing each passage's text again, and marks only those.

    :param places: by passage number, each word's occurrences to mark in it: (position, first
        character, end character), as the index holds them (:mod:`search.whoosh_backend.marks`);
        a passage without any has nothing marked.
    """
    wanted = sorted({int(docnum) for docnum in docnums} | {int(docnum) for docnum in places})
    results = Results(searcher, query, [(0.0, docnum) for docnum in wanted])
    results.docterms, results.termdocs = {}, {}
    for docnum, words in places.items():
        for word in words:
            term = (fieldname, word.encode("utf-8"))
            results.docterms.setdefault(int(docnum), []).append(term)
            results.termdocs.setdefault(term, []).append(int(docnum))
    # Whoosh's pinpoint highlighter looks for the places in the results' character cache.
    results._char_cache[fieldname] = {docnum: dict(places.get(docnum, {})) for docnum in wanted}
    return results
