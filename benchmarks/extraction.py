"""Article extraction quality: our HTML page reader beside trafilatura, on real news pages.

The pages are the Zyte article extraction benchmark (``article_extraction_benchmark`` in the
shared data directory; its ``SOURCE.md`` describes it): 181 news pages, each with the body text a
person marked as the article. Every page is read two ways:

* ``news-search`` -- the ``news-search extract --json`` command run as a process on the
  compressed pages, so the text is exactly what the indexer would store (:mod:`index.html_pages`
  through :func:`index.articles.read_html`); a page it skips counts as an empty body;
* ``trafilatura`` -- ``trafilatura.extract(page)`` with trafilatura's default options, given the
  page's bytes (it detects the encoding itself); ``None`` counts as an empty body.

Each body is scored against the expected text by :func:`score_text` (precision, recall and F1 of
bags of lower-cased word tokens), and the scores are averaged over pages (macro average).
The run prints a markdown table of the averages and the seconds each extractor took (both
including decompression; ours also the start of its process), then the share of pages for which
our reader gave a title, a published date and an author, and the pages where ours trails
trafilatura by more than :data:`WORSE_MARGIN` F1. The reader falls back to the body's first line
for a page without a title, so the run also counts the titles that equal that line.

trafilatura is a benchmark-only dependency, deliberately left out of the project's requirements
and test extras. Install it by hand into the virtualenv to compare::

    .venv/bin/pip install trafilatura lxml_html_clean

Without it the run scores our reader alone and says that trafilatura is missing. Run it with::

    python -m benchmarks.extraction [--data DIR] [--json FILE]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, astuple, dataclass, field
from pathlib import Path

from benchmarks.corpora import data_dir

#: The benchmark's folder under the shared data directory.
FOLDER = "article_extraction_benchmark"
#: Our console script, installed beside the running interpreter.
NEWS_SEARCH = Path(sys.executable).parent / "news-search"
#: Pages given to one ``news-search extract`` process, to stay well under the argument length limit.
EXTRACT_BATCH = 200
#: A page is listed for inspection when our F1 is lower than trafilatura's by more than this.
WORSE_MARGIN = 0.1

_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Score:
    """Token-level precision, recall and F1 of an extracted text."""

    precision: float
    recall: float
    f1: float


@dataclass(frozen=True)
class Page:
    """One benchmark page: its id, its compressed HTML file and the expected article body."""

    id: str
    path: Path
    truth: str
    url: str


@dataclass
class ExtractorRun:
    """One extractor's output on the pages: bodies by page id, our reader's metadata, and its time."""

    extractor: str
    bodies: dict[str, str]
    seconds: float
    metadata: dict[str, dict[str, str | None]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)


def tokens(text: str) -> Counter[str]:
    """The bag of lower-cased word tokens of *text*.

    >>> sorted(tokens("The ferry, the FERRY!").items())
    [('ferry', 2), ('the', 2)]
    """
    return Counter(_WORD.findall(text.lower()))


def score_text(predicted: str, truth: str) -> Score:
    """Precision, recall and F1 of *predicted* against *truth*, over bags of word tokens.

    A token counts as found as many times as it occurs in both texts. An empty prediction of a
    non-empty truth scores 0 throughout; a truth without tokens is found by an empty prediction
    (all 1) and not by any other (precision 0, recall 1, F1 0).

    >>> score_text("the ferry returns today", "The ferry returns on Monday morning")
    Score(precision=0.75, recall=0.5, f1=0.6)
    """
    found, expected = tokens(predicted), tokens(truth)
    if not expected:
        return Score(0.0, 1.0, 0.0) if found else Score(1.0, 1.0, 1.0)
    common = sum((found & expected).values())
    precision = common / sum(found.values()) if found else 0.0
    recall = common / sum(expected.values())
    f1 = 2 * precision * recall / (precision + recall) if common else 0.0
    return Score(precision, recall, f1)


def mean_score(scores: Iterable[Score]) -> Score:
    """The macro average of *scores*: each page weighs the same, whatever its length."""
    scores = list(scores)
    if not scores:
        return Score(0.0, 0.0, 0.0)
    return Score(*(sum(values) / len(scores) for values in zip(*map(astuple, scores))))


def read_pages(folder: Path) -> list[Page]:
    """The benchmark's pages, by id, with their expected bodies from ``ground-truth.json``."""
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    return [
        Page(page_id, folder / "html" / f"{page_id}.html.gz", entry["articleBody"], entry["url"])
        for page_id, entry in sorted(truth.items())
    ]


def page_id(path: str) -> str:
    """The page id of a benchmark file path (its name without ``.html.gz``)."""
    return Path(path).name.split(".", 1)[0]


def run_news_search(pages: Sequence[Page], command: Path = NEWS_SEARCH) -> ExtractorRun:
    """Read *pages* with ``news-search extract --json``, the reader the indexer uses.

    :raises RuntimeError: when the command fails other than by finding no article.
    """
    run = ExtractorRun("news-search", {}, 0.0)
    started = time.perf_counter()
    for start in range(0, len(pages), EXTRACT_BATCH):
        batch = [str(page.path) for page in pages[start : start + EXTRACT_BATCH]]
        done = subprocess.run([str(command), "extract", *batch, "--json"], capture_output=True, text=True)
        # Exit status 1 only means that no page in the batch gave an article; stderr says why.
        if done.returncode not in (0, 1):
            raise RuntimeError(f"{command} extract failed ({done.returncode}): {done.stderr.strip()}")
        for line in done.stdout.splitlines():
            record = json.loads(line)
            # A page gives one article; should one give more, the first is its article.
            run.bodies.setdefault(page_id(record["path"]), record["body"])
            run.metadata.setdefault(page_id(record["path"]), record)
        run.skipped.update(skipped_pages(done.stderr, batch))
    run.seconds = time.perf_counter() - started
    return run


def skipped_pages(stderr: str, paths: Sequence[str]) -> dict[str, str]:
    """The pages ``news-search extract`` skipped, by id, with its reason (its ``path: reason`` lines)."""
    given = set(paths)
    skipped = {}
    for line in stderr.splitlines():
        path, _, reason = line.partition(": ")
        if path in given:
            skipped[page_id(path)] = reason
    return skipped


def run_trafilatura(pages: Sequence[Page]) -> ExtractorRun | None:
    """Read *pages* with ``trafilatura.extract`` and its default options; None when it is not installed."""
    try:
        import trafilatura
    except ImportError:
        return None
    run = ExtractorRun("trafilatura", {}, 0.0)
    started = time.perf_counter()
    for page in pages:
        run.bodies[page.id] = trafilatura.extract(gzip.decompress(page.path.read_bytes())) or ""
    run.seconds = time.perf_counter() - started
    return run


def score_run(run: ExtractorRun, pages: Sequence[Page]) -> dict[str, Score]:
    """Each page's score under *run*; a page it gave no body for scores as an empty body."""
    return {page.id: score_text(run.bodies.get(page.id, ""), page.truth) for page in pages}


def title_is_first_line(record: dict[str, str | None]) -> bool:
    """Whether the title is the body's first line: a headline the page repeats in its text, or the
    reader's fallback for a page without a title (the output cannot tell which)."""
    title = (record.get("title") or "").removesuffix("…")
    return bool(title) and (record.get("body") or "").split("\n", 1)[0].startswith(title)


def metadata_shares(run: ExtractorRun, pages: Sequence[Page]) -> dict[str, float]:
    """The share of *pages* for which our reader gave a title, a published date and an author."""
    records = [run.metadata.get(page.id, {}) for page in pages]
    count = len(records) or 1
    return {
        "title": sum(bool(r.get("title")) for r in records) / count,
        "published": sum(bool(r.get("published")) for r in records) / count,
        "author": sum(bool(r.get("author")) for r in records) / count,
    }


def worse_pages(ours: dict[str, Score], theirs: dict[str, Score], margin: float = WORSE_MARGIN) -> list[str]:
    """The pages where our F1 is lower than theirs by more than *margin*, the largest gap first."""
    gaps = {page: theirs[page].f1 - score.f1 for page, score in ours.items()}
    return sorted((page for page, gap in gaps.items() if gap > margin), key=lambda page: -gaps[page])


def figures_table(runs: Sequence[ExtractorRun], scores: dict[str, dict[str, Score]]) -> str:
    """The averages as a markdown table, one row per extractor."""
    lines = ["| extractor | pages | precision | recall | F1 | seconds |", "|---|---:|---:|---:|---:|---:|"]
    for run in runs:
        mean = mean_score(scores[run.extractor].values())
        lines.append(f"| {run.extractor} | {len(scores[run.extractor])} | {mean.precision:.3f} "
                     f"| {mean.recall:.3f} | {mean.f1:.3f} | {run.seconds:.1f} |")
    return "\n".join(lines)


def notes(ours: ExtractorRun, pages: Sequence[Page], scores: dict[str, dict[str, Score]]) -> str:
    """Our reader's metadata shares, the pages it skipped, and where it trails trafilatura."""
    shares = metadata_shares(ours, pages)
    first_lines = sum(map(title_is_first_line, ours.metadata.values()))
    lines = ["news-search found: " + ", ".join(f"{name} {share:.0%}" for name, share in shares.items())
             + f" of {len(pages)} pages ({first_lines} titles are also the body's first line)"]
    if ours.skipped:
        lines.append(f"news-search gave no article for {len(ours.skipped)} pages (scored as empty): "
                     + ", ".join(f"{page} ({reason})" for page, reason in sorted(ours.skipped.items())))
    if "trafilatura" not in scores:
        lines.append("trafilatura is not installed (pip install trafilatura lxml_html_clean); "
                     "scored news-search only")
        return "\n".join(lines)
    ours_scores, theirs = scores["news-search"], scores["trafilatura"]
    worse = worse_pages(ours_scores, theirs)
    lines.append(f"pages where news-search trails trafilatura by more than {WORSE_MARGIN} F1: {len(worse)}")
    lines.extend(f"- {page}: F1 {ours_scores[page].f1:.3f} vs {theirs[page].f1:.3f}" for page in worse)
    return "\n".join(lines)


def to_json(runs: Sequence[ExtractorRun], pages: Sequence[Page], scores: dict[str, dict[str, Score]]) -> dict:
    """The averages, our metadata shares and every page's scores, for ``--json``."""
    ours = runs[0]
    return {
        "extractors": {
            run.extractor: {**asdict(mean_score(scores[run.extractor].values())), "seconds": run.seconds,
                            "pages": len(pages)}
            for run in runs
        },
        "news-search found": metadata_shares(ours, pages),
        "news-search skipped": ours.skipped,
        "pages": {
            page.id: {"url": page.url, **{run.extractor: asdict(scores[run.extractor][page.id]) for run in runs}}
            for page in pages
        },
    }


def benchmark(pages: Sequence[Page]) -> tuple[list[ExtractorRun], dict[str, dict[str, Score]]]:
    """Run our reader and, when installed, trafilatura on *pages*; returns the runs and per-page scores."""
    runs = [run for run in (run_news_search(pages), run_trafilatura(pages)) if run is not None]
    return runs, {run.extractor: score_run(run, pages) for run in runs}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line's options."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.extraction", description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=None,
                        help="the shared data directory (default: $NEWS_SEARCH_DATA, else ../shared/data)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this file")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Score the extractors on every benchmark page and print the table; returns the exit status."""
    args = parse_args(argv)
    folder = (args.data or data_dir()) / FOLDER
    if not (folder / "ground-truth.json").is_file():
        print(f"not found: {folder / 'ground-truth.json'}; give --data or set NEWS_SEARCH_DATA", file=sys.stderr)
        return 1
    pages = read_pages(folder)
    runs, scores = benchmark(pages)
    print(figures_table(runs, scores), notes(runs[0], pages, scores), sep="\n\n")
    if args.json:
        args.json.write_text(json.dumps(to_json(runs, pages, scores), indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
