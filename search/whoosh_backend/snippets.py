"""Highlighted snippets, made with Whoosh's highlighter: text HTML-escaped, matches in ``<mark>``.

* :func:`passage_snippet` -- the best fragments of a passage hit;
* :func:`whole_highlight` -- a whole passage of an article, every match marked;
* :func:`opening` -- the start of a passage, when nothing in it matched.

The formatter (:class:`index.store.highlight.MarkFormatter`) is made per call: Whoosh's own keep
state between searches.
"""

from __future__ import annotations

from html import escape

from whoosh import highlight
from whoosh.searching import Hit

from index.schema import Fields
from index.store.highlight import MarkFormatter

#: Longest snippet fragment, and how much context to keep around a match.
SNIPPET_CHARS = 300
SNIPPET_SURROUND = 120


def passage_snippet(hit: Hit, text: str, strict_phrase: bool = False) -> str:
    """The passage's text around the query's matches, escaped and marked; its opening when nothing
    in the body matched (a title-only match).

    With :func:`index.store.highlight.pinpoint_results` the matches are found from the index; otherwise (phrases, whose
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
