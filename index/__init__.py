"""The write half of news search: read article files, split them into passages, index them.

Parts, in the order data flows through them:

* :mod:`index.schema` -- the Whoosh schema shared with the read half;
* :mod:`index.articles` -- read ``.txt``/``.html``/``.jsonl`` (and ``.gz``) files into :class:`Article` records,
  with :mod:`index.html_pages` taking the article out of a news page and :mod:`index.text` cleaning text and dates;
* :mod:`index.passages` -- split an article into :class:`Passage` chunks with character offsets;
* :mod:`index.writer` -- add, replace, delete and rebuild under one atomic commit (:mod:`index.codec` fixes a
  slow path of Whoosh's segment writer);
* :mod:`index.cli` -- the ``news-search`` command line.
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
