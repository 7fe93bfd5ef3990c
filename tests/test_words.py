"""How text becomes searchable words: the forms of a word find each other, as SQLite FTS5's Porter
stemmer has them; US and May are words, not stop words; an index written with Whoosh's own stemmer
and stop words keeps matching its own words until it is rebuilt."""

from __future__ import annotations

import gzip
import json
import re
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from index.articles import Article
from index.schema import SCHEMA, EARLIER_SCHEMA, stemmer_of
from index.stemming import porter_stem
from index.store import open_index
from index.writer import update_index
from search import create_app

ROOT = Path(__file__).resolve().parent.parent
#: An index written with Whoosh's own Porter stemmer: the seed article and ``harbour-1``.
EARLIER_INDEX = ROOT / "tests" / "fixtures" / "earlier-index"

FORMS = [
    Article(id="launch", title="Rocket programme accelerated", path="launch.txt",
            body="The agency accelerated its launch schedule after the engine tests were running smoothly."),
    Article(id="clinic", title="Clinics report more people vaccinated", path="clinic.txt",
            body="Health workers vaccinated forty thousand people in the first week of the campaign."),
    Article(id="market", title="Fish market reopens", path="market.txt",
            body="Traders stopped work for a day while the harbour was cleaned."),
    Article(id="brexit", title="May meets EU leaders", path="brexit.txt",
            body="Theresa May asked the EU for more time; the US said it would watch the talks closely."),
]


def results(client, query: str) -> list[str]:
    return [hit["article_id"] for hit in client.get("/api/search", query_string={"q": query}).get_json()["results"]]


def test_each_form_of_a_word_finds_the_others(tmp_path: Path):
    update_index(tmp_path / "index", FORMS)
    client = create_app({"TESTING": True, "INDEX": str(tmp_path / "index")}).test_client()
    assert results(client, "accelerate") == ["launch"]
    assert results(client, "accelerating") == ["launch"]
    assert results(client, "run") == ["launch"]
    assert results(client, "vaccine") == ["clinic"]
    assert results(client, "vaccinations") == ["clinic"]
    assert results(client, "stop") == ["market"]
    snippet = client.get("/api/search?q=vaccine").get_json()["results"][0]["passages"][0]["snippet"]
    assert "<mark>vaccinated</mark>" in snippet


def test_us_and_may_are_searched_for(tmp_path: Path):
    update_index(tmp_path / "index", FORMS)
    client = create_app({"TESTING": True, "INDEX": str(tmp_path / "index")}).test_client()
    assert results(client, "US") == ["brexit"]
    assert results(client, "Theresa May") == ["brexit"]
    body = client.get("/api/search?q=May").get_json()
    assert body["total"] == 1 and "<mark>May</mark>" in body["results"][0]["passages"][0]["snippet"]
    assert results(client, "the") == []  # still a stop word


def fts5_porter_stems(words: list[str]) -> dict[str, str]:
    """Each of *words* as SQLite FTS5's ``porter`` tokenizer stems it (from its ``instance`` vocabulary)."""
    with closing(sqlite3.connect(":memory:")) as db:
        try:
            db.execute("CREATE VIRTUAL TABLE words USING fts5(word, tokenize='porter ascii')")
            db.execute("CREATE VIRTUAL TABLE stems USING fts5vocab(words, 'instance')")
        except sqlite3.OperationalError as error:
            pytest.skip(f"this Python's SQLite has no FTS5 ({error})")
        db.executemany("INSERT INTO words (rowid, word) VALUES (?, ?)", enumerate(words, 1))
        return {words[row - 1]: stem for stem, row in db.execute("SELECT term, doc FROM stems")}


def test_stems_agree_with_sqlite_fts5s_porter_stemmer_on_every_word_of_the_bundled_corpus():
    words: set[str] = set()
    with gzip.open(ROOT / "corpus" / "wikinews_2019_2020.jsonl.gz", "rt", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            words.update(re.findall(r"[a-z]+", f"{record['title']} {record['body']}".lower()))
    assert len(words) > 10_000
    theirs = fts5_porter_stems(sorted(words))
    differ = {word for word in words if porter_stem(word) != theirs[word]}

    def explained(word: str) -> bool:
        """FTS5's two later revisions of Porter's rules (-logi, -bli), a doubled consonant Snowball
        keeps, or a word of three letters."""
        ours = porter_stem(word)
        return (ours.endswith(("logi", "bli")) or len(word) <= 3
                or len(ours) > 1 and ours[-1] == ours[-2] and ours[-1] not in "aeiouylsz")

    assert {word for word in differ if not explained(word)} == set()
    assert len(differ) < len(words) / 300
    # Whoosh's own stemmer, which indexes written before kept, differs on many more.
    whoosh_stem = stemmer_of(EARLIER_SCHEMA)
    assert sum(whoosh_stem(word) != theirs[word] for word in words) > 5 * len(differ)


def test_an_index_written_with_whoosh_s_stemmer_and_stop_words_keeps_its_words_until_rebuilt(tmp_path: Path):
    index_dir = tmp_path / "index"
    shutil.copytree(EARLIER_INDEX, index_dir)
    assert stemmer_of(open_index(index_dir).schema) is stemmer_of(EARLIER_SCHEMA)
    client = create_app({"TESTING": True, "INDEX": str(index_dir)}).test_client()
    assert results(client, "dock strikes")[0] == "harbour-1"
    # An update writes the stems the index holds, and a query is read with them.
    update_index(index_dir, FORMS)
    assert open_index(index_dir).schema is not SCHEMA
    with open_index(index_dir).searcher() as searcher:
        assert ("body", b"accelerat") in searcher.reader() and ("body", b"acceler") not in searcher.reader()
    assert results(client, "accelerated") == ["launch"]
    assert results(client, "accelerate") == []  # Whoosh's stemmer: accelerat against acceler
    assert results(client, "stopped") == ["market"]
    assert results(client, "US") == []  # a stop word there
    assert client.get("/api/search?q=US").get_json()["warnings"] == ["The query has no words that can be searched for."]
    # A rebuild re-stems every article, in several processes or one.
    for procs in (2, 1):
        articles = [*FORMS, Article(id="harbour-1", title="Dock strike", path="harbour-1.txt",
                                    body="Dockers walked out at the container port on Monday.")]
        summary = update_index(index_dir, articles, rebuild=True, procs=procs)
        assert summary.committed and stemmer_of(open_index(index_dir).schema) is porter_stem
        with open_index(index_dir).searcher() as searcher:
            reader = searcher.reader()
            assert ("body", b"acceler") in reader and ("body", b"accelerat") not in reader
            assert ("body", b"stop") in reader and ("body", b"stopp") not in reader
        assert results(client, "accelerate") == ["launch"]
        assert results(client, "run") == ["launch"]
        assert results(client, "US") == ["brexit"]


def test_the_command_line_says_when_an_index_keeps_whoosh_s_words_and_how_to_write_it_again(tmp_path: Path):
    from click.testing import CliRunner

    from index.cli import cli

    index_dir, articles = tmp_path / "index", tmp_path / "articles"
    shutil.copytree(EARLIER_INDEX, index_dir)
    articles.mkdir()
    (articles / "launch.txt").write_text("Title: Rocket programme accelerated\n\nThe agency accelerated its launch "
                                         "schedule after the engine tests were running smoothly.\n", encoding="utf-8")
    runner = CliRunner()
    updated = runner.invoke(cli, ["index", str(articles), "--index-dir", str(index_dir)])
    assert updated.exit_code == 0 and "1 added" in updated.stdout
    assert "Note: this index was written with Whoosh's Porter stemmer and stop words" in updated.stderr
    assert "--rebuild` re-indexes it" in runner.invoke(cli, ["stats", "--index-dir", str(index_dir)]).stdout
    assert json.loads(runner.invoke(cli, ["stats", "--json", "--index-dir", str(index_dir)]).stdout)["stemmer"] \
        == "whoosh-porter"
    rebuilt = runner.invoke(cli, ["index", str(articles), "--rebuild", "--index-dir", str(index_dir)])
    assert rebuilt.exit_code == 0 and "Note:" not in rebuilt.stderr
    assert json.loads(runner.invoke(cli, ["stats", "--json", "--index-dir", str(index_dir)]).stdout)["stemmer"] \
        == "porter"
    found = runner.invoke(cli, ["search", "accelerate", "--index-dir", str(index_dir)])
    assert "Rocket programme accelerated" in found.stdout
