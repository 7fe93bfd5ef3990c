"""The cross-validation that chooses the ranking's parameters never scores a query it chose on."""

from __future__ import annotations

from benchmarks.collections import Collection
from benchmarks.tuning import KNOBS, applied, bootstrap, collection_folds, describe, half_folds, present_setting, start_setting
from search import query
from search.whoosh_backend import ranking


def collection(name: str, ids: list[str]) -> Collection:
    return Collection(name, [], {query_id: "words" for query_id in ids}, {query_id: {"d1": 1} for query_id in ids})


COLLECTIONS = {"news": collection("news", ["1", "2", "3", "4", "5"]), "other": collection("other", ["1", "2", "7"])}


def test_each_half_is_held_out_from_the_queries_it_is_tuned_on():
    folds = half_folds(COLLECTIONS)
    assert [fold.name for fold in folds] == ["news odd", "news even", "other odd", "other even"]
    for fold in folds:
        for name, tested in fold.test.items():
            assert tested and not set(tested) & set(fold.training[name])
            assert sorted(tested + fold.training[name], key=int) == list(COLLECTIONS[name].qrels)
    # every judged query is tested exactly once
    tested = [(name, query_id) for fold in folds for name, ids in fold.test.items() for query_id in ids]
    assert sorted(tested) == sorted((name, q) for name, c in COLLECTIONS.items() for q in c.qrels)


def test_a_held_out_collection_is_not_tuned_on_at_all():
    for fold in collection_folds(COLLECTIONS):
        (held,) = fold.test
        assert held not in fold.training and set(fold.training) == set(COLLECTIONS) - {held}


def test_choosing_starts_from_bm25_with_every_component_off():
    start = describe(start_setting())
    assert (start["k1"], start["b"], start["idf"]) == (1.2, 0.75, "robertson")
    assert all(start[knob.name] == knob.off for knob in KNOBS if knob.off is not None and knob.name != "idf")
    with applied(start_setting()):
        assert query.is_description("background of the new prime minister of great britain", query.SCHEMA)
        assert ranking.IDF == "robertson" and ranking.PASSAGE_WEIGHT == 0.0


def test_a_setting_is_applied_while_measured_then_restored():
    before = present_setting()
    changed = tuple(next(other for other in (*knob.values, knob.off) if other != value)
                    for knob, value in zip(KNOBS, before))
    by_name = dict(zip((knob.name for knob in KNOBS), changed))
    with applied(changed):
        assert (ranking.K1, query.ALL_WORDS_MAX, query.QUERY_TF_K3) == (
            by_name["k1"], by_name["all words up to"], by_name["query word repeats k3"])
    assert present_setting() == before


def test_the_bootstrap_interval_holds_the_mean_and_narrows_with_agreement():
    noisy = [0.3, -0.2, 0.1, 0.0, 0.25, -0.1] * 5
    low, high = bootstrap(noisy)
    assert low < sum(noisy) / len(noisy) < high
    steady_low, steady_high = bootstrap([0.05] * 30)
    assert steady_high - steady_low < high - low


def test_a_setting_is_measured_on_the_real_index_as_the_relevance_benchmark_measures_it(tmp_path):
    """The harness scores what the JSON endpoint serves: under the shipped setting, TIME's per-query
    nDCG@10 is the relevance benchmark's; under another setting the ranking moves."""
    from benchmarks.collections import read_collection
    from benchmarks.relevance import engine_run, measure, typed_query
    from benchmarks.tuning import Indexes, start_setting
    from tests.data_paths import require_data

    time_magazine = read_collection("time", require_data("time_magazine").parent)
    indexes = Indexes({"time": time_magazine}, tmp_path)
    try:
        shipped = indexes.measure("time", present_setting())
        plain = indexes.measure("time", start_setting())
    finally:
        indexes.close()
    queries = {query_id: typed_query(text) for query_id, text in time_magazine.queries.items()}
    benchmark = measure(engine_run(tmp_path / "benchmark", time_magazine, queries).rankings, time_magazine.qrels)
    assert set(shipped) == set(time_magazine.qrels)
    assert abs(sum(shipped.values()) / len(shipped) - benchmark["nDCG@10"]) < 1e-9
    assert shipped != plain
