"""Whoosh's segment files as this index reads them: in place, from the mapped segment."""

from __future__ import annotations

import io
import pickle

from whoosh.filedb.structfile import BufferFile

from index.store.codec import MappedReader
from index.store import open_index


def test_mapped_reader_reads_like_a_file_without_copying():
    data = bytearray(b"first line\nsecond\n" + pickle.dumps((1, 2.5, "three"), protocol=2))
    reader = MappedReader(memoryview(data))
    assert reader.readline() == b"first line\n" and reader.read(6) == b"second"
    assert reader.tell() == 17 and reader.read(1) == b"\n"
    assert pickle.load(reader) == (1, 2.5, "three") and reader.read() == b""
    assert reader.seek(-7, io.SEEK_END) == len(data) - 7 and reader.seek(6) == 6
    assert reader.read(4) == b"line"
    data[6:10] = b"LINE"  # the reader sees the buffer itself, not a copy of it
    reader.seek(6)
    assert reader.read(4) == b"LINE"


def test_segments_are_read_in_place(index_dir):
    with open_index(index_dir).searcher() as searcher:
        files = [leaf._terms._postfile for leaf, _ in searcher.reader().leaf_readers()]
        assert files and all(isinstance(file, BufferFile) and isinstance(file.file, MappedReader)
                             for file in files)
        assert searcher.doc_frequency("body", "missil") > 0
