"""What a reader sees marked: phrases marked only where they stand, every match of a snippet marked,
and only passages that match shown, in search results and on the article page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from index.articles import Article
from index.writer import update_index
from search.engine import get_article, search
from search.params import parse_search_params
from search.whoosh_backend import WhooshBackend

RATES = Article(
    id="rates-review", title="Lenders review deposit terms", source="City Ledger", published="2024-03-12",
    path="rates-review.txt",
    body=(
        "Savers face a year of falling interest rates, the central bank's governor said on Tuesday, as "
        "inflation eased for a fifth month and lenders began to trim what they pay on deposits and bonds. "
        "Consumer prices rose 2.1 pct in the year to February, the statistics office said.\n"
        "The bank — which sets the interest rate ceiling on savings certificates — said the rate it pays "
        "on overnight deposits would stay at 3 pct. Interest on state bonds is paid twice a year and the "
        "treasury said the coupon would not change before the autumn auction.\n"
        "Analysts said the Bank of England would move in step within weeks. A spokesman for the bank in "
        "London declined to comment, and England's building societies said new mortgage offers would "
        "follow once the money markets had settled after the long holiday weekend."
    ),
)
MARKETS = Article(
    id="markets-day", title="Stock market slides on trade worries", source="City Ledger", published="2024-03-13",
    path="markets-day.txt",
    body=(
        "Traders on the stock market braced for a crash after export figures missed forecasts, and bond "
        "markets rallied as investors sought safety. Dealers said the selling was orderly and no worse than "
        "in the autumn, when a similar report knocked a tenth off share prices in a week.\n"
        "One fund manager said the crash some feared was not in sight yet, and that most companies had "
        "reported better profits than a year ago. The exchange said trading volumes were a third above "
        "their average for March, with most of the selling before noon.\n"
        "Bond markets and currency markets were calm by the afternoon. The fund manager said a stock that "
        "had doubled this year was still cheap, and that investors who sold in a hurry would regret it "
        "once the export figures were revised in April."
    ),
)
#: A price report dense with the words of "oil prices": more than five matches in one passage.
HEATING_OIL = Article(
    id="heating-oil", title="Refiner cuts heating fuel barge charge", source="Harbor Wire", published="2024-01-09",
    path="heating-oil.txt",
    body=(
        "Oil traders in New York said Norex Corp's Norex U.S.A. unit reduced the price it charges "
        "contract barge customers for heating oil in New York harbor 0.75 cent a gallon, effective today.\n"
        "They said the reduction brings Norex's contract barge price to 43.25 cts. The price decrease follows "
        "sharp declines in heating oil prices on spot and futures markets, traders said.\n"
        "Barge customers were told of the change by telephone on Monday afternoon, and the company said its "
        "terminal at the harbor would keep its usual hours through the winter months. Two other suppliers in "
        "the harbor said they were reviewing their own terms and would decide by the end of the week."
    ),
)
#: "Police" in the title only: nothing in the body matches.
CLOSURE = Article(
    id="bridge-closure", title="Police close harbor bridge for repairs", source="Harbor Wire",
    published="2024-02-02", path="bridge-closure.txt",
    body=(
        "The harbor bridge will be closed to traffic for three weekends from Saturday while engineers "
        "replace worn expansion joints and resurface the deck, the port authority said on Friday. The "
        "authority said the first closure would begin at ten in the evening.\n"
        "Ferries will run every twenty minutes instead of every hour during the closure, and buses will "
        "use the inland road. Shops near the bridge said they expected fewer visitors on those weekends "
        "and asked the authority to put up signs on the coast road.\n"
        "The work was postponed twice last year because of storms. The authority said the joints had "
        "reached the end of their life and could not wait until the spring, when the tourist season "
        "begins and the bridge carries twice as many cars."
    ),
)
#: "Police" in the title and in one passage of the body, the last.
RAID = Article(
    id="warehouse-raid", title="Police raid harbor warehouse", source="Harbor Wire", published="2024-02-05",
    path="warehouse-raid.txt",
    body=(
        "Dozens of officers searched a warehouse near the container terminal before dawn on Monday, "
        "blocking the quay road for several hours while lorries queued at the terminal gates and drivers "
        "waited in the small cafe by the weighbridge for news.\n"
        "Workers arriving for the morning shift were turned away, and the terminal operator said loading "
        "had resumed by noon. Neighbours said they had seen vans coming and going for weeks at night, "
        "often with their lights off, and had reported it to the harbor master.\n"
        "A police spokeswoman said two men had been arrested on suspicion of handling stolen goods and "
        "that the search of the building would continue for several days with help from customs officers "
        "and a team of dog handlers from the airport."
    ),
)
ARTICLES = [RATES, MARKETS, HEATING_OIL, CLOSURE, RAID]


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory):
    index_dir: Path = tmp_path_factory.mktemp("snippets") / "index"
    summary = update_index(index_dir, ARTICLES)
    assert summary.committed and summary.skipped == 0
    with WhooshBackend(index_dir).snapshot() as snapshot:
        yield snapshot


def run(snapshot, q: str, **args):
    return search(snapshot, parse_search_params({"q": q, **{name: str(value) for name, value in args.items()}}))


def hit(results, article_id: str):
    return next(found for found in results.hits if found.article_id == article_id)


def marks(html: str) -> list[str]:
    return [word.lower() for word in re.findall(r"<mark>(.*?)</mark>", html)]


def test_a_phrase_marks_only_where_it_stands(snapshot):
    # The second passage also has "the rate it pays" and "Interest on state bonds": not the phrase.
    found = hit(run(snapshot, '"interest rates"'), RATES.id)
    by_position = sorted(found.passages, key=lambda passage: passage.position)
    assert [marks(passage.snippet) for passage in by_position] == [["interest", "rates"], ["interest", "rate"]]


def test_a_phrase_is_marked_as_written_whatever_the_punctuation_before_it(snapshot):
    # A dash before the phrase once shifted the marks one word on ("the", "rate ceiling").
    found = hit(run(snapshot, '"interest rate"'), RATES.id)
    second = next(passage.snippet for passage in found.passages if passage.position == 1)
    assert "the <mark>interest</mark> <mark>rate</mark> ceiling" in second


def test_stop_words_inside_a_phrase_are_not_marked_on_their_own(snapshot):
    found = hit(run(snapshot, '"bank of england"'), RATES.id)
    snippet = found.passages[0].snippet
    assert marks(snippet) == ["bank", "england"]
    assert "<mark>Bank</mark> of <mark>England</mark>" in snippet  # not "the bank", nor "England's"


def test_words_outside_the_phrase_are_marked_as_words(snapshot):
    # The title holds the phrase, so every passage matches; the last has "stock" and "markets" apart.
    found = hit(run(snapshot, '"stock market" crash'), MARKETS.id)
    assert [marks(passage.snippet) for passage in found.passages] == [["stock", "market", "crash"], ["crash"]]
    phrase = hit(run(snapshot, '"stock market"'), MARKETS.id)
    assert [marks(passage.snippet) for passage in phrase.passages] == [["stock", "market"]]


def test_the_article_page_marks_the_phrase_only(snapshot):
    article = get_article(snapshot, RATES.id, '"interest rates"')
    assert [marks(passage.html) for passage in article.passages] == [["interest", "rates"], ["interest", "rate"], []]
    assert [passage.matched for passage in article.passages] == [True, True, False]
    page = get_article(snapshot, MARKETS.id, '"stock market" crash')
    assert [marks(passage.html) for passage in page.passages] == [["stock", "market", "crash"], ["crash"], []]


def test_every_match_in_a_snippet_is_marked(snapshot):
    snippet = hit(run(snapshot, "oil prices"), HEATING_OIL.id).passages[0].snippet
    shown = re.sub(r"</?mark>", "", snippet)
    assert "heating oil prices on spot" in shown
    assert "heating <mark>oil</mark> <mark>prices</mark> on spot" in snippet
    assert len(marks(snippet)) == len(re.findall(r"\b(?:oil|prices?)\b", shown, flags=re.IGNORECASE))


def test_the_article_page_marks_every_match(snapshot):
    article = get_article(snapshot, HEATING_OIL.id, "oil prices")
    text = article.passages[0].html
    assert len(marks(text)) == len(re.findall(r"\b(?:oil|prices?)\b", HEATING_OIL.body, flags=re.IGNORECASE))


def test_only_passages_that_match_are_shown(snapshot):
    raid = hit(run(snapshot, "police"), RAID.id)
    assert [marks(passage.snippet) for passage in raid.passages] == [["police"]]
    assert raid.passages[0].position == 2


def test_an_article_that_matches_by_its_title_alone_shows_its_opening(snapshot):
    closure = hit(run(snapshot, "police"), CLOSURE.id)
    assert len(closure.passages) == 1
    opening = closure.passages[0]
    assert opening.position == 0 and "<mark>" not in opening.snippet
    assert opening.snippet.startswith("The harbor bridge will be closed")


def test_grouped_by_passage_each_passage_still_shows(snapshot):
    results = run(snapshot, "police", group="passage", per_page=50)
    assert all(len(found.passages) == 1 for found in results.hits)
    assert {found.article_id for found in results.hits} == {RAID.id, CLOSURE.id}
