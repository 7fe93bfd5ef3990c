"""Whoosh's segment codec as this index writes it: a fix that indexing depends on for speed, and
postings without compression.

Whoosh's ``W3PerDocReader`` caches the length column of each field, but not the *absence* of one:
for fields that store no lengths (ids, keywords, the spelling field) it looks for the column file on
disk again for every posting it writes, one ``stat`` per posting. Remembering that the column is
missing -- segments never change once written -- removes a third of the indexing time.

Whoosh compresses each block of postings with zlib by default; writing them plain takes a third
less time to index and spares every search the decompression, for an index about half as large
again on disk. Readers need nothing: each block records whether it is compressed.
"""

from __future__ import annotations

from whoosh.codec import whoosh3


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


def install() -> None:
    """Make Whoosh's per-document reader remember missing length columns (idempotent)."""
    whoosh3.W3PerDocReader._cached_reader = _cached_reader
