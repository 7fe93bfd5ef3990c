"""The passage benchmark: its measures worked out by hand, and its topics and grades kept whole --
every grade names a passage that exists, and the shipped ranking shows no passage left ungraded."""

from __future__ import annotations

import math
import tempfile
from collections import Counter
from pathlib import Path

import pytest

from benchmarks.passages import (
    ANSWERS,
    OURS,
    SHOWN,
    Grades,
    Unit,
    agreement,
    engines,
    fingerprint,
    ndcg,
    peer_units,
    read_judgments,
    read_records,
    read_topics,
    shipped,
    unjudged,
)
from index.articles import Article
from tests.data_paths import require_data


def test_a_unit_is_named_by_its_article_and_offsets():
    unit = Unit("reuters-1@x", 10, 250)
    assert Unit.from_key(unit.key) == unit


def test_ndcg_with_grades_as_gains():
    assert ndcg([2, 1, 0], [2, 1]) == pytest.approx(1.0)
    assert ndcg([0, 2], [2]) == pytest.approx(1 / math.log2(3))
    assert ndcg([1], [2, 2]) == pytest.approx(1 / (2 + 2 / math.log2(3)))
    assert ndcg([], []) == 0.0


def test_peer_passages_are_runs_of_whole_words_with_offsets_into_the_body():
    article = Article(id="a", title="T", path="a", body=" ".join(f"w{i}" for i in range(130)) + "\nend")
    units = peer_units(article, words=50)
    assert len(units) == 3  # 131 words in nearly equal runs of about 50
    assert article.body[units[0].start:units[0].end].split()[0] == "w0"
    assert article.body[units[-1].start:units[-1].end].endswith("end")
    assert sum(len(article.body[u.start:u.end].split()) for u in units) == 131


def test_a_wire_copy_of_a_graded_passage_takes_its_grade():
    first = Article(id="one", title="Same", path="one", body="Identical text of a story.")
    copy = Article(id="two", title="Same", path="two", body="Identical text of a story.")
    other = Article(id="three", title="Other", path="three", body="Identical text of a story.")
    articles = {article.id: article for article in (first, copy, other)}
    grades = Grades({"t": {Unit("one", 0, 26): 2}}, articles)
    assert grades.grade("t", Unit("two", 0, 26)) == 2
    assert grades.grade("t", Unit("three", 0, 26)) is None  # another title: another passage as read
    assert fingerprint(articles, Unit("one", 0, 26)) == fingerprint(articles, Unit("two", 0, 26))
    assert grades.ideal("t") == [2]


def test_the_first_grade_counts_and_a_second_assessor_s_is_an_opinion(tmp_path):
    path = tmp_path / "grades.jsonl"
    path.write_text('{"topic": "t", "passage": "a@0-5", "grade": 2, "assessor": "x"}\n'
                    '{"topic": "t", "passage": "a@0-5", "grade": 1, "assessor": "y"}\n', encoding="utf-8")
    assert read_judgments(path) == {"t": {Unit("a", 0, 5): 2}}
    assert agreement(read_records(path))["passages"] == 1
    assert agreement(read_records(path))["equal"] == 0.0


def test_the_topics_are_questions_split_in_two_folds():
    topics = read_topics()
    assert len(topics) >= 40
    assert len({topic.id for topic in topics}) == len(topics)
    assert {topic.corpus for topic in topics} == {"reuters", "bbc"}
    folds = Counter(topic.fold for topic in topics)
    assert min(folds.values()) >= 20
    assert all(topic.answers.startswith("A passage answers") for topic in topics)


def test_every_topic_is_graded_by_a_named_assessor_and_a_sample_twice():
    records = read_records()
    topics = {topic.id for topic in read_topics()}
    assert {record["topic"] for record in records} == topics
    assert all(record["assessor"] and record["grade"] in (0, 1, 2) for record in records)
    judged = read_judgments()
    assert all(ANSWERS in grades.values() for grades in judged.values())  # every topic has an answer
    assert agreement(records)["passages"] >= 100


@pytest.mark.data
def test_every_grade_names_a_passage_of_the_corpora_and_the_shipped_ranking_shows_none_ungraded():
    require_data("reuters21578")
    require_data("bbc_news")
    topics = read_topics()
    with tempfile.TemporaryDirectory(prefix="passages-") as work, engines(topics, Path(work)) as found:
        for topic, grades in read_judgments().items():
            for unit in grades:
                body = found.articles[unit.article].body
                assert 0 <= unit.start < unit.end <= len(body), unit
        grades = Grades(read_judgments(), found.articles)
        runs = {**found.runs(shipped()), **found.peers}
        assert set(runs) >= {OURS, SHOWN}
        assert all(len(run) == len(topics) for run in runs.values())
        missing = unjudged(runs, grades)
        assert not missing, f"{sum(map(len, missing.values()))} passages are not graded: run the pool command"
