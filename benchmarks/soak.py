"""A soak: the real service under gunicorn, a mixed load for minutes, while articles are re-indexed.

The articles (default: the bundled corpus, ``--copies`` times with distinct ids) are indexed through
the command line and served by gunicorn with 2 workers, as deployed (results cache on). For
``--minutes``, ``--clients`` closed-loop clients, each over one keep-alive connection, send a mix of

* search -- ``/api/search`` with the speed benchmark's queries (:func:`benchmarks.speed.make_queries`);
* page -- the search page, ``/?q=``;
* article -- an article's page (its related coverage included);
* related -- ``/api/articles/<id>/related``;
* feed -- ``/search.atom?q=``;

in the proportions of :data:`MIX`, while every ``--reindex-every`` seconds ``news-search index`` writes
``--changed`` articles again with a sentence added (each a replaced article, each run a new generation
the workers move to without a restart). Reported: requests, errors (anything but a 200, or no answer)
and latency (p50, p99) per kind, each re-indexing run, each worker's resident memory after a warm-up,
after each re-indexing run and at the end, and whether the last change is what the service shows. Run it with::

    python -m benchmarks.soak [--minutes 5] [--clients 4] [--reindex-every 30] [--changed 10] [--copies 1] [--json FILE]
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from benchmarks.load import search_path
from benchmarks.speed import (console_script, free_port, make_queries, percentile, run_child, start_service,
                              stop_service, worker_memory)
from index.articles import Article, read_articles
from index.indexing import BUNDLED_CORPUS

#: Each kind of request and its share of the load.
MIX = {"search": 4, "page": 2, "article": 2, "related": 1, "feed": 1}
#: The warm-up before the first memory reading, in seconds (or the whole run, when shorter).
WARM_UP_SECONDS = 10.0


@dataclass
class Tally:
    """What the clients saw of one kind of request: each answer's time (ms), and the statuses."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)

    def summary(self) -> dict:
        errors = sum(count for status, count in self.statuses.items() if status != 200)
        figures = {"requests": sum(self.statuses.values()), "errors": errors}
        if self.latencies:
            figures.update(p50_ms=round(percentile(self.latencies, 50), 1),
                           p99_ms=round(percentile(self.latencies, 99), 1))
        figures["statuses"] = {str(status): count for status, count in sorted(self.statuses.items(), key=str)}
        return figures


class Load:
    """Closed-loop clients sending the mix of requests until :meth:`stop`; tallies by kind."""

    def __init__(self, port: int, queries: Sequence[str], article_ids: Sequence[str], clients: int) -> None:
        self.port, self.queries, self.article_ids = port, list(queries), list(article_ids)
        self.tallies: dict[str, Tally] = defaultdict(Tally)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._threads = [threading.Thread(target=self._client, args=(seed,)) for seed in range(clients)]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stopping.set()
        for thread in self._threads:
            if thread.ident is not None:  # started
                thread.join()

    def path(self, kind: str, rng: random.Random) -> str:
        """A request of *kind*, its query or article drawn by *rng*."""
        query, article = quote(rng.choice(self.queries)), quote(rng.choice(self.article_ids), safe="/:")
        return {"search": search_path(rng.choice(self.queries)), "page": f"/?q={query}",
                "article": f"/articles/{article}", "related": f"/api/articles/{article}/related",
                "feed": f"/search.atom?q={query}"}[kind]

    def _client(self, seed: int) -> None:
        rng = random.Random(seed)
        kinds, weights = list(MIX), list(MIX.values())
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        while not self._stopping.is_set():
            kind = rng.choices(kinds, weights)[0]
            began = time.perf_counter()
            try:
                connection.request("GET", self.path(kind, rng))
                response = connection.getresponse()
                response.read()
                status: int | str = response.status
            except (OSError, http.client.HTTPException) as error:
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                status = type(error).__name__
            elapsed = (time.perf_counter() - began) * 1000
            with self._lock:
                self.tallies[kind].latencies.append(elapsed)
                self.tallies[kind].statuses[status] += 1
        connection.close()


def load_articles(corpus: Path, copies: int) -> list[dict]:
    """The articles of *corpus*, *copies* times with distinct ids, as JSON records."""
    records = []
    for item in read_articles([corpus]):
        if isinstance(item, Article):
            record = {key: value for key, value in item.to_json().items() if key != "path" and value is not None}
            records += [dict(record, id=f"{record['id']}~{copy}") if copies > 1 else record for copy in range(copies)]
    return records


def write_records(records: Sequence[dict], path: Path) -> Path:
    with path.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def index_file(path: Path, index_dir: Path) -> dict:
    """``news-search index PATH`` as a child process: its exit status, seconds and summary line."""
    run = run_child([console_script("news-search"), "index", path, "--index-dir", index_dir])
    return {"exit": run.returncode, "seconds": round(run.seconds, 2), "output": run.output.strip().splitlines()[-1:]}


def revise(records: Sequence[dict], count: int, revision: int, rng: random.Random) -> list[dict]:
    """*count* of *records*, each with a sentence naming *revision* added to its body (in four digits:
    the analyzer drops words of one character)."""
    return [dict(record, body=f"{record['body']}\nSoak revision {revision:04d} of this article.")
            for record in rng.sample(list(records), min(count, len(records)))]


def shows_revision(port: int, revision: int, expected: set[str]) -> bool:
    """Whether the service finds exactly the articles of the last *revision* by its sentence."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", search_path(f'"soak revision {revision:04d}"') + "&per_page=100&collapse=none")
        body = json.loads(connection.getresponse().read())
    finally:
        connection.close()
    found = {hit["article_id"] for hit in body.get("results", [])}
    return found == expected


def run_soak(work: Path, seconds: float, clients: int, reindex_every: float, changed: int,
             corpus: Path = BUNDLED_CORPUS, copies: int = 1) -> dict:
    """Index *corpus* in *work*, serve it, load it for *seconds* while re-indexing; the figures."""
    records = load_articles(corpus, copies)
    index_dir = work / "index"
    first = index_file(write_records(records, work / "articles.jsonl"), index_dir)
    if first["exit"] != 0:
        raise RuntimeError(f"indexing failed: {first['output']}")
    queries = make_queries([record.get("title", "") for record in records])
    port = free_port()
    service = start_service(index_dir, port, work / "gunicorn.log")
    load = Load(port, queries, [record["id"] for record in records], clients)
    rng, runs, revised = random.Random(1), [], (0, set())
    started = time.monotonic()
    try:
        load.start()
        time.sleep(min(WARM_UP_SECONDS, seconds / 3))  # a warm-up: the caches fill before memory is read
        memory_start = worker_memory(service.pid)
        next_run = started + reindex_every
        while next_run < started + seconds:
            time.sleep(max(0.0, next_run - time.monotonic()))  # pacing the re-indexing, not waiting for it
            revision = len(runs) + 1
            batch = revise(records, changed, revision, rng)
            runs.append({"at_s": round(time.monotonic() - started, 1),
                         **index_file(write_records(batch, work / "changes.jsonl"), index_dir),
                         "worker_rss_mb": {pid: round(m["rss_mb"], 1) for pid, m in worker_memory(service.pid).items()}})
            revised = (revision, {record["id"] for record in batch})
            next_run += reindex_every
        time.sleep(max(0.0, started + seconds - time.monotonic()))
        load.stop()
        memory_end = worker_memory(service.pid)
        current = shows_revision(port, *revised) if runs else None
    finally:
        load.stop()
        stop_service(service)
    tallies = {kind: load.tallies[kind].summary() for kind in MIX}
    every = [latency for tally in load.tallies.values() for latency in tally.latencies]
    return {
        "seconds": seconds, "clients": clients, "articles": len(records), "reindex_every_s": reindex_every,
        "changed_per_run": changed, "by_kind": tallies,
        "total": {"requests": sum(t["requests"] for t in tallies.values()),
                  "errors": sum(t["errors"] for t in tallies.values()),
                  "p99_ms": round(percentile(every, 99), 1) if every else None},
        "reindex_runs": runs, "reindex_failures": sum(run["exit"] != 0 for run in runs),
        "serves_last_revision": current,
        "worker_rss_mb": {"start": {pid: round(m["rss_mb"], 1) for pid, m in memory_start.items()},
                          "end": {pid: round(m["rss_mb"], 1) for pid, m in memory_end.items()}},
    }


def print_report(report: dict) -> None:
    print(f"{report['articles']:,} articles, gunicorn 2 workers, {report['clients']} clients, "
          f"{report['seconds'] / 60:g} min, {report['changed_per_run']} articles re-indexed every "
          f"{report['reindex_every_s']:g} s\n")
    print("| kind | requests | errors | p50 ms | p99 ms |")
    print("|---|---:|---:|---:|---:|")
    for kind, figures in [*report["by_kind"].items(), ("all", report["total"])]:
        print(f"| {kind} | {figures['requests']:,} | {figures['errors']} | {figures.get('p50_ms', '')} | "
              f"{figures.get('p99_ms', '')} |")
    runs = report["reindex_runs"]
    seconds = [run["seconds"] for run in runs]
    print(f"\nre-indexing runs: {len(runs)}, failed: {report['reindex_failures']}"
          + (f", {min(seconds)}–{max(seconds)} s each" if runs else ""))
    print(f"the service shows the last revision: {report['serves_last_revision']}")
    start, end = report["worker_rss_mb"]["start"], report["worker_rss_mb"]["end"]
    for pid in sorted(set(start) | set(end)):
        during = ", ".join(str(run["worker_rss_mb"].get(pid, "—")) for run in runs)
        print(f"worker {pid}: RSS {start.get(pid, '—')} MB after the warm-up, {end.get(pid, '—')} MB at the end"
              + (f" (after each re-indexing run: {during})" if runs else ""))


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak", description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=5.0, help="length of the run (default: 5)")
    parser.add_argument("--clients", type=int, default=4, help="closed-loop clients (default: 4)")
    parser.add_argument("--reindex-every", type=float, default=30.0, help="seconds between re-indexing runs (default: 30)")
    parser.add_argument("--changed", type=int, default=10, help="articles changed per run (default: 10)")
    parser.add_argument("--corpus", type=Path, default=BUNDLED_CORPUS, help="article files (default: the bundled corpus)")
    parser.add_argument("--copies", type=int, default=1, help="replicate the articles this many times (default: 1)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this file")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="news-search-soak-") as tmp:
        report = run_soak(Path(tmp), args.minutes * 60, args.clients, args.reindex_every, args.changed,
                          args.corpus, args.copies)
    print_report(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0 if report["total"]["errors"] == 0 and report["reindex_failures"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
