"""The speed benchmark's own logic: its queries, its percentiles, its FTS5 peer on three written
articles, the wrk report it reads and the goals its table marks. Nothing here is timed."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from benchmarks.load import parse_wrk, rotation_script
from benchmarks.speed import (
    Latency,
    Report,
    bound_row,
    build_fts5,
    fts5_search,
    http_limit,
    latency,
    make_queries,
    passage_rows,
    percentile,
    ratio_row,
    report_rows,
    sample_title_queries,
    table,
    title_words,
)

TITLES = [
    "OPEC oil output rises in March",
    "Oil prices fall as OPEC output rises",
    "Bank of Japan holds interest rates",
    "Japan trade surplus widens in March",
    "U.S. oil output falls",
    "Bank raises interest rates",
]

#: Three short stories as the indexer reads them: one JSON article per line.
ARTICLES = [
    {"id": "cocoa-1", "title": "Cocoa harvest delayed by rain in Bahia",
     "body": "Heavy rain in Bahia delayed the cocoa harvest by two weeks, exporters said on Monday.\n"
             "Dealers expect arrivals to recover in April if the weather clears."},
    {"id": "rates-1", "title": "Central bank leaves interest rates unchanged",
     "body": "The central bank left its key interest rate at 6.5 pct, citing stable inflation."},
    {"id": "steel-1", "title": "Steel output rises in March",
     "body": "Crude steel output rose four pct in March from a year earlier, the industry association said."},
]


def test_queries_repeat_and_come_in_the_count_asked():
    queries = make_queries(TITLES, count=30, seed=7)
    assert queries == make_queries(TITLES, count=30, seed=7)
    assert len(queries) == 30
    assert [len(query.split()) for query in queries[:6]] == [1, 2, 3, 1, 2, 3]


def test_queries_do_not_depend_on_title_order():
    assert make_queries(TITLES, count=12) == make_queries(list(reversed(TITLES)), count=12)


def test_queries_are_content_words_of_titles():
    vocabulary = {word for title in TITLES for word in title_words(title)}
    queries = make_queries(TITLES, count=50)
    assert {word for query in queries for word in query.split()} <= vocabulary
    assert not {"of", "in", "as", "u", "s"} & vocabulary


def test_queries_need_titles_with_words():
    with pytest.raises(ValueError):
        make_queries(["A B", "OF THE"], count=3)


def test_title_sampling_takes_adjacent_words_of_one_title_rare_or_common():
    queries = sample_title_queries(TITLES, count=60, seed=3)
    assert queries == sample_title_queries(list(reversed(TITLES)), count=60, seed=3)
    assert [len(query.split()) for query in queries[:3]] == [1, 2, 3]
    runs = {" ".join(words[i : i + size]) for words in map(title_words, TITLES)
            for size in (1, 2, 3) for i in range(len(words) - size + 1)}
    assert set(queries) <= runs
    # Not only the most frequent: a word that one title holds once is drawn too.
    assert {"surplus", "widens", "holds"} & {word for query in queries for word in query.split()}


def test_title_sampling_needs_titles_with_words():
    with pytest.raises(ValueError):
        sample_title_queries(["A B", "OF THE"], count=3)


def test_percentile_interpolates_between_ranks():
    values = [10, 1, 9, 2, 8, 3, 7, 4, 6, 5]
    assert percentile(values, 50) == 5.5
    assert percentile(values, 95) == pytest.approx(9.55)
    assert percentile(values, 0) == 1
    assert percentile(values, 100) == 10
    assert percentile([42.0], 95) == 42.0


def test_latency_summarises_samples():
    assert latency([1.0, 2.0, 3.0, 6.0]) == Latency(count=4, p50=2.5, p95=pytest.approx(5.55), mean=3.0)


def test_fts5_peer_holds_our_passages_and_answers(tmp_path: Path):
    jsonl = tmp_path / "articles.jsonl"
    jsonl.write_text("".join(json.dumps(article) + "\n" for article in ARTICLES))
    rows = passage_rows(jsonl)
    assert [article_id for _, _, article_id in rows] == ["cocoa-1", "rates-1", "steel-1"]
    connection = build_fts5(rows, tmp_path / "peer.sqlite")
    # Porter stemming: "harvests" finds "harvest"; the snippet stops at 24 tokens. Quoting keeps "OR"
    # and "-" from being read as syntax.
    assert fts5_search(connection, "harvests") == [
        ("cocoa-1", "Heavy rain in Bahia delayed the cocoa <mark>harvest</mark> by two weeks, exporters said on "
                    "Monday.\nDealers expect arrivals to recover in April if the…")
    ]
    assert sorted(article_id for article_id, _ in fts5_search(connection, "steel OR -rates")) == ["rates-1", "steel-1"]
    connection.close()
    # Committed: a fresh connection sees every row.
    fresh = sqlite3.connect(tmp_path / "peer.sqlite")
    assert fresh.execute("SELECT count(*) FROM passages").fetchone() == (3,)
    fresh.close()


def test_fts5_peer_can_cut_articles_into_runs_of_words(tmp_path: Path):
    jsonl = tmp_path / "articles.jsonl"
    long_body = " ".join(f"word{i}" for i in range(250))
    jsonl.write_text(json.dumps({"id": "long-1", "title": "A long story", "body": long_body}) + "\n")
    rows = passage_rows(jsonl, words=120)
    assert [len(text.split()) for _, text, _ in rows] == [125, 125]
    assert {(title, article_id) for title, _, article_id in rows} == {("A long story", "long-1")}
    assert " ".join(text for _, text, _ in rows) == long_body


def test_ratio_above_the_goal_is_not_met():
    row = ratio_row("query p50, HTTP vs FTS5 in-process", 3.0, 1.0, 1.5)
    assert (row.ratio, row.met) == (3.0, False)
    assert "| 3.00× | ≤ 1.5× | not met |" in table([row])


def test_ratio_within_the_goal_is_met_and_no_goal_is_a_dash():
    assert ratio_row("indexing (wall)", 20.0, 4.0, 10.0, "s").met is True
    assert table([ratio_row("query p50, in-process", 2.0, 1.0, None)]).endswith("| 2.00× | — | — |")


def test_bounds_without_a_figure_are_not_judged():
    assert bound_row("load: requests/s", 350.0, 400.0, True, "req/s").met is False
    assert bound_row("load: p99 latency", 80.0, 100.0, False, "ms").met is True
    assert bound_row("load: errors", 1, 0, False, "").met is False
    assert bound_row("load: requests/s", None, 400.0, True, "req/s").ours == "not measured"


def test_http_goal_follows_the_nearer_issue_size():
    assert http_limit(25_000) == 1.5
    assert http_limit(80_000) == 1.5
    assert http_limit(120_000) == 1.0
    assert http_limit(300_000) == 1.0


def test_rows_judge_every_goal():
    fast, slow = Latency(200, 1.0, 2.0, 1.2), Latency(200, 4.0, 9.0, 5.0)
    report = Report(copies=1, articles=3, passages=30_000, queries=["oil"],
                    index={"seconds": 50.0, "peak_rss_mb": 200.0}, fts5={"build_seconds": 2.0},
                    in_process={"news-search": slow, "FTS5": fast},
                    http={"latency": Latency(200, 1.4, 4.0, 2.0), "workers": {}},
                    load={"missing": "wrk is not on PATH"})
    judged = {row.measure: row.met for row in report_rows(report)}
    assert judged == {
        "indexing (wall)": False,  # 25x
        "query p50, in-process": None,
        "query p95, in-process": None,
        "query mean, in-process": None,
        "query p50, HTTP vs FTS5 in-process": True,  # 1.4x
        "query p95, HTTP vs FTS5 in-process": False,  # 2x
        "load, 2 workers, every request searched: requests/s": None,
        "load: p99 latency": None,
        "load: non-2xx + socket errors": None,
    }


WRK_OUTPUT = """\
Running 20s test @ http://127.0.0.1:8000/api/search?q=oil
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    40.12ms   10.01ms 210.00ms   90.00%
    Req/Sec   200.10     20.50   250.00     70.00%
  Latency Distribution
     50%   38.00ms
     75%   44.00ms
     90%   52.00ms
     99%    1.20s
  8000 requests in 20.01s, 40.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 3
  Non-2xx or 3xx responses: 4
Requests/sec:    399.80
Transfer/sec:      2.00MB
"""


def test_wrk_report_is_read():
    assert parse_wrk(WRK_OUTPUT) == {"requests_per_second": 399.8, "p99_ms": 1200.0, "non_2xx": 4, "socket_errors": 5}


def test_load_goes_through_every_query_in_turn(tmp_path: Path):
    script = rotation_script(["/api/search?q=oil", '/api/search?q=%22crude%22'], tmp_path / "rotate.lua").read_text()
    assert 'local paths = {"/api/search?q=oil", "/api/search?q=%22crude%22"}' in script
    assert "next_path % #paths + 1" in script and 'wrk.format("GET", paths[next_path])' in script
