"""Related coverage: a story, its follow-ups, a wire copy and unrelated news, through the engine, the
API, the article page and the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from whoosh.lang.stopwords import stoplists

from index.articles import Article
from index.cli import cli
from index.errors import ArticleNotFound
from index.writer import update_index
from search import create_app
from search.whoosh_backend import WhooshBackend
from search.whoosh_backend.related import KEY_TERM_PASSAGES
from tests.test_api import assert_matches

STORY = Article(
    id="dam-breach", title="Dam breach floods Ostrava valley villages", published="2024-05-03",
    source="Valley Courier", url="https://courier.example/dam-breach", path="dam-breach.txt",
    body="The Lipno reservoir dam breached before dawn on Friday, sending floodwater through three villages "
         "in the Ostrava valley.\nEmergency crews evacuated more than 2,000 residents as the river rose two "
         "metres within an hour. Engineers said heavy rain had weakened the earthen dam wall.\nThe regional "
         "governor declared a state of emergency and asked the army for boats and helicopters.",
)
#: The same agency story, republished word for word under another id.
COPY = Article(id="dam-breach-wire", title=STORY.title, body=STORY.body, published="2024-05-03",
               source="Wire Service", path="dam-breach-wire.txt")
FOLLOW_UPS = [
    Article(
        id="rescuers-search", title="Rescuers search flooded Ostrava valley after dam breach",
        published="2024-05-04", source="Valley Courier", path="rescuers.txt",
        body="Army helicopters and boats searched the flooded villages of the Ostrava valley on Saturday, a day "
             "after the Lipno reservoir dam breached.\nFour residents are still missing. Floodwater has begun to "
             "recede, but engineers warned the damaged dam wall could give way further if rain returns.",
    ),
    Article(
        id="dam-inquiry", title="Inquiry into Lipno dam breach hears of ignored warnings",
        published="2024-05-20", source="National Daily", path="inquiry.txt",
        body="Engineers told the inquiry into the Lipno reservoir dam breach that cracks in the earthen dam wall "
             "had been reported two years before it failed.\nResidents of the flooded Ostrava valley villages "
             "demanded compensation and asked why the evacuation began only after the river rose.",
    ),
]
UNRELATED = [
    Article(
        id="budget", title="Finance minister unveils spending plan", published="2024-05-25", source="National Daily",
        path="budget.txt",
        body="The finance minister presented a budget that raises spending on schools and hospitals while "
             "cutting fuel duty.\nEconomists said the plan relied on optimistic growth forecasts.",
    ),
    Article(
        id="valley-wine", title="Wine growers in the Morava valley expect a record harvest",
        published="2024-06-01", source="Valley Courier", path="wine.txt",
        body="Vineyards across the Morava valley expect their best harvest in a decade after a warm spring.\n"
             "Growers said rain in April came at the right time and the river kept the slopes cool.",
    ),
    Article(
        id="chess", title="Teenager wins national chess title", published="2024-05-30", source="City Herald",
        path="chess.txt",
        body="A 15-year-old from Brno won the national chess championship on Sunday with a round to spare.\n"
             "She beat the defending champion in a long endgame that lasted more than six hours.",
    ),
]

#: An opinion piece and a television listing: long, chatty, and about nothing the other is about.
EDITORIAL = Article(
    id="editorial-transit", title="Opinion: The council's transit plan asks too much of too few",
    published="2024-05-28", source="City Herald", path="editorial.txt",
    body="They were warned. Many of them were told, more than once, that the plan would cost more than "
         "they said, but they went ahead anyway, and now we are all paying for it.\nThe councillors who "
         "voted for the tram extension were sure it would pay for itself. It has not, and it will not, "
         "because too many of the stops are too far from where people live and too few trains run at "
         "night.\nThey should have listened then. They can still listen now: halve the fares, run more "
         "trains after ten, and stop pretending the problem is anyone else's.",
)
TV_LISTING = Article(
    id="tv-week", title="What to watch this week: a detective returns and a baking final",
    published="2024-05-27", source="City Herald", path="tv-week.txt",
    body="They were never going to make it easy. The detective drama is back for a fourth series, and many "
         "viewers who thought they had seen the last of Inspector Hale were wrong, but more than ever the "
         "plot leans on flashbacks.\nThe baking final pits three amateurs against a collapsing croquembouche, "
         "and too many of the judges' remarks are too kind.\nOn Sunday a nature series follows otters along "
         "a Scottish river; it is gentle, slow and, for once, not too long.",
)
#: Everyday news of a small paper, enough for rarity among its articles to mean something.
BRIEFS = [
    Article(id=f"brief-{number}", title=title, published=f"2024-04-{number + 1:02d}", source="City Herald",
            path=f"brief-{number}.txt", body=body)
    for number, (title, body) in enumerate([
        ("Library extends opening hours", "The central library will open until nine on weekdays from June, "
         "after a survey of readers showed demand for evening study space."),
        ("Harbour crane contract awarded", "A Rotterdam firm won the contract to supply two container cranes "
         "to the harbour, worth 14 million euros."),
        ("Schools close for staff training day", "All primary schools in the district will close on Friday "
         "for a staff training day on the new curriculum."),
        ("Marathon route changed for roadworks", "The spring marathon will avoid the ring road this year "
         "because of resurfacing work near the stadium."),
        ("Museum acquires medieval manuscript", "The city museum bought a fourteenth-century psalter at "
         "auction, with help from a heritage lottery grant."),
        ("Bakery chain opens tenth shop", "The family bakery chain opened its tenth shop, in the old post "
         "office building on Market Street."),
        ("Cyclist injured at junction", "A cyclist was taken to hospital after a collision with a van at "
         "the junction of Mill Lane and the bypass."),
        ("Zoo welcomes twin red pandas", "Keepers at the zoo said the twin red panda cubs were born healthy "
         "and would be on show in July."),
        ("Airport adds summer flights to Crete", "The regional airport will add three weekly flights to "
         "Heraklion from June until the end of September."),
        ("Theatre restoration nears completion", "Scaffolding came down from the Victorian theatre, whose "
         "restored facade will be unveiled next month."),
        ("Farmers' market moves to the square", "The weekly farmers' market will move to the cathedral "
         "square while the covered hall is repaired."),
        ("Hospital opens new maternity ward", "The maternity ward has twenty beds and a birthing pool, and "
         "replaces a unit built in the 1960s."),
        ("Police appeal after jewellery theft", "Detectives appealed for witnesses after rings and watches "
         "worth thousands were stolen from a shop on the high street."),
        ("Rowing club celebrates centenary", "Members of the rowing club marked its hundredth year with a "
         "regatta on the river and a dinner at the boathouse."),
        ("Solar panels for council offices", "The council will fit solar panels to the roofs of its offices, "
         "which it expects to cut its electricity bills by a fifth."),
    ])
]
#: Few articles: too few for what is rare among them to say what is related.
SMALL = [STORY, COPY, *FOLLOW_UPS, *UNRELATED, EDITORIAL, TV_LISTING]


@pytest.fixture(scope="module")
def news_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    index_dir = tmp_path_factory.mktemp("related") / "index"
    summary = update_index(index_dir, [*SMALL, *BRIEFS])
    assert summary.committed and summary.skipped == 0
    return index_dir


@pytest.fixture(scope="module")
def news_client(news_index: Path):
    return create_app({"TESTING": True, "INDEX": str(news_index)}).test_client()


def related_ids(index_dir: Path, article_id: str, limit: int = 10) -> list[str]:
    with WhooshBackend(index_dir).snapshot() as snapshot:
        return [article.article_id for article in snapshot.related(article_id, limit).results]


def test_follow_ups_come_first_newest_first_and_the_copy_is_left_out(news_index):
    found = related_ids(news_index, STORY.id)
    assert found[:2] == ["dam-inquiry", "rescuers-search"]  # both close; the newer one first
    assert STORY.id not in found and COPY.id not in found
    for unrelated in UNRELATED:
        assert unrelated.id not in found[:2]


def test_scores_and_key_terms(news_index):
    with WhooshBackend(news_index).snapshot() as snapshot:
        related = snapshot.related(STORY.id, 10)
    assert {"dam", "breach", "ostrava"} <= set(related.key_terms)
    scores = {article.article_id: article for article in related.results}
    assert scores["rescuers-search"].close and scores["dam-inquiry"].close
    others = [scores[article.id].score for article in UNRELATED if article.id in scores]
    assert all(score < min(scores[a.id].score for a in FOLLOW_UPS) for score in others)


def test_a_follow_up_finds_the_story_once_and_its_sibling(news_index):
    found = related_ids(news_index, "rescuers-search")
    assert found[0] == "dam-inquiry" and found[1] in (STORY.id, COPY.id)
    assert not {STORY.id, COPY.id} <= set(found)  # one story, shown once


def test_key_terms_are_never_stop_words(news_index):
    stop_words = set(stoplists["en"]) | {"re", "ve", "ll"}
    with WhooshBackend(news_index).snapshot() as snapshot:
        for article in [*SMALL, *BRIEFS]:
            assert not set(snapshot.related(article.id, 10).key_terms) & stop_words, article.id


def test_chatter_in_common_is_not_coverage_in_common(news_index):
    # The editorial and the listing share only the way they are written ("they were", "too many").
    with WhooshBackend(news_index).snapshot() as snapshot:
        related = snapshot.related(EDITORIAL.id, 10)
    assert TV_LISTING.id not in [article.article_id for article in related.results]
    assert not any(article.close for article in related.results)


def test_an_index_of_a_few_articles_shows_no_related_coverage(tmp_path):
    assert update_index(tmp_path, SMALL).committed
    assert related_ids(tmp_path, STORY.id) == []
    assert related_ids(tmp_path, EDITORIAL.id) == []


def test_limit_keeps_the_most_similar_before_ordering_by_date(news_index):
    assert related_ids(news_index, STORY.id, limit=1) == ["rescuers-search"]


def test_unknown_article(news_index):
    with WhooshBackend(news_index).snapshot() as snapshot, pytest.raises(ArticleNotFound):
        snapshot.related("no-such-article", 10)


def test_api_answer_matches_the_openapi_document(news_client):
    response = news_client.get(f"/api/articles/{STORY.id}/related?limit=3")
    assert response.status_code == 200
    body = response.get_json()
    assert_matches("Related", body)
    assert body["article_id"] == STORY.id and len(body["results"]) <= 3
    assert [hit["article_id"] for hit in body["results"][:2]] == ["dam-inquiry", "rescuers-search"]
    assert body["results"][0] == {"article_id": "dam-inquiry", "title": FOLLOW_UPS[1].title, "url": None,
                                  "source": "National Daily", "published": "2024-05-20",
                                  "score": body["results"][0]["score"], "close": True}


@pytest.mark.parametrize("url, status, parameter", [
    ("/api/articles/no-such-article/related", 404, "article_id"),
    (f"/api/articles/{STORY.id}/related?limit=0", 400, "limit"),
    (f"/api/articles/{STORY.id}/related?limit=51", 400, "limit"),
    (f"/api/articles/{STORY.id}/related?limit=x", 400, "limit"),
])
def test_api_errors(news_client, url, status, parameter):
    response = news_client.get(url)
    assert response.status_code == status
    assert_matches("Error", response.get_json())
    assert response.get_json()["error"]["parameter"] == parameter


def test_an_article_whose_id_ends_in_related_is_still_served(tmp_path):
    update_index(tmp_path, [Article(id="https://site.example/related", title="Canal lock opens", path="a.txt",
                                    body="The river authority opened a new lock on the canal after two years.")])
    client = create_app({"TESTING": True, "INDEX": str(tmp_path)}).test_client()
    response = client.get("/api/articles/https://site.example/related")
    assert response.status_code == 200 and response.get_json()["title"] == "Canal lock opens"


def test_article_page_lists_related_coverage(news_client):
    soup = BeautifulSoup(news_client.get(f"/articles/{STORY.id}?q=dam").text, "html.parser")
    block = soup.select_one("aside.related")
    assert block.find("h2").get_text() == "Related coverage"
    items = block.select("li")
    assert items[0].find("a").get_text() == FOLLOW_UPS[1].title
    assert items[0].select_one(".source").get_text() == "National Daily"
    assert items[0].find("time")["datetime"] == "2024-05-20"
    href = items[0].find("a")["href"]
    assert href == "/articles/dam-inquiry?q=dam"
    assert news_client.get(href).status_code == 200


def test_cli_related(news_client, news_index, runner):
    result = runner.invoke(cli, ["related", STORY.id, "--index-dir", str(news_index), "--limit", "3", "--json"])
    assert result.exit_code == 0, result.output
    from_cli = json.loads(result.output)
    from_api = news_client.get(f"/api/articles/{STORY.id}/related?limit=3").get_json()
    from_cli.pop("took_ms"), from_api.pop("took_ms")
    assert from_cli == from_api
    text = runner.invoke(cli, ["related", STORY.id, "--index-dir", str(news_index)])
    assert text.exit_code == 0, text.output
    lines = text.output.splitlines()
    assert lines[0].startswith(f"{len(from_api['results'])} related articles for dam-breach")
    assert lines[1].startswith("key terms: ") and "1. " + FOLLOW_UPS[1].title in lines
    missing = runner.invoke(cli, ["related", "nope", "--index-dir", str(news_index)])
    assert missing.exit_code == 1 and "no article has the id 'nope'" in missing.output


def test_a_long_article_is_related_by_its_title_and_opening_passages(tmp_path):
    # The dam breach opens it, words that say nothing fill its next hundred passages and more, and only
    # then does a chess final take many paragraphs: its key terms are read from the first hundred
    # passages (KEY_TERM_PASSAGES), so they are the dam's, however much the rest says about chess.
    chess = next(article for article in UNRELATED if article.id == "chess")
    filler = "They were there and then they were not, but it was so for all of them, more or less, as it had been."
    unique = "The Quorvath gauge read high."  # words no other article holds, early and late: never key terms
    chronicle = Article(id="chronicle", title="Ostrava valley: a chronicle of the spring", path="chronicle.txt",
                        body="\n".join([STORY.body, *[unique] * 6] + [filler] * 600 + [chess.body] * 40 + [unique] * 3))
    update_index(tmp_path, [*SMALL, *BRIEFS, chronicle])
    with WhooshBackend(tmp_path).snapshot() as snapshot:
        passages = [fields["body"] for fields in snapshot.stored_passages("chronicle")]
        assert not any("chess" in text for text in passages[:KEY_TERM_PASSAGES]) and "chess" in passages[-1]
        related = snapshot.related("chronicle", 5)
    assert "dam" in related.key_terms
    assert not {"chess", "endgame", "championship", "quorvath"} & set(related.key_terms), related.key_terms
    assert {"dam-breach", "dam-breach-wire"} & {article.article_id for article in related.results}
