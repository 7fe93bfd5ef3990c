"""Which passages answer best: grouped by passage, a passage's own score with its article's relevance,
its coverage of the query and the proximity of its words; under an article, by its own score."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.articles import Article
from search import engine
from search.backends import open_backend
from search.params import parse_search_params
from search.whoosh_backend import passage_ranking

FILLER = ("Officials gave no further details. Markets were quiet for most of the day. Traders said volumes "
          "were thin ahead of the holiday weekend. Analysts expect a calmer week ahead.")


def paragraphs(*texts: str) -> str:
    """Passages of their own: each text padded past the length at which a passage may end."""
    return "\n".join(f"{text} {FILLER} {FILLER}" for text in texts)


ARTICLES = [
    Article(id="coffee-talks", title="Coffee producers fail to agree export quotas", path="coffee-talks", body=paragraphs(
        "Coffee producers meeting in London failed to agree on export quotas after Brazil refused a smaller share.",
        "Delegates will meet again in September.",
        "Coffee quotas were suspended last year when prices rose; coffee producers want the quotas back.",
    )),
    Article(id="sugar-note", title="Sugar quota under review", path="sugar-note", body=paragraphs(
        "Sugar traders said the quota quota quota system for sugar imports, a quota set each year, was under review.",
        "Cocoa was steady. Coffee was little changed.",
    )),
    Article(id="tea-note", title="Tea auction prices", path="tea-note", body=paragraphs(
        "Tea prices rose at the Mombasa auction.",
        "The export quota for tea is unchanged and coffee growers nearby are watching quotas closely.",
    )),
]


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory):
    with open_backend({"INDEX": str(tmp_path_factory.mktemp("passage-ranking"))}) as opened:
        opened.update(ARTICLES)
        yield opened


def passages(backend, q: str, **params: str) -> list[tuple[str, int]]:
    with backend.snapshot() as snapshot:
        found = engine.search(snapshot, parse_search_params({"q": q, "group": "passage", "per_page": "20", **params}))
    return [(hit.article_id, hit.passages[0].position) for hit in found.hits]


def shown(backend, q: str) -> dict[str, list[int]]:
    with backend.snapshot() as snapshot:
        found = engine.search(snapshot, parse_search_params({"q": q, "collapse": "none"}))
    return {hit.article_id: [passage.position for passage in hit.passages] for hit in found.hits}


@pytest.fixture()
def weights(monkeypatch):
    """Set the passage ranking's weights for one test, every one off unless named."""
    def set_weights(context: float = 0.0, coverage: float = 0.0, proximity: float = 0.0, rare: bool = False) -> None:
        monkeypatch.setattr(passage_ranking, "RARE_WORDS", rare)
        monkeypatch.setattr(passage_ranking, "PROXIMITY_WEIGHT", proximity)
        monkeypatch.setattr(passage_ranking, "ARTICLE_CONTEXT", context)
        monkeypatch.setattr(passage_ranking, "COVERAGE_WEIGHT", coverage)
    return set_weights


def test_with_every_weight_off_passages_rank_by_their_own_score(backend, weights):
    weights()
    # A title that holds both words lifts every passage of its article; a passage's own words order them.
    assert passages(backend, "coffee quota")[:3] == [("coffee-talks", 2), ("coffee-talks", 0), ("coffee-talks", 1)]


def test_coverage_lifts_a_passage_holding_more_of_the_words_above_one_repeating_a_word(backend, weights):
    # No passage holds all three words, so none is in the all-words tier.
    weights()
    before = passages(backend, "coffee quota brazil")
    assert before.index(("sugar-note", 0)) < before.index(("tea-note", 1))
    weights(coverage=1.0)
    after = passages(backend, "coffee quota brazil")
    assert after.index(("tea-note", 1)) < after.index(("sugar-note", 0))


def test_the_article_s_relevance_lifts_its_passages(backend, weights):
    def runs(ranked):  # the articles in order, one entry per run of their passages
        return [article for at, (article, _) in enumerate(ranked) if at == 0 or ranked[at - 1][0] != article]

    weights()
    before = passages(backend, "quota")
    assert len(runs(before)) > len({article for article, _ in before})  # articles' passages interleave
    weights(context=10.0)
    after = passages(backend, "quota")
    assert sorted(before) == sorted(after)  # the same passages match, only their order changes
    assert len(runs(after)) == len({article for article, _ in after})  # each article's passages together


NEAR = "Analysts said the central bank raised rates again on Tuesday, the third rise this year, and more may follow."
FAR = "The central committee met on Tuesday. Farmers asked for help. The bank said nothing."


def test_proximity_lifts_a_passage_whose_words_stand_together(tmp_path, weights):
    near = Article(id="near", title="Weekly report", path="near", body=paragraphs(NEAR))
    far = Article(id="far", title="Weekly report", path="far", body=paragraphs(FAR))
    with open_backend({"INDEX": str(tmp_path)}) as backend:
        backend.update([near, far])
        weights()
        assert [article for article, _ in passages(backend, "central bank")] == ["far", "near"]
        weights(proximity=1.0)
        assert [article for article, _ in passages(backend, "central bank")] == ["near", "far"]
        assert [article for article, _ in passages(backend, "bank")] == ["far", "near"]  # one word: no proximity


def test_under_an_article_the_passages_shown_follow_their_own_score(tmp_path, weights):
    both = Article(id="both", title="Weekly report", path="both", body=paragraphs(FAR, NEAR))
    with open_backend({"INDEX": str(tmp_path)}) as backend:
        backend.update([both])
        weights()
        assert shown(backend, "central bank")["both"] == [0, 1]
        assert passages(backend, "central bank") == [("both", 0), ("both", 1)]
        weights(proximity=1.0)
        assert passages(backend, "central bank") == [("both", 1), ("both", 0)]
        assert shown(backend, "central bank")["both"] == [0, 1]


def test_weights_change_no_total_and_no_date_order(backend, weights):
    weights()
    newest = passages(backend, "coffee quota", sort="newest")
    with backend.snapshot() as snapshot:
        total = engine.search(snapshot, parse_search_params({"q": "coffee quota", "group": "passage"})).total
    weights(context=1.0, coverage=1.0, proximity=1.0, rare=True)
    assert passages(backend, "coffee quota", sort="newest") == newest
    with backend.snapshot() as snapshot:
        assert engine.search(snapshot, parse_search_params({"q": "coffee quota", "group": "passage"})).total == total


def test_the_module_path_is_the_one_the_benchmark_tunes():
    from benchmarks.passages import KNOBS

    modules = {module for _, module, _, _ in KNOBS}
    assert passage_ranking.__name__ in modules
    for _, module, attribute, values in KNOBS:
        assert hasattr(__import__(module, fromlist=[attribute]), attribute)
        assert len(values) > 1
    assert Path(passage_ranking.__file__).name == "passage_ranking.py"


def test_explain_gives_the_parts_of_a_passage_s_score(backend, weights):
    weights(context=0.5, coverage=0.5, proximity=0.5)
    with backend.snapshot() as snapshot:
        found = engine.search(snapshot, parse_search_params(
            {"q": "coffee quota brazil", "group": "passage", "explain": "1", "per_page": "20"}))
    for hit in found.hits:
        parts = hit.explanation
        assert set(parts) >= {"passage_score", "article_relevance", "coverage", "proximity", "total"}
        named = ("passage_score", "article_relevance", "coverage", "proximity")
        assert sum(parts[name] for name in named) * parts["recency"] == pytest.approx(parts["total"], abs=1e-3)
        assert 0 <= parts["coverage"] <= 0.5 and 0 <= parts["proximity"] <= 0.5
    assert max(hit.explanation["passage_score"] for hit in found.hits) == pytest.approx(1.0)
