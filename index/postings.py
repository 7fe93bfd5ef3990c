"""Whoosh's segment writer with a posting buffer that keeps each word's postings together.

Whoosh's writer puts every posting -- one per word per passage -- into a ``PostingPool`` as a tuple,
sorts them all by word at the end, spills sorted runs to disk one pickled tuple at a time, and then
hands them back one by one to the postings writer, which looks up each passage's field length with
one more call per posting. For 40,000 news passages that is 2.4 million postings, and these steps
took two thirds of the indexing time.

:class:`PostingBuffer` appends each posting to its word's arrays instead: passages arrive in order,
so each word's postings are already sorted by passage and only the words need sorting, once. It
spills to disk (over ``limitmb``) a whole batch of words per pickle. :func:`write_postings` then
writes each word's postings with Whoosh's own block writer a block at a time, the field lengths of
a block looked up together. The segment files are the same, byte for byte, as Whoosh's writer makes
(``tests/test_postings.py``), so every reader reads them as before.
"""

from __future__ import annotations

import heapq
import itertools
import pickle
from array import array
from collections.abc import Iterator
from operator import itemgetter

import numpy as np
from whoosh.codec import whoosh3
from whoosh.util import random_name
from whoosh.util.numeric import byte_to_length
from whoosh.writing import SegmentWriter

#: One word's postings: field name, word (bytes), passage numbers, weights (doubles), encoded values.
Postings = tuple[str, bytes, array, array, list[bytes]]

#: Words pickled together when the buffer spills to disk.
_SPILL_BATCH = 2048
#: Bytes a posting costs in the buffer beyond its value (two array slots and a list slot and the
#: value's object header), and a word beyond its text (dict entry, key tuple, three containers).
_POSTING_BYTES = 53
_WORD_BYTES = 320
#: Field length of each stored length byte, as Whoosh decodes it.
_BYTE_LENGTHS = np.array([byte_to_length(b) for b in range(256)], dtype=np.int64)


class PostingBuffer:
    """Whoosh's posting pool, keeping each word's postings in arrays of their own.

    Takes Whoosh's ``(fieldname, word, docnum, weight, value)`` postings through :meth:`add`, and
    gives back each word's postings, words in order and postings in passage order, through
    :meth:`terms` (or one tuple at a time, as Whoosh's pool does, through :meth:`iter_postings`).
    """

    def __init__(self, tempstore, limitmb: int = 128) -> None:
        self.fieldnames: set[str] = set()
        self._tempstore = tempstore
        self._limit = limitmb * 1024 * 1024
        self._size = 0
        self._words: dict[tuple[str, bytes], tuple[array, array, list[bytes]]] = {}
        self._runs: list[str] = []
        self._last_docnum = -1
        # Postings arrive in passage order while passages are added; merging a segment's postings in
        # (word by word) breaks that order, and then each word's postings are sorted when read.
        self._in_order = True

    def add(self, item: tuple) -> None:
        """Add one posting: ``(fieldname, word, docnum, weight, value)``."""
        fieldname, word, docnum, weight, value = item
        postings = self._words.get((fieldname, word))
        if postings is None:
            postings = self._words[fieldname, word] = (array("I"), array("d"), [])
            self.fieldnames.add(fieldname)
            self._size += _WORD_BYTES + len(word)
        postings[0].append(docnum)
        postings[1].append(weight)
        value = value or b""
        postings[2].append(value)
        if docnum < self._last_docnum:
            self._in_order = False
        self._last_docnum = docnum
        self._size += _POSTING_BYTES + len(value)
        if self._size > self._limit:
            self.save()

    def save(self) -> None:
        """Spill the buffered words to a run file, sorted, a batch of words per pickle."""
        if not self._words:
            return
        name = f"{random_name()}.postings"
        words = sorted(self._words.items())
        with self._tempstore.create_file(name).raw_file() as run:
            for start in range(0, len(words), _SPILL_BATCH):
                batch = [
                    (key, ids.tobytes(), weights.tobytes(), values)
                    for key, (ids, weights, values) in words[start : start + _SPILL_BATCH]
                ]
                pickle.dump(batch, run, pickle.HIGHEST_PROTOCOL)
        self._runs.append(name)
        self._words = {}
        self._size = 0

    def _read_run(self, name: str) -> Iterator[tuple]:
        with self._tempstore.open_file(name).raw_file() as run:
            while True:
                try:
                    batch = pickle.load(run)
                except EOFError:
                    break
                for key, ids, weights, values in batch:
                    yield key, array("I", ids), array("d", weights), values
        self._tempstore.delete_file(name)

    def _sorted_words(self) -> Iterator[tuple]:
        words = sorted(self._words.items())
        self._words = {}
        return ((key, *postings) for key, postings in words)

    def terms(self) -> Iterator[Postings]:
        """Each word's postings, words sorted by field and text, postings by passage."""
        sources = [self._read_run(name) for name in self._runs] + [self._sorted_words()]
        self._runs = []
        # Runs hold earlier passages than later runs; merge keeps their order for equal words.
        merged = heapq.merge(*sources, key=itemgetter(0)) if len(sources) > 1 else sources[0]
        for (fieldname, word), parts in itertools.groupby(merged, key=itemgetter(0)):
            parts = list(parts)
            ids, weights, values = parts[0][1:]
            for _, more_ids, more_weights, more_values in parts[1:]:
                ids.extend(more_ids)
                weights.extend(more_weights)
                values.extend(more_values)
            if not self._in_order:
                order = sorted(range(len(ids)), key=ids.__getitem__)
                ids = array("I", [ids[i] for i in order])
                weights = array("d", [weights[i] for i in order])
                values = [values[i] for i in order]
            yield fieldname, word, ids, weights, values

    def iter_postings(self) -> Iterator[tuple]:
        """Whoosh's ``(fieldname, word, docnum, weight, value)`` postings, in order."""
        for fieldname, word, ids, weights, values in self.terms():
            for docnum, weight, value in zip(ids, weights, values):
                yield fieldname, word, docnum, weight, value

    def cleanup(self) -> None:
        """Remove any run files left (as when the writer is cancelled)."""
        for name in self._runs:
            self._tempstore.delete_file(name)
        self._runs = []
        self._words = {}


def _field_lengths(lengths, fieldname: str, doccount: int) -> np.ndarray | None:
    """Every passage's length in *fieldname* as Whoosh stores it (one byte), or None if it keeps none."""
    if lengths is None:
        return None
    column = lengths._cached_reader(whoosh3._lenfield(fieldname), whoosh3.LENGTHS_COLUMN)
    if column is None:
        return None
    stored = np.frombuffer(bytes(column[docnum] for docnum in range(doccount)), dtype=np.uint8)
    return _BYTE_LENGTHS[stored]


def write_postings(fieldwriter: whoosh3.W3FieldWriter, schema, lengths, terms: Iterator[Postings],
                   doccount: int) -> None:
    """Write each word's postings with Whoosh's postings writer, a whole block at a time.

    Does what Whoosh's ``FieldWriter.add_postings`` does posting by posting: the writer's blocks
    get the same passages, weights, values and length statistics.
    """
    current = None
    field_lengths = None
    for fieldname, word, ids, weights, values in terms:
        if fieldname != current:
            if current is not None:
                fieldwriter.finish_field()
            fieldwriter.start_field(fieldname, schema[fieldname])
            field_lengths = _field_lengths(lengths, fieldname, doccount)
            current = fieldname
        fieldwriter.start_term(word)
        block = fieldwriter._postwriter
        limit = block._blocklimit
        for start in range(0, len(ids), limit):
            if start:  # a full block is written when the next posting arrives, as Whoosh does
                block._write_block()
                block._new_block()
            block._ids = ids[start : start + limit]
            # Whoosh keeps a block's weights as 32-bit floats, and its highest weight as given.
            block._weights = array("f", weights[start : start + limit])
            block._values = [value for value in values[start : start + limit] if value]
            block._maxweight = max(0, max(weights[start : start + limit]))
            if field_lengths is not None:
                block_lengths = field_lengths[np.frombuffer(block._ids, dtype=np.uint32)]
                nonzero = block_lengths[block_lengths > 0]
                block._minlength = int(nonzero.min()) if len(nonzero) else None
                block._maxlength = int(block_lengths.max())
        fieldwriter.finish_term()
    if current is not None:
        fieldwriter.finish_field()


class BufferedSegmentWriter(SegmentWriter):
    """Whoosh's segment writer with :class:`PostingBuffer` as its pool and :func:`write_postings`."""

    def __init__(self, ix, limitmb: int = 128, **kwargs) -> None:
        super().__init__(ix, limitmb=limitmb, **kwargs)
        use_posting_buffer(self, limitmb)

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        lengths = self.per_document_reader() if self.codec.length_stats else None
        if isinstance(self.pool, PostingBuffer) and isinstance(self.fieldwriter, whoosh3.W3FieldWriter):
            write_postings(self.fieldwriter, self.schema, lengths, self.pool.terms(), self.docnum)
        else:
            self.fieldwriter.add_postings(self.schema, lengths, self.pool.iter_postings())
        self.fieldwriter.close()
        if lengths:
            lengths.close()


def use_posting_buffer(writer: SegmentWriter, limitmb: int) -> None:
    """Give a new *writer* a :class:`PostingBuffer` in place of Whoosh's pool (which holds nothing yet)."""
    writer.pool = PostingBuffer(writer._tempstorage, limitmb=limitmb)
