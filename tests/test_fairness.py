"""Costly searches (a ``prefix*``, a long ``OR``) take at most ``NEWS_SEARCH_COSTLY_SHARE`` of a
worker's time while other searches want their turn; past it they get a 429 with ``Retry-After``."""

from __future__ import annotations

import pytest

from index.errors import BadConfiguration
from search import create_app
from search.fairness import CostlyShare, TooBusy

pytestmark = pytest.mark.served

#: A share so small that one costly search of any length spends it.
SPENT_BY_ONE = 1e-9
LONG_OR = "missiles OR rates OR marathon OR council OR lanes OR runners OR grid OR winter"


def client(index_dir, share, cache=0):
    return create_app({"TESTING": True, "INDEX": str(index_dir), "COSTLY_SHARE": share,
                       "RESULTS_CACHE": cache}).test_client()


def test_past_its_share_a_costly_search_waits_its_turn_while_others_are_answered(index_dir):
    api = client(index_dir, SPENT_BY_ONE)
    assert api.get("/api/search?q=missiles").status_code == 200  # someone else wants this worker
    assert api.get("/api/search?q=mi*").status_code == 200        # the first costly search spends the share
    for query in ("mi*", "ra*", LONG_OR):
        refused = api.get("/api/search", query_string={"q": query})
        assert refused.status_code == 429 and refused.mimetype == "application/json", query
        assert refused.get_json()["error"]["code"] == "too_busy"
        assert int(refused.headers["Retry-After"]) >= 1
    assert api.get("/api/search?q=storm shadow").status_code == 200  # ordinary searches go on
    page = api.get("/?q=mi*")
    assert page.status_code == 429 and "try again in" in page.text and "Retry-After" in page.headers


def test_with_nobody_else_waiting_costly_searches_are_answered_as_any_other(index_dir):
    api = client(index_dir, SPENT_BY_ONE)
    assert all(api.get("/api/search", query_string={"q": query}).status_code == 200
               for query in ("mi*", "ra*", LONG_OR, "mi*"))


def test_a_costly_search_answered_from_the_cache_is_never_refused(index_dir):
    api = client(index_dir, SPENT_BY_ONE, cache=16)
    assert api.get("/api/search?q=mi*").status_code == 200
    assert api.get("/api/search?q=missiles").status_code == 200
    assert api.get("/api/search?q=mi*").status_code == 200       # cached
    assert api.get("/api/search?q=ra*").status_code == 429       # not cached: refused


def test_a_share_of_one_never_refuses(index_dir):
    api = client(index_dir, 1)
    assert api.get("/api/search?q=missiles").status_code == 200
    assert all(api.get("/api/search", query_string={"q": q}).status_code == 200 for q in ("mi*", "ra*", "ma*"))


def test_the_share_is_kept_over_a_window_and_names_when_room_comes_back():
    share = CostlyShare(share=0.1, window=10.0)
    share.charge(0.6)
    share.other()
    share.admit()                      # 0.6 s of a 1 s share: admitted
    share.charge(0.6)
    with pytest.raises(TooBusy) as refused:
        share.admit()                  # 1.2 s: over
    assert 1 <= refused.value.retry_after <= 11


@pytest.mark.parametrize("value", [0, -0.5, 1.5, "half", True])
def test_a_wrong_share_stops_the_app_with_a_clear_message(index_dir, value):
    with pytest.raises(BadConfiguration, match="NEWS_SEARCH_COSTLY_SHARE must be a fraction"):
        create_app({"TESTING": True, "INDEX": str(index_dir), "COSTLY_SHARE": value})
