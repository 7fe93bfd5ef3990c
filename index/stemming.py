"""English stemming: Porter's algorithm as its author published it in Snowball.

Whoosh's own Porter stemmer (``whoosh.lang.porter.stem``) anchors two of step 1b's rules at the
start of the word instead of its end and reads ``y`` wrongly, so that about one distinct word in 65
of news text gets a stem other forms of it do not share: "accelerated" gives ``accelerat`` but
"accelerate" ``acceler``, "running" ``runn`` but "run" ``run``, "vaccinated" ``vaccinat`` but
"vaccine" ``vaccin`` -- a search for one form misses the others. :func:`porter_stem` is Martin
Porter's own Snowball version (compiled, from the ``PyStemmer`` package), with his reference
implementation's one departure: a word of one or two letters is kept as it is ("ms" stays ``ms``,
"s" is not emptied). SQLite FTS5's ``porter`` tokenizer gives the same stems but for the two later
revisions it also makes (``technologi`` there ``technolog``, ``possibli`` ``possibl``) and a doubled
consonant Snowball keeps ("trekking": ``trekk``, there ``trek``) -- ``tests/test_words.py``.

>>> [porter_stem(word) for word in ("accelerated", "accelerate", "running", "vaccinated", "vaccine", "ms")]
['acceler', 'acceler', 'run', 'vaccin', 'vaccin', 'ms']
"""

from __future__ import annotations

import threading

import Stemmer

_local = threading.local()


def porter_stem(word: str) -> str:
    """The Porter stem of *word* (lower case).

    An index's schema names this function (by module and name, as pickle does) to stem every word
    written into it and every query read against it: it must keep this name and this module.
    """
    if len(word) <= 2:
        return word
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:  # a stemmer is not safe to share between threads: one per thread
        stemmer = _local.stemmer = Stemmer.Stemmer("porter")
    return stemmer.stemWord(word)
