"""``news-search serve`` from the repository: indexes corpus/ when there is no index, then answers over HTTP."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NEWS_SEARCH = str(Path(sys.executable).parent / "news-search")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_serve_indexes_the_bundled_corpus_then_serves_it(tmp_path):
    port = free_port()
    env = {**os.environ, "NEWS_SEARCH_INDEX": str(tmp_path / "index")}
    with subprocess.Popen([NEWS_SEARCH, "serve", "--port", str(port)], cwd=REPO, env=env,
                          stderr=subprocess.PIPE, text=True) as server:
        try:
            output = []
            for line in server.stderr:  # the server says where it listens once it does
                output.append(line)
                if "Running on" in line:
                    break
            assert any("indexing corpus/ first" in line for line in output), output
            assert any(line.startswith("294 articles read: 294 added") for line in output), output
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/search?q=ATACMS", timeout=30) as response:
                body = json.load(response)
            assert "<mark>ATACMS</mark>" in body["results"][0]["passages"][0]["snippet"]
        finally:
            server.terminate()
            server.wait(timeout=30)
