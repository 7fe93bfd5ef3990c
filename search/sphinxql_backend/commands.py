"""``news-search cluster``: a local cluster of ``searchd`` nodes on loopback, to try the SphinxQL backend
and to test it; the configs it writes, with real hosts, are the production recipe (see the README).

* ``news-search cluster start --dir DIR --shards N --mirrors M --port P`` -- write the configs, start
  the nodes, wait until they answer, print the ``export`` lines that point the service at them;
* ``news-search cluster status`` -- each node, whether it answers, and its rows (exit 1 when one does not);
* ``news-search cluster stop --dir DIR`` -- stop every node configured there.
"""

from __future__ import annotations

from pathlib import Path

import click

from search.sphinxql_backend import ENV_CLUSTER
from search.sphinxql_backend.cluster import cluster_status, start_cluster, stop_cluster
from search.sphinxql_backend.config import MAP_NAME, ClusterError, load_cluster

directory_option = click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path),
                                required=True, help="Where the configs, the cluster map and the nodes' files are.")


@click.group("cluster")
def cluster_group() -> None:
    """A local cluster of searchd nodes for the sphinxql backend (Debian: apt-get install sphinxsearch).

    \b
    Example: news-search cluster start --dir instance/cluster --shards 2 --mirrors 1
    """


@cluster_group.command("start")
@directory_option
@click.option("--shards", type=click.IntRange(1), default=2, show_default=True, help="Data nodes, one shard each.")
@click.option("--mirrors", type=click.IntRange(0), default=0, show_default=True,
              help="How many shards (the first ones) get a second copy on a node of its own.")
@click.option("--port", type=click.IntRange(1, 65535), default=None,
              help="The head's SphinxQL port, the nodes' ports after it (default: free ports).")
def start_command(directory: Path, shards: int, mirrors: int, port: int | None) -> None:
    """Write the configs, start every node on 127.0.0.1, wait until each answers, and print the
    lines that point the service and the indexer at the cluster.

    \b
    Example: eval "$(news-search cluster start --dir instance/cluster --shards 2 --mirrors 1)"
    """
    if mirrors > shards:
        raise click.BadParameter(f"at most --shards ({shards}) shards can have a mirror", param_hint="--mirrors")
    try:
        cluster = start_cluster(directory, shards, mirrors, port)
    except ClusterError as error:
        raise click.ClickException(str(error)) from None
    click.echo("\n".join(cluster.export_lines()))
    nodes = ", ".join(f"{node.name} {node.address}" for node in cluster.nodes)
    click.echo(f"Started {len(cluster.nodes)} nodes: {nodes}. Stop them with: news-search cluster stop "
               f"--dir {directory}", err=True)


@cluster_group.command("status")
@click.option("--cluster", "cluster_map", type=click.Path(path_type=Path), envvar=ENV_CLUSTER, required=True,
              help=f"The cluster map ({MAP_NAME}) or its directory (also ${ENV_CLUSTER}).")
def status_command(cluster_map: Path) -> None:
    """Each node of the cluster: whether it answers, and the rows of each shard it holds. Exit status 1
    when a node does not answer.

    \b
    Example: news-search cluster status --cluster instance/cluster
    """
    try:
        cluster = load_cluster(cluster_map)
    except ClusterError as error:
        raise click.ClickException(str(error)) from None
    statuses = cluster_status(cluster)
    for status in statuses:
        rows = ", ".join(f"{index} {count:,} rows" for index, count in status.rows.items())
        state = "answers" if status.alive else f"does not answer ({status.error})"
        click.echo(f"{status.node:<10} {status.address:<22} {state}{'; ' + rows if rows else ''}")
    if not all(status.alive for status in statuses):
        raise SystemExit(1)


@cluster_group.command("stop")
@directory_option
def stop_command(directory: Path) -> None:
    """Stop every node configured in the directory (their files stay: start them again with start).

    \b
    Example: news-search cluster stop --dir instance/cluster
    """
    if not any(directory.glob("*.conf")):
        raise click.ClickException(f"{directory}: no cluster is configured there")
    stop_cluster(directory)
    click.echo(f"Stopped the nodes configured in {directory}.")
