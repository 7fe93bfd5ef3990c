"""Passages that answer a question: our engine beside two FTS5 peers, on graded question topics.

The topics (:data:`TOPICS`) are questions over Reuters-21578 and BBC News, each with a line saying
what answers it. Every system's top :data:`DEPTH` passages for a topic are pooled and graded by
assessors who read each passage alone with its story's title, not knowing which system found it:
2 the passage answers the question, 1 it is on the topic without answering it, 0 it is not on the topic.
The grades (:data:`JUDGMENTS`) name the passage by its article and character offsets into the body,
never by its text, and record who judged it.

The systems, each searched with the question as a person would type it:

* ``news-search`` -- our index searched by :func:`search.engine.search` with ``group=passage``
  (and with ``--cluster``, ``news-search, cluster``: the same search over a local cluster of Sphinx);
* ``FTS5 50-word passages`` -- SQLite FTS5 (``porter unicode61``, BM25) over the articles cut into
  runs of about :data:`PEER_WORDS` words, each with its article's title, the question's words OR-ed;
* ``FTS5 our passages`` -- the same over the passages our indexer cuts (:func:`index.passages.split_text`).

And what the reader sees by default: ``news-search articles`` lists, for the top
:data:`SHOWN_ARTICLES` articles of ``group=article``, the passages shown under each, in order.

Commands::

    python -m benchmarks.passages pool OUT_DIR      # the passages of every run not yet graded, to grade
    python -m benchmarks.passages score [--json F]  # nDCG@10, answering share of the top 5, per fold
    python -m benchmarks.passages score --cluster   # and the same searches on a local cluster (searchd)

A figure is printed only when every passage it counts is graded; otherwise ``score`` says how many are
not and ``pool`` writes them out. Topics are split into two folds by the parity of their number, so
that a parameter chosen on one fold is reported on the other.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import math
import random
import re
import sqlite3
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path

from benchmarks.corpora import bbc_articles, data_dir, reuters_articles, write_jsonl
from benchmarks.relevance import equal_runs, fts5_query
from benchmarks.tuning import bootstrap
from index.articles import Article, read_articles
from index.passages import split_text
from search.backend import Snapshot
from search.backends import open_backend
from search.engine import search
from search.params import MAX_QUERY_CHARS, parse_search_params

HERE = Path(__file__).resolve().parent
TOPICS = HERE / "passage_topics.json"
JUDGMENTS = HERE / "passage_judgments.jsonl"

DEPTH = 10
TOP = 5
SHOWN_ARTICLES = 5
PEER_WORDS = 50
GRADES = (0, 1, 2)
ANSWERS = 2

_WORD = re.compile(r"\S+")

CORPORA: dict[str, Callable[[], Iterable[dict]]] = {"reuters": reuters_articles, "bbc": bbc_articles}
OURS = "news-search"
SHOWN = "news-search articles"
SHOWN_FIRST = f"{SHOWN}, first passage"
FTS5_PEER = "FTS5 50-word passages"
FTS5_OURS = "FTS5 our passages"
PEERS = (FTS5_PEER, FTS5_OURS)
OURS_HELD = "news-search, held out"
#: After the name of a run on a cluster (``--cluster``).
ON_CLUSTER = ", cluster"
SHOWN_HELD = "news-search articles, held out"


@dataclass(frozen=True, order=True)
class Unit:
    """A passage: characters ``start:end`` of an article's body."""

    article: str
    start: int
    end: int

    @property
    def key(self) -> str:
        return f"{self.article}@{self.start}-{self.end}"

    @classmethod
    def from_key(cls, key: str) -> Unit:
        article, _, span = key.rpartition("@")
        start, _, end = span.partition("-")
        return cls(article, int(start), int(end))


@dataclass(frozen=True)
class Topic:
    id: str
    corpus: str
    question: str
    answers: str

    @property
    def fold(self) -> int:
        """0 or 1: the parity of the topic's number."""
        return int("".join(filter(str.isdigit, self.id)) or 0) % 2


Run = dict[str, list[Unit]]  # ranked passages by topic id


def read_topics(path: Path = TOPICS) -> list[Topic]:
    """The question topics."""
    return [Topic(**record) for record in json.loads(path.read_text(encoding="utf-8"))]


def read_records(path: Path = JUDGMENTS) -> list[dict]:
    """Every grade given: ``{"topic", "passage", "grade", "assessor"}``, in the order given."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def read_judgments(path: Path = JUDGMENTS) -> dict[str, dict[Unit, int]]:
    """Grades by topic id and passage: the first grade given to a passage counts, a later one by
    another assessor is a second opinion (:func:`agreement`)."""
    grades: dict[str, dict[Unit, int]] = {}
    for record in read_records(path):
        grades.setdefault(record["topic"], {}).setdefault(Unit.from_key(record["passage"]), int(record["grade"]))
    return grades


def agreement(records: Sequence[dict]) -> dict:
    """How far two assessors agree on the passages both graded: the share of equal grades, Cohen's
    kappa on the three grades, and on *answers or not* (grade 2 against 0 and 1).

    >>> r = [{"topic": "t", "passage": p, "grade": g, "assessor": a}
    ...      for p, g, a in [("x", 2, "a"), ("x", 2, "b"), ("y", 0, "a"), ("y", 1, "b")]]
    >>> agreement(r)["equal"], agreement(r)["kappa, answers or not"]
    (0.5, 1.0)
    """
    first: dict[tuple, dict] = {}
    pairs: list[tuple[int, int]] = []
    for record in records:
        key = (record["topic"], record["passage"])
        if key not in first:
            first[key] = record
        elif record["assessor"] != first[key]["assessor"]:
            pairs.append((int(first[key]["grade"]), int(record["grade"])))
    answers = [(a == ANSWERS, b == ANSWERS) for a, b in pairs]
    return {"passages": len(pairs), "equal": round(mean(a == b for a, b in pairs), 3),
            "kappa": round(kappa(pairs), 3), "kappa, answers or not": round(kappa(answers), 3)}


def kappa(pairs: Sequence[tuple]) -> float:
    """Cohen's kappa of paired labels: agreement beyond what the two labellers' rates give by chance."""
    if not pairs:
        return 0.0
    observed = mean(a == b for a, b in pairs)
    labels = {label for pair in pairs for label in pair}
    chance = sum(mean(a == label for a, _ in pairs) * mean(b == label for _, b in pairs) for label in labels)
    return (observed - chance) / (1 - chance) if chance < 1 else 1.0


def corpus_articles(corpus: str, folder: Path) -> list[Article]:
    """The articles of *corpus* exactly as the indexer reads them (bodies whose offsets we grade)."""
    path = folder / f"{corpus}.jsonl"
    write_jsonl(CORPORA[corpus](), path)
    return [article for article in read_articles([path]) if isinstance(article, Article)]


def text_of(articles: dict[str, Article], unit: Unit) -> str:
    return articles[unit.article].body[unit.start:unit.end]


def fingerprint(articles: dict[str, Article], unit: Unit) -> str:
    """Title and text of a passage as a hash: wire copies of the same passage share a grade."""
    article = articles[unit.article]
    return hashlib.sha1(f"{article.title}\n{text_of(articles, unit)}".encode()).hexdigest()


def peer_units(article: Article, words: int = PEER_WORDS) -> list[Unit]:
    """*article*'s body cut into nearly equal runs of about *words* whitespace-separated words."""
    spans = [(found.start(), found.end()) for found in _WORD.finditer(article.body)]
    if not spans:
        return []
    return [Unit(article.id, spans[start][0], spans[end - 1][1]) for start, end in equal_runs(len(spans), words)]


def our_units(article: Article) -> list[Unit]:
    """The passages our indexer cuts from *article*."""
    return [Unit(article.id, passage.start, passage.end) for passage in split_text(article.body)]


def question_text(question: str) -> str:
    """The question as typed into the search box: lower-cased, cut to the query limit."""
    return question.lower()[:MAX_QUERY_CHARS]


def fts5_run(articles: Sequence[Article], cut: Callable[[Article], list[Unit]], topics: Sequence[Topic]) -> Run:
    """Rank the passages *cut* makes of *articles* by FTS5's BM25 for every topic."""
    by_id = {article.id: article for article in articles}
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE VIRTUAL TABLE docs USING fts5(unit UNINDEXED, title, body, tokenize='porter unicode61')")
    with connection:
        connection.executemany(
            "INSERT INTO docs (unit, title, body) VALUES (?, ?, ?)",
            ((unit.key, article.title, text_of(by_id, unit)) for article in articles for unit in cut(article)),
        )
    run: Run = {}
    for topic in topics:
        match = fts5_query(question_text(topic.question))
        rows = connection.execute(
            "SELECT unit FROM docs WHERE docs MATCH ? ORDER BY bm25(docs), rowid LIMIT ?", (match, DEPTH)
        ) if match else []
        run[topic.id] = [Unit.from_key(key) for (key,) in rows]
    connection.close()
    return run


Setting = tuple  # one value per knob of KNOBS, in order
RANKING = "search.whoosh_backend.passage_ranking"

#: What the engine's passage ranking may be tuned by: (name, module, attribute, values tried).
KNOBS = (
    ("question words dropped", "search.query", "DROP_QUESTION_WORDS", (False, True)),
    ("rare words", RANKING, "RARE_WORDS", (False, True)),
    ("title weight", RANKING, "PASSAGE_TITLE_WEIGHT", (1.0, 2.0)),
    ("article context", RANKING, "ARTICLE_CONTEXT", (0.0, 0.25, 0.5, 1.0)),
    ("coverage", RANKING, "COVERAGE_WEIGHT", (0.0, 0.25, 0.5)),
    ("proximity", RANKING, "PROXIMITY_WEIGHT", (0.0, 0.25, 0.5)),
)


def shipped() -> Setting:
    """The values the code ships with."""
    return tuple(getattr(import_module(module), attribute) for _, module, attribute, _ in KNOBS)


def grid() -> list[Setting]:
    """Every setting of :data:`KNOBS`."""
    return list(itertools.product(*(values for *_, values in KNOBS)))


def complexity(setting: Setting) -> int:
    """How many knobs differ from their first value (off, or the plainer choice): a tie goes to the simpler."""
    return sum(value != values[0] for (*_, values), value in zip(KNOBS, setting))


def describe(setting: Setting) -> str:
    return ", ".join(f"{name} {value}" for (name, *_), value in zip(KNOBS, setting))


@contextmanager
def applied(setting: Setting) -> Iterator[None]:
    """The engine ranks with *setting* inside the block; the shipped values are restored after it."""
    before = shipped()
    try:
        for (_, module, attribute, _), value in zip(KNOBS, setting):
            setattr(import_module(module), attribute, value)
        yield
    finally:
        for (_, module, attribute, _), value in zip(KNOBS, before):
            setattr(import_module(module), attribute, value)


def engine_search(snapshot: Snapshot, topics: Sequence[Topic], setting: Setting, shown: bool = True) -> dict[str, Run]:
    """Every topic searched grouped by passage (:data:`OURS`), and grouped by article (:data:`SHOWN`:
    the passages shown under the first :data:`SHOWN_ARTICLES` articles), with *setting*."""
    runs: dict[str, Run] = {OURS: {}, SHOWN: {}, SHOWN_FIRST: {}} if shown else {OURS: {}}
    with applied(setting):
        for topic in topics:
            q = question_text(topic.question)
            passages = search(snapshot, parse_search_params({"q": q, "group": "passage", "per_page": str(DEPTH)}))
            runs[OURS][topic.id] = [Unit(hit.article_id, p.start, p.end) for hit in passages.hits for p in hit.passages]
            if shown:
                found = search(snapshot, parse_search_params({"q": q, "per_page": str(SHOWN_ARTICLES)}))
                runs[SHOWN][topic.id] = [Unit(hit.article_id, p.start, p.end) for hit in found.hits for p in hit.passages]
                runs[SHOWN_FIRST][topic.id] = [Unit(hit.article_id, hit.passages[0].start, hit.passages[0].end)
                                               for hit in found.hits if hit.passages]
    return runs


@dataclass
class Engines:
    """One index per corpus, open for searching with any setting, and the peers' runs."""

    topics: Sequence[Topic]
    snapshots: dict[str, Snapshot]
    articles: dict[str, Article]
    peers: dict[str, Run]
    clusters: dict[str, Snapshot] = field(default_factory=dict)

    def runs(self, setting: Setting, shown: bool = True, cluster: bool = False) -> dict[str, Run]:
        """The engine's runs (:data:`OURS`, and with *shown* :data:`SHOWN`) with *setting*, over every
        topic; with *cluster*, on the clusters (named with :data:`ON_CLUSTER` after them)."""
        runs: dict[str, Run] = {}
        for corpus, snapshot in (self.clusters if cluster else self.snapshots).items():
            chosen = [topic for topic in self.topics if topic.corpus == corpus]
            for name, run in engine_search(snapshot, chosen, setting, shown).items():
                runs.setdefault(name + (ON_CLUSTER if cluster else ""), {}).update(run)
        return runs


@contextmanager
def engines(topics: Sequence[Topic], work: Path, progress: Callable[[str], None] = lambda line: None,
            cluster: bool = False) -> Iterator[Engines]:
    """Index every corpus the topics are about into *work*, and run the FTS5 peers over it; with
    *cluster*, write each corpus to a local cluster of two shards as well (``searchd`` needed)."""
    with ExitStack() as stack:
        found = Engines(topics, {}, {}, {FTS5_PEER: {}, FTS5_OURS: {}})
        for corpus in CORPORA:
            chosen = [topic for topic in topics if topic.corpus == corpus]
            if not chosen:
                continue
            progress(f"{corpus}: reading")
            read = corpus_articles(corpus, work)
            found.articles.update((article.id, article) for article in read)
            progress(f"{corpus}: {len(read)} articles; indexing")
            backend = stack.enter_context(open_backend({"INDEX": str(work / f"index-{corpus}")}))
            backend.update(read)
            found.snapshots[corpus] = stack.enter_context(backend.snapshot())
            if cluster:
                progress(f"{corpus}: writing to a cluster")
                found.clusters[corpus] = stack.enter_context(cluster_snapshot(stack, work / f"cluster-{corpus}", read))
            progress(f"{corpus}: FTS5 peers")
            found.peers[FTS5_PEER].update(fts5_run(read, peer_units, chosen))
            found.peers[FTS5_OURS].update(fts5_run(read, our_units, chosen))
        yield found


def cluster_snapshot(stack: ExitStack, directory: Path, articles: Sequence[Article]) -> Snapshot:
    """A snapshot of the SphinxQL backend over a local cluster of two shards in *directory* holding
    *articles*; the cluster is stopped when *stack* closes."""
    from search.sphinxql_backend.cluster import running_cluster
    from search.sphinxql_backend.writing import update_cluster

    cluster = stack.enter_context(running_cluster(directory, shards=2))
    update_cluster(cluster, articles)
    backend = stack.enter_context(open_backend({"BACKEND": "sphinxql", "SPHINXQL": cluster.head,
                                                "CLUSTER": str(cluster.path)}))
    return backend.snapshot()


class Grades:
    """The grades of passages for each topic, a wire copy of a graded passage taking its grade."""

    def __init__(self, judged: dict[str, dict[Unit, int]], articles: dict[str, Article]) -> None:
        self.articles = articles
        self.judged = judged
        self.by_text: dict[str, dict[str, int]] = {}
        for topic, grades in judged.items():
            for unit, grade in grades.items():
                if unit.article in articles:
                    self.by_text.setdefault(topic, {})[fingerprint(articles, unit)] = grade

    def grade(self, topic: str, unit: Unit) -> int | None:
        grade = self.judged.get(topic, {}).get(unit)
        if grade is None and unit.article in self.articles:
            grade = self.by_text.get(topic, {}).get(fingerprint(self.articles, unit))
        return grade

    def ideal(self, topic: str) -> list[int]:
        """The topic's best possible grades, one per distinct graded passage text."""
        return sorted(self.by_text.get(topic, {}).values(), reverse=True)


def dcg(grades: Iterable[int]) -> float:
    return sum(grade / math.log2(rank + 2) for rank, grade in enumerate(grades))


def ndcg(ranked: Sequence[int], ideal: Sequence[int], depth: int = DEPTH) -> float:
    """nDCG@*depth* with the grade as gain (0 when the topic has no passage graded above 0)."""
    best = dcg(ideal[:depth])
    return dcg(ranked[:depth]) / best if best else 0.0


def unjudged(runs: dict[str, Run], grades: Grades) -> dict[str, set[Unit]]:
    """The passages of *runs* not graded yet, by topic (a wire copy of a graded passage is graded)."""
    missing: dict[str, set[Unit]] = {}
    for name, run in runs.items():
        for topic, units in run.items():
            for unit in units if name == SHOWN else units[:DEPTH]:
                if grades.grade(topic, unit) is None:
                    missing.setdefault(topic, set()).add(unit)
    return missing


@dataclass
class SystemScores:
    ndcg: dict[str, float]
    answering: dict[str, float]  # share of the first TOP passages that answer


def score_run(run: Run, grades: Grades) -> SystemScores:
    scores = SystemScores({}, {})
    for topic, units in run.items():
        ranked = [grades.grade(topic, unit) or 0 for unit in units[:DEPTH]]
        scores.ndcg[topic] = ndcg(ranked, grades.ideal(topic))
        scores.answering[topic] = sum(grade == ANSWERS for grade in ranked[:TOP]) / TOP
    return scores


def shown_answering(run: Run, grades: Grades) -> dict[str, float]:
    """The answering share of every passage shown under the first articles (not only the first five)."""
    return {topic: sum(grades.grade(topic, unit) == ANSWERS for unit in units) / len(units) if units else 0.0
            for topic, units in run.items()}


def mean(values: Iterable[float]) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0


def report(runs: dict[str, Run], grades: Grades, topics: Sequence[Topic]) -> dict:
    """Per-system figures over all topics and by fold, with the paired interval of each of our passage
    runs minus each peer; the answering share of the passages shown under articles, for each such run."""
    folds = {"all": [t.id for t in topics], "odd": [t.id for t in topics if t.fold],
             "even": [t.id for t in topics if not t.fold]}
    scored = {name: score_run(run, grades) for name, run in runs.items() if not name.startswith(SHOWN)}
    result: dict = {"topics": len(topics), "systems": {}, "versus": {}, "shown": {}}
    for name, scores in scored.items():
        result["systems"][name] = {
            fold: {"nDCG@10": round(mean(scores.ndcg[t] for t in ids), 3),
                   f"answering@{TOP}": round(mean(scores.answering[t] for t in ids), 3)}
            for fold, ids in folds.items()
        }
    for name, run in runs.items():
        if name.startswith(SHOWN):
            shown = shown_answering(run, grades)
            result["shown"][name] = {fold: round(mean(shown[t] for t in ids if t in shown), 3) for fold, ids in folds.items()}
    for ours in scored:
        if ours in PEERS:
            continue
        for peer in PEERS:
            for fold, ids in folds.items():
                differences = [scored[ours].ndcg[t] - scored[peer].ndcg[t] for t in ids]
                low, high = bootstrap(differences)
                result["versus"].setdefault(f"{ours} − {peer}", {})[fold] = {
                    "difference": round(mean(differences), 3), "interval": [round(low, 3), round(high, 3)],
                    "better": sum(d > 0 for d in differences), "worse": sum(d < 0 for d in differences)}
    result["per_topic"] = {name: scores.ndcg for name, scores in scored.items()}
    return result


def table(result: dict) -> str:
    lines = ["| passages | nDCG@10 all | odd | even | answering@5 all | odd | even |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for name, folds in result["systems"].items():
        cells = [f"{folds[f]['nDCG@10']:.3f}" for f in ("all", "odd", "even")]
        cells += [f"{folds[f][f'answering@{TOP}']:.2f}" for f in ("all", "odd", "even")]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    for name, shown in result["shown"].items():
        what = "first passage shown" if name.startswith(SHOWN_FIRST) else "passages shown"
        lines.append(f"| {name}: {what} under the top {SHOWN_ARTICLES} | | | | "
                     f"{shown['all']:.2f} | {shown['odd']:.2f} | {shown['even']:.2f} |")
    lines += ["", "| nDCG@10 difference, 95% interval | all | odd | even |", "|---|---|---|---|"]
    for name, folds in result["versus"].items():
        cells = [f"{v['difference']:+.3f} [{v['interval'][0]:+.3f}, {v['interval'][1]:+.3f}] "
                 f"({v['better']} better, {v['worse']} worse)" for v in (folds[f] for f in ("all", "odd", "even"))]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def packets(missing: dict[str, set[Unit]], topics: Sequence[Topic], articles: dict[str, Article],
            seed: int = 0) -> Iterator[dict]:
    """The passages to grade, one record each, shuffled within a topic so that no order tells which
    system found them; wire copies of one passage text appear once."""
    generator = random.Random(seed)
    for topic in topics:
        seen: set[str] = set()
        units = []
        for unit in sorted(missing.get(topic.id, ())):
            mark = fingerprint(articles, unit)
            if mark not in seen:
                seen.add(mark)
                units.append(unit)
        generator.shuffle(units)
        for unit in units:
            yield {"topic": topic.id, "question": topic.question, "answers": topic.answers,
                   "passage": unit.key, "title": articles[unit.article].title, "text": text_of(articles, unit)}


#: The settings whose runs are pooled for grading beside the shipped one (``pool --grid`` adds every
#: setting :func:`tune` tries): passages ranked by their own BM25F alone, with and without the
#: question's opening words, and with their article's relevance and coverage.
POOLED = (
    (False, False, 2.0, 0.0, 0.0, 0.0),
    (True, False, 2.0, 0.0, 0.0, 0.0),
    (True, False, 2.0, 0.5, 0.0, 0.0),
    (True, False, 2.0, 0.0, 0.5, 0.0),
    (True, False, 2.0, 0.5, 0.5, 0.0),
)


class SettingRuns:
    """The engine's passage run for each setting, searched once (and kept in *cache*, a JSON file, when
    given: runs do not depend on the grades, so new grades score again without searching)."""

    def __init__(self, found: Engines, cache: Path | None = None) -> None:
        self.found, self.cache = found, cache
        self.runs: dict[str, dict[str, list[str]]] = {}
        if cache is not None and cache.exists():
            self.runs = json.loads(cache.read_text(encoding="utf-8"))

    def __call__(self, setting: Setting) -> Run:
        key = describe(setting)
        if key not in self.runs:
            run = self.found.runs(setting, shown=False)[OURS]
            self.runs[key] = {topic: [unit.key for unit in units] for topic, units in run.items()}
        return {topic: [Unit.from_key(unit) for unit in units] for topic, units in self.runs[key].items()}

    def save(self) -> None:
        if self.cache is not None:
            self.cache.write_text(json.dumps(self.runs), encoding="utf-8")


def tune(found: Engines, grades: Grades, progress: Callable[[str], None],
         cache: Path | None = None) -> tuple[dict, dict[str, Run]]:
    """Two-fold cross-validation over :func:`grid`: the setting with the best mean nDCG@10 on one fold's
    topics (an ungraded passage counting 0) is scored on the other's; a tie goes to the simpler setting.
    Returns the held-out figures, the settings chosen (on each fold, and on every topic: the one to
    ship) and the runs of the chosen settings, held out (and the one to ship)."""
    settings = grid()
    searched = SettingRuns(found, cache)
    per_setting = {setting: score_run(searched(setting), grades).ndcg for setting in settings}
    searched.save()
    held: dict[str, float] = {}
    chosen: dict[str, str] = {}
    runs: dict[str, Run] = {}
    for fold in (1, 0):
        training = [t.id for t in found.topics if t.fold == fold]
        test = [t.id for t in found.topics if t.fold != fold]
        best = max(settings, key=lambda setting: (round(mean(per_setting[setting][t] for t in training), 6),
                                                  -complexity(setting)))
        name = "odd" if fold else "even"
        chosen[f"chosen on {name}"] = describe(best)
        held.update({t: per_setting[best][t] for t in test})
        progress(f"chosen on the {name} topics: {describe(best)}")
        for system, run in found.runs(best).items():
            held_name = {OURS: OURS_HELD, SHOWN: SHOWN_HELD, SHOWN_FIRST: f"{SHOWN_FIRST}, held out"}[system]
            runs.setdefault(held_name, {}).update({t: run[t] for t in test})
    every = max(settings, key=lambda setting: (round(mean(per_setting[setting].values()), 6), -complexity(setting)))
    progress(f"chosen on every topic: {describe(every)}")
    contributions = {}
    for at, (name, _, _, values) in enumerate(KNOBS):
        without = held_out(found.topics, per_setting, [s for s in settings if s[at] == values[0]])
        differences = [held[t] - without[t] for t in held]
        low, high = bootstrap(differences)
        contributions[name] = {"held-out gain": round(mean(differences), 4), "interval": [round(low, 4), round(high, 4)]}
        progress(f"{name}: held-out gain {mean(differences):+.4f} [{low:+.4f}, {high:+.4f}] against {values[0]}")
    for system, run in found.runs(every).items():
        runs[f"{system}, chosen on every topic"] = run
    return {"held_out": held, "chosen": chosen, "chosen on all topics": describe(every),
            "contributions": contributions}, runs


def held_out(topics: Sequence[Topic], per_setting: dict[Setting, dict[str, float]],
             settings: Sequence[Setting]) -> dict[str, float]:
    """Per-topic nDCG@10 of two-fold cross-validation over *settings* (see :func:`tune`)."""
    held: dict[str, float] = {}
    for fold in (1, 0):
        training = [t.id for t in topics if t.fold == fold]
        best = max(settings, key=lambda setting: (round(mean(per_setting[setting][t] for t in training), 6),
                                                  -complexity(setting)))
        held.update({t.id: per_setting[best][t.id] for t in topics if t.fold != fold})
    return held


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.passages", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=("pool", "score", "tune"))
    parser.add_argument("--pool", type=Path, default=None,
                        help="write the ungraded passages of the runs measured into this folder, one file per topic")
    parser.add_argument("--cache", type=Path, default=None, help="pool --grid, tune: keep each setting's run in this file")
    parser.add_argument("--grid", action="store_true", help="pool: also every setting the tuning tries")
    parser.add_argument("--data", type=Path, default=None, help="the shared data folder (default: ../shared/data)")
    parser.add_argument("--cluster", action="store_true",
                        help="also search a local cluster of each corpus (the SphinxQL backend; searchd needed)")
    parser.add_argument("--topics", type=Path, default=TOPICS)
    parser.add_argument("--judgments", type=Path, default=JUDGMENTS)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    if args.command == "pool" and args.pool is None:
        parser.error("pool needs --pool FOLDER")
    return args


def write_pool(folder: Path, missing: dict[str, set[Unit]], topics: Sequence[Topic], articles: dict[str, Article]) -> int:
    """The ungraded passages, one JSON-lines file per topic; returns how many."""
    folder.mkdir(parents=True, exist_ok=True)
    count = 0
    for topic in topics:
        records = list(packets(missing, [topic], articles))
        if records:
            count += len(records)
            with (folder / f"{topic.id}.jsonl").open("w", encoding="utf-8") as out:
                out.writelines(json.dumps(record, ensure_ascii=False) + "\n" for record in records)
    return count


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    data = args.data or data_dir()
    if not (data / "reuters21578").is_dir():
        print(f"no Reuters-21578 under {data}: set --data or NEWS_SEARCH_DATA", file=sys.stderr)
        return 2
    topics = read_topics(args.topics)
    progress = lambda line: print(line, file=sys.stderr)  # noqa: E731
    with tempfile.TemporaryDirectory(prefix="passages-") as work, \
            engines(topics, Path(work), progress, cluster=args.cluster) as found:
        grades = Grades(read_judgments(args.judgments), found.articles)
        runs = {**found.runs(shipped()), **found.peers}
        if args.cluster:
            runs.update(found.runs(shipped(), cluster=True))
        result: dict = {}
        if args.command == "pool":
            for setting in POOLED:
                for name, run in found.runs(setting).items():
                    runs[f"{name} ({describe(setting)})"] = run
            searched = SettingRuns(found, args.cache)
            for setting in grid() if args.grid else ():
                runs[f"{OURS} ({describe(setting)})"] = searched(setting)
            searched.save()
        elif args.command == "tune":
            result, chosen = tune(found, grades, progress, args.cache)
            runs.update(chosen)
        missing = unjudged(runs, grades)
        count = sum(len(units) for units in missing.values())
        if args.pool is not None:
            written = write_pool(args.pool, missing, topics, found.articles)
            print(f"{written} passages of {len(missing)} topics to grade, written to {args.pool}")
        if args.command == "pool":
            return 0
        if count:
            print(f"{count} passages of {len(missing)} topics are not graded: grade them first (--pool FOLDER)",
                  file=sys.stderr)
            return 1
        figures = report(runs, grades, topics)
        records = read_records(args.judgments)
        figures["assessors"] = dict(Counter(record["assessor"] for record in records))
        figures["agreement"] = agreement(records)
        print(table(figures))
        print(f"\n{len(records)} grades by {len(figures['assessors'])} assessors; on the "
              f"{figures['agreement']['passages']} passages graded twice: {figures['agreement']}")
        if args.command == "tune":
            held = result["held_out"]
            print(f"\nheld out (two folds): nDCG@10 {mean(held.values()):.3f}; {result['chosen']}; "
                  f"on all topics: {result['chosen on all topics']}")
            figures["tuning"] = result
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
