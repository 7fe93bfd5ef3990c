"""Display order worked out only as far as a page needs: the same first results, total and versions
as sorting every match."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from index.articles import Article
from index.writer import update_index
from search.backends import open_backend
from search.params import parse_search_params
from search.query import read_query
from index.schema import SCHEMA
from search.whoosh_backend.ordering import leading, ordered
from search.whoosh_backend.searching import display_keys, match
from search.whoosh_backend.stories import collapse_stories


def test_leading_is_the_beginning_of_the_full_order_ties_and_tiers_included():
    rng = np.random.default_rng(5)
    for _ in range(400):
        size = int(rng.integers(0, 60))
        values = rng.integers(0, 6, size).astype(np.float64)  # many ties
        tiers = rng.random(size) < rng.random()
        full = np.lexsort((values, tiers))
        for count in (1, 2, 5, 17, size, size + 3):
            found = leading((values, tiers), count)
            assert len(found) >= min(count, size)
            assert found.tolist() == full[: len(found)].tolist()


def test_ordered_sorts_a_subset_as_the_full_order_does():
    values, tiers = np.array([3.0, 1.0, 1.0, 0.0, 2.0]), np.array([False, False, False, True, False])
    assert ordered((values, tiers), np.array([0, 2, 3, 4])).tolist() == [2, 4, 0, 3]


WORDS = "harbour ferry strike union pay talks council vote budget port crane night shift".split()


@pytest.fixture(scope="module")
def copies_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Sixty stories, each run by one to five outlets (identical text: wire copies), some undated."""
    rng = random.Random(11)
    articles = []
    for story in range(60):
        words = " ".join(rng.choice(WORDS) for _ in range(40))
        body = f"Story {story} from the docks. The harbour {words}. " + " ".join(f"word{story}x{n}" for n in range(30))
        for copy in range(rng.randint(1, 5)):
            day = rng.choice([None, "2024-03-0%d" % rng.randint(1, 9)])
            articles.append(Article(id=f"s{story}-c{copy}", title=f"Harbour report {story % 7}", body=body,
                                    path="generated", published=day, source=f"Outlet {copy}"))
    rng.shuffle(articles)
    index_dir = tmp_path_factory.mktemp("ordering") / "index"
    update_index(index_dir, articles)
    return index_dir


@pytest.mark.parametrize("q, extra", [("harbour", {}), ("harbour ferry strike", {}), ("union OR crane", {}),
                                      ("harbour", {"sort": "newest"}), ("pay talks", {"sort": "oldest"}),
                                      ("harbour", {"collapse": "none"})])
def test_a_page_of_the_partial_order_is_the_page_of_the_full_order(copies_index: Path, q: str, extra: dict):
    params = parse_search_params({"q": q, **extra})
    with open_backend({"INDEX": str(copies_index)}) as backend, backend.snapshot() as snapshot:
        found = match(snapshot, params, read_query(q, SCHEMA))
        keys = display_keys(found, params.effective_sort)
        everything = collapse_stories(snapshot, found.articles, keys, len(found), params.collapse)
        assert len(found) > 40 and (everything.total < len(found)) == (params.collapse == "story")
        for needed in (1, 3, 10, 25, 60):
            page = collapse_stories(snapshot, found.articles, keys, needed, params.collapse)
            assert page.total == everything.total
            assert page.order[:needed].tolist() == everything.order[:needed].tolist()
            for unit in page.order[:needed]:
                assert page.versions(unit) == everything.versions(unit)
