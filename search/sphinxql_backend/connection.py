"""SphinxQL connections, over the MySQL protocol with ``pymysql``.

* :func:`connect` -- a connection to one node that gives up in time, with multi-statement batches on;
* :func:`describe_error` -- a one-line message from a ``pymysql`` or socket error;
* :class:`ClusterUnavailable` -- the head node does not answer: the service answers 503.
"""

from __future__ import annotations

import pymysql
from pymysql.constants import CLIENT

from index.errors import IndexNotFound
from search.sphinxql_backend.config import split_address

#: The longest wait for a node to accept a connection, in seconds: loopback answers at once or never.
CONNECT_TIMEOUT = 1.0
#: The longest wait for a query's answer, in seconds, unless the caller says otherwise.
QUERY_TIMEOUT = 10.0


class ClusterUnavailable(IndexNotFound):
    """The cluster's head node does not answer (refused, timed out, or went away mid-query)."""

    code = "backend_unavailable"


def connect(address: str, *, timeout: float = QUERY_TIMEOUT) -> pymysql.connections.Connection:
    """A SphinxQL connection to *address* that gives up after *timeout* seconds (connect: at most 1 s)."""
    host, port = split_address(address)
    # ssl_disabled: pymysql 1.2 otherwise builds a TLS context per connection (20 ms) that searchd never uses.
    # autocommit: pymysql's default, False, would turn it off, and RT writes would wait for a COMMIT.
    return pymysql.connect(host=host, port=port, connect_timeout=min(timeout, CONNECT_TIMEOUT),
                           read_timeout=timeout, write_timeout=timeout, autocommit=True, ssl_disabled=True,
                           client_flag=CLIENT.MULTI_STATEMENTS)


def describe_error(error: BaseException) -> str:
    """The arguments of *error* as one line, or its class name when it has none.

    >>> describe_error(pymysql.OperationalError(2003, "Can't connect to MySQL server on '127.0.0.1'"))
    "2003 Can't connect to MySQL server on '127.0.0.1'"
    >>> describe_error(TimeoutError())
    'TimeoutError'
    """
    return " ".join(str(part) for part in error.args) or type(error).__name__
