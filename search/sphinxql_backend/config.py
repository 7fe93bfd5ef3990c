"""The layout of a local cluster of ``searchd`` nodes, written down: its map, its configs and its schema.

Its parts:

- **Layout**: ``shards`` data nodes (``data0`` …, one shard each), a mirror node (``mirror0`` …) holding a
  second copy of each of the first ``mirrors`` shards, and a ``head`` node whose distributed index
  (:data:`HEAD_INDEX`) sends every query to one copy of each shard. Mirrors get nodes of their own, so
  every copy can be stopped on its own in fault tests. :func:`plan_nodes` lays the nodes out and
  :func:`shards_of` lists the copies of each shard they hold.
- **Cluster map**: :class:`Cluster`, with its shards (:class:`Shard`), their copies (:class:`Copy`) and its
  nodes (:class:`Node`), saved as ``DIR/cluster.json`` by :func:`save_cluster` and read back by
  :func:`load_cluster`: the head a client queries, and every copy of every shard, which a client writes to
  directly (a distributed index refuses INSERT and REPLACE).
- **Configs**: :func:`render_config`, one ``searchd`` config per node, ``DIR/<node>.conf``, with the node's
  files under ``DIR/<node>/`` (:func:`node_directory`: pid file, logs, binlog, RT index).
- **Schema**: every shard is an RT index with :data:`FIELDS`, :data:`ATTRIBUTES` and
  :data:`INDEX_SETTINGS`: a row per passage and one per whole article (``whole = 1``), on which
  articles are ranked as a whole, counted and listed without grouping; :func:`article_key` is the
  ``akey`` attribute, which also picks an article's shard.

Data nodes speak SphinxQL (``mysql41``) on their ``address`` and the binary Sphinx API on their ``agent``
port: the head's agents speak the latter only. Everything is ``127.0.0.1``; nothing here is for production.
"""

from __future__ import annotations

import json
import os
import shlex
import socket
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from search.backend import MAX_EXPANSIONS

HOST = "127.0.0.1"
MAP_NAME = "cluster.json"
HEAD = "head"
HEAD_INDEX = "passages"
#: The head gives up on a shard copy after this long (milliseconds): loopback refuses a dead port at once,
#: so these only bound a hung node.
AGENT_CONNECT_TIMEOUT_MS = 300
AGENT_QUERY_TIMEOUT_MS = 3000

#: Full-text fields of a shard's RT index (not stored: 2.2.11 RT indexes keep no field text); the
#: article's source and section as words too, for ``source:`` and ``section:`` in a query.
FIELDS = ("title", "body", "source_name", "section_name")
#: Attributes of a shard's RT index, as (type, name); one row per passage.
ATTRIBUTES = (
    ("bigint", "akey"),  # a 63-bit hash of article_id (article_key): COUNT(DISTINCT) of a string is wrong across agents
    ("string", "article_id"),
    ("string", "passage_id"),
    ("uint", "position"),
    ("uint", "start_offset"),  # the passage's character offsets into the article body
    ("uint", "end_offset"),
    ("bool", "lead"),  # the article's first passage
    ("bool", "whole"),  # the article's own row: its title and whole body, for ranking, counting and listing articles
    ("string", "lead_text"),  # the body's text between the previous passage and this one
    ("string", "title_text"),  # fields are not stored, so what is shown comes from these strings
    ("string", "body_text"),
    ("string", "source"),
    ("string", "section"),
    ("string", "url"),
    ("string", "author"),
    ("bigint", "published"),  # seconds from 1970 (before it too) of the article's own wall-clock time
    ("uint", "month"),  # YYYYMM, 0 when undated: the month facet, for dates before 1970 as well
    ("uint", "day"),  # the date's proleptic ordinal, 0 when undated: the timeline and the date filters
    ("string", "published_text"),  # the date as the article gave it
    ("string", "story"),
    ("bigint", "skey"),  # article_key of story, for grouping and counting stories
    ("uint", "article_words"),  # the whole article's length
    ("uint", "title_words"),  # the title's and the passage's lengths as the Whoosh index counts them
    ("uint", "body_words"),
    ("string", "content_hash"),  # lets a writer skip unchanged articles
    ("string", "path"),  # the article's source file, for --prune
    ("string", "story_bands"),  # what finds later wire copies of the article (base64), on its first passage
    ("string", "story_sketch"),
    ("uint", "story_since"),
    ("uint", "indexed_at"),  # when the row was written (seconds from 1970): the cluster's last update
)
#: Letters of words, lower-cased: ASCII, Latin-1, Latin Extended-A/B, Greek, Cyrillic (Ukrainian too). The
#: 2.2.11 default knows only English and Russian letters and cuts "naïve" into "na" and "ve"; no accent
#: folding, as in the Whoosh index. Extended-A pairs change parity at U+138 and U+178, hence the pieces.
CHARSET_TABLE = ", ".join((
    "0..9, A..Z->a..z, _, a..z",
    "U+C0..U+D6->U+E0..U+F6, U+D8..U+DE->U+F8..U+FE, U+DF..U+F6, U+F8..U+FF",
    "U+100..U+12F/2, U+130..U+131, U+132..U+137/2, U+138, U+139..U+148/2, U+149, U+14A..U+177/2",
    "U+178->U+FF, U+179..U+17E/2, U+17F..U+24F",
    "U+386->U+3AC, U+388..U+38A->U+3AD..U+3AF, U+38C->U+3CC, U+38E..U+38F->U+3CD..U+3CE",
    "U+391..U+3A1->U+3B1..U+3C1, U+3A3..U+3AB->U+3C3..U+3CB, U+3AC..U+3CE",
    "U+400..U+40F->U+450..U+45F, U+410..U+42F->U+430..U+44F, U+430..U+45F, U+490..U+4FF/2",
))
#: Settings shared by every shard: stems and ``=exact`` forms, prefixes of two letters or more for ``word*``
#: (as :data:`search.query.MIN_PREFIX`), and field lengths
#: (attributes ``title_len``, ``body_len``), without which ``bm25a``/``bm25f`` ignore their ``b``.
INDEX_SETTINGS = (("dict", "keywords"), ("morphology", "stem_en"), ("index_exact_words", "1"),
                  ("min_prefix_len", "2"), ("index_field_lengths", "1"), ("charset_table", CHARSET_TABLE))


class ClusterError(Exception):
    """A node would not start or stop, or a cluster map cannot be read."""


def article_key(article_id: str) -> int:
    """The ``akey`` attribute of *article_id*'s passages: a 63-bit hash (a signed ``bigint``), so that
    two of ten million articles share one about once in a billion archives.

    >>> article_key("reuters/0001")
    1017631565238944226
    """
    return int.from_bytes(hashlib.blake2b(article_id.encode("utf-8"), digest_size=8).digest(), "big") >> 1


def row_id(passage_id: str) -> int:
    """The document id of a passage's row: a 63-bit hash of its id, never 0.

    >>> row_id("reuters/0001#0") != row_id("reuters/0001#1")
    True
    """
    return article_key(passage_id) or 1


def split_address(address: str) -> tuple[str, int]:
    """The host and port of a ``HOST:PORT`` address.

    >>> split_address("127.0.0.1:9306")
    ('127.0.0.1', 9306)
    """
    host, _, port = address.rpartition(":")
    return host, int(port)


def node_directory(config: Path) -> Path:
    """Where the node configured by *config* (``DIR/name.conf``) keeps its files: ``DIR/name``."""
    return config.parent / config.stem


@dataclass(frozen=True)
class Copy:
    """One copy of a shard: its node, SphinxQL address (for writes), agent address and index name."""

    node: str
    address: str
    agent: str
    index: str


@dataclass(frozen=True)
class Shard:
    """A shard of the passages and its copies, the first on a data node, any other on a mirror node."""

    number: int
    index: str
    copies: tuple[Copy, ...]


@dataclass(frozen=True)
class Node:
    """One ``searchd`` process: SphinxQL port, agent port (``None`` for the head), config and indexes."""

    name: str
    port: int
    agent_port: int | None
    config: Path
    indexes: tuple[str, ...]
    host: str = HOST

    @property
    def address(self) -> str:
        """Where the node speaks SphinxQL, ``HOST:PORT``."""
        return f"{self.host}:{self.port}"

    @property
    def agent(self) -> str | None:
        """Where the node speaks the binary API to the head, ``HOST:PORT``; ``None`` for the head."""
        return None if self.agent_port is None else f"{self.host}:{self.agent_port}"

    @property
    def directory(self) -> Path:
        """The directory of the node's pid file, logs, binlog and indexes."""
        return node_directory(self.config)

    @property
    def log(self) -> Path:
        """The node's ``searchd`` log."""
        return self.directory / "searchd.log"


@dataclass(frozen=True)
class Cluster:
    """What ``cluster.json`` says: where to query (the head) and where each shard's copies are."""

    path: Path
    head: str
    head_index: str
    shards: tuple[Shard, ...]
    nodes: tuple[Node, ...]

    @property
    def directory(self) -> Path:
        """The directory of the map, the configs and the nodes' files."""
        return self.path.parent

    def node(self, name: str) -> Node:
        """The node called *name*; :class:`KeyError` if there is none."""
        for node in self.nodes:
            if node.name == name:
                return node
        raise KeyError(name)

    def shard_for(self, article_id: str) -> Shard:
        """The shard that holds every passage of *article_id*: by its :func:`article_key`."""
        return self.shards[article_key(article_id) % len(self.shards)]

    def export_lines(self) -> list[str]:
        """The shell lines that point the service at this cluster."""
        return ["export NEWS_SEARCH_BACKEND=sphinxql",
                f"export NEWS_SEARCH_SPHINXQL={self.head}",
                f"export NEWS_SEARCH_CLUSTER={shlex.quote(str(self.path.resolve()))}"]


def load_cluster(path: str | os.PathLike[str]) -> Cluster:
    """The :class:`Cluster` in the map file *path* (or in ``cluster.json`` inside the directory *path*)."""
    path = Path(path)
    if path.is_dir():
        path = path / MAP_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        shards = tuple(Shard(s["number"], s["index"], tuple(Copy(**c) for c in s["copies"]))
                       for s in data["shards"])
        nodes = tuple(_node_from_json(n) for n in data["nodes"])
        return Cluster(path.resolve(), data["head"], data["head_index"], shards, nodes)
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ClusterError(f"{path}: not a readable cluster map ({error})") from error


def save_cluster(cluster: Cluster) -> None:
    """Write *cluster* to its map file, ``cluster.path``, for :func:`load_cluster` to read back."""
    nodes = [{"name": n.name, "address": n.address, "agent": n.agent, "config": str(n.config),
              "indexes": list(n.indexes)} for n in cluster.nodes]
    shards = [{"number": s.number, "index": s.index, "copies": [vars(c) for c in s.copies]}
              for s in cluster.shards]
    data = {"head": cluster.head, "head_index": cluster.head_index, "shards": shards, "nodes": nodes}
    cluster.path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def _node_from_json(data: dict[str, Any]) -> Node:
    host, port = split_address(data["address"])
    agent_port = split_address(data["agent"])[1] if data["agent"] else None
    return Node(data["name"], port, agent_port, Path(data["config"]), tuple(data["indexes"]), host)


def render_config(node: Node, shards: tuple[Shard, ...] = ()) -> str:
    """The ``searchd`` config of *node*: its RT indexes, or for the head the distributed index over *shards*."""
    home = node.directory
    blocks = []
    for index in node.indexes if node.name != HEAD else ():
        lines = ["type = rt", f"path = {home / index}"]
        lines += [f"rt_field = {name}" for name in FIELDS]
        lines += [f"rt_attr_{kind} = {name}" for kind, name in ATTRIBUTES]
        lines += [f"{key} = {value}" for key, value in INDEX_SETTINGS]
        blocks.append((f"index {index}", lines))
    if node.name == HEAD:
        lines = ["type = distributed"]
        lines += ["agent = " + "|".join(c.agent for c in s.copies) + f":{s.index}" for s in shards]
        lines += [f"agent_connect_timeout = {AGENT_CONNECT_TIMEOUT_MS}",
                  f"agent_query_timeout = {AGENT_QUERY_TIMEOUT_MS}"]
        if any(len(s.copies) > 1 for s in shards):
            # Measured on 2.2.11: with random (the default) or roundrobin about every other query goes to a
            # dead mirror and comes back partial; nodeads gives up on it after 2-3 failures.
            lines.append("ha_strategy = nodeads")
        blocks.append((f"index {HEAD_INDEX}", lines))
    listen = [f"listen = {node.address}:mysql41"]
    if node.agent_port is not None:
        listen.append(f"listen = {node.agent}")
    blocks.append(("searchd", listen + [
        "workers = threads",
        "watchdog = 0",  # one process per node: it binds before detaching, so its exit status tells
        f"pid_file = {home / 'searchd.pid'}",
        f"log = {node.log}",
        f"query_log = {home / 'query.log'}",
        "query_log_format = sphinxql",
        f"binlog_path = {home}",
        "ha_ping_interval = 100",  # mirrors found dead within 0.1 s rather than 1 s
        # A prefix* stands for at most this many words, the most frequent (NEWS_SEARCH_MAX_EXPANSIONS's default).
        f"expansion_limit = {MAX_EXPANSIONS}",
    ]))
    header = f"# searchd node {node.name!r} of the local cluster in {node.config.parent} ({__name__})\n"
    return header + "".join(f"\n{title}\n{{\n" + "".join(f"    {line}\n" for line in lines) + "}\n"
                            for title, lines in blocks)


def free_port(taken: set[int]) -> int:
    """A port that nothing on 127.0.0.1 listens on now and *taken* does not hold; added to *taken*."""
    while True:
        with socket.socket() as probe:
            probe.bind((HOST, 0))
            port = probe.getsockname()[1]
        if port not in taken:
            taken.add(port)
            return port


def plan_nodes(directory: Path, shards: int, mirrors: int, port: int | None = None) -> list[Node]:
    """The head and every data and mirror node, with ports from *port* upwards or, for ``None``, free ones.

    >>> [(node.name, node.indexes) for node in plan_nodes(Path("/srv/cluster"), 2, 1, port=9306)]
    [('head', ('passages',)), ('data0', ('shard0',)), ('data1', ('shard1',)), ('mirror0', ('shard0',))]
    >>> [(node.port, node.agent_port) for node in plan_nodes(Path("/srv/cluster"), 1, 0, port=9306)]
    [(9306, None), (9307, 9308)]
    """
    taken: set[int] = set()
    numbers = iter(range(port, port + 1 + 2 * (shards + mirrors))) if port is not None else None

    def next_port() -> int:
        return next(numbers) if numbers is not None else free_port(taken)

    nodes = [Node(HEAD, next_port(), None, directory / f"{HEAD}.conf", (HEAD_INDEX,))]
    for name, shard in [(f"data{i}", i) for i in range(shards)] + [(f"mirror{i}", i) for i in range(mirrors)]:
        nodes.append(Node(name, next_port(), next_port(), directory / f"{name}.conf", (f"shard{shard}",)))
    return nodes


def shards_of(nodes: list[Node]) -> tuple[Shard, ...]:
    """The shards the data and mirror nodes hold, each with its copies in node order (data node first).

    >>> [[copy.node for copy in shard.copies] for shard in shards_of(plan_nodes(Path("/srv"), 2, 1, 9306))]
    [['data0', 'mirror0'], ['data1']]
    """
    copies: dict[str, list[Copy]] = {}
    for node in nodes:
        for index in node.indexes if node.name != HEAD else ():
            copies.setdefault(index, []).append(Copy(node.name, node.address, node.agent or "", index))
    numbered = sorted((int(index.removeprefix("shard")), index) for index in copies)
    return tuple(Shard(number, index, tuple(copies[index])) for number, index in numbered)
