"""Read the classic IR test collections: documents, queries and relevance judgments.

* :class:`Document` -- one judged document (id, title, body);
* :class:`Collection` -- a collection's documents, its queries by id and its judgments
  (``qrels[query_id][doc_id] = grade``, a positive grade meaning relevant);
* :func:`read_collection` -- one collection by name from the shared data directory;
  the readers behind it: :func:`read_time`, :func:`read_cranfield`, :func:`read_cisi`,
  :func:`read_cacm`, :func:`read_npl`.

Query texts are kept as the files have them (whitespace collapsed); the caller decides how a person
would type them. Each folder's ``SOURCE.md`` describes the format read here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

#: The folder of each collection under the data directory.
FOLDERS = {
    "time": "time_magazine",
    "time-as-written": "time_magazine",
    "cranfield": "cranfield",
    "cisi": "cisi",
    "cacm": "cacm",
    "npl": "npl",
}

#: Cranfield's relevance codes as gains: 1 (a complete answer) is worth most, 4 (of minimum
#: interest) least. Code -1, one line per query that the readme's scale (1-5) does not know,
#: is read as its code 5, "of no interest", and left out.
CRANFIELD_GAINS = {1: 4, 2: 3, 3: 2, 4: 1}

_SMART_RECORD = re.compile(r"^\.I[ \t]+(\d+)[ \t]*$", re.M)
_SMART_FIELD = re.compile(r"^\.([A-Z])[ \t]*$", re.M)
_TIME_TEXT = re.compile(r"^\*TEXT[ \t]+(\d+)\b.*$", re.M)
_TIME_FIND = re.compile(r"^\*FIND[ \t]+(\d+)[ \t]*$", re.M)
_TIME_STOP = re.compile(r"^\*STOP\b.*\Z", re.M | re.S)
_RECORD_END = re.compile(r"^[ \t]*/[ \t]*$", re.M)


@dataclass(frozen=True)
class Document:
    """One document of a test collection; ``title`` is ``""`` where the collection has none."""

    id: str
    title: str
    body: str


@dataclass(frozen=True)
class Collection:
    """A test collection: documents, queries by id, and graded judgments by query id."""

    name: str
    documents: list[Document]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]

    @property
    def judgment_count(self) -> int:
        """How many (query, document) pairs are judged relevant."""
        return sum(len(judged) for judged in self.qrels.values())


def read_text(path: Path) -> str:
    """A collection file as text; they are ASCII with the odd Latin-1 byte."""
    return path.read_bytes().decode("latin-1")


def one_line(text: str) -> str:
    """*text* with its hard line wraps and runs of whitespace made single spaces."""
    return " ".join(text.split())


def paragraphs(text: str) -> str:
    """Hard-wrapped text as one paragraph per line: an indented line starts a new paragraph."""
    parts = re.split(r"\n(?=[ \t]+\S)", text.strip("\n"))
    return "\n".join(one_line(part) for part in parts if part.strip())


def smart_records(text: str) -> Iterator[tuple[str, dict[str, str]]]:
    """The ``.I`` records of a SMART-style file, each as its id and its ``.X`` fields by letter."""
    starts = list(_SMART_RECORD.finditer(text))
    for record, following in zip(starts, starts[1:] + [None]):
        body = text[record.end() : following.start() if following else len(text)]
        marks = list(_SMART_FIELD.finditer(body))
        fields = {
            mark.group(1): body[mark.end() : after.start() if after else len(body)].strip("\n")
            for mark, after in zip(marks, marks[1:] + [None])
        }
        yield str(int(record.group(1))), fields


def slash_records(text: str) -> Iterator[tuple[str, str]]:
    """The records of an NPL file: an id line, then text, ended by a line holding only ``/``."""
    for record in _RECORD_END.split(text):
        if record.strip():
            first, _, rest = record.strip().partition("\n")
            yield str(int(first)), rest


def smart_documents(path: Path) -> list[Document]:
    """Documents with a ``.T`` title and a ``.W`` abstract (either may be missing)."""
    return [
        Document(doc_id, one_line(fields.get("T", "")), paragraphs(fields.get("W", "")))
        for doc_id, fields in smart_records(read_text(path))
    ]


def smart_queries(path: Path) -> dict[str, str]:
    """Query texts (the ``.W`` field) by query id; records without one are left out."""
    return {
        query_id: one_line(fields["W"])
        for query_id, fields in smart_records(read_text(path))
        if one_line(fields.get("W", ""))
    }


def pair_judgments(path: Path) -> dict[str, dict[str, int]]:
    """Judgments from lines of ``query doc ...``, every listed document relevant (grade 1)."""
    qrels: dict[str, dict[str, int]] = {}
    for line in read_text(path).splitlines():
        parts = line.split()
        if len(parts) >= 2:
            qrels.setdefault(str(int(parts[0])), {})[str(int(parts[1]))] = 1
    return qrels


def time_judgment_pairs(path: Path) -> list[tuple[str, str]]:
    """Every (query id, document position) pair of ``TIME.REL.ALL``, as written."""
    pairs = []
    for line in read_text(path).splitlines():
        if parts := line.split():
            pairs.extend((str(int(parts[0])), str(int(position))) for position in parts[1:])
    return pairs


def read_time(folder: Path, as_written: bool = False) -> Collection:
    """TIME magazine, 1963: 423 articles, 83 queries.

    A judgment names an article by its 1-based position in ``TIME.ALL``, not by its ``*TEXT``
    number, so positions are the document ids -- in the file the judgments were made on, which held
    425 articles where this copy holds 423: see :func:`time_article_id`. With *as_written*, the
    judged positions are taken as this copy's (``time-as-written`` in :data:`READERS`).
    The text is in capitals and has no title field.
    """
    text = _TIME_STOP.sub("", read_text(folder / "TIME.ALL"))
    heads = list(_TIME_TEXT.finditer(text))
    documents = [
        Document(str(position), "", one_line(text[head.end() : after.start() if after else len(text)]))
        for position, (head, after) in enumerate(zip(heads, heads[1:] + [None]), start=1)
    ]
    qrels: dict[str, dict[str, int]] = {}
    for query_id, position in time_judgment_pairs(folder / "TIME.REL.ALL"):
        qrels.setdefault(query_id, {})[position if as_written else time_article_id(int(position))] = 1
    return Collection("time", documents, time_queries(folder / "TIME.QUE"), qrels)


#: The last position of ``TIME.ALL`` the judgments and this copy share; and the first judged position
#: past the two articles this copy lacks, which is this copy's position :data:`TIME_GAP_END` - 2.
TIME_GAP_START = 370
TIME_GAP_END = 378


def time_article_id(judged: int) -> str:
    """The document id of the article a TIME judgment names by *judged*, its position in the file
    the judgments were made on.

    That file held two articles more than this copy, both between its positions 370 and 378: from
    378 on, a judgment names the article two places earlier here. Each of the 34 such judgments
    holds as many or more of its query's words there than at the position written (124 of their
    queries' longer words against 22; Park Chung Hee's election, judged 424, is 422 here), and no
    judgment names a position in between.

    >>> [time_article_id(position) for position in (268, 370, 378, 425)]
    ['268', '370', '376', '423']
    """
    if TIME_GAP_START < judged < TIME_GAP_END:
        raise ValueError(f"position {judged} is in the gap of two missing TIME articles")
    return str(judged - 2 if judged >= TIME_GAP_END else judged)


def time_queries(path: Path) -> dict[str, str]:
    """TIME's ``*FIND <id>`` queries, by id."""
    text = _TIME_STOP.sub("", read_text(path))
    finds = list(_TIME_FIND.finditer(text))
    return {
        str(int(find.group(1))): one_line(text[find.end() : after.start() if after else len(text)])
        for find, after in zip(finds, finds[1:] + [None])
    }


def read_cranfield(folder: Path) -> Collection:
    """Cranfield 1400 (aeronautics abstracts), graded by :data:`CRANFIELD_GAINS`.

    ``cranqrel`` numbers the queries 1..225 in the order of ``cran.qry``, whose own ``.I``
    numbers run 1..365 with gaps, so queries are renumbered by position.
    """
    queries = smart_queries(folder / "cran.qry")
    queries = {str(position): text for position, text in enumerate(queries.values(), start=1)}
    qrels: dict[str, dict[str, int]] = {}
    for line in read_text(folder / "cranqrel").splitlines():
        parts = line.split()
        if len(parts) == 3 and int(parts[2]) in CRANFIELD_GAINS:
            qrels.setdefault(parts[0], {})[parts[1]] = CRANFIELD_GAINS[int(parts[2])]
    return Collection("cranfield", smart_documents(folder / "cran.all.1400"), queries, qrels)


def read_cisi(folder: Path) -> Collection:
    """CISI (library science abstracts): 1460 documents, 112 queries, 76 of them judged."""
    return Collection("cisi", smart_documents(folder / "CISI.ALL"), smart_queries(folder / "CISI.QRY"),
                      pair_judgments(folder / "CISI.REL"))


def read_cacm(folder: Path) -> Collection:
    """CACM (titles, and abstracts for about half): 3204 documents, 64 queries, 52 judged."""
    return Collection("cacm", smart_documents(folder / "cacm.all"), smart_queries(folder / "query.text"),
                      pair_judgments(folder / "qrels.text"))


def read_npl(folder: Path) -> Collection:
    """NPL (electronics abstracts, no titles): 11429 documents, 93 queries."""
    documents = [Document(doc_id, "", one_line(text)) for doc_id, text in slash_records(read_text(folder / "doc-text"))]
    queries = {query_id: one_line(text) for query_id, text in slash_records(read_text(folder / "query-text"))}
    qrels = {
        query_id: {str(int(doc_id)): 1 for doc_id in text.split()}
        for query_id, text in slash_records(read_text(folder / "rlv-ass"))
    }
    return Collection("npl", documents, queries, qrels)


READERS: dict[str, Callable[[Path], Collection]] = {
    "time": read_time,
    "time-as-written": partial(read_time, as_written=True),
    "cranfield": read_cranfield,
    "cisi": read_cisi,
    "cacm": read_cacm,
    "npl": read_npl,
}


def read_collection(name: str, data: Path) -> Collection:
    """The collection *name* (a key of :data:`READERS`) from the data directory *data*.

    :raises KeyError: for an unknown name.
    """
    return READERS[name](data / FOLDERS[name])
