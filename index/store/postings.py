"""Whoosh's segment writer with a posting buffer that keeps each word's postings together.

Whoosh's writer puts every posting -- one per word per passage -- into a ``PostingPool`` as a tuple,
sorts them all by word at the end, spills sorted runs to disk one pickled tuple at a time, and then
hands them back one by one to the postings writer, which looks up each passage's field length with
one more call per posting. For 40,000 news passages that is 2.4 million postings, and these steps
took two thirds of the indexing time.

:class:`PostingBuffer` appends each posting to its word's arrays instead: passages arrive in order,
so each word's postings are already sorted by passage and only the words need sorting, once. Text
fields it takes a token at a time and turns into postings a batch at a time (:mod:`index.store.tokens`).
It spills to disk (over ``limitmb``) a whole batch of words per pickle. :func:`write_postings` then
writes each word's postings in Whoosh's block format, a whole word at a time, with the field
lengths and statistics Whoosh's postings writer keeps, each block pickled with protocol 4. Whoosh's
reader reads from these segments, word by word and block by block, what it reads from those its
own writer makes with the same schema (``tests/test_postings.py``).
"""

from __future__ import annotations

import heapq
import itertools
import pickle
from array import array
from collections.abc import Iterator, Sequence
from datetime import datetime
from operator import itemgetter, sub

import numpy as np
from whoosh.codec import whoosh3
from whoosh.filedb import filetables
from whoosh.formats import Existence
from whoosh.system import pack_int, pack_long, pack_ushort
from whoosh.util import random_name
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import SegmentWriter

from index.store import formats
from index.store.columns import ColumnBuffer
from index.store.tokens import TOKEN_BYTES, VOCABULARY_BYTES, FieldTokens, analysis_steps

#: One word's postings: field name, word (bytes), passage numbers, weights (doubles), encoded values.
Postings = tuple[str, bytes, array, array, list[bytes]]

#: Words pickled together when the buffer spills to disk.
_SPILL_BATCH = 2048
#: Bytes a posting costs in the buffer beyond its value (two array slots and a list slot and the
#: value's object header), and a word beyond its text (dict entry, key tuple, three containers).
_POSTING_BYTES = 53
_WORD_BYTES = 320
#: A word's statistics in Whoosh's term table: flags, total weight, passages, shortest and longest
#: passage (as length bytes), highest weight, first and last passage.
_TERM_INFO = whoosh3.W3TermInfo._struct
#: Pickle protocol of a block's passages, weights and values. Whoosh writes protocol 2, which
#: pickles each value (bytes) as a call to ``codecs.encode``; protocol 4 writes and reads blocks five
#: times as fast and a third smaller, and Whoosh's reader reads either.
BLOCK_PROTOCOL = 4
#: Passages whose column values a writer keeps before it writes them, a column at a time.
COLUMN_BATCH = 4096
#: Values of id, number and date fields whose terms a writer remembers.
_KNOWN_TERMS = 50_000
#: Field length of each stored length byte, as Whoosh decodes it.
_BYTE_LENGTHS = np.array([byte_to_length(b) for b in range(256)], dtype=np.int64)


class PostingBuffer:
    """Whoosh's posting pool, keeping each word's postings in arrays of their own.

    Takes Whoosh's ``(fieldname, word, docnum, weight, value)`` postings through :meth:`add`, and
    the text of a field whose analyzer and format it knows through :meth:`add_text`, a token at a
    time (:mod:`index.store.tokens`). Gives back each word's postings, words in order and postings in
    passage order, through :meth:`terms` (or one tuple at a time, as Whoosh's pool does, through
    :meth:`iter_postings`).
    """

    def __init__(self, tempstore, limitmb: int = 128) -> None:
        self.fieldnames: set[str] = set()
        self._tempstore = tempstore
        self._limit = limitmb * 1024 * 1024
        self._size = 0
        self._words: dict[tuple[str, bytes], tuple[array, array, list[bytes]]] = {}
        self._tokens: dict[str, FieldTokens | None] = {}
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

    def add_text(self, fieldname: str, field, docnum: int, text) -> int | None:
        """Add the postings of passage *docnum*'s *text* in *fieldname*, a token at a time, and return
        how many words it counts; None (nothing added) when the field's analyzer or format is not
        one :mod:`index.store.tokens` knows, or *text* is not a string: then add it Whoosh's way."""
        if not isinstance(text, str):
            return None
        tokens = self._tokens.get(fieldname, False)
        if tokens is False:
            tokens = self._tokens[fieldname] = _field_tokens(field)
        if tokens is None:
            return None
        self.fieldnames.add(fieldname)
        before, known = len(tokens), tokens.vocabulary
        length = tokens.add(docnum, text)
        self._size += (len(tokens) - before) * TOKEN_BYTES + (tokens.vocabulary - known) * VOCABULARY_BYTES
        if self._size > self._limit:
            self.save()
        return length

    def save(self) -> None:
        """Spill the buffered words to a run file, sorted, a batch of words per pickle."""
        if not self._words and not any(self._tokens.values()):
            return
        name = f"{random_name()}.postings"
        words = self._memory_terms()
        with self._tempstore.create_file(name).raw_file() as run:
            while batch := [(key, ids.tobytes(), weights.tobytes(), values)
                            for key, ids, weights, values in itertools.islice(words, _SPILL_BATCH)]:
                pickle.dump(batch, run, pickle.HIGHEST_PROTOCOL)
        self._runs.append(name)
        # The fields' dictionaries last from batch to batch, unless they alone fill half the buffer.
        dictionaries = [tokens for tokens in self._tokens.values() if tokens is not None]
        self._size = sum(tokens.vocabulary for tokens in dictionaries) * VOCABULARY_BYTES
        if self._size > self._limit // 2:
            for tokens in dictionaries:
                tokens.forget_words()
            self._size = 0

    def discard_tokens(self, docnum: int) -> None:
        """Forget the tokens of passage *docnum*, the last one added, whose adding failed."""
        for tokens in self._tokens.values():
            if tokens is not None:
                tokens.discard(docnum)

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

    def _memory_terms(self) -> Iterator[tuple]:
        """The buffered words in order, each as ``(key, ids, weights, values)``, and empty the buffer;
        a word may come twice, added posting by posting and as tokens."""
        words = sorted(self._words.items())
        self._words = {}
        added = ((key, *postings) for key, postings in words)
        tokens = [((fieldname, word), *postings)
                  for fieldname, field_tokens in sorted(self._tokens.items()) if field_tokens
                  for word, *postings in field_tokens.postings()]
        # Passages added as tokens come before those merged in from other segments when committing.
        return heapq.merge(tokens, added, key=itemgetter(0)) if tokens and words else iter(tokens or added)

    def terms(self) -> Iterator[Postings]:
        """Each word's postings, words sorted by field and text, postings by passage."""
        sources = [self._read_run(name) for name in self._runs] + [self._memory_terms()]
        self._runs = []
        # Runs hold earlier passages than later runs; merge keeps their order for equal words.
        merged = heapq.merge(*sources, key=itemgetter(0)) if len(sources) > 1 else sources[0]
        for (fieldname, word), parts in itertools.groupby(merged, key=itemgetter(0)):
            parts = list(parts)
            _, ids, weights, values = parts[0]
            in_order = self._in_order
            if len(parts) > 1:
                ids, weights, values = array("I", ids), array("d", weights), list(values)
                for _, more_ids, more_weights, more_values in parts[1:]:
                    in_order = in_order and more_ids[0] > ids[-1]
                    ids.extend(more_ids)
                    weights.extend(more_weights)
                    values.extend(more_values)
            if not in_order:
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
        self._tokens = {}


def _field_tokens(field) -> FieldTokens | None:
    """A field's token buffer, when :mod:`index.store.tokens` knows its analyzer and format (those of
    :mod:`index.store.formats`, which it packs as they do)."""
    if type(field.format) not in (formats.Positions, formats.Characters):
        return None
    steps = analysis_steps(field.analyzer)
    if steps is None:
        return None
    chars = type(field.format) is formats.Characters
    return FieldTokens(steps, chars, field.format.field_boost, field.format.encode)


def _field_lengths(lengths, fieldname: str, doccount: int) -> list[int] | None:
    """Every passage's length in *fieldname* as Whoosh stores it (one byte), or None if it keeps none."""
    if lengths is None:
        return None
    column = lengths._cached_reader(whoosh3._lenfield(fieldname), whoosh3.LENGTHS_COLUMN)
    if column is None:
        return None
    stored = np.frombuffer(bytes(column[docnum] for docnum in range(doccount)), dtype=np.uint8)
    return _BYTE_LENGTHS[stored].tolist()


def write_postings(fieldwriter: whoosh3.W3FieldWriter, schema, lengths, terms: Iterator[Postings],
                   doccount: int) -> None:
    """Write each word's postings as Whoosh's postings writer does, a whole word at a time.

    Does what Whoosh's ``FieldWriter.add_postings`` does posting by posting: the same blocks of
    passages, weights and values, with the same statistics, and the same term table entries. Blocks
    without compression are pickled with :data:`BLOCK_PROTOCOL`.
    """
    current = None
    field_lengths = None
    # Where the postings file and the term table stand, counted from the bytes written: a buffered
    # file's tell() asks the system each time, and Whoosh's writers ask four times a word (more than
    # a second over a corpus's 100,000 words). Asked again after anything else wrote to them.
    offset = entry = None
    for fieldname, word, ids, weights, values in terms:
        if fieldname != current:
            if current is not None:
                fieldwriter.finish_field()
            fieldwriter.start_field(fieldname, schema[fieldname])
            field_lengths = _field_lengths(lengths, fieldname, doccount)
            fixed_size = schema[fieldname].format.fixed_value_size()
            current = fieldname
            offset = entry = None
        postwriter = fieldwriter._postwriter
        if postwriter._compression or postwriter._byteids:
            _write_term_by_blocks(fieldwriter, word, ids, weights, values, field_lengths)
            offset = entry = None
            continue
        if offset is None:
            offset, entry = fieldwriter._postfile.tell(), fieldwriter._tindex.dbfile.tell()
        size, info = _write_term(fieldwriter._postfile, postwriter._blocklimit, ids, weights, values,
                                 field_lengths, fixed_size)
        entry += _add_term(fieldwriter._tindex, entry, pack_ushort(fieldwriter._fieldid) + word,
                           info + pack_long(offset) + pack_int(size))
        offset += size
    if current is not None:
        fieldwriter.finish_field()


def _write_term(postfile, limit: int, ids, weights, values, field_lengths: list[int] | None,
                fixed_size: int | None) -> tuple[int, bytes]:
    """Write one word's postings as uncompressed blocks of Whoosh's format; returns the bytes written
    and the word's statistics as Whoosh's term table packs them (before the extent)."""
    postfile.write(whoosh3.WHOOSH3_HEADER_MAGIC)
    written = len(whoosh3.WHOOSH3_HEADER_MAGIC)
    total_weight = 0.0
    min_length = None
    max_length = max_weight = 0
    count = len(ids)
    for start in range(0, count, limit):
        end = min(start + limit, count)
        block_ids = ids[start:end]
        block_weights = array("f", weights[start:end])  # Whoosh keeps a block's weights as 32-bit floats
        if block_weights.count(block_weights[0]) == len(block_weights):
            mini_weights = None if block_weights[0] == 1.0 else block_weights[0]
        else:
            mini_weights = tuple(block_weights)
        if fixed_size is None or fixed_size < 0:
            mini_values = tuple(value for value in values[start:end] if value)
        else:
            mini_values = None if fixed_size == 0 else b"".join(values[start:end])
        data = pickle.dumps((tuple(map(sub, block_ids, itertools.chain((0,), block_ids))),
                             mini_weights, mini_values), BLOCK_PROTOCOL)
        block_max_weight = max(0, max(weights[start:end]))  # its highest weight as given
        block_min, block_max = _length_range(field_lengths, block_ids)
        info = pickle.dumps((len(block_ids), block_ids[-1], block_max_weight, 0, length_to_byte(block_min),
                             length_to_byte(block_max or 0)), 2)
        size = len(info) + len(data)
        block = pack_int(-size if end == count else size) + info + data
        postfile.write(block)
        written += len(block)
        total_weight += sum(block_weights)
        if block_min is not None:
            min_length = block_min if min_length is None else min(min_length, block_min)
        max_length = max(max_length, block_max or 0)
        max_weight = max(max_weight, block_max_weight)
    info = _TERM_INFO.pack(False, total_weight, count, 0 if min_length is None else length_to_byte(min_length),
                           length_to_byte(max_length), max_weight, ids[0], ids[-1])
    return written, info


def _add_term(table: filetables.OrderedHashWriter, position: int, key: bytes, value: bytes) -> int:
    """Whoosh's ``OrderedHashWriter.add`` of *key* and *value* to the term table, told that its file
    stands at *position*; returns the bytes written."""
    if key <= table.lastkey:
        raise ValueError(f"Keys must increase: {table.lastkey!r}..{key!r}")
    record = filetables._lengths.pack(len(key), len(value)) + key + value
    table.dbfile.write(record)
    table.index.append(position)
    hashed = table.hashfn(key)
    table.buckets[hashed & 255].append((hashed, position))
    table.lastkey = key
    return len(record)


def _write_term_by_blocks(fieldwriter: whoosh3.W3FieldWriter, word: bytes, ids, weights, values,
                          field_lengths: list[int] | None) -> None:
    """Write one word's postings through Whoosh's own postings writer (compressed blocks), a block at a time."""
    fieldwriter.start_term(word)
    block = fieldwriter._postwriter
    limit = block._blocklimit
    for start in range(0, len(ids), limit):
        if start:  # a full block is written when the next posting arrives, as Whoosh does
            block._write_block()
            block._new_block()
        block._ids = array("I", ids[start : start + limit])
        block._weights = array("f", weights[start : start + limit])
        block._values = [value for value in values[start : start + limit] if value]
        block._maxweight = max(0, max(weights[start : start + limit]))
        if field_lengths is not None:
            block._minlength, block._maxlength = _length_range(field_lengths, block._ids)
    fieldwriter.finish_term()


def _length_range(field_lengths: list[int] | None, ids: Sequence[int]) -> tuple[int | None, int | None]:
    """The shortest non-empty and the longest length of passages *ids*, as a block of Whoosh's postings
    writer keeps them; (None, None) for a field without lengths."""
    if field_lengths is None:
        return None, None
    lengths = list(map(field_lengths.__getitem__, ids))
    return min(filter(None, lengths), default=None), max(lengths)


class BufferedSegmentWriter(SegmentWriter):
    """Whoosh's segment writer with :class:`PostingBuffer` as its pool and :func:`write_postings`."""

    def __init__(self, ix, limitmb: int = 128, **kwargs) -> None:
        super().__init__(ix, limitmb=limitmb, **kwargs)
        use_posting_buffer(self, limitmb)

    def add_document(self, **fields) -> None:
        """Whoosh's ``add_document``, with each text field the posting buffer knows added as tokens
        (:meth:`PostingBuffer.add_text`) instead of word by word."""
        names = tuple(fields)
        plan = self._plans.get(names)
        if plan is None:
            plan = self._plans[names] = self._plan(names)
        if not plan:
            self._column_buffer.write(self.perdocwriter)  # Whoosh's writer adds the passage's columns itself
            super().add_document(**fields)  # boosts, stored values of their own, spelling, vectors
            return
        self._check_state()
        docnum, add_post, add_text = self.docnum, self.pool.add, self.pool.add_text
        stored = {}
        lengths = []
        values = []
        try:
            for fieldname, field, indexed, scorable, stored_field, column in plan:
                value = fields[fieldname]
                if value is None:
                    continue
                if indexed:
                    length = add_text(fieldname, field, docnum, value)
                    if length is None:
                        length = 0
                        for word, frequency, weight, encoded in self._terms(fieldname, field, value):
                            length += frequency
                            add_post((fieldname, word, docnum, weight, encoded))
                    if length and scorable:
                        lengths.append((fieldname, length))
                if stored_field:
                    stored[fieldname] = value
                if column:
                    values.append((fieldname, column, field.to_column_value(value)))
        except Exception:
            # The next passage takes this one's number: it must not find this one's tokens under it.
            self.pool.discard_tokens(docnum)
            raise
        # What Whoosh's per-document writer does for the passage, its columns kept to be written together.
        perdocwriter, buffered = self.perdocwriter, self._column_buffer
        for fieldname, length in lengths:
            buffered.add(whoosh3._lenfield(fieldname), whoosh3.LENGTHS_COLUMN, docnum, length_to_byte(length))
            perdocwriter._fieldlengths[fieldname] += length
        for fieldname, column, value in values:
            buffered.add(fieldname, column, docnum, value)
        if stored:
            buffered.add("_stored", whoosh3.STORED_COLUMN, docnum, stored)
        perdocwriter._doccount = docnum + 1
        if docnum % COLUMN_BATCH == COLUMN_BATCH - 1:
            buffered.write(perdocwriter)
        self._added = True
        self.docnum += 1

    def add_field(self, fieldname: str, fieldspec, **kwargs) -> None:
        self._plans.clear()  # a plan holds the fields of its time
        super().add_field(fieldname, fieldspec, **kwargs)

    def remove_field(self, fieldname: str) -> None:
        self._plans.clear()
        self._known_terms.clear()
        super().remove_field(fieldname)

    def add_reader(self, reader) -> None:
        self._column_buffer.write(self.perdocwriter)  # Whoosh's writer adds the merged passages' columns itself
        super().add_reader(reader)

    def _terms(self, fieldname: str, field, value) -> list[tuple[bytes, int, float, bytes]]:
        """``field.index(value)``, remembered for the values of fields that only record which passages
        hold a term (ids, numbers, dates): an article's passages repeat its id, source and date."""
        if type(field.format) is not Existence or not isinstance(value, (str, int, datetime)):
            return field.index(value)
        known = self._known_terms
        terms = known.get((fieldname, value))
        if terms is None:
            if len(known) >= _KNOWN_TERMS:
                known.clear()
            terms = known[fieldname, value] = list(field.index(value))
        return terms

    def _plan(self, names: tuple[str, ...]) -> list[tuple]:
        """How to add a document with fields *names*: in Whoosh's order (sorted), each field with what
        is done with its values -- ``(name, field, indexed, scorable, stored, column type)``. Empty when
        such a document is to be added Whoosh's way, as the posting buffer is not this writer's pool,
        or a field asks for more than text and values (a boost, a stored value of its own, spelling,
        vectors).
        """
        fieldnames = sorted(names)
        self._check_fields(self.schema, [name for name in fieldnames if not name.startswith("_")])
        if not isinstance(self.pool, PostingBuffer) or type(self.perdocwriter) is not whoosh3.W3PerDocWriter \
                or any(name.startswith("_") for name in fieldnames):
            return []
        fields = [(name, self.schema[name]) for name in fieldnames]
        if any(field.separate_spelling() or field.vector for _, field in fields):
            return []
        return [(name, field, field.indexed, field.scorable, field.stored, field.column_type) for name, field in fields]

    def add_postings_to_pool(self, reader, startdoc: int, docmap) -> None:
        """Whoosh's, leaving out the words of fields the schema no longer searches (an index written
        when a passage's id was a term): Whoosh could not read their postings with this schema."""
        for item in self._process_posts(_searched_postings(reader, self.schema), startdoc, docmap):
            self.pool.add(item)

    def _flush_segment(self) -> None:
        self._column_buffer.write(self.perdocwriter)
        self.perdocwriter.close()
        lengths = self.per_document_reader() if self.codec.length_stats else None
        if isinstance(self.pool, PostingBuffer) and isinstance(self.fieldwriter, whoosh3.W3FieldWriter):
            write_postings(self.fieldwriter, self.schema, lengths, self.pool.terms(), self.docnum)
        else:
            self.fieldwriter.add_postings(self.schema, lengths, self.pool.iter_postings())
        self.fieldwriter.close()
        if lengths:
            lengths.close()


def _searched_postings(reader, schema) -> Iterator[tuple]:
    """Whoosh's ``reader.iter_postings()`` for the fields *schema* searches."""
    for fieldname, word in reader.all_terms():
        if fieldname not in schema or not schema[fieldname].indexed:
            continue
        matcher = reader.postings(fieldname, word)
        while matcher.is_active():
            yield fieldname, word, matcher.id(), matcher.weight(), matcher.value()
            matcher.next()


def use_posting_buffer(writer: SegmentWriter, limitmb: int) -> None:
    """Give a new *writer* a :class:`PostingBuffer` in place of Whoosh's pool (which holds nothing yet),
    and the state :meth:`BufferedSegmentWriter.add_document` keeps: its plans per set of field names,
    the terms of values it has seen, and the column values not yet written (:mod:`index.store.columns`)."""
    writer.pool = PostingBuffer(writer._tempstorage, limitmb=limitmb)
    writer._plans = {}
    writer._known_terms = {}
    writer._column_buffer = ColumnBuffer()
