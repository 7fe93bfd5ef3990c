"""An indexing run as the command line starts it: find the article files, read them (with a progress
bar on a terminal), and hand the articles to the backend's writer in one run.

* :func:`index_files` -- index paths (default: the bundled corpus) through a backend;
* :func:`report_skip` -- name a file that could not be read, and why, on stderr.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click

from index import DEFAULT_CORPUS_DIR
from index.articles import Article, Skipped, find_article_files, read_files

if TYPE_CHECKING:
    from index.summary import IndexSummary
    from search.backend import Backend

#: Input of at least this size is indexed by several processes.
BULK_BYTES = 16 * 1024 * 1024


def report_skip(skipped: Skipped) -> None:
    """Name a file that could not be read, and why, on stderr."""
    click.echo(str(skipped), err=True)


def auto_procs(found: list) -> int:
    """Writer processes for a run: one per core (up to 4) for a bulk build, else one, since starting
    processes costs more than it saves on a small update."""
    size = sum(item[0].stat().st_size for item in found if not isinstance(item, Skipped))
    return min(os.cpu_count() or 1, 4) if size >= BULK_BYTES else 1


def read_with_progress(found: list) -> Iterator[Article | Skipped]:
    """Read every article of *found* files, with a progress bar over them when stderr is a terminal."""
    if not sys.stderr.isatty():
        yield from read_files(found)
        return
    with click.progressbar(found, label="Indexing", file=sys.stderr, show_pos=True) as bar:
        yield from read_files(bar)


def index_files(
    paths: tuple[Path, ...], backend: Backend, rebuild: bool, prune: bool, min_words: int, max_words: int
) -> IndexSummary:
    """Index *paths* (default: the bundled corpus) through *backend*."""
    if min_words < 1 or max_words < min_words:
        raise click.BadParameter("need 1 <= --min-words <= --max-words", param_hint="--min-words")
    found = list(find_article_files(paths or (Path(DEFAULT_CORPUS_DIR),)))
    return backend.update(
        read_with_progress(found),
        rebuild=rebuild,
        prune=prune,
        on_skip=report_skip,
        min_words=min_words,
        max_words=max_words,
        procs=auto_procs(found),
    )
