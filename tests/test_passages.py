"""Splitting article bodies into sentences and passages: boundaries, bounds and offsets."""

import bisect
import html
import itertools
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index import passages as passages_module
from index.articles import Article
from index.passages import MAX_WORDS, MIN_WORDS, Passage, split_passages, split_sentences, split_text
from tests.data_paths import REPO, data_dir, require_data

SEED = REPO / "corpus" / "000_4f5c96a77bf8f4f4.txt"
# Words after which a break inside a paragraph would be a false sentence end.
NEVER_ENDS_SENTENCE = {"Mr.", "Mrs.", "Ms.", "Dr.", "Sen.", "Sens.", "Rep.", "Gov.", "Gen.", "Lt.", "Col.",
                       "Sgt.", "Capt.", "Maj.", "St.", "Jr.", "Sr.", "Inc.", "Corp.", "Co.", "Ltd.", "No.",
                       "vs.", "etc.", "e.g.", "i.e.", "Jan.", "Feb.", "Aug.", "Sept.", "Oct.", "Nov.", "Dec.",
                       "a.m.", "p.m.", "Mt.", "Ft.", "Prof.", "Rev.", "Adm.", "Cmdr."}  # fmt: skip
VOCABULARY = "markets rallied after the central bank held interest rates steady on Tuesday".split()


def require_data_dir() -> Path:
    """The shared data folder, which must hold Reuters-21578; skips the test when it does not.

    With ``NEWS_SEARCH_REQUIRE_DATA=1`` the test fails instead, so a CI job cannot pass by skipping.
    """
    require_data("reuters21578", "reut2-000.sgm")
    return data_dir()


def seed_body() -> str:
    """The seed article's body: everything after the blank line that ends its header."""
    return SEED.read_text(encoding="utf-8").split("\n\n", 1)[1]


def sentence(words: int, first: str = "Markets") -> str:
    """A sentence of exactly *words* words, capitalised and ended with a full stop."""
    rest = itertools.islice(itertools.cycle(VOCABULARY), words - 1)
    return " ".join([first, *rest]) + "."


def texts(body: str, spans: list[tuple[int, int]]) -> list[str]:
    return [body[start:end] for start, end in spans]


def word_count(text: str) -> int:
    return len(text.split())


def assert_passage_invariants(body: str, passages: list[Passage], min_words: int, max_words: int) -> None:
    """Everything the spec promises of any split of *body*, checked against its sentences."""
    assert [p.position for p in passages] == list(range(len(passages)))
    if not body.strip():
        assert passages == []
        return
    assert passages
    previous_end = 0
    for passage in passages:
        assert body[passage.start : passage.end] == passage.text
        assert passage.text and passage.text == passage.text.strip()
        assert body[previous_end : passage.start].strip() == "", "non-space text lost between passages"
        assert word_count(passage.text) <= max_words
        previous_end = passage.end
    assert body[previous_end:].strip() == ""
    assert_cut_at_sentences(body, passages, min_words, max_words)


def assert_cut_at_sentences(body: str, passages: list[Passage], min_words: int, max_words: int) -> None:
    """Passages break between sentences, except inside an overlong one, and only break short when forced."""
    spans = split_sentences(body)
    starts = [start for start, _ in spans]

    def sentence_at(offset: int) -> tuple[int, int, int]:
        start, end = spans[bisect.bisect_right(starts, offset) - 1]
        return start, end, word_count(body[start:end])

    for before, after in itertools.pairwise(passages):
        start, end, words = sentence_at(before.end - 1)
        assert before.end == end or words > max_words, before.text[-60:]
        start, end, words = sentence_at(after.start)
        assert after.start == start or words > max_words, after.text[:60]
        gap = body[before.end : after.start]
        short = word_count(before.text) < min_words
        if after.start == start and words <= max_words and (short or not any(c in gap for c in "\r\n")):
            # A break short of min_words, or inside a paragraph, only where the next sentence would not fit.
            assert word_count(before.text) + words > max_words, (before.text, after.text)
    if len(passages) >= 2 and word_count(passages[-1].text) < min_words:
        assert word_count(passages[-2].text) + word_count(passages[-1].text) > max_words


# --- the seed article ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "expected",
    [
        pytest.param(["The Army Tactical Missile System (ATACMS), supplied by the U.S., allows Ukrainian forces "
                      "to strike targets up to 190 miles away.",
                      "Initially sent to Ukraine earlier this year, their use was previously restricted to areas "
                      "within Ukraine’s borders."], id="U.S.-comma"),  # fmt: skip
        pytest.param(["The White House has yet to comment on the shift, but the decision aligns with months of "
                      "Ukrainian lobbying.",
                      "U.S. Secretary of State Antony Blinken and UK Foreign Secretary David Lammy visited Kyiv in "
                      "September, signaling growing Western support for expanded Ukrainian capabilities.",
                      "Meanwhile, Zelenskyy hinted at forthcoming strikes, stating, “The missiles will speak for "
                      "themselves.”"], id="U.S.-capital-and-closing-quote"),  # fmt: skip
        pytest.param(["Trump campaigned on a pledge to negotiate an end to the Ukraine war and has criticized the "
                      "U.S. military’s involvement.",
                      "Trump’s son, Donald Trump Jr., accused the military-industrial complex of pushing for "
                      "escalation, adding to uncertainty about continued American support for Ukraine."],
                     id="Jr.-comma"),  # fmt: skip
        pytest.param(["North Korea’s reported deployment of 12,000 troops to support Russian forces adds another "
                      "layer of complexity.",
                      "U.S., Ukrainian, and South Korean officials have accused Pyongyang of supplying weapons to "
                      "Moscow."], id="sentence-opening-U.S."),  # fmt: skip
    ],
)
def test_seed_sentences_at_tricky_points(expected: list[str]) -> None:
    body = seed_body()
    start = body.index(expected[0])
    spans = [(s, e) for s, e in split_sentences(body) if start <= s < start + sum(map(len, expected)) + 2]
    assert texts(body, spans) == expected
    assert spans[0][0] == start


def test_seed_sentences_cover_the_body() -> None:
    body = seed_body()
    spans = split_sentences(body)
    assert len(spans) == 22
    assert all(body[e:s].isspace() for (_, e), (s, _) in itertools.pairwise(spans))
    assert texts(body, spans)[9].endswith("stating, “The missiles will speak for themselves.”")


def test_seed_passages_follow_paragraphs() -> None:
    body = seed_body()
    article = Article(id="seed", title="Biden authorizes Ukraine to strike inside Russia", body=body, path=str(SEED))
    passages = split_passages(article)
    assert passages == split_text(body)
    assert_passage_invariants(body, passages, MIN_WORDS, MAX_WORDS)
    # Every paragraph but one has 44 to 93 words and is a passage; the one of 30 words joins the last.
    paragraphs = [line for line in body.split("\n") if line]
    assert [p.text for p in passages] == [*paragraphs[:-2], "\n".join(paragraphs[-2:])]
    assert [word_count(p.text) for p in passages] == [63, 93, 56, 47, 44, 63, 54, 75]
    gaps = [body[: passages[0].start]] + [body[a.end : b.start] for a, b in itertools.pairwise(passages)]
    assert "".join(g + p.text for g, p in zip(gaps, passages)) + body[passages[-1].end :] == body


# --- real wire copy ----------------------------------------------------------------------------------

REUTERS_BODY = re.compile(r"<BODY>(.*?)</BODY>", re.DOTALL)
CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def reuters_bodies(path: Path, limit: int) -> list[str]:
    """The first *limit* story bodies of a Reuters-21578 SGML file, entities and control characters removed."""
    sgml = path.read_text(encoding="latin-1")  # one file of the set holds a stray Latin-1 byte
    bodies = (CONTROL.sub("", html.unescape(match.group(1))) for match in REUTERS_BODY.finditer(sgml))
    return list(itertools.islice(bodies, limit))


def unwrap(body: str) -> str:
    """Reuters copy wraps lines at 70 columns and indents paragraphs: join the lines of each paragraph."""
    return re.sub(r"\n(?![ \t\n])", " ", body)


def false_breaks(body: str) -> list[str]:
    """Sentence breaks inside a paragraph right after an abbreviation, or after "U.S." before lower case."""
    spans = split_sentences(body)
    found = []
    for (start, end), (next_start, _) in itertools.pairwise(spans):
        if "\n" in body[end:next_start]:
            continue  # a paragraph end always ends a sentence
        word = body[start:end].split()[-1].lstrip("(\"'“‘")
        if word in NEVER_ENDS_SENTENCE or (word.endswith("U.S.") and body[next_start].islower()):
            found.append(body[max(start, end - 40) : next_start + 20])
    return found


@pytest.mark.data
def test_reuters_wire_copy() -> None:
    bodies = reuters_bodies(require_data_dir() / "reuters21578" / "reut2-000.sgm", limit=300)
    assert len(bodies) == 300
    for body in bodies:
        for text in (body, unwrap(body)):
            assert_passage_invariants(text, split_text(text), MIN_WORDS, MAX_WORDS)
            assert false_breaks(text) == []
            for (_, end), (start, _) in itertools.pairwise(split_sentences(text)):
                assert text[end:start].isspace()  # so no break inside "3.5", "U.S.-made" or "1,750"
    unwrapped = [unwrap(body) for body in bodies]
    # The copy does test what it should: many "U.S." mid-sentence, decimals, sentences ending in figures.
    assert sum(len(re.findall(r"U\.S\. [a-z]", body)) for body in unwrapped) >= 20
    assert sum(len(re.findall(r"\d\.\d", body)) for body in unwrapped) >= 200
    assert sum(body[end - 2].isdigit() for body in unwrapped for _, end in split_sentences(body)) >= 20
    assert sum(len(split_sentences(body)) for body in unwrapped) > 1000


def test_require_data_dir_skips_or_fails_without_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWS_SEARCH_DATA", str(tmp_path))
    monkeypatch.delenv("NEWS_SEARCH_REQUIRE_DATA", raising=False)
    with pytest.raises(pytest.skip.Exception, match="NEWS_SEARCH_DATA"):
        require_data_dir()
    monkeypatch.setenv("NEWS_SEARCH_REQUIRE_DATA", "1")
    with pytest.raises(pytest.fail.Exception, match="not found"):
        require_data_dir()
    (tmp_path / "reuters21578").mkdir()
    (tmp_path / "reuters21578" / "reut2-000.sgm").write_text("<REUTERS></REUTERS>")
    assert require_data_dir() == tmp_path


# --- sentence boundaries, rule by rule ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Mr. Smith met Mrs. Jones and Ms. Lee with Dr. Brown. They talked.",
                     ["Mr. Smith met Mrs. Jones and Ms. Lee with Dr. Brown.", "They talked."], id="titles"),
        pytest.param("Gen. Mark Milley and Lt. Col. Alexander Vindman testified. Sgt. Maj. Lee and Capt. Ross, "
                     "Adm. Rogers and Cmdr. Hill did not.",
                     ["Gen. Mark Milley and Lt. Col. Alexander Vindman testified.",
                      "Sgt. Maj. Lee and Capt. Ross, Adm. Rogers and Cmdr. Hill did not."], id="ranks"),
        pytest.param("Sen. Warren, Rep. Ocasio-Cortez and Gov. Newsom spoke. Prof. Lee and Rev. Smith listened.",
                     ["Sen. Warren, Rep. Ocasio-Cortez and Gov. Newsom spoke.",
                      "Prof. Lee and Rev. Smith listened."], id="offices"),
        pytest.param("Apple Inc. Chief Executive Tim Cook met Acme Corp. Chairman Lee. Kobe Steel Co. Ltd. "
                     "Shares rose.",
                     ["Apple Inc. Chief Executive Tim Cook met Acme Corp. Chairman Lee.",
                      "Kobe Steel Co. Ltd. Shares rose."], id="companies"),
        pytest.param("Sammy Davis Jr. And Frank Sinatra Sr. Sang. It was late.",
                     ["Sammy Davis Jr. And Frank Sinatra Sr. Sang.", "It was late."], id="name-suffixes"),
        pytest.param("He lives on St. Mark's Place near Mt. Vernon. Ft. Worth is far.",
                     ["He lives on St. Mark's Place near Mt. Vernon.", "Ft. Worth is far."], id="places"),
        pytest.param("The deal closed on Jan. 5. Trading resumed Feb. 10 and Aug. 3, then Sept. 30, Oct. 1, "
                     "Nov. 2 and Dec. 4. It ended.",
                     ["The deal closed on Jan. 5.",
                      "Trading resumed Feb. 10 and Aug. 3, then Sept. 30, Oct. 1, Nov. 2 and Dec. 4.",
                      "It ended."], id="months"),
        pytest.param("Police searched No. 10 and Nos. 3 to 5. Nothing was found.",
                     ["Police searched No. 10 and Nos. 3 to 5.", "Nothing was found."], id="numbers"),
        pytest.param("The vote opens at 10 a.m. Friday and closes at 5 p.m. Saturday. Results follow.",
                     ["The vote opens at 10 a.m. Friday and closes at 5 p.m. Saturday.", "Results follow."],
                     id="times"),
        pytest.param("Rivals, e.g. Google and Amazon, i.e. Big Tech, vs. Apple etc. Were named. Done.",
                     ["Rivals, e.g. Google and Amazon, i.e. Big Tech, vs. Apple etc. Were named.", "Done."],
                     id="latin"),
        pytest.param("The U.S. Federal Reserve, the U.K. Treasury and the U.N. Security Council met. "
                     "The E.U. sent observers.",
                     ["The U.S. Federal Reserve, the U.K. Treasury and the U.N. Security Council met.",
                      "The E.U. sent observers."], id="dotted-acronyms"),
        pytest.param("Talks with the U.S. ended. U.S.-made missiles were used.",
                     ["Talks with the U.S. ended.", "U.S.-made missiles were used."], id="U.S.-lowercase"),
        pytest.param("He moved to the U.S. He liked it.", ["He moved to the U.S. He liked it."],
                     id="U.S.-ambiguous-stays-whole"),
        pytest.param("He moved to the U.S.\nHe liked it.", ["He moved to the U.S.", "He liked it."],
                     id="U.S.-paragraph-end"),
        pytest.param("Growth was 3.5 pct. It cost $1.2 billion, or 0.75 dlrs a share. Shares rose 2.25.",
                     ["Growth was 3.5 pct.", "It cost $1.2 billion, or 0.75 dlrs a share.", "Shares rose 2.25."],
                     id="decimals"),
        pytest.param("Inflation was 3.5. 4.0 had been expected.", ["Inflation was 3.5.", "4.0 had been expected."],
                     id="decimal-then-number"),
        pytest.param("J. R. R. Tolkien wrote it. George W. Bush read it. T. S. Eliot did not.",
                     ["J. R. R. Tolkien wrote it.", "George W. Bush read it.", "T. S. Eliot did not."],
                     id="initials"),
        pytest.param("\"I'm done,\" he said. \"Me too,\" she replied.",
                     ["\"I'm done,\" he said.", "\"Me too,\" she replied."], id="quote-comma"),
        pytest.param("He said: “The missiles will speak for themselves.” Russia responded.",
                     ["He said: “The missiles will speak for themselves.”", "Russia responded."],
                     id="closing-curly-quote"),
        pytest.param("“Are you sure?” he asked. “Yes!” she said.",
                     ["“Are you sure?” he asked.", "“Yes!” she said."], id="quoted-question"),
        pytest.param("He called it ‘absurd.’ Others agreed. The plan passed (by one vote.) Critics objected.",
                     ["He called it ‘absurd.’", "Others agreed.", "The plan passed (by one vote.)",
                      "Critics objected."], id="single-quote-and-bracket"),
        pytest.param("Will it pass? Nobody knows! Really?! Wait and see.",
                     ["Will it pass?", "Nobody knows!", "Really?!", "Wait and see."], id="question-exclamation"),
        pytest.param("He paused… then went on. And so... It ended.",
                     ["He paused… then went on.", "And so...", "It ended."], id="ellipses"),
        pytest.param("“I was thinking...” he said, “that we might win.” They did.",
                     ["“I was thinking...” he said, “that we might win.”", "They did."],
                     id="ellipsis-in-quote"),
        pytest.param("\"We will... we must win,\" she said. Nobody doubted it.",
                     ["\"We will... we must win,\" she said.", "Nobody doubted it."], id="ellipsis-lowercase"),
        pytest.param("He said no. Then he left. She felt ill. The doctor came.",
                     ["He said no.", "Then he left.", "She felt ill.", "The doctor came."],
                     id="lowercase-words-end-sentences"),
        pytest.param("1. Introduction. 2. Methods.", ["1. Introduction.", "2. Methods."], id="list-numbers"),
        pytest.param("KYIV (Reuters) -\nA dateline has no stop\n\n  Nor has this  ",
                     ["KYIV (Reuters) -", "A dateline has no stop", "Nor has this"], id="paragraph-ends"),
        pytest.param("Zelenskyy visited Łódź. Über alles! 中文句子。第二句。",
                     ["Zelenskyy visited Łódź.", "Über alles!", "中文句子。", "第二句。"], id="unicode"),
        pytest.param("", [], id="empty"),
        pytest.param(" \n\t\r\n ", [], id="whitespace"),
    ],
)
def test_sentences(text: str, expected: list[str]) -> None:
    spans = split_sentences(text)
    assert texts(text, spans) == expected
    assert spans == sorted(spans) and all(text[s:e] == text[s:e].strip() for s, e in spans)


# --- passages ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("body", ["", " ", "\n\n", " \r\n\t\u2028 "], ids=["empty", "space", "newlines", "mixed"])
def test_blank_body_has_no_passages(body: str) -> None:
    assert split_text(body) == []


def test_one_short_paragraph_is_one_passage() -> None:
    body = "  \nMarkets were calm. \n"
    assert split_text(body) == [Passage(position=0, start=3, end=21, text="Markets were calm.")]


@pytest.mark.parametrize(("words", "expected"), [(300, [100, 100, 100]), (240, [120, 120]), (121, [61, 60])])
def test_overlong_sentence_alone(words: int, expected: list[int]) -> None:
    body = sentence(words)
    passages = split_text(body)
    assert [word_count(p.text) for p in passages] == expected
    assert " ".join(p.text for p in passages) == body
    assert_passage_invariants(body, passages, MIN_WORDS, MAX_WORDS)


def test_overlong_sentence_among_others_is_cut_evenly_at_words() -> None:
    long = sentence(300, first="Negotiators")
    body = f"{sentence(10)} {long} {sentence(12)}"
    passages = split_text(body)
    assert_passage_invariants(body, passages, MIN_WORDS, MAX_WORDS)
    # 300 words need three pieces of 100; the sentences around it stay whole, each beside its piece.
    assert [word_count(p.text) for p in passages] == [110, 100, 112]
    assert passages[0].text.startswith(sentence(10) + " Negotiators")
    assert passages[-1].text.endswith(sentence(12))
    assert " ".join(p.text for p in passages) == body


def test_overlong_sentence_with_custom_bound() -> None:
    body = sentence(25)
    passages = split_text(body, min_words=2, max_words=10)
    assert [word_count(p.text) for p in passages] == [9, 8, 8]
    assert " ".join(p.text for p in passages) == body


@pytest.mark.parametrize(
    ("paragraphs", "expected"),
    [
        pytest.param([50, 50], [50, 50], id="paragraph-end-breaks-at-min"),
        pytest.param([4, 50, 50], [54, 50], id="dateline-joins-next"),
        pytest.param([20, 20, 20], [60], id="short-paragraphs-merge"),
        pytest.param([50, 10], [60], id="short-tail-joins-previous"),
        pytest.param([100, 30], [100, 30], id="short-tail-stays-when-too-long"),
        pytest.param([39, 39, 39, 39], [78, 78], id="merge-until-min"),
    ],
)
def test_paragraph_rules(paragraphs: list[int], expected: list[int]) -> None:
    body = "\n".join(sentence(words) for words in paragraphs)
    passages = split_text(body)
    assert [word_count(p.text) for p in passages] == expected
    assert_passage_invariants(body, passages, MIN_WORDS, MAX_WORDS)


def test_long_paragraph_breaks_between_sentences() -> None:
    body = " ".join(sentence(30) for _ in range(9))  # 270 words, one paragraph
    passages = split_text(body)
    assert [word_count(p.text) for p in passages] == [120, 120, 30]
    assert_passage_invariants(body, passages, MIN_WORDS, MAX_WORDS)


@pytest.mark.parametrize(
    ("min_words", "max_words", "expected"),
    [(1, 10, [10, 10, 10, 10, 10]), (12, 12, [10, 10, 10, 10, 10]), (20, 30, [30, 20]), (0, 1000, [50])],
)
def test_custom_bounds(min_words: int, max_words: int, expected: list[int]) -> None:
    body = " ".join(sentence(5) for _ in range(10))
    passages = split_text(body, min_words=min_words, max_words=max_words)
    assert [word_count(p.text) for p in passages] == expected
    assert_passage_invariants(body, passages, min_words, max_words)


@pytest.mark.parametrize(("min_words", "max_words"), [(10, 0), (50, 40)])
def test_bad_bounds_are_refused(min_words: int, max_words: int) -> None:
    with pytest.raises(ValueError, match="max_words"):
        split_text("Markets were calm.", min_words, max_words)


def test_windows_line_endings() -> None:
    body = "KYIV (Reuters) -\r\nMr. Smith arrived. He spoke.\r\n\r\nOthers listened.\r\n"
    assert texts(body, split_sentences(body)) == ["KYIV (Reuters) -", "Mr. Smith arrived.", "He spoke.",
                                                  "Others listened."]  # fmt: skip
    passages = split_text(body, min_words=4, max_words=6)
    assert [p.text for p in passages] == ["KYIV (Reuters) -\r\nMr. Smith arrived.", "He spoke.\r\n\r\nOthers listened."]
    assert_passage_invariants(body, passages, 4, 6)


def test_split_passages_uses_the_article_body() -> None:
    article = Article(id="a1", title="Calm", body="MADRID -\n" + sentence(45), path="a1.txt")
    assert split_passages(article, 10, 50) == split_text(article.body, 10, 50)
    assert [p.text for p in split_passages(article, 10, 50)] == [article.body]


def test_five_megabyte_body() -> None:
    paragraphs = seed_body().split("\n") + [sentence(300), "WASHINGTON (Reuters) -", "Mr. Lee paid $1.2 billion."]
    body = ("\n".join(paragraphs) + "\n") * (5_000_000 // sum(map(len, paragraphs)) + 1)
    assert len(body) >= 5_000_000
    passages = split_text(body)
    assert len(passages) > 10_000
    assert_passage_invariants(body, passages, MIN_WORDS, MAX_WORDS)


def packed_sentence_by_sentence(body: str, min_words: int, max_words: int) -> list[tuple[int, int]]:
    """The passages of *body* by the packing rules applied to every sentence: a passage ends before
    a sentence that would take it past *max_words*, and at a paragraph end once it has *min_words*."""
    passages: list[list[int]] = []
    words = 0
    for para_start, para_end in passages_module._paragraphs(body):
        opens_paragraph = True
        for start, end in passages_module._sentences(body, para_start, para_end):
            count = len(body[start:end].split())
            pieces = [(start, end, count)] if count <= max_words else \
                passages_module._cut(body, start, end, count, max_words)
            for piece_start, piece_end, piece_words in pieces:
                if words and (words + piece_words > max_words or (opens_paragraph and words >= min_words)):
                    words = 0
                if not words:
                    passages.append([piece_start, piece_end, 0])
                passages[-1][1:] = [piece_end, passages[-1][2] + piece_words]
                words += piece_words
                opens_paragraph = False
    merged = passages_module._merge_short_tail([tuple(p) for p in passages], min_words, max_words)
    return [(start, end) for start, end, _ in merged]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(["word ", "Word ", "Word ", ". ", "! ", "\n", "\n\n", "。", "文", "U.S. ", "Mr. ",
                                 "3.5 ", '"', "”"]), max_size=300).map("".join),
       st.integers(0, 12), st.integers(1, 15))
def test_paragraphs_taken_whole_give_the_passages_of_their_sentences(body: str, min_words: int, max_words: int):
    min_words = min(min_words, max_words)
    assert [(p.start, p.end) for p in split_text(body, min_words, max_words)] == \
        packed_sentence_by_sentence(body, min_words, max_words)
