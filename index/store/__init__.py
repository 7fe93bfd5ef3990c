"""The storage package: every contact with Whoosh's internals, and nothing else.

Whoosh's public API (schema, query parser, searcher, highlighter) is used all over the project;
its segment format, codec, multiprocess writer and postings matchers are used only here:

* :mod:`index.store.codec` -- Whoosh's codec as this index writes and reads it (fixes of three slow
  or copying paths, postings and stored fields without compression);
* :mod:`index.store.formats` -- where words stand in a passage, stored as arrays;
* :mod:`index.store.tokens`, :mod:`index.store.postings`, :mod:`index.store.columns` -- the segment
  writer: text taken as tokens a batch of passages at a time, each word's postings kept together,
  columns written a whole column at a time;
* :mod:`index.store.parallel` -- Whoosh's multiprocess writer, bound to the life of the indexer;
* :mod:`index.store.reading` -- a word's postings, a column, a field's lengths and where words
  stand, read in bulk.

Its public surface is small: :func:`index_exists`, :func:`open_index`, :func:`committed_at` and
:func:`read_damage` (read); :func:`writable_index`, :func:`open_writer`, :class:`IndexWriter`,
:func:`commit`, :func:`abandon` and :func:`is_disk_full` (write; the writer's modules are imported only
then, so a reader never loads them); :mod:`index.store.reading` and :mod:`index.store.highlight`.

Importing the package installs the codec's fixes into Whoosh once, and refuses a Whoosh it was not
tested with: the fixes and the writer replace private parts of Whoosh, which another release may
have changed (breaking them, or silently putting Whoosh back on its slow paths).
"""

from __future__ import annotations

import errno
import os
import pickle
import shutil
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import datetime, timezone
from pathlib import Path

import whoosh
from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage
from whoosh.index import _DEF_INDEX_NAME, TOC, FileIndex, LockError, clean_files
from whoosh.index import IndexError as WhooshIndexError
from whoosh.writing import CLEAR, IndexWriter

from index.errors import IndexBusy, IndexDamaged, IndexNotFound
from index.store import codec
from index.store.sums import write_sums

#: The Whoosh releases this package's internals were written and tested against.
TESTED_WHOOSH = ("2.7.5",)

#: What reading an index file that is missing, cut short or garbled raises (Whoosh checks nothing
#: itself: it reads past the end, seeks to garbage offsets, unpickles garbage).
READ_ERRORS = (OSError, EOFError, struct.error, zlib.error, pickle.UnpicklingError, WhooshIndexError)
#: Writing failed for want of space: on the disk, or in the user's quota.
DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
#: Errors of the machine rather than of the index: they pass, so they say nothing of its files.
MACHINE_ERRNOS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOMEM, errno.EAGAIN, errno.EINTR})


def check_whoosh_version(version: str = whoosh.versionstring()) -> None:
    """Refuse a Whoosh release the storage package was not tested with.

    >>> check_whoosh_version("2.7.4")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    RuntimeError: news-search's index storage was tested with Whoosh 2.7.5, but Whoosh 2.7.4 is installed; ...
    """
    if version not in TESTED_WHOOSH:
        raise RuntimeError(
            f"news-search's index storage was tested with Whoosh {', '.join(TESTED_WHOOSH)}, but Whoosh {version} "
            f"is installed; install whoosh-reloaded=={TESTED_WHOOSH[-1]}"
        )


check_whoosh_version()
codec.install()


def index_exists(index_dir: str | os.PathLike) -> bool:
    """Whether *index_dir* holds an index (a committed table of contents)."""
    return whoosh_index.exists_in(Path(index_dir))


class StemmedIndex(FileIndex):
    """Whoosh's index on disk, each generation read with the schema of this package
    (:data:`index.schema.SCHEMA`, not the copy pickled in its table of contents: fields and formats
    are this package's), its words analysed as they were written: an index written before
    :func:`index.stemming.porter_stem` and :data:`index.schema.STOP_WORDS`, with Whoosh's own Porter
    stemmer and stop words, is read -- and updated -- with those (:data:`index.schema.EARLIER_SCHEMA`)
    until a rebuild writes it again.

    With *restem* (a rebuild, whose commit replaces every segment) every generation is read with
    :data:`~index.schema.SCHEMA`, so the rebuild writes today's words.
    """

    def __init__(self, storage, indexname: str = _DEF_INDEX_NAME, restem: bool = False) -> None:
        from index.schema import SCHEMA  # the schema's fields are made of this package's formats

        self.restem = restem
        super().__init__(storage, SCHEMA, indexname)

    def _read_toc(self) -> TOC:
        from index.schema import EARLIER_SCHEMA, SCHEMA, earlier_words

        if self.restem:
            return super()._read_toc()
        try:  # the table once, with its stored schema: a commit may delete it between two reads
            toc = TOC.read(self.storage, self.indexname)
        except (pickle.UnpicklingError, AttributeError, ImportError):  # a stored schema naming what is gone
            return super()._read_toc()
        toc.schema = EARLIER_SCHEMA if earlier_words(toc.schema) else SCHEMA
        return toc


def open_index(index_dir: str | os.PathLike, create: bool = False, restem: bool = False) -> StemmedIndex:
    """Open the index in *index_dir* (:class:`StemmedIndex`, *restem* as there); with *create*, make an
    empty one when there is none.

    :raises IndexNotFound: when there is no index and *create* is false.
    """
    from index.schema import SCHEMA

    path = Path(index_dir)
    if whoosh_index.exists_in(path):
        return StemmedIndex(FileStorage(str(path)), restem=restem)
    if not create:
        raise IndexNotFound(f"no index in {path}; build one with `news-search index`")
    path.mkdir(parents=True, exist_ok=True)
    storage = FileStorage(str(path))
    TOC.create(storage, SCHEMA, _DEF_INDEX_NAME)
    return StemmedIndex(storage, restem=restem)


def open_writer(ix: FileIndex, lock_timeout: float = 0.0, procs: int = 1, **options) -> IndexWriter:
    """Take the index's write lock, waiting at most *lock_timeout* seconds, and return this package's
    segment writer; with *procs* above one, a writer that hands passages to that many sub-writer
    processes (:mod:`index.store.parallel`).

    :raises IndexBusy: when another process holds the lock.
    """
    from index.store.parallel import ParallelWriter
    from index.store.postings import BufferedSegmentWriter

    options.setdefault("codec", codec.uncompressed())
    try:
        if procs > 1:
            return ParallelWriter(ix, procs=procs, timeout=lock_timeout, **options)
        return BufferedSegmentWriter(ix, timeout=lock_timeout, **options)
    except LockError:
        where = getattr(ix.storage, "folder", "the index")
        raise IndexBusy(f"another indexer is writing to {where}; try again when it has finished") from None


def abandon(writer: IndexWriter) -> None:
    """Give up *writer*'s run after an error, even one in the middle of its commit: its sub-writers
    end, the files it wrote that the newest committed generation does not name are deleted (a full
    disk gets its space back) while it still holds the write lock, and then the lock is released.
    """
    if writer.is_closed:
        return
    try:
        for task in getattr(writer, "tasks", ()):  # the parallel writer's sub-writer processes
            task.cancel()
        for queue in (getattr(writer, "jobqueue", None), getattr(writer, "resultqueue", None)):
            if queue is not None:
                # No process reads these any more: the indexer must not wait at exit to flush jobs into them.
                queue.cancel_join_thread()
        _close_segment_files(writer)
        generation = TOC._latest_generation(writer.storage, writer.indexname)
        if generation >= 0:
            toc = TOC.read(writer.storage, writer.indexname, generation)
            clean_files(writer.storage, writer.indexname, generation, toc.segments)
        with suppress(OSError):
            writer._tempstorage.destroy()
    finally:
        if writer.writelock:
            writer.writelock.release()
        writer.is_closed = True


def _close_segment_files(writer: IndexWriter) -> None:
    """Close the files of *writer*'s new segment. Whoosh's own close stops at the first file that
    fails to take its last bytes (the disk full), leaving the others open; here each is closed, its
    file descriptor freed even when its buffered bytes cannot be written."""
    perdoc, fields = writer.perdocwriter, writer.fieldwriter
    files = [getattr(perdoc, "_vpostfile", None), getattr(getattr(perdoc, "_cols", None), "_temp", None),
             getattr(getattr(fields, "_tindex", None), "dbfile", None), getattr(fields, "_postfile", None)]
    for part in (perdoc, fields):
        with suppress(Exception):
            if not part.is_closed:
                part.close()
    for structfile in filter(None, files):
        with suppress(Exception):  # a file already closed, or its last bytes not written: closed all the same
            structfile.file.close()
    with suppress(Exception):
        writer.pool.cleanup()


def is_disk_full(error: BaseException) -> bool:
    """Whether *error*, or an error that caused it, is the disk (or the user's quota) running out of space."""
    while error is not None:
        if isinstance(error, OSError) and error.errno in DISK_FULL_ERRNOS:
            return True
        error = error.__cause__ or error.__context__
    return False


def commit(writer: IndexWriter, replace_all: bool = False) -> None:
    """Commit *writer*'s work as the index's next generation; with *replace_all*, the new segments
    replace every earlier one (a rebuild) instead of being added to them."""
    writer.commit(mergetype=CLEAR if replace_all else None)
    try:
        write_sums(writer.storage.folder, writer.generation)
    except OSError:
        pass  # committed all the same: `news-search check` says this generation has no checksums


def committed_at(index_dir: str | os.PathLike, generation: int) -> datetime:
    """When *generation* of the index in *index_dir* was committed (its table of contents written);
    now, when a later commit has removed it."""
    toc = Path(index_dir) / f"_MAIN_{generation}.toc"  # Whoosh's table of contents of the index "MAIN"
    try:
        return datetime.fromtimestamp(toc.stat().st_mtime, timezone.utc)
    except OSError:
        return datetime.now(timezone.utc)


def read_damage(error: BaseException, index_dir: str | os.PathLike) -> IndexDamaged | None:
    """What *error*, raised while reading the index in *index_dir*, says of it: an :class:`IndexDamaged`
    naming the problem (a file by its name in the index, never by its path on this machine) when
    one of the index's files is missing, cut short or garbled; ``None`` for any other error.

    >>> read_damage(EOFError("Ran out of input"), "instance/index").message
    'the index cannot be read (EOFError: Ran out of input)'
    >>> read_damage(OSError(errno.EMFILE, "Too many open files"), "instance/index") is None
    True
    >>> read_damage(FileNotFoundError(errno.ENOENT, "No such file", "/etc/other"), "instance/index") is None
    True
    """
    if not isinstance(error, READ_ERRORS):
        return None
    if isinstance(error, OSError) and error.errno is not None:
        if error.errno in MACHINE_ERRNOS:
            return None
        if error.filename and os.path.dirname(os.path.abspath(error.filename)) != os.path.abspath(index_dir):
            return None  # a file elsewhere (a template, a setting): not the index's
        where = f"{os.path.basename(error.filename)}: " if error.filename else ""
        problem = f"{where}{error.strerror}"
    else:
        problem = str(error).replace(f"{os.path.abspath(index_dir)}{os.sep}", "")
    kind = type(error).__name__
    if kind == "error":  # struct.error, zlib.error
        kind = f"{type(error).__module__}.error"
    return IndexDamaged(f"the index cannot be read ({kind}: {problem})")


@contextmanager
def writable_index(index_dir: str | os.PathLike, restem: bool = False) -> Iterator[FileIndex]:
    """The index in *index_dir*, created when there is none; one created here but never committed to
    is removed again on exit. With *restem*, for a rebuild: read with today's stemmer (:class:`StemmedIndex`).

    A first run that reads nothing (a mistyped path) would otherwise leave an empty index behind, which
    everything that looks for an index (``serve``, the app) takes for a real one.
    """
    path = Path(index_dir)
    if index_exists(path):
        yield open_index(path, restem=restem)
        return
    made_dir = not path.exists()
    before = set() if made_dir else set(os.listdir(path))
    ix = open_index(path, create=True, restem=restem)
    try:
        yield ix
    finally:
        if ix.latest_generation() == 0:  # creating wrote generation 0; every commit adds one
            _remove_new_files(path, before, ix.indexname)
            if made_dir:
                with suppress(OSError):
                    path.rmdir()


def _remove_new_files(path: Path, before: set[str], indexname: str) -> None:
    """Delete the files of index *indexname* in *path* that are not among the names in *before*."""
    for name in set(os.listdir(path)) - before:
        if not name.lstrip("_").startswith(indexname):
            continue  # not Whoosh's: leave it
        target = path / name
        if target.is_dir():
            shutil.rmtree(target, ignore_errors=True)
        else:
            target.unlink(missing_ok=True)
