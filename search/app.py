"""The Flask application over the search backend.

:func:`build_app` builds it: configuration (defaults, then ``NEWS_SEARCH_*`` environment variables,
then the mapping passed in), the backend it names (:func:`search.backends.open_backend`), warmed before
the first request (:meth:`search.backend.Backend.warm`: a worker that would keep its first search
waiting for seconds is not yet taking requests, at a million passages), the JSON
blueprint (:mod:`search.api`), the page blueprint (:mod:`search.web`), ``/metrics`` (:mod:`search.metrics`),
the request log (:mod:`search.request_log`), error handlers and security headers.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import Flask, Response, current_app, g, make_response, request
from werkzeug.exceptions import HTTPException
from werkzeug.routing import PathConverter

from index.errors import NewsSearchError

from index import resolve_index_dir
from search import addresses, budget, fairness, metrics, request_log
from search.backends import open_backend
from search.cache import ResultsCache

#: Content-Security-Policy of every response: our own styles, no script at all, no framing.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)


#: Search results kept per worker for repeated searches (``NEWS_SEARCH_RESULTS_CACHE``; 0: none).
RESULTS_CACHE = 256


def build_app(config: Mapping | None = None) -> Flask:
    """Create the search application (:func:`search.create_app`).

    >>> app = build_app({"INDEX": "instance/index"})
    """
    app = Flask("search")
    app.config.from_mapping(BACKEND=None, INDEX=None, JSON_SORT_KEYS=False, RESULTS_CACHE=RESULTS_CACHE,
                            BASE_URL=None, TIME_BUDGET=budget.TIME_BUDGET, COSTLY_SHARE=fairness.COSTLY_SHARE,
                            LOG_QUERIES=False, SLOW_MS=request_log.SLOW_MS)
    app.config.from_prefixed_env("NEWS_SEARCH")
    if config:
        app.config.from_mapping(config)
    # from_prefixed_env reads values as JSON: NEWS_SEARCH_INDEX=2024 arrives as a number.
    index_dir = app.config["INDEX"]
    app.config["INDEX"] = str(resolve_index_dir(None if index_dir is None else str(index_dir)))
    app.json.sort_keys = False
    addresses.configure(app.config)
    app.config["TIME_BUDGET"] = budget.budget_setting(app.config["TIME_BUDGET"])
    app.config["COSTLY_SHARE"] = fairness.share_setting(app.config["COSTLY_SHARE"])
    cache_size = app.config["RESULTS_CACHE"]
    if type(cache_size) is not int or cache_size < 0:
        raise ValueError(f"NEWS_SEARCH_RESULTS_CACHE must be a whole number of results, 0 or more; got {cache_size!r}")
    app.extensions["news_search"] = open_backend(app.config)
    app.extensions["news_search"].warm()
    app.extensions["news_search_metrics"] = metrics.Metrics()
    app.extensions["news_search_results"] = ResultsCache(cache_size, app.extensions["news_search_metrics"].count_lookup)
    app.extensions["news_search_costly"] = fairness.CostlyShare(app.config["COSTLY_SHARE"])
    app.url_map.converters["article_id"] = ArticleIdConverter

    from search import api, web

    app.register_blueprint(api.bp)
    app.register_blueprint(web.bp)
    app.register_blueprint(metrics.bp)
    app.before_request(metrics.start_timer)
    request_log.configure(app)
    app.before_request(addresses.check_host)
    app.before_request(start_budget)
    app.teardown_request(end_budget)
    app.register_error_handler(NewsSearchError, handle_error)
    for kind in app.extensions["news_search"].read_errors:
        app.register_error_handler(kind, handle_read_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.after_request(add_security_headers)
    app.after_request(metrics.count_response)
    app.teardown_appcontext(api.release_snapshot)
    return app


def start_budget() -> None:
    """Each request searches within ``TIME_BUDGET`` seconds (:mod:`search.budget`), its costly searches
    counted against the worker's ``COSTLY_SHARE`` (:mod:`search.fairness`)."""
    budget.begin(current_app.config["TIME_BUDGET"])
    fairness.begin(current_app.extensions["news_search_costly"])


def end_budget(_error: BaseException | None = None) -> None:
    budget.end()
    fairness.end()


class ArticleIdConverter(PathConverter):
    """An article id in a URL: any text, slashes included, even leading or doubled ones (URLs are ids)."""

    regex = ".+?"
    part_isolating = False  # it spans path segments


def handle_error(error: NewsSearchError):
    """Our errors: the JSON error body under ``/api``, the error page elsewhere; when trying again
    later may help (a search over its time budget), a ``Retry-After``."""
    from search import api, web

    response = make_response(api.error_response(error) if _is_api() else web.error_page(error))
    retry_after = getattr(error, "retry_after", None)
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def handle_read_error(error: Exception):
    """An error reading the index: when the backend finds it damaged, a 503 like any of our errors
    (and the backend lends no snapshot of it again); anything else is what it was, a 500."""
    from search import api

    snapshot = g.get("snapshot")
    damaged = api.backend().damage(error, snapshot) if snapshot is not None else None
    if damaged is None:
        raise error
    return handle_error(damaged)


def handle_http_error(error: HTTPException):
    """404, 405 and the like: JSON under ``/api``, the site's error page elsewhere."""
    from search import api, web

    return api.http_error_response(error) if _is_api() else web.http_error_page(error)


def _is_api() -> bool:
    return request.blueprint == "api" or request.path == "/api" or request.path.startswith("/api/")


def add_security_headers(response: Response) -> Response:
    """Headers that keep pages from running injected script or being framed."""
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response
