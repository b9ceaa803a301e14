"""A real two-node Sphinx cluster for the tests: exported from an embedded index, started on free
loopback ports in a temporary folder, stopped by its Popen handles (also when a test fails)."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from search.backends.sphinxql import cluster
from search.backends.sphinxql.config import DEPLOY_FILE, Deployment, Node, Timeouts, read_deployment
from search.backends.sphinxql.deploy import DeployResult, deploy

# Short agent timeouts so a paused shard is reported within a test's patience.
TEST_TIMEOUTS = Timeouts(connect=1.0, read=8.0, agent_connect_ms=500, agent_query_ms=1500)


@dataclass
class Cluster:
    """A deployment folder and the searchd processes serving it."""

    root: Path
    processes: dict[int, subprocess.Popen] = field(default_factory=dict)
    result: DeployResult | None = None

    @property
    def deployment(self) -> Deployment:
        return read_deployment(self.root / DEPLOY_FILE)

    def node(self, shard: int) -> Node:
        return self.deployment.nodes[shard]

    def start(self, shard: int | None = None) -> None:
        """Start one node (or every node not running)."""
        for node in self.deployment.nodes:
            if shard is not None and node.shard != shard:
                continue
            proc = self.processes.get(node.shard)
            if proc is None or proc.poll() is not None:
                self.processes[node.shard] = cluster.start(self.root, node, detach=False)

    def stop(self, shard: int | None = None) -> None:
        """Stop one node (or all)."""
        for s, proc in list(self.processes.items()):
            if shard is None or s == shard:
                cluster.stop_process(proc)
                del self.processes[s]

    def pause(self, shard: int) -> None:
        """Freeze a node (SIGSTOP): it accepts connections but answers nothing."""
        self.processes[shard].send_signal(__import__("signal").SIGSTOP)

    def resume(self, shard: int) -> None:
        """Let a paused node go on."""
        self.processes[shard].send_signal(__import__("signal").SIGCONT)

    def redeploy(self, index_dir: Path, **kw) -> DeployResult:  # noqa: ANN003
        """Export the index again into this deployment (indexer --rotate on the running nodes)."""
        self.result = deploy(index_dir, self.root, **kw)
        return self.result


@contextlib.contextmanager
def running_cluster(index_dir: Path, folder: Path, shards: int = 2, **kw) -> Iterator[Cluster]:  # noqa: ANN003
    """Export `index_dir` into `folder`, start every node, and stop them all on the way out."""
    ports = cluster.free_ports(2 * shards)
    if folder.exists():
        shutil.rmtree(folder)
    result = deploy(index_dir, folder, shards=shards, port_base=0, timeouts=kw.pop("timeouts", TEST_TIMEOUTS), **kw)
    # free ports need not be consecutive: write them into the deployment before the first start
    dep = result.deployment
    for node, (port, api) in zip(dep.nodes, zip(ports[::2], ports[1::2])):
        node.port, node.api_port = port, api
    from search.backends.sphinxql.config import write_configs, write_deployment

    write_configs(folder, dep, [dep.current])
    write_deployment(folder / DEPLOY_FILE, dep)
    running = Cluster(folder, result=result)
    try:
        running.start()
        yield running
    finally:
        running.stop()


def require_sphinx() -> None:
    """Skip, saying why, when Sphinx is not installed (`make sphinx` installs it)."""
    if not cluster.available():
        pytest.skip("Sphinx 未安装（searchd/indexer 不在 PATH 中）：运行 make sphinx 或 apt-get install sphinxsearch")


@pytest.fixture(scope="session")
def sample_cluster(sample_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """The sample index exported to a two-shard cluster, served by two searchd for the session."""
    require_sphinx()
    with running_cluster(sample_index, tmp_path_factory.mktemp("sphinx-sample") / "deploy") as running:
        yield running
