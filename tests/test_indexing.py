"""``news-search index | stats | delete | extract``: the write half through its command line, on a real index."""

from __future__ import annotations

import json
import os
import pty
import random
import re
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import pytest
from whoosh import index as whoosh_index
from whoosh.query import DateRange

from index.articles import Article
from index.cli import cli
from index.runs import passage_documents
from index.store import open_index
from index.writer import delete_articles, index_stats, update_index
from tests.conftest import ARTICLES, write_corpus

SUMMARY = re.compile(
    r"^(\d+) articles? read: (\d+) added, (\d+) updated, (\d+) unchanged, (\d+) deleted, (\d+) skipped; "
    r"(\d+) passages? written in \d+\.\d s$"
)


def run(runner, *args: str):
    return runner.invoke(cli, [str(arg) for arg in args])


def summary_of(output: str) -> tuple[int, ...]:
    match = SUMMARY.match(output.strip().splitlines()[-1])
    assert match, output
    return tuple(int(group) for group in match.groups())


def stats(runner, index_dir: Path) -> dict:
    result = run(runner, "stats", "--json", "--index-dir", index_dir)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.fixture()
def corpus_copy(tmp_path: Path) -> Path:
    return write_corpus(tmp_path / "corpus")


def test_index_then_reindex_changes_nothing(runner, corpus_copy, tmp_path):
    index_dir = tmp_path / "index"
    first = run(runner, "index", corpus_copy, "--index-dir", index_dir)
    assert first.exit_code == 0, first.output
    read, added, updated, unchanged, deleted, skipped, passages = summary_of(first.output)
    assert (read, added, updated, unchanged, deleted, skipped) == (7, 7, 0, 0, 0, 0)
    before = stats(runner, index_dir)
    assert before["articles"] == 7 and before["passages"] == passages

    second = run(runner, "index", corpus_copy, "--index-dir", index_dir)
    assert second.exit_code == 0, second.output
    assert summary_of(second.output) == (7, 0, 0, 7, 0, 0, 0)
    assert stats(runner, index_dir)["generation"] == before["generation"]


def test_bundled_corpus_is_the_default_wherever_the_command_runs(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # not the checkout: the bundled articles are found beside the package
    index_dir = tmp_path / "index"
    result = run(runner, "index", "--index-dir", index_dir)
    assert result.exit_code == 0, result.output
    figures = stats(runner, index_dir)
    assert figures["articles"] == 294 and figures["passages"] >= 2000  # the seed article and 293 from Wikinews


def test_index_dir_from_environment(runner, corpus_copy, tmp_path, monkeypatch):
    monkeypatch.setenv("NEWS_SEARCH_INDEX", str(tmp_path / "from-env"))
    result = run(runner, "index", corpus_copy)
    assert result.exit_code == 0, result.output
    assert whoosh_index.exists_in(tmp_path / "from-env")


def test_changed_article_is_replaced_with_all_its_passages(runner, corpus_copy, tmp_path):
    index_dir = tmp_path / "index"
    run(runner, "index", corpus_copy, "--index-dir", index_dir)
    path = corpus_copy / "rates.txt"
    path.write_text(ARTICLES["rates.txt"].replace("4.5%", "4.25%").replace("kept", "cut"), encoding="utf-8")
    result = run(runner, "index", corpus_copy, "--index-dir", index_dir)
    assert summary_of(result.output)[:6] == (7, 0, 1, 6, 0, 0)
    with open_index(index_dir).searcher() as searcher:
        bodies = [fields["body"] for fields in searcher.documents(article_id="rates.txt")]
    assert bodies and all("kept its benchmark" not in body for body in bodies)
    assert any("cut its benchmark rate at 4.25%" in body for body in bodies)


def test_prune_removes_articles_whose_files_are_gone(runner, corpus_copy, tmp_path):
    index_dir = tmp_path / "index"
    run(runner, "index", corpus_copy, "--index-dir", index_dir)
    (corpus_copy / "marathon.txt").unlink()
    without_prune = run(runner, "index", corpus_copy, "--index-dir", index_dir)
    assert summary_of(without_prune.output)[4] == 0
    pruned = run(runner, "index", corpus_copy, "--index-dir", index_dir, "--prune")
    assert summary_of(pruned.output)[:6] == (6, 0, 0, 6, 1, 0)
    assert stats(runner, index_dir)["articles"] == 6


def test_rebuild_swaps_in_a_fresh_index(runner, corpus_copy, tmp_path):
    index_dir = tmp_path / "index"
    run(runner, "index", corpus_copy, "--index-dir", index_dir)
    (corpus_copy / "extra.txt").write_text("Title: Extra\n\n" + "A late story about the harbor. " * 20)
    run(runner, "index", corpus_copy, "--index-dir", index_dir)
    before = stats(runner, index_dir)
    (corpus_copy / "extra.txt").unlink()
    result = run(runner, "index", corpus_copy, "--index-dir", index_dir, "--rebuild")
    assert result.exit_code == 0, result.output
    assert summary_of(result.output)[:6] == (7, 0, 0, 7, 1, 0)
    after = stats(runner, index_dir)
    assert after["generation"] > before["generation"]
    assert after["segments"] == 1 and after["articles"] == 7


def test_delete_by_article_id(runner, corpus_copy, tmp_path):
    index_dir = tmp_path / "index"
    run(runner, "index", corpus_copy, "--index-dir", index_dir)
    result = run(runner, "delete", "bike-lanes.txt", "no-such-id", "--index-dir", index_dir)
    assert result.exit_code == 0, result.output
    assert "no-such-id: no such article" in result.output
    assert stats(runner, index_dir)["articles"] == 6
    again = run(runner, "delete", "bike-lanes.txt", "--index-dir", index_dir)
    assert again.exit_code == 1


def test_skipped_files_are_named_and_the_rest_indexed(runner, corpus_copy, tmp_path):
    (corpus_copy / "empty.txt").write_bytes(b"")
    (corpus_copy / "binary.txt").write_bytes(bytes(range(256)) * 8)
    (corpus_copy / "feed.jsonl").write_text('{"title": "Good line", "body": "A good story about ports and ships."}\n'
                                            "{not json\n", encoding="utf-8")
    result = run(runner, "index", corpus_copy, "--index-dir", tmp_path / "index")
    assert result.exit_code == 0, result.output
    assert re.search(r"empty\.txt: .*empty", result.output)
    assert re.search(r"binary\.txt: .*binary", result.output)
    assert re.search(r"feed\.jsonl:2: ", result.output)
    read, added, *_ , skipped, _passages = summary_of(result.output)
    assert (read, added, skipped) == (8, 8, 3)


def test_an_article_whose_date_cannot_be_read_is_indexed_and_named(runner, tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "fog.txt").write_text("Title: Fog\nPublished: sometime soon\n\nFog closed the airport.\n")
    (tmp_path / "in" / "feed.jsonl").write_text('{"title": "Snow", "body": "Snow closed the pass.", "date": "yesterday"}\n'
                                                '{"title": "Hail", "body": "Hail hit the crops.", "date": 1591000000}\n')
    result = run(runner, "index", tmp_path / "in", "--index-dir", tmp_path / "index")
    assert result.exit_code == 0, result.output
    assert re.search(r"fog\.txt: published date 'sometime soon' could not be read as a date; indexed without one",
                     result.output)
    assert re.search(r"feed\.jsonl:1: published date 'yesterday' could not be read", result.output)
    assert "feed.jsonl:2" not in result.output
    read, added, *_, skipped, _passages = summary_of(result.output)
    assert (read, added, skipped) == (3, 3, 0)


def test_nothing_indexable_exits_1(runner, tmp_path):
    (tmp_path / "only.txt").write_bytes(b"")
    result = run(runner, "index", tmp_path / "only.txt", "--index-dir", tmp_path / "index")
    assert result.exit_code == 1
    assert "nothing could be indexed" in result.output


def test_usage_errors_exit_2(runner, tmp_path):
    assert run(runner, "index", "--no-such-option").exit_code == 2
    assert run(runner, "index", "--min-words", "50", "--max-words", "10").exit_code == 2


def test_stats_without_an_index_exits_1(runner, tmp_path):
    result = run(runner, "stats", "--index-dir", tmp_path / "missing")
    assert result.exit_code == 1
    assert "no index in" in result.output


def test_second_writer_is_refused_with_a_clear_message(runner, corpus_copy, tmp_path):
    index_dir = tmp_path / "index"
    run(runner, "index", corpus_copy, "--index-dir", index_dir)
    (corpus_copy / "new.txt").write_text("Title: New\n\nA new story about the harbor and its ships.\n")
    with open_index(index_dir).writer():
        result = run(runner, "index", corpus_copy, "--index-dir", index_dir)
    assert result.exit_code == 1
    assert "another indexer is writing" in result.output
    assert index_stats(index_dir)["articles"] == 7


def test_extract_prints_articles_as_json_lines(runner, corpus_copy):
    result = run(runner, "extract", corpus_copy / "storm-shadow.txt", corpus_copy / "rates.txt", "--json")
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.output.splitlines()]
    assert [record["id"] for record in records] == ["https://herald.example/world/storm-shadow", "rates.txt"]
    first = records[0]
    assert first["title"] == "Britain weighs wider use of Storm Shadow missiles by Kyiv"
    assert first["published"] == "2024-11-20" and first["source"] == "Westbridge Herald"
    assert first["author"] == "Nora Pike" and first["url"] == "https://herald.example/world/storm-shadow"
    assert first["path"].endswith("storm-shadow.txt") and first["body"].startswith("LONDON — British ministers")


def test_an_article_without_body_text_is_skipped_not_counted(tmp_path):
    skipped = []
    summary = update_index(tmp_path / "index", [
        Article(id="empty", title="Only a title", body="  \n ", path="empty.txt"),
        Article(id="full", title="A story", body="Ships left the harbor at dawn.", path="full.txt"),
    ], on_skip=skipped.append)
    assert (summary.read, summary.added, summary.skipped, summary.passages) == (1, 1, 1, 1)
    assert [str(item) for item in skipped] == ["empty.txt: empty: no body text"]


@pytest.mark.parametrize("flag", ["--rebuild", "--prune"])
def test_a_run_that_reads_nothing_deletes_nothing(runner, corpus_copy, tmp_path, flag):
    index_dir = tmp_path / "index"
    run(runner, "index", corpus_copy, "--index-dir", index_dir)
    before = stats(runner, index_dir)
    corpus_copy.rename(tmp_path / "moved")  # every indexed source is gone, and so is the path given
    result = run(runner, "index", corpus_copy, "--index-dir", index_dir, flag)
    assert result.exit_code == 1
    assert "nothing could be indexed" in result.output
    after = stats(runner, index_dir)
    assert (after["articles"], after["generation"]) == (before["articles"], before["generation"])


def test_a_first_run_that_reads_nothing_leaves_no_index(runner, tmp_path):
    (tmp_path / "empty").mkdir()
    index_dir = tmp_path / "index"
    result = run(runner, "index", tmp_path / "empty", "--index-dir", index_dir)
    assert result.exit_code == 1
    assert "nothing could be indexed" in result.output
    assert not whoosh_index.exists_in(index_dir)
    assert not index_dir.exists()


def test_a_renamed_file_keeps_its_article_through_a_later_prune(runner, tmp_path):
    index_dir = tmp_path / "index"
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one.txt").write_text("ID: art-1\nTitle: Ferry\n\nThe ferry sails again.\n")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "two.txt").write_text("Title: Bridge\n\nThe bridge reopens.\n")
    run(runner, "index", tmp_path / "a", "--index-dir", index_dir)
    run(runner, "index", tmp_path / "b", "--index-dir", index_dir)
    (tmp_path / "a" / "one.txt").rename(tmp_path / "a" / "uno.txt")
    renamed = run(runner, "index", tmp_path / "a", "--index-dir", index_dir)
    assert summary_of(renamed.output)[:6] == (1, 0, 1, 0, 0, 0)
    pruned = run(runner, "index", tmp_path / "b", "--index-dir", index_dir, "--prune")
    assert summary_of(pruned.output)[:6] == (1, 0, 0, 1, 0, 0)
    assert stats(runner, index_dir)["articles"] == 2
    with open_index(index_dir).searcher() as searcher:
        paths = {fields["path"] for fields in searcher.documents(article_id="art-1")}
    assert paths == {str(tmp_path / "a" / "uno.txt")}


FERRY = Article(id="ferry", title="Ferry", body="The ferry sails again.\nIt carried forty cars.", path="ferry.txt")


def passages_of(index_dir: Path, article_id: str) -> list[int]:
    with open_index(index_dir).searcher() as searcher:
        return sorted(fields["position"] for fields in searcher.documents(article_id=article_id))


def test_indexing_the_same_new_article_twice_writes_its_passages_once(tmp_path):
    index_dir = tmp_path / "index"
    first = update_index(index_dir, [FERRY])
    second = update_index(index_dir, [FERRY])
    assert (first.added, second.added, second.unchanged, second.committed) == (1, 0, 1, False)
    assert passages_of(index_dir, "ferry") == list(range(first.passages))


def test_an_article_committed_while_waiting_for_the_lock_is_not_added_again(tmp_path):
    index_dir = tmp_path / "index"
    update_index(index_dir, [Article(id="other", title="Other", body="Another story.", path="other.txt")])
    summaries = []
    with open_index(index_dir).writer() as writer:
        for document in passage_documents(FERRY):
            writer.add_document(**document)
        waiting = threading.Thread(
            target=lambda: summaries.append(update_index(index_dir, [FERRY], lock_timeout=10)))
        waiting.start()
        time.sleep(0.5)  # the other run is now waiting for the lock this writer holds
    waiting.join()
    assert (summaries[0].added, summaries[0].unchanged) == (0, 1)
    assert passages_of(index_dir, "ferry") == list(range(len(list(passage_documents(FERRY)))))


def test_deleting_after_a_committed_deletion(runner, corpus_copy, tmp_path):
    index_dir = tmp_path / "index"
    run(runner, "index", corpus_copy, "--index-dir", index_dir)
    assert delete_articles(index_dir, ["rates.txt"]) == ["rates.txt"]
    assert delete_articles(index_dir, ["rates.txt", "marathon.txt"]) == ["marathon.txt"]
    generation = index_stats(index_dir)["generation"]
    assert delete_articles(index_dir, ["rates.txt", "no-such-id"]) == []
    assert index_stats(index_dir)["generation"] == generation
    again = run(runner, "index", corpus_copy, "--index-dir", index_dir)
    assert summary_of(again.output)[:6] == (7, 2, 0, 5, 0, 0)
    assert index_stats(index_dir)["articles"] == 7


def test_an_offset_date_is_filed_under_the_date_the_article_shows(runner, tmp_path):
    (tmp_path / "news").mkdir()
    (tmp_path / "news" / "midnight.txt").write_text(
        "Title: Midnight vote\nPublished: 2024-03-01T00:30:00+02:00\n\nThe council voted after midnight.\n")
    index_dir = tmp_path / "index"
    assert run(runner, "index", tmp_path / "news", "--index-dir", index_dir).exit_code == 0
    march_first = DateRange("published", datetime(2024, 3, 1), datetime(2024, 3, 1, 23, 59, 59))
    with open_index(index_dir).searcher() as searcher:
        assert [hit["article_id"] for hit in searcher.search(march_first)] == ["midnight.txt"]


def test_several_writer_processes_build_the_same_index(corpus_copy, tmp_path):
    from index.articles import read_articles
    from index.writer import update_index

    def contents(index_dir):
        with open_index(index_dir).searcher() as searcher:
            return sorted((fields["passage_id"], fields["body"]) for fields in searcher.all_stored_fields())

    single = update_index(tmp_path / "one", read_articles([corpus_copy]))
    parallel = update_index(tmp_path / "two", read_articles([corpus_copy]), procs=2)
    assert (parallel.added, parallel.passages) == (single.added, single.passages)
    assert contents(tmp_path / "two") == contents(tmp_path / "one")
    (corpus_copy / "marathon.txt").unlink()
    rebuilt = update_index(tmp_path / "two", read_articles([corpus_copy]), rebuild=True, procs=2)
    assert rebuilt.deleted == 1
    assert index_stats(tmp_path / "two")["articles"] == 6
    assert len(contents(tmp_path / "two")) == single.passages - sum(
        1 for passage_id, _ in contents(tmp_path / "one") if passage_id.startswith("marathon.txt#"))


def write_feed(path: Path, articles: int) -> Path:
    """A ``.jsonl`` feed of *articles* distinct articles of about 2 KB each."""
    words = ("harbor council vote ferry grain port minister election storm shadow missiles energy grid winter "
             "bank rates inflation marathon runners record bridge river lock canal court ruling appeal").split()
    rng = random.Random(7)
    with path.open("w", encoding="utf-8") as feed:
        for number in range(articles):
            body = "\n".join(" ".join(rng.choice(words) for _ in range(60)) + "." for _ in range(5))
            feed.write(json.dumps({"id": f"feed-{number}", "title": f"Report {number}", "body": body}) + "\n")
    return path


PROGRESS_LINE = re.compile(r"^indexing: ([\d,]+) articles read \(([\d.]+) MB of ([\d.]+) MB\)(; writing the index)?$")


def test_a_piped_run_says_how_far_reading_has_got(runner, tmp_path, monkeypatch):
    feed = write_feed(tmp_path / "feed.jsonl", 1500)
    size_mb = feed.stat().st_size / 2**20
    assert size_mb > 2.5
    monkeypatch.setattr("index.indexing.PROGRESS_SECONDS", 0)  # a line each time there is news, not every 10 s
    result = run(runner, "index", feed, "--index-dir", tmp_path / "index")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    progress = [PROGRESS_LINE.match(line) for line in lines[:-1]]
    assert all(progress), [line for line, match in zip(lines, progress) if not match][:3]
    articles = [int(match.group(1).replace(",", "")) for match in progress]
    done = [float(match.group(2)) for match in progress]
    assert articles == sorted(articles) and done == sorted(done) and len(articles) > 100
    assert {match.group(3) for match in progress} == {f"{size_mb:.1f}"}
    # Counted inside the one file, not a file at a time.
    assert any(0 < count < 1500 for count in articles) and any(0 < mb < size_mb - 0.5 for mb in done)
    size = f"{size_mb:.1f} MB"
    assert progress[-1].group(0) == f"indexing: 1,500 articles read ({size} of {size}); writing the index"
    assert not any(match.group(4) for match in progress[:-1])
    assert summary_of(result.output)[:2] == (1500, 1500)


def test_a_short_piped_run_prints_only_its_summary(runner, corpus_copy, tmp_path):
    result = run(runner, "index", corpus_copy, "--index-dir", tmp_path / "index")
    assert result.exit_code == 0 and len(result.output.splitlines()) == 1


def screen_lines(output: str) -> list[str]:
    """The lines a terminal shows for *output*: a carriage return goes back to the line's start, ``ESC [K``
    clears the rest of it, and other escape sequences (hiding the cursor) show nothing."""
    lines = []
    for raw in output.split("\n"):
        line, column = "", 0
        for part in re.split(r"(\r|\x1b\[[0-9;?]*[A-Za-z])", raw):
            if part == "\r":
                column = 0
            elif part == "\x1b[K":
                line = line[:column]
            elif not part.startswith("\x1b"):
                line = line[:column] + part + line[column + len(part):]
                column += len(part)
        lines.append(line)
    return lines


def test_on_a_terminal_the_bar_counts_articles_and_warnings_get_lines_of_their_own(corpus_copy, tmp_path):
    (corpus_copy / "empty.txt").write_bytes(b"")
    (corpus_copy / "binary.txt").write_bytes(bytes(range(256)) * 8)
    write_feed(corpus_copy / "zz-feed.jsonl", 300)  # read after the bad files: skips are named while the bar is up
    controller, terminal = pty.openpty()
    command = [str(Path(sys.executable).parent / "news-search"), "index", str(corpus_copy),
               "--index-dir", str(tmp_path / "index")]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=terminal, text=True) as indexer:
        os.close(terminal)
        shown = b""
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # the terminal's other end closed: the indexer is done
                break
            if not chunk:
                break
            shown += chunk
        os.close(controller)
        summary = indexer.stdout.read()
    assert indexer.returncode == 0, shown
    lines = screen_lines(shown.decode().replace("\r\n", "\n"))
    assert f"{corpus_copy / 'empty.txt'}: empty file" in lines, lines
    assert f"{corpus_copy / 'binary.txt'}: binary file, not text" in lines, lines
    bars = [line for line in lines if line.startswith("Indexing")]
    assert bars and re.search(r"100%.*\b307 articles\b", bars[-1]), lines
    assert summary_of(summary)[:2] == (307, 307)
