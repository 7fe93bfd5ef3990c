"""The SphinxQL backend on a local cluster beside the Whoosh backend, at growing sizes, in one run.

For each size (Reuters-21578 replicated with distinct ids, ``--copies``), both backends get the same
articles through ``news-search index`` as a child process, then serve them through the real service
under gunicorn (2 workers, results cache off):

* indexing -- wall time and the indexer's peak RSS (and, for the cluster, the ``searchd`` nodes' RSS);
* parity -- the top-10 articles of each query, the share both backends list (in-process);
* queries over HTTP -- p50/p95 through one keep-alive connection;
* load -- ``wrk`` through the same queries: requests/s, p99, errors; each worker's memory after it;
* faults (the largest size, ``--fault-seconds`` per phase) -- clients searching throughout while the
  only copy of shard 1 is stopped and started again, then one of the two copies of shard 0: the
  answers per phase, errors (any status but 200), answers that warn that results are incomplete.

The cluster has two shards, the first mirrored (three data nodes and a head, all on this machine).
Run it with::

    python -m benchmarks.cluster [--data DIR] [--copies 10,30] [--queries 200] [--json FILE]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from benchmarks.corpora import reuters_articles, write_jsonl
from benchmarks.load import run_load, search_path
from benchmarks.speed import (
    console_script,
    free_port,
    make_queries,
    run_child,
    start_service,
    stop_service,
    time_http,
    worker_memory,
)
from search.backends import open_backend
from search.engine import search
from search.params import parse_search_params
from search.sphinxql_backend.cluster import node_pids, running_cluster, start_node, stop_node
from search.sphinxql_backend.config import Cluster

SHARDS, MIRRORS = 2, 1
FAULT_CLIENTS = 4


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """``os.environ`` with *values* set for the block (the service and the indexer are child processes)."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def cluster_env(cluster: Cluster) -> dict[str, str]:
    return {"NEWS_SEARCH_BACKEND": "sphinxql", "NEWS_SEARCH_SPHINXQL": cluster.head,
            "NEWS_SEARCH_CLUSTER": str(cluster.path)}


def searchd_memory(cluster: Cluster) -> dict[str, float]:
    """Resident memory of each node's ``searchd`` processes, in MB."""
    memory = {}
    for node in cluster.nodes:
        total = 0.0
        for pid in node_pids(node.config):
            try:
                fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
                total += int(fields["VmRSS"].split()[0]) / 1024
            except (OSError, KeyError, ValueError):
                continue
        memory[node.name] = round(total, 1)
    return memory


def index(jsonl: Path, settings: dict[str, str]) -> dict:
    """``news-search index`` over *jsonl* as a child process, with *settings* in its environment."""
    run = run_child([console_script("news-search"), "index", jsonl], env=dict(os.environ, **settings))
    if run.returncode != 0:
        raise RuntimeError(f"news-search index failed ({run.returncode}):\n{run.output[-3000:]}")
    return {"seconds": round(run.seconds, 1), "peak_rss_mb": round(run.peak_rss_mb, 1), "summary": run.output.strip()}


def top_ids(settings: dict, queries: Sequence[str]) -> list[list[str]]:
    with open_backend(settings) as backend, backend.snapshot() as snapshot:
        return [[hit.article_id for hit in search(snapshot, parse_search_params({"q": text})).hits] for text in queries]


def overlap(first: list[list[str]], second: list[list[str]], copies: int = 1) -> float:
    """The mean share of each query's top 10 that both backends list. With *copies* of every article
    (ids ending ``-N``), copies of one article count as one: they tie, and each backend shows one of
    them per story, not always the same one.

    >>> overlap([["a", "b"], ["c"], []], [["b", "a"], ["d"], []])
    0.5
    >>> overlap([["a-0", "b-1"]], [["b-3", "a-2"]], copies=2)
    1.0
    """
    if copies > 1:
        first, second = ([[name.rsplit("-", 1)[0] for name in ids] for ids in lists] for lists in (first, second))
    shares = [len(set(a) & set(b)) / max(len(a), len(b)) for a, b in zip(first, second) if a or b]
    return round(statistics.mean(shares), 3) if shares else 1.0


def serve(label: str, settings: dict[str, str], index_dir: Path, queries: Sequence[str], work: Path) -> dict:
    """HTTP latency, load and workers' memory of the service over one backend."""
    port = free_port()
    with environment(settings):
        service = start_service(index_dir, port, work / f"gunicorn-{label}.log", cache=0)
    try:
        timed = time_http(port, queries)
        load = run_load(port, queries, work)
        load.pop("output", None)
        return {"http": vars(timed), "load": load, "workers": worker_memory(service.pid)}
    finally:
        stop_service(service)


def client(port: int, queries: Sequence[str], offset: int, stop: threading.Event, answers: list, lock: threading.Lock) -> None:
    """Search in turn until *stop*; each answer as (time, status, whether it warned of missing results)."""
    number = offset
    while not stop.is_set():
        text = queries[number % len(queries)]
        number += 1
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("GET", search_path(text))
            response = connection.getresponse()
            body = response.read()
            connection.close()
            warned = response.status == 200 and any("did not answer" in w for w in json.loads(body)["warnings"])
            answer = (time.monotonic(), response.status, warned)
        except OSError:
            answer = (time.monotonic(), 0, False)
        with lock:
            answers.append(answer)


def faults(cluster: Cluster, index_dir: Path, queries: Sequence[str], work: Path, seconds: float) -> list[dict]:
    """Clients searching through the service while nodes are stopped and started: each phase's answers."""
    port = free_port()
    with environment(cluster_env(cluster)):
        service = start_service(index_dir, port, work / "gunicorn-faults.log", cache=0)
    stop, lock, answers = threading.Event(), threading.Lock(), []
    threads = [threading.Thread(target=client, args=(port, queries, n * 37, stop, answers, lock))
               for n in range(FAULT_CLIENTS)]
    lone, mirror = cluster.node(cluster.shards[1].copies[0].node), cluster.node(cluster.shards[0].copies[1].node)
    phases = [("all nodes up", None, None), (f"{lone.name} (shard 1's only copy) stopped", stop_node, lone),
              (f"{lone.name} started again", start_node, lone),
              (f"{mirror.name} (one of shard 0's two copies) stopped", stop_node, mirror),
              (f"{mirror.name} started again", start_node, mirror)]
    marks = []
    for thread in threads:
        thread.start()
    try:
        for name, action, node in phases:
            if action is not None:
                action(node)
            marks.append((name, time.monotonic()))
            stop.wait(seconds)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
        stop_service(service)
        for node in cluster.nodes:
            if not node_pids(node.config):
                start_node(node)
    report = []
    for number, (name, began) in enumerate(marks):
        ended = marks[number + 1][1] if number + 1 < len(marks) else float("inf")
        phase = [answer for answer in answers if began <= answer[0] < ended]
        report.append({"phase": name, "answers": len(phase), "errors": sum(status != 200 for _, status, _ in phase),
                       "incomplete": sum(warned for _, _, warned in phase)})
    return report


def measure_size(data: Path | None, copies: int, queries_wanted: int, work: Path, fault_seconds: float | None) -> dict:
    """Every figure for Reuters-21578 times *copies*."""
    jsonl = work / "articles.jsonl"
    articles = list(reuters_articles(data))
    count = write_jsonl(articles, jsonl, copies)
    queries = make_queries([article["title"] for article in articles], queries_wanted)
    index_dir = work / "index"
    report: dict = {"copies": copies, "articles": count, "queries": len(queries)}
    report["whoosh_index"] = index(jsonl, {"NEWS_SEARCH_BACKEND": "whoosh", "NEWS_SEARCH_INDEX": str(index_dir)})
    with running_cluster(work / "cluster", shards=SHARDS, mirrors=MIRRORS) as cluster:
        report["cluster_index"] = index(jsonl, cluster_env(cluster))
        report["searchd_mb"] = searchd_memory(cluster)
        whoosh_top = top_ids({"BACKEND": "whoosh", "INDEX": str(index_dir)}, queries)
        # The head named too: a NEWS_SEARCH_SPHINXQL of the caller's must not send these searches elsewhere.
        cluster_top = top_ids({"BACKEND": "sphinxql", "SPHINXQL": cluster.head, "CLUSTER": str(cluster.path)}, queries)
        report["top10_overlap"] = overlap(whoosh_top, cluster_top, copies)
        report["whoosh"] = serve("whoosh", {"NEWS_SEARCH_BACKEND": "whoosh"}, index_dir, queries, work)
        report["cluster"] = serve("cluster", cluster_env(cluster), index_dir, queries, work)
        report["searchd_mb_after_load"] = searchd_memory(cluster)
        if fault_seconds:
            report["faults"] = faults(cluster, index_dir, queries, work, fault_seconds)
    return report


def print_report(reports: list[dict]) -> None:
    print("| Reuters-21578 | backend | indexing | indexer peak | p50 / p95 over HTTP | load: req/s, p99, errors | memory |")
    print("| --- | --- | ---: | ---: | ---: | --- | --- |")
    for report in reports:
        size = f"×{report['copies']} ({report['articles']:,} articles)"
        for name, key in (("Whoosh", "whoosh"), ("cluster", "cluster")):
            indexed, served = report[f"{key}_index"], report[key]
            load = served["load"]
            workers = ", ".join(f"{worker['rss_mb']:.0f}" for worker in served["workers"].values())
            memory = f"workers {workers} MB"
            if key == "cluster":
                memory += f"; searchd {sum(report['searchd_mb_after_load'].values()):.0f} MB in all"
            errors = load.get("non_2xx", 0) + load.get("socket_errors", 0)
            print(f"| {size} | {name} | {indexed['seconds']:.0f} s | {indexed['peak_rss_mb']:.0f} MB | "
                  f"{served['http']['p50']:.1f} / {served['http']['p95']:.1f} ms | "
                  f"{load.get('requests_per_second') or 0:.0f}, {load.get('p99_ms') or 0:.0f} ms, {errors} | {memory} |")
        print(f"| {size} | top-10 overlap | {report['top10_overlap']:.3f} | | | | |")
    for report in reports:
        for phase in report.get("faults", []):
            print(f"  ×{report['copies']} {phase['phase']}: {phase['answers']} answers, {phase['errors']} errors, "
                  f"{phase['incomplete']} incomplete")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cluster", description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=None, help="the shared data (default: $NEWS_SEARCH_DATA or ../shared/data)")
    parser.add_argument("--copies", default="10,30", help="sizes, as copies of Reuters-21578 (default: 10,30)")
    parser.add_argument("--queries", type=int, default=200, help="queries to time (default: 200)")
    parser.add_argument("--fault-seconds", type=float, default=15.0,
                        help="length of each fault phase, on the largest size (default: 15; 0: none)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this file")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = [int(part) for part in args.copies.split(",") if part.strip()]
    reports = []
    for number, copies in enumerate(sizes):
        with tempfile.TemporaryDirectory(prefix="news-search-cluster-") as work:
            last = number == len(sizes) - 1
            reports.append(measure_size(args.data, copies, args.queries, Path(work),
                                        args.fault_seconds if last else None))
        print(json.dumps(reports[-1]), file=sys.stderr, flush=True)
    print_report(reports)
    if args.json:
        args.json.write_text(json.dumps(reports, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
