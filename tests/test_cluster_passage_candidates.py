"""On a real local cluster, articles whose only words most articles hold -- whose article BM25 is next to
nothing, so that their passages rank them -- come out in the Whoosh backend's order, however many
of them there are beyond the articles whose passages a search scores first."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest

from index.articles import Article
from search.backends import open_backend
from search.engine import search
from search.params import parse_search_params
from search.sphinxql_backend.searching import PASSAGE_CANDIDATES

SYLLABLES = ["ka", "lo", "mi", "ne", "tu", "ra", "vo", "si", "pe", "da", "gu", "fi", "zo", "be", "ly", "xa"]


def articles() -> list[Article]:
    """One article holding a rare word and a common one; more than :data:`PASSAGE_CANDIDATES` short
    articles holding the common word twice; five long ones holding it eight times in one passage; and
    articles holding neither, so that the common word is held by more than half of them."""
    rng = random.Random(7)

    def filler(count: int) -> str:
        return " ".join("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(3, 5))) for _ in range(count))

    found = [Article(id="rare", title="Quax report", body=f"{filler(30)} quax zork. {filler(30)}", path="rare.txt")]
    found += [Article(id=f"short-{n}", title=f"Note {n}", body=f"{filler(20 + n % 13)} zork {filler(3 + n % 5)} zork "
                      f"{filler(20 + n % 11)}", path=f"short-{n}.txt") for n in range(PASSAGE_CANDIDATES + 50)]
    found += [Article(id=f"long-{n}", title=f"Long {n}", body=f"{filler(1500 + 37 * n)}. {'zork ' * 8}{filler(20)}. "
                      f"{filler(1500)}", path=f"long-{n}.txt") for n in range(5)]
    found += [Article(id=f"other-{n}", title=f"Other {n}", body=filler(40 + n % 17), path=f"other-{n}.txt")
              for n in range(170)]
    return found


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict, dict]]:
    from search.sphinxql_backend.cluster import running_cluster
    from search.sphinxql_backend.writing import update_cluster
    from tests.test_cluster import require_searchd

    require_searchd()
    work = tmp_path_factory.mktemp("floor")
    whoosh = {"INDEX": str(work / "index")}
    with open_backend(whoosh) as backend:
        backend.update(articles())
    with running_cluster(work / "cluster", shards=2) as cluster:
        update_cluster(cluster, articles())
        yield whoosh, {"BACKEND": "sphinxql", "CLUSTER": str(cluster.path)}


def page(settings: dict, **params: str) -> list[tuple[str, float]]:
    with open_backend(settings) as backend, backend.snapshot() as snapshot:
        hits = search(snapshot, parse_search_params({"q": "quax zork", "per_page": "10", **params})).hits
    return [(hit.article_id, hit.score) for hit in hits]


@pytest.mark.parametrize("collapse", ["story", "none"])
def test_articles_ranked_by_their_passages_come_in_the_whoosh_backends_order(both, collapse) -> None:
    whoosh, cluster = both
    expected, found = page(whoosh, collapse=collapse), page(cluster, collapse=collapse)
    # The long articles' one passage dense with the common word ranks them next after the rare word's
    # article, the first before the other four (whose scores are within the cluster's 2% of each other).
    longs = {f"long-{n}" for n in range(5)}
    for ranking in (expected, found):
        assert ranking[0][0] == "rare" and ranking[1][0] in longs
        assert {article for article, _ in ranking[1:6]} == longs
    assert [score for _, score in found] == pytest.approx([score for _, score in expected], rel=0.02)
