"""Convert the shared news corpora into article files our indexer reads (never into the repository).

* :func:`reuters_articles` -- Reuters-21578 stories with a body, as article dicts;
* :func:`bbc_articles` -- the BBC News articles, as article dicts;
* :func:`write_jsonl` -- article dicts into a ``.jsonl`` file, optionally replicated with distinct ids.

The data directory is ``$NEWS_SEARCH_DATA``, else ``../shared/data`` beside the repository.
"""

from __future__ import annotations

import gzip
import html
import json
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

_STORY = re.compile(r"<REUTERS\b[^>]*\bNEWID=\"(\d+)\"[^>]*>(.*?)</REUTERS>", re.S)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def data_dir() -> Path:
    """Where the shared corpora are."""
    return Path(os.environ.get("NEWS_SEARCH_DATA") or REPO.parent / "shared" / "data")


def _tag(name: str, text: str) -> str | None:
    match = re.search(rf"<{name}>(.*?)</{name}>", text, re.S)
    return _CONTROL.sub("", html.unescape(match.group(1))).strip() if match else None


def reuters_body(raw: str) -> str:
    """A story's body as paragraphs: wrapped lines joined, the indented lines starting new paragraphs."""
    raw = re.sub(r"\s*Reuter\s*$", "", raw.strip())
    paragraphs = re.split(r"\n(?=[ \t]+\S)", raw)
    return "\n".join(" ".join(part.split()) for part in paragraphs if part.strip())


def reuters_articles(folder: Path | None = None) -> Iterator[dict]:
    """Every Reuters-21578 story that has a ``<BODY>``, as a JSON-lines article."""
    folder = folder or data_dir() / "reuters21578"
    for path in sorted(folder.glob("reut2-*.sgm")):
        text = path.read_bytes().decode("latin-1")
        for newid, story in _STORY.findall(text):
            body = _tag("BODY", story)
            if not body:
                continue
            yield {
                "id": f"reuters-{newid}",
                "title": _tag("TITLE", story) or "",
                "published": _tag("DATE", story),
                "source": "Reuters",
                "body": reuters_body(body),
            }


def bbc_articles(folder: Path | None = None) -> Iterator[dict]:
    """Every BBC News article (Greene & Cunningham's 2,225, undated), as a JSON-lines article: the
    first line of each text is its headline, its category the section."""
    folder = folder or data_dir() / "bbc_news"
    with gzip.open(folder / "bbc_news.jsonl.gz", "rt", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            title, _, body = record["text"].strip().partition("\n")
            yield {
                "id": f"bbc-{record['category']}-{record['filename'].removesuffix('.txt')}",
                "title": title.strip(),
                "source": "BBC News",
                "section": record["category"],
                "body": "\n".join(" ".join(part.split()) for part in body.split("\n\n") if part.strip()),
            }


def write_jsonl(articles: Iterable[dict], path: Path, copies: int = 1) -> int:
    """Write *articles* to *path* as JSON lines, *copies* times with distinct ids; returns the count."""
    articles = list(articles)
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for copy in range(copies):
            for article in articles:
                record = dict(article, id=f"{article['id']}-{copy}") if copies > 1 else article
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
                count += 1
    return count
