"""The segment writer's posting buffer and block writer: the same segments as Whoosh's own writer."""

from __future__ import annotations

import itertools
import random
from array import array
from pathlib import Path

import pytest
from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import W3Codec
from whoosh.fields import ID
from whoosh.filedb.filestore import FileStorage
from whoosh.writing import SegmentWriter

from index.store import open_index, open_writer
from index.store.codec import uncompressed
from index.store.postings import BufferedSegmentWriter, PostingBuffer
from index.store.reading import _mapped_blocks, passage_characters, read_postings
from index.schema import SCHEMA, build_schema

WORDS = ("minister said talks would resume monday after oil prices rose sharply in early trading the "
         "central bank cut interest rates by half a point reuters reported quoting officials who asked "
         "not to be named grain exports fell wheat harvest strike port workers union shipping").split()


def documents(count: int, seed: int = 7) -> list[dict]:
    """Passage documents of made-up news text: common words in many passages, rare ones in few."""
    rng = random.Random(seed)
    rare = [f"word{n}" for n in range(400)]
    docs = []
    for number in range(count):
        body = " ".join(rng.choice(WORDS) if rng.random() < 0.8 else rng.choice(rare)
                        for _ in range(rng.randint(5, 120)))
        doc = {"passage_id": f"a{number}#0", "article_id": f"a{number}", "position": 0,
               "title": " ".join(rng.sample(WORDS, 4)), "body": body, "source": rng.choice("ABC")}
        if number % 7 == 0:
            doc["_boost"] = 1.3  # a weight no 32-bit float holds exactly
        if number % 50 == 3:
            doc["body"] = f"U.S. {body.title()}, the bank's rate -- 3.5% (İstanbul). {body}"
        docs.append(doc)
    docs[-1]["body"] += " trading" * 9_000  # characters past 65,535
    return docs


def write_index(path: Path, writer_class, batches: list[list[dict]], codec=None, **options) -> dict:
    """Index *batches*, one commit each (the last merging all segments into one); :func:`postings_of` it."""
    path.mkdir()
    ix = whoosh_index.create_in(path, SCHEMA)
    for number, batch in enumerate(batches):
        writer = writer_class(ix, compound=False, codec=codec or uncompressed(), **options)
        if number:
            writer.delete_by_term("article_id", batch[0]["article_id"].replace("b", "a"))
        for doc in batch:
            writer.add_document(**doc)
        writer.commit(optimize=number == len(batches) - 1 and number > 0)
    return postings_of(ix)


def postings_of(ix) -> dict:
    """Everything Whoosh's reader reads of each word: its statistics, and block by block the block's
    statistics, passages, weights and values; and the size of the postings file."""
    words = {}
    with ix.searcher() as searcher:
        (reader,) = [leaf for leaf, _ in searcher.reader().leaf_readers()]
        for fieldname, word in reader.all_terms():
            info = reader.term_info(fieldname, word)
            matcher = reader.postings(fieldname, word)
            blocks = []
            while matcher.is_active():
                matcher._read_ids(), matcher._read_weights(), matcher._read_values()
                blocks.append((matcher.block_max_id(), matcher.block_max_weight(), matcher.block_min_length(),
                               matcher.block_max_length(), tuple(matcher._ids), tuple(matcher._weights),
                               tuple(matcher._values)))
                matcher._next_block()
            words[fieldname, word] = (info.weight(), info.doc_frequency(), info.min_length(), info.max_length(),
                                      info.max_weight(), info.min_id(), info.max_id(), blocks)
        (postings_file,) = [name for name in ix.storage.list() if name.endswith(".pst")]
    return {"words": words, "postings bytes": ix.storage.file_length(postings_file)}


@pytest.mark.parametrize("limitmb, codec", [(128, None), (0.02, None), (128, W3Codec())],
                         ids=["in memory", "spilled to disk", "compressed"])
def test_segments_read_as_whoosh_writes_them(tmp_path, limitmb, codec):
    batches = [documents(600)]
    ours = write_index(tmp_path / "ours", BufferedSegmentWriter, batches, codec, limitmb=limitmb)
    whoosh = write_index(tmp_path / "whoosh", SegmentWriter, batches, codec)
    assert len(ours["words"]) > 1000 and ours["words"] == whoosh["words"]
    if codec is None:  # blocks pickled with protocol 4: smaller than Whoosh's
        assert ours["postings bytes"] < 0.8 * whoosh["postings bytes"]
    else:  # compressed blocks are Whoosh's own
        assert ours["postings bytes"] == whoosh["postings bytes"]


def test_merged_segments_read_as_whoosh_writes_them(tmp_path):
    later = [dict(doc, passage_id=doc["passage_id"].replace("a", "b"), article_id=doc["article_id"].replace("a", "b"))
             for doc in documents(150, seed=8)]
    batches = [documents(300), later]
    ours = write_index(tmp_path / "ours", BufferedSegmentWriter, batches, limitmb=0.02)
    whoosh = write_index(tmp_path / "whoosh", SegmentWriter, batches)
    assert ours["words"] == whoosh["words"]
    with whoosh_index.open_dir(tmp_path / "ours").searcher() as searcher:
        assert searcher.doc_count() == 449 and len(searcher.reader().leaf_readers()) == 1


def test_buffer_gives_words_in_order_and_postings_by_passage(tmp_path):
    buffer = PostingBuffer(FileStorage(str(tmp_path)), limitmb=0.0005)  # spills every few postings
    postings = [("body", b"oil", 0, 1.0, b"x"), ("body", b"bank", 0, 2.0, b"y"), ("title", b"oil", 1, 1.0, None),
                ("body", b"oil", 2, 3.0, b"z"), ("body", b"bank", 3, 1.0, b"w")]
    for posting in postings:
        buffer.add(posting)
    assert len(list(tmp_path.glob("*.postings"))) >= 2 and buffer.fieldnames == {"body", "title"}
    assert list(buffer.terms()) == [
        ("body", b"bank", array("I", [0, 3]), array("d", [2.0, 1.0]), [b"y", b"w"]),
        ("body", b"oil", array("I", [0, 2]), array("d", [1.0, 3.0]), [b"x", b"z"]),
        ("title", b"oil", array("I", [1]), array("d", [1.0]), [b""]),
    ]
    assert not list(tmp_path.glob("*.postings"))  # each run is removed once read


def test_buffer_sorts_postings_added_out_of_passage_order(tmp_path):
    buffer = PostingBuffer(FileStorage(str(tmp_path)))
    for docnum in (5, 1, 3):  # as when a segment's postings are merged in after new passages
        buffer.add(("body", b"oil", docnum, float(docnum), b"v%d" % docnum))
    assert list(buffer.iter_postings()) == [("body", b"oil", 1, 1.0, b"v1"), ("body", b"oil", 3, 3.0, b"v3"),
                                            ("body", b"oil", 5, 5.0, b"v5")]


def test_the_parallel_writer_leaves_one_segment_per_process(tmp_path):
    from index.store.parallel import ParallelWriter

    ix = whoosh_index.create_in(tmp_path, SCHEMA)
    with pytest.raises(ValueError, match="multisegment"):
        ParallelWriter(ix, procs=2)


def test_the_parallel_writer_hands_an_articles_passages_to_one_sub_writer_together(tmp_path):
    rng, docs, passages = random.Random(3), [], iter(documents(200))
    for number in range(50):  # articles of one to six passages
        for position, doc in zip(range(rng.randint(1, 6)), passages):
            docs.append(dict(doc, article_id=f"a{number}", passage_id=f"a{number}#{position}", position=position))
    ix = open_index(tmp_path / "ix", create=True)
    writer = open_writer(ix, procs=2, multisegment=True, batchsize=7)  # batches that would end inside articles
    for doc in docs:
        writer.add_document(**doc)
    writer.commit()
    with ix.searcher() as searcher:
        order = [searcher.stored_fields(docnum)["article_id"] for docnum in range(searcher.doc_count_all())]
    assert sorted(order) == sorted(doc["article_id"] for doc in docs)
    runs = [article for article, _ in itertools.groupby(order)]
    assert len(runs) == len(set(order))  # each article's passages follow each other


def test_a_segment_with_terms_of_a_field_no_longer_searched_merges_without_them(tmp_path):
    earlier = build_schema()
    earlier.remove("passage_id")
    earlier.add("passage_id", ID(stored=True, unique=True))  # as indexes were once written
    ix = whoosh_index.create_in(tmp_path, earlier)
    with ix.writer() as writer:
        for doc in documents(20):
            writer.add_document(**doc)
    ix = whoosh_index.open_dir(tmp_path, schema=SCHEMA)
    writer = BufferedSegmentWriter(ix)
    for doc in documents(5, seed=9):
        writer.add_document(**dict(doc, passage_id=doc["passage_id"].replace("a", "b")))
    writer.commit(optimize=True)
    with ix.searcher() as searcher:
        assert len(searcher.reader().leaf_readers()) == 1 and searcher.doc_count() == 25
        assert "passage_id" not in searcher.reader().indexed_field_names()
        assert sorted(fields["passage_id"] for fields in searcher.all_stored_fields())[:2] == ["a0#0", "a1#0"]


def test_a_passage_that_fails_leaves_no_tokens_to_the_next(tmp_path):
    ix = whoosh_index.create_in(tmp_path, SCHEMA)
    writer = BufferedSegmentWriter(ix)
    with pytest.raises(ValueError):  # the body is taken before the position fails
        writer.add_document(passage_id="a#0", article_id="a", body="alpha beta", position="not a number")
    writer.add_document(passage_id="b#0", article_id="b", body="gamma delta", position=0)
    writer.commit()
    with ix.searcher() as searcher:
        reader = searcher.reader()
        assert reader.postings("body", "gamma").value_as("positions") == [0]
        assert ("body", b"alpha") not in reader


def test_a_buffer_forgets_its_dictionaries_when_they_fill_half_of_it(tmp_path):
    buffer = PostingBuffer(FileStorage(str(tmp_path)), limitmb=0.05)
    for number in range(300):
        buffer.add_text("body", SCHEMA["body"], number, " ".join(f"w{number}x{i}" for i in range(20)))
    assert buffer._tokens["body"].vocabulary < 400  # of 6,000 distinct tokens
    assert sorted(word for _, word, *_ in buffer.terms()) == sorted(
        f"w{number}x{i}".encode() for number in range(300) for i in range(20))


def six_hundred_passages(tmp_path: Path, codec, compound: bool):
    """An index of 600 passages in one segment written by our writer, with *codec* (``None``: blocks
    left uncompressed), in one compound file or separate files."""
    tmp_path.joinpath("ix").mkdir()
    ix = whoosh_index.create_in(tmp_path / "ix", SCHEMA)
    writer = BufferedSegmentWriter(ix, compound=compound, codec=codec or uncompressed())
    for doc in documents(600):
        writer.add_document(**doc)
    writer.commit()
    return ix


@pytest.mark.parametrize("codec", [None, W3Codec()], ids=["plain blocks", "compressed blocks"])
@pytest.mark.parametrize("compound", [True, False], ids=["one mapped file", "separate files"])
def test_postings_read_in_bulk_are_what_whooshs_matcher_reads(tmp_path, codec, compound):
    ix = six_hundred_passages(tmp_path, codec, compound)
    with ix.searcher() as searcher:
        reader = searcher.reader()
        (leaf,) = [leaf for leaf, _ in reader.leaf_readers()]
        several_blocks = 0
        for fieldname, word in reader.all_terms():
            if fieldname not in ("title", "body"):
                continue
            matcher, ids, weights = reader.postings(fieldname, word), [], []
            while matcher.is_active():
                ids.append(matcher.id())
                weights.append(matcher.weight())
                matcher.next()
            docs, found = read_postings(reader, fieldname, word.decode("utf-8"))
            assert docs.tolist() == ids and found.tolist() == weights
            several_blocks += len(ids) > 128
            bulk = _mapped_blocks(leaf.postings(fieldname, word))
            assert (bulk is not None) == (compound and len(ids) > 1)  # a lone posting is kept in the word's entry
        assert several_blocks > 20


@pytest.mark.parametrize("codec", [None, W3Codec()], ids=["plain blocks", "compressed blocks"])
@pytest.mark.parametrize("compound", [True, False], ids=["one mapped file", "separate files"])
def test_where_a_word_stands_is_what_whooshs_matcher_reads(tmp_path, codec, compound):
    ix = six_hundred_passages(tmp_path, codec, compound)
    asked = random.Random(3)
    with ix.searcher() as searcher:
        reader = searcher.reader()
        words = [word for fieldname, word in reader.all_terms() if fieldname == "body"]
        for word in asked.sample(words, 60) + sorted(words, key=lambda w: -reader.doc_frequency("body", w))[:5]:
            matcher, expected = reader.postings("body", word), {}
            while matcher.is_active():
                expected[matcher.id()] = matcher.value_as("characters")
                matcher.next()
            # Some passages that hold the word, some that do not, over the whole index.
            wanted = asked.sample(range(searcher.doc_count_all()), 40) + asked.sample(sorted(expected), min(20, len(expected)))
            found = passage_characters(reader, "body", word.decode("utf-8"), wanted)
            assert found == {docnum: expected[docnum] for docnum in wanted if docnum in expected}
