"""Split an article's body into passages.

Three concepts, each built from the one before:

* **Paragraphs** -- the text between line breaks. The end of a paragraph always ends a sentence,
  and is where a passage prefers to end.
* **Sentences** -- ended by ``.``, ``!``, ``?`` or ``…`` (with any closing quotes or brackets after
  them) before whitespace and a likely sentence start. Abbreviations (``U.S.``, ``Mr.``, ``Inc.``),
  initials (``George W. Bush``) and decimals (``3.5``) do not end a sentence, nor does a quotation
  that carries on in lower case (``"Stop!" he said``). CJK full stops (``。！？``) end one without a space.
* **Passages** -- runs of whole sentences of about :data:`MIN_WORDS` to :data:`MAX_WORDS` words, with
  character offsets back into the body. Only a sentence longer than *max_words* is cut, between words.

Words are whitespace-separated tokens. Sentences are found by the rules here rather than by NLTK's
punkt or spaCy: both are large dependencies with models to fetch, for a job that a few rules about
news copy do well, in time linear in the length of the body.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from index.articles import Article

MIN_WORDS = 40
MAX_WORDS = 120


@dataclass(frozen=True)
class Passage:
    """A run of whole sentences of an article body: ``body[start:end] == text``."""

    position: int
    start: int
    end: int
    text: str


_TITLES = """Mr. Mrs. Ms. Messrs. Mmes. Mme. Mlle. Dr. Drs. Prof. Rev. Msgr. Hon. Pres. Gov. Govs. Sen.
    Sens. Rep. Reps. Gen. Gens. Lt. Col. Sgt. Capt. Maj. Adm. Cmdr. Cpl. Pvt. Brig. Supt. Insp. Det. Atty.
    Jr. Sr. Esq. Ph.D. Inc. Corp. Co. Cos. Ltd. Bros. Mfg. Assn. Dept. Univ."""
_OTHERS = """St. Mt. Ft. Ave. Blvd. Rd. No. Nos. Vol. Fig. vs. etc. al. approx. cf. ca. est. incl.
    Jan. Feb. Mar. Apr. Jun. Jul. Aug. Sep. Sept. Oct. Nov. Dec.
    Ala. Ariz. Ark. Calif. Colo. Conn. Del. Fla. Ga. Ill. Ind. Kan. Kans. Ky. La. Md. Mass. Mich. Minn.
    Miss. Mo. Mont. Neb. Nev. Okla. Ore. Pa. Tenn. Tex. Va. Vt. Wash. Wis. Wyo."""
#: Words with a full stop that (almost) never end a sentence in news copy. Case matters: "no." and
#: "ill." end sentences, "No. 2" and "Springfield, Ill." do not. Titles and company suffixes are also
#: matched in capitals, as in wire-service headlines.
ABBREVIATIONS = frozenset(_TITLES.split() + _OTHERS.split() + _TITLES.upper().split())
# Single letters with full stops: initials (J. R. R.), U.S., U.K., e.g., a.m. At the end of a
# sentence "U.S." is ambiguous; a missed break costs less than a sentence cut after "U.S.".
_DOTTED = re.compile(r"(?:[^\W\d_]\.)+")
_LONGEST_WORD = 12  # longer than any abbreviation, with an opening quote or bracket before it

_OPENERS = "\"'“‘«‹([{¿¡「『"
_CLOSERS = "\"'”’»›)\\]}」』"
# One match per run of stops (the lookbehinds), so a long run of dots cannot cost quadratic time.
_SENTENCE_END = re.compile(
    rf"(?<![.!?…])[.!?…]++[{_CLOSERS}]*+(?=\s)"  # Latin stops need whitespace after them
    rf"|(?<![。！？])[。！？]++[{_CLOSERS}]*+"  # CJK stops do not
)
# A line from its first non-space to its last; the line breaks are those of str.splitlines.
_PARAGRAPH = re.compile(r"\S(?:[^\n\r\v\f\x1c-\x1e\x85\u2028\u2029]*\S)?")
_NON_SPACE = re.compile(r"\S")
_CJK_STOP = re.compile(r"[。！？]")
_WORD = re.compile(r"\S+")


def split_passages(article: Article, min_words: int = MIN_WORDS, max_words: int = MAX_WORDS) -> list[Passage]:
    """Split *article*'s body into passages of whole sentences, with offsets into the body.

    >>> article = Article(id="a", title="T", path="a.txt",
    ...                   body="WASHINGTON (Reuters)\\nMr. Smith left. He said 3.5 pct.")
    >>> [(p.position, p.start, p.end) for p in split_passages(article)]
    [(0, 0, 53)]
    >>> [p.text for p in split_passages(article, min_words=3, max_words=5)]
    ['WASHINGTON (Reuters)\\nMr. Smith left.', 'He said 3.5 pct.']

    :param min_words: a passage ends at a paragraph end once it has this many words.
    :param max_words: no passage is longer, unless cut from a longer sentence, which is cut to fit.
    :return: the passages in order; ``[]`` for an empty or blank body.
    :raises ValueError: when *max_words* is below 1 or *min_words* above *max_words*.
    """
    return split_text(article.body, min_words, max_words)


def split_text(body: str, min_words: int = MIN_WORDS, max_words: int = MAX_WORDS) -> list[Passage]:
    """Split *body* into passages: the work of :func:`split_passages`, for any text."""
    if max_words < 1 or min_words > max_words:
        raise ValueError(f"need 1 <= max_words and min_words <= max_words, got {min_words} and {max_words}")
    spans = _merge_short_tail(_pack(body, min_words, max_words), min_words, max_words)
    return [Passage(position, start, end, body[start:end]) for position, (start, end, _) in enumerate(spans)]


def split_sentences(text: str) -> list[tuple[int, int]]:
    """The ``(start, end)`` spans of the sentences of *text*, in order, without surrounding whitespace."""
    return [span for start, end in _paragraphs(text) for span in _sentences(text, start, end)]


def _paragraphs(text: str) -> list[tuple[int, int]]:
    """The ``(start, end)`` spans of the non-blank lines of *text*, without surrounding whitespace."""
    return [paragraph.span() for paragraph in _PARAGRAPH.finditer(text)]


def _sentences(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """The sentence spans of the paragraph ``text[start:end]``, which is stripped."""
    for stop in _SENTENCE_END.finditer(text, start, end):
        following = _NON_SPACE.search(text, stop.end(), end)
        if following and _ends_sentence(text, stop, following.start(), start):
            yield start, stop.end()
            start = following.start()
    yield start, end


def _ends_sentence(text: str, stop: re.Match, following: int, sentence_start: int) -> bool:
    """Whether the stops matched by *stop* end the sentence begun at *sentence_start*."""
    if not _starts_sentence(text[following]):
        return False  # '"Stop!" he said', '… and then', '.” — and'
    if stop.group() != ".":
        return True  # '?', '!', '…', '."', '.)' and CJK stops end the sentence before a capital
    word = _word_before(text, stop.end(), sentence_start)
    if stop.end() - len(word) == sentence_start and word[:-1].isdigit() and len(word) <= 4:
        return False  # a list number: "1. Introduction"
    word = word.lstrip(_OPENERS)
    return not (word in ABBREVIATIONS or _DOTTED.fullmatch(word))


def _starts_sentence(char: str) -> bool:
    """Whether *char* can begin a sentence: a capital or uncased letter, a digit, a quote, a currency sign."""
    if char.isalpha():
        return not char.islower()
    return char.isdigit() or char in _OPENERS or unicodedata.category(char) == "Sc"


def _word_before(text: str, end: int, floor: int) -> str:
    """The whitespace-delimited word ending at *end* (no further back than *floor*); ``""`` when long."""
    start = end - 1
    limit = max(floor, end - _LONGEST_WORD)
    while start > limit and not text[start - 1].isspace():
        start -= 1
    if start == limit and start > floor and not text[start - 1].isspace():
        return ""  # longer than any abbreviation: reading on would only cost time
    return text[start:end]


def _pieces(body: str, start: int, end: int, max_words: int) -> Iterator[tuple[int, int, int]]:
    """``(start, end, words)`` for each sentence of the paragraph ``body[start:end]``, or piece of an overlong one."""
    for sentence_start, sentence_end in _sentences(body, start, end):
        words = _count_words(body, sentence_start, sentence_end)
        if words <= max_words:
            yield sentence_start, sentence_end, words
        else:
            yield from _cut(body, sentence_start, sentence_end, words, max_words)


def _count_words(text: str, start: int, end: int) -> int:
    return len(text[start:end].split())


def _cut(text: str, start: int, end: int, words: int, max_words: int) -> Iterator[tuple[int, int, int]]:
    """Cut the sentence ``text[start:end]`` of *words* words into even pieces of at most *max_words*."""
    count = -(-words // max_words)
    sizes = [words // count + (i < words % count) for i in range(count)]
    tokens = _WORD.finditer(text, start, end)
    for size in sizes:
        first = last = next(tokens)
        for _ in range(size - 1):
            last = next(tokens)
        yield first.start(), last.end(), size


def _pack(body: str, min_words: int, max_words: int) -> list[tuple[int, int, int]]:
    """Greedily join the sentences of *body* into ``(start, end, words)`` passages.

    A passage ends before a sentence that would take it past *max_words*, and at a paragraph end
    once it has *min_words*: short paragraphs such as a dateline join the ones after them. A
    paragraph in which no passage can end is taken whole, without finding its sentences.
    """
    passages: list[tuple[int, int, int]] = []
    start = end = words = 0
    for para_start, para_end in _paragraphs(body):
        para_words = _count_words(body, para_start, para_end)
        # No passage ends inside a paragraph that fits into this passage, or into a passage of its own
        # when this one ends before it. (CJK stops end sentences inside whitespace-delimited words,
        # so those paragraphs are always cut into sentences, whose words are counted apart.)
        whole = para_words <= max_words and (words + para_words <= max_words or words >= min_words) \
            and not _CJK_STOP.search(body, para_start, para_end)
        pieces = [(para_start, para_end, para_words)] if whole else _pieces(body, para_start, para_end, max_words)
        opens_paragraph = True
        for piece_start, piece_end, piece_words in pieces:
            if words and (words + piece_words > max_words or (opens_paragraph and words >= min_words)):
                passages.append((start, end, words))
                words = 0
            if not words:
                start = piece_start
            end, words = piece_end, words + piece_words
            opens_paragraph = False
    if words:
        passages.append((start, end, words))
    return passages


def _merge_short_tail(
    passages: list[tuple[int, int, int]], min_words: int, max_words: int
) -> list[tuple[int, int, int]]:
    """Join a last passage shorter than *min_words* to the one before, when that fits in *max_words*."""
    if len(passages) >= 2:
        (start, _, words), (_, end, tail) = passages[-2:]
        if tail < min_words and words + tail <= max_words:
            return [*passages[:-2], (start, end, words + tail)]
    return passages
