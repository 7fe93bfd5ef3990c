"""The soak benchmark's own run, for a few seconds: the real service under gunicorn answers every
kind of request of the mix while articles are re-indexed, and serves the last change. Nothing here
is timed."""

from __future__ import annotations

from pathlib import Path

from benchmarks.soak import MIX, run_soak


def test_a_short_soak_answers_everything_while_articles_are_re_indexed(corpus: Path, tmp_path: Path):
    report = run_soak(tmp_path, seconds=4, clients=2, reindex_every=1, changed=3, corpus=corpus)
    assert set(report["by_kind"]) == set(MIX)
    for kind, figures in report["by_kind"].items():
        assert figures["requests"] > 0 and figures["errors"] == 0, (kind, figures)
    assert report["reindex_runs"] and report["reindex_failures"] == 0, report["reindex_runs"]
    assert all("3 updated" in run["output"][0] for run in report["reindex_runs"]), report["reindex_runs"]
    assert report["serves_last_revision"] is True
    assert len(report["worker_rss_mb"]["start"]) == len(report["worker_rss_mb"]["end"]) == 2
