"""The read-side commands of ``news-search``: ``search`` and ``related`` (same engine and JSON as the
API), ``stories`` (the largest groups of wire copies) and ``serve``."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import click
from click.core import ParameterSource

from search import engine
from search.api import related_to_json, results_to_json
from search.backends import open_backend
from search.params import (COLLAPSES, GROUPS, MAX_PER_PAGE, MAX_RELATED_LIMIT, RELATED_LIMIT, SORTS, ParameterError,
                           parse_search_params)
from search.results import Related, Results, Stories


@click.command("search")
@click.argument("query", required=False, default="")
@click.option("--per-page", type=click.IntRange(1, MAX_PER_PAGE), default=10, show_default=True,
              help="Results per page.")
@click.option("--limit", type=click.IntRange(1, MAX_PER_PAGE), hidden=True, help="The old name of --per-page.")
@click.option("--page", type=click.IntRange(1), default=1, show_default=True)
@click.option("--from", "date_from", metavar="YYYY-MM-DD", help="Published on or after.")
@click.option("--to", "date_to", metavar="YYYY-MM-DD", help="Published on or before.")
@click.option("--source", help="Only sources named by these words (any case).")
@click.option("--sort", type=click.Choice(SORTS), help="Default: relevance with a query, newest without.")
@click.option("--group", type=click.Choice(GROUPS), default="article", show_default=True)
@click.option("--collapse", type=click.Choice(COLLAPSES), default="story", show_default=True,
              help="One result per story of wire copies, or every article.")
@click.option("--recency", metavar="DAYS",
              help="Favour recent articles: relevance halves for every DAYS behind the newest match.")
@click.option("--explain", is_flag=True, help="Show the components of each result's score.")
@click.option("--json", "as_json", is_flag=True, help="Print exactly the JSON API's response body.")
@click.pass_context
def search_command(ctx: click.Context, query: str, as_json: bool, **options: object) -> None:
    """Search the index, as the web page and /api/search do (the options are the API's parameters).

        news-search search '"general election" -trump' --from 2019-06-01
    """
    args = {"q": query, "per_page": str(per_page(ctx, options["per_page"], options["limit"])),
            "page": str(options["page"]), "from": options["date_from"] or "", "to": options["date_to"] or "",
            "source": options["source"] or "", "sort": options["sort"] or "", "group": options["group"],
            "collapse": options["collapse"], "recency": options["recency"] or "",
            "explain": "1" if options["explain"] else ""}
    try:
        params = parse_search_params(args)
        with open_backend({"INDEX": options["index_dir"]}) as backend, backend.snapshot() as snapshot:
            results = engine.search(snapshot, params)
    except ParameterError as error:
        if error.parameter in (None, "q"):
            raise
        option = {"per_page": "per-page"}.get(error.parameter, error.parameter)
        raise click.BadParameter(error.message, param_hint=f"--{option}") from None
    if as_json:
        click.echo(json.dumps(results_to_json(results), ensure_ascii=False))
    else:
        click.echo(render_text(results))


def per_page(ctx: click.Context, per_page: int, limit: int | None) -> int:
    """Results per page: ``--per-page``, the API's name, or ``--limit``, its old name, but not both at odds."""
    if limit is None:
        return per_page
    if ctx.get_parameter_source("per_page") is not ParameterSource.DEFAULT and limit != per_page:
        raise click.BadParameter("give --per-page (or its old name, --limit) once", param_hint="--per-page")
    return limit


def render_text(results: Results) -> str:
    """Results for a terminal: a summary line, then each hit with its snippets, marks as **bold**; a page
    past the last one says which is the last."""
    noun = results.group + ("" if results.total == 1 else "s")
    past_the_end = results.page > results.pages and results.total > 0
    where = "" if past_the_end else f", page {results.page} of {results.pages}"
    lines = [f"{results.total} {noun}, {results.sort} first{where} ({results.took_ms:.0f} ms)"]
    if past_the_end:
        lines.append(f"no results on page {results.page}: the last page is {results.pages}")
    lines += [f"warning: {warning}" for warning in results.warnings]
    if results.suggestion:
        lines.append(f"did you mean: {results.suggestion}")
    for number, hit in enumerate(results.hits, start=(results.page - 1) * results.per_page + 1):
        meta = " · ".join(filter(None, [hit.source, (hit.published or "")[:10], hit.article_id]))
        lines += ["", f"{number}. {hit.title}", f"   {meta}"]
        if hit.other_versions:
            count = len(hit.other_versions)
            versions = ", ".join(f"{version.source or '-'} ({version.article_id})" for version in hit.other_versions)
            lines.append(f"   {count} other version{'' if count == 1 else 's'}: {versions}")
        lines += [f"   {line}" for passage in hit.passages for line in plain_snippet(passage.snippet).splitlines()
                  if line.strip()]
        if hit.explanation is not None:
            lines.append(f"   score {hit.score}: {explanation_text(hit.explanation)}")
    return "\n".join(lines)


def explanation_text(explanation: dict) -> str:
    """A score's components on one line: ``name=value``, each word's article BM25 as ``bm25(word)``."""
    parts = [f"bm25({word})={value:.4f}" for word, value in explanation.get("article_bm25", {}).items()]
    for name, value in explanation.items():
        if name in ("article_bm25", "total"):
            continue
        if name == "expansions":
            parts += [f"{bounded['pattern']} limited to {bounded['limit']} words: {', '.join(bounded['words'])}"
                      for bounded in value]
        else:
            parts.append(f"{name}={value:.4f}" if isinstance(value, float) else f"{name}={value}")
    return ", ".join(parts)


def plain_snippet(snippet: str) -> str:
    """An HTML snippet as terminal text: marks become ``**…**``, entities unescaped; a snippet that runs over
    paragraphs keeps their line breaks (each indented by :func:`render_text`)."""
    from html import unescape

    return unescape(snippet.replace("<mark>", "**").replace("</mark>", "**"))


@click.command("related")
@click.argument("article_id")
@click.option("--limit", type=click.IntRange(1, MAX_RELATED_LIMIT), default=RELATED_LIMIT, show_default=True,
              help="Related articles to list.")
@click.option("--json", "as_json", is_flag=True, help="Print exactly the JSON API's response body.")
def related_command(article_id: str, limit: int, as_json: bool, index_dir: Path) -> None:
    """List the articles most like one article, as /api/articles/<id>/related does.

        news-search related enwikinews:Gillibrand_ends_US_presidential_bid --limit 5
    """
    with open_backend({"INDEX": index_dir}) as backend, backend.snapshot() as snapshot:
        related = snapshot.related(article_id, limit)
    if as_json:
        click.echo(json.dumps(related_to_json(related), ensure_ascii=False))
    else:
        click.echo(render_related(related))


def render_related(related: Related) -> str:
    """Related articles for a terminal: a summary line, the key terms, then one line each (close ones marked)."""
    noun = "article" if len(related.results) == 1 else "articles"
    lines = [f"{len(related.results)} related {noun} for {related.article_id} ({related.took_ms:.0f} ms)"]
    if related.key_terms:
        lines.append(f"key terms: {', '.join(related.key_terms)}")
    for number, article in enumerate(related.results, start=1):
        meta = " · ".join(filter(None, [article.source, (article.published or "")[:10], article.article_id,
                                        f"{article.score:.2f}" + (" close" if article.close else "")]))
        lines += ["", f"{number}. {article.title or article.article_id}", f"   {meta}"]
    return "\n".join(lines)


@click.command("stories")
@click.option("--top", type=click.IntRange(1), default=10, show_default=True, help="Stories to list.")
@click.option("--json", "as_json", is_flag=True, help="Print the stories as one JSON object.")
def stories_command(top: int, as_json: bool, index_dir: Path) -> None:
    """List the largest stories of wire copies: articles the indexer found to be near-duplicates.

        news-search stories --top 5
    """
    with open_backend({"INDEX": index_dir}) as backend, backend.snapshot() as snapshot:
        stories = snapshot.stories(top)
    if as_json:
        click.echo(json.dumps({"stories_with_copies": stories.with_copies, "articles_in_them": stories.articles_in_them,
                               "stories": [{"story": story.story, "size": len(story.articles),
                                            "articles": [asdict(article) for article in story.articles]}
                                           for story in stories.largest]}, ensure_ascii=False))
    else:
        click.echo(render_stories(stories))


def render_stories(stories: Stories) -> str:
    """Stories for a terminal: a summary line, then each story's size and its articles, one a line."""
    noun = "story" if stories.with_copies == 1 else "stories"
    lines = [f"{stories.with_copies} {noun} with copies ({stories.articles_in_them} articles in them); "
             f"the largest {len(stories.largest)}:"]
    for story in stories.largest:
        lines += ["", f"{len(story.articles)} articles · story {story.story}"]
        for article in story.articles:
            meta = " · ".join(filter(None, [(article.published or "")[:10], article.source, article.article_id]))
            lines.append(f"   {meta}   {article.title}")
    return "\n".join(lines)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--index-corpus", is_flag=True,
              help="When the index directory holds no index yet, index the bundled articles into it first "
                   "(done anyway for the default directory).")
@click.option("--debug", is_flag=True, help="Reload on code changes and show tracebacks.")
@click.pass_context
def serve_command(ctx: click.Context, host: str, port: int, index_corpus: bool, debug: bool, index_dir: Path) -> None:
    """Serve the search page and JSON API (development server).

    Without an index yet, the default index directory is first given the bundled articles; another
    directory (--index-dir, $NEWS_SEARCH_INDEX) is refused, lest a misspelt one be served empty, unless
    --index-corpus asks for them. It answers only for this machine's own names (localhost) unless
    NEWS_SEARCH_BASE_URL or NEWS_SEARCH_TRUSTED_HOSTS says otherwise. For production use gunicorn:

        gunicorn -w 2 -b 127.0.0.1:5000 --timeout 10 --limit-request-line 8190 wsgi:app
    """
    from index.indexing import index_missing
    from search import create_app

    build = index_corpus or ctx.get_parameter_source("index_dir") is ParameterSource.DEFAULT
    with open_backend({"INDEX": index_dir}) as backend:
        summary = index_missing(backend, index_dir, build)
    if summary is not None:
        click.echo(str(summary), err=True)
    app = create_app({"INDEX": str(index_dir)})
    app.run(host=host, port=port, debug=debug, threaded=True)
