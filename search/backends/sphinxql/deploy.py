"""One export of an embedded index into a deployment: files, configuration, indexer, switch.

Steps (what `report-search sphinx-config` runs):
1. export the embedded index's current generation into a new generation folder `g<seq>`;
2. rewrite every node's sphinx.conf to hold the current generation and the new one (older ones
   are dropped: their files are removed at the end);
3. run indexer for each node's shard of the new generation — with `--rotate` when the node's
   searchd runs, which signals it to re-read its configuration and load the new indexes while it
   keeps answering from the current ones;
4. when searchd runs, wait until every node answers the new distributed index with every
   paragraph, then switch `sphinxql.json` to it (atomically): a search in flight finishes on the
   generation it started on, the next one uses the new generation; nothing fails in between.

An update is a re-export: its cost is a full export and a full indexer run (lawtext, 1,657
reports: 4.8 s + 6.0 s, see docs/sphinxql.md), and disk and searchd memory for two generations until
the next one. The generation before the current stays loaded until the next export's rotate, so a
request pinned to it (`SphinxBackend.pin`) finishes on it.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from .cluster import pid_of, reload, run_indexer, wait_served
from .config import (
    DEPLOY_FILE, Deployment, Generation, Timeouts, generation_folder, make_nodes, read_deployment, write_configs,
    write_deployment,
)
from .export import ExportSummary, export


class DeployError(RuntimeError):
    """The deployment cannot be written as asked (Chinese message)."""


@dataclass
class DeployResult:
    """What a deploy did and how long each step took."""

    deployment: Deployment
    export: ExportSummary
    indexer_seconds: list[float] = field(default_factory=list)
    rotated: bool = False
    switched: bool = False
    seconds: float = 0.0
    removed: list[str] = field(default_factory=list)


def deploy(
    index_dir: Path, out: Path, shards: int | None = None, host: str = "127.0.0.1", port_base: int = 19306,
    timeouts: Timeouts | None = None, build: bool = True, keep_sources: bool = False, wait: float = 300.0,
    flavor: str = "sphinx",
) -> DeployResult:
    """Export `index_dir` into the deployment folder `out` as its next generation (see the module docstring)."""
    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    path = out / DEPLOY_FILE
    if path.exists():
        dep = read_deployment(path)
        if shards is not None and shards != dep.shards:
            raise DeployError(
                f"{out} 已是 {dep.shards} 个分片的部署；改变分片数请写到新的文件夹（或先删除 {path}）"
            )
        if timeouts is not None:
            dep.timeouts = timeouts
    else:
        dep = Deployment(make_nodes(shards or 2, host, port_base), timeouts or Timeouts(), flavor=flavor)
    seq = max((g.seq for g in (dep.current, dep.previous) if g is not None), default=0) + 1
    gen_dir = out / f"g{seq}"
    if gen_dir.exists():
        shutil.rmtree(gen_dir)  # a half-written export of an earlier, failed run
    summary = export(index_dir, gen_dir, dep.shards, seq)
    if summary.documents < dep.shards:
        # indexer cannot build a shard from an empty source, and reports are never split
        shutil.rmtree(gen_dir, ignore_errors=True)
        raise DeployError(f"索引只有 {summary.documents} 篇报告，少于分片数 {dep.shards}：每个分片至少要有一篇报告，请减少分片数")
    new = Generation(seq, summary.source, summary.documents, summary.paragraphs, time.strftime("%Y-%m-%dT%H:%M:%S"))
    (gen_dir / "data").mkdir(exist_ok=True)
    serving = [g for g in (dep.current,) if g is not None]
    write_configs(out, dep, [*serving, new])
    result = DeployResult(dep, summary)
    running = [pid_of(out, node) is not None for node in dep.nodes]
    if build:
        for node, up in zip(dep.nodes, running):
            result.indexer_seconds.append(run_indexer(out, node, [dep.local(new, node.shard)], rotate=up))
        if not keep_sources:
            for shard in range(dep.shards):
                (gen_dir / f"shard-{shard}.tsv").unlink(missing_ok=True)
        result.rotated = any(running)
        if all(running):
            wait_served(dep, dep.index(new), new.paragraphs, timeout=wait)
        elif any(running):
            for node, up in zip(dep.nodes, running):
                if up:
                    reload(out, node)
    dep.previous, dep.current = dep.current, new
    dep.index_dir = str(Path(index_dir).resolve())
    write_deployment(path, dep)
    result.switched = True
    # generations no configuration names any more
    keep = {g.name for g in (dep.current, dep.previous) if g is not None}
    for folder in sorted(out.glob("g*")):
        if folder.is_dir() and folder.name[1:].isdigit() and folder.name not in keep:
            shutil.rmtree(folder, ignore_errors=True)
            result.removed.append(folder.name)
    result.seconds = time.perf_counter() - started
    return result


def generation_path(out: Path, generation: Generation) -> Path:
    """Where a generation's files are."""
    return generation_folder(out, generation)
