"""The request log: one JSON line per request answered, and one more for each slow one.

* ``news_search.requests`` (INFO) -- every request: ``time`` (UTC), ``request_id`` (the client's
  ``X-Request-ID`` when it sends a usable one, else a new one; echoed in the response), ``method``,
  ``route`` (the Flask endpoint), ``status``, ``took_ms`` and ``query_chars``, the length of ``q``.
  The query itself only with ``NEWS_SEARCH_LOG_QUERIES=1``: what people search for is theirs;
* ``news_search.slow`` (WARNING) -- a request that took longer than ``NEWS_SEARCH_SLOW_MS``
  milliseconds (default :data:`SLOW_MS`): the same fields, with the query and the other parameters,
  to find what made it slow.

Where the lines go is the logging configuration's choice; when nothing has configured logging (gunicorn
does not), they go to stderr, one JSON object a line, which gunicorn writes to its error log.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Mapping
from datetime import datetime, timezone

from flask import Flask, Response, current_app, g, request

from index.errors import BadConfiguration
from search.params import MAX_BODY_BYTES

#: Milliseconds past which a request is also logged as slow, unless configured (``NEWS_SEARCH_SLOW_MS``).
SLOW_MS = 1000
#: A request id taken from the client: short, and nothing a log reader could mistake for structure.
CLIENT_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")

requests_logger = logging.getLogger("news_search.requests")
slow_logger = logging.getLogger("news_search.slow")


def configure(app: Flask) -> None:
    """Check the log settings of *app*, log each request it answers, and send the lines to stderr when
    logging is not configured otherwise."""
    app.config["LOG_QUERIES"] = log_queries_setting(app.config["LOG_QUERIES"])
    app.config["SLOW_MS"] = slow_ms_setting(app.config["SLOW_MS"])
    app.before_request(begin)
    app.after_request(log_request)
    parent = logging.getLogger("news_search")
    if not parent.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        parent.addHandler(handler)
    if parent.level == logging.NOTSET:
        parent.setLevel(logging.INFO)


def log_queries_setting(value: object) -> bool:
    """``NEWS_SEARCH_LOG_QUERIES``: 1 (or true) to log queries, 0 (false, unset) not to.

    >>> log_queries_setting(1), log_queries_setting("0"), log_queries_setting(False)
    (True, False, False)
    """
    if value in (1, "1", True, "true"):
        return True
    if value in (0, "0", False, "false", None):
        return False
    raise BadConfiguration(f"NEWS_SEARCH_LOG_QUERIES must be 1 or 0; got {value!r}")


def slow_ms_setting(value: object) -> float:
    """``NEWS_SEARCH_SLOW_MS`` as milliseconds, 0 or more.

    >>> slow_ms_setting("250")
    250.0
    """
    try:
        milliseconds = float(str(value))
    except ValueError:
        milliseconds = -1.0
    if isinstance(value, bool) or not milliseconds >= 0 or milliseconds == float("inf"):
        raise BadConfiguration(f"NEWS_SEARCH_SLOW_MS must be a number of milliseconds, 0 or more; got {value!r}")
    return milliseconds


def begin() -> None:
    """Note the request's start and its id."""
    g.log_started = time.perf_counter()
    asked = request.headers.get("X-Request-ID", "")
    g.request_id = asked if CLIENT_REQUEST_ID.fullmatch(asked) else uuid.uuid4().hex


def log_request(response: Response) -> Response:
    """Log the answered request (and, when slow, log it again with its query); echo its id."""
    started = g.get("log_started")
    if started is None:
        return response
    took_ms = round((time.perf_counter() - started) * 1000, 2)
    query = request_query()
    line = {"time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"), "request_id": g.request_id,
            "method": request.method, "route": request.endpoint or "unmatched", "status": response.status_code,
            "took_ms": took_ms, "query_chars": len(query)}
    if current_app.config["LOG_QUERIES"]:
        line["query"] = query
    requests_logger.info(json.dumps(line, ensure_ascii=False))
    if took_ms > current_app.config["SLOW_MS"]:
        slow = {**line, "slow_ms": current_app.config["SLOW_MS"], "query": query, "parameters": other_parameters()}
        slow_logger.warning(json.dumps(slow, ensure_ascii=False))
    response.headers["X-Request-ID"] = g.request_id
    return response


def request_query() -> str:
    """The request's ``q``: from the URL, or from the JSON body of a ``POST /api/search`` (read only
    when it is small enough for the API to have read it too)."""
    if "q" in request.args:
        return request.args.get("q", "")
    length = request.content_length
    if request.method == "POST" and request.is_json and length is not None and length <= MAX_BODY_BYTES:
        body = request.get_json(silent=True)
        if isinstance(body, Mapping) and isinstance(body.get("q"), str):
            return body["q"]
    return ""


def other_parameters() -> dict[str, str]:
    """The request's URL parameters other than ``q`` (the filters, the page, the order)."""
    return {name: value for name, value in request.args.items() if name != "q"}
