"""``search.engine.search`` and ``get_article`` on a small real index."""

from __future__ import annotations

import re

import pytest

from index.articles import Article
from index.errors import ArticleNotFound
from index.writer import update_index
from search import create_app
from search.engine import get_article, search
from search.whoosh_backend import WhooshBackend
from search.params import parse_search_params

SEED_ID = "000_4f5c96a77bf8f4f4.txt"
#: A sentence that lengthens an article without touching any query of the tests.
FILLER = "Officials spoke to reporters at the port on Monday about the schedule for the coming weeks. "


@pytest.fixture(scope="module")
def snapshot(index_dir):
    with WhooshBackend(index_dir).snapshot() as snapshot:
        yield snapshot


def run(snapshot, **args):
    return search(snapshot, parse_search_params({name: str(value) for name, value in args.items()}))


def titles(results) -> list[str]:
    return [hit.title for hit in results.hits]


def marked(results) -> list[str]:
    return [word for hit in results.hits for passage in hit.passages
            for word in re.findall(r"<mark>(.*?)</mark>", passage.snippet)]


def test_keyword_finds_the_seed_article_with_marked_snippet(snapshot):
    results = run(snapshot, q="ATACMS")
    assert results.total == 1 and results.sort == "relevance"
    hit = results.hits[0]
    assert hit.article_id == SEED_ID and hit.published == "2024-11-17"
    assert "<mark>ATACMS</mark>" in hit.passages[0].snippet
    assert 1 <= len(hit.passages) <= 3


def test_stemmed_match_marks_the_word_as_written(snapshot):
    results = run(snapshot, q="missile")
    assert {"missiles", "missile"} & set(marked(results))
    assert "missiles" in {word.lower() for word in marked(results)}


def test_all_words_matches_rank_before_partial_ones(tmp_path):
    update_index(tmp_path, [
        Article(id="ferries", title="Ferry timetable", path="a.txt",
                body="The ferry runs hourly. Each ferry carries cars. A third ferry joins in summer."),
        Article(id="both", title="Port news", path="b.txt",
                body=FILLER * 3 + "A ferry was delayed. Dock workers went on strike over pay."),
        Article(id="miners", title="Miners strike", path="c.txt", body="Miners began a strike at the pits."),
        Article(id="teachers", title="Teachers vote", path="d.txt", body="Teachers voted to strike in May."),
    ])
    with WhooshBackend(tmp_path).snapshot() as snapshot:
        results = run(snapshot, q="ferry strike")
    scores = {hit.article_id: hit.score for hit in results.hits}
    assert [hit.article_id for hit in results.hits][:2] == ["both", "ferries"]
    assert scores["ferries"] > scores["both"]  # it is the all-words rule, not the score, that puts "both" first


@pytest.mark.parametrize("query, first", [
    ("dock workers strike delays ferry pay and harbor fees", "five-words"),  # a description: by score alone
    ("dock workers strike delays ferry pay harbor fees", "every-word"),  # keywords: every word first
])
def test_a_description_is_ranked_by_score_alone(tmp_path, query, first):
    update_index(tmp_path, [
        Article(id="every-word", title="Port news", path="a.txt",
                body=FILLER * 4 + "Dock workers on strike delayed the ferry; pay talks resume as harbor fees rise."),
        Article(id="five-words", title="Dock strike", path="b.txt",
                body="Dock workers went on strike over pay. The strike delayed the ferry. Dock workers want pay."),
        *[Article(id=f"fees-{n}", title="Harbor fees", path=f"fees-{n}.txt",
                  body=f"The harbor board set new fees for {n} berths.") for n in range(4)],
    ])
    with WhooshBackend(tmp_path).snapshot() as snapshot:
        results = run(snapshot, q=query)
    scores = {hit.article_id: hit.score for hit in results.hits}
    assert [hit.article_id for hit in results.hits][0] == first
    assert scores["five-words"] > scores["every-word"]


def test_phrase_highlights_the_phrase_only(snapshot):
    results = run(snapshot, q='"long-range missiles"')
    assert results.total >= 1
    snippet = results.hits[0].passages[0].snippet
    assert re.search(r"<mark>long</mark>-<mark>range</mark> <mark>missiles</mark>", snippet)


def test_excluded_word(snapshot):
    with_storm = set(titles(run(snapshot, q="missiles")))
    without = set(titles(run(snapshot, q="missiles -storm")))
    assert any("Storm Shadow" in title for title in with_storm)
    assert without and not any("Storm Shadow" in title for title in without)


def test_boolean_operators_and_groups(snapshot):
    assert titles(run(snapshot, q="marathon AND record")) == ["Record field runs the Harbor City marathon"]
    either = run(snapshot, q="(marathon OR council) NOT cycling")
    assert titles(either) == ["Record field runs the Harbor City marathon"]


def test_field_queries(snapshot):
    assert titles(run(snapshot, q="title:rates")) == ["Central bank holds interest rates at 4.5% as inflation cools"]
    wire = run(snapshot, q='source:"Northern Wire"')
    assert wire.total == 2 and {hit.source for hit in wire.hits} == {"Northern Wire"}


def test_prefix_query(snapshot):
    assert "Council approves protected bike lanes on Harbor Street" in titles(run(snapshot, q="cycl*"))


def test_unreadable_syntax_is_searched_as_words_with_a_warning(snapshot):
    for q in ['"long range', "missiles AND", "(ukraine", "foo:bar missiles", "OR OR missiles", "title: missiles",
              "missiles source:", "mis*les range"]:
        results = run(snapshot, q=q)
        assert results.warnings, q
        assert results.total >= 1, q


def test_a_field_without_its_word_and_a_star_inside_a_word_say_why(snapshot):
    assert "title: with no word right after it" in run(snapshot, q="title: missiles").warnings[0]
    assert "a * can only end a word" in run(snapshot, q="mis*les").warnings[0]
    # A word before a colon that names no field is only a word; a star that ends a word is a prefix.
    assert not run(snapshot, q="breaking: missiles").warnings and not run(snapshot, q="missil*").warnings


def test_stop_words_only_gives_no_results_and_a_warning(snapshot):
    results = run(snapshot, q="the of and")
    assert results.total == 0 and results.warnings


def test_empty_query_lists_every_article_newest_first(snapshot):
    results = run(snapshot, per_page=100)
    assert results.sort == "newest" and results.total == 7
    dates = [hit.published for hit in results.hits]
    assert dates == sorted(dates, reverse=True)


def test_date_filters_are_inclusive(snapshot):
    results = run(snapshot, **{"from": "2024-11-17", "to": "2024-11-18"})
    assert sorted(hit.published for hit in results.hits) == ["2024-11-17", "2024-11-18"]


def test_source_filter_is_case_insensitive(snapshot):
    results = run(snapshot, source="northern wire")
    assert results.total == 2 and {hit.source for hit in results.hits} == {"Northern Wire"}


def test_sort_orders(snapshot):
    oldest = run(snapshot, q="harbor", sort="oldest")
    dates = [hit.published for hit in oldest.hits]
    assert dates == sorted(dates) and oldest.sort == "oldest"


def test_group_by_passage_counts_passages(snapshot):
    articles = run(snapshot, q="missiles")
    passages = run(snapshot, q="missiles", group="passage", per_page=100)
    assert passages.total > articles.total
    assert all(len(hit.passages) == 1 for hit in passages.hits)
    ids = [hit.passages[0].passage_id for hit in passages.hits]
    assert len(ids) == len(set(ids))


def test_pagination(snapshot):
    first = run(snapshot, per_page=3)
    third = run(snapshot, per_page=3, page=3)
    assert first.pages == 3 and third.page == 3 and len(third.hits) == 1
    beyond = run(snapshot, per_page=3, page=9)
    assert beyond.hits == [] and beyond.total == 7


def test_facets_count_the_whole_result_set(snapshot):
    results = run(snapshot, per_page=1)
    sources = {facet.value: facet.count for facet in results.facets["source"]}
    assert sources["Northern Wire"] == 2 and sources["Harbor City Ledger"] == 2
    months = {facet.value: facet.count for facet in results.facets["published"]}
    assert months["2024-11"] == 4 and sum(months.values()) == 7


def test_did_you_mean(snapshot):
    results = run(snapshot, q="ukrane")
    assert results.total == 0 and results.suggestion == "ukraine"
    assert run(snapshot, q="missiles").suggestion is None


def test_snippets_escape_article_markup(snapshot):
    results = run(snapshot, q="press release")
    snippet = results.hits[0].passages[0].snippet
    assert "<script>" not in snippet and "&lt;script&gt;" in snippet
    assert re.sub(r"</?mark>", "", snippet).count("<") == 0


def test_article_rebuilt_from_passages(snapshot, corpus):
    article = get_article(snapshot, SEED_ID, "ATACMS")
    body = (corpus / SEED_ID).read_text(encoding="utf-8").split("\n\n", 1)[1].strip()
    assert article.body == body
    assert article.title.startswith("Biden authorizes Ukraine")
    for passage in article.passages:
        assert article.body[passage.start:passage.end] in body
    matched = [passage for passage in article.passages if passage.matched]
    assert matched and all("<mark>ATACMS</mark>" in passage.html for passage in matched)
    assert not any("<mark>" in passage.html for passage in article.passages if not passage.matched)


def test_unknown_article(snapshot):
    with pytest.raises(ArticleNotFound):
        get_article(snapshot, "no/such/article")


def test_undated_articles_sort_last_and_stay_out_of_month_facets(tmp_path):
    body = "The harbor authority published new rules for ferries and cargo ships on the river. " * 3
    update_index(tmp_path, [
        Article(id="dated", title="Ferry rules", body=body, path="dated.txt", published="2024-05-01"),
        Article(id="undated", title="Ferry rules again", body=body, path="undated.txt"),
    ])
    with WhooshBackend(tmp_path).snapshot() as snapshot:
        for sort in ("newest", "oldest"):
            # The two are wire copies of one story: every article is shown.
            results = run(snapshot, q="ferries", sort=sort, collapse="none")
            assert [hit.article_id for hit in results.hits] == ["dated", "undated"]
        assert [(f.value, f.count) for f in results.facets["published"]] == [("2024-05", 1)]
        assert results.hits[1].published is None


def test_hyphenated_words_and_question_marks_are_words_not_operators(snapshot):
    hyphen = run(snapshot, q="long-range missiles")
    assert not hyphen.warnings
    seed = next(hit for hit in hyphen.hits if hit.article_id == SEED_ID)  # "range" is not excluded
    assert any("<mark>long</mark>-<mark>range</mark>" in passage.snippet for passage in seed.passages)
    question = run(snapshot, q="who supplied storm shadow missiles?")
    # "who" asks; the article that holds every other word ("France and the UK, which have supplied
    # Storm Shadow missiles") comes first, above the one about Storm Shadow that never says who supplied it.
    assert [hit.article_id for hit in question.hits][:2] == [SEED_ID, "https://herald.example/world/storm-shadow"]
    assert "missiles" in {word.lower() for word in marked(question)}


def test_an_exclusion_applies_to_the_whole_article(snapshot):
    # The seed article mentions Kursk in one passage and missiles in others.
    assert SEED_ID in [hit.article_id for hit in run(snapshot, q="kursk").hits]
    for q in ("kursk -missiles", "kursk NOT missiles", "kursk AND NOT missiles"):
        results = run(snapshot, q=q)
        assert SEED_ID not in [hit.article_id for hit in results.hits], q
        assert not results.warnings, q
    assert run(snapshot, q="kursk -missiles", group="passage").total == 0


def test_an_exclusion_holds_beside_stop_words_and_in_syntax_read_as_plain_words(snapshot):
    every_without = {hit.article_id for hit in run(snapshot, q="-missiles", per_page=100).hits}
    assert every_without and {hit.article_id for hit in run(snapshot, q="the -missiles", per_page=100).hits} == every_without
    for q in ('kursk -missiles "unclosed', "kursk -missiles source:", "kursk -missiles title:"):
        results = run(snapshot, q=q)
        assert results.warnings and SEED_ID not in [hit.article_id for hit in results.hits], q


def test_suggestions_leave_known_words_alone(snapshot):
    assert run(snapshot, q="troops").suggestion is None
    assert run(snapshot, q="marathn AND record").suggestion == "marathon AND record"
    assert run(snapshot, q="title:kremlin").suggestion is None


def test_wildcards_need_a_prefix(snapshot):
    results = run(snapshot, q="*e*")
    assert results.total == 0 and "wildcard" in results.warnings[0]


def test_facets_and_dates_over_segments_where_some_articles_have_no_source(tmp_path):
    body = "The ferry to the island runs again after the storm damaged the pier last winter."
    update_index(tmp_path, [Article(id="plain", title="Ferry", body=body, path="a.txt")])
    update_index(tmp_path, [Article(id="sourced", title="Ferry again", body=body, path="b.txt",
                                    source="Island Echo", published="2024-05-17")])
    with WhooshBackend(tmp_path).snapshot() as snapshot:
        assert len(snapshot.searcher.reader().leaf_readers()) == 2
        results = run(snapshot, q="ferry", sort="newest", collapse="none")  # copies of one story
    assert [hit.article_id for hit in results.hits] == ["sourced", "plain"]
    assert [(f.value, f.count) for f in results.facets["source"]] == [("Island Echo", 1)]
    assert [(f.value, f.count) for f in results.facets["published"]] == [("2024-05", 1)]


def test_a_new_app_has_read_its_index_before_its_first_request(index_dir, tmp_path):
    backend = create_app({"TESTING": True, "INDEX": str(index_dir)}).extensions["news_search"]
    with backend.snapshot() as warmed:
        # The arrays and the stories are there already: the first search does not wait for them.
        assert warmed._arrays is not None and "stories" in warmed._arrays._derived
    # An app started before its index exists starts all the same, and says so on the first request.
    client = create_app({"TESTING": True, "INDEX": str(tmp_path / "none")}).test_client()
    assert client.get("/api/search?q=oil").status_code == 503
