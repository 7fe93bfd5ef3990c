"""Speed of our service beside SQLite FTS5 over the same passages, in one run, reported as ratios.

The Reuters-21578 stories (:func:`benchmarks.corpora.reuters_articles`, optionally replicated) are
measured four ways:

* indexing -- ``news-search index`` as a whole child process (wall time, peak RSS) beside an FTS5
  table (``porter unicode61``) built in-process over the very passages our index holds;
* queries in-process -- :data:`QUERY_COUNT` fixed keyword queries through :func:`search.engine.search`
  (the JSON endpoint's call) and through FTS5 ``MATCH ... ORDER BY bm25 LIMIT 10`` with snippets;
* queries over HTTP -- the same queries against the real service under gunicorn (2 workers),
  through one keep-alive connection, compared with FTS5's in-process times: timed on the first pass,
  new to the workers, then again after :data:`HTTP_WARM_PASSES` passes in all;
* load -- ``wrk`` (when installed, :mod:`benchmarks.load`) through the same queries in turn:
  requests/s, p99 latency, errors; once with every request searched, once with the service's
  results cache on as deployed (its default), where repeated searches are answered from memory.

Latencies over HTTP are measured with the results cache off, so that every timed request runs a
search; in-process times call the engine directly, which has no cache.

The figures are printed as a markdown table against the goals, with ``met``/``not met``. Run it with::

    python -m benchmarks.speed [--data DIR] [--copies N] [--queries 200] [--sampling frequent|titles]
                               [--peer-passage-words N] [--json FILE] [--skip-http]

Two conditions can be chosen, as a user comparing the two engines might choose them: how queries are
drawn (``frequent``: the most frequent title words, bigrams and trigrams; ``titles``: one to three
adjacent content words of titles picked at random, so as often rare words as common ones), and the
FTS5 peer's passages (by default the very passages our index holds; ``--peer-passage-words 120``
cuts each article into runs of about 120 words instead, fewer and longer passages).
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import math
import os
import random
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from whoosh.analysis import STOP_WORDS

from benchmarks.corpora import REPO, reuters_articles, write_jsonl
from benchmarks.load import run_load, search_path
from benchmarks.relevance import fts5_query, peer_passages
from index.articles import Article, read_articles
from index.passages import split_passages
from search.backends import open_backend
from search.engine import search
from search.params import parse_search_params

QUERY_COUNT = 200
QUERY_SEED = 7
#: Distinct words, bigrams and trigrams of titles the queries are drawn from, most frequent first.
VOCABULARY_SIZE = 400
WORKERS = 2
#: Untimed passes over the queries before they are timed over HTTP. Each of the :data:`WORKERS`
#: workers keeps its own caches and answers the requests the system hands it, so after one pass each
#: has yet to see about half of the queries (one in eight after three), where FTS5, in one process,
#: has seen them all after one. The first of them is timed and reported too: the queries new to the
#: workers (but for a query drawn twice).
HTTP_WARM_PASSES = 3
#: Longest wait for gunicorn to answer ``/api/health``, in seconds.
READY_SECONDS = 60.0
#: The goals of the issue: indexing at most 10x FTS5's build; HTTP p50 and p95 at most 1.5x FTS5's
#: in-process times at 30k passages, 1.0x at 300k; under load, 400 req/s, p99 100 ms, no errors.
INDEXING_LIMIT = 10.0
HTTP_LIMITS = {30_000: 1.5, 300_000: 1.0}
LOAD_REQUESTS_PER_SECOND = 400.0
LOAD_P99_MS = 100.0

_TITLE_WORD = re.compile(r"[a-z]{3,}")
_FTS5_SELECT = (
    "SELECT article_id, snippet(passages, 1, '<mark>', '</mark>', '…', 24) FROM passages "
    "WHERE passages MATCH ? ORDER BY bm25(passages) LIMIT 10"
)


@dataclass(frozen=True)
class Latency:
    """Per-query times of one engine, in milliseconds."""

    count: int
    p50: float
    p95: float
    mean: float
    errors: int = 0


@dataclass(frozen=True)
class ChildRun:
    """A finished child process: its exit status, wall time, peak resident memory and output."""

    returncode: int
    seconds: float
    peak_rss_mb: float
    output: str


@dataclass(frozen=True)
class Row:
    """One line of the report table; ``met`` is ``None`` when there is no goal or no figure."""

    measure: str
    ours: str
    peer: str
    ratio: float | None
    goal: str
    met: bool | None


@dataclass
class Report:
    """Every figure of a run, for the table and ``--json``."""

    copies: int
    articles: int
    passages: int
    queries: list[str]
    sampling: str = "frequent"
    peer_passage_words: int | None = None
    index: dict = field(default_factory=dict)
    fts5: dict = field(default_factory=dict)
    in_process: dict[str, Latency] = field(default_factory=dict)
    http: dict = field(default_factory=dict)
    load: dict = field(default_factory=dict)
    load_cached: dict = field(default_factory=dict)


def percentile(values: Sequence[float], pct: float) -> float:
    """The *pct*-th percentile of *values*, interpolated linearly between the nearest ranks.

    >>> percentile([1, 2, 3, 4], 50)
    2.5
    """
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def latency(samples_ms: Sequence[float], errors: int = 0) -> Latency:
    """p50, p95 and mean of *samples_ms*."""
    return Latency(len(samples_ms), percentile(samples_ms, 50), percentile(samples_ms, 95),
                   statistics.fmean(samples_ms), errors)


def title_words(title: str) -> list[str]:
    """The content words of a title, lower-cased: letters only, three or more, no stop words."""
    return [word for word in _TITLE_WORD.findall(title.lower()) if word not in STOP_WORDS]


def make_queries(titles: Iterable[str], count: int = QUERY_COUNT, seed: int = QUERY_SEED) -> list[str]:
    """*count* keyword queries of one, two and three words, in turn, drawn from frequent title n-grams.

    The same titles and seed always give the same queries. The n-grams are runs of adjacent content
    words, so multi-word queries are ones a reader might type, not random word salad.
    """
    grams: list[Counter[str]] = [Counter(), Counter(), Counter()]
    for title in titles:
        words = title_words(title)
        for size, counter in enumerate(grams, start=1):
            counter.update(" ".join(words[i : i + size]) for i in range(len(words) - size + 1))
    # Ties broken by the text, so the vocabulary does not depend on the order of the titles.
    pools = [sorted(counter.items(), key=lambda item: (-item[1], item[0]))[:VOCABULARY_SIZE] for counter in grams]
    pools = [[text for text, _ in pool] for pool in pools]
    if not all(pools):
        raise ValueError("the titles hold too few words to make queries from")
    rng = random.Random(seed)
    return [rng.choice(pools[i % 3]) for i in range(count)]


def sample_title_queries(titles: Iterable[str], count: int = QUERY_COUNT, seed: int = QUERY_SEED) -> list[str]:
    """*count* queries of one, two and three adjacent content words in turn, each from a title
    picked at random (a shorter title gives what it has): rare words as often as titles hold them.

    The same titles (in any order) and seed always give the same queries.
    """
    worded = sorted({tuple(words) for words in map(title_words, titles) if words})
    if not worded:
        raise ValueError("the titles hold no words to make queries from")
    rng, queries = random.Random(seed), []
    for i in range(count):
        words = rng.choice(worded)
        size = min(i % 3 + 1, len(words))
        start = rng.randrange(len(words) - size + 1)
        queries.append(" ".join(words[start : start + size]))
    return queries


#: How queries are drawn, by the name ``--sampling`` takes.
SAMPLINGS = {"frequent": make_queries, "titles": sample_title_queries}


def run_child(args: Sequence[str | os.PathLike], **options) -> ChildRun:
    """Run a child process to the end and measure it.

    The peak RSS is the child's own, from ``wait4``: ``RUSAGE_CHILDREN`` keeps the largest of all
    children waited for so far, which would hide a child smaller than an earlier one.
    """
    started = time.perf_counter()
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **options)
    output = process.stdout.read()
    process.stdout.close()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return ChildRun(process.returncode, seconds, usage.ru_maxrss / 1024, output)


def console_script(name: str) -> Path:
    """A console script installed beside this interpreter."""
    return Path(sys.executable).parent / name


def index_with_cli(jsonl: Path, index_dir: Path) -> tuple[ChildRun, dict]:
    """``news-search index`` over *jsonl*, timed, and ``news-search stats --json`` afterwards."""
    run = run_child([console_script("news-search"), "index", jsonl, "--index-dir", index_dir])
    if run.returncode != 0:
        raise RuntimeError(f"news-search index failed ({run.returncode}):\n{run.output}")
    stats = subprocess.run([console_script("news-search"), "stats", "--json", "--index-dir", index_dir],
                           check=True, capture_output=True, text=True)
    return run, json.loads(stats.stdout)


def passage_rows(jsonl: Path, words: int | None = None) -> list[tuple[str, str, str]]:
    """``(title, passage text, article id)`` of every passage our indexer makes of *jsonl*; with
    *words*, of each article cut into runs of about that many words instead."""
    articles = (item for item in read_articles([jsonl]) if isinstance(item, Article))
    if words:
        return [(item.title, text, item.id) for item in articles for text in peer_passages(item.body, words)]
    return [(item.title, passage.text, item.id) for item in articles for passage in split_passages(item)]


def build_fts5(rows: Iterable[tuple[str, str, str]], path: str | os.PathLike) -> sqlite3.Connection:
    """An FTS5 table ``passages(title, body, article_id)`` in the database at *path*, committed."""
    connection = sqlite3.connect(path)
    connection.execute(
        "CREATE VIRTUAL TABLE passages USING fts5(title, body, article_id UNINDEXED, tokenize='porter unicode61')"
    )
    with connection:
        connection.executemany("INSERT INTO passages (title, body, article_id) VALUES (?, ?, ?)", rows)
    return connection


def fts5_search(connection: sqlite3.Connection, text: str) -> list[tuple[str, str]]:
    """The ten best passages for *text* as ``(article id, snippet)``, as an FTS5 user would ask."""
    return connection.execute(_FTS5_SELECT, (fts5_query(text),)).fetchall()


def time_queries(run: Callable[[str], object], queries: Sequence[str], warm_passes: int = 1) -> Latency:
    """Each query timed once with *run*, after *warm_passes* untimed passes over them all to warm caches."""
    for text in itertools.chain.from_iterable(itertools.repeat(queries, warm_passes)):
        run(text)
    samples = []
    for text in queries:
        started = time.perf_counter()
        run(text)
        samples.append((time.perf_counter() - started) * 1000)
    return latency(samples)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_service(index_dir: Path, port: int, log: Path, cache: int | None = None,
                  options: Sequence[str] = ()) -> subprocess.Popen:
    """The real service under gunicorn, answering ``/api/health`` (or an error saying why not);
    *cache* sets ``NEWS_SEARCH_RESULTS_CACHE`` (``None``: the service's default), *options* are
    more of gunicorn's own."""
    env = dict(os.environ, NEWS_SEARCH_INDEX=str(index_dir))
    env.pop("NEWS_SEARCH_RESULTS_CACHE", None)
    if cache is not None:
        env["NEWS_SEARCH_RESULTS_CACHE"] = str(cache)
    with log.open("w") as out:
        process = subprocess.Popen(
            [console_script("gunicorn"), "-w", str(WORKERS), "-b", f"127.0.0.1:{port}", *options, "wsgi:app"],
            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{log.read_text()[-2000:]}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/api/health")
            if connection.getresponse().status == 200:
                return process
        except OSError:
            pass
        time.sleep(0.2)
    stop_service(process)
    raise RuntimeError(f"gunicorn did not answer /api/health within {READY_SECONDS:.0f} s")


def stop_service(process: subprocess.Popen) -> None:
    """Terminate gunicorn and wait for it (killing it if it will not go)."""
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def worker_memory(parent: int) -> dict[int, dict[str, float]]:
    """Memory of each child process of *parent*, in MB: current and peak RSS (``VmRSS``, ``VmHWM``),
    and ``Anonymous`` -- what the worker holds of its own, without the index files it maps, whose
    pages the workers share through the page cache."""
    memory = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
            if int(fields.get("PPid", "0").strip()) != parent:
                continue
            rollup = dict(line.split(":", 1) for line in (status.parent / "smaps_rollup").read_text().splitlines()
                          if ":" in line and not line.startswith(("0", "1", "2", "3", "4", "5", "6", "7", "8", "9")))
        except (OSError, ValueError):
            continue  # the process ended while we looked
        memory[int(fields["Pid"])] = {
            key: int(source[name].split()[0]) / 1024
            for key, source, name in (("rss_mb", fields, "VmRSS"), ("peak_mb", fields, "VmHWM"),
                                      ("anonymous_mb", rollup, "Anonymous"))
            if name in source
        }
    return memory


def time_http(port: int, queries: Sequence[str], warm_passes: int = HTTP_WARM_PASSES) -> Latency:
    """Each query timed through one keep-alive connection (reopened when the server closes it), after
    *warm_passes* untimed passes (see :data:`HTTP_WARM_PASSES`); ``warm_passes=0`` times each query
    the first time the service sees it."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    errors = 0

    def fetch(text: str) -> None:
        nonlocal errors
        connection.request("GET", search_path(text))
        response = connection.getresponse()
        response.read()
        errors += response.status != 200

    timed = time_queries(fetch, queries, warm_passes)
    connection.close()
    # Warm-up errors count too: the server answered them wrongly all the same.
    return Latency(timed.count, timed.p50, timed.p95, timed.mean, errors)


def http_limit(passages: int) -> float:
    """The HTTP goal for an index of *passages*: that of the nearer issue size, on a log scale."""
    return min(HTTP_LIMITS.items(), key=lambda item: abs(math.log(item[0]) - math.log(max(passages, 1))))[1]


def ratio_row(measure: str, ours: float, peer: float, limit: float | None, unit: str = "ms") -> Row:
    """A row comparing our figure with the peer's; the goal is met when ours / peer <= *limit*."""
    ratio = ours / peer if peer else None
    met = None if limit is None or ratio is None else ratio <= limit
    goal = "—" if limit is None else f"≤ {limit:g}×"
    return Row(measure, f"{ours:.2f} {unit}", f"{peer:.2f} {unit}", ratio, goal, met)


def bound_row(measure: str, value: float | None, limit: float, at_least: bool, unit: str) -> Row:
    """A row with no peer, the goal a floor (*at_least*) or a ceiling on our figure."""
    met = None if value is None else (value >= limit if at_least else value <= limit)
    shown = "not measured" if value is None else f"{value:g} {unit}".strip()
    return Row(measure, shown, "—", None, f"{'≥' if at_least else '≤'} {limit:g} {unit}".strip(), met)


def report_rows(report: Report) -> list[Row]:
    """The table's rows, goals applied."""
    ours, peer = report.in_process["news-search"], report.in_process["FTS5"]
    rows = [
        ratio_row("indexing (wall)", report.index["seconds"], report.fts5["build_seconds"], INDEXING_LIMIT, "s"),
        ratio_row("query p50, in-process", ours.p50, peer.p50, None),
        ratio_row("query p95, in-process", ours.p95, peer.p95, None),
        ratio_row("query mean, in-process", ours.mean, peer.mean, None),
    ]
    if report.http:
        limit, served = http_limit(report.passages), report.http["latency"]
        rows += [
            ratio_row("query p50, HTTP vs FTS5 in-process", served.p50, peer.p50, limit),
            ratio_row("query p95, HTTP vs FTS5 in-process", served.p95, peer.p95, limit),
        ]
        if "first_pass" in report.http:
            first = report.http["first_pass"]
            rows.append(Row("query p50 / p95 over HTTP, first pass (queries new to the workers)",
                            f"{first.p50:.2f} / {first.p95:.2f} ms", "—", None, "—", None))
    if report.load:
        errors = None if "missing" in report.load else report.load["non_2xx"] + report.load["socket_errors"]
        rows += [
            bound_row(f"load, {WORKERS} workers, every request searched: requests/s",
                      report.load.get("requests_per_second"),
                      LOAD_REQUESTS_PER_SECOND, True, "req/s"),
            bound_row("load: p99 latency", report.load.get("p99_ms"), LOAD_P99_MS, False, "ms"),
            bound_row("load: non-2xx + socket errors", errors, 0, False, ""),
        ]
    if report.load_cached and "missing" not in report.load_cached:
        cached = report.load_cached
        rows += [
            Row("load, results cache on (default): requests/s", f"{cached['requests_per_second']:g} req/s", "—",
                None, "—", None),
            Row("load, results cache on: p99; errors",
                f"{cached['p99_ms']:g} ms; {cached['non_2xx'] + cached['socket_errors']}", "—", None, "—", None),
        ]
    return rows


def table(rows: Sequence[Row]) -> str:
    """The rows as a markdown table."""
    lines = ["| measure | news-search | FTS5 | ratio | goal | met? |", "|---|---:|---:|---:|---|---|"]
    for row in rows:
        ratio = "—" if row.ratio is None else f"{row.ratio:.2f}×"
        met = "—" if row.met is None else ("met" if row.met else "not met")
        lines.append(f"| {row.measure} | {row.ours} | {row.peer} | {ratio} | {row.goal} | {met} |")
    return "\n".join(lines)


def measure_indexing(report: Report, jsonl: Path, work: Path) -> tuple[Path, sqlite3.Connection]:
    """Index with the CLI and build the FTS5 peer; returns our index directory and the peer's table."""
    index_dir = work / "index"
    run, stats = index_with_cli(jsonl, index_dir)
    report.articles, report.passages = stats["articles"], stats["passages"]
    report.index = {"seconds": run.seconds, "peak_rss_mb": run.peak_rss_mb, "summary": run.output.strip()}
    started = time.perf_counter()
    rows = passage_rows(jsonl, report.peer_passage_words)
    read_seconds = time.perf_counter() - started
    started = time.perf_counter()
    connection = build_fts5(rows, work / "fts5.sqlite")
    report.fts5 = {"read_split_seconds": read_seconds, "build_seconds": time.perf_counter() - started,
                   "passages": len(rows)}
    return index_dir, connection


def measure_queries(report: Report, index_dir: Path, connection: sqlite3.Connection) -> None:
    """Time the queries in-process through our engine and through FTS5."""
    with open_backend({"INDEX": index_dir}) as backend, backend.snapshot() as snapshot:
        report.in_process = {
            "news-search": time_queries(lambda text: search(snapshot, parse_search_params({"q": text})),
                                        report.queries),
            "FTS5": time_queries(lambda text: fts5_search(connection, text), report.queries),
        }


def measure_http(report: Report, index_dir: Path, work: Path) -> None:
    """Time the queries through gunicorn, read its workers' memory, and load it with wrk."""
    port = free_port()
    service = start_service(index_dir, port, work / "gunicorn.log", cache=0)
    try:
        first = time_http(port, report.queries, warm_passes=0)  # itself the first untimed pass
        report.http = {"latency": time_http(port, report.queries, warm_passes=HTTP_WARM_PASSES - 1),
                       "first_pass": first, "workers": worker_memory(service.pid)}
        report.load = run_load(port, report.queries, work)
    finally:
        stop_service(service)
    port = free_port()
    service = start_service(index_dir, port, work / "gunicorn-cached.log")
    try:
        report.load_cached = run_load(port, report.queries, work)
    finally:
        stop_service(service)


def print_report(report: Report) -> None:
    """The table, then memory and the notes that qualify it."""
    print(table(report_rows(report)))
    print(f"\npeak RSS of `news-search index`: {report.index['peak_rss_mb']:.0f} MB")
    for pid, memory in report.http.get("workers", {}).items():
        print(f"gunicorn worker {pid}: RSS {memory['rss_mb']:.0f} MB (peak {memory['peak_mb']:.0f} MB), "
              f"of its own (anonymous) {memory.get('anonymous_mb', float('nan')):.0f} MB")
    print(f"FTS5 peer: reading + splitting {report.fts5['read_split_seconds']:.1f} s (not in its build time), "
          f"{report.fts5['passages']} passages")
    if report.peer_passage_words:
        print(f"FTS5 peer's passages: about {report.peer_passage_words} words each; queries drawn: {report.sampling}")
    elif report.fts5["passages"] != report.passages:
        print(f"warning: our index holds {report.passages} passages, the FTS5 peer {report.fts5['passages']}")
    if report.http:
        print(f"HTTP goal for {report.passages} passages: ≤ {http_limit(report.passages):g}× "
              f"(issue: 1.5× at 30k passages, 1.0× at 300k); HTTP errors: {report.http['latency'].errors}"
              f" (first pass: {report.http['first_pass'].errors if 'first_pass' in report.http else '-'})")
    if "missing" in report.load:
        print(report.load["missing"])
    elif report.load:
        print(f"load: wrk {report.load['connections']} connections, {report.load['threads']} threads, "
              f"{report.load['seconds']} s, the {report.load['queries']} queries in turn on {report.load['url']}")


def to_json(report: Report) -> dict:
    """Every figure, for ``--json``."""
    figures = asdict(report)
    figures["rows"] = [asdict(row) for row in report_rows(report)]
    return figures


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line's options."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.speed", description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=None,
                        help="the Reuters-21578 folder's parent (default: $NEWS_SEARCH_DATA, else ../shared/data)")
    parser.add_argument("--copies", type=int, default=1, help="replicate the corpus this many times (default: 1)")
    parser.add_argument("--queries", type=int, default=QUERY_COUNT, help=f"queries to time (default: {QUERY_COUNT})")
    parser.add_argument("--sampling", choices=sorted(SAMPLINGS), default="frequent",
                        help="how queries are drawn from the titles (default: frequent)")
    parser.add_argument("--peer-passage-words", type=int, default=None, metavar="N",
                        help="cut the FTS5 peer's articles into runs of about N words (default: our passages)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this file")
    parser.add_argument("--skip-http", action="store_true", help="leave out gunicorn and the load test")
    args = parser.parse_args(argv)
    if args.copies < 1 or args.queries < 1 or (args.peer_passage_words is not None and args.peer_passage_words < 1):
        parser.error("--copies, --queries and --peer-passage-words must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Measure, print the table, optionally write the JSON."""
    args = parse_args(argv)
    started = time.perf_counter()
    articles = list(reuters_articles(args.data / "reuters21578" if args.data else None))
    queries = SAMPLINGS[args.sampling]((article["title"] for article in articles), args.queries)
    print("example queries:", ", ".join(repr(q) for q in queries[:6]), file=sys.stderr)
    report = Report(copies=args.copies, articles=0, passages=0, queries=queries, sampling=args.sampling,
                    peer_passage_words=args.peer_passage_words)
    with tempfile.TemporaryDirectory(prefix="speed-") as folder:
        work = Path(folder)
        jsonl = work / "reuters.jsonl"
        write_jsonl(articles, jsonl, copies=args.copies)
        index_dir, connection = measure_indexing(report, jsonl, work)
        measure_queries(report, index_dir, connection)
        connection.close()
        if not args.skip_http:
            measure_http(report, index_dir, work)
    print_report(report)
    print(f"\n{report.articles} articles, {report.passages} passages (copies={args.copies}); "
          f"{len(queries)} queries; run took {time.perf_counter() - started:.0f} s", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps(to_json(report), indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
