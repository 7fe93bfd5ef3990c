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

from index.errors import NewsSearchError
from search import engine
from search.api import current_snapshot, http_status, results_cache
from search.feed import MEDIA_TYPE, FeedLinks, results_feed
from search.params import MAX_QUERY_CHARS, SORTS, SearchParams, parse_search_params
from search.timeline import TimelineBucket

#: Related articles listed on an article's page.
RELATED_ON_PAGE = 5

bp = Blueprint("web", __name__)


@bp.get("/")
def search():
    """The search page: the form, and the results of the query and filters in the URL."""
    params = parse_search_params(request.args)
    results = engine.search(current_snapshot(), params, results_cache())
    feed_url = url_for("web.feed", **params.to_args(page=1, sort=None)) if params.q else None
    return render_template("search.html", params=params, results=results, sorts=SORTS,
                           api_url=url_for("api.search", **params.to_args()), feed_url=feed_url)


@bp.get("/search.atom")
def feed():
    """The search as an Atom feed: the same parameters as ``/api/search``, newest first by default."""
    asked = parse_search_params(request.args)
    params = replace(asked, sort=asked.sort or "newest")
    snapshot = current_snapshot()
    results = engine.search(snapshot, params, results_cache())
    links = FeedLinks(
        feed=url_for("web.feed", _external=True, **asked.to_args()),
        page=url_for("web.search", _external=True, **params.to_args()),
        article=lambda article_id: url_for("web.article", article_id=article_id, _external=True),
        next=url_for("web.feed", _external=True, **asked.to_args(page=results.page + 1))
        if results.page < results.pages else None,
        previous=url_for("web.feed", _external=True, **asked.to_args(page=results.page - 1))
        if results.page > 1 else None,
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
    return render_template("article.html", article=view, related=related, params=params, back_args=params.to_args(),
                           api_url=url_for("api.article", article_id=article_id, **params.to_args()))


def error_page(error: NewsSearchError):
    """Our error on the page, with the search form to try again."""
    params = SearchParams(q=request.args.get("q", "")[:MAX_QUERY_CHARS].replace("\x00", ""))
    status = http_status(error)
    return render_template("error.html", error=error, status=status, params=params, sorts=SORTS), status


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
