"""Highlighted snippets, made with Whoosh's highlighter: text HTML-escaped, matches in ``<mark>``.

* :class:`MarkFormatter` -- escapes every piece of text and wraps matched words in ``<mark>``;
* :func:`passage_snippet` -- the best fragments of a passage hit;
* :func:`whole_highlight` -- a whole passage of an article, every match marked.

Formatters are made per call: Whoosh's own keep state between searches.
"""

from __future__ import annotations

from html import escape

from whoosh import highlight
from whoosh.searching import Hit

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


def passage_snippet(hit: Hit, text: str, strict_phrase: bool = False) -> str:
    """The passage's text around the query's matches, escaped and marked; its opening when nothing
    in the body matched (a title-only match)."""
    highlighter = highlight.Highlighter(
        fragmenter=highlight.ContextFragmenter(maxchars=SNIPPET_CHARS, surround=SNIPPET_SURROUND),
        formatter=MarkFormatter(),
    )
    snippet = highlighter.highlight_hit(hit, "body", text=text, top=1, strict_phrase=strict_phrase)
    if not snippet and strict_phrase:
        snippet = highlighter.highlight_hit(hit, "body", text=text, top=1)
    return snippet or opening(text)


def whole_highlight(hit: Hit, text: str, strict_phrase: bool = False) -> str:
    """All of *text* (a matching passage), escaped, every match marked."""
    highlighter = highlight.Highlighter(fragmenter=highlight.WholeFragmenter(), formatter=MarkFormatter())
    marked = highlighter.highlight_hit(hit, "body", text=text, top=1, strict_phrase=strict_phrase)
    return marked or escape(text, quote=False)


def opening(text: str, limit: int = SNIPPET_CHARS) -> str:
    """The start of *text*, cut at a word boundary, escaped."""
    if len(text) <= limit:
        return escape(text, quote=False)
    cut = text.rfind(" ", 0, limit)
    return escape(text[: cut if cut > 0 else limit], quote=False) + "…"
