"""Did-you-mean on a cluster, by the Whoosh backend's rules (:mod:`search.whoosh_backend.spelling`),
from the words the shards hold.

* :func:`suggest` -- a query with its misspelt words respelled, or ``None``.

Sphinx 2.2.11 has no suggestion of its own (Manticore's ``CALL QSUGGEST`` is not in it), but every
shard answers ``CALL KEYWORDS(text, index, 1)``: how many rows hold each word. Each shard keeps words
as typed too (``index_exact_words``, asked for as ``=word``), so a correction is a word some article
wrote, not a stem. The candidates of a word are the words one edit from it (a letter left out, added,
changed, or two swapped) -- the slips that make most misspellings; the index's words two edits away,
which the Whoosh backend also considers for a word the index lacks, are not listed by the engine.
The rows counted are the shards' rows (a passage's and its article's), the same for every word.
A cluster whose map is not known (only its head is configured) gets no suggestions: the head cannot
answer ``CALL KEYWORDS`` for a distributed index. The connections to the shards are kept for the next
search (:func:`keyword_rows`), as the head's are.
"""

from __future__ import annotations

import math
import re
import string
import threading

import pymysql
from whoosh.lang.dmetaphone import double_metaphone

from search.query import OPERATORS
from search.sphinxql_backend.config import Cluster
from search.sphinxql_backend.connection import CONNECT_TIMEOUT, connect
from search.whoosh_backend.spelling import (
    SPELLED_WORD,
    FREQUENCY_WEIGHT,
    MIN_RESPELLED,
    MORE_FREQUENT,
    RARE_PASSAGES,
    SOUND_ALIKE,
    is_slip,
)

#: The letters an edit may put in, besides the word's own.
LETTERS = string.ascii_lowercase
#: Words of one query respelled at most (each costs a few hundred candidates).
MAX_RESPELLED = 8
_WORD = re.compile(r"[^\W\d_]+")
# The rows holding a word are counted twice (its passage's row and its article's): a Whoosh threshold
# on passages is met by half as many passages here, so the thresholds are doubled.
_ROWS_PER_PASSAGE = 2


def suggest(cluster: Cluster | None, text: str) -> str | None:
    """*text* with each misspelt word respelled; ``None`` when nothing changes or the shards of
    *cluster* cannot be asked (the head cannot count words)."""
    words = [found.group(0) for found in SPELLED_WORD.finditer(text)]
    words = [word for word in dict.fromkeys(words) if word not in OPERATORS][:MAX_RESPELLED]
    if not words or cluster is None:
        return None
    held = exact_counts(cluster, [word.lower() for word in words])
    if held is None:
        return None
    wanted = {word: _candidates(word.lower()) for word in words
              if held.get(word.lower(), 0) <= RARE_PASSAGES * _ROWS_PER_PASSAGE}
    if not wanted:
        return None
    counts = exact_counts(cluster, sorted({candidate for options in wanted.values() for candidate in options}))
    if counts is None:
        return None
    corrected = {word: _best(word.lower(), held.get(word.lower(), 0), options, counts)
                 for word, options in wanted.items()}
    result = SPELLED_WORD.sub(lambda found: corrected.get(found.group(0)) or found.group(0), text)
    return result if result != text else None


def _best(word: str, held: int, options: set[str], counts: dict[str, int]) -> str | None:
    """The correction of *word* (held in *held* rows) among *options*, by the Whoosh backend's costs."""
    sound = double_metaphone(word)[0]
    ranked = sorted((1 - SOUND_ALIKE * (double_metaphone(option)[0] == sound)
                     - FREQUENCY_WEIGHT * math.log10(counts[option] / _ROWS_PER_PASSAGE), option)
                    for option in options if counts.get(option))
    for _, option in ranked:
        if not held:
            return option
        if (len(word) >= MIN_RESPELLED and counts[option] >= MORE_FREQUENT * held and is_slip(word, option)):
            return option
    return None


def _candidates(word: str) -> set[str]:
    """Every word one edit from *word*: a letter deleted, two neighbours swapped, one changed, one added."""
    letters = set(LETTERS) | set(word)
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    edits = {left + right[1:] for left, right in splits if right}
    edits |= {left + right[1] + right[0] + right[2:] for left, right in splits if len(right) > 1}
    edits |= {left + letter + right[1:] for left, right in splits if right for letter in letters}
    edits |= {left + letter + right for left, right in splits for letter in letters}
    return {edit for edit in edits if edit != word and len(edit) > 1 and _WORD.fullmatch(edit)}


def exact_counts(cluster: Cluster, words: list[str]) -> dict[str, int] | None:
    """How many rows of the cluster hold each of *words* as written (``=word``), summed over one copy of
    each shard; ``None`` when a shard has no copy that answers."""
    counts = dict.fromkeys(words, 0)
    text = " ".join(f"={word}" for word in words)
    for shard in cluster.shards:
        for copy in shard.copies:
            try:
                rows = keyword_rows(copy.address, copy.index, text)
            except (pymysql.Error, OSError):
                continue
            for _, tokenized, _, docs, _ in rows:
                word = tokenized.lstrip("=")
                if word in counts:
                    counts[word] += int(docs)
            break
        else:
            return None
    return counts


#: Connections kept open per shard copy's address, for the next search (at most this many each).
KEPT_PER_NODE = 4
_kept: dict[str, list] = {}
_kept_lock = threading.Lock()


def keyword_rows(address: str, index: str, text: str) -> list[tuple]:
    """``CALL KEYWORDS(text, index, 1)`` on the node at *address*, over a connection kept from an
    earlier call when there is one (one that has gone stale is replaced by a new one), kept again
    afterwards; a node that does not answer raises ``pymysql.Error`` or ``OSError``."""
    with _kept_lock:
        idle = _kept.get(address)
        kept = idle.pop() if idle else None
    if kept is not None:
        try:
            return _keywords_kept(address, kept, index, text)
        except (pymysql.Error, OSError):
            _discard(kept)
    connection = connect(address, timeout=CONNECT_TIMEOUT * 2)
    try:
        return _keywords_kept(address, connection, index, text)
    except (pymysql.Error, OSError):
        _discard(connection)
        raise


def _keywords_kept(address: str, connection, index: str, text: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute("CALL KEYWORDS(%s, %s, 1)", (text, index))
        rows = list(cursor.fetchall())
    with _kept_lock:
        idle = _kept.setdefault(address, [])
        keep = len(idle) < KEPT_PER_NODE
        if keep:
            idle.append(connection)
    if not keep:
        _discard(connection)
    return rows


def _discard(connection) -> None:
    """Close *connection*, which may be closed already (pymysql then raises)."""
    if connection.open:
        connection.close()
