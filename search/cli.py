"""The read-side commands of ``news-search``: ``search`` (same engine and JSON as the API) and ``serve``."""

from __future__ import annotations

import json
from pathlib import Path

import click
from whoosh import index as whoosh_index

from index import DEFAULT_CORPUS_DIR
from index.passages import MAX_WORDS, MIN_WORDS
from search import engine
from search.api import results_to_json
from search.params import GROUPS, MAX_PER_PAGE, SORTS, ParameterError, parse_search_params
from search.searchers import Searchers


@click.command("search")
@click.argument("query", required=False, default="")
@click.option("--limit", "per_page", type=click.IntRange(1, MAX_PER_PAGE), default=10, show_default=True,
              help="Results per page.")
@click.option("--page", type=click.IntRange(1), default=1, show_default=True)
@click.option("--from", "date_from", metavar="YYYY-MM-DD", help="Published on or after.")
@click.option("--to", "date_to", metavar="YYYY-MM-DD", help="Published on or before.")
@click.option("--source", help="Only this source.")
@click.option("--sort", type=click.Choice(SORTS), help="Default: relevance with a query, newest without.")
@click.option("--group", type=click.Choice(GROUPS), default="article", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print exactly the JSON API's response body.")
@click.pass_context
def search_command(ctx: click.Context, query: str, as_json: bool, **options: object) -> None:
    """Search the index, as the web page and /api/search do.

        news-search search '"long-range missiles" -drone' --from 2024-11-01
    """
    args = {"q": query, "per_page": str(options["per_page"]), "page": str(options["page"]),
            "from": options["date_from"] or "", "to": options["date_to"] or "",
            "source": options["source"] or "", "sort": options["sort"] or "", "group": options["group"]}
    try:
        params = parse_search_params(args)
        with Searchers(options["index_dir"]).searcher() as searcher:
            results = engine.search(searcher, params)
    except ParameterError as error:
        if error.parameter in (None, "q"):
            raise
        option = {"per_page": "limit"}.get(error.parameter, error.parameter)
        raise click.BadParameter(error.message, param_hint=f"--{option}") from None
    if as_json:
        click.echo(json.dumps(results_to_json(results), ensure_ascii=False))
    else:
        click.echo(render_text(results))


def render_text(results: engine.Results) -> str:
    """Results for a terminal: a summary line, then each hit with its snippets, marks as **bold**."""
    noun = results.group + ("" if results.total == 1 else "s")
    lines = [f"{results.total} {noun}, {results.sort} first, "
             f"page {results.page} of {results.pages} ({results.took_ms:.0f} ms)"]
    lines += [f"warning: {warning}" for warning in results.warnings]
    if results.suggestion:
        lines.append(f"did you mean: {results.suggestion}")
    for number, hit in enumerate(results.hits, start=(results.page - 1) * results.per_page + 1):
        meta = " · ".join(filter(None, [hit.source, (hit.published or "")[:10], hit.article_id]))
        lines += ["", f"{number}. {hit.title}", f"   {meta}"]
        lines += [f"   {plain_snippet(passage.snippet)}" for passage in hit.passages]
    return "\n".join(lines)


def plain_snippet(snippet: str) -> str:
    """An HTML snippet as terminal text: marks become ``**…**``, entities unescaped."""
    from html import unescape

    return unescape(snippet.replace("<mark>", "**").replace("</mark>", "**"))


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--debug", is_flag=True, help="Reload on code changes and show tracebacks.")
def serve_command(host: str, port: int, debug: bool, index_dir: Path) -> None:
    """Serve the search page and JSON API (development server).

    Indexes corpus/ first when there is no index yet. For production use gunicorn:

        gunicorn -w 2 -b 127.0.0.1:5000 wsgi:app
    """
    from index.cli import index_files
    from search import create_app

    if not whoosh_index.exists_in(index_dir):
        click.echo(f"No index in {index_dir} yet; indexing {DEFAULT_CORPUS_DIR}/ first.", err=True)
        click.echo(str(index_files((Path(DEFAULT_CORPUS_DIR),), index_dir, False, False, MIN_WORDS, MAX_WORDS)), err=True)
    app = create_app({"INDEX": str(index_dir)})
    app.run(host=host, port=port, debug=debug, threaded=True)
