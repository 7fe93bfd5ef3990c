"""``news-search index`` when things go wrong: killed, interrupted, run twice at once, fed huge input.

Every test drives the real command in its own processes, on a real index in ``tmp_path``:

* a killed run leaves the last commit readable and searchable, the write lock free and no process
  behind, and running it again completes -- with one writer process and with the sub-writers of a
  bulk build;
* an interrupted bulk run ends its sub-writers and exits;
* of two runs at once, the second is refused, and after a retry the index holds every article once;
* a 100 MB ``.jsonl`` file is read in bounded memory, and a 50 MB article is skipped, not fatal.

Processes are watched through ``/proc``, so these tests run on Linux only.
"""

from __future__ import annotations

import errno
import itertools
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from index.indexing import BULK_BYTES
from index.store import open_index
from index.store.parallel import PARALLEL_BATCH

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="watches processes through /proc")

REPO = Path(__file__).resolve().parent.parent
NEWS_SEARCH = str(Path(sys.executable).parent / "news-search")

SUMMARY = re.compile(r"^(\d+) articles? read: (\d+) added, (\d+) updated, (\d+) unchanged, (\d+) deleted, "
                     r"(\d+) skipped; (\d+) passages? written in \d+\.\d s$")

#: The words synthetic articles are made of; "lighthouse" is kept for the articles committed first.
VOCABULARY = (
    "harbor council minister election market shares rally storm flood bridge railway budget inflation "
    "school hospital court verdict league season coach striker museum festival drought harvest farmers "
    "export tariff pipeline refinery airline strike union wages senate treaty border ceasefire summit "
    "embassy satellite launch vaccine clinic research mayor ferry reservoir shipyard orchestra"
).split()

#: Articles in the index before the run that is killed; each has "lighthouse" in its title.
COMMITTED = 40
#: Input for a run that one writer process indexes in a few seconds.
ONE_PROCESS_BYTES = 3 * 2**20
#: Uncommitted data a run has written when it is killed: about a third of the way through that input.
MID_RUN_BYTES = 2**20
#: Peak resident memory allowed for streaming through a 100 MB .jsonl file, in MB; reading the file
#: whole into a list of articles needs well over this (about 200 MB here).
STREAMING_PEAK_MB = 150


def write_articles(path: Path, size: int = 0, *, seed: int, count: int = 0, title: str = "Report") -> int:
    """Write readable synthetic articles, about 850 bytes each, to the .jsonl file *path*: at least *size*
    bytes and at least *count* articles.

    :return: how many articles were written.
    """
    rng = random.Random(seed)
    sentences = [" ".join(rng.choices(VOCABULARY, k=12)).capitalize() + "." for _ in range(500)]
    written = 0
    with path.open("w", encoding="utf-8") as file:
        for number in itertools.count():
            if written >= size and number >= count:
                return number
            body = "\n".join(" ".join(rng.choices(sentences, k=4)) for _ in range(2))
            record = {"id": f"{path.stem}-{number}", "title": f"{title} {number}: {rng.choice(VOCABULARY)}",
                      "published": f"2024-{number % 12 + 1:02d}-{number % 28 + 1:02d}", "source": "Synthetic Wire",
                      "body": body}
            written += file.write(json.dumps(record) + "\n")


def news_search(*args: object, timeout: float = 180) -> subprocess.CompletedProcess:
    """Run ``news-search ARGS`` to the end."""
    return subprocess.run([NEWS_SEARCH, *map(str, args)], capture_output=True, text=True, timeout=timeout)


def summary_of(result: subprocess.CompletedProcess) -> tuple[int, ...]:
    """The counts of an index run's summary line: read, added, updated, unchanged, deleted, skipped, passages."""
    assert result.returncode == 0, result.stderr
    match = SUMMARY.match(result.stdout.strip().splitlines()[-1])
    assert match, result.stdout
    return tuple(int(group) for group in match.groups())


def stats(index_dir: Path) -> dict:
    result = news_search("stats", "--json", "--index-dir", index_dir)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def search(index_dir: Path, query: str) -> dict:
    result = news_search("search", query, "--json", "--limit", 100, "--index-dir", index_dir)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def processes_in_group(group: int) -> list[int]:
    """The live processes (zombies left out) of process group *group*."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # ended while we looked
        state, _parent, process_group = stat[stat.rindex(")") + 2 :].split()[:3]
        if int(process_group) == group and state not in ("Z", "X"):
            found.append(int(entry.name))
    return found


#: Runs a command with SIGINT's default disposition, so that Python turns it into KeyboardInterrupt.
WITH_SIGINT = [sys.executable, "-c", "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
               "os.execv(sys.argv[1], sys.argv[1:])"]


@contextmanager
def running_indexer(*args: object) -> Iterator[subprocess.Popen]:
    """``news-search index ARGS``, started in a process group of its own, which is killed on exit, so
    that whatever the run started is ended even when a test fails; with SIGINT's default disposition,
    as from a terminal (a shell script's background job passes it on ignored)."""
    with subprocess.Popen([*WITH_SIGINT, NEWS_SEARCH, "index", *map(str, args)], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, start_new_session=True) as process:
        try:
            yield process
        finally:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)


def wait_for(condition: Callable[[], object], what: str, seconds: float = 30,
             process: subprocess.Popen | None = None) -> object:
    """Poll *condition* until it returns something true, and return that; fail after *seconds*, or as soon
    as *process* (a run the condition is about) has ended."""
    deadline = time.monotonic() + seconds
    while not (value := condition()):
        if process is not None and process.poll() is not None:
            pytest.fail(f"the run ended (status {process.returncode}) before {what}:\n{process.stderr.read()}")
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} within {seconds} s")
        time.sleep(0.02)
    return value


def uncommitted_bytes(index_dir: Path, committed: set[str]) -> int:
    """Bytes a running writer has put in *index_dir* beside the *committed* files (its new segment, its
    temporary files): more than nothing means it is adding documents it has not committed."""
    total = 0
    for folder, _folders, names in os.walk(index_dir):
        for name in names:
            path = Path(folder, name)
            if path.relative_to(index_dir).parts[0] not in committed:
                with suppress(OSError):  # the writer deletes its temporary files as it goes
                    total += path.stat().st_size
    return total


def lock_is_free(index_dir: Path) -> bool:
    """Whether the index's write lock can be taken now (it is released again at once)."""
    lock = open_index(index_dir).lock("WRITELOCK")
    if not lock.acquire(blocking=False):
        return False
    lock.release()
    return True


def leftover_files(index_dir: Path) -> list[str]:
    """Files and folders in *index_dir* that belong to neither the latest commit nor the lock."""
    ix = open_index(index_dir)
    with ix.reader() as reader:
        live = {leaf.segment().segment_id() for leaf, _offset in reader.leaf_readers()}
    toc = f"_{ix.indexname}_{ix.latest_generation()}.toc"
    sums = f"_{ix.indexname}_{ix.latest_generation()}.sha256"
    lock = f"{ix.indexname}_WRITELOCK"
    return sorted(name for name in os.listdir(index_dir)
                  if name not in (toc, sums, lock) and name.split(".")[0] not in live)


@pytest.fixture()
def committed_index(tmp_path: Path) -> tuple[Path, dict]:
    """An index holding :data:`COMMITTED` articles, and its ``stats --json``."""
    index_dir = tmp_path / "index"
    source = tmp_path / "lighthouse.jsonl"
    write_articles(source, seed=1, count=COMMITTED, title="Lighthouse")
    assert summary_of(news_search("index", source, "--index-dir", index_dir))[:2] == (COMMITTED, COMMITTED)
    return index_dir, stats(index_dir)


@contextmanager
def killed_mid_run(index_dir: Path, big: Path, bulk: bool) -> Iterator[int]:
    """Start ``news-search index BIG``, wait until it has written documents it has not committed (and, for
    a bulk build, started its sub-writers), and SIGKILL it.

    :return: the killed run's process group, which holds whatever processes it started; they are
        killed on exit, when a test has failed and left them.
    """
    committed = set(os.listdir(index_dir))
    with running_indexer(big, "--index-dir", index_dir) as indexer:
        wait_for(lambda: uncommitted_bytes(index_dir, committed) > MID_RUN_BYTES, "uncommitted documents",
                 process=indexer)
        if bulk:
            wait_for(lambda: len(processes_in_group(indexer.pid)) > 1, "sub-writer processes", process=indexer)
        indexer.kill()
        indexer.wait()
        assert indexer.returncode == -signal.SIGKILL
        yield indexer.pid


def big_input(tmp_path: Path, bulk: bool) -> tuple[Path, int]:
    """A .jsonl file that the index command reads with sub-writers (*bulk*) or with one process."""
    big = tmp_path / "big.jsonl"
    count = write_articles(big, BULK_BYTES if bulk else ONE_PROCESS_BYTES, seed=2)
    assert (big.stat().st_size >= BULK_BYTES) == bulk
    return big, count


@pytest.mark.parametrize("bulk", [False, True], ids=["one-process", "sub-writers"])
def test_a_killed_run_leaves_the_last_commit_and_a_rerun_completes(committed_index, tmp_path, bulk):
    index_dir, before = committed_index
    big, count = big_input(tmp_path, bulk)
    with killed_mid_run(index_dir, big, bulk) as killed:
        wait_for(lambda: not processes_in_group(killed), "end of the killed run's sub-writers", seconds=10)
        assert stats(index_dir) == before
        found = search(index_dir, "lighthouse")
        assert found["total"] == COMMITTED
        assert {hit["article_id"] for hit in found["results"]} == {f"lighthouse-{n}" for n in range(COMMITTED)}

        rerun = news_search("index", big, "--index-dir", index_dir)
    read, added, updated, unchanged, deleted, skipped, passages = summary_of(rerun)
    assert (read, added, updated, unchanged, deleted, skipped) == (count, count, 0, 0, 0, 0)
    after = stats(index_dir)
    assert (after["articles"], after["passages"]) == (COMMITTED + count, before["passages"] + passages)
    assert search(index_dir, "lighthouse")["total"] == COMMITTED
    assert leftover_files(index_dir) == []  # the killed run's files went with the rerun's commit


@pytest.mark.parametrize("bulk", [False, True], ids=["one-process", "sub-writers"])
def test_a_killed_run_leaves_no_lock_behind(committed_index, tmp_path, bulk):
    index_dir, _ = committed_index
    big, _ = big_input(tmp_path, bulk)
    late = tmp_path / "late.jsonl"
    count = write_articles(late, seed=3, count=5)
    with killed_mid_run(index_dir, big, bulk):
        wait_for(lambda: lock_is_free(index_dir), "release of the killed run's write lock", seconds=10)
        rerun = news_search("index", late, "--index-dir", index_dir)
    assert "another indexer" not in rerun.stderr
    assert summary_of(rerun)[:2] == (count, count)
    assert stats(index_dir)["articles"] == COMMITTED + count


def test_an_interrupted_bulk_run_ends_its_sub_writers_and_exits(committed_index, tmp_path):
    index_dir, before = committed_index
    big, _ = big_input(tmp_path, bulk=True)
    # Read in this order: articles for two jobs of the sub-writers, then a pipe that is held open and
    # never written to, so the run waits on it for ever; the big file makes it a bulk build.
    first = tmp_path / "first.jsonl"
    write_articles(first, seed=4, count=2 * PARALLEL_BATCH)
    feed = tmp_path / "feed.txt"
    os.mkfifo(feed)
    with running_indexer(first, feed, big, "--index-dir", index_dir) as indexer:
        writer_end = wait_for(lambda: open_for_writing(feed), "reader of the pipe", process=indexer)
        try:
            temp = index_dir / f"{open_index(index_dir).indexname}.tmp"
            wait_for(lambda: len(processes_in_group(indexer.pid)) > 1, "sub-writer processes", process=indexer)
            # The sub-writers delete each job file they have done: with none left they wait for more.
            wait_for(lambda: temp.exists() and not list(temp.glob("*.doclist")), "idle sub-writers",
                     process=indexer)
            os.kill(indexer.pid, signal.SIGINT)
            _, stderr = indexer.communicate(timeout=30)
        finally:
            os.close(writer_end)
        assert indexer.returncode == 1
        assert stderr.strip() == "Aborted!"
        assert processes_in_group(indexer.pid) == []
    assert stats(index_dir) == before
    assert lock_is_free(index_dir)


def open_for_writing(fifo: Path) -> int | None:
    """A descriptor for writing into *fifo*, once a reader has opened it; else None."""
    try:
        return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
    except OSError as error:
        if error.errno == errno.ENXIO:  # no reader yet
            return None
        raise


def test_of_two_runs_at_once_one_is_refused_and_every_article_is_indexed_once(committed_index, tmp_path):
    index_dir, _ = committed_index
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    write_articles(first, ONE_PROCESS_BYTES, seed=5)
    write_articles(second, 64 * 1024, seed=6)
    committed = set(os.listdir(index_dir))
    with running_indexer(first, "--index-dir", index_dir) as one:
        wait_for(lambda: uncommitted_bytes(index_dir, committed) > 0, "uncommitted documents", process=one)
        other = news_search("index", second, "--index-dir", index_dir)
        assert one.poll() is None, "the first run ended before the second one: give it more input"
        _, stderr = one.communicate(timeout=120)
    assert one.returncode == 0, stderr
    assert other.returncode == 1, other.stdout
    assert other.stderr == f"Error: another indexer is writing to {index_dir}; try again when it has finished\n"
    assert news_search("index", second, "--index-dir", index_dir).returncode == 0  # once the first is done

    fresh = tmp_path / "fresh"
    summary_of(news_search("index", tmp_path / "lighthouse.jsonl", first, second, "--index-dir", fresh))
    after, built = stats(index_dir), stats(fresh)
    assert (after["articles"], after["passages"]) == (built["articles"], built["passages"])
    assert passage_ids(index_dir) == passage_ids(fresh)  # so no passage is there twice


def passage_ids(index_dir: Path) -> list[str]:
    with open_index(index_dir).searcher() as searcher:
        return sorted(fields["passage_id"] for fields in searcher.all_stored_fields())


#: Counts the articles of a file in a fresh interpreter and prints the count and its peak resident memory
#: in MB; with "whole", it reads them all into a list first. The peak is the kernel's VmHWM, not
#: ``getrusage``'s ru_maxrss: that one also counts the memory of the process that spawned this one.
COUNT_ARTICLES = """
import sys
from index.articles import Article, read_articles
items = read_articles([sys.argv[1]])
if sys.argv[2] == "whole":
    items = list(items)
count = sum(isinstance(item, Article) for item in items)
with open("/proc/self/status") as status:
    peak_kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
print(count, peak_kb // 1024)
"""


def test_a_100_mb_jsonl_file_is_read_in_bounded_memory(tmp_path):
    big = tmp_path / "big.jsonl"
    count = write_articles(big, 100 * 2**20, seed=7)
    readers = {mode: subprocess.Popen([sys.executable, "-c", COUNT_ARTICLES, str(big), mode], cwd=REPO,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for mode in ("stream", "whole")}  # side by side: two cores
    peaks = {}
    for mode, reader in readers.items():
        stdout, stderr = reader.communicate(timeout=120)
        assert reader.returncode == 0, stderr
        read, peaks[mode] = map(int, stdout.split())
        assert read == count
    # The bound is checked against a reader that keeps every article, so it cannot drift too wide.
    assert peaks["stream"] < STREAMING_PEAK_MB < peaks["whole"], peaks


def test_a_50_mb_article_is_skipped_and_the_rest_indexed(tmp_path):
    news = tmp_path / "news"
    news.mkdir()
    count = write_articles(news / "wire.jsonl", 16 * 1024, seed=8)
    huge = news / "huge.txt"
    line = "The harbor council met again, and the minutes ran on and on into the night. " * 13 + "\n"
    with huge.open("w", encoding="utf-8") as file:
        file.write("Title: The longest minutes\n\n")
        file.writelines([line] * (50 * 2**20 // len(line) + 1))
    index_dir = tmp_path / "index"
    result = news_search("index", news, "--index-dir", index_dir, timeout=60)
    assert summary_of(result)[:6] == (count, count, 0, 0, 0, 1)
    assert result.stderr == f"{huge}: article larger than 10 MB\n"
    assert stats(index_dir)["articles"] == count
