"""Read news article files into :class:`Article` records.

Formats (each also gzip-compressed, ``name.ext.gz``):

* ``.txt`` -- an optional header of ``Key: value`` lines ended by a blank line, then the body;
* ``.jsonl`` -- one JSON article per line (``body`` or ``text``);
* ``.html``/``.htm`` -- a news page, read by :mod:`index.html_pages`.

A file that cannot be read becomes a :class:`Skipped` record naming the path and the reason,
and reading goes on with the next file.

:func:`read_articles` is the entry point: it finds the files under the paths given
(:func:`find_article_files`) and reads them (:func:`read_files`, one file: :func:`read_file`),
dropping repeated articles.
Bodies come out normalised the same way for every format: Unicode NFC, ``\\n`` line ends,
no control characters, one paragraph per line (see :mod:`index.text`).
"""

from __future__ import annotations

import codecs
import gzip
import hashlib
import io
import json
import math
import os
import re
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import datetime, timezone
from dataclasses import asdict, dataclass, replace
from dataclasses import fields as dataclass_fields
from functools import cached_property
from pathlib import Path
from typing import Any, BinaryIO

from index.html_pages import extract_page
from index.text import clean_text, is_web_url, json_text, one_line, parse_date

#: The article file suffixes; each may also end in ``.gz``.
SUFFIXES = (".txt", ".html", ".htm", ".jsonl")
#: An article (a ``.txt``/``.html`` file, or one ``.jsonl`` line) larger than this is skipped.
MAX_ARTICLE_BYTES = 10 * 1024 * 1024

#: Told, as a file is read, how far reading it has got: ``on_read(path, offset)``, the offset in bytes of
#: the file as stored (compressed, for a ``.gz`` file). Progress shown over one large file comes from it.
OnRead = Callable[[Path, int], None]


@dataclass(frozen=True)
class Article:
    """One news article, as read from a file.

    ``published`` is ISO 8601 (``2024-11-17`` or ``2024-11-17T09:30:00+00:00``);
    ``path`` is the file it came from, ``line`` its line number in a ``.jsonl`` file.
    """

    id: str
    title: str
    body: str
    path: str
    published: str | None = None
    source: str | None = None
    url: str | None = None
    author: str | None = None
    section: str | None = None
    line: int | None = None
    #: What the reader could not take from the file although it was there (a date it cannot read),
    #: for the indexer to say: the article is indexed without it.
    notes: tuple[str, ...] = ()

    @cached_property
    def content_hash(self) -> str:
        """A hash of everything indexed about the article; a change means it must be replaced."""
        fields = {field.name: getattr(self, field.name) for field in dataclass_fields(self)
                  if field.name not in ("path", "line", "notes")}  # every value is a string, an int or None
        data = json.dumps(fields, sort_keys=True, ensure_ascii=False).encode("utf-8")
        return hashlib.blake2b(data, digest_size=16).hexdigest()

    def to_json(self) -> dict:
        """The record as ``news-search extract --json`` prints it."""
        return {k: v for k, v in asdict(self).items() if k not in ("line", "notes")}

    @property
    def where(self) -> str:
        """Its file, and its line in a ``.jsonl`` file: where a message about it points."""
        return self.path if self.line is None else f"{self.path}:{self.line}"


@dataclass(frozen=True)
class Skipped:
    """A file (or one line of a ``.jsonl`` file) that could not be read, and why."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


# --- finding and reading files ------------------------------------------------------------------


def read_articles(paths: Iterable[str | os.PathLike]) -> Iterator[Article | Skipped]:
    """Read every article under *paths* (files or folders, read recursively).

    The same as ``read_files(find_article_files(paths))``. Bad input never raises; it becomes
    a :class:`Skipped` record.
    """
    return read_files(find_article_files(paths))


def read_files(found: Iterable[tuple[Path, Path] | Skipped], on_read: OnRead | None = None
               ) -> Iterator[Article | Skipped]:
    """Read the files :func:`find_article_files` found; its :class:`Skipped` records pass through.

    An article whose id was already read in this run is skipped with a reason, unless it is
    the very same article (same :attr:`Article.content_hash`): that one is silently read once.
    Taking the files found, and telling *on_read* (:data:`OnRead`) how far into each reading has got,
    lets a caller show progress over them.
    """
    first_read: dict[str, tuple[str, str]] = {}  # id -> (content hash, where it was read)
    for item in found:
        if isinstance(item, Skipped):
            yield item
            continue
        for read in read_file(*item, on_read=on_read):
            if isinstance(read, Article):
                where = read.where
                if read.id in first_read:
                    content_hash, first_where = first_read[read.id]
                    if content_hash != read.content_hash:
                        yield Skipped(where, f"duplicate id {read.id} (first read from {first_where})")
                    continue
                first_read[read.id] = (read.content_hash, where)
            yield read


def find_article_files(paths: Iterable[str | os.PathLike]) -> Iterator[tuple[Path, Path] | Skipped]:
    """Yield ``(file, root)`` for every article file under *paths*.

    Folders are read recursively in name order, skipping hidden names and files of other
    types; ``root`` is the folder given, or the file's own folder for a file given directly.
    Missing paths, broken links, unreadable folders and symlink loops are :class:`Skipped`.
    """
    for given in paths:
        path = Path(given)
        try:
            is_dir, exists = path.is_dir(), path.exists()
        except OSError as exc:
            yield Skipped(str(path), _os_reason(exc))
            continue
        if is_dir:
            yield from _walk(path)
        elif not exists:
            reason = _broken_link_reason(path) if path.is_symlink() else "no such file or directory"
            yield Skipped(str(path), reason)
        elif _article_format(path) is None:
            yield Skipped(str(path), "unsupported file type")
        else:
            yield path, path.parent


def _walk(root: Path) -> Iterator[tuple[Path, Path] | Skipped]:
    """The article files under *root*: each folder's files, then its subfolders, by name."""
    first_seen: dict[str, Path] = {}  # real path of a folder -> the path it was first read as
    pending: list[tuple[Path, tuple[str, ...]]] = [(root, ())]
    while pending:
        folder, ancestors = pending.pop()
        # Following links can lead back to a folder being read, or to one read already.
        real = os.path.realpath(folder)
        if real in ancestors:
            yield Skipped(str(folder), f"symlink loop (back to {first_seen[real]})")
            continue
        if real in first_seen:
            yield Skipped(str(folder), f"same folder as {first_seen[real]}, read once")
            continue
        first_seen[real] = folder
        try:
            with os.scandir(folder) as scan:
                entries = sorted((e for e in scan if not e.name.startswith(".")), key=lambda e: e.name)
        except OSError as exc:
            yield Skipped(str(folder), _os_reason(exc))
            continue
        subfolders = []
        for entry in entries:
            path = Path(entry.path)
            if _entry_is_dir(entry):
                subfolders.append(path)
            elif _article_format(path) is None:
                continue
            elif os.path.exists(path):
                yield path, root
            else:
                yield Skipped(str(path), _broken_link_reason(path))
        pending.extend((sub, ancestors + (real,)) for sub in reversed(subfolders))


def _entry_is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False  # reported when the entry is read as a file, if it is an article


def _broken_link_reason(path: Path) -> str:
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == getattr(os, "ELOOP", 40) or "loop" in str(exc).lower():
            return "symlink loop"
        return f"broken symbolic link: {_os_reason(exc)}"
    return "broken symbolic link"


def _os_reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _article_format(path: Path) -> tuple[str, bool] | None:
    """``(suffix, gzipped)`` of an article file, or None for other files."""
    name = path.name.lower()
    gzipped = name.endswith(".gz")
    if gzipped:
        name = name[:-3]
    suffix = next((s for s in SUFFIXES if name.endswith(s)), None)
    return (suffix, gzipped) if suffix else None


def read_file(path: Path, root: Path, on_read: OnRead | None = None) -> Iterator[Article | Skipped]:
    """All articles of one file: one for ``.txt``/``.html``, one per line for ``.jsonl``.

    :param root: the folder given to read; ids fall back to the path relative to it.
    :param on_read: told how far reading the file has got, after each read from it (:data:`OnRead`).
    """
    fmt = _article_format(path)
    if fmt is None:
        yield Skipped(str(path), "unsupported file type")
        return
    suffix, gzipped = fmt
    try:
        relative = path.relative_to(root).as_posix()
    except ValueError:
        relative = path.name
    try:
        if suffix == ".jsonl":
            yield from _read_jsonl(path, relative, gzipped, on_read)
        else:
            data = _read_whole(path, gzipped, on_read)
            if suffix == ".txt":
                yield _txt_article(_decode(data), str(path), relative)
            else:
                article = read_html(data, str(path))
                yield article if article.url else replace(article, id=relative)
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        yield Skipped(str(path), f"corrupt gzip: {exc}")
    except OSError as exc:
        yield Skipped(str(path), _os_reason(exc))
    except (ValueError, RecursionError) as exc:
        yield Skipped(str(path), str(exc) or type(exc).__name__)


@contextmanager
def _open(path: Path, gzipped: bool, on_read: OnRead | None = None) -> Iterator[BinaryIO]:
    """*path* opened to read its bytes, decompressed if *gzipped*; *on_read* told how far reading has got."""
    stored = open(path, "rb") if on_read is None else io.BufferedReader(_ReportingFile(path, on_read))
    with stored, gzip.GzipFile(fileobj=stored, mode="rb") if gzipped else nullcontext(stored) as file:
        yield file


class _ReportingFile(io.FileIO):
    """A file that tells *on_read* the offset reached after each read from it."""

    def __init__(self, path: Path, on_read: OnRead) -> None:
        super().__init__(path, "rb")
        self._path, self._on_read = path, on_read

    def readinto(self, buffer) -> int | None:
        count = super().readinto(buffer)
        self._on_read(self._path, self.tell())
        return count

    def readall(self) -> bytes:
        data = super().readall()
        self._on_read(self._path, self.tell())
        return data


def _read_whole(path: Path, gzipped: bool, on_read: OnRead | None = None) -> bytes:
    """A file's bytes, at most :data:`MAX_ARTICLE_BYTES` of them (decompressed)."""
    with _open(path, gzipped, on_read) as file:
        # Reading one byte past the limit tells a file at the limit from a bigger one.
        data = file.read(MAX_ARTICLE_BYTES + 1)
    if len(data) > MAX_ARTICLE_BYTES:
        raise ValueError(f"article larger than {MAX_ARTICLE_BYTES // 2**20} MB")
    if not data:
        raise ValueError("empty file")
    return data


# --- the three formats --------------------------------------------------------------------------

_HEADER_LINE = re.compile(r"^([A-Za-z][A-Za-z -]{0,30}):(?:\s+(.*))?$")
_HEADER_KEYS = {
    "title": "title", "published": "published", "date": "published", "source": "source",
    "url": "url", "author": "author", "id": "id", "section": "section",
}
MAX_TITLE_CHARS = 200


def _txt_article(text: str, path: str, relative: str) -> Article:
    """An article from a ``.txt`` file's text.

    The header is used only if every line before the first blank line is a known
    ``Key: value`` line; otherwise the whole file is the body. The title is the header's Title;
    else, in a file without a header laid out as "headline, blank line, paragraphs", the
    headline, taken out of the body; else the first line of the body, left in the body.
    """
    lines = clean_text(text).strip("\n").split("\n")
    blank = lines.index("") if "" in lines else len(lines)
    header = _txt_header(lines[:blank])
    if header is None:
        title, body = _split_headline("\n".join(lines)) or ("", "\n".join(lines))
        return _article(path=path, title=title, body=body, fallback_id=relative)
    # Without a Title the first line of the body stands in for one (see _article).
    return _article(path=path, body="\n".join(lines[blank + 1 :]), fallback_id=relative, **header)


def _split_headline(text: str) -> tuple[str, str] | None:
    """A text laid out as "headline, blank line, paragraphs" split into headline and body, else None."""
    headline, blank, body = clean_text(text).strip("\n").partition("\n\n")
    if blank and "\n" not in headline and len(headline) <= MAX_TITLE_CHARS and body.strip():
        return headline, body
    return None


def _txt_header(lines: list[str]) -> dict[str, str] | None:
    """The header fields, or None when these lines are not all known ``Key: value`` lines."""
    fields: dict[str, str] = {}
    for line in lines:
        match = _HEADER_LINE.match(line)
        key = _HEADER_KEYS.get(match.group(1).strip().lower()) if match else None
        if key is None:
            return None
        fields.setdefault(key, (match.group(2) or "").strip())
    return fields or None


def _read_jsonl(path: Path, relative: str, gzipped: bool, on_read: OnRead | None = None
                ) -> Iterator[Article | Skipped]:
    """The articles of a JSON Lines file, read a line at a time (never the whole file)."""
    with _open(path, gzipped, on_read) as raw:
        head = raw.read(8192)
        if not head:
            yield Skipped(str(path), "empty file")
            return
        raw.seek(0)
        utf16 = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
        if not utf16 and _looks_binary(head):
            yield Skipped(str(path), "binary file, not text")
            return
        file: Any = io.TextIOWrapper(raw, "utf-16", errors="replace") if utf16 else raw
        for number, line in enumerate(_bounded_lines(file, MAX_ARTICLE_BYTES), start=1):
            where = f"{path}:{number}"
            try:
                if line is None:
                    raise ValueError(f"article larger than {MAX_ARTICLE_BYTES // 2**20} MB")
                text = line if isinstance(line, str) else _decode(line)
                if text.strip():
                    yield _jsonl_article(text, str(path), f"{relative}#{number}", number)
            except ValueError as exc:
                yield Skipped(where, str(exc))


def _bounded_lines(file: Any, limit: int) -> Iterator[bytes | str | None]:
    """The lines of *file*; None in place of a line longer than *limit*, whose rest is skipped."""
    while line := file.readline(limit + 1):
        if len(line) <= limit or line[-1:] in ("\n", b"\n"):
            yield line
            continue
        while (rest := file.readline(1 << 20)) and rest[-1:] not in ("\n", b"\n"):
            pass
        yield None


def _json_date(value: Any) -> str | None:
    """A JSON value as a date's text: a number is seconds since 1970 (UTC), or milliseconds when it is
    too large for seconds, as feeds and databases export times (a small number, such as a year, is not).

    >>> _json_date(1591000000), _json_date(1591000000000), _json_date("2020-06-01")
    ('2020-06-01T08:26:40+00:00', '2020-06-01T08:26:40+00:00', '2020-06-01')
    """
    number = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if number and abs(value) >= 1e8:
        seconds = value / 1000 if abs(value) >= 1e11 else value
        try:
            return datetime.fromtimestamp(seconds, timezone.utc).isoformat()
        except (OverflowError, OSError, ValueError):
            return str(value)
    return json_text(value)


def _jsonl_article(text: str, path: str, fallback_id: str, line: int) -> Article:
    """An article from one line of a ``.jsonl`` file."""
    try:
        record = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"invalid JSON: {exc}") from None
    if not isinstance(record, dict):
        raise ValueError(f"not a JSON object but {type(record).__name__}")
    if "body" not in record and "text" not in record:
        raise ValueError("no 'body' or 'text' field")
    body = json_text(record.get("body")) or json_text(record.get("text")) or ""
    fields = {key: json_text(record.get(key)) for key in ("id", "url", "source", "author", "section")}
    published = _json_date(record.get("published")) or _json_date(record.get("date"))
    title = json_text(record.get("title"))
    if not title:  # text that starts with its headline, as in the BBC News data set
        title, body = _split_headline(body) or ("", body)
    return _article(path=path, title=title, body=body, published=published, fallback_id=fallback_id,
                    line=line, **fields)


def read_html(html: str | bytes, path: str, article_id: str | None = None) -> Article:
    """An article from a news page, as :func:`index.html_pages.extract_page` reads it.

    Bytes are decoded by their BOM, UTF-8, the page's ``<meta charset>`` or Windows-1252;
    the text is then normalised as for every format.

    :param article_id: the article's id; default its canonical URL, else *path*.
    :raises ValueError: when the page holds no article text.
    """
    page = extract_page(html if isinstance(html, str) else _decode(html, html=True))
    return _article(path=path, fallback_id=path, id=article_id, **asdict(page))


def _article(*, path: str, body: str, fallback_id: str, title: str | None = None, id: str | None = None,
             url: str | None = None, published: str | None = None, source: str | None = None,
             author: str | None = None, section: str | None = None, line: int | None = None) -> Article:
    """An :class:`Article` with normalised text.

    Its url is *url* when that is a web address (:func:`is_web_url`); its id is *id*, else that url,
    else *fallback_id*; its title is *title*, else the body's first line.
    """
    body = "\n".join(text for text in clean_text(body).split("\n") if text.strip()).strip()
    if not body:
        raise ValueError("no body text")
    url = one_line(url) if is_web_url(one_line(url)) else None
    date = parse_date(published) if published else None
    notes: tuple[str, ...] = ()
    if published and not date:
        notes = (f"published date {one_line(published)[:80]!r} could not be read as a date; indexed without one",)
    return Article(
        id=one_line(id) or url or fallback_id,
        title=_shorten(one_line(title) or one_line(body.split("\n", 1)[0])),
        body=body,
        path=path,
        published=date,
        source=one_line(source) or None,
        url=url,
        author=one_line(author) or None,
        section=one_line(section) or None,
        line=line,
        notes=notes,
    )


def _shorten(title: str) -> str:
    """A title of at most :data:`MAX_TITLE_CHARS`, cut at a word when it is a whole paragraph."""
    if len(title) <= MAX_TITLE_CHARS:
        return title
    return title[:MAX_TITLE_CHARS].rsplit(" ", 1)[0].rstrip(",;:.") + "…"


# --- encodings ----------------------------------------------------------------------------------

_TEXT_CONTROLS = b"\t\n\r\f\v\x1b"
_BINARY_CONTROLS = bytes(c for c in range(32) if c not in _TEXT_CONTROLS) + b"\x7f"
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def _decode(data: bytes, html: bool = False) -> str:
    """Text from bytes: by BOM, else UTF-8, else a page's ``<meta charset>``, else Windows-1252
    (:func:`_undefined_as_c1`).

    :raises ValueError: for binary data.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    if _looks_binary(data):
        raise ValueError("binary file, not text")
    match = _META_CHARSET.search(data[:4096]) if html else None
    declared = _as_browsers_read(match.group(1).decode("ascii")) if match else None
    for encoding in filter(None, ("utf-8-sig", declared)):
        try:
            return data.decode(encoding, errors=_UNDEFINED_AS_C1 if encoding == "cp1252" else "strict")
        except (UnicodeDecodeError, LookupError):
            pass
    return data.decode("cp1252", errors=_UNDEFINED_AS_C1)


def _undefined_as_c1(error: UnicodeDecodeError) -> tuple[str, int]:
    """Windows-1252's five undefined bytes read as the control characters of the same numbers, as
    browsers read them (and as text cleaning then drops them), so that one stray byte does not make
    the whole page Latin-1, its euro signs and curly quotes lost.

    >>> bytes([0x80, 0x31, 0x81, 0x93, 0x6f, 0x6b, 0x94]).decode("cp1252", errors=_UNDEFINED_AS_C1) == "€1\x81“ok”"
    True
    """
    undefined = error.object[error.start:error.end]
    return "".join(map(chr, undefined)), error.end


_UNDEFINED_AS_C1 = "news-search-undefined-as-c1"
codecs.register_error(_UNDEFINED_AS_C1, _undefined_as_c1)


#: Labels that browsers read as a Windows code page, its superset (the WHATWG Encoding Standard):
#: pages labelled Latin-1 hold Windows-1252's euro sign, dashes and curly quotes.
_BROWSERS_READ = {"iso8859-1": "cp1252", "ascii": "cp1252", "iso8859-9": "cp1254", "iso8859-11": "cp874"}


def _as_browsers_read(label: str) -> str:
    """The codec a page's declared *label* stands for, as browsers read it.

    >>> _as_browsers_read("ISO-8859-1"), _as_browsers_read("us-ascii"), _as_browsers_read("utf-8")
    ('cp1252', 'cp1252', 'utf-8')
    """
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return label
    return _BROWSERS_READ.get(name, name)


def _looks_binary(data: bytes) -> bool:
    """NUL bytes, or many other control bytes, in the first 8 KB."""
    sample = data[:8192]
    controls = len(sample) - len(sample.translate(None, _BINARY_CONTROLS))
    return b"\0" in sample or controls > len(sample) // 10
