"""Fixtures: a few real-looking articles, a real Whoosh index built from them in a temporary
directory, the Flask app over it, its test client, a live HTTP server and the CLI runner.

With ``NEWS_SEARCH_TEST_BACKEND=sphinxql`` the app (and so its client and live server) serves the
same articles from a local Sphinx cluster instead -- two shards, the first mirrored -- which the
fixture starts and stops: the tests of the API, the pages and the feed then run against it.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from werkzeug.serving import make_server

from index.articles import read_articles
from index.writer import update_index
from search import create_app

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "corpus" / "000_4f5c96a77bf8f4f4.txt"

#: Articles written for the tests, as .txt files: name -> text (header, blank line, body).
ARTICLES = {
    "storm-shadow.txt": """\
Title: Britain weighs wider use of Storm Shadow missiles by Kyiv
Published: 2024-11-20
Source: Westbridge Herald
Author: Nora Pike
URL: https://herald.example/world/storm-shadow

LONDON — British ministers met on Wednesday to discuss whether Ukraine may fire Storm Shadow cruise missiles at military sites inside Russia, days after Washington eased its own limits on long-range weapons.
The missiles, built jointly with France, have a range of more than 250 km. Officials said no decision had been taken and that any change would be coordinated with Paris and the U.S. administration.
Defence analysts said the weapons could reach airfields used to launch glide bombs at Ukrainian cities. "It is a question of timing, not principle," one former commander said.
""",
    "grid-attacks.txt": """\
Title: Russian strikes hit Ukraine's power grid as winter nears
Published: 2024-11-18
Source: Northern Wire

KYIV — A wave of Russian missile and drone strikes damaged power plants across Ukraine overnight, forcing emergency blackouts in several regions as temperatures dropped below freezing.
The energy ministry said engineers were working to restore supply to hospitals and water pumping stations first. Eleven people were killed, according to regional governors.
Ukraine's air force said it shot down most of the incoming drones but that several ballistic missiles got through. Officials renewed calls for more air-defence systems from Western allies before the coldest months.
""",
    "bike-lanes.txt": """\
Title: Council approves protected bike lanes on Harbor Street
Published: 2024-10-02
Source: Harbor City Ledger

The city council voted 7-2 on Tuesday to build protected bike lanes along Harbor Street, ending a two-year debate over parking and delivery access.
Construction is expected to begin in the spring and cost about $4.5 million, paid for largely by a state transport grant. Shop owners won a promise of loading zones on every block.
Cycling groups called the vote a turning point. Opponents said they would push for a review after the first year.
""",
    "rates.txt": """\
Title: Central bank holds interest rates at 4.5% as inflation cools
Published: 2024-09-18
Source: Northern Wire

The central bank kept its benchmark rate at 4.5% on Wednesday, saying inflation had eased to 2.8% but that wage growth remained strong.
Governor Elena Marsh said the bank was in no hurry to cut. "We need to see services inflation come down further," she told reporters.
Markets had priced in a small chance of a cut. The currency rose slightly after the announcement.
""",
    "marathon.txt": """\
Title: Record field runs the Harbor City marathon
Published: 2023-04-16
Source: Harbor City Ledger

More than 12,000 runners finished the Harbor City marathon on Sunday, a record for the race, which was first held in 1979.
Kenyan runner Daniel Kipchoge won the men's race in 2:09:41, while Ana Ruiz set a course record in the women's race.
Volunteers handed out 60,000 cups of water along the route, which runs along the harbor and through the old town.
""",
}

#: An article whose title and body carry markup that must never reach a page unescaped.
HOSTILE = """\
Title: <script>alert("title")</script> Hostile <b>headline</b>
Published: 2024-11-01
Source: <img src=x onerror=alert(1)>

Researchers found <script>alert("body")</script> code in a press release about missile defence & "quotes".
The <iframe src="https://evil.example"></iframe> tag and <img src=x onerror=alert(2)> never belong in a snippet.
"""


def write_corpus(folder: Path, hostile: bool = True) -> Path:
    """The seed article and the test articles (and, with *hostile*, one full of markup) as files in *folder*."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(SEED, folder / SEED.name)
    for name, text in ARTICLES.items():
        (folder / name).write_text(text, encoding="utf-8")
    if hostile:
        (folder / "hostile.txt").write_text(HOSTILE, encoding="utf-8")
    return folder


def build_index(corpus: Path, index_dir: Path) -> Path:
    """Index *corpus* into *index_dir* through the real writer."""
    summary = update_index(index_dir, read_articles([corpus]))
    assert summary.skipped == 0 and summary.committed, summary
    return index_dir


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="session")
def index_dir(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_index(corpus, tmp_path_factory.mktemp("index") / "index")


#: The backend the shared app serves from (``whoosh``, or ``sphinxql``: a local cluster).
TEST_BACKEND = os.environ.get("NEWS_SEARCH_TEST_BACKEND", "whoosh")


@pytest.fixture(scope="session")
def backend_settings(corpus: Path, index_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """The settings of the shared app's backend: the Whoosh index, or a cluster of the same articles."""
    if TEST_BACKEND == "whoosh":
        yield {"INDEX": str(index_dir)}
        return
    assert TEST_BACKEND == "sphinxql", f"NEWS_SEARCH_TEST_BACKEND must be whoosh or sphinxql; got {TEST_BACKEND!r}"
    from search.sphinxql_backend.cluster import running_cluster
    from search.sphinxql_backend.writing import update_cluster
    from tests.test_cluster import require_searchd

    require_searchd()
    with running_cluster(tmp_path_factory.mktemp("served") / "cluster", shards=2, mirrors=1) as cluster:
        summary = update_cluster(cluster, read_articles([corpus]))
        assert summary.skipped == 0 and summary.committed, summary
        yield {"INDEX": str(index_dir), "BACKEND": "sphinxql", "CLUSTER": str(cluster.path)}


@pytest.fixture(scope="session")
def backend_env(backend_settings: dict) -> dict[str, str]:
    """The environment that points the command line at the shared app's backend."""
    return {f"NEWS_SEARCH_{name}": value for name, value in backend_settings.items() if name != "INDEX"}


@pytest.fixture(scope="session")
def app(backend_settings: dict):
    return create_app({"TESTING": True, **backend_settings})


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="session")
def live_server(app) -> Iterator[str]:
    """The app served over real HTTP on a free local port; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.fixture(scope="module")
def cluster_and_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    """The test articles written both to a local Sphinx cluster (two shards, the first mirrored) and to
    a Whoosh index, for comparing the backends; ``(cluster, index_dir)``, the cluster stopped after the module."""
    from search.sphinxql_backend.cluster import running_cluster
    from search.sphinxql_backend.writing import update_cluster
    from tests.test_cluster import require_searchd

    require_searchd()
    work = tmp_path_factory.mktemp("backends")
    corpus = write_corpus(work / "corpus")
    build_index(corpus, work / "index")
    with running_cluster(work / "cluster", shards=2, mirrors=1) as cluster:
        update_cluster(cluster, read_articles([corpus]))
        yield cluster, work / "index"
