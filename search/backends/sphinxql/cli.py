"""The `sphinx-*` subcommands: export a deployment, start/stop its local searchd nodes, show its state.

    report-search sphinx-config --index INDEXDIR --out DEPLOYDIR --shards N [--port-base 19306]
    report-search sphinx-start  --out DEPLOYDIR
    report-search sphinx-stop   --out DEPLOYDIR
    report-search sphinx-status --out DEPLOYDIR

`search/cli.py` only adds these parsers and handlers; everything they do lives here.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """Add the sphinx-* subcommands to report-search's parser."""
    config = sub.add_parser("sphinx-config", help="把索引导出为 Sphinx/Manticore 分布式检索集群（配置、数据、建索引）")
    config.add_argument("--index", type=Path, default=None, help="要导出的索引文件夹（默认 index/）")
    config.add_argument("--out", type=Path, required=True, help="部署文件夹（写入 sphinxql.json、各节点配置与数据）")
    config.add_argument("--shards", type=int, default=None, help="分片数（新部署默认 2；已有部署沿用原值）")
    config.add_argument("--host", default="127.0.0.1", help="各节点监听的地址（默认 127.0.0.1）")
    config.add_argument("--port-base", type=int, default=19306,
                        help="第 i 个节点监听 port-base+2i（SphinxQL）与 port-base+2i+1（分片间通信）")
    config.add_argument("--flavor", choices=("sphinx", "manticore"), default="sphinx",
                        help="配置写给 Sphinx 2.2（默认，已测试）还是 Manticore（plain 模式）")
    config.add_argument("--no-build", action="store_true", help="只写配置与 TSV，不运行 indexer")
    config.add_argument("--keep-sources", action="store_true", help="建好索引后保留各分片的 TSV")
    for name, helptext in (("sphinx-start", "启动部署中的各 searchd 节点"), ("sphinx-stop", "停止部署中的各 searchd 节点"),
                           ("sphinx-status", "显示部署的版本与各节点状态")):
        cmd = sub.add_parser(name, help=helptext)
        cmd.add_argument("--out", type=Path, required=True, help="部署文件夹")


def deployment_source(out: Path) -> Path | None:
    """The embedded index a deployment folder is exported from; None when `out` is not a deployment.

    Raises ValueError (with a message for the user) for a deployment that does not record it.
    """
    from .config import DEPLOY_FILE, read_deployment

    path = out / DEPLOY_FILE
    if not path.is_file():
        return None
    try:
        dep = read_deployment(path)
    except (OSError, ValueError, KeyError) as exc:
        raise ValueError(f"{out} 的 {DEPLOY_FILE} 无法读取（{exc}）") from None
    if not dep.index_dir:
        raise ValueError(f"{out} 没有记录它导出自哪个索引：请先更新那个索引，再运行 "
                         f"report-search sphinx-config --index 索引文件夹 --out {out}")
    return Path(dep.index_dir)


def redeploy(index_dir: Path, out: Path, **options) -> int:  # noqa: ANN003 - deploy()'s options
    """Export `index_dir` into the deployment `out` (again, after `index` updated it); print what happened."""
    from ..base import IndexUnavailable
    from .cluster import ClusterError
    from .deploy import DeployError, deploy

    try:
        result = deploy(index_dir, out, **options)
    except (DeployError, ClusterError, IndexUnavailable) as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    _print_deploy(result, out, built=options.get("build", True))
    return 0


def _config(args: argparse.Namespace) -> int:
    from ...indexer import default_index_dir

    if args.shards is not None and not 1 <= args.shards <= 64:
        print("错误：--shards 应在 1 到 64 之间", file=sys.stderr)
        return 2
    return redeploy(
        args.index or default_index_dir(), args.out, shards=args.shards, host=args.host,
        port_base=args.port_base, build=not args.no_build, keep_sources=args.keep_sources or args.no_build,
        flavor=args.flavor,
    )


def _print_deploy(result, out: Path, built: bool = True) -> None:  # noqa: ANN001 - a DeployResult
    """What an export did: generation, shards, times, nodes, whether the running nodes switched."""
    dep, ex = result.deployment, result.export
    print(f"部署：{out}（第 {dep.current.seq} 版，导出自 {ex.source}）")
    print(f"文档 {ex.documents} 篇，段落 {ex.paragraphs} 段，分为 {dep.shards} 个分片："
          + "、".join(f"分片 {i} {n} 段" for i, n in enumerate(ex.shard_paragraphs)))
    print(f"导出 {ex.seconds:.1f} 秒" + (f"，indexer {sum(result.indexer_seconds):.1f} 秒" if result.indexer_seconds else "，未运行 indexer"))
    for node in dep.nodes:
        print(f"  节点 {node.shard}：SphinxQL {node.address}，分片间 {node.host}:{node.api_port}，配置 {out}/node-{node.shard}/sphinx.conf")
    if result.rotated:
        print("已通知运行中的 searchd 载入新版本，sphinxql.json 已切换")
    elif built:
        print(f"searchd 未运行：用 report-search sphinx-start --out {out} 启动")


def _start(args: argparse.Namespace) -> int:
    from .cluster import ClusterError, pid_of, start
    from .config import DEPLOY_FILE, read_deployment

    try:
        dep = read_deployment(args.out / DEPLOY_FILE)
    except (OSError, ValueError, KeyError) as exc:
        print(f"错误：{args.out} 不是检索集群的部署文件夹（{exc}）", file=sys.stderr)
        return 2
    for node in dep.nodes:
        if pid_of(args.out, node) is not None:
            print(f"节点 {node.shard} 已在运行（{node.address}）")
            continue
        try:
            start(args.out, node, detach=True)
        except ClusterError as exc:
            print(f"错误：{exc}", file=sys.stderr)
            return 2
        print(f"节点 {node.shard} 已启动：{node.address}")
    return 0


def _stop(args: argparse.Namespace) -> int:
    from .cluster import stop
    from .config import DEPLOY_FILE, read_deployment

    try:
        dep = read_deployment(args.out / DEPLOY_FILE)
    except (OSError, ValueError, KeyError) as exc:
        print(f"错误：{args.out} 不是检索集群的部署文件夹（{exc}）", file=sys.stderr)
        return 2
    for node in dep.nodes:
        print(f"节点 {node.shard}：{'已停止' if stop(args.out, node) else '本来就没有运行'}")
    return 0


def _status(args: argparse.Namespace) -> int:
    from .cluster import listening, pid_of
    from .config import DEPLOY_FILE, read_deployment

    try:
        dep = read_deployment(args.out / DEPLOY_FILE)
    except (OSError, ValueError, KeyError) as exc:
        print(f"错误：{args.out} 不是检索集群的部署文件夹（{exc}）", file=sys.stderr)
        return 2
    gen = dep.current
    print(f"部署：{args.out}，{dep.shards} 个分片" + (f"，第 {gen.seq} 版（{gen.documents} 篇，{gen.paragraphs} 段，{gen.built}）" if gen else "，尚无数据"))
    for node in dep.nodes:
        up = listening(node.host, node.port)
        pid = pid_of(args.out, node)
        print(f"  节点 {node.shard}（{node.address}）：{'在线' if up else '离线'}" + (f"，pid {pid}" if pid else ""))
    return 0


HANDLERS = {"sphinx-config": _config, "sphinx-start": _start, "sphinx-stop": _stop, "sphinx-status": _status}
