"""Related coverage: a story, its follow-ups, a wire copy and unrelated news, through the engine, the
API, the article page and the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from index.articles import Article
from index.cli import cli
from index.errors import ArticleNotFound
from index.writer import update_index
from search import create_app
from search.whoosh_backend import WhooshBackend
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


@pytest.fixture(scope="module")
def news_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    index_dir = tmp_path_factory.mktemp("related") / "index"
    summary = update_index(index_dir, [STORY, COPY, *FOLLOW_UPS, *UNRELATED])
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
