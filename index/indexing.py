"""An indexing run as the command line starts it: find the article files, read them (showing how far
reading has got), and hand the articles to the backend's writer in one run.

* :func:`index_files` -- index paths (default: the bundled corpus) through a backend;
* :func:`index_missing` -- before serving: the bundled corpus indexed where there is no index yet, when asked;
* :class:`ReadingProgress` -- how far reading has got, in articles and bytes: a bar on a terminal, else a
  line every :data:`PROGRESS_SECONDS`, and each file that could not be read named on a line of its own
  (and each article indexed without something its file holds, such as a date it cannot read);
* :func:`report_skip` -- name a file that could not be read, and why, on stderr.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import click

from index import DEFAULT_CORPUS_DIR
from index.articles import Article, Skipped, find_article_files, read_files
from index.errors import IndexNotFound, NewsSearchError
from index.passages import MAX_WORDS, MIN_WORDS

if TYPE_CHECKING:
    from index.summary import IndexSummary
    from search.backend import Backend

#: The bundled articles: ``corpus/`` beside the packages (the checkout, for an editable install), found
#: from here rather than from the working directory, so that the commands find it wherever they run.
BUNDLED_CORPUS = Path(__file__).resolve().parent.parent / DEFAULT_CORPUS_DIR
#: Input of at least this size is indexed by several processes.
BULK_BYTES = 16 * 1024 * 1024
#: When stderr is not a terminal (a pipe, a log file), how often a line says how far reading has got, in seconds.
PROGRESS_SECONDS = 10.0
#: How often the bar on a terminal is drawn again, at most, in seconds.
BAR_SECONDS = 0.1
#: Back to the start of the bar's line and clear it, so that a message takes the line and the bar follows below.
CLEAR_LINE = "\r\033[K"


def report_skip(skipped: Skipped) -> None:
    """Name a file that could not be read, and why, on stderr."""
    click.echo(str(skipped), err=True)


def auto_procs(size: int) -> int:
    """Writer processes for a run that reads *size* bytes: one per core (up to 4) for a bulk build, else
    one, since starting processes costs more than it saves on a small update."""
    return min(os.cpu_count() or 1, 4) if size >= BULK_BYTES else 1


def megabytes(size: int) -> str:
    """*size* bytes for a person: ``8.1 MB``."""
    return f"{size / 2**20:.1f} MB"


class ReadingProgress:
    """How far reading the files of one run has got, in articles and in bytes of the files as stored (so
    that one large ``.jsonl`` file moves on as it is read), shown on *stream* (default stderr): a bar on a
    terminal, else a line every :data:`PROGRESS_SECONDS`, so that a piped or logged run shows life.
    Files that could not be read are named on lines of their own (:meth:`report_skip`), and so are the
    articles' notes (:attr:`~index.articles.Article.notes`).
    """

    def __init__(self, found: list[tuple[Path, Path] | Skipped], stream: TextIO | None = None) -> None:
        self.found = found
        self.stream = stream or sys.stderr
        self.total = sum(_stored_size(item[0]) for item in found if not isinstance(item, Skipped))
        self.articles = 0
        self.skipped = 0
        self.done = 0  # bytes: the files read before the current one, and the current one up to its offset
        self._current: tuple[Path | None, int] = (None, 0)  # the file being read, and the offset reached in it
        self._bar = None  # click's progress bar, while one is shown
        self._started = self._shown_at = time.monotonic()
        self._shown: tuple[int, int, int] | None = None  # what the last progress line said

    def read(self) -> Iterator[Article | Skipped]:
        """Every article (and :class:`Skipped` record) of the files, as :func:`read_files` reads them,
        showing how far reading has got."""
        bar = click.progressbar(length=max(self.total, 1), label="Indexing", file=self.stream, show_percent=True,
                                width=0, item_show_func=lambda text: text) if self.stream.isatty() else nullcontext()
        with bar as self._bar:
            try:
                for item in read_files(self.found, on_read=self._read_to):
                    if isinstance(item, Article):
                        self.articles += 1
                        for note in item.notes:
                            self._say(f"{item.where}: {note}")
                    self._show()
                    yield item
                self.done = self.total
                self._show_end()
            finally:
                self._bar = None

    def report_skip(self, skipped: Skipped) -> None:
        """Name a file that could not be read, and why, on a line of its own: above the bar, if one is shown."""
        self.skipped += 1
        self._say(str(skipped))

    def _say(self, line: str) -> None:
        """*line* on a line of its own, above the bar when one is shown (then drawn again, its counts new)."""
        if self._bar is not None:
            self.stream.write(CLEAR_LINE)
        click.echo(line, file=self.stream)
        if self._bar is not None:
            self._bar.update(0, self._bar_text())

    def describe(self) -> str:
        """How far reading has got: ``12,000 articles read, 3 skipped (8.1 MB of 19.0 MB)``."""
        skipped = f", {self.skipped:,} skipped" if self.skipped else ""
        return f"{self.articles:,} articles read{skipped} ({megabytes(self.done)} of {megabytes(self.total)})"

    def _bar_text(self, end: bool = False) -> str:
        """What the bar says beside it, short enough for a narrow terminal: ``12,000 articles, 8.1 of 19.0 MB``."""
        skipped = f", {self.skipped:,} skipped" if self.skipped else ""
        size = "; writing the index" if end else f", {self.done / 2**20:.1f} of {megabytes(self.total)}"
        return f"{self.articles:,} articles{skipped}{size}"

    def _read_to(self, path: Path, offset: int) -> None:
        """Count the bytes read from *path* up to *offset* (:data:`index.articles.OnRead`)."""
        current, reached = self._current
        if path != current:
            reached = 0
        self.done += max(0, offset - reached)
        self._current = (path, max(offset, reached))

    def _show(self) -> None:
        """Draw the bar again, or write a progress line, when it is time to and there is news."""
        now = time.monotonic()
        if self._bar is not None:
            if now - self._shown_at >= BAR_SECONDS:
                self._bar.update(self.done - self._bar.pos, self._bar_text())
                self._shown_at = now
        elif now - self._shown_at >= PROGRESS_SECONDS and self._shown != (self.articles, self.skipped, self.done):
            click.echo(f"indexing: {self.describe()}", file=self.stream)
            self._shown_at, self._shown = now, (self.articles, self.skipped, self.done)

    def _show_end(self) -> None:
        """Say that reading is over and writing goes on (the writer's last batches and its commit can take as
        long again): on the bar, or in a last line when the run has been long enough to write any."""
        if self._bar is not None:
            self._bar.update(self.done - self._bar.pos, self._bar_text(end=True))
        elif self._shown is not None or time.monotonic() - self._started >= PROGRESS_SECONDS:
            click.echo(f"indexing: {self.describe()}; writing the index", file=self.stream)


def _stored_size(path: Path) -> int:
    """The size of a file as stored; 0 for one gone since it was found (its reading says why)."""
    try:
        return path.stat().st_size
    except OSError:
        return 0


def index_files(
    paths: tuple[Path, ...], backend: Backend, rebuild: bool, prune: bool, min_words: int, max_words: int
) -> IndexSummary:
    """Index *paths* (default: the bundled corpus, :data:`BUNDLED_CORPUS`) through *backend*."""
    if min_words < 1 or max_words < min_words:
        raise click.BadParameter("need 1 <= --min-words <= --max-words", param_hint="--min-words")
    found = list(find_article_files(paths or (BUNDLED_CORPUS,)))
    progress = ReadingProgress(found)
    return backend.update(
        progress.read(),
        rebuild=rebuild,
        prune=prune,
        on_skip=progress.report_skip,
        min_words=min_words,
        max_words=max_words,
        procs=auto_procs(progress.total),
    )


def index_missing(backend: Backend, index_dir: Path, build: bool) -> IndexSummary | None:
    """Before serving from *index_dir*: nothing when it holds an index; else, when *build* is true, the
    bundled corpus indexed into it.

    Serving an index that is not there would show an empty service where the person meant another
    directory (a misspelt ``--index-dir``), so without *build* a missing index is an error that says
    how to make one.

    :raises IndexNotFound: when there is no index and *build* is false.
    :raises NewsSearchError: when the bundled corpus gives no article (an installation without it).
    """
    if backend.exists():
        return None
    if not build:
        raise IndexNotFound(
            f"no index in {index_dir}; build one with `news-search index [PATH ...] --index-dir {index_dir}`, "
            f"or run `news-search serve --index-corpus --index-dir {index_dir}` to index the bundled articles "
            "into it first")
    click.echo(f"No index in {index_dir} yet; indexing the bundled articles ({BUNDLED_CORPUS}) first.", err=True)
    summary = index_files((), backend, False, False, MIN_WORDS, MAX_WORDS)
    if summary.read == 0:
        raise NewsSearchError(f"nothing could be indexed from {BUNDLED_CORPUS}; index articles with "
                              f"`news-search index PATH ... --index-dir {index_dir}`")
    return summary
