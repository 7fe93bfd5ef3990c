"""The backends this version knows, and :func:`open_backend`, which opens the one a configuration names
(``NEWS_SEARCH_BACKEND``): the seam itself is :mod:`search.backend`."""

from __future__ import annotations

import os
from collections.abc import Mapping

from index.errors import BadConfiguration
from search.backend import MAX_EXPANSIONS, Backend

#: The backends this version knows, by the name ``NEWS_SEARCH_BACKEND`` gives.
BACKENDS = ("whoosh", "sphinxql")
#: The environment variable that chooses the backend.
ENV_BACKEND = "NEWS_SEARCH_BACKEND"


def open_backend(settings: Mapping | None = None) -> Backend:
    """The backend *settings* name under ``BACKEND`` (else ``$NEWS_SEARCH_BACKEND``, else ``whoosh``),
    configured from the same settings: ``INDEX`` for Whoosh's; ``SPHINXQL`` (the head node,
    ``HOST:PORT``) and ``CLUSTER`` (the cluster map), else ``$NEWS_SEARCH_SPHINXQL`` and
    ``$NEWS_SEARCH_CLUSTER``, for a cluster's.

    >>> open_backend({"BACKEND": "elastic"})
    Traceback (most recent call last):
    ...
    index.errors.BadConfiguration: NEWS_SEARCH_BACKEND must be one of whoosh, sphinxql; got 'elastic'
    """
    settings = dict(settings or {})
    name = settings.get("BACKEND") or os.environ.get(ENV_BACKEND) or "whoosh"
    if name not in BACKENDS:
        raise BadConfiguration(f"{ENV_BACKEND} must be one of {', '.join(BACKENDS)}; got {name!r}")
    if name == "sphinxql":
        from search.sphinxql_backend import ENV_CLUSTER, ENV_HEAD, SphinxQLBackend

        return SphinxQLBackend(settings.get("SPHINXQL") or os.environ.get(ENV_HEAD),
                               settings.get("CLUSTER") or os.environ.get(ENV_CLUSTER))
    from search.whoosh_backend import WhooshBackend

    return WhooshBackend(settings.get("INDEX"), max_expansions=max_expansions(settings, MAX_EXPANSIONS))


def max_expansions(settings: Mapping, default: int) -> int:
    """The words a ``prefix*`` stands for at most: ``MAX_EXPANSIONS`` in *settings*, else
    ``$NEWS_SEARCH_MAX_EXPANSIONS``, else *default*.

    >>> max_expansions({"MAX_EXPANSIONS": "0"}, 50)
    Traceback (most recent call last):
    ...
    index.errors.BadConfiguration: NEWS_SEARCH_MAX_EXPANSIONS must be a whole number of words, 1 or more; got '0'
    """
    value = settings.get("MAX_EXPANSIONS")
    if value is None:
        value = os.environ.get("NEWS_SEARCH_MAX_EXPANSIONS") or default
    try:
        limit = int(str(value), 10)
    except ValueError:
        limit = 0
    if limit < 1 or isinstance(value, bool):
        raise BadConfiguration(f"NEWS_SEARCH_MAX_EXPANSIONS must be a whole number of words, 1 or more; got {value!r}")
    return limit

