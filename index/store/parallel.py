"""Whoosh's multiprocess writer, with sub-writers bound to the life of the indexer that started them.

* :class:`ParallelWriter` -- hands passages to one sub-writer process per core, a batch at a time,
  each running this package's segment writer (:mod:`index.store.postings`) and leaving a segment;
* :class:`BoundSubWriter` -- one sub-writer process, ended when the indexer ends however it ends.
"""

from __future__ import annotations

import ctypes
import errno
import gc
import os
import pickle
import signal
import sys
from functools import partial

from whoosh import multiproc
from whoosh.index import FileIndex
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.util import random_name

from index.schema import Fields
from index.store.postings import BufferedSegmentWriter, use_posting_buffer

#: Passages handed to a sub-writer at a time: Whoosh's default, 100, took 0.6 s longer to index
#: 43,614 passages than these larger, fewer job files.
PARALLEL_BATCH = 1000
#: A sub-writer's exit status when the disk filled up.
DISK_FULL_EXIT = 28
#: ``prctl`` option: the signal a process gets when its parent dies (linux/prctl.h).
_PR_SET_PDEATHSIG = 1


class BoundSubWriter(SubWriterTask):
    """One of Whoosh's sub-writer processes, bound to the life of the indexer that started it.

    A sub-writer waits on its job queue until the indexer sends the end of the run. If the indexer is
    killed first (SIGKILL, the OOM killer), nothing ever arrives: the orphan would wait forever, holding
    the write lock it inherited with the lock file's descriptor, so every later run would be refused as
    busy. So it asks Linux for SIGKILL when its parent dies (``PR_SET_PDEATHSIG``); elsewhere it runs
    unbound, as Whoosh's does. A run that fails cancels its writer, and that ends the sub-writers too:
    Whoosh's cancel leaves them waiting on the queue, and the indexer hangs at exit waiting for them.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.indexer_pid = os.getpid()  # run in the indexer, before the fork
        self.schema = None  # the indexer's writer's schema (ParallelWriter._new_task); None: the stored one

    def run(self) -> None:
        if sys.platform.startswith("linux"):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
            if os.getppid() != self.indexer_pid:  # the indexer died before the request took effect
                os._exit(1)
        # Whoosh's task makes the module's SegmentWriter; in this (sub-writer) process, make it ours.
        multiproc.SegmentWriter = BufferedSegmentWriter
        # And it opens the index by its stored schema: write with the indexer's instead, whose stemmer a
        # rebuild chooses (index.store.StemmedIndex).
        self.storage.open_index = partial(FileIndex, self.storage, self.schema)
        try:
            super().run()
        except OSError as error:
            if error.errno == errno.ENOSPC:
                raise SystemExit(DISK_FULL_EXIT) from error  # the exit status tells the indexer why
            raise

    def _process_file(self, filename: str, doc_count: int) -> None:
        """Add the passages of a job file written by :meth:`ParallelWriter._enqueue`, and delete it.

        What the batch leaves in the posting buffer lives until the segment is written, so it is
        then set apart from Python's cycle collector (``gc.freeze``): its older generations held all
        of it, and went through it again and again (1.1 s of the sub-writers' 8.4 s over 43,614
        passages). Newer objects are collected as before.
        """
        tempstorage = self.writer.temp_storage()
        with tempstorage.open_file(filename).raw_file() as job:
            batch = pickle.load(job)
        for _, fields in batch:
            self.writer.add_document(**fields)
        tempstorage.delete_file(filename)
        gc.freeze()

    def cancel(self) -> None:
        # Whoosh's cancel only sets a flag in the indexer's copy of the task; end the process itself.
        self.terminate()
        self.join()


class ParallelWriter(MpWriter, BufferedSegmentWriter):
    """Whoosh's multiprocess writer, with sub-writers that end with the run however it ends, and
    :class:`~index.store.postings.PostingBuffer` pools in every process.
    """

    def __init__(self, ix: FileIndex, limitmb: int = 128, **kwargs) -> None:
        if not kwargs.get("multisegment"):
            # Merging the sub-writers' runs into one segment reads Whoosh's pool format, not ours.
            raise ValueError("the parallel writer leaves one segment per process: pass multisegment=True")
        kwargs.setdefault("batchsize", PARALLEL_BATCH)
        super().__init__(ix, limitmb=limitmb, **kwargs)  # Whoosh's, which skips BufferedSegmentWriter's
        use_posting_buffer(self, limitmb)
        self._batch_article = None  # the article of the batch's last passage

    def _commit_toc(self, segments) -> None:
        """Whoosh's, once every sub-writer has ended well: Whoosh leaves out the segment of one that
        failed (the disk full, say) and commits the rest, losing its passages without a word."""
        failed = [task.exitcode for task in self.tasks if task.exitcode]
        if DISK_FULL_EXIT in failed:
            raise OSError(errno.ENOSPC, "No space left on device (in a sub-writer process)")
        if failed:
            raise RuntimeError(f"a sub-writer process failed (exit status {failed[0]}); nothing was committed")
        super()._commit_toc(segments)

    def add_document(self, **fields) -> None:
        """Whoosh's, except that a batch is handed over only between two articles: an article's
        passages go to one sub-writer together, so they follow each other in the index (the search
        side sums an article's postings run by run)."""
        article = fields.get(Fields.ARTICLE_ID)
        if len(self.docbuffer) >= self.batchsize and article != self._batch_article and not self._grouping:
            self._enqueue()
        self.docbuffer.append((0, fields))
        self._batch_article = article
        self._added_sub = True

    def _enqueue(self) -> None:
        """Whoosh's, writing the job file as one pickle of the whole batch (Whoosh pickles each
        passage apart, with protocol 2): a batch's passages share their article's values."""
        filename = f"{random_name()}.doclist"
        with self.temp_storage().create_file(filename).raw_file() as job:
            pickle.dump(self.docbuffer, job, pickle.HIGHEST_PROTOCOL)
        if len(self.tasks) < self.procs:
            self._new_task()
        self.jobqueue.put((filename, len(self.docbuffer)))
        self.docbuffer = []

    def _new_task(self) -> SubWriterTask:
        task = BoundSubWriter(self.storage, self.indexname, self.jobqueue, self.resultqueue, self.subargs,
                              self.multisegment)
        task.schema = self.schema
        self.tasks.append(task)
        task.start()
        return task
