"""The JSON API (``/api/...``): the same parameters and engine as the page, rendered as JSON.

* ``GET /api/search`` -- :func:`results_to_json` of :func:`search.engine.search`; ``POST /api/search`` the
  same, its parameters in a JSON body (for queries too long for a URL);
* ``GET /api/articles/<id>`` -- :func:`article_to_json` of :func:`search.engine.get_article`;
* ``GET /api/articles/<id>/related`` -- :func:`related_to_json` of the backend's related coverage;
* ``GET /api/health`` -- counts and generation of the served index (no paths: anyone may ask);
* ``GET /api/openapi.json`` -- the OpenAPI description of all of this.

Every endpoint refuses a parameter it does not take (:func:`search.params.check_names`), so that a misspelt
or borrowed name is not quietly ignored; the pages (:mod:`search.web`) ignore them, since browsers and
crawlers add their own.
"""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

from index.errors import ArticleNotFound, IndexBusy, IndexDamaged, IndexNotFound, NewsSearchError
from search import engine
from search.backend import Backend, Snapshot
from search.budget import SearchTimeout
from search.fairness import TooBusy
from search.cache import ResultsCache
from search.openapi import openapi_document
from search.params import (ARTICLE_NAMES, MAX_BODY_BYTES, MAX_RELATED_LIMIT, RELATED_LIMIT, RELATED_NAMES,
                           SEARCH_NAMES, UnknownParameter, check_names, parse_int, parse_query, parse_search_body,
                           parse_search_params)
from search.results import ArticleView, Hit, Related, Results

bp = Blueprint("api", __name__, url_prefix="/api")


#: Values that JSON takes as they are: :func:`plain` returns them at once.
_SCALARS = frozenset({str, int, float, bool, type(None)})


def plain(value):
    """A result record as JSON-ready values: dataclasses.asdict without its deep copies, which cost
    more than the rest of a response.

    >>> from search.results import FacetCount
    >>> plain({"source": [FacetCount("Reuters", 2)], "pages": (1, 2)})
    {'source': [{'value': 'Reuters', 'count': 2}], 'pages': [1, 2]}
    """
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is list or kind is tuple:
        return [plain(item) for item in value]
    if kind is dict:
        return {key: plain(item) for key, item in value.items()}
    fields = getattr(kind, "__dataclass_fields__", None)
    if fields is not None:
        return {name: plain(getattr(value, name)) for name in fields}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return value


def results_to_json(results: Results) -> dict:
    """The body of ``/api/search`` (and of ``news-search search --json``); a page past the last one says so."""
    past_the_end = results.page > results.pages and results.total > 0
    warnings = [*results.warnings, past_last_page(results)] if past_the_end else results.warnings
    return {
        "query": results.query,
        "total": results.total,
        "page": results.page,
        "pages": results.pages,
        "per_page": results.per_page,
        "sort": results.sort,
        "group": results.group,
        "collapse": results.collapse,
        "took_ms": results.took_ms,
        "warnings": warnings,
        "results": [hit_to_json(hit) for hit in results.hits],
        "facets": {name: [plain(count) for count in counts] for name, counts in results.facets.items()},
        "suggestion": results.suggestion,
    }


def hit_to_json(hit: Hit) -> dict:
    """One result; its ``explanation`` only when it was asked for (``explain=1``)."""
    body = plain(hit)
    if body["explanation"] is None:
        del body["explanation"]
    return body


def past_last_page(results: Results) -> str:
    """The warning of a page past the last one of *results*."""
    return f"There is no page {results.page}: the last page of these results is {results.pages}."


def article_to_json(article: ArticleView) -> dict:
    """The body of ``/api/articles/<id>``."""
    return asdict(article)


def related_to_json(related: Related) -> dict:
    """The body of ``/api/articles/<id>/related`` (and of ``news-search related --json``)."""
    return plain(related)


def backend() -> Backend:
    """The app's search backend."""
    return current_app.extensions["news_search"]


def current_snapshot() -> Snapshot:
    """The snapshot of the index this request borrowed (the newest); given back when the request ends."""
    if "snapshot" not in g:
        g.snapshot = backend().acquire()
    return g.snapshot


def results_cache() -> ResultsCache:
    """The app's cache of recent results."""
    return current_app.extensions["news_search_results"]


def release_snapshot(_error: BaseException | None = None) -> None:
    """Give this request's snapshot back to the backend."""
    snapshot = g.pop("snapshot", None)
    if snapshot is not None:
        backend().release(snapshot)


@bp.get("/search")
def search():
    """Search results as JSON."""
    check_names(request.args, SEARCH_NAMES)
    params = parse_search_params(request.args)
    return jsonify(results_to_json(engine.search(current_snapshot(), params, results_cache())))


@bp.post("/search")
def search_by_body():
    """The same search, its parameters in a JSON object: a query too long for a URL fits in a body."""
    if request.args:  # one parameter in the URL and another in the body: which would win is anyone's guess
        name = next(iter(request.args))
        raise UnknownParameter(f"unknown parameter {name} in the URL: a POST takes its parameters in the JSON body",
                               name)
    request.max_content_length = MAX_BODY_BYTES
    params = parse_search_body(request.get_json())
    return jsonify(results_to_json(engine.search(current_snapshot(), params, results_cache())))


@bp.get("/articles/<article_id:article_id>", merge_slashes=False)
def article(article_id: str):
    """One whole article as JSON, with the matches of ``q`` marked."""
    check_names(request.args, ARTICLE_NAMES)
    q = parse_query(request.args)
    return jsonify(article_to_json(engine.get_article(current_snapshot(), article_id, q)))


@bp.get("/articles/<article_id:article_id>/related", merge_slashes=False)
def related(article_id: str):
    """The articles most like this one, as JSON."""
    check_names(request.args, RELATED_NAMES)
    snapshot = current_snapshot()
    limit = parse_int(request.args, "limit", RELATED_LIMIT, 1, MAX_RELATED_LIMIT)
    try:
        return jsonify(related_to_json(snapshot.related(article_id, limit)))
    except ArticleNotFound:
        # An article whose own id ends in "/related" is served as the article route would.
        if not snapshot.has_article(f"{article_id}/related"):
            raise
        return article(f"{article_id}/related")


@bp.get("/health")
def health():
    """Whether the index is open, and what it holds: figures only. A backend's details (the Whoosh index's
    path on this machine, say) are for ``news-search stats``, not for anyone who can reach the service."""
    check_names(request.args, ())
    health = current_snapshot().health()
    body = {"status": "ok", "articles": health.articles, "passages": health.passages,
            "generation": health.generation}
    if "agents" in health.details:
        agents = [{"node": agent["node"], "indexes": agent["indexes"], "answers": agent["answers"]}
                  for agent in health.details["agents"]]
        body.update(status="ok" if all(agent["answers"] for agent in agents) else "degraded", agents=agents)
    return jsonify(body)


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI description of this API."""
    check_names(request.args, ())
    return jsonify(openapi_document())


#: The HTTP status of each of our errors; anything else a client causes is a 400.
HTTP_STATUS = {ArticleNotFound: 404, IndexBusy: 409, IndexNotFound: 503, IndexDamaged: 503, SearchTimeout: 503,
               TooBusy: 429}


def http_status(error: NewsSearchError) -> int:
    """The HTTP status that answers *error*."""
    return next((status for kind, status in HTTP_STATUS.items() if isinstance(error, kind)), 400)


def error_response(error: NewsSearchError):
    """Our error as the API's JSON error body and status."""
    return jsonify(error.to_json()), http_status(error)


def http_error_response(error: HTTPException):
    """Werkzeug's HTTP errors (404, 405, ...) in the API's JSON error shape, with their own headers
    (a 405's ``Allow``) but a JSON content type."""
    code = (error.name or "error").lower().replace(" ", "_")
    body = {"error": {"code": code, "message": error.description or error.name, "parameter": None}}
    headers = [(name, value) for name, value in error.get_headers() if name.lower() != "content-type"]
    return jsonify(body), error.code, headers
