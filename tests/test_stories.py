"""Wire copies: near-duplicates found while indexing, one result per story, the ``stories`` command."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from benchmarks.stories import exact_repeats
from index.articles import Article, read_articles
from index.cli import cli
from index.stories import StoryFinder, StoryParams, band_keys, shingle_hashes, shingles, signature, similarity, sketch
from index.store import open_index
from index.writer import delete_articles, update_index
from search import create_app
from tests.conftest import ARTICLES, write_corpus
from tests.data_paths import require_data
from tests.test_api import assert_matches

ORIGINAL_ID = "https://herald.example/world/storm-shadow"
STORM_SHADOW = ARTICLES["storm-shadow.txt"]


def republished(source: str, url: str, title: str | None = None, trim: bool = False, extra: str = "") -> str:
    """The Storm Shadow article as another outlet runs it: its own source and URL, maybe its own
    headline, maybe without the last paragraph, maybe with a line of its own."""
    text = STORM_SHADOW.replace("Westbridge Herald", source).replace(ORIGINAL_ID, url)
    if title:
        text = text.replace("Britain weighs wider use of Storm Shadow missiles by Kyiv", title)
    if trim:
        text = text.rsplit("Defence analysts", 1)[0]
    return text + extra


#: Two outlets' copies of the Storm Shadow article, as extra files beside the test corpus.
COPIES = {
    "wire-coast.txt": republished("Coast Courier", "https://courier.example/uk-storm-shadow",
                                  title="UK considers letting Kyiv fire Storm Shadow deeper into Russia"),
    "wire-valley.txt": republished("Valley Post", "https://valley.example/storm", trim=True,
                                   extra="The Valley Post will follow the story as it develops.\n"),
}
COPY_IDS = {"https://courier.example/uk-storm-shadow", "https://valley.example/storm"}


def text_of(name: str) -> str:
    """Title and body of a test article, as the writer shingles them."""
    header, _, body = ARTICLES[name].partition("\n\n")
    return header.split("\n", 1)[0].removeprefix("Title: ") + "\n" + body


def story_of(index_dir: Path) -> dict[str, str]:
    """Every indexed article's story, by article id."""
    with open_index(index_dir).searcher() as searcher:
        return {fields["article_id"]: fields["story"] for fields in searcher.documents(position=0)}


@pytest.fixture(scope="module")
def copies_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test corpus and two copies of its Storm Shadow article, indexed."""
    corpus = write_corpus(tmp_path_factory.mktemp("wire") / "corpus")
    for name, text in COPIES.items():
        (corpus / name).write_text(text, encoding="utf-8")
    index_dir = tmp_path_factory.mktemp("wire-index") / "index"
    assert update_index(index_dir, read_articles([corpus])).added == len(ARTICLES) + 4  # seed, hostile, copies
    return index_dir


@pytest.fixture(scope="module")
def wire_client(copies_index: Path):
    return create_app({"TESTING": True, "INDEX": str(copies_index)}).test_client()


# --- shingles, signatures, sketches ---------------------------------------------------------------

def test_shingles_are_runs_of_lowercased_words():
    assert shingles("Storm Shadow: the missiles, again!", 3) == {
        "storm shadow the", "shadow the missiles", "the missiles again"}
    assert shingles("Two words", 5) == {"two words"} and shingles("…", 5) == set()


def test_a_republished_copy_estimates_close_and_a_different_story_far():
    original = shingle_hashes(shingles(text_of("storm-shadow.txt")))
    copy = shingle_hashes(shingles(COPIES["wire-coast.txt"].split("\n\n", 1)[1]))
    other = shingle_hashes(shingles(text_of("grid-attacks.txt")))
    assert similarity(sketch(original), sketch(copy)) > 0.8
    assert similarity(sketch(original), sketch(other)) < 0.05
    # The LSH signatures agree in some band for the copy, in none for the other story.
    params = StoryParams()
    keys = set(band_keys(signature(original), params))
    assert keys & set(band_keys(signature(copy), params))
    assert not keys & set(band_keys(signature(other), params))


def test_sketches_of_short_texts_give_their_exact_similarity():
    # Two dividend notices of different companies share most of their words, not their names and dates.
    first = shingles("ACME CORP SETS QUARTERLY Qtly div 20 cts vs 20 cts prior Pay June 16 Record May 22")
    second = shingles("BOLT INC SETS QUARTERLY Qtly div 20 cts vs 20 cts prior Pay July 10 Record June 24")
    exact = len(first & second) / len(first | second)
    assert similarity(sketch(shingle_hashes(first)), sketch(shingle_hashes(second))) == pytest.approx(exact)
    assert exact < 0.5


def test_hashing_is_the_same_in_every_process():
    # Stored keys and sketches are compared across runs: no per-process hash randomisation.
    assert band_keys(signature(shingle_hashes({"storm shadow cruise missiles fired"})), StoryParams())[0] \
        == 12542821714146297587


def test_story_finder_groups_copies_and_keeps_other_stories_apart():
    finder = StoryFinder()
    body = text_of("storm-shadow.txt")
    assert finder.assign("a", "", body).story == "a"
    assert finder.assign("b", "", text_of("grid-attacks.txt")).story == "b"
    assert finder.assign("c", "UK weighs Storm Shadow", body + "\nOne more line of our own.").story == "a"
    assert finder.assign("d", "", body.split("Defence analysts")[0]).story == "a"  # trimmed copy


def test_thresholds_are_parameters():
    body = text_of("storm-shadow.txt")
    trimmed = body.split("Defence analysts")[0]
    strict = StoryFinder(StoryParams(threshold=0.95))
    strict.assign("a", "", body)
    assert strict.assign("b", "", trimmed).story == "b"
    with pytest.raises(ValueError):
        StoryParams(bands=40, rows=2, bins=64)


def test_the_same_wording_days_apart_is_another_story():
    finder = StoryFinder()
    body = "The Bundesbank left its discount and Lombard rates unchanged after the council met, a spokesman said."
    assert finder.assign("monday", "", body, "1987-03-02").story == "monday"
    assert finder.assign("tuesday", "", body, "1987-03-03T10:00:00").story == "monday"
    assert finder.assign("fortnight", "", body, "1987-03-16").story == "fortnight"
    # Every day's report is within a day of the last, but not within the window of the story's start.
    daily = StoryFinder()
    assert [daily.assign(f"day{day}", "", body, f"1987-04-{day:02d}").story for day in range(1, 7)] \
        == ["day1"] * 4 + ["day5"] * 2
    assert StoryFinder(StoryParams(window_days=30)).assign("x", "", body, "1987-03-16").story == "x"


# --- indexing -------------------------------------------------------------------------------------

def test_indexing_gives_copies_the_story_of_the_first_article(copies_index):
    stories = story_of(copies_index)
    # Files are read in name order: storm-shadow.txt before the wire-*.txt copies names the story.
    assert {stories[article_id] for article_id in COPY_IDS | {ORIGINAL_ID}} == {ORIGINAL_ID}
    others = {article_id: story for article_id, story in stories.items() if article_id not in COPY_IDS | {ORIGINAL_ID}}
    assert others and all(story == article_id for article_id, story in others.items())


def test_a_copy_indexed_in_a_later_run_joins_the_story(tmp_path):
    corpus = write_corpus(tmp_path / "corpus")
    update_index(tmp_path / "index", read_articles([corpus]))
    later = tmp_path / "later"
    later.mkdir()
    (later / "copy.txt").write_text(COPIES["wire-coast.txt"], encoding="utf-8")
    assert update_index(tmp_path / "index", read_articles([later])).added == 1
    assert story_of(tmp_path / "index")["https://courier.example/uk-storm-shadow"] == ORIGINAL_ID


def test_a_rebuild_and_a_parallel_build_group_the_same_way(tmp_path, copies_index):
    corpus = write_corpus(tmp_path / "corpus")
    for name, text in COPIES.items():
        (corpus / name).write_text(text, encoding="utf-8")
    update_index(tmp_path / "index", read_articles([corpus]), procs=2)
    assert story_of(tmp_path / "index") == story_of(copies_index)
    update_index(tmp_path / "index", read_articles([corpus]), rebuild=True)
    assert story_of(tmp_path / "index") == story_of(copies_index)


def test_when_the_first_article_is_deleted_its_copies_keep_the_story(tmp_path):
    articles = [Article(id=name, title="Port reopens", body=text_of("storm-shadow.txt"), path=f"{name}.txt")
                for name in ("first", "second", "third")]
    update_index(tmp_path, articles[:2])
    assert delete_articles(tmp_path, ["first"]) == ["first"]
    update_index(tmp_path, articles[2:])
    assert story_of(tmp_path) == {"second": "first", "third": "first"}


# --- search, API, page, CLI -----------------------------------------------------------------------

def test_search_shows_one_article_per_story_with_its_other_versions(wire_client):
    body = wire_client.get("/api/search?q=storm+shadow").get_json()
    assert_matches("SearchResults", body)
    assert body["collapse"] == "story"
    ids = [hit["article_id"] for hit in body["results"]]
    assert len([i for i in ids if i in COPY_IDS | {ORIGINAL_ID}]) == 1
    lead = next(hit for hit in body["results"] if hit["story"] == ORIGINAL_ID)
    assert {version["article_id"] for version in lead["other_versions"]} | {lead["article_id"]} \
        == COPY_IDS | {ORIGINAL_ID}
    assert {version["source"] for version in lead["other_versions"]} <= {"Westbridge Herald", "Coast Courier",
                                                                        "Valley Post"}
    assert body["total"] == len(ids)


def test_collapse_none_shows_every_version(wire_client):
    collapsed = wire_client.get("/api/search?q=storm+shadow").get_json()
    every = wire_client.get("/api/search?q=storm+shadow&collapse=none").get_json()
    assert_matches("SearchResults", every)
    assert every["total"] == collapsed["total"] + 2
    assert COPY_IDS | {ORIGINAL_ID} <= {hit["article_id"] for hit in every["results"]}
    assert all(hit["other_versions"] == [] for hit in every["results"])
    assert all(hit["story"] == ORIGINAL_ID for hit in every["results"] if hit["article_id"] in COPY_IDS)


def test_passages_are_collapsed_to_the_first_article_of_each_story(wire_client):
    body = wire_client.get("/api/search?q=storm+shadow+missiles&group=passage&per_page=50").get_json()
    assert_matches("SearchResults", body)
    wire = {hit["article_id"] for hit in body["results"]} & (COPY_IDS | {ORIGINAL_ID})
    assert len(wire) == 1


def test_a_wrong_collapse_is_a_400(wire_client):
    response = wire_client.get("/api/search?q=storm&collapse=source")
    assert response.status_code == 400 and response.get_json()["error"]["parameter"] == "collapse"


def test_article_endpoint_names_its_story_and_other_versions(wire_client):
    body = wire_client.get("/api/articles/https://valley.example/storm").get_json()
    assert_matches("Article", body)
    assert body["story"] == ORIGINAL_ID
    assert body["other_versions"] == [
        {"article_id": ORIGINAL_ID, "source": "Westbridge Herald"},
        {"article_id": "https://courier.example/uk-storm-shadow", "source": "Coast Courier"},
    ]
    alone = wire_client.get("/api/articles/rates.txt").get_json()
    assert (alone["story"], alone["other_versions"]) == ("rates.txt", [])


def test_page_lists_other_versions_and_carries_collapse(wire_client):
    page = BeautifulSoup(wire_client.get("/?q=storm+shadow").text, "html.parser")
    versions = page.select_one("li.result p.versions")
    assert versions.get_text(" ", strip=True).startswith("2 other versions:")
    links = {a["href"].split("?")[0] for a in versions.select("a")}
    assert links <= {f"/articles/{article_id}" for article_id in COPY_IDS | {ORIGINAL_ID}} and len(links) == 2
    assert page.select_one("select#collapse option[selected]")["value"] == "story"

    every = BeautifulSoup(wire_client.get("/?q=storm&collapse=none&per_page=1").text, "html.parser")
    assert not every.select("p.versions")
    assert "collapse=none" in every.select_one("nav.pager a")["href"]
    assert every.select_one("select#collapse option[selected]")["value"] == "none"


def test_article_page_links_the_other_versions(wire_client):
    page = BeautifulSoup(wire_client.get(f"/articles/{ORIGINAL_ID}").text, "html.parser")
    versions = page.select_one("p.versions")
    assert [a.get_text() for a in versions.select("a")] == ["Coast Courier", "Valley Post"]


def test_cli_stories_lists_the_largest_groups(runner, copies_index):
    result = runner.invoke(cli, ["stories", "--top", "3", "--index-dir", str(copies_index)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "1 story with copies (3 articles in them); the largest 1:"
    assert lines[2] == f"3 articles · story {ORIGINAL_ID}"
    assert ORIGINAL_ID in lines[3]  # the article that named the story first

    as_json = json.loads(runner.invoke(cli, ["stories", "--json", "--index-dir", str(copies_index)]).output)
    assert (as_json["stories_with_copies"], as_json["articles_in_them"]) == (1, 3)
    story = as_json["stories"][0]
    assert (story["story"], story["size"]) == (ORIGINAL_ID, 3)
    assert {article["source"] for article in story["articles"]} == {"Westbridge Herald", "Coast Courier",
                                                                    "Valley Post"}


def test_cli_search_collapse(runner, copies_index):
    text = runner.invoke(cli, ["search", "storm shadow", "--index-dir", str(copies_index)])
    assert text.exit_code == 0, text.output
    assert "2 other versions: " in text.output
    every = runner.invoke(cli, ["search", "storm shadow", "--collapse", "none", "--json",
                                "--index-dir", str(copies_index)])
    assert json.loads(every.output)["collapse"] == "none"


# --- the shared corpora ---------------------------------------------------------------------------

@pytest.mark.data
def test_every_exact_repeat_in_bbc_news_is_grouped_with_its_original(tmp_path):
    path = require_data("bbc_news", "bbc_news.jsonl.gz")
    repeats = exact_repeats(path)
    assert len(repeats) == 98

    summary = update_index(tmp_path, read_articles([path]))
    assert summary.added == 2225
    stories = story_of(tmp_path)
    name = f"{path.name}#"
    assert all(stories[f"{name}{copy}"] == stories[f"{name}{original}"] for copy, original in repeats.items())
    groups: dict[str, int] = defaultdict(int)
    for story in stories.values():
        groups[story] += 1
    assert sum(size for size in groups.values() if size > 1) >= 2 * len(set(repeats.values()))


def test_the_window_counts_from_the_story_start_across_runs(tmp_path):
    body = text_of("rates.txt")
    daily = [Article(id=f"day{day}", title="Rates held", body=body, path=f"{day}.txt", published=f"2024-09-{day:02d}")
             for day in range(1, 6)]
    update_index(tmp_path, daily[:3])
    update_index(tmp_path, daily[3:])
    assert story_of(tmp_path) == {"day1": "day1", "day2": "day1", "day3": "day1", "day4": "day1", "day5": "day5"}
