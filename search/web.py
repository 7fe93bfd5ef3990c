"""The HTML pages: the search page (``/``) and the article page (``/articles/<id>``).

Both call the same parameter parser and engine as the JSON API and only render differently;
they work without JavaScript.
"""

from __future__ import annotations

import calendar

from flask import Blueprint, render_template, request, url_for

from index.errors import NewsSearchError
from search import engine
from search.api import current_searcher, http_status
from search.params import MAX_QUERY_CHARS, SORTS, SearchParams, parse_search_params

bp = Blueprint("web", __name__)


@bp.get("/")
def search():
    """The search page: the form, and the results of the query and filters in the URL."""
    params = parse_search_params(request.args)
    results = engine.search(current_searcher(), params)
    return render_template("search.html", params=params, results=results, sorts=SORTS,
                           api_url=url_for("api.search", **params.to_args()))


@bp.get("/articles/<article_id:article_id>", merge_slashes=False)
def article(article_id: str):
    """One whole article, the query's matches highlighted; links back to the same search."""
    params = parse_search_params(request.args)
    view = engine.get_article(current_searcher(), article_id, params.q)
    return render_template("article.html", article=view, params=params, back_args=params.to_args(),
                           api_url=url_for("api.article", article_id=article_id, **params.to_args()))


def error_page(error: NewsSearchError):
    """Our error on the page, with the search form to try again."""
    params = SearchParams(q=request.args.get("q", "")[:MAX_QUERY_CHARS].replace("\x00", ""))
    status = http_status(error)
    return render_template("error.html", error=error, status=status, params=params, sorts=SORTS), status


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
