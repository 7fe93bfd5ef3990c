"""The ``searchd`` processes of a local cluster: starting, stopping, waiting until they answer, status.

Its parts:

- **Clusters**: :func:`start_cluster` writes the configs and the map (:mod:`search.sphinxql_backend.config`)
  into a directory, starts every node and waits until each serves its indexes; :func:`stop_cluster` stops
  every node configured there; :func:`running_cluster` does both around a ``with`` block, whatever happens.
- **Nodes**: :func:`start_node` and :func:`stop_node` start one node again or stop it (``--stopwait``, then
  SIGTERM, then SIGKILL); :func:`node_pids` finds its live processes.
- **Status**: :func:`cluster_status`, an :class:`AgentStatus` per node.

A node that will not start raises :class:`~search.sphinxql_backend.config.ClusterError`, whose message ends
with the node's log; a cluster that fails to start leaves nothing running.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import pymysql

from search.sphinxql_backend.config import (
    HEAD,
    HEAD_INDEX,
    HOST,
    MAP_NAME,
    Cluster,
    ClusterError,
    Node,
    Shard,
    free_port,
    node_directory,
    plan_nodes,
    render_config,
    save_cluster,
    shards_of,
)
from search.sphinxql_backend.connection import CONNECT_TIMEOUT, connect, describe_error

SEARCHD = "/usr/bin/searchd"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
#: Attempts at a free port for one node when another process takes the chosen one first.
BIND_ATTEMPTS = 5


@dataclass(frozen=True)
class AgentStatus:
    """Whether a node answers SphinxQL, and for a data node the rows of each index it holds."""

    node: str
    address: str
    alive: bool
    pid: int | None
    rows: dict[str, int] = field(default_factory=dict)
    error: str | None = None


class _PortTaken(ClusterError):
    """Another process bound a port chosen for a node before the node did."""


def start_cluster(directory: str | os.PathLike[str], shards: int = 2, mirrors: int = 0,
                  port: int | None = None, *, searchd: str | None = None,
                  timeout: float = START_TIMEOUT) -> Cluster:
    """Write the configs and cluster map of a local cluster into *directory*, start it, wait until it answers.

    :param shards: data nodes, one shard each.
    :param mirrors: how many of the shards (the first ones) get a second copy on a node of its own.
    :param port: the head's SphinxQL port, the nodes' ports following it; ``None`` picks free ones.
    :param searchd: the ``searchd`` binary; default ``searchd`` on ``PATH``, else ``/usr/bin/searchd``.
    :raises ClusterError: a node did not start (the message ends with its log); nothing is left running.
    """
    if shards < 1 or not 0 <= mirrors <= shards:
        raise ValueError(f"need shards >= 1 and 0 <= mirrors <= shards, not {shards} and {mirrors}")
    directory = Path(directory).resolve()
    directory.mkdir(parents=True, exist_ok=True)
    running = [config.stem for config in sorted(directory.glob("*.conf")) if node_pids(config)]
    if running:
        raise ClusterError(f"{directory}: nodes {', '.join(running)} are running; stop_cluster() first")
    binary = _searchd(searchd)
    deadline = time.monotonic() + timeout
    planned = plan_nodes(directory, shards, mirrors, port)
    for node in planned if port is not None else ():
        # searchd would retry a busy port for 36 s: say so now, before anything starts.
        for number in (node.port, node.agent_port):
            if number is not None and _port_in_use(number):
                raise ClusterError(f"node {node.name}: port {number} on {HOST} is in use")
    try:
        for number, node in enumerate(planned[1:], start=1):
            planned[number] = _launch_with_retries(node, (), binary, deadline, fixed=port is not None)
        cluster_shards = shards_of(planned)
        planned[0] = _launch_with_retries(planned[0], cluster_shards, binary, deadline, fixed=port is not None)
        cluster = Cluster(directory / MAP_NAME, planned[0].address, HEAD_INDEX, cluster_shards, tuple(planned))
        save_cluster(cluster)
        for node in planned:
            _wait_ready(node, deadline)
    except BaseException:
        stop_cluster(directory)
        raise
    return cluster


@contextmanager
def running_cluster(directory: str | os.PathLike[str], shards: int = 2, mirrors: int = 0,
                    port: int | None = None, *, searchd: str | None = None,
                    timeout: float = START_TIMEOUT) -> Iterator[Cluster]:
    """:func:`start_cluster`, and on leaving the block, whatever happened, :func:`stop_cluster`."""
    cluster = start_cluster(directory, shards, mirrors, port, searchd=searchd, timeout=timeout)
    try:
        yield cluster
    finally:
        stop_cluster(cluster.directory)


def start_node(node: Node, *, searchd: str | None = None, timeout: float = START_TIMEOUT) -> None:
    """Start *node* again from its config (its data kept) and wait until it answers; nothing if it runs."""
    if node_pids(node.config):
        return
    deadline = time.monotonic() + timeout
    _launch(node, _searchd(searchd), deadline)
    _wait_ready(node, deadline)


def stop_node(node: Node | Path, *, timeout: float = STOP_TIMEOUT) -> None:
    """Stop the node (or the node of the config path): ``--stopwait``, then SIGTERM, then SIGKILL.

    Does nothing for a node that is not running.
    """
    config = node.config if isinstance(node, Node) else Path(node)
    pids = node_pids(config)
    if not pids:
        return
    deadline = time.monotonic() + timeout
    binary = shutil.which("searchd") or SEARCHD
    if os.path.exists(binary):
        try:
            subprocess.run([binary, "--config", str(config), "--stopwait"], stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=timeout / 2,
                           check=False)
        except subprocess.TimeoutExpired:
            pass
    for pid in pids:
        _end_process(pid, config, deadline)


def stop_cluster(directory: str | os.PathLike[str], *, timeout: float = STOP_TIMEOUT) -> None:
    """Stop every node configured in *directory*; a node already gone is skipped, an absent directory too."""
    for config in sorted(Path(directory).resolve().glob("*.conf")):
        stop_node(config, timeout=timeout)


def cluster_status(cluster: Cluster, *, timeout: float = 1.0) -> list[AgentStatus]:
    """For each node: does it answer within *timeout* seconds, and how many rows has each of its shards."""
    statuses = []
    for node in cluster.nodes:
        pids = node_pids(node.config)
        rows: dict[str, int] = {}
        try:
            with connect(node.address, timeout=timeout) as connection, connection.cursor() as cursor:
                cursor.execute("SHOW TABLES")
                for index in node.indexes if node.name != HEAD else ():
                    cursor.execute(f"SELECT COUNT(*) FROM {index}")
                    rows[index] = int(cursor.fetchone()[0])
        except (pymysql.MySQLError, OSError) as error:
            statuses.append(AgentStatus(node.name, node.address, False, pids[0] if pids else None, rows,
                                        describe_error(error)))
            continue
        statuses.append(AgentStatus(node.name, node.address, True, pids[0] if pids else None, rows))
    return statuses


def node_pids(config: Path) -> list[int]:
    """The live ``searchd`` processes run with *config*: its pid file's, and any other found in ``/proc``."""
    config = Path(config).resolve()
    candidates = set()
    try:
        candidates.add(int((node_directory(config) / "searchd.pid").read_text().strip()))
    except (OSError, ValueError):
        pass
    try:
        candidates.update(int(entry) for entry in os.listdir("/proc") if entry.isdigit())
    except OSError:
        pass
    return sorted(pid for pid in candidates if _runs_config(pid, config))


def _runs_config(pid: int, config: Path) -> bool:
    """Whether *pid* is a searchd run with *config*: a pid file may outlive its process and the pid be reused."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    # A zombie has an empty command line: it is dead, though nobody has reaped it yet.
    return bool(argv) and os.path.basename(argv[0]) == b"searchd" and os.fsencode(config) in argv


def _end_process(pid: int, config: Path, deadline: float) -> None:
    """SIGTERM *pid*, then SIGKILL it if it has not gone by halfway to *deadline*."""
    halfway = (time.monotonic() + deadline) / 2
    for sig, until in ((signal.SIGTERM, halfway), (signal.SIGKILL, deadline + 5)):
        if not _runs_config(pid, config):  # checked first each time: the pid may have been reused since
            return
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        while _runs_config(pid, config) and time.monotonic() < until:
            time.sleep(0.02)
    if _runs_config(pid, config):
        raise ClusterError(f"searchd {pid} ({config}) survived SIGKILL")


def _searchd(searchd: str | None) -> str:
    """The ``searchd`` binary to run: *searchd*, else the one on ``PATH``, else :data:`SEARCHD`."""
    binary = searchd or shutil.which("searchd") or SEARCHD
    if not os.access(binary, os.X_OK):
        raise ClusterError(f"{binary}: no searchd to run (Debian: apt-get install sphinxsearch)")
    return binary


def _port_in_use(port: int) -> bool:
    """Whether some process listens on *port* (connections left in TIME_WAIT do not count: searchd reuses)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            return True
    return False


def _launch_with_retries(node: Node, shards: tuple[Shard, ...], binary: str, deadline: float,
                         *, fixed: bool) -> Node:
    """Write *node*'s config and launch it; with free ports, on another pair if someone took the first."""
    attempt = 1
    while True:
        node.directory.mkdir(exist_ok=True)
        node.config.write_text(render_config(node, shards), encoding="utf-8")
        try:
            _launch(node, binary, deadline)
            return node
        except _PortTaken:
            if fixed or attempt == BIND_ATTEMPTS:
                raise
        attempt += 1
        taken = {node.port, node.agent_port or 0}
        node = replace(node, port=free_port(taken),
                       agent_port=None if node.agent_port is None else free_port(taken))


def _launch(node: Node, binary: str, deadline: float) -> None:
    """Run ``searchd --config``; with no watchdog it exits once the daemon has bound its ports, or fails."""
    output = node.directory / "searchd.out"
    with output.open("wb") as out:
        process = subprocess.Popen([binary, "--config", str(node.config)], stdin=subprocess.DEVNULL,
                                   stdout=out, stderr=subprocess.STDOUT, cwd=node.directory)
    while process.poll() is None:
        # searchd retries a busy port for 36 s before giving up: give up on the first refusal instead.
        taken = b"bind() failed" in output.read_bytes()
        if taken or time.monotonic() > deadline:
            process.kill()
            process.wait()
            if taken:
                raise _PortTaken(f"node {node.name}: port {node.port} or {node.agent_port} on {HOST} is taken")
            raise ClusterError(_failure(node, "searchd did not detach in time"))
        time.sleep(0.01)
    if process.returncode != 0:
        raise ClusterError(_failure(node, f"searchd exited with status {process.returncode}",
                                    output.read_text(errors="replace")))


def _wait_ready(node: Node, deadline: float) -> None:
    """Poll *node* with SphinxQL until it lists its indexes; fail early if its process has gone."""
    while True:
        try:
            with connect(node.address, timeout=CONNECT_TIMEOUT) as connection, connection.cursor() as cursor:
                cursor.execute("SHOW TABLES")
                missing = set(node.indexes) - {row[0] for row in cursor.fetchall()}
            if not missing:
                return
            problem = f"indexes {sorted(missing)} not served"
        except (pymysql.MySQLError, OSError) as error:
            problem = describe_error(error)
        if not node_pids(node.config):
            raise ClusterError(_failure(node, f"searchd exited ({problem})"))
        if time.monotonic() > deadline:
            raise ClusterError(_failure(node, f"no answer in time ({problem})"))
        time.sleep(0.05)


def _failure(node: Node, reason: str, output: str = "", lines: int = 20) -> str:
    """An error message about *node* ending with the last *lines* of its log (and launcher output)."""
    try:
        log = node.log.read_text(errors="replace").splitlines()[-lines:]
    except OSError:
        log = ["(no log)"]
    message = f"searchd node {node.name} ({node.address}, {node.config}) did not start: {reason}"
    if output.strip():
        message += "\n--- searchd output ---\n" + "\n".join(output.strip().splitlines()[-lines:])
    return message + f"\n--- last lines of {node.log} ---\n" + "\n".join(log)
