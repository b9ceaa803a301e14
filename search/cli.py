"""Command line: `report-search index | query | serve` (also `python -m search`)."""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from . import settings
from .backends.base import BackendError, IndexUnavailable
from .fields import FIELDS, KIND_LABELS, MODES, SORTS
from .highlight import marked
from .indexer import IndexBusy, build_index, default_index_dir
from .ingest.raw import IngestError
from .models import ReportResult, SearchRequest, SearchResult
from .serialize import reports_to_dict, result_to_dict
from .service import InvalidRequest

# C0/C1 control characters (escape sequences among them) found in indexed text never reach a terminal.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _safe(text: str) -> str:
    """Text with control characters (terminal escape sequences, bidi overrides) removed."""
    return _CONTROL.sub("", text)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"需要正整数：{text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"需要正整数：{text!r}")
    return value


def _column(text: str) -> tuple[str, str]:
    field, sep, column = text.partition("=")
    if not sep or not field.strip() or not column.strip():
        raise argparse.ArgumentTypeError(f"应写作 字段=列名，如 title=标题：{text!r}")
    return field.strip(), column.strip()


class _Location(argparse.Action):
    """--index/--backend: a folder — an index, or a SphinxQL deployment folder holding sphinxql.json.

    A URL (sphinxql://host:port/index) names no deployment: read as a folder it became
    "sphinxql:/host:port/index" and `index` silently built an embedded index there. Refused instead.
    """

    def __call__(self, parser, namespace, values, option_string=None):  # noqa: ANN001, ANN204
        text = str(values)
        if "://" in text:
            parser.exit(2, (
                f"错误：{option_string} 需要文件夹，不接受网址 {text}。要使用检索集群，请传入 "
                "report-search sphinx-config --out 写出的部署文件夹（其中有 sphinxql.json），例如 --backend deploy；"
                "集群各节点的地址记录在该文件里\n"
            ))
        setattr(namespace, self.dest, Path(text))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="report-search", description="政府工作报告全文检索")
    sub = parser.add_subparsers(dest="command", required=True)

    index = sub.add_parser("index", help="建立或更新索引")
    index.add_argument("paths", nargs="+", metavar="PATH", help="文件或文件夹（递归读取）")
    index.add_argument("--index", "--backend", dest="index", action=_Location, default=None,
                       help="索引文件夹（默认 index/ 或 $REPORT_SEARCH_INDEX）；也可以是检索集群的部署文件夹："
                            "更新它导出自的索引，再导出新版本并切换")
    index.add_argument("--rebuild", action="store_true", help="重新建立整个索引（建好后原子切换）")
    index.add_argument("--manifest", type=Path, default=None, help="元数据清单（CSV 或 JSON：文件 → 字段）")
    index.add_argument("--text-column", default=None, help="CSV/JSONL 数据集中正文所在的列名")
    index.add_argument("--column", action="append", default=[], type=_column, metavar="字段=列名",
                       help="CSV/JSONL 的元数据列，如 title=标题、province=省份（可重复）")
    index.add_argument("--quiet", action="store_true", help="不显示进度条")
    index.add_argument("--keep-duplicates", action="store_true", help="重复的报告也全部索引（用于基准测试）")
    index.add_argument("--workers", type=_positive_int, default=None, help="读取文件的进程数（默认 2）")
    index.add_argument("--no-reuse", action="store_true", help="本次不计算文本复用数据（复用页面将提示没有数据）")

    query = sub.add_parser("query", help="检索")
    query.add_argument("query", metavar="QUERY")
    query.add_argument("--index", "--backend", dest="index", action=_Location, default=None,
                       help="索引文件夹或检索集群的部署文件夹")
    for f in FIELDS:
        if f.facet or f.name == "county":
            query.add_argument(f"--{f.name}", action="append", default=[], help=f"{f.label}（可重复，取并集）")
    query.add_argument("--mode", choices=MODES, default="exact", help="exact：原样精确匹配（默认）；words：分词后各词都出现")
    query.add_argument("--sort", choices=SORTS, default="relevance")
    query.add_argument("--reports", action="store_true", help="按报告列出（每份报告的命中段数和最相关的一段）")
    query.add_argument("--page", type=_positive_int, default=1)
    query.add_argument("--per-page", type=_positive_int, default=10)
    query.add_argument("--json", action="store_true", help="输出 JSON")

    sign = sub.add_parser("sign", help="为确信可靠的索引（如从别处复制来的）重新签名")
    sign.add_argument("--index", type=Path, default=None)

    serve = sub.add_parser("serve", help="启动网页界面")
    serve.add_argument("--index", "--backend", dest="index", action=_Location, default=None,
                       help="索引文件夹或检索集群的部署文件夹")
    serve.add_argument("--host", default="127.0.0.1", help="监听地址（默认只在本机 127.0.0.1）")
    serve.add_argument("--allow-remote", action="store_true", help="允许监听本机以外的地址（如 0.0.0.0）")
    serve.add_argument("--port", type=int, default=5000)
    serve.add_argument("--threads", type=_positive_int, default=None,
                       help=f"处理请求的线程数（默认 {settings.get('threads')}）")
    serve.add_argument("--base-url", default=None,
                       help="对外的网址，引用、复制链接和导出中的绝对链接都用它（默认 http://监听地址:端口）")
    serve.add_argument("--allowed-hosts", default=None,
                       help="允许的 Host 名，逗号分隔；“.example.org”含子域名（默认：监听地址、localhost、127.0.0.1 和 --base-url 的主机）")
    serve.add_argument("--trusted-proxy", default=None,
                       help="反向代理的地址（如 127.0.0.1）：只信任它发来的 X-Forwarded-For/Proto 作为客户端地址")
    serve.add_argument("--connection-limit", type=_positive_int, default=None,
                       help=f"同时保持的连接数上限（默认 {settings.get('connection_limit')}）")
    serve.add_argument("--channel-timeout", type=_positive_int, default=None,
                       help=f"空闲或不读取数据的连接保持的秒数（默认 {settings.get('channel_timeout')}）")

    from .backends.sphinxql.cli import add_parsers as add_sphinx_parsers

    add_sphinx_parsers(sub)
    return parser


def _index(args: argparse.Namespace) -> int:
    from .backends.sphinxql.cli import deployment_source, redeploy

    columns = dict(args.column)
    if args.text_column:
        columns["text"] = args.text_column
    target = args.index or default_index_dir()
    try:
        source = deployment_source(target)  # a SphinxQL deployment: update its embedded source, then export
    except ValueError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    try:
        summary = build_index(
            args.paths, source or target, manifest=args.manifest, progress=False if args.quiet else None,
            rebuild=args.rebuild, columns=columns or None, keep_duplicates=args.keep_duplicates,
            workers=args.workers, reuse=not args.no_reuse,
        )
    except IngestError as exc:
        print(f"错误：{exc.reason}", file=sys.stderr)
        return 2
    except IndexBusy as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    print(f"索引：{summary.index_dir}（{summary.generation}）")
    print(f"文件 {summary.files} 个：新增 {summary.added}，更新 {summary.updated}，删除 {summary.removed}，"
          f"未变 {summary.unchanged}；本次读入 {summary.characters} 字，用时 {summary.seconds:.1f} 秒")
    print(f"索引现有文档 {summary.documents} 篇，段落 {summary.paragraphs} 段")
    if summary.duplicates:
        print(f"重复的副本 {len(summary.duplicates)} 份，只保留一份：")
        for item in summary.duplicates:
            print(_safe(f"  未索引 {item.dropped}（保留 {item.kept}）：{item.reason}"))
    if summary.conflicts:
        print(f"元数据与正文不符并已按正文处理 {len(summary.conflicts)} 处：")
        for item in summary.conflicts:
            print(_safe(f"  {item.path}：{item.reason}"))
    if summary.short_paragraphs:
        common = "、".join(f"“{t}”×{n}" for t, n in summary.short_examples[:8])
        print(_safe(f"少于 8 个字的段落 {summary.short_paragraphs} 段（最常见：{common}）"))
    if summary.skipped:
        print(f"跳过 {len(summary.skipped)} 个文件：")
        for item in summary.skipped:
            print(_safe(f"  {item.path}：{item.reason}"))
    return redeploy(source, target) if source is not None else 0


def _query(args: argparse.Namespace) -> int:
    filters = {f.name: tuple(getattr(args, f.name)) for f in FIELDS if getattr(args, f.name, None)}
    if args.per_page > settings.get("max_per_page"):
        print(f"错误：--per-page 不能超过 {settings.get('max_per_page')}", file=sys.stderr)
        return 2
    request = SearchRequest.make(
        q=args.query, filters=filters, mode=args.mode, sort=args.sort, page=args.page, per_page=args.per_page,
    )
    try:
        searcher = search_open(args.index or default_index_dir())
        result = searcher.reports(request) if args.reports else searcher.search(request)
    except BackendError as exc:  # IndexUnavailable, or a cluster's shard down or slow
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    except InvalidRequest as exc:
        print(f"错误：{exc.message}", file=sys.stderr)
        return 2
    if args.json:
        data = reports_to_dict(result) if args.reports else result_to_dict(result)
        # JSON escapes C0 controls itself; C1 controls and bidi overrides would reach the terminal raw.
        text = json.dumps(data, ensure_ascii=False, indent=1)
        print(_CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text))
    elif args.reports:
        _print_reports(result, color=sys.stdout.isatty())
    else:
        _print_result(result, color=sys.stdout.isatty())
    return 0


def search_open(location: Path):  # noqa: ANN201 - a Searcher
    """Open an index (kept apart so the CLI's imports stay light)."""
    from . import open_index

    return open_index(location)


def _marks(color: bool) -> tuple[str, str]:
    return ("\033[1;33m", "\033[0m") if color else ("【", "】")


def _place(doc) -> str:  # noqa: ANN001 - a Document
    return " ".join(dict.fromkeys(x for x in (doc.province, doc.city, doc.county) if x)) or doc.level


def _print_info(result: SearchResult | ReportResult) -> None:
    info = result.query
    if info.terms:
        how = "；".join(
            f"“{t.text}”{'（原样）' if t.exact else '（分词：' + ' / '.join(t.words) + '）'}" for t in info.terms
        )
        print(_safe(f"检索词：{how}"))
    if info.loose:
        print(f"另有 {info.loose} 段含全部分词但不含原样字符串（--mode words 可查看）")
    for suggestion in info.suggestions:
        print(_safe(f"建议：{suggestion.text}（{suggestion.count} 段）"))
    for message in info.messages:
        print(_safe(f"提示：{message}"))


def _print_result(result: SearchResult, color: bool) -> None:
    open_mark, close_mark = _marks(color)
    print(f"共 {result.total} 段，来自 {result.documents} 份报告，第 {result.request.page}/{result.pages} 页"
          f"，{result.elapsed_ms:.0f} 毫秒")
    _print_info(result)
    for i, hit in enumerate(result.hits, (result.request.page - 1) * result.request.per_page + 1):
        doc = hit.document
        kind = "" if hit.kind == "paragraph" else f"［{KIND_LABELS.get(hit.kind, hit.kind)}］"
        print(_safe(f"\n{i}. {doc.title}（{_place(doc)}，{doc.year or '年份不详'}）/p/{hit.id}"))
        if hit.section:
            print(_safe(f"   {' › '.join(hit.section)}"))
        print("   " + kind + marked(hit.text, hit.spans, open_mark, close_mark, escape=_safe))


def _print_reports(result: ReportResult, color: bool) -> None:
    open_mark, close_mark = _marks(color)
    print(f"共 {result.total} 份报告，{result.paragraphs} 段，第 {result.request.page}/{result.pages} 页")
    _print_info(result)
    for i, report in enumerate(result.reports, (result.request.page - 1) * result.request.per_page + 1):
        doc = report.document
        print(_safe(f"\n{i}. {doc.title}（{_place(doc)}，{doc.year or '年份不详'}）{report.count} 段 /doc/{doc.doc_id}"))
        print("   " + marked(report.best.text, report.best.spans, open_mark, close_mark, escape=_safe))


def _sign(args: argparse.Namespace) -> int:
    from .backends.embedded import generation, signing
    from .backends.embedded.doctable import WHOOSH_DIR

    index_dir = args.index or default_index_dir()
    path = generation.current_generation(index_dir)
    if path is None:
        print(f"错误：{index_dir} 中没有建好的索引", file=sys.stderr)
        return 2
    signing.sign(path, WHOOSH_DIR)
    print(f"已用本机密钥（{signing.key_path()}）为 {path} 签名")
    return 0


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host == "localhost"


def _serve_options(args: argparse.Namespace) -> tuple[str, list[str], dict]:
    """(base URL, allowed hosts, waitress settings) from the options and search.settings."""
    from urllib.parse import urlsplit

    shown = f"[{args.host}]" if ":" in args.host else args.host
    base_url = (args.base_url or f"http://{shown}:{args.port}").rstrip("/")
    if urlsplit(base_url).scheme not in ("http", "https") or not urlsplit(base_url).hostname:
        raise ValueError(f"--base-url 必须是 http(s) 网址：{base_url}")
    if args.allowed_hosts:
        hosts = [h.strip() for h in args.allowed_hosts.split(",") if h.strip()]
    else:
        hosts = list(dict.fromkeys([args.host, "localhost", "127.0.0.1", "::1", urlsplit(base_url).hostname or ""]))
    threads = args.threads or int(settings.get("threads"))
    waitress = {
        "threads": threads,
        # Idle, slow and non-reading clients cost a socket each in waitress's event loop, never a
        # thread: the limit is the number of sockets, far above the threads; channel_timeout drops
        # an idle connection (one that stops reading an answer is the export gate's, web/export.py).
        "connection_limit": args.connection_limit or int(settings.get("connection_limit")),
        "channel_timeout": args.channel_timeout or int(settings.get("channel_timeout")),
        "cleanup_interval": 5,  # how often channel_timeout is checked
        "asyncore_use_poll": True,  # select() cannot watch more than 1024 sockets
        "backlog": 2048,
        "max_request_header_size": 64 * 1024,  # URLs are at most a few KB; a larger header is abuse
        "max_request_body_size": 64 * 1024,  # only GET is served
        "ident": "report-search",
        "clear_untrusted_proxy_headers": True,
    }
    if args.trusted_proxy:
        waitress.update(trusted_proxy=args.trusted_proxy, trusted_proxy_count=1,
                        trusted_proxy_headers={"x-forwarded-for", "x-forwarded-proto"})
    return base_url, hosts, waitress


def _raise_open_files(wanted: int) -> None:
    """Let the process hold `wanted` sockets and files (the soft limit is often 1024)."""
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        if soft != resource.RLIM_INFINITY and soft < target:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ImportError, ValueError, OSError):
        pass


def _limit_malloc_arenas(arenas: int = 2) -> None:
    """Two glibc heap arenas for the server's threads, unless MALLOC_ARENA_MAX says otherwise.

    Each of waitress's threads otherwise gets an arena of its own, and the answers built in them leave
    each one fragmented: over 20 generation swaps of lawtext under load the anonymous memory swung
    between 217 and 361 MB (RSS up to 1.68× the first in one run); with two arenas 172–261 MB (1.23×).
    """
    if os.environ.get("MALLOC_ARENA_MAX"):
        return
    try:
        import ctypes

        ctypes.CDLL(None).mallopt(-8, arenas)  # M_ARENA_MAX
    except (OSError, AttributeError):  # not glibc
        pass


def _serve(args: argparse.Namespace) -> int:
    # The web layer is imported here only: the library itself never imports Flask.
    from waitress import serve

    _limit_malloc_arenas()  # before any thread is started

    from web import create_app

    if not _is_loopback(args.host) and not args.allow_remote:
        print(f"错误：--host {args.host} 会让其他机器访问本服务；确需如此请同时加上 --allow-remote", file=sys.stderr)
        return 2
    try:
        base_url, hosts, options = _serve_options(args)
    except ValueError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    index_dir = args.index or default_index_dir()
    try:
        app = create_app({"INDEX_DIR": str(index_dir), "BASE_URL": base_url, "ALLOWED_HOSTS": hosts})
    except IndexUnavailable as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    _raise_open_files(options["connection_limit"] + 256)
    print(f"在 http://{args.host}:{args.port}/ 提供检索（索引 {index_dir}；对外网址 {base_url}；"
          f"允许的主机 {', '.join(hosts)}），按 Ctrl+C 停止", flush=True)
    serve(app, host=args.host, port=args.port, **options)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `report-search` console script."""
    args = _parser().parse_args(argv)
    from .backends.sphinxql.cli import HANDLERS as SPHINX_HANDLERS

    handler = {"index": _index, "query": _query, "serve": _serve, "sign": _sign, **SPHINX_HANDLERS}[args.command]
    return handler(args)
