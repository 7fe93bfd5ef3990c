"""Columns written a whole column at a time: the same files as Whoosh's writer makes passage by passage."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from whoosh import index as whoosh_index
from whoosh.columns import NumericColumn, VarBytesColumn
from whoosh.filedb.filestore import RamStorage
from whoosh.writing import SegmentWriter

from index.store import postings
from index.store.codec import uncompressed
from index.store.columns import write_column
from index.store.postings import BufferedSegmentWriter
from index.schema import SCHEMA
from tests.test_postings import documents


def passages(count: int, seed: int) -> list[dict]:
    """:func:`tests.test_postings.documents`, with every kind of column: dates, counts (some of them
    the column's default), ids, and bytes on some passages only."""
    rng = random.Random(seed)
    docs = documents(count, seed)
    for number, doc in enumerate(docs):
        doc.update(published=datetime(1987, 3, 1) + timedelta(hours=rng.randint(0, 5000)),
                   article_words=rng.choice([0, 7, 300, 70_000]), story=f"s{number // 3}",
                   section=rng.choice(["markets", "world", None]))
        if number % 3 == 0:
            doc.update(story_bands=rng.randbytes(rng.choice([8, 80])), story_sketch=rng.randbytes(256 * 4),
                       story_since=rng.choice([0, 725_000]))
        if number % 11 == 5:
            del doc["published"]
    return docs


def write_index(path: Path, writer_class, batches: list[list[dict]]) -> dict[str, bytes]:
    """Index *batches*, one commit each (the last merging all segments); the column files by name."""
    path.mkdir()
    ix = whoosh_index.create_in(path, SCHEMA)
    for number, batch in enumerate(batches):
        writer = writer_class(ix, compound=False, codec=uncompressed())
        if number:
            writer.delete_by_term("article_id", "a3")
        for doc in batch:
            writer.add_document(**doc)
        writer.commit(optimize=number == len(batches) - 1 and number > 0)
    with ix.searcher() as searcher:
        reader = searcher.reader()
        facts = {"passages": searcher.doc_count(), "stored": list(searcher.all_stored_fields()),
                 "lengths": {name: reader.field_length(name) for name in ("title", "body")}}
    files = {file.name.split(".", 1)[1]: file.read_bytes() for file in path.glob("*.col")}
    return {"facts": facts, "files": files}


@pytest.mark.parametrize("batch", [4096, 7], ids=["one write", "written every 7 passages"])
def test_column_files_are_the_ones_whoosh_writes(tmp_path, monkeypatch, batch):
    monkeypatch.setattr(postings, "COLUMN_BATCH", batch)
    batches = [passages(300, seed=3)]
    ours = write_index(tmp_path / "ours", BufferedSegmentWriter, batches)
    whoosh = write_index(tmp_path / "whoosh", SegmentWriter, batches)
    assert {"_stored.col", "_body_len.col", "published.col", "article_words.col", "story_bands.col"} <= set(ours["files"])
    assert ours == whoosh


def test_columns_of_merged_segments_are_the_ones_whoosh_writes(tmp_path, monkeypatch):
    monkeypatch.setattr(postings, "COLUMN_BATCH", 50)
    later = [dict(doc, article_id=doc["article_id"].replace("a", "b")) for doc in passages(120, seed=4)]
    batches = [passages(200, seed=5), later]
    ours = write_index(tmp_path / "ours", BufferedSegmentWriter, batches)
    whoosh = write_index(tmp_path / "whoosh", SegmentWriter, batches)
    assert ours["facts"]["passages"] == 319 and ours == whoosh


@pytest.mark.parametrize("column, values", [
    (NumericColumn("I"), [5, 0, 0, 9, 0]),
    (VarBytesColumn(), [b"x" * 300, b"", b"y", b"", b"z" * 70_000]),  # lengths and offsets past 8 and 16 bits
])
def test_a_column_written_at_once_is_the_one_written_value_by_value(column, values):
    storage = RamStorage()
    docnums = [1, 2, 4, 70_000, 70_001]
    one_by_one, at_once = storage.create_file("one"), storage.create_file("all")
    writer = column.writer(one_by_one)
    for docnum, value in zip(docnums, values):
        writer.add(docnum, value)
    writer.finish(70_010)
    writer = column.writer(at_once)
    write_column(writer, column, docnums[:2], values[:2])  # in two parts, as a buffer written twice
    write_column(writer, column, docnums[2:], values[2:])
    writer.finish(70_010)
    one_by_one.close(), at_once.close()
    assert storage.open_file("all").read() == storage.open_file("one").read()
