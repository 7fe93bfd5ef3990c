"""A damaged index on disk: the service answers 503 with an error naming the problem, never a 500, and
serves again, without a restart, once a good generation is committed (a rebuild or a restore).

Every index here is real and built in ``tmp_path``; each is damaged before the service opens its files
(or in a new generation the service has not read yet), as a disk or a careless copy would damage it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from index.articles import Article, read_articles
from index.cli import cli
from index.store.files import generation_names, newest_generation
from index.writer import update_index
from search import create_app
from tests.conftest import build_index, write_corpus

ARTICLE_ID = "https://herald.example/world/storm-shadow"
#: Words of the Storm Shadow article's first passage, stored as written (stored fields are deflated at level 0).
STORED_TEXT = b"fire Storm Shadow cruise missiles at military sites"
REQUESTS = ["/api/search?q=missiles", "/api/search?q=", f"/api/articles/{ARTICLE_ID}?q=missiles",
            f"/api/articles/{ARTICLE_ID}/related"]


def newest_files(index_dir: Path) -> list[Path]:
    """The segment files the newest generation of *index_dir* reads."""
    names, _ = generation_names(index_dir, newest_generation(index_dir))
    return [index_dir / name for name in names]


def truncate(index_dir: Path, files: list[Path] | None = None) -> None:
    """Cut the newest generation's first segment file to half its length."""
    path = (files or newest_files(index_dir))[0]
    with path.open("r+b") as f:
        f.truncate(path.stat().st_size // 2)


def flip_byte(index_dir: Path, files: list[Path] | None = None) -> None:
    """Flip one byte of the stored text of the Storm Shadow article (its checksum no longer matches)."""
    for path in files or newest_files(index_dir):
        data = bytearray(path.read_bytes())
        at = data.find(STORED_TEXT)
        if at >= 0:
            data[at + 5] ^= 0x20  # "Storm" -> "storm"
            path.write_bytes(bytes(data))
            return
    raise AssertionError("the stored text is in no segment file")


def remove_file(index_dir: Path, files: list[Path] | None = None) -> None:
    """Delete a segment file the table of contents names."""
    (files or newest_files(index_dir))[0].unlink()


DAMAGE = {"truncated": truncate, "flipped": flip_byte, "missing": remove_file}


def answers(client) -> dict[str, tuple[int, dict]]:
    """Each API request's status and body (its time taken left out)."""
    found = {}
    for url in REQUESTS:
        response = client.get(url)
        body = response.get_json()
        body.pop("took_ms", None)
        found[url] = (response.status_code, body)
    return found


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    return write_corpus(tmp_path / "corpus")


@pytest.fixture()
def index_dir(corpus: Path, tmp_path: Path) -> Path:
    return build_index(corpus, tmp_path / "index")


def assert_unavailable(client) -> str:
    """Every kind of request answered 503 with the index_damaged error; its message."""
    for url in [*REQUESTS, "/api/health"]:
        response = client.get(url)
        assert response.status_code == 503, (url, response.status_code, response.get_data(as_text=True)[:500])
        error = response.get_json()["error"]
        assert error["code"] == "index_damaged", error
        assert error["message"].startswith("the index cannot be read ("), error
        assert "/" not in error["message"], error  # a file by its name in the index, never a path on this machine
    for url in ["/?q=missiles", f"/articles/{ARTICLE_ID}"]:
        page = client.get(url)
        assert page.status_code == 503 and page.mimetype == "text/html", url
        assert BeautifulSoup(page.text, "html.parser").h1.get_text(strip=True) == "Search is not available right now"
    return error["message"]


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_index_is_a_503_until_a_rebuild_serves_it_again(damage, corpus, index_dir, tmp_path):
    before = answers(create_app({"TESTING": True, "INDEX": str(index_dir)}).test_client())
    assert all(status == 200 for status, _ in before.values())
    damaged = tmp_path / "damaged"
    shutil.copytree(index_dir, damaged)
    DAMAGE[damage](damaged)

    client = create_app({"TESTING": True, "INDEX": str(damaged)}).test_client()
    message = assert_unavailable(client)
    assert assert_unavailable(client) == message  # every request again, none a 500

    summary = update_index(damaged, read_articles([corpus]), rebuild=True)
    assert summary.committed and summary.added == 7
    assert answers(client) == before
    health = client.get("/api/health")
    assert health.status_code == 200 and health.get_json()["articles"] == 7


def test_a_damaged_file_is_named_in_the_error(index_dir):
    missing = newest_files(index_dir)[0]
    remove_file(index_dir)
    response = create_app({"TESTING": True, "INDEX": str(index_dir)}).test_client().get("/api/health")
    assert response.status_code == 503
    assert response.get_json()["error"]["message"] == (
        f"the index cannot be read (FileNotFoundError: {missing.name}: No such file or directory)")


def test_a_damaged_new_generation_under_a_running_service_is_a_503_until_rebuilt(corpus, index_dir):
    client = create_app({"TESTING": True, "INDEX": str(index_dir)}).test_client()
    before = answers(client)  # the service now holds the first generation open
    first = set(newest_files(index_dir))
    added = Article(id="ferry", title="Harbor ferry returns", body="The harbor ferry sails again after repairs.",
                    path=str(corpus / "ferry.txt"), published="2024-12-01")
    assert update_index(index_dir, [added]).committed
    new_files = [path for path in newest_files(index_dir) if path not in first]
    assert new_files, "the commit wrote no new segment file"
    truncate(index_dir, new_files)  # a file the service has not opened yet

    assert_unavailable(client)

    (corpus / "ferry.txt").write_text("Title: Harbor ferry returns\nPublished: 2024-12-01\nID: ferry\n\n"
                                      "The harbor ferry sails again after repairs.\n", encoding="utf-8")
    assert update_index(index_dir, read_articles([corpus]), rebuild=True).committed
    after = answers(client)  # one more article: the same ones found, scored against one more
    assert all(status == 200 for status, _ in after.values())
    ids = {url: [hit["article_id"] for hit in body.get("results", [])] for url, (_, body) in before.items()}
    assert ids[REQUESTS[0]] == [hit["article_id"] for hit in after[REQUESTS[0]][1]["results"]]
    ferry = client.get("/api/search?q=ferry").get_json()
    assert [hit["article_id"] for hit in ferry["results"]] == ["ferry"]


def test_a_segment_cut_short_under_a_running_service_is_a_503_not_a_crash(corpus, index_dir):
    client = create_app({"TESTING": True, "INDEX": str(index_dir)}).test_client()
    before = answers(client)  # the service now holds the generation open, its segment files mapped
    truncate(index_dir)
    # Reading the mapped pages past the file's new end would kill the worker (SIGBUS): asked first,
    # even the health check finds the file shorter than when it was opened, and nothing reads it.
    health = client.get("/api/health")
    assert health.status_code == 503, health.get_data(as_text=True)
    assert "is shorter than when it was opened" in health.get_json()["error"]["message"]
    assert_unavailable(client)
    assert update_index(index_dir, read_articles([corpus]), rebuild=True).committed
    assert answers(client) == before


def test_a_restored_backup_serves_a_damaged_index_again(runner, index_dir, tmp_path):
    result = runner.invoke(cli, ["backup", str(tmp_path / "backup"), "--index-dir", str(index_dir)])
    assert result.exit_code == 0, result.output
    before = answers(create_app({"TESTING": True, "INDEX": str(index_dir)}).test_client())
    flip_byte(index_dir)  # the same file the backup holds, under the same name, now damaged

    client = create_app({"TESTING": True, "INDEX": str(index_dir)}).test_client()
    assert_unavailable(client)
    result = runner.invoke(cli, ["restore", str(tmp_path / "backup"), "--index-dir", str(index_dir)])
    assert result.exit_code == 0, result.output
    assert answers(client) == before
    result = runner.invoke(cli, ["check", "--index-dir", str(index_dir)])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("damage", DAMAGE)
def test_indexing_a_damaged_index_asks_for_a_rebuild(damage, runner, corpus, index_dir):
    DAMAGE[damage](index_dir)
    (corpus / "ferry.txt").write_text("Title: Harbor ferry returns\n\nThe harbor ferry sails again.\n",
                                      encoding="utf-8")
    result = runner.invoke(cli, ["index", str(corpus), "--index-dir", str(index_dir)])
    assert result.exit_code == 1
    assert result.output.startswith("Error: the index cannot be read (")
    assert "rebuild it with `news-search index --rebuild PATH ...`" in result.output

    result = runner.invoke(cli, ["index", str(corpus), "--rebuild", "--index-dir", str(index_dir)])
    assert result.exit_code == 0, result.output
    assert "8 articles read: 8 added" in result.output
    assert runner.invoke(cli, ["check", "--index-dir", str(index_dir)]).exit_code == 0
