"""Whoosh's segment codec as this index writes and reads it: two fixes, and postings and stored
fields without compression.

Whoosh's ``W3PerDocReader`` caches the length column of each field, but not the *absence* of one:
for fields that store no lengths (ids, keywords, the spelling field) it looks for the column file on
disk again for every posting it writes, one ``stat`` per posting. Remembering that the column is
missing -- segments never change once written -- removes a third of the indexing time.

Whoosh compresses each block of postings with zlib by default; writing them plain takes a third
less time to index and spares every search the decompression, for an index about half as large
again on disk. Readers need nothing: each block records whether it is compressed.

Whoosh maps a segment's compound file into memory and reads each part through a ``BufferFile``,
which wraps the mapped bytes in an ``io.BytesIO`` -- and ``BytesIO`` copies them. Every reader of a
generation so copied the whole postings file into the process: 150 MB per worker for 40,000
passages, 1 GB for 400,000, and again at every new generation. :class:`MappedReader` reads the
mapping in place instead.

Whoosh leaves a segment's compound file open when reading its directory fails (a file cut short or
garbled); the open file then lingers until the garbage collector finds it, once per attempt to read the
damaged segment. :func:`_compound_init` closes it before the error goes on.

Whoosh deflates each passage's stored fields (about 750 bytes) at level 3, which costs more time to
index than any other part of a passage's stored values and columns; :data:`STORED_COLUMN` stores them
deflated at level 0.
"""

from __future__ import annotations

import io

from whoosh import columns
from whoosh.codec import whoosh3
from whoosh.filedb import compound, structfile


#: Whoosh's column of each passage's stored fields, pickled and deflated at level 0: still a zlib
#: stream, which every reader inflates as before, but written in a tenth of the time (2 against 20
#: microseconds a passage) and read faster, for stored fields two fifths larger.
STORED_COLUMN = columns.PickleColumn(columns.CompressedBytesColumn(level=0))


def _cached_reader(self: whoosh3.W3PerDocReader, fieldname: str, column):
    try:
        return self._readers[fieldname]
    except KeyError:
        reader = self.column_reader(fieldname, column) if self.has_column(fieldname) else None
        self._readers[fieldname] = reader
        return reader


def uncompressed() -> whoosh3.W3Codec:
    """Whoosh's codec with its usual block size, writing posting blocks without compression."""
    return whoosh3.W3Codec(compression=0)


class MappedReader(io.RawIOBase):
    """A read-only, seekable file over a buffer (a part of a mapped segment), without copying it."""

    def __init__(self, buffer) -> None:
        super().__init__()
        self._view = memoryview(buffer).cast("B")
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, target) -> int:
        chunk = self._view[self._position : self._position + len(target)]
        target[: len(chunk)] = chunk
        self._position += len(chunk)
        return len(chunk)

    def read(self, size: int = -1) -> bytes:
        end = len(self._view) if size is None or size < 0 else self._position + size
        chunk = bytes(self._view[self._position : end])
        self._position += len(chunk)
        return chunk

    def readline(self, size: int = -1) -> bytes:
        end = len(self._view) if size is None or size < 0 else min(len(self._view), self._position + size)
        line = bytearray()
        while self._position < end:
            byte = self._view[self._position]
            line.append(byte)
            self._position += 1
            if byte == 0x0A:
                break
        return bytes(line)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: len(self._view)}[whence]
        self._position = max(0, base + offset)
        return self._position

    def tell(self) -> int:
        return self._position


def _buffer_file_init(self: structfile.BufferFile, buf, name=None, onclose=None) -> None:
    self._buf = buf
    self._name = name
    self.file = MappedReader(buf)
    self.onclose = onclose
    self.is_real = False
    self.is_closed = False


#: Whoosh's own opening of a compound file, which :func:`_compound_init` wraps.
WHOOSH_COMPOUND_INIT = compound.CompoundStorage.__init__


def _compound_init(self: compound.CompoundStorage, dbfile, use_mmap=True, basepos=0) -> None:
    try:
        WHOOSH_COMPOUND_INIT(self, dbfile, use_mmap, basepos)
    except BaseException:
        dbfile.close()
        raise


def install() -> None:
    """Make Whoosh's per-document reader remember missing length columns, its buffer files read
    their buffer in place, its stored fields be written without compression, and a compound file
    that cannot be read be closed at once (idempotent)."""
    compound.CompoundStorage.__init__ = _compound_init
    whoosh3.W3PerDocReader._cached_reader = _cached_reader
    structfile.BufferFile.__init__ = _buffer_file_init
    whoosh3.STORED_COLUMN = STORED_COLUMN
