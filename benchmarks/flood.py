"""Fair under a flood: ordinary searches while other clients send costly ones, against the real service.

Reuters-21578, replicated (``--copies``, 20 by default: 380,860 articles) with distinct ids, is
indexed (or an index already built from it is named with ``--index-dir``) and served by gunicorn
with 2 workers, the results cache off so that every request searches. Then, for ``--seconds`` each:

* quiet -- ``--ordinary`` clients send the speed benchmark's queries (:func:`benchmarks.speed.make_queries`);
* flood -- the same clients again, while ``--costly`` other clients send costly but valid queries in
  a loop: short prefixes (``co*``, ``st*``, ...) and long ``OR`` queries of frequent words.

Every client is a closed loop over one keep-alive connection. Reported: the ordinary queries' p50
and p95 in both phases and their ratio (goal: flood p95 at most 2x quiet p95), the costly queries'
latencies, and every response by status (goal: no 5xx at all). Run it with::

    python -m benchmarks.flood [--data DIR] [--copies 20] [--index-dir DIR] [--seconds 60] [--json FILE]
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.corpora import reuters_articles, write_jsonl
from benchmarks.load import search_path
from benchmarks.speed import (QUERY_COUNT, free_port, index_with_cli, make_queries, percentile, start_service,
                              stop_service, worker_memory)

#: Prefixes of two letters that stand for many words of the news (the commonest first letters).
COSTLY_PREFIXES = ("co*", "st*", "pr*", "re*", "ma*", "in*", "de*", "ex*", "tr*", "ba*", "se*", "pa*")
#: Frequent words OR-ed into long queries.
OR_WORDS = ("oil", "gas", "coal", "wheat", "corn", "gold", "silver", "copper", "trade", "bank", "rates",
            "dollar", "yen", "prices", "shares", "profit")
#: The goal: under the flood, the ordinary queries' p95 at most this many times their quiet p95.
P95_LIMIT = 2.0


def costly_queries() -> list[str]:
    """Prefix queries and long OR queries (eight words each, the window moving over :data:`OR_WORDS`)."""
    ors = [" OR ".join((OR_WORDS * 2)[i : i + 8]) for i in range(0, len(OR_WORDS), 2)]
    return [query for pair in zip(COSTLY_PREFIXES, ors + ors) for query in pair]


@dataclass
class Outcome:
    """What one kind of client saw: each answer's time (ms) and status."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)

    def summary(self) -> dict:
        return {"requests": len(self.latencies), "p50_ms": round(percentile(self.latencies, 50), 1),
                "p95_ms": round(percentile(self.latencies, 95), 1), "p99_ms": round(percentile(self.latencies, 99), 1),
                "statuses": {str(status): count for status, count in sorted(self.statuses.items(), key=str)}}


def client_loop(port: int, queries: Sequence[str], start: int, until: float, outcome: Outcome, lock: threading.Lock) -> None:
    """Send *queries* in turn from *start* over one keep-alive connection until the clock passes *until*."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    turn = start
    while time.monotonic() < until:
        path = search_path(queries[turn % len(queries)])
        turn += 1
        began = time.perf_counter()
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            status: int | str = response.status
        except (OSError, http.client.HTTPException) as error:
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            status = type(error).__name__
        elapsed = (time.perf_counter() - began) * 1000
        with lock:
            outcome.latencies.append(elapsed)
            outcome.statuses[status] += 1
    connection.close()


def run_phase(port: int, seconds: float, groups: dict[str, tuple[int, Sequence[str]]]) -> dict[str, Outcome]:
    """Run every group of clients (name -> (clients, queries)) at once for *seconds*."""
    until = time.monotonic() + seconds
    outcomes = {name: Outcome() for name in groups}
    lock = threading.Lock()
    threads = [threading.Thread(target=client_loop, args=(port, queries, number * 7, until, outcomes[name], lock))
               for name, (clients, queries) in groups.items() for number in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def build_index(data: Path | None, copies: int, work: Path) -> tuple[Path, list[str]]:
    """Reuters-21578 ×*copies* indexed through the CLI; the index and the titles."""
    articles = list(reuters_articles(data / "reuters21578" if data else None))
    jsonl = work / "reuters.jsonl"
    write_jsonl(articles, jsonl, copies=copies)
    index_dir = work / "index"
    index_with_cli(jsonl, index_dir)
    return index_dir, [article["title"] for article in articles]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.flood", description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=None, help="the shared data (default: $NEWS_SEARCH_DATA or ../shared/data)")
    parser.add_argument("--copies", type=int, default=20, help="replicate Reuters-21578 this many times (default: 20)")
    parser.add_argument("--index-dir", type=Path, default=None,
                        help="an index already built from Reuters-21578 ×copies (skips indexing)")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each phase (default: 60)")
    parser.add_argument("--ordinary", type=int, default=8, help="clients sending ordinary queries (default: 8)")
    parser.add_argument("--costly", type=int, default=8, help="clients sending costly queries (default: 8)")
    parser.add_argument("--gunicorn", default="", help="more gunicorn options, as one string")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this file")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="news-search-flood-") as tmp:
        work = Path(tmp)
        if args.index_dir:
            index_dir = args.index_dir
            titles = [article["title"] for article in reuters_articles(args.data / "reuters21578" if args.data else None)]
        else:
            index_dir, titles = build_index(args.data, args.copies, work)
        ordinary, costly = make_queries(titles, QUERY_COUNT), costly_queries()
        port = free_port()
        service = start_service(index_dir, port, work / "gunicorn.log", cache=0, options=args.gunicorn.split())
        try:
            run_phase(port, min(args.seconds, 10.0), {"warm-up": (args.ordinary, ordinary + costly)})
            quiet = run_phase(port, args.seconds, {"ordinary": (args.ordinary, ordinary)})
            flood = run_phase(port, args.seconds, {"ordinary": (args.ordinary, ordinary), "costly": (args.costly, costly)})
            memory = worker_memory(service.pid)
        finally:
            stop_service(service)
    report = {
        "copies": args.copies, "seconds": args.seconds, "clients": {"ordinary": args.ordinary, "costly": args.costly},
        "quiet": {name: outcome.summary() for name, outcome in quiet.items()},
        "flood": {name: outcome.summary() for name, outcome in flood.items()},
        "worker_memory_mb": memory,
    }
    quiet_p95, flood_p95 = report["quiet"]["ordinary"]["p95_ms"], report["flood"]["ordinary"]["p95_ms"]
    server_errors = sum(count for phase in (quiet, flood) for outcome in phase.values()
                        for status, count in outcome.statuses.items() if not (isinstance(status, int) and status < 500))
    report["p95_ratio"] = round(flood_p95 / quiet_p95, 2) if quiet_p95 else None
    report["server_errors"] = server_errors
    report["met"] = bool(report["p95_ratio"] is not None and report["p95_ratio"] <= P95_LIMIT and server_errors == 0)
    print_report(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


def print_report(report: dict) -> None:
    print(f"Reuters-21578 ×{report['copies']}, gunicorn 2 workers, results cache off, "
          f"{report['clients']['ordinary']} ordinary + {report['clients']['costly']} costly clients, "
          f"{report['seconds']:g} s per phase\n")
    print("| phase | queries | requests | p50 ms | p95 ms | p99 ms | statuses |")
    print("|---|---|---:|---:|---:|---:|---|")
    for phase in ("quiet", "flood"):
        for name, figures in report[phase].items():
            statuses = ", ".join(f"{status}: {count:,}" for status, count in figures["statuses"].items())
            print(f"| {phase} | {name} | {figures['requests']:,} | {figures['p50_ms']} | {figures['p95_ms']} | "
                  f"{figures['p99_ms']} | {statuses} |")
    print(f"\nordinary p95, flood / quiet: {report['p95_ratio']}× (goal ≤ {P95_LIMIT:g}×); "
          f"5xx and failed requests: {report['server_errors']} (goal 0) — {'met' if report['met'] else 'not met'}")
    print(f"worker memory (MB): {json.dumps(report['worker_memory_mb'])}")


if __name__ == "__main__":
    sys.exit(main())
