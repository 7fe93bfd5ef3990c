"""Whoosh's index read in bulk, for scoring and counting on arrays.

* :func:`read_postings` -- every posting of a word: passage numbers and weights, a block at a time;
* :func:`passage_characters` -- where a word stands in some passages (positions and characters);
* :func:`column_values` -- a column's values for every passage;
* :func:`field_lengths` -- each passage's length in a field, as Whoosh's scoring reads it;
* :func:`expanded_words` -- the words a prefix or wildcard query stands for.

Whoosh reads postings one at a time through its matchers; these read its block format directly
(falling back on the public matcher API for any other format).
"""

from __future__ import annotations

import io
import pickle
import zlib
from bisect import bisect_left
from itertools import accumulate
from collections.abc import Iterable, Iterator

import numpy as np
from whoosh.codec import whoosh3
from whoosh.codec.whoosh3 import LENGTHS_COLUMN
from whoosh.query import Query
from whoosh.reading import IndexReader
from whoosh.util.numeric import byte_to_length, length_to_byte

#: Whoosh's byte-coded field lengths, decoded.
_LENGTHS = np.array([byte_to_length(code) for code in range(256)], dtype=np.float64)

Postings = tuple[np.ndarray, np.ndarray]


def read_postings(reader: IndexReader, fieldname: str, text: str) -> Postings:
    """Every posting of *text* in *fieldname* over all segments: passage numbers and weights."""
    ids: list[np.ndarray] = []
    weights: list[np.ndarray] = []
    for leaf, offset in reader.leaf_readers():
        if (fieldname, text) not in leaf:
            continue
        matcher = leaf.postings(fieldname, text)
        mapped = _mapped_blocks(matcher)
        if mapped is not None:
            for block_ids, block_weights in mapped:
                ids.append(block_ids + offset)
                weights.append(block_weights)
        elif hasattr(matcher, "_read_ids") and hasattr(matcher, "_next_block"):
            # Whoosh's own block format: a block's ids and weights decoded at once, not one by one.
            while matcher.is_active():
                matcher._read_ids()
                matcher._read_weights()
                ids.append(np.asarray(matcher._ids, dtype=np.int64) + offset)
                weights.append(np.asarray(matcher._weights, dtype=np.float64))
                matcher._next_block()
        else:
            pairs = []
            while matcher.is_active():
                pairs.append((matcher.id() + offset, matcher.weight()))
                matcher.next()
            ids.append(np.array([p[0] for p in pairs], dtype=np.int64))
            weights.append(np.array([p[1] for p in pairs], dtype=np.float64))
    if not ids:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
    return np.concatenate(ids), np.concatenate(weights)


def _mapped_blocks(matcher) -> Iterator[Postings] | None:
    """The blocks of a word's postings in a segment held in memory, decoded straight from its bytes
    (:func:`_mapped_parts`): passage numbers and weights. ``None`` for any other matcher or file."""
    parts = _mapped_parts(matcher)
    if parts is None:
        return None

    def blocks() -> Iterator[Postings]:
        for header, data in parts:
            deltas, weights, _ = _block_data(header, data)
            yield (np.cumsum(np.asarray(deltas, dtype=np.int64)),
                   np.full(header[0], 1.0 if weights is None else weights) if weights is None or isinstance(weights, float)
                   else np.asarray(weights, dtype=np.float64))

    return blocks()


def _mapped_parts(matcher) -> Iterator[tuple[tuple, memoryview]] | None:
    """Each block of a word's postings in a segment held in memory (a compound file, mapped), read
    straight from its bytes: its pickled header (passages, last passage, highest weight, compression,
    shortest and longest length) and its data, not yet decoded (:func:`_block_data`). Whoosh's
    ``W3LeafMatcher`` reads the same through a file object, a few bytes at a time. ``None`` for any
    other matcher or file."""
    buffer = getattr(getattr(matcher, "_postfile", None), "_buf", None)
    if buffer is None or type(matcher) is not whoosh3.W3LeafMatcher or matcher._byteids:
        return None
    view = memoryview(buffer)
    start = matcher._startoffset + len(whoosh3.WHOOSH3_HEADER_MAGIC)

    def parts() -> Iterator[tuple[tuple, memoryview]]:
        position = start
        while True:
            length = int.from_bytes(view[position : position + 4], "big", signed=True)
            end = position + 4 + abs(length)
            block = io.BytesIO(view[position + 4 : end])
            header = pickle.load(block)
            yield header, view[position + 4 + block.tell() : end]
            if length < 0:  # the word's last block
                return
            position = end

    return parts()


def _block_data(header: tuple, data: memoryview) -> tuple:
    """A block's passage-number deltas, weights and values, as its data pickles them."""
    return pickle.loads(zlib.decompress(data) if header[3] else data)


def passage_characters(reader: IndexReader, fieldname: str, text: str,
                       docnums: Iterable[int]) -> dict[int, list[tuple[int, int, int]]]:
    """Where *text* stands in each of the passages *docnums* that hold it: (position, first
    character, end character) of every occurrence, as indexed (the field keeps characters)."""
    found: dict[int, list[tuple[int, int, int]]] = {}
    wanted = sorted(docnums)
    for leaf, offset in reader.leaf_readers():
        local = [docnum - offset for docnum in wanted if offset <= docnum < offset + leaf.doc_count_all()]
        if not local or (fieldname, text) not in leaf:
            continue
        matcher = leaf.postings(fieldname, text)
        values = _mapped_values(matcher, local)
        if values is not None:
            for target, value in values.items():
                found[target + offset] = matcher.format.decode_as("characters", value)
            continue
        for target in local:
            if not matcher.is_active():
                break
            _skip_to(matcher, target)
            if matcher.is_active() and matcher.id() == target:
                found[target + offset] = matcher.value_as("characters")
    return found


def _mapped_values(matcher, targets: list[int]) -> dict[int, bytes] | None:
    """The encoded values of a word's postings in those of the passages *targets* (in order) that
    hold it, read from the mapped segment (:func:`_mapped_parts`), decoding only the blocks that
    could hold one of them; ``None`` where the blocks cannot be read so, or hold fixed-size values."""
    parts = _mapped_parts(matcher)
    fixed = matcher.format.fixed_value_size() if parts is not None else None
    if parts is None or (fixed is not None and fixed >= 0):
        return None
    found: dict[int, bytes] = {}
    pending = iter(targets)
    target = next(pending, None)
    if target is None:
        return found
    for header, data in parts:
        last = header[1]
        if target > last:
            continue
        deltas, _, values = _block_data(header, data)
        ids = list(accumulate(deltas))
        while target is not None and target <= last:
            place = bisect_left(ids, target)
            if place < len(ids) and ids[place] == target:
                found[target] = values[place]
            target = next(pending, None)
        if target is None:
            break
    return found


def _skip_to(matcher, target: int) -> None:
    """Move *matcher* to the first posting at or after *target*."""
    if not (hasattr(matcher, "_skip_to_block") and hasattr(matcher, "_ids")):
        if matcher.id() < target:
            matcher.skip_to(target)
        return
    # Whoosh's block format: skip whole blocks, then search the block's ids instead of stepping.
    if target > matcher.block_max_id():
        matcher._skip_to_block(lambda: target > matcher.block_max_id())
        if not matcher.is_active():
            return
    if matcher._ids is None:
        matcher._read_ids()
    matcher._i = max(matcher._i, bisect_left(matcher._ids, target))


def column_values(reader: IndexReader, fieldname: str, default, translate: bool = True) -> list:
    """A column's values for every passage, segment by segment (a segment may lack the column)."""
    values: list = []
    for leaf, _ in reader.leaf_readers():
        if leaf.has_column(fieldname):
            values.extend(leaf.column_reader(fieldname, translate=translate))
        else:
            values.extend([default] * leaf.doc_count_all())
    return values


def field_lengths(reader: IndexReader, fieldname: str) -> np.ndarray:
    """Each passage's length in words in *fieldname*, as Whoosh's scoring reads it (byte-coded)."""
    parts: list[np.ndarray] = []
    for leaf, _ in reader.leaf_readers():
        count = leaf.doc_count_all()
        codes = np.zeros(count, dtype=np.uint8)
        perdoc, name = getattr(leaf, "_perdoc", None), f"_{fieldname}_len"
        if perdoc is not None and perdoc.has_column(name):
            column = perdoc.column_reader(name, LENGTHS_COLUMN)
            if hasattr(column, "_dbfile"):
                # One byte per passage in Whoosh's file: read them at once rather than one by one.
                stored = min(column._count, count)
                codes[:stored] = np.frombuffer(column._dbfile.get(column._basepos, stored), dtype=np.uint8)
            else:
                codes[:] = np.fromiter(column, dtype=np.uint8, count=count)
        else:
            codes[:] = [length_to_byte(leaf.doc_field_length(docnum, fieldname, 0)) for docnum in range(count)]
        parts.append(_LENGTHS[codes])
    return np.concatenate(parts) if parts else np.zeros(0)


def expanded_words(query: Query, reader: IndexReader) -> list[bytes]:
    """The indexed words (as bytes) that a ``Prefix`` or ``Wildcard`` query expands to."""
    return list(query._btexts(reader))

