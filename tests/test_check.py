"""`news-search check` on a real index on disk, whole and deliberately damaged."""

from __future__ import annotations

from pathlib import Path

from index.cli import cli
from tests.conftest import build_index, write_corpus


def _check(runner, index_dir: Path):
    return runner.invoke(cli, ["check", "--index-dir", str(index_dir)])


def _index(tmp_path: Path) -> Path:
    return build_index(write_corpus(tmp_path / "corpus"), tmp_path / "index")


def _biggest_segment_file(index_dir: Path) -> Path:
    return max((p for p in index_dir.iterdir() if p.suffix != ".toc" and "LOCK" not in p.name), key=lambda p: p.stat().st_size)


def test_a_whole_index_passes(runner, tmp_path):
    result = _check(runner, _index(tmp_path))
    assert result.exit_code == 0, result.output
    assert result.output.count("\n") == 1 and "whole" in result.output and "articles" in result.output


def test_an_undated_article_beside_dated_ones_passes(runner, tmp_path):
    corpus = write_corpus(tmp_path / "corpus")
    (corpus / "undated.txt").write_text("Title: Harbor ferry returns\n\nThe harbor ferry sails again.\n")
    result = _check(runner, build_index(corpus, tmp_path / "index"))
    assert result.exit_code == 0, result.output
    assert ", 8 articles," in result.output


def test_a_truncated_segment_file_is_named(runner, tmp_path):
    index_dir = _index(tmp_path)
    victim = _biggest_segment_file(index_dir)
    victim.write_bytes(victim.read_bytes()[: victim.stat().st_size // 2])
    result = _check(runner, index_dir)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "damaged" in result.output


def test_a_missing_segment_file_is_named(runner, tmp_path):
    index_dir = _index(tmp_path)
    victim = _biggest_segment_file(index_dir)
    victim.unlink()
    result = _check(runner, index_dir)
    assert result.exit_code == 1
    assert "missing" in result.output or "damaged" in result.output


def test_a_flipped_byte_is_named(runner, tmp_path):
    index_dir = _index(tmp_path)
    victim = _biggest_segment_file(index_dir)
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0x20  # one bit of one byte in the middle of the biggest file
    victim.write_bytes(bytes(data))
    result = _check(runner, index_dir)
    assert result.exit_code == 1
    assert f"{victim.name}: its bytes changed since it was committed" in result.output


def test_a_table_of_contents_that_cannot_be_read_is_named(runner, tmp_path):
    index_dir = _index(tmp_path)
    toc = max(index_dir.glob("_MAIN_*.toc"))
    toc.write_bytes(b"not a table of contents")
    result = _check(runner, index_dir)
    assert result.exit_code == 1 and f"{toc.name}: unreadable" in result.output


def test_checksums_follow_every_commit_and_only_the_newest_are_kept(runner, tmp_path):
    index_dir = _index(tmp_path)
    (tmp_path / "corpus" / "more.txt").write_text("Title: Ferry\n\nThe harbor ferry sails again.\n")
    from index.articles import read_articles
    from index.writer import update_index

    assert update_index(index_dir, read_articles([tmp_path / "corpus"])).committed
    tocs = {path.name.removesuffix(".toc") for path in index_dir.glob("_MAIN_*.toc")}
    assert {path.name.removesuffix(".sha256") for path in index_dir.glob("_MAIN_*.sha256")} == tocs
    result = _check(runner, index_dir)
    assert result.exit_code == 0 and "checksums match" in result.output


def test_passage_offsets_outside_the_text_are_named(runner, tmp_path):
    from index.store import commit, open_index

    index_dir = _index(tmp_path)
    writer = open_index(index_dir).writer()
    writer.add_document(article_id="stray", passage_id="stray#0", position=0, lead="", body="Three words here.",
                        start=40, end=57)  # the first passage of its article cannot start at 40
    commit(writer)
    result = _check(runner, index_dir)
    assert result.exit_code == 1
    assert "article stray: passage 0 offsets 40..57 do not follow its text" in result.output
