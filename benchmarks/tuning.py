"""Choosing the ranking's parameters by cross-validation, and what each component contributes, held out.

Every figure this reports comes from queries the parameters were not chosen on:

* **halves** -- each collection's queries split by parity (odd and even ids); a half's figure comes
  from parameters chosen on the other half and on every other collection;
* **collections** -- leave one collection out: a collection's figure comes from parameters chosen
  on the other collections only.

Choosing is coordinate ascent over :data:`KNOBS`, from BM25 as its authors give it (k1 1.2, b 0.75,
Robertson and Sparck Jones's idf) with every component off, descriptions ranked by score alone
(:func:`start_setting`; the values the code ships with play no part): each knob in turn takes
the value that gives the best mean nDCG@10 over the training collections (each collection's mean
over its training queries, the collections weighed alike), until a round changes nothing. A value
must beat the one it replaces by :data:`MIN_GAIN` to be taken: ties go to the simpler ranking.

A **component**'s contribution is the held-out nDCG@10 of the procedure as it is, minus that of the
same procedure with the component switched off (its knob held at the value that removes it), over
the same held-out queries; a paired bootstrap over those queries gives its 95% interval.

Each setting's per-query nDCG@10 is kept in ``--cache`` (JSON), so a second run only searches for
settings it has not seen. Run it with::

    python -m benchmarks.tuning [--collections time,cranfield,cisi,cacm,npl] [--data DIR] [--cache FILE] [--json FILE]
"""

from __future__ import annotations

import argparse
import atexit
import json
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path

import ir_measures
from ir_measures import nDCG

from benchmarks.collections import Collection, read_collection
from benchmarks.relevance import (DEFAULT_COLLECTIONS, checked_collections, collection_options, found_data,
                                  ranking_run, run_fts5_articles, run_fts5_passages, to_article, typed_query)
from index.errors import NewsSearchError
from search.backends import open_backend
from search.engine import search
from search.params import parse_search_params

#: The smallest gain in the training mean for which a knob leaves its present value.
MIN_GAIN = 0.002
#: Results read per query: nDCG@10 needs ten.
DEPTH = 10
#: Bootstrap resamples for the intervals.
RESAMPLES = 2000


@dataclass(frozen=True)
class Knob:
    """A ranking parameter: the module attribute that holds it, the values tried, and the value that
    switches its component off (``None`` for a parameter that is not a component)."""

    name: str
    module: str
    attribute: str
    values: tuple
    start: object
    off: object = None

    @property
    def present(self):
        """The value the code ships with."""
        return getattr(import_module(self.module), self.attribute)


RANKING = "search.whoosh_backend.ranking"
KNOBS = (
    Knob("k1", RANKING, "K1", (0.9, 1.2, 1.6, 2.0, 2.5, 3.0), start=1.2),
    Knob("b", RANKING, "B", (0.5, 0.75, 0.9), start=0.75),
    Knob("title weight", RANKING, "TITLE_WEIGHT", (1.0, 2.0), start=1.0, off=1.0),
    Knob("passage weight", RANKING, "PASSAGE_WEIGHT", (0.0, 0.1, 0.25, 0.5), start=0.0, off=0.0),
    Knob("all words up to", "search.query", "ALL_WORDS_MAX", (3, 5, 1000), start=5, off=5),
    Knob("query word repeats k3", "search.query", "QUERY_TF_K3", (0.0, 1.5, 8.0, 1000.0), start=0.0, off=0.0),
    # Robertson and Sparck Jones's rarity is BM25's own; Lucene's is the variant measured against it.
    Knob("idf", RANKING, "IDF", ("robertson", "lucene"), start="robertson", off="lucene"),
)

Setting = tuple  # one value per knob, in the order of KNOBS
Scores = dict[str, float]  # nDCG@10 by query id


def present_setting() -> Setting:
    """The values the code ships with."""
    return tuple(knob.present for knob in KNOBS)


def describe(setting: Setting) -> dict[str, object]:
    """A setting by knob name."""
    return {knob.name: value for knob, value in zip(KNOBS, setting)}


@contextmanager
def applied(setting: Setting) -> Iterator[None]:
    """The ranking's parameters set to *setting* for the duration, then restored."""
    saved = present_setting()
    for knob, value in zip(KNOBS, setting):
        setattr(import_module(knob.module), knob.attribute, value)
    try:
        yield
    finally:
        for knob, value in zip(KNOBS, saved):
            setattr(import_module(knob.module), knob.attribute, value)


class Indexes:
    """Each collection indexed once (in *work*), searched under any setting."""

    def __init__(self, collections: dict[str, Collection], work: Path) -> None:
        self.collections, self.work = collections, work
        self._stack = ExitStack()
        self._snapshots: dict[str, object] = {}

    def close(self) -> None:
        self._stack.close()

    def _snapshot(self, name: str):
        if name not in self._snapshots:
            where = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=self.work))
            backend = self._stack.enter_context(open_backend({"INDEX": where}))
            backend.update(to_article(name, document) for document in self.collections[name].documents)
            self._snapshots[name] = self._stack.enter_context(backend.snapshot())
        return self._snapshots[name]

    def measure(self, name: str, setting: Setting) -> Scores:
        """Per-query nDCG@10 of collection *name* searched under *setting*, as the JSON endpoint searches."""
        collection, snapshot = self.collections[name], self._snapshot(name)
        rankings: dict[str, list[str]] = {}
        with applied(setting):
            for query_id, text in collection.queries.items():
                try:
                    params = parse_search_params({"q": typed_query(text), "per_page": str(DEPTH), "group": "article"})
                    rankings[query_id] = [hit.article_id for hit in search(snapshot, params).hits]
                except NewsSearchError:
                    rankings[query_id] = []
        measured = {query_id: 0.0 for query_id in collection.qrels}
        for metric in ir_measures.iter_calc([nDCG @ 10], collection.qrels, ranking_run(rankings)):
            measured[metric.query_id] = float(metric.value)
        return measured


_worker: Indexes | None = None


def _start_worker(names: list[str], data: Path, work: Path) -> None:
    global _worker
    _worker = Indexes({name: read_collection(name, data) for name in names}, work)
    atexit.register(_worker.close)


def _measure_in_worker(name: str, setting: Setting) -> Scores:
    assert _worker is not None
    return _worker.measure(name, setting)


class Searcher:
    """Per-query nDCG@10 by collection and setting, measured by worker processes and remembered
    (in *cache*, when given)."""

    def __init__(self, names: Sequence[str], data: Path, cache: Path | None, workers: int = 2) -> None:
        self.names, self.cache_path = list(names), cache
        self.known: dict[str, dict[str, Scores]] = {}
        if cache and cache.exists():
            self.known = json.loads(cache.read_text(encoding="utf-8"))
        self._work = tempfile.TemporaryDirectory(prefix="tuning-")
        self._pool = ProcessPoolExecutor(workers, initializer=_start_worker,
                                         initargs=(self.names, data, Path(self._work.name)))
        self.searched = 0

    def __enter__(self) -> Searcher:
        return self

    def __exit__(self, *exc) -> None:
        self._pool.shutdown()
        self._work.cleanup()

    def prefetch(self, pairs: Sequence[tuple[str, Setting]]) -> None:
        """Measure, in parallel, each (collection, setting) of *pairs* not yet known."""
        missing = list(dict.fromkeys((name, setting) for name, setting in pairs
                                     if json.dumps(list(setting)) not in self.known.get(name, {})))
        futures = [(name, setting, self._pool.submit(_measure_in_worker, name, setting)) for name, setting in missing]
        for name, setting, future in futures:
            self.known.setdefault(name, {})[json.dumps(list(setting))] = future.result()
            self.searched += 1
        if missing and self.cache_path:
            self.cache_path.write_text(json.dumps(self.known), encoding="utf-8")

    def scores(self, name: str, setting: Setting) -> Scores:
        """Per-query nDCG@10 of collection *name* searched under *setting*."""
        self.prefetch([(name, setting)])
        return self.known[name][json.dumps(list(setting))]


#: A training or test set: per collection, the query ids it holds.
Queries = dict[str, list[str]]


def mean_of_means(searcher: Searcher, setting: Setting, queries: Queries) -> float:
    """The mean over collections of each one's mean nDCG@10 over *queries* (collections weighed alike)."""
    means = []
    for name, ids in queries.items():
        if ids:
            scores = searcher.scores(name, setting)
            means.append(sum(scores[query_id] for query_id in ids) / len(ids))
    return sum(means) / len(means) if means else 0.0


def start_setting() -> Setting:
    """Where choosing starts: BM25 as its authors give it, every component off."""
    return tuple(knob.start for knob in KNOBS)


def choose(searcher: Searcher, training: Queries, fixed: dict[str, object] | None = None,
           rounds: int = 3) -> Setting:
    """Coordinate ascent from :func:`start_setting` on *training*; knobs named in *fixed* held there."""
    fixed = fixed or {}
    setting = list(start_setting())
    for index, knob in enumerate(KNOBS):
        if knob.name in fixed:
            setting[index] = fixed[knob.name]
    best = mean_of_means(searcher, tuple(setting), training)
    for _ in range(rounds):
        changed = False
        for index, knob in enumerate(KNOBS):
            if knob.name in fixed:
                continue
            trials = [tuple(setting[:index]) + (value,) + tuple(setting[index + 1:]) for value in knob.values]
            searcher.prefetch([(name, trial) for trial in trials for name, ids in training.items() if ids])
            for value in knob.values:
                if value == setting[index]:
                    continue
                trial = tuple(setting[:index]) + (value,) + tuple(setting[index + 1:])
                score = mean_of_means(searcher, trial, training)
                if score > best + MIN_GAIN:
                    best, setting[index], changed = score, value, True
        if not changed:
            break
    return tuple(setting)


def parity(query_id: str) -> int:
    """A query's half: 1 for odd ids, 0 for even (ids that are not numbers go by their last character)."""
    return int(query_id) % 2 if query_id.isdigit() else ord(query_id[-1]) % 2


@dataclass(frozen=True)
class Fold:
    """One held-out part: the queries tested, and the queries the parameters are chosen on."""

    name: str
    test: Queries
    training: Queries


def half_folds(collections: dict[str, Collection]) -> list[Fold]:
    """Each collection's odd and even halves held out in turn, trained on everything else."""
    folds = []
    for name, collection in collections.items():
        for held in (1, 0):
            test = [query_id for query_id in collection.qrels if parity(query_id) == held]
            training = {other: list(c.qrels) for other, c in collections.items() if other != name}
            training[name] = [query_id for query_id in collection.qrels if parity(query_id) != held]
            folds.append(Fold(f"{name} {'odd' if held else 'even'}", {name: test}, training))
    return folds


def collection_folds(collections: dict[str, Collection]) -> list[Fold]:
    """Each collection held out in turn, trained on the others."""
    return [Fold(name, {name: list(collection.qrels)},
                 {other: list(c.qrels) for other, c in collections.items() if other != name})
            for name, collection in collections.items()]


@dataclass
class HeldOut:
    """The held-out nDCG@10 of every test query (by collection), and the setting each fold chose."""

    scores: dict[str, Scores]
    chosen: dict[str, Setting]

    def mean(self, name: str, ids: Sequence[str] | None = None) -> float:
        """Collection *name*'s mean over *ids* (by default every query it was tested on)."""
        scores = self.scores.get(name, {})
        ids = list(scores) if ids is None else [query_id for query_id in ids if query_id in scores]
        return sum(scores[query_id] for query_id in ids) / len(ids) if ids else 0.0


def held_out(searcher: Searcher, folds: Sequence[Fold], fixed: dict[str, object] | None = None,
             progress: Callable[[str], None] = lambda line: None) -> HeldOut:
    """Choose on each fold's training queries, score its test queries with that choice."""
    result = HeldOut({}, {})
    for fold in folds:
        setting = choose(searcher, fold.training, fixed)
        result.chosen[fold.name] = setting
        for name, ids in fold.test.items():
            scores = searcher.scores(name, setting)
            result.scores.setdefault(name, {}).update({query_id: scores[query_id] for query_id in ids})
        progress(f"{fold.name}: {describe(setting)} ({searcher.searched} settings measured so far)")
    return result


def bootstrap(differences: Sequence[float], resamples: int = RESAMPLES, seed: int = 0) -> tuple[float, float]:
    """The 95% interval of the mean of *differences* (paired per query), by resampling them.

    >>> low, high = bootstrap([0.1] * 20)
    >>> round(low, 6), round(high, 6)
    (0.1, 0.1)
    """
    if not differences:
        return 0.0, 0.0
    generator, count = random.Random(seed), len(differences)
    means = sorted(sum(generator.choices(differences, k=count)) / count for _ in range(resamples))
    return means[int(0.025 * resamples)], means[int(0.975 * resamples) - 1]


def paired(base: HeldOut, other: HeldOut) -> list[float]:
    """Per-query differences *base* minus *other*, over the queries both were tested on."""
    return [score - other.scores[name][query_id]
            for name, scores in base.scores.items() for query_id, score in scores.items()
            if query_id in other.scores.get(name, {})]


def report(searcher: Searcher, collections: dict[str, Collection],
           progress: Callable[[str], None]) -> dict:
    """Held-out figures by halves and by collections, the components' contributions, and the setting
    the procedure chooses on every query (the one to ship)."""
    halves = half_folds(collections)
    by_half = held_out(searcher, halves, progress=progress)
    by_collection = held_out(searcher, collection_folds(collections), progress=progress)
    everything = {name: list(collection.qrels) for name, collection in collections.items()}
    shipped = choose(searcher, everything)
    present = present_setting()
    peers = {name: peer_scores(collection) for name, collection in collections.items()}
    figures = {}
    for name, collection in collections.items():
        odd = [query_id for query_id in collection.qrels if parity(query_id) == 1]
        even = [query_id for query_id in collection.qrels if parity(query_id) == 0]
        peer = peers[name]["FTS5 articles"]
        low, high = bootstrap([by_half.scores[name][query_id] - peer[query_id] for query_id in everything[name]])
        figures[name] = {
            **{f"{engine}: {part}": sum(scores[query_id] for query_id in ids) / len(ids)
               for engine, scores in peers[name].items() for part, ids in (("all", everything[name]), ("even", even))},
            "held out, halves against FTS5 articles": [low, high],
            "held out, halves": by_half.mean(name),
            "held out, halves: odd": by_half.mean(name, odd),
            "held out, halves: even": by_half.mean(name, even),
            "held out, collections": by_collection.mean(name),
            "present setting": mean_of_means(searcher, present, {name: everything[name]}),
            "chosen on every query (not held out)": mean_of_means(searcher, shipped, {name: everything[name]}),
        }
    components = {}
    for knob in KNOBS:
        if knob.off is None:
            continue
        without = held_out(searcher, halves, fixed={knob.name: knob.off}, progress=progress)
        differences = paired(by_half, without)
        low, high = bootstrap(differences)
        components[knob.name] = {
            "gain": sum(differences) / len(differences) if differences else 0.0,
            "interval": [low, high],
            "by collection": {name: by_half.mean(name) - without.mean(name) for name in collections},
        }
    return {
        "figures": figures,
        "components": components,
        "chosen by fold": {fold: describe(setting)
                           for fold, setting in {**by_half.chosen, **by_collection.chosen}.items()},
        "present": describe(present),
        "shipped": describe(shipped),
    }


def peer_scores(collection: Collection) -> dict[str, Scores]:
    """Per-query nDCG@10 of the two FTS5 peers of :mod:`benchmarks.relevance` (no parameters to choose)."""
    queries = {query_id: typed_query(text) for query_id, text in collection.queries.items()}
    found = {}
    for engine, runner in (("FTS5 articles", run_fts5_articles), ("FTS5 passages", run_fts5_passages)):
        measured = {query_id: 0.0 for query_id in collection.qrels}
        run = ranking_run(runner(collection, queries).rankings)
        for metric in ir_measures.iter_calc([nDCG @ 10], collection.qrels, run):
            measured[metric.query_id] = float(metric.value)
        found[engine] = measured
    return found


def tables(result: dict) -> str:
    """The report as markdown tables."""
    columns = ["held out, halves", "held out, halves: odd", "held out, halves: even", "held out, collections",
               "FTS5 articles: all", "FTS5 articles: even", "FTS5 passages: all", "FTS5 passages: even",
               "present setting", "chosen on every query (not held out)"]
    lines = ["| collection | " + " | ".join(columns) + " | halves - FTS5 articles, 95% |",
             "|---|" + "---:|" * len(columns) + "---|"]
    for name, figures in result["figures"].items():
        low, high = figures["held out, halves against FTS5 articles"]
        lines.append(f"| {name} | " + " | ".join(f"{figures[column]:.3f}" for column in columns)
                     + f" | [{low:+.3f}, {high:+.3f}] |")
    lines += ["", "| component | held-out gain | 95% interval | " + " | ".join(result["figures"]) + " |",
              "|---|---:|---|" + "---:|" * len(result["figures"])]
    for name, component in result["components"].items():
        low, high = component["interval"]
        by = " | ".join(f"{gain:+.3f}" for gain in component["by collection"].values())
        lines.append(f"| {name} | {component['gain']:+.4f} | [{low:+.4f}, {high:+.4f}] | {by} |")
    lines += ["", "| fold | " + " | ".join(knob.name for knob in KNOBS) + " |", "|---|" + "---:|" * len(KNOBS)]
    for fold, setting in {**result["chosen by fold"], "present": result["present"],
                          "every query": result["shipped"]}.items():
        lines.append(f"| {fold} | " + " | ".join(str(value) for value in setting.values()) + " |")
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line's options."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.tuning", description=__doc__.split("\n")[0])
    collection_options(parser, DEFAULT_COLLECTIONS)
    parser.add_argument("--cache", type=Path, default=None,
                        help="keep each setting's per-query scores in this JSON file, and reuse them")
    return checked_collections(parser, parser.parse_args(argv), DEFAULT_COLLECTIONS)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the cross-validation and print its tables; returns the exit status."""
    args = parse_args(argv)
    data = found_data(args)
    if data is None:
        return 1
    started = time.perf_counter()
    collections = {name: read_collection(name, data) for name in args.collections}

    def progress(line: str) -> None:
        print(f"[{time.perf_counter() - started:.0f} s] {line}", file=sys.stderr, flush=True)

    with Searcher(args.collections, data, args.cache) as searcher:
        result = report(searcher, collections, progress)
    print(tables(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
