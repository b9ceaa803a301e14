"""Every limit of report-search in one table: name, default, and what it bounds.

The README's "Settings" section lists them all (a test checks it). Library code reads `get(name)`;
a deployment may override any of them with an environment variable REPORT_SEARCH_<NAME> (upper case).
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Setting:
    """One limit."""

    name: str
    default: int | float
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("per_page", 20, "每页条数（默认）"),
    Setting("max_per_page", 100, "每页条数上限"),
    Setting("max_page", 100_000, "页码上限"),
    Setting("max_q_chars", 1000, "网页接受的检索式长度上限（字符）；超过的请求被拒绝"),
    Setting("query_chars", 500, "检索式解析的字符上限；超过的部分忽略并提示"),
    Setting("max_terms", 32, "一个检索式最多的检索词数"),
    Setting("max_depth", 12, "括号嵌套层数上限"),
    Setting("max_facet_values", 50, "每个筛选项最多选择的值数"),
    Setting("answer_cache", 256, "每个索引版本缓存的完整回答数"),
    Setting("count_cache", 128, "每个索引版本缓存的逐文档计数数组数"),
    Setting("suggest_chars", 20, "检索词超过这个长度时不再计算纠错与可找到的最长片段"),
    Setting("export_workers", 4, "同时进行的导出数（全服务器）"),
    Setting("exports_per_client", 2, "同一客户端同时进行的导出数"),
    Setting("connection_limit", 1000, "服务器同时保持的连接数上限（waitress connection_limit）"),
    Setting("channel_timeout", 30, "空闲或发送过慢的连接保持的秒数（waitress channel_timeout）"),
    Setting("threads", 8, "处理请求的线程数"),
    Setting("build_workers", 2, "建索引时读取文件的进程数"),
    Setting("file_timeout", 120, "读取单个文件的时间上限（秒），超过则跳过该文件"),
    Setting("worker_memory_mb", 3072, "读取进程在读取一批文件时可额外使用的内存上限（MB）"),
    Setting("max_file_mb", 64, "单个文件大小上限（MB）"),
    Setting("kwic_page", 100, "语境索引每页行数"),
    Setting("kwic_paragraphs", 10_000, "语境索引网页最多汇集的段落数（取最新的）；CSV 导出不受此限"),
    Setting("feed_entries", 50, "订阅源默认条数"),
    Setting("compare_terms", 20, "词语对比最多的词数"),
    Setting("reuse_formula_share", 0.02, "文本复用：出现在超过这一比例报告中的段落或短语视为套话（各位代表、开场结束语、通用提法），不计为复用"),
    Setting("reuse_formula_min", 5, "文本复用：套话至少要出现在这么多份报告中（报告很少的索引里比例失去意义）"),
    Setting("reuse_formula_shape_chars", 300, "文本复用：不超过这么多字、含“请予审议”“向大会报告”“衷心的感谢”“崇高的敬意”等的段落也视为套话（0 为不用）"),
)
_BY_NAME = {s.name: s for s in SETTINGS}


def get(name: str) -> int | float:
    """The value of a setting: the environment's REPORT_SEARCH_<NAME> if set and valid, else the default."""
    setting = _BY_NAME[name]
    raw = os.environ.get(f"REPORT_SEARCH_{name.upper()}")
    if raw:
        try:
            return type(setting.default)(raw)
        except ValueError:
            pass
    return setting.default
