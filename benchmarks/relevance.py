"""Ranking quality of our engine beside two SQLite FTS5 peers, on classic IR test collections.

Each collection of :mod:`benchmarks.collections` is searched three ways, every query lower-cased as
a person would type it and cut to the engine's query limits, the top :data:`DEPTH` articles kept:

* ``news-search`` -- our index built through the backend (:mod:`search.backend`) and searched by
  :func:`search.engine.search` with ``group=article``, the code path of the JSON endpoint;
* ``FTS5 passages`` -- SQLite FTS5 (``porter unicode61``, ``bm25``) over passages of about
  :data:`PEER_PASSAGE_WORDS` words, an article ranked by its best passage;
* ``FTS5 articles`` -- the same over whole articles (title and body columns).

The runs are scored with ir-measures (nDCG@10, MAP, R@100; a judged query without results scores 0)
and printed as a markdown table. Run it with::

    python -m benchmarks.relevance [--collections time,cranfield,cisi,cacm,npl] [--data DIR] [--json FILE]

``--collections time-as-written`` reads TIME's judgments as written (see :func:`benchmarks.collections.time_article_id`).
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import ir_measures
from ir_measures import AP, R, nDCG

from benchmarks.collections import FOLDERS, READERS, Collection, Document, read_collection
from benchmarks.corpora import data_dir
from index.articles import Article
from index.errors import NewsSearchError
from search.backends import open_backend
from search.engine import search
from search.params import MAX_QUERY_CHARS, MAX_QUERY_TERMS, parse_search_params

#: The collections measured by default (``time-as-written`` reads TIME's judgments without realigning them).
DEFAULT_COLLECTIONS = ("time", "cranfield", "cisi", "cacm", "npl")
#: Articles kept per query: one page of the engine's largest page size.
DEPTH = 100
#: The figures reported, by the names the table uses.
MEASURES = {"nDCG@10": nDCG @ 10, "MAP": AP, "R@100": R @ 100}
#: Words in a passage of the FTS5 passage peer (our engine's passages hold 40 to 120).
PEER_PASSAGE_WORDS = 120

Run = dict[str, dict[str, float]]
Qrels = dict[str, dict[str, int]]

_FTS_TERM = re.compile(r"[^\W_]+")


@dataclass
class EngineRun:
    """One engine's rankings of a collection's queries, and what it noticed on the way."""

    engine: str
    rankings: dict[str, list[str]]
    seconds: float
    indexed: int
    no_results: list[str] = field(default_factory=list)
    warnings: dict[str, list[str]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


@dataclass
class CollectionReport:
    """The figures of one collection: per engine, the measures and the run's notes."""

    collection: str
    documents: int
    queries: int
    judged: int
    judgments: int
    shortened: list[str]
    seconds: float
    figures: dict[str, dict[str, float]]
    runs: dict[str, EngineRun]


def evaluate(run: Run, qrels: Qrels) -> dict[str, float]:
    """Mean nDCG@10, MAP and R@100 of *run* over the queries judged in *qrels*.

    ir-measures computes them (with trec_eval's definitions); a judged query missing from
    *run* counts as 0 and an unjudged one is ignored.

    >>> evaluate({"q1": {"d9": 2.0, "d1": 1.0}}, {"q1": {"d1": 1}})["MAP"]
    0.5
    """
    measured = ir_measures.calc_aggregate(list(MEASURES.values()), qrels, run)
    return {name: float(measured[measure]) for name, measure in MEASURES.items()}


def ranking_run(rankings: dict[str, list[str]]) -> Run:
    """Ranked ids as a run whose scores fall strictly with rank.

    ir-measures orders a run by score, so the engine's own order is kept by scoring the rank
    rather than passing raw scores (the engine does not order by score alone).
    """
    return {
        query_id: {doc_id: float(DEPTH - rank) for rank, doc_id in enumerate(ranked)}
        for query_id, ranked in rankings.items()
    }


def qrels_by_parity(qrels: Qrels, odd: bool) -> Qrels:
    """The judgments of the odd-numbered (or even-numbered) queries only."""
    return {query_id: judged for query_id, judged in qrels.items() if (int(query_id) % 2 == 1) == odd}


def measure(rankings: dict[str, list[str]], qrels: Qrels) -> dict[str, float]:
    """The table's figures for one run: the measures, and nDCG@10 on odd and on even queries."""
    run = ranking_run(rankings)
    figures = evaluate(run, qrels)
    figures["nDCG@10 odd"] = evaluate(run, qrels_by_parity(qrels, odd=True))["nDCG@10"]
    figures["nDCG@10 even"] = evaluate(run, qrels_by_parity(qrels, odd=False))["nDCG@10"]
    return figures


def typed_query(text: str) -> str:
    """*text* as a person would type it: lower case, cut to the engine's word and length limits."""
    words = text.lower().split()[:MAX_QUERY_TERMS]
    while len(" ".join(words)) > MAX_QUERY_CHARS:
        words.pop()
    return " ".join(words)


def to_article(collection: str, document: Document) -> Article:
    """A test document as the article our indexer takes."""
    return Article(id=document.id, title=document.title, body=document.body, path=f"{collection}/{document.id}")


def engine_run(index_dir: str | Path, collection: Collection, queries: dict[str, str]) -> EngineRun:
    """Index *collection* into *index_dir* and search it with the engine, as the JSON endpoint does."""
    started = time.perf_counter()
    with open_backend({"INDEX": index_dir}) as backend:
        backend.update(to_article(collection.name, document) for document in collection.documents)
        report = EngineRun("news-search", {}, 0.0, backend.stats()["articles"])
        with backend.snapshot() as snapshot:
            for query_id, text in queries.items():
                try:
                    params = parse_search_params({"q": text, "per_page": str(DEPTH), "group": "article"})
                    results = search(snapshot, params)
                except NewsSearchError as error:
                    report.errors[query_id] = error.message
                    continue
                report.rankings[query_id] = [hit.article_id for hit in results.hits]
                for warning in results.warnings:
                    report.warnings.setdefault(warning, []).append(query_id)
    report.seconds = time.perf_counter() - started
    report.no_results = [query_id for query_id in queries if not report.rankings.get(query_id)]
    return report


def run_engine(collection: Collection, queries: dict[str, str]) -> EngineRun:
    """:func:`engine_run` in a temporary index directory."""
    with tempfile.TemporaryDirectory(prefix="relevance-") as index_dir:
        return engine_run(index_dir, collection, queries)


def fts5_query(text: str) -> str:
    """*text* as an FTS5 query that cannot be read as syntax: its words quoted and OR-ed."""
    words = dict.fromkeys(_FTS_TERM.findall(text.lower()))
    return " OR ".join(f'"{word}"' for word in words)


def peer_passages(body: str, size: int = PEER_PASSAGE_WORDS) -> list[str]:
    """*body* cut into nearly equal runs of about *size* words (one, possibly empty, for a short body).

    Equal runs rather than fixed ones leave no short tail, which BM25 would favour for its length.
    """
    words = body.split()
    return [" ".join(words[start:end]) for start, end in equal_runs(len(words), size)]


def equal_runs(words: int, size: int) -> list[tuple[int, int]]:
    """*words* words cut into nearly equal runs of about *size*: each run's first and past-last word
    (one run, possibly empty, for fewer than *size*).

    >>> equal_runs(131, 50), equal_runs(3, 50)
    ([(0, 44), (44, 87), (87, 131)], [(0, 3)])
    """
    count = max(1, round(words / size))
    bounds = [round(i * words / count) for i in range(count + 1)]
    return list(zip(bounds, bounds[1:]))


def fts5_table(rows: Iterable[tuple[str, str, str]]) -> sqlite3.Connection:
    """An in-memory FTS5 table ``docs(doc_id, title, body)`` holding *rows*."""
    connection = sqlite3.connect(":memory:")
    connection.execute(
        "CREATE VIRTUAL TABLE docs USING fts5(doc_id UNINDEXED, title, body, tokenize='porter unicode61')"
    )
    with connection:
        connection.executemany("INSERT INTO docs (doc_id, title, body) VALUES (?, ?, ?)", rows)
    return connection


_RANKED = "SELECT doc_id FROM docs WHERE docs MATCH ? ORDER BY bm25(docs), rowid"


def best_articles(rows: Iterable[tuple[str]], depth: int = DEPTH) -> list[str]:
    """The first *depth* distinct article ids of ranked rows: an article ranks by its best passage."""
    ranked: dict[str, None] = {}
    for (doc_id,) in rows:
        ranked.setdefault(doc_id)
        if len(ranked) == depth:
            break
    return list(ranked)


def run_fts5(engine: str, rows: Iterable[tuple[str, str, str]], queries: dict[str, str]) -> EngineRun:
    """Rank every query's articles by BM25 over one FTS5 table (rowid breaks ties, so runs repeat)."""
    started = time.perf_counter()
    connection = fts5_table(rows)
    report = EngineRun(engine, {}, 0.0, connection.execute("SELECT COUNT(DISTINCT doc_id) FROM docs").fetchone()[0])
    for query_id, text in queries.items():
        match = fts5_query(text)
        found = best_articles(connection.execute(_RANKED, (match,))) if match else []
        report.rankings[query_id] = found
        if not found:
            report.no_results.append(query_id)
    connection.close()
    report.seconds = time.perf_counter() - started
    return report


def run_fts5_passages(collection: Collection, queries: dict[str, str]) -> EngineRun:
    """The FTS5 passage peer: every passage carries its article's title, as ours do."""
    rows = (
        (document.id, document.title, passage)
        for document in collection.documents
        for passage in peer_passages(document.body)
    )
    return run_fts5("FTS5 passages", rows, queries)


def run_fts5_articles(collection: Collection, queries: dict[str, str]) -> EngineRun:
    """The FTS5 article peer: one row per article."""
    rows = ((document.id, document.title, document.body) for document in collection.documents)
    return run_fts5("FTS5 articles", rows, queries)


def run_cluster(collection: Collection, queries: dict[str, str]) -> EngineRun:
    """The same search on a local Sphinx cluster of two shards (``--cluster``): the collection written
    with the cluster's writer, each query's page found by :func:`search.sphinxql_backend.searching.find`."""
    from search.query import read_query
    from search.sphinxql_backend.cluster import running_cluster
    from search.sphinxql_backend.config import HEAD_INDEX
    from search.sphinxql_backend.connection import connect
    from search.sphinxql_backend.querying import SPHINX_SCHEMA
    from search.sphinxql_backend.searching import find
    from search.sphinxql_backend.writing import update_cluster

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="relevance-cluster-") as work, \
            running_cluster(work, shards=2) as cluster:
        update_cluster(cluster, (to_article(collection.name, document) for document in collection.documents))
        with connect(cluster.head) as connection, connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM {HEAD_INDEX} WHERE whole = 1")
            report = EngineRun("news-search, cluster", {}, 0.0, int(cursor.fetchall()[0][0]))
            for query_id, text in queries.items():
                params = parse_search_params({"q": text, "per_page": str(DEPTH), "group": "article"})
                page = find(cursor, params, read_query(text, SPHINX_SCHEMA), [])
                report.rankings[query_id] = [hit.article_id for hit in page.hits]
    report.seconds = time.perf_counter() - started
    report.no_results = [query_id for query_id in queries if not report.rankings.get(query_id)]
    return report


RUNNERS: dict[str, Callable[[Collection, dict[str, str]], EngineRun]] = {
    "news-search": run_engine,
    "FTS5 passages": run_fts5_passages,
    "FTS5 articles": run_fts5_articles,
}


def benchmark(name: str, data: Path, cluster: bool = False) -> CollectionReport:
    """Read, index, search and score one collection with every engine (and on a cluster, with *cluster*)."""
    started = time.perf_counter()
    collection = read_collection(name, data)
    queries = {query_id: typed_query(text) for query_id, text in collection.queries.items()}
    shortened = [
        query_id for query_id, text in collection.queries.items()
        if len(text.split()) > len(queries[query_id].split())
    ]
    runners = {**RUNNERS, "news-search, cluster": run_cluster} if cluster else RUNNERS
    runs = {engine: runner(collection, queries) for engine, runner in runners.items()}
    return CollectionReport(
        collection=name, documents=len(collection.documents), queries=len(collection.queries),
        judged=len(collection.qrels), judgments=collection.judgment_count, shortened=shortened,
        seconds=time.perf_counter() - started,
        figures={engine: measure(run.rankings, collection.qrels) for engine, run in runs.items()},
        runs=runs,
    )


def figures_table(reports: Sequence[CollectionReport]) -> str:
    """The measures as a markdown table, one row per collection and engine."""
    columns = ["nDCG@10", "MAP", "R@100", "nDCG@10 odd", "nDCG@10 even"]
    lines = ["| collection | engine | " + " | ".join(columns) + " |", "|---|---|" + "---:|" * len(columns)]
    for report in reports:
        for engine, figures in report.figures.items():
            cells = " | ".join(f"{figures[column]:.3f}" for column in columns)
            lines.append(f"| {report.collection} | {engine} | {cells} |")
    return "\n".join(lines)


def runs_table(reports: Sequence[CollectionReport]) -> str:
    """What each run did: sizes, the engine's empty results and warnings, seconds per engine."""
    lines = [
        "| collection | documents | queries (judged) | judgments | shortened queries | indexed by news-search "
        "| news-search: no results / warnings / errors | seconds | " + " | ".join(f"s {e}" for e in RUNNERS) + " |",
        "|---|---:|---:|---:|---:|---:|---:|---:|" + "---:|" * len(RUNNERS),
    ]
    for report in reports:
        ours = report.runs["news-search"]
        warned = len({query_id for ids in ours.warnings.values() for query_id in ids})
        seconds = " | ".join(f"{run.seconds:.1f}" for run in report.runs.values())
        lines.append(
            f"| {report.collection} | {report.documents} | {report.queries} ({report.judged}) | {report.judgments} "
            f"| {len(report.shortened)} | {ours.indexed} | {len(ours.no_results)} / {warned} / {len(ours.errors)} "
            f"| {report.seconds:.1f} | {seconds} |"
        )
    return "\n".join(lines)


def notes(reports: Sequence[CollectionReport]) -> str:
    """The engine's warnings, errors and empty results, query by query."""
    lines = []
    for report in reports:
        ours = report.runs["news-search"]
        for warning, query_ids in ours.warnings.items():
            lines.append(f"- {report.collection}: {warning} (queries {', '.join(query_ids)})")
        for query_id, message in ours.errors.items():
            lines.append(f"- {report.collection}: query {query_id} refused: {message}")
        if ours.no_results:
            lines.append(f"- {report.collection}: no results for queries {', '.join(ours.no_results)}")
    return "\n".join(lines)


def to_json(reports: Sequence[CollectionReport]) -> dict:
    """The figures and run notes, for ``--json``."""
    return {
        report.collection: {
            **{key: value for key, value in asdict(report).items() if key not in ("runs", "figures")},
            "engines": {
                engine: {
                    **report.figures[engine], "seconds": run.seconds, "indexed": run.indexed,
                    "no_results": run.no_results, "warnings": run.warnings, "errors": run.errors,
                }
                for engine, run in report.runs.items()
            },
        }
        for report in reports
    }


def collection_options(parser: argparse.ArgumentParser, names: Sequence[str] = tuple(READERS)) -> None:
    """The options naming the collections and where they are read from, and ``--json``."""
    parser.add_argument("--collections", default=",".join(DEFAULT_COLLECTIONS),
                        help=f"comma-separated, of: {', '.join(names)} (default: {', '.join(DEFAULT_COLLECTIONS)})")
    parser.add_argument("--data", type=Path, default=None,
                        help="the shared data directory (default: $NEWS_SEARCH_DATA, else ../shared/data)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this file")


def checked_collections(parser: argparse.ArgumentParser, args: argparse.Namespace,
                        names: Sequence[str] = tuple(READERS)) -> argparse.Namespace:
    """*args* with ``collections`` as a list of known names (else the parser's error)."""
    args.collections = [name.strip() for name in args.collections.split(",") if name.strip()]
    unknown = [name for name in args.collections if name not in names]
    if unknown:
        parser.error(f"unknown collection {', '.join(unknown)}; choose from {', '.join(names)}")
    return args


def found_data(args: argparse.Namespace) -> Path | None:
    """The data directory, if it holds every collection asked for (else says what is missing)."""
    data = args.data or data_dir()
    missing = [str(data / FOLDERS[name]) for name in args.collections if not (data / FOLDERS[name]).is_dir()]
    if missing:
        print(f"not found: {', '.join(missing)}; give --data or set NEWS_SEARCH_DATA", file=sys.stderr)
        return None
    return data


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line's options, the collections as a checked list of names."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.relevance", description=__doc__.split("\n")[0])
    collection_options(parser)
    parser.add_argument("--cluster", action="store_true",
                        help="also run the search on a local Sphinx cluster (needs searchd)")
    return checked_collections(parser, parser.parse_args(argv))


def main(argv: Sequence[str] | None = None) -> int:
    """Benchmark the collections asked for and print the tables; returns the exit status."""
    args = parse_args(argv)
    data = found_data(args)
    if data is None:
        return 1
    reports = []
    for name in args.collections:
        reports.append(benchmark(name, data, args.cluster))
        print(f"{name}: done in {reports[-1].seconds:.1f} s", file=sys.stderr, flush=True)
    print(figures_table(reports), runs_table(reports), sep="\n\n")
    if details := notes(reports):
        print("\nnews-search notes:\n" + details)
    if args.json:
        args.json.write_text(json.dumps(to_json(reports), indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
