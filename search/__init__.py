"""The read half of news search: the search service over a backend.

* :func:`create_app` -- the Flask application (:mod:`search.app`): the JSON API (:mod:`search.api`)
  and the pages (:mod:`search.web`);
* :mod:`search.engine` -- the one search function the API, the pages and the command line call;
* :mod:`search.backend` -- the seam between the service and its search engine, and
  :mod:`search.whoosh_backend`, the embedded default.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def create_app(config: Mapping | None = None) -> Flask:
    """Create the search application: defaults, then ``NEWS_SEARCH_*`` environment variables, then
    *config* (which wins, as in tests).

    Flask is imported here, not with the package, so that the indexer, which writes through the
    package's backends, starts without it.

    >>> app = create_app({"INDEX": "instance/index"})
    """
    from search.app import build_app

    return build_app(config)
