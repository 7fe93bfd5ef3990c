"""Whoosh's ``Positions`` and ``Characters`` posting formats, with values that are arrays of numbers.

Whoosh's formats store where a word stands in a passage as a pickled list of differences, one pickle
per word per passage: 2 million of them for 40,000 news passages, each built and pickled in Python
when indexing and unpickled again to highlight or match a phrase. These formats store the same
numbers -- each place's position, and for ``Characters`` its first and end character -- as
little-endian arrays: positions, then first characters, then end characters, all of one width,
behind a tag that names the width::

    b"\\x01\\x00" + 16-bit numbers     (every number below 65,536: all real passages)
    b"\\x02\\x00\\x00\\x00" + 32-bit numbers

An array can be written for a whole batch of passages at once (:mod:`index.store.tokens`) and read
without unpickling. A value Whoosh's formats wrote starts with a zero byte (the high byte of its
count), and is read as Whoosh reads it, so an index written before keeps working.
"""

from __future__ import annotations

import sys
from array import array

from whoosh import formats

#: First bytes of a value of 16-bit and of 32-bit numbers.
TAG16 = b"\x01\x00"
TAG32 = b"\x02\x00\x00\x00"
_BIG_ENDIAN = sys.byteorder == "big"
_U32 = "I" if array("I").itemsize == 4 else "L"


def pack(numbers: list[int]) -> bytes:
    """*numbers* as a tagged array, 16-bit when every one fits."""
    if not numbers or max(numbers) < 1 << 16:
        tag, packed = TAG16, array("H", numbers)
    else:
        tag, packed = TAG32, array(_U32, numbers)
    if _BIG_ENDIAN:
        packed.byteswap()
    return tag + packed.tobytes()


def unpack(value: bytes) -> array:
    """The numbers of a value written by :func:`pack`."""
    if value[0] == TAG16[0]:
        numbers = array("H")
        numbers.frombytes(value[len(TAG16):])
    else:
        numbers = array(_U32)
        numbers.frombytes(value[len(TAG32):])
    if _BIG_ENDIAN:
        numbers.byteswap()
    return numbers


def _count(value: bytes, per_place: int) -> int:
    """How many places a packed value holds, each *per_place* numbers."""
    if value[0] == TAG16[0]:
        return (len(value) - len(TAG16)) // (2 * per_place)
    return (len(value) - len(TAG32)) // (4 * per_place)


class Positions(formats.Positions):
    """Whoosh's ``Positions`` (where each word stands), stored as an array of positions."""

    def encode(self, poslist: list[int]) -> bytes:
        return pack(list(poslist))

    def decode_positions(self, valuestring: bytes) -> list[int]:
        if not valuestring[0]:
            return super().decode_positions(valuestring)
        return unpack(valuestring).tolist()

    def decode_frequency(self, valuestring: bytes) -> int:
        if not valuestring[0]:
            return super().decode_frequency(valuestring)
        return _count(valuestring, 1)


class Characters(formats.Characters):
    """Whoosh's ``Characters`` (where each word stands, and its characters), stored as arrays."""

    def encode(self, poslist: list[tuple[int, int, int]]) -> bytes:
        return pack([number for column in zip(*poslist) for number in column] if poslist else [])

    def decode_characters(self, valuestring: bytes) -> list[tuple[int, int, int]]:
        if not valuestring[0]:
            return super().decode_characters(valuestring)
        numbers = unpack(valuestring)
        count = len(numbers) // 3
        return list(zip(numbers[:count], numbers[count : 2 * count], numbers[2 * count :]))

    def decode_positions(self, valuestring: bytes) -> list[int]:
        if not valuestring[0]:
            return super().decode_positions(valuestring)
        numbers = unpack(valuestring)
        return numbers[: len(numbers) // 3].tolist()

    def decode_frequency(self, valuestring: bytes) -> int:
        if not valuestring[0]:
            return super().decode_frequency(valuestring)
        return _count(valuestring, 3)


# The names the schema of an index written by an earlier version of this package refers to.
OnePassPositions = Positions
OnePassCharacters = Characters

# An index's table of contents pickles its schema, which names these classes by module. They are
# pickled under index.formats, the module they were defined in before this package existed, so that
# every version, earlier ones included, reads the tables of contents this one writes.
Positions.__module__ = Characters.__module__ = "index.formats"
