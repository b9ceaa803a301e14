"""The searchd/indexer configuration of each node of a deployment, and the deployment file.

A deployment of N shards has N nodes; node i serves shard i as a plain local index and a
distributed index whose `local` is its own shard and whose `agent` lines name every other shard,
so any node can answer a whole query (the backend fails over to the next node when one is down).
Every generation has its own index names (`para_g<seq>_s<shard>`, `para_g<seq>`): an export adds
the new generation beside the current one, searchd loads it on SIGHUP, and only then does
`sphinxql.json` switch to it — queries never see one shard of a generation and another of the next.

Index settings (see `charmap` for why): one token per character (`ngram_len = 1`, every character
in `ngram_chars`), `dict = keywords`, `min_word_len = 1`, no stopwords, word forms or morphology.
"""

from __future__ import annotations

import json
import os
import shlex
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .charmap import CHARSET_TABLE, NGRAM_CHARS
from .export import ATTRIBUTES

DEPLOY_FILE = "sphinxql.json"
CONFIG_FILE = "sphinx.conf"
FORMAT = 1
PREFIX = "para"


@dataclass
class Node:
    """One searchd: where it listens (SphinxQL and the binary protocol agents use) and its shard."""

    shard: int
    host: str
    port: int  # mysql41 (SphinxQL)
    api_port: int  # sphinx binary protocol, for the other nodes' agent lines

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass
class Timeouts:
    """Connect/read timeouts of the client and of the distributed index's agents."""

    connect: float = 2.0  # seconds, client → node
    read: float = 15.0  # seconds, client waiting for an answer (above agent_query)
    agent_connect_ms: int = 1000
    agent_query_ms: int = 5000


@dataclass
class Generation:
    """One exported generation as the deployment file records it."""

    seq: int
    source: str  # the embedded generation it was exported from
    documents: int
    paragraphs: int
    built: str

    @property
    def name(self) -> str:
        return f"g{self.seq}"


@dataclass
class Deployment:
    """The contents of `sphinxql.json`: nodes, timeouts, the current and previous generation."""

    nodes: list[Node]
    timeouts: Timeouts = field(default_factory=Timeouts)
    current: Generation | None = None
    previous: Generation | None = None
    prefix: str = PREFIX
    format: int = FORMAT
    flavor: str = "sphinx"  # "sphinx" (2.2, tested) or "manticore" (plain mode; see docs/sphinxql.md)
    # The embedded index folder the generations are exported from, so `index PATH --index DEPLOY` can
    # update it and export again ("" in deployments written before it was recorded).
    index_dir: str = ""

    @property
    def shards(self) -> int:
        return len(self.nodes)

    def index(self, generation: Generation) -> str:
        """The distributed index of a generation."""
        return f"{self.prefix}_{generation.name}"

    def local(self, generation: Generation, shard: int) -> str:
        """The plain index of one shard of a generation."""
        return f"{self.prefix}_{generation.name}_s{shard}"

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=1)

    @classmethod
    def from_json(cls, text: str) -> "Deployment":
        data = json.loads(text)
        gen = (lambda g: Generation(**g) if g else None)
        return cls(
            nodes=[Node(**n) for n in data["nodes"]], timeouts=Timeouts(**data.get("timeouts", {})),
            current=gen(data.get("current")), previous=gen(data.get("previous")),
            prefix=data.get("prefix", PREFIX), format=data.get("format", FORMAT),
            flavor=data.get("flavor", "sphinx"), index_dir=data.get("index_dir", ""),
        )


def read_deployment(path: Path) -> Deployment:
    """The deployment file (raises OSError/ValueError/KeyError when missing or broken)."""
    return Deployment.from_json(path.read_text(encoding="utf-8"))


def write_deployment(path: Path, deployment: Deployment) -> None:
    """Replace the deployment file atomically (readers see the old or the new one, never half)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(deployment.to_json(), encoding="utf-8")
    os.replace(tmp, path)


def node_folder(root: Path, node: Node) -> Path:
    """The folder of a node's configuration, logs and pid file."""
    return root / f"node-{node.shard}"


def generation_folder(root: Path, generation: Generation) -> Path:
    """The folder of a generation's sources and index files."""
    return root / generation.name


def _source_and_index(root: Path, dep: Deployment, gen: Generation, shard: int) -> str:
    name = dep.local(gen, shard)
    # Manticore removed `docinfo` (attributes are always external there)
    docinfo = "    docinfo = extern\n" if dep.flavor == "sphinx" else ""
    folder = generation_folder(root, gen).resolve()
    attrs = "\n".join(f"    tsvpipe_attr_{kind} = {attr}" for attr, kind in ATTRIBUTES)
    return f"""
source {name}
{{
    type = tsvpipe
    tsvpipe_command = cat {shlex.quote(str(folder / f"shard-{shard}.tsv"))}
    tsvpipe_field = text
{attrs}
}}

index {name}
{{
    type = plain
    source = {name}
    path = {folder / "data" / name}
{docinfo}    dict = keywords
    min_word_len = 1
    # one token per character, every character (see search/backends/sphinxql/charmap.py)
    ngram_len = 1
    ngram_chars = {NGRAM_CHARS}
    charset_table = {CHARSET_TABLE}
    html_strip = 0
}}
"""


def _distributed(dep: Deployment, gen: Generation, node: Node) -> str:
    agents = "\n".join(
        f"    agent = {other.host}:{other.api_port}:{dep.local(gen, other.shard)}"
        for other in dep.nodes if other.shard != node.shard
    )
    return f"""
index {dep.index(gen)}
{{
    type = distributed
    local = {dep.local(gen, node.shard)}
{agents}
    agent_connect_timeout = {dep.timeouts.agent_connect_ms}
    agent_query_timeout = {dep.timeouts.agent_query_ms}
}}
"""


def node_config(root: Path, dep: Deployment, node: Node, generations: list[Generation]) -> str:
    """The sphinx.conf of one node serving these generations."""
    folder = node_folder(root, node).resolve()
    parts = [f"# written by `report-search sphinx-config`; node {node.shard} of {dep.shards}\n"]
    for gen in generations:
        parts.append(_source_and_index(root, dep, gen, node.shard))
        parts.append(_distributed(dep, gen, node))
    # options Manticore removed (it always runs a thread pool and keeps its own defaults here)
    sphinx_only = (
        "    workers = threads\n    max_children = 64\n    preopen_indexes = 1\n    unlink_old = 1\n"
        if dep.flavor == "sphinx" else ""
    )
    protocol = "mysql41" if dep.flavor == "sphinx" else "mysql"
    parts.append(f"""
indexer
{{
    mem_limit = 256M
}}

searchd
{{
    listen = {node.host}:{node.port}:{protocol}
    listen = {node.host}:{node.api_port}
    log = {folder / "searchd.log"}
    query_log = {folder / "query.log"}
    pid_file = {folder / "searchd.pid"}
    binlog_path =
    # one process: a supervisor (systemd, the test fixture) restarts it, not a forked watchdog
    watchdog = 0
    seamless_rotate = 1
{sphinx_only}    read_timeout = 5
    client_timeout = 300
    max_packet_size = 32M
    # a document filter lists up to every doc code (doc IN (…)); the default 4096 would refuse it
    max_filter_values = 1048576
}}
""")
    return "".join(parts)


def write_configs(root: Path, dep: Deployment, generations: list[Generation]) -> list[Path]:
    """Write every node's sphinx.conf (atomically) for these generations; returns their paths."""
    paths = []
    for node in dep.nodes:
        folder = node_folder(root, node)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / CONFIG_FILE
        tmp = folder / f".{CONFIG_FILE}.{os.getpid()}"
        tmp.write_text(node_config(root, dep, node, generations), encoding="utf-8")
        os.replace(tmp, path)
        paths.append(path)
    return paths


def make_nodes(shards: int, host: str, port_base: int) -> list[Node]:
    """N nodes on one host: node i listens on port_base + 2i (SphinxQL) and the next port (agents)."""
    return [Node(i, host, port_base + 2 * i, port_base + 2 * i + 1) for i in range(shards)]
