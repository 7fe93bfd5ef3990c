"""``news-search serve``: from a fresh clone it indexes the bundled articles into the default index and
serves them; given an index directory that holds no index it refuses, unless asked to build one. And the
app behind gunicorn, with the README's options, answers over-long queries with its own JSON error."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from index.cli import cli

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
NEWS_SEARCH = str(BIN / "news-search")
#: The options the README's production command gives gunicorn (its longest request line, up from 4,094 bytes).
GUNICORN_OPTIONS = ["--limit-request-line", "8190"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def without_index_setting() -> dict[str, str]:
    """This process's environment without ``NEWS_SEARCH_INDEX``, as on a fresh machine."""
    return {name: value for name, value in os.environ.items() if name != "NEWS_SEARCH_INDEX"}


def test_serve_from_anywhere_indexes_the_bundled_corpus_into_the_default_index(tmp_path):
    port = free_port()
    # Started outside the checkout: the bundled articles are found beside the package, not in the working directory.
    with subprocess.Popen([NEWS_SEARCH, "serve", "--port", str(port)], cwd=tmp_path, env=without_index_setting(),
                          stderr=subprocess.PIPE, text=True) as server:
        try:
            output = []
            for line in server.stderr:  # the server says where it listens once it does
                output.append(line)
                if "Running on" in line:
                    break
            corpus = REPO / "corpus"
            first = f"No index in {Path('instance', 'index')} yet; indexing the bundled articles ({corpus}) first."
            assert first in [line.strip() for line in output], output
            assert any(line.startswith("294 articles read: 294 added") for line in output), output
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/search?q=ATACMS", timeout=30) as response:
                body = json.load(response)
            assert "<mark>ATACMS</mark>" in body["results"][0]["passages"][0]["snippet"]
            assert (tmp_path / "instance" / "index").is_dir()
        finally:
            server.terminate()
            server.wait(timeout=30)


@pytest.fixture()
def served(monkeypatch) -> list[dict]:
    """The apps ``serve`` would run, recorded instead of served (each as the keyword arguments of ``run``)."""
    runs: list[dict] = []
    monkeypatch.setattr("flask.Flask.run", lambda app, **options: runs.append({"index": app.config["INDEX"],
                                                                                 **options}))
    return runs


def test_serve_refuses_an_index_dir_without_an_index(runner, tmp_path, served, monkeypatch):
    monkeypatch.chdir(tmp_path)
    typo = tmp_path / "instance" / "idnex"
    result = runner.invoke(cli, ["serve", "--index-dir", str(typo)])
    assert result.exit_code == 1
    message = result.output.strip()
    assert message.startswith(f"Error: no index in {typo}; build one with `news-search index")
    assert "news-search serve --index-corpus" in message
    assert not typo.exists() and served == []


def test_serve_refuses_an_index_named_by_the_environment(runner, tmp_path, served, monkeypatch):
    monkeypatch.setenv("NEWS_SEARCH_INDEX", str(tmp_path / "elsewhere"))
    result = runner.invoke(cli, ["serve"])
    assert result.exit_code == 1 and f"no index in {tmp_path / 'elsewhere'}" in result.output
    assert not (tmp_path / "elsewhere").exists() and served == []


def test_serve_with_index_corpus_builds_the_index_it_is_given(runner, tmp_path, served, monkeypatch):
    monkeypatch.chdir(tmp_path)
    index_dir = tmp_path / "news"
    result = runner.invoke(cli, ["serve", "--index-dir", str(index_dir), "--index-corpus", "--port", "5099"])
    assert result.exit_code == 0, result.output
    assert "294 articles read: 294 added" in result.output
    assert served == [{"index": str(index_dir), "host": "127.0.0.1", "port": 5099, "debug": False, "threaded": True}]
    again = runner.invoke(cli, ["serve", "--index-dir", str(index_dir)])  # an index there now: served as it is
    assert again.exit_code == 0 and "articles read" not in again.output and len(served) == 2


def test_serve_an_existing_index(runner, index_dir, served):
    result = runner.invoke(cli, ["serve", "--index-dir", str(index_dir)])
    assert result.exit_code == 0 and result.output == ""
    assert served[0]["index"] == str(index_dir)


def answer(url: str, data: bytes | None = None) -> tuple[int, str, str]:
    """Status, media type and body of a request (a JSON POST when *data* is given)."""
    headers = {"Content-Type": "application/json"} if data is not None else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data, headers), timeout=30) as response:
            return response.status, response.headers.get_content_type(), response.read().decode()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers.get_content_type(), error.read().decode()


def wait_until_listening(server: subprocess.Popen) -> None:
    """Read gunicorn's log until it has bound its socket: from then on a request waits in the socket's queue
    until the worker takes it, so the first one needs no retries."""
    for line in server.stderr:
        if "Listening at" in line:
            return
    pytest.fail("gunicorn ended before listening")


def test_gunicorn_with_the_readme_options_lets_the_app_answer_long_queries(index_dir):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "NEWS_SEARCH_INDEX": str(index_dir)}
    command = [str(BIN / "gunicorn"), "-w", "1", "-b", f"127.0.0.1:{port}", *GUNICORN_OPTIONS, "wsgi:app"]
    with subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True) as server:
        try:
            wait_until_listening(server)
            assert answer(f"{base}/api/health")[0] == 200
            for q in ("a" * 5000, "+".join(["missiles"] * 600)):  # 5,000 characters; 600 words
                status, media_type, body = answer(f"{base}/api/search?q={q}")
                assert (status, media_type) == (400, "application/json"), body
                assert json.loads(body)["error"]["parameter"] == "q"
            # Past gunicorn's longest request line (8,190 bytes) only gunicorn answers: that is what POST is for.
            status, media_type, _ = answer(f"{base}/api/search?q={'a' * 9000}")
            assert status in (400, 414) and media_type != "application/json"
            status, _, body = answer(f"{base}/api/search", json.dumps({"q": "a" * 9000}).encode())
            assert status == 400 and json.loads(body)["error"]["parameter"] == "q"
            status, _, body = answer(f"{base}/api/search", json.dumps({"q": "missiles", "per_page": 2}).encode())
            assert status == 200 and len(json.loads(body)["results"]) == 2
        finally:
            server.terminate()
            server.wait(timeout=30)
