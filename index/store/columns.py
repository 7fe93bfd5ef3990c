"""Whoosh's per-passage columns, kept while passages are added and written a whole column at a time.

Whoosh's writer hands each passage's column values -- its length in each text field, its stored
fields, its sortable ids, date and counts, ten or so a passage -- to the column writers one call at
a time, through as many as three layers of writer objects, each writing to the column's file.
:class:`ColumnBuffer` keeps each column's passage numbers and values in two lists instead, and
:func:`write_column` writes them all at once, with the bytes Whoosh's writers of numbers, of
variable-length bytes (compressed or not) and of pickled values would write one by one; any other
column is written value by value. ``tests/test_columns.py`` checks the files against Whoosh's own.
"""

from __future__ import annotations

import pickle
import struct
from array import array

import numpy as np
from whoosh import columns

#: The typecodes Whoosh's ``GrowableArray`` takes on as its numbers grow, each with its largest
#: number plus one, and the NumPy type of the same width.
_GROWTH = (("B", 1 << 8, np.uint8), ("H", 1 << 16, np.uint16), ("i", 1 << 31, np.int32),
           ("I", 1 << 32, np.uint32), ("q", 1 << 63, np.int64))


class ColumnBuffer:
    """Each column's values, by field name, until :meth:`write` hands them to the column writers."""

    def __init__(self) -> None:
        self._columns: dict[str, tuple[columns.Column, list[int], list]] = {}

    def __bool__(self) -> bool:
        return bool(self._columns)

    def add(self, fieldname: str, column: columns.Column, docnum: int, value) -> None:
        """Keep *value* of passage *docnum* (passages come in order) in column *fieldname*."""
        entry = self._columns.get(fieldname)
        if entry is None:
            entry = self._columns[fieldname] = (column, [], [])
        entry[1].append(docnum)
        entry[2].append(value)

    def write(self, perdocwriter) -> None:
        """Write every kept value with Whoosh's per-document writer *perdocwriter*'s column writers
        (creating those it lacks, as its ``add_column_value`` does), and forget them."""
        for fieldname, (column, docnums, values) in self._columns.items():
            if not perdocwriter._has_column(fieldname):
                perdocwriter._create_column(fieldname, column)
            write_column(perdocwriter._get_column(fieldname), column, docnums, values)
        self._columns = {}


def write_column(writer: columns.ColumnWriter, column: columns.Column, docnums: list[int], values: list) -> None:
    """Add *values* of passages *docnums* (in order, none before those *writer* has) to a column,
    as the column's *writer* would add them one by one."""
    if type(writer) is columns.PickleColumn.Writer:
        values = [b"" if value is None else pickle.dumps(value, 2) for value in values]
        writer, column = writer._child, column._child
    if type(writer) is columns.CompressedBytesColumn.Writer:
        compress, level = writer._compress, writer._level
        _add_bytes(writer, docnums, [compress(value, level) for value in values])
    elif type(writer) is columns.VarBytesColumn.Writer:
        _add_bytes(writer, docnums, values)
    elif type(writer) is columns.NumericColumn.Writer and type(column) is columns.NumericColumn:
        _add_numbers(writer, column._typecode, column._default, docnums, values)
    else:
        for docnum, value in zip(docnums, values):
            writer.add(docnum, value)


def _add_bytes(writer: columns.VarBytesColumn.Writer, docnums: list[int], values: list[bytes]) -> None:
    """``VarBytesColumn.Writer.add`` for every value: the bytes written one after another, and each
    passage's length and offset (0 and the offset so far for a passage without a value)."""
    if not docnums:
        return
    first = writer._count
    lengths = np.zeros(docnums[-1] + 1 - first, dtype=np.int64)
    lengths[np.asarray(docnums) - first] = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    offsets = np.empty_like(lengths)
    offsets[0] = writer._offset_base
    np.cumsum(lengths[:-1], out=offsets[1:])
    offsets[1:] += writer._offset_base
    writer._dbfile.write(b"".join(values))
    _extend(writer._lengths, lengths)
    _extend(writer._offsets, offsets)
    writer._offset_base = int(offsets[-1] + lengths[-1])
    writer._count = docnums[-1] + 1


def _extend(growable, numbers: np.ndarray) -> None:
    """``GrowableArray.extend``: its array takes the narrowest of its types that holds every number."""
    if not len(numbers):
        return
    largest = int(numbers.max())
    kinds = [kind for kind, _, _ in _GROWTH]
    current = kinds.index(growable.array.typecode)
    needed = next(index for index, (_, limit, _) in enumerate(_GROWTH) if largest < limit)
    if needed > current:
        if _GROWTH[needed][0] == "q" and not growable._allow_longs:
            raise OverflowError(f"{largest!r} is too big to fit in an array")
        growable.array = array(_GROWTH[needed][0], growable.array)
    kind = growable.array.typecode
    growable.array.frombytes(numbers.astype(_GROWTH[kinds.index(kind)][2]).tobytes())


def _add_numbers(writer: columns.NumericColumn.Writer, typecode: str, default, docnums: list[int],
                 values: list) -> None:
    """``NumericColumn.Writer.add`` for every value: the numbers packed one after another, the default
    for a passage without one, up to the last passage whose number is not the default."""
    given = [(docnum, value) for docnum, value in zip(docnums, values) if value != default]
    if not given:
        return
    first = writer._count
    numbers = [default] * (given[-1][0] + 1 - first)
    for docnum, value in given:
        numbers[docnum - first] = value
    writer._dbfile.write(struct.pack(f"!{len(numbers)}{typecode}", *numbers))
    writer._count = given[-1][0] + 1
