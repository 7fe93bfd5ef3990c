"""The ``news-search`` command line: index, extract, stats, delete (and search, related, stories, serve from
:mod:`search.cli`).

Each command parses its options, calls one core function and prints; our errors become a message and
exit status 1, bad usage exit status 2 (click's own conventions).
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from index import DEFAULT_INDEX_DIR, ENV_INDEX
from index.articles import Article, Skipped, find_article_files, read_files
from index.errors import NewsSearchError
from index.indexing import index_files, report_skip
from index.passages import MAX_WORDS, MIN_WORDS
from index.schema import EARLIER_WORDS_NOTE
from search.backends import open_backend

index_dir_option = click.option(
    "--index-dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar=ENV_INDEX,
    default=DEFAULT_INDEX_DIR,
    show_default=True,
    help=f"Index directory (also ${ENV_INDEX}).",
)


#: The read half's commands (:mod:`search.cli`), by name. They are imported, and Flask with them, only
#: when one of them runs or the help lists them, so that indexing starts without them.
READ_COMMANDS = {"search": "search_command", "related": "related_command", "stories": "stories_command",
                 "serve": "serve_command"}


class NewsSearchGroup(click.Group):
    """The command group: our own errors end a command with their message and exit status 1; the
    read half's commands come with the shared ``--index-dir`` option."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *READ_COMMANDS, "cluster"})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in READ_COMMANDS and name not in self.commands:
            from search import cli as read_cli

            self.add_command(index_dir_option(getattr(read_cli, READ_COMMANDS[name])), name)
        if name == "cluster" and name not in self.commands:
            from search.sphinxql_backend.commands import cluster_group

            self.add_command(cluster_group, name)
        return super().get_command(ctx, name)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except NewsSearchError as error:
            raise click.ClickException(error.message) from None


@click.group(cls=NewsSearchGroup)
@click.version_option(package_name="news-search")
def cli() -> None:
    """Index news articles and search them."""


@cli.command("index")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@index_dir_option
@click.option("--rebuild", is_flag=True, help="Write every article afresh and swap the new index in whole.")
@click.option("--prune", is_flag=True, help="Delete articles whose source file is gone.")
@click.option("--min-words", default=MIN_WORDS, show_default=True, help="Shortest passage to aim for, in words.")
@click.option("--max-words", default=MAX_WORDS, show_default=True, help="Longest passage, in words.")
def index_command(
    paths: tuple[Path, ...], index_dir: Path, rebuild: bool, prune: bool, min_words: int, max_words: int
) -> None:
    """Index article files or folders (default: the bundled articles, corpus/ beside the package).

    Reads .txt, .html, .htm and .jsonl files (and the same gzip-compressed) recursively. Incremental:
    new articles are added, changed ones replaced, unchanged ones skipped. Shows how far reading has got:
    a bar on a terminal, else a line every 10 seconds.

        news-search index corpus/ --prune
    """
    with open_backend({"INDEX": index_dir}) as backend:
        summary = index_files(paths, backend, rebuild, prune, min_words, max_words)
    click.echo(str(summary))
    for note in summary.notes:
        click.echo(f"Note: {note}", err=True)
    if summary.read == 0:
        raise click.ClickException("nothing could be indexed")


@cli.command("extract")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per article per line.")
def extract_command(files: tuple[Path, ...], as_json: bool) -> None:
    """Show the articles the readers make of FILES, without indexing them.

        news-search extract corpus/000_4f5c96a77bf8f4f4.txt --json
    """
    count = 0
    for item in read_files(find_article_files(files)):
        if isinstance(item, Skipped):
            report_skip(item)
            continue
        count += 1
        for note in item.notes:
            click.echo(f"{item.where}: {note}", err=True)
        if as_json:
            click.echo(json.dumps(item.to_json(), ensure_ascii=False))
        else:
            click.echo(describe_article(item))
    if count == 0:
        raise click.ClickException("no article could be read")


def describe_article(article: Article) -> str:
    """A few human-readable lines about an extracted article."""
    meta = ", ".join(filter(None, [article.published, article.source, article.author]))
    words = len(article.body.split())
    return f"{article.path}: {article.title}\n  id {article.id}" + (f"; {meta}" if meta else "") + f"; {words} words"


@cli.command("stats")
@index_dir_option
@click.option("--json", "as_json", is_flag=True, help="Print the figures as one JSON object.")
def stats_command(index_dir: Path, as_json: bool) -> None:
    """Show how many articles and passages the index holds.

        news-search stats --json
    """
    with open_backend({"INDEX": index_dir}) as backend:
        stats = backend.stats()
    if as_json:
        click.echo(json.dumps(stats))
    else:
        click.echo(render_stats(stats))


def render_stats(stats: dict) -> str:
    """The figures for a terminal; the ones only some backends give (where, segments) when given."""
    where = f" in {stats['index_dir']}" if "index_dir" in stats else ""
    segments = f", {stats['segments']} segments" if "segments" in stats else ""
    stems = f"\n{EARLIER_WORDS_NOTE}" if stats.get("stemmer") == "whoosh-porter" else ""
    return (f"{stats['articles']} articles, {stats['passages']} passages{where}\n"
            f"generation {stats['generation']}{segments}, updated {stats['updated']}{stems}")


@cli.command("delete")
@click.argument("article_ids", nargs=-1, required=True)
@index_dir_option
def delete_command(article_ids: tuple[str, ...], index_dir: Path) -> None:
    """Remove articles, with all their passages, by id.

        news-search delete enwikinews:Actor_Doris_Day_dies_at_97
    """
    with open_backend({"INDEX": index_dir}) as backend:
        deleted = backend.delete(article_ids)
    for article_id in article_ids:
        if article_id not in deleted:
            click.echo(f"{article_id}: no such article", err=True)
    click.echo(f"{len(deleted)} deleted")
    if not deleted:
        raise click.ClickException("no article was deleted")


@cli.command("backup")
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
@index_dir_option
def backup_command(dest: Path, index_dir: Path) -> None:
    """Copy the newest committed generation of the index into DEST, with a manifest of checksums.

    Safe while the service runs and an indexer writes. DEST must be new, empty or a previous backup.

    Example: news-search backup /tmp/news-backup
    """
    from index.backup import backup

    manifest = backup(index_dir, dest)
    size = sum(entry["size"] for entry in manifest["files"].values())
    click.echo(f"generation {manifest['generation']}: {len(manifest['files'])} files, {size:,} bytes copied to {dest}")


@cli.command("restore")
@click.argument("src", type=click.Path(file_okay=False, exists=True, path_type=Path))
@index_dir_option
def restore_command(src: Path, index_dir: Path) -> None:
    """Put the backup in SRC back as the index's newest generation, once its checksums are verified.

    A running service moves to it as to any new commit, without a restart.

    Example: news-search restore /tmp/news-backup
    """
    from index.backup import restore

    generation = restore(src, index_dir)
    click.echo(f"restored {src} as generation {generation} of {index_dir}")


@cli.command("check")
@index_dir_option
def check_command(index_dir: Path) -> None:
    """Read every segment, column and stored field of the index and check its invariants.

    Exit 0 with a one-line summary when whole; exit 1 naming each damaged file or article.

    Example: news-search check
    """
    from index.store.checking import check_index

    summary, findings = check_index(index_dir)
    if findings:
        for finding in findings:
            click.echo(finding, err=True)
        raise SystemExit(1)
    click.echo(summary)
