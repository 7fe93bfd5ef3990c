"""Re-indexing while the service is busy: real processes -- gunicorn serving the app, a running
``news-search index`` -- and client threads querying throughout. No request fails, no result set
empties during the swap, and new articles become searchable without a restart."""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
VOCABULARY = ("harbor ferry council budget river bridge election market grain drought school storm "
              "railway festival museum hospital factory strike court minister police airport").split()


def write_feed(path: Path, first: int, count: int, marker: str = "") -> Path:
    """*count* synthetic articles (ids from *first*), each mentioning "harbor"; *marker* in each body."""
    chooser = random.Random(first)
    with path.open("w", encoding="utf-8") as feed:
        for number in range(first, first + count):
            words = " ".join(chooser.choice(VOCABULARY) for _ in range(90))
            body = f"The harbor authority said {marker} on Monday. {words.capitalize()}.\n{words}."
            feed.write(json.dumps({"id": f"story-{number}", "title": f"Story {number}", "body": body}) + "\n")
    return path


def news_search(*args: object) -> subprocess.CompletedProcess:
    return subprocess.run([BIN / "news-search", *map(str, args)], capture_output=True, text=True, timeout=600)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def total(base: str, query: str, group: str = "article") -> int:
    with urllib.request.urlopen(f"{base}/api/search?q={query}&per_page=1&group={group}", timeout=30) as response:
        return json.load(response)["total"]


class Clients:
    """Threads that search the service until stopped, recording every status and total."""

    def __init__(self, base: str, threads: int = 4) -> None:
        self.base, self.stop = base, threading.Event()
        self.statuses: Counter[int] = Counter()
        self.totals: list[tuple[str, int]] = []
        self.errors: list[str] = []
        self.threads = [threading.Thread(target=self.run) for _ in range(threads)]

    def run(self) -> None:
        while not self.stop.is_set():
            for group in ("article", "passage"):
                self.search(group)

    def search(self, group: str) -> None:
        """One search for "harbor", its total recorded as (group, total)."""
        url = f"{self.base}/api/search?q=harbor&per_page=3&group={group}"
        try:
            with urllib.request.urlopen(url, timeout=60) as answer:
                self.statuses[answer.status] += 1
                self.totals.append((group, json.load(answer)["total"]))
        except urllib.error.HTTPError as error:
            self.statuses[error.code] += 1
        except OSError as error:  # refused or reset connections count as failures too
            self.errors.append(repr(error))

    def __enter__(self) -> "Clients":
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join()


@pytest.fixture()
def service(tmp_path):
    """gunicorn with 2 workers over an index of 600 articles; yields (base URL, index dir)."""
    index_dir = tmp_path / "index"
    built = news_search("index", write_feed(tmp_path / "first.jsonl", 0, 600), "--index-dir", index_dir)
    assert built.returncode == 0, built.stderr
    port = free_port()
    env = {**os.environ, "NEWS_SEARCH_INDEX": str(index_dir)}
    with subprocess.Popen([BIN / "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "wsgi:app"], cwd=REPO,
                          env=env, stderr=subprocess.PIPE, text=True, start_new_session=True) as server:
        booted = 0
        for line in server.stderr:  # gunicorn says when each worker is up
            booted += "Booting worker" in line
            if booted == 2:
                break
        assert booted == 2, "gunicorn did not start its workers"
        # Keep reading its log, so that a full pipe never stalls the server.
        threading.Thread(target=server.stderr.read, daemon=True).start()
        try:
            yield f"http://127.0.0.1:{port}", index_dir
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=60)


def wait_for(condition, seconds: float = 60.0) -> bool:
    """Whether *condition* becomes true within *seconds* (checked as the service answers)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
    return False


def test_a_large_update_and_a_rebuild_under_load(service, tmp_path):
    base, index_dir = service
    before = {group: total(base, "harbor", group) for group in ("article", "passage")}
    assert before["article"] == 600
    with Clients(base) as clients:
        update = news_search("index", write_feed(tmp_path / "more.jsonl", 600, 1500, marker="zephyrine"),
                             "--index-dir", index_dir)
        assert update.returncode == 0, update.stderr
        assert wait_for(lambda: total(base, "zephyrine") == 1500), "new articles never became searchable"
        after = {group: total(base, "harbor", group) for group in ("article", "passage")}
        assert after["article"] == 2100
        rebuild = news_search("index", tmp_path / "first.jsonl", tmp_path / "more.jsonl",
                              "--index-dir", index_dir, "--rebuild")
        assert rebuild.returncode == 0, rebuild.stderr
        assert wait_for(lambda: news_search("stats", "--json", "--index-dir", index_dir).stdout.count('"generation": 3'))
        settled = {group: total(base, "harbor", group) for group in ("article", "passage")}
    assert clients.errors == []
    assert set(clients.statuses) == {200} and clients.statuses[200] >= 20
    # Every answer saw one whole generation -- the first index, or it with all the new articles --
    # and never the passages of a replaced generation beside the new ones.
    assert settled == after
    assert set(clients.totals) <= set(before.items()) | set(after.items()), Counter(clients.totals)
