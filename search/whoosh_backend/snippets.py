"""Highlighted snippets, made with Whoosh's highlighter: text HTML-escaped, matches in ``<mark>``.

* :func:`passage_snippet` -- the best fragment of a passage hit, every match in it marked;
* :func:`whole_highlight` -- a whole passage of an article, every match marked;
* :func:`opening` -- the start of a passage, when nothing in it matched;
* :class:`SnippetFragmenter`, :class:`WholeFragmenter` -- how the highlighter cuts a passage.

The hits come from :func:`index.store.highlight.pinpoint_results`, told where the words to mark
stand (:mod:`search.whoosh_backend.marks`): the highlighter marks those and nothing else. The
formatter (:class:`index.store.highlight.MarkFormatter`) is made per call: Whoosh's own keep state
between searches.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from html import escape

from whoosh import highlight
from whoosh.analysis import Token
from whoosh.searching import Hit

from index.schema import Fields
from index.store.highlight import MarkFormatter

#: Longest snippet fragment, and how much context to keep around a match.
SNIPPET_CHARS = 300
SNIPPET_SURROUND = 120


class SnippetFragmenter(highlight.PinpointFragmenter):
    """Whoosh's pinpoint fragmenter, with every match that falls in a fragment's text marked in it.

    Whoosh's joins matches into a fragment only while each is near the last and the fragment stays
    short, then adds context around them: the matches in that context belonged to the next fragment,
    and were shown unmarked.
    """

    def __init__(self) -> None:
        super().__init__(maxchars=SNIPPET_CHARS, surround=SNIPPET_SURROUND, autotrim=True)

    def fragment_matches(self, text: str, tokens: list[Token]) -> Iterator[highlight.Fragment]:
        tokens = list(tokens)
        for fragment in super().fragment_matches(text, tokens):
            yield fragment_with_matches(text, tokens, fragment.startchar, fragment.endchar)


class WholeFragmenter(highlight.Fragmenter):
    """One fragment, the whole text, every match marked; nothing when nothing matched."""

    charlimit = None

    def must_retokenize(self) -> bool:
        return False

    def fragment_tokens(self, text: str, tokens: Iterable[Token]) -> Iterator[highlight.Fragment]:
        return self.fragment_matches(text, [token.copy() for token in tokens if token.matched])

    def fragment_matches(self, text: str, tokens: list[Token]) -> Iterator[highlight.Fragment]:
        if tokens:
            yield fragment_with_matches(text, list(tokens), 0, len(text))


def fragment_with_matches(text: str, tokens: list[Token], start: int, end: int) -> highlight.Fragment:
    """The fragment of *text* from *start* to *end*, widened to any match it cuts, holding every match
    within it (*tokens* in order)."""
    inside = [token for token in tokens if token.startchar < end and token.endchar > start]
    if inside:
        start, end = min(start, inside[0].startchar), max(end, inside[-1].endchar)
    return highlight.Fragment(text, inside, start, end)


def passage_snippet(hit: Hit, text: str) -> str:
    """The passage's text around the matches marked for it, escaped and marked; its opening when
    nothing in it is marked (a passage that matched by its title)."""
    highlighter = highlight.Highlighter(fragmenter=SnippetFragmenter(), formatter=MarkFormatter())
    return highlighter.highlight_hit(hit, Fields.BODY, text=text, top=1) or opening(text)


def whole_highlight(hit: Hit, text: str) -> str:
    """All of *text* (a matching passage), escaped, every match marked for it."""
    highlighter = highlight.Highlighter(fragmenter=WholeFragmenter(), formatter=MarkFormatter())
    return highlighter.highlight_hit(hit, Fields.BODY, text=text, top=1) or escape(text, quote=False)


def opening(text: str, limit: int = SNIPPET_CHARS) -> str:
    """The start of *text*, cut at a word boundary, escaped."""
    if len(text) <= limit:
        return escape(text, quote=False)
    cut = text.rfind(" ", 0, limit)
    return escape(text[: cut if cut > 0 else limit], quote=False) + "…"
