"""The HTML pages: the search page (``/``), the article page (``/articles/<id>``) and the feed of
a search (``/search.atom``).

All call the same parameter parser and engine as the JSON API and only render differently;
the pages work without JavaScript.
"""

from __future__ import annotations

import calendar
from dataclasses import replace
from datetime import date

from flask import Blueprint, Response, render_template, request, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from index.errors import NewsSearchError
from search import engine
from search.addresses import absolute_url
from search.api import current_snapshot, http_status, results_cache
from search.feed import MEDIA_TYPE, FeedLinks, results_feed
from search.params import MAX_QUERY_CHARS, SEARCH_NAMES, SORTS, SearchParams, check_names, parse_search_params
from search.timeline import TimelineBucket

#: Related articles listed on an article's page.
RELATED_ON_PAGE = 5
#: What the order control calls each order.
SORT_LABELS = {"relevance": "Most relevant first", "newest": "Newest first", "oldest": "Oldest first"}
#: The error page's heading for a status; any other status is named as HTTP names it ("Method not allowed").
ERROR_HEADINGS = {400: "Something is wrong with this request", 404: "Not found",
                  500: "Something went wrong on our side", 503: "Search is not available right now"}

bp = Blueprint("web", __name__)


@bp.get("/")
def search():
    """The search page: the form, and the results of the query and filters in the URL."""
    params = parse_search_params(request.args)
    results = engine.search(current_snapshot(), params, results_cache())
    feed_url = url_for("web.feed", **params.to_args(page=1, sort=None)) if params.q else None
    return render_template("search.html", params=params, results=results, sorts=sort_options(params),
                           api_url=url_for("api.search", **params.to_args()), feed_url=feed_url)


def sort_options(params: SearchParams) -> list[tuple[str, str, bool]]:
    """The order control's options, as ``(value, label, selected)``: each order once, the order used
    when none is asked for as the empty value, labelled "(default)". That is relevance with a query
    and newest without one, when relevance has nothing to rank by and is offered only if asked for.

    >>> sort_options(SearchParams(q="missiles", sort="oldest"))[0]
    ('', 'Most relevant first (default)', False)
    """
    default = replace(params, sort=None).effective_sort
    options = []
    for order in SORTS:
        if order == "relevance" and order not in (default, params.sort):
            continue
        label = SORT_LABELS.get(order, order) + (" (default)" if order == default else "")
        options.append(("" if order == default else order, label, order == params.effective_sort))
    return options


@bp.get("/search.atom")
def feed():
    """The search as an Atom feed: the same parameters as ``/api/search``, newest first by default."""
    check_names(request.args, SEARCH_NAMES)
    asked = parse_search_params(request.args)
    # One entry per article (its id the article's), whatever grouping the search page used.
    params = replace(asked, sort=asked.sort or "newest", group="article")
    snapshot = current_snapshot()
    results = engine.search(snapshot, params, results_cache())
    links = FeedLinks(
        feed=absolute_url("web.feed", **asked.to_args()),
        page=absolute_url("web.search", **params.to_args()),
        article=lambda article_id: absolute_url("web.article", article_id=article_id),
        next=absolute_url("web.feed", **asked.to_args(page=results.page + 1)) if results.page < results.pages else None,
        previous=absolute_url("web.feed", **asked.to_args(page=results.page - 1)) if results.page > 1 else None,
    )
    body = results_feed(results, feed_title(params), links, snapshot.updated())
    return Response(body, content_type=f"{MEDIA_TYPE}; charset=utf-8")


def feed_title(params: SearchParams) -> str:
    """What a feed reader lists the feed as: the query and its filters."""
    filters = [f"source {params.source}" if params.source else "",
               f"from {params.date_from}" if params.date_from else "", f"to {params.date_to}" if params.date_to else ""]
    return " · ".join(filter(None, [f"News search: {params.q or 'latest articles'}", *filters]))


@bp.get("/articles/<article_id:article_id>", merge_slashes=False)
def article(article_id: str):
    """One whole article, the query's matches highlighted; links back to the same search."""
    params = parse_search_params(request.args)
    snapshot = current_snapshot()
    view = engine.get_article(snapshot, article_id, params.q)
    related = snapshot.related(article_id, RELATED_ON_PAGE)
    api_args = {"q": params.q} if params.q else {}  # the article's JSON takes only the query
    return render_template("article.html", article=view, related=related, params=params, back_args=params.to_args(),
                           api_url=url_for("api.article", article_id=article_id, **api_args))


def error_page(error: NewsSearchError):
    """Our error on the page, with the search form to try again."""
    status = http_status(error)
    return render_error(status, error.message), status


def http_error_page(error: HTTPException):
    """Werkzeug's HTTP errors (404 for an unknown path, 405, ...) as the same page, with their own
    headers (a 405's ``Allow``) but an HTML content type."""
    status = error.code or 500
    headers = [(name, value) for name, value in error.get_headers() if name.lower() != "content-type"]
    return render_error(status, error.description or error.name), status, headers


def render_error(status: int, message: str) -> str:
    """The error page: the site's layout, a heading for the *status*, the *message*, and the search form
    filled with the request's query, to try again."""
    params = SearchParams(q=request.args.get("q", "")[:MAX_QUERY_CHARS].replace("\x00", ""))
    heading = ERROR_HEADINGS.get(status) or HTTP_STATUS_CODES.get(status, "Error").capitalize()
    return render_template("error.html", heading=heading, message=message, params=params)


@bp.app_template_global()
def period_args(params: SearchParams, bucket: TimelineBucket) -> dict[str, str]:
    """The search's arguments narrowed to the period of a timeline *bucket* (within its own dates)."""
    start, end = date.fromisoformat(bucket.start), date.fromisoformat(bucket.end)
    if params.date_from:
        start = max(start, params.date_from)
    if params.date_to:
        end = min(end, params.date_to)
    return params.to_args(**{"from": start, "to": end, "page": 1})


@bp.app_template_filter("month_end")
def month_end(month: str) -> str:
    """``2024-11`` -> ``2024-11-30``: the last day of a ``YYYY-MM`` month."""
    year, number = (int(part) for part in month.split("-"))
    return f"{month}-{calendar.monthrange(year, number)[1]:02d}"


@bp.app_template_filter("month_name")
def month_name(month: str) -> str:
    """``2024-11`` -> ``November 2024``."""
    year, number = month.split("-")
    return f"{calendar.month_name[int(number)]} {year}"
