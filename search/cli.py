"""Command line: `report-search index | query | serve` (also `python -m search`)."""

from __future__ import annotations

import argparse
import ipaddress
import json
import re
import sys
from collections.abc import Sequence
from html import unescape
from pathlib import Path

from .indexer import IndexBusy, build_index, default_index_dir
from .ingest.raw import IngestError
from .models import SearchRequest, SearchResult
from .searcher import MAX_PER_PAGE, IndexUnavailable, InvalidRequest, open_index
from .serialize import result_to_dict


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


def _year(text: str) -> str:
    if not re.fullmatch(r"\d{4}(-\d{4})?", text.strip()):
        raise argparse.ArgumentTypeError(f"年份应写作 2024 或 2020-2024：{text!r}")
    return text.strip()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="report-search", description="政府工作报告全文检索")
    sub = parser.add_subparsers(dest="command", required=True)

    index = sub.add_parser("index", help="建立或更新索引")
    index.add_argument("paths", nargs="+", metavar="PATH", help="文件或文件夹（递归读取）")
    index.add_argument("--index", type=Path, default=None, help="索引文件夹（默认 index/ 或 $REPORT_SEARCH_INDEX）")
    index.add_argument("--rebuild", action="store_true", help="重新建立整个索引（建好后原子切换）")
    index.add_argument("--manifest", type=Path, default=None, help="元数据清单（CSV 或 JSON：文件 → 字段）")
    index.add_argument("--text-column", default=None, help="CSV/JSONL 数据集中正文所在的列名")
    index.add_argument("--column", action="append", default=[], type=_column, metavar="字段=列名",
                       help="CSV/JSONL 的元数据列，如 title=标题、province=省份（可重复）")
    index.add_argument("--quiet", action="store_true", help="不显示进度条")

    query = sub.add_parser("query", help="检索")
    query.add_argument("query", metavar="QUERY")
    query.add_argument("--index", type=Path, default=None)
    query.add_argument("--province", action="append", default=[], help="省份（可重复，取并集）")
    query.add_argument("--level", action="append", default=[], help="级别（可重复，取并集）")
    query.add_argument("--year", type=_year, default=None, help="年份，如 2024 或 2020-2024")
    query.add_argument("--page", type=_positive_int, default=1)
    query.add_argument("--per-page", type=_positive_int, default=10)
    query.add_argument("--json", action="store_true", help="输出 JSON")

    serve = sub.add_parser("serve", help="启动网页界面")
    serve.add_argument("--index", type=Path, default=None)
    serve.add_argument("--host", default="127.0.0.1", help="监听地址（默认只在本机 127.0.0.1）")
    serve.add_argument("--allow-remote", action="store_true", help="允许监听本机以外的地址（如 0.0.0.0）")
    serve.add_argument("--port", type=int, default=5000)
    serve.add_argument("--threads", type=int, default=8)
    return parser


def _index(args: argparse.Namespace) -> int:
    columns = dict(args.column)
    if args.text_column:
        columns["text"] = args.text_column
    try:
        summary = build_index(
            args.paths, args.index, manifest=args.manifest, progress=False if args.quiet else None,
            rebuild=args.rebuild, columns=columns or None,
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
        print(f"重复的副本 {len(summary.duplicates)} 份，未再索引：")
        for item in summary.duplicates:
            print(f"  {item.path}：{item.reason}")
    if summary.skipped:
        print(f"跳过 {len(summary.skipped)} 个文件：")
        for item in summary.skipped:
            print(f"  {item.path}：{item.reason}")
    return 0


def _query(args: argparse.Namespace) -> int:
    filters: dict[str, tuple[str, ...]] = {}
    if args.province:
        filters["province"] = tuple(args.province)
    if args.level:
        filters["level"] = tuple(args.level)
    q = args.query
    if args.year:
        q = f"{q} year:{args.year}"
    if args.per_page > MAX_PER_PAGE:
        print(f"错误：--per-page 不能超过 {MAX_PER_PAGE}", file=sys.stderr)
        return 2
    try:
        searcher = open_index(args.index or default_index_dir())
        result = searcher.search(SearchRequest(q=q, filters=filters, page=args.page, per_page=args.per_page))
    except IndexUnavailable as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    except InvalidRequest as exc:
        print(f"错误：{exc.message}", file=sys.stderr)
        return 2
    if args.json:
        json.dump(result_to_dict(result), sys.stdout, ensure_ascii=False, indent=1)
        print()
    else:
        _print_result(result, color=sys.stdout.isatty())
    return 0


def _print_result(result: SearchResult, color: bool) -> None:
    open_mark, close_mark = ("\033[1;33m", "\033[0m") if color else ("【", "】")
    info = result.query
    print(f"共 {result.total} 段（{result.documents} 篇文档），第 {result.request.page}/{result.pages} 页"
          f"，{result.elapsed_ms:.0f} 毫秒")
    if info.terms:
        words = "；".join(" / ".join(seg) for seg in info.segmentation)
        print(f"检索词：{'、'.join(info.terms)}（精确短语：{'、'.join(info.phrases) or '无'}；分词：{words}）")
    for message in info.messages:
        print(f"提示：{message}")
    for i, hit in enumerate(result.hits, (result.request.page - 1) * result.request.per_page + 1):
        place = " ".join(x for x in (hit.province, hit.city, hit.level) if x)
        print(f"\n{i}. {hit.title}（{place}，{hit.year or '年份不详'}）{hit.url}")
        if hit.section:
            print(f"   {hit.section}")
        text = re.sub(r"</?mark>", lambda m: close_mark if m.group(0) == "</mark>" else open_mark, hit.highlight)
        print(f"   {unescape(text)}")


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host == "localhost"


def _serve(args: argparse.Namespace) -> int:
    # The web layer is imported here only: the library itself never imports Flask.
    from waitress import serve

    from web import create_app

    if not _is_loopback(args.host) and not args.allow_remote:
        print(f"错误：--host {args.host} 会让其他机器访问本服务；确需如此请同时加上 --allow-remote", file=sys.stderr)
        return 2
    index_dir = args.index or default_index_dir()
    try:
        app = create_app({"INDEX_DIR": str(index_dir)})
    except IndexUnavailable as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    print(f"在 http://{args.host}:{args.port}/ 提供检索（索引 {index_dir}），按 Ctrl+C 停止", flush=True)
    serve(app, host=args.host, port=args.port, threads=args.threads, ident="report-search")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `report-search` console script."""
    args = _parser().parse_args(argv)
    handler = {"index": _index, "query": _query, "serve": _serve}[args.command]
    return handler(args)
