"""A disk that fills up while indexing: the run stops with a clear message and exit status 1, the last
committed generation stays searchable, nothing of the run is left taking space, and the next run, with
space, completes the job.

The disk is real: a small tmpfs mounted for the test (root, as CI runs; skipped where mounting is not
permitted, failed instead with ``NEWS_SEARCH_REQUIRE_MOUNT=1``) and unmounted whatever happens.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from index.articles import read_articles
from index.cli import cli
from index.indexing import BUNDLED_CORPUS
from index.store.files import generation_names, newest_generation
from index.writer import update_index
from search import create_app
from tests.conftest import write_corpus

#: Room for the test articles' index (about 100 kB) but not for the bundled corpus's (about 10 MB).
SMALL = "1m"
#: Room for both.
LARGE = "64m"


@contextmanager
def small_disk(mountpoint: Path, size: str) -> Iterator[Path]:
    """A tmpfs of *size* mounted at *mountpoint*, unmounted on the way out."""
    mountpoint.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mountpoint)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        reason = f"cannot mount a tmpfs here, which these tests fill up: {mounted.stderr.strip()}"
        if os.environ.get("NEWS_SEARCH_REQUIRE_MOUNT") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "--lazy", str(mountpoint)], check=True)


def resize(mountpoint: Path, size: str) -> None:
    """Give the tmpfs at *mountpoint* the room *size* (the operator freeing space)."""
    subprocess.run(["mount", "-o", f"remount,size={size}", str(mountpoint)], check=True)


def committed_files(index_dir: Path) -> set[str]:
    """The newest generation's files, its table of contents and checksums and the lock file: all a
    finished run leaves."""
    generation = newest_generation(index_dir)
    names, toc = generation_names(index_dir, generation)
    return {*names, toc, f"_MAIN_{generation}.sha256", "MAIN_WRITELOCK"}


def searched(client) -> dict:
    body = client.get("/api/search?q=missiles").get_json()
    body.pop("took_ms")
    return body


def test_a_full_disk_stops_the_run_and_keeps_the_last_generation(runner, tmp_path):
    corpus = write_corpus(tmp_path / "corpus")
    with small_disk(tmp_path / "disk", SMALL) as disk:
        index_dir = disk / "index"
        result = runner.invoke(cli, ["index", str(corpus), "--index-dir", str(index_dir)])
        assert result.exit_code == 0, result.output
        app = create_app({"TESTING": True, "INDEX": str(index_dir)})
        try:
            client = app.test_client()
            before = searched(client)

            result = runner.invoke(cli, ["index", str(BUNDLED_CORPUS), "--index-dir", str(index_dir)])
            assert result.exit_code == 1
            assert isinstance(result.exception, SystemExit), result.exception  # a message, not a traceback
            assert result.output == (
                f"Error: no space left on the device holding {index_dir}: this run was not committed and the "
                "index stays at generation 1; free some space and run it again\n")
            assert set(os.listdir(index_dir)) == committed_files(index_dir)  # the run's files are gone
            assert searched(client) == before
            assert client.get("/api/health").get_json()["generation"] == 1
            assert runner.invoke(cli, ["check", "--index-dir", str(index_dir)]).exit_code == 0

            resize(disk, LARGE)
            result = runner.invoke(cli, ["index", str(BUNDLED_CORPUS), "--index-dir", str(index_dir)])
            assert result.exit_code == 0, result.output
            assert result.output.startswith("294 articles read: 293 added, 1 updated"), result.output
            health = client.get("/api/health").get_json()  # the running service moves to it
            assert (health["generation"], health["articles"]) == (2, 300)
        finally:
            app.extensions["news_search"].close()


def test_a_full_disk_stops_a_run_with_sub_writer_processes(tmp_path):
    corpus = write_corpus(tmp_path / "corpus")
    with small_disk(tmp_path / "disk", SMALL) as disk:
        index_dir = disk / "index"
        update_index(index_dir, read_articles([corpus]))
        kept = committed_files(index_dir)

        with pytest.raises(Exception) as stopped:
            update_index(index_dir, read_articles([BUNDLED_CORPUS]), procs=2)
        assert stopped.value.code == "disk_full", repr(stopped.value)
        assert set(os.listdir(index_dir)) == kept

        resize(disk, LARGE)
        summary = update_index(index_dir, read_articles([BUNDLED_CORPUS]), procs=2)
        assert summary.committed and summary.added == 293 and summary.generation == 2


def test_a_full_disk_before_the_first_commit_leaves_no_index(runner, tmp_path):
    with small_disk(tmp_path / "disk", "200k") as disk:
        index_dir = disk / "index"
        result = runner.invoke(cli, ["index", str(BUNDLED_CORPUS), "--index-dir", str(index_dir)])
        assert result.exit_code == 1
        assert result.output == (f"Error: no space left on the device holding {index_dir}: this run was not "
                                 "committed and no index was written; free some space and run it again\n")
        assert not index_dir.exists()
