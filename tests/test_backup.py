"""`news-search backup`: a consistent copy of the newest generation, on a real index on disk."""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
from pathlib import Path

from index.articles import Article
from index.cli import cli
from index.writer import update_index
from tests.conftest import build_index, write_corpus


def _search(runner, index_dir: Path, q: str = "election") -> dict:
    result = runner.invoke(cli, ["search", q, "--json", "--index-dir", str(index_dir)])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    body.pop("took_ms", None)
    return body


def test_a_backup_searches_as_the_index_did(runner, tmp_path):
    index_dir = build_index(write_corpus(tmp_path / "corpus"), tmp_path / "index")
    result = runner.invoke(cli, ["backup", str(tmp_path / "copy"), "--index-dir", str(index_dir)])
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "copy" / "manifest.json").read_text())
    for name, entry in manifest["files"].items():
        data = (tmp_path / "copy" / name).read_bytes()
        assert len(data) == entry["size"] and hashlib.sha256(data).hexdigest() == entry["sha256"]
    assert any(name.endswith(".toc") for name in manifest["files"])
    restored = tmp_path / "restored"
    shutil.copytree(tmp_path / "copy", restored, ignore=shutil.ignore_patterns("manifest.json"))
    assert _search(runner, restored) == _search(runner, index_dir)


def test_a_non_empty_folder_that_is_no_backup_is_refused(runner, tmp_path):
    index_dir = build_index(write_corpus(tmp_path / "corpus"), tmp_path / "index")
    (tmp_path / "copy").mkdir()
    (tmp_path / "copy" / "notes.txt").write_text("keep me")
    result = runner.invoke(cli, ["backup", str(tmp_path / "copy"), "--index-dir", str(index_dir)])
    assert result.exit_code == 1
    assert "not a previous backup" in result.output
    assert (tmp_path / "copy" / "notes.txt").read_text() == "keep me"


def test_a_backup_while_an_indexer_commits_is_whole(runner, tmp_path):
    index_dir = build_index(write_corpus(tmp_path / "corpus"), tmp_path / "index")
    done = threading.Event()

    def write() -> None:
        for i in range(8):
            body = f"Commit number {i} of the running indexer.\n\nIt speaks of elections and of ferries {i}."
            update_index(index_dir, [Article(id=f"extra-{i}", title=f"Extra {i}", body=body, path=f"extra-{i}.txt")])
        done.set()

    writer = threading.Thread(target=write)
    writer.start()
    backups = 0
    while not done.is_set() or backups == 0:
        dest = tmp_path / "copy"
        result = runner.invoke(cli, ["backup", str(dest), "--index-dir", str(index_dir)])
        assert result.exit_code == 0, result.output
        _search(runner, dest)  # every copy opens and searches
        backups += 1
    writer.join()
    assert backups >= 1


def _add(index_dir: Path, name: str) -> None:
    body = f"A late story about {name}.\n\nIt names {name} twice: {name}."
    update_index(index_dir, [Article(id=name, title=name, body=body, path=f"{name}.txt")])


def _has(backend, article_id: str) -> bool:
    snapshot = backend.acquire()
    try:
        return snapshot.has_article(article_id)
    finally:
        backend.release(snapshot)


def test_restore_brings_back_the_backup_to_a_running_service(runner, tmp_path):
    from search.backends import open_backend

    index_dir = build_index(write_corpus(tmp_path / "corpus"), tmp_path / "index")
    before = _search(runner, index_dir)
    assert runner.invoke(cli, ["backup", str(tmp_path / "copy"), "--index-dir", str(index_dir)]).exit_code == 0
    _add(index_dir, "zanzibarite")
    with open_backend({"INDEX": index_dir}) as backend:
        assert _has(backend, "zanzibarite")
        result = runner.invoke(cli, ["restore", str(tmp_path / "copy"), "--index-dir", str(index_dir)])
        assert result.exit_code == 0, result.output
        assert not _has(backend, "zanzibarite")  # the same backend, no restart
    assert _search(runner, index_dir, "zanzibarite")["total"] == 0
    assert _search(runner, index_dir) == before
    _add(index_dir, "quokkaland")  # an indexer carries on from the restored generation
    assert _search(runner, index_dir, "quokkaland")["total"] == 1
    assert _search(runner, index_dir, "zanzibarite")["total"] == 0


def test_restore_refuses_a_backup_whose_file_changed(runner, tmp_path):
    index_dir = build_index(write_corpus(tmp_path / "corpus"), tmp_path / "index")
    assert runner.invoke(cli, ["backup", str(tmp_path / "copy"), "--index-dir", str(index_dir)]).exit_code == 0
    manifest = json.loads((tmp_path / "copy" / "manifest.json").read_text())
    name = max(manifest["files"], key=lambda n: manifest["files"][n]["size"])
    data = bytearray((tmp_path / "copy" / name).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (tmp_path / "copy" / name).write_bytes(bytes(data))
    toc_before = sorted(p.name for p in index_dir.glob("*.toc"))
    result = runner.invoke(cli, ["restore", str(tmp_path / "copy"), "--index-dir", str(index_dir)])
    assert result.exit_code == 1
    assert name in result.output and "checksum" in result.output
    assert sorted(p.name for p in index_dir.glob("*.toc")) == toc_before
