"""Reading every file of the newest generation, and the index's own invariants over what it holds.

Every failure becomes a finding (a line naming the damaged file or article), never a traceback.
"""

from __future__ import annotations

import gc
import os
import warnings
from collections import defaultdict
from pathlib import Path

from whoosh.filedb.filestore import FileStorage
from whoosh.index import _DEF_INDEX_NAME, TOC, FileIndex

from index.store import READ_ERRORS
from index.store.files import generation_names, newest_generation
from index.store.sums import changed_files

# What reading a file that is missing, cut short or garbled raises (READ_ERRORS), and what code that
# trusts what it read raises next.
ERRORS = (*READ_ERRORS, ValueError, KeyError, IndexError, TypeError, AttributeError, AssertionError)


def check_index(index_dir: str | os.PathLike) -> tuple[str, list[str]]:
    """A one-line summary of the newest generation of *index_dir*, and the findings (empty when whole)."""
    generation = newest_generation(index_dir)
    if generation < 0:
        return "", [f"no index in {index_dir}"]
    unreadable = None
    with warnings.catch_warnings():  # Whoosh leaves the table of contents open when it cannot read it
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            names, toc_name = generation_names(index_dir, generation)
            toc = TOC.read(FileStorage(str(index_dir)), _DEF_INDEX_NAME, generation)
        except ERRORS as error:
            unreadable = f"{TOC._filename(_DEF_INDEX_NAME, generation)}: unreadable ({error!r})"
        gc.collect()
    if unreadable:
        return "", [unreadable]
    findings = []
    for segment in toc.segments:
        if segment.is_compound() and not (Path(index_dir) / segment.make_filename(segment.COMPOUND_EXT)).exists():
            findings.append(f"{segment.make_filename(segment.COMPOUND_EXT)}: named by {toc_name} but missing")
        elif not segment.is_compound() and not any(n.startswith(f"{segment.segment_id()}.") for n in names):
            findings.append(f"{segment.segment_id()}.*: named by {toc_name} but missing")
    if findings:
        return "", findings
    passages = 0
    articles: dict[str, list[int]] = defaultdict(list)
    stories: set[str] = set()
    ix = FileIndex(FileStorage(str(index_dir)), toc.schema, _DEF_INDEX_NAME)
    for segment in toc.segments:
        where = segment.make_filename(segment.COMPOUND_EXT) if segment.is_compound() else f"segment {segment.segment_id()}"
        reader = None
        try:
            reader = ix._reader(ix.storage, toc.schema, [segment], generation, reuse=None)
            findings += _read_segment(reader, segment, where, articles, stories)
            passages += reader.doc_count()
        except Exception as error:  # noqa: BLE001 -- whatever garbled bytes make a reader raise is a finding
            findings.append(f"{where}: damaged ({type(error).__name__}: {error})")
        finally:
            if reader is not None:
                reader.close()
        with warnings.catch_warnings():  # Whoosh leaves a damaged file open when its reader fails
            warnings.simplefilter("ignore", ResourceWarning)
            gc.collect()
    for article_id, passages_of in sorted(articles.items()):
        positions = sorted(passage[0] for passage in passages_of)
        if positions != list(range(len(positions))):
            findings.append(f"article {article_id}: passages not contiguous from 0 ({positions[:10]}...)")
            continue
        findings += _offsets(article_id, sorted(passages_of))
    findings += [f"story {story}: names no indexed article" for story in sorted(stories - set(articles))]
    changed = changed_files(index_dir, generation)
    findings += changed or []
    sums = "no checksums (committed before they were kept)" if changed is None else "checksums match"
    summary = (f"generation {generation}: {len(toc.segments)} segments, {len(articles)} articles, {passages} passages, "
               f"{len(names) + 1} files read, {sums}, whole")
    return summary, findings


def _offsets(article_id: str, passages: list[tuple]) -> list[str]:
    """The findings of one article's passages (position, start, end, lead's and text's lengths, in
    order): each passage's offsets inside the article's text, where the text between it and the one
    before (its lead) ends, spanning exactly its own text."""
    end = 0
    for position, start, stop, lead, length in passages:
        if start is None or stop is None or start != end + lead or stop - start != length:
            return [f"article {article_id}: passage {position} offsets {start}..{stop} do not follow its text "
                    f"({end} + {lead} letters of lead, {length} letters)"]
        end = stop
    return []


def _read_segment(reader, segment, where: str, articles: dict, stories: set) -> list[str]:
    """Read every stored field, posting and column of one segment; its findings."""
    findings = []
    stored = 0
    for docnum, fields in reader.iter_docs():
        stored += 1
        start, end = fields.get("start"), fields.get("end")
        if fields.get("article_id") is None or fields.get("position") is None:
            findings.append(f"{where}: passage {docnum} has no article id or position")
            continue
        articles[fields["article_id"]].append((fields["position"], start, end, len(fields.get("lead") or ""),
                                                len(fields.get("body") or "")))
        if fields.get("story"):
            stories.add(fields["story"])
    if stored != segment.doc_count():
        findings.append(f"{where}: the table of contents counts {segment.doc_count()} live passages, the segment holds {stored}")
    for fieldname in reader.indexed_field_names():
        for term in reader.lexicon(fieldname):
            list(reader.postings(fieldname, term).all_ids())
    for fieldname, field in reader.schema.items():
        if field.column_type and reader.has_column(fieldname):
            list(reader.column_reader(fieldname, translate=False))  # an undated article's date is no datetime
    return findings
