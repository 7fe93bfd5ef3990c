"""The write half of news search: read article files, split them into passages, index them.

Parts, in the order data flows through them:

* :mod:`index.schema` -- the Whoosh schema and its field names, shared with the read half;
* :mod:`index.articles` -- read ``.txt``/``.html``/``.jsonl`` (and ``.gz``) files into :class:`Article` records,
  with :mod:`index.html_pages` taking the article out of a news page and :mod:`index.text` cleaning text and dates;
* :mod:`index.passages` -- split an article into :class:`Passage` chunks with character offsets;
* :mod:`index.stories` -- wire copies grouped into stories as they are indexed;
* :mod:`index.writer` -- add, replace, delete and rebuild under one atomic commit, returning an
  :class:`index.summary.IndexSummary`;
* :mod:`index.store` -- the storage package: the only code that touches Whoosh's internals (its codec,
  segment writer and bulk reading), shared with the read half;
* :mod:`index.indexing`, :mod:`index.cli` -- an indexing run as the command line starts it; the
  ``news-search`` command line;
* :mod:`index.errors` -- the errors both halves raise on purpose.
"""

import os
from pathlib import Path

#: The environment variable that names the index directory.
ENV_INDEX = "NEWS_SEARCH_INDEX"
#: Where the index lives when neither ``--index-dir`` nor ``NEWS_SEARCH_INDEX`` says otherwise.
DEFAULT_INDEX_DIR = os.path.join("instance", "index")
#: The bundled articles, indexed when no path is given.
DEFAULT_CORPUS_DIR = os.path.join("corpus")


def resolve_index_dir(index_dir: str | os.PathLike | None = None) -> Path:
    """The index directory: *index_dir* if given, else ``$NEWS_SEARCH_INDEX``, else ``instance/index``."""
    return Path(index_dir or os.environ.get(ENV_INDEX) or DEFAULT_INDEX_DIR)
