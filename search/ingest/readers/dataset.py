"""Reader for datasets (.csv, .jsonl, .ndjson): one raw document per row or record with text.

Columns are recognised by common English and Chinese names (case-insensitive) or named explicitly:
`read(path, columns={"text": "报告全文", "province": "省"})` maps our field → the file's column.
A record's `part` is its position among the file's data records (from 1, skipped records counted), so
"file.csv#3" always names the third data row. Newlines inside a text cell are paragraph breaks; a cell
that is one long line is left as it is — `structure` already cuts overlong paragraphs at sentence ends.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from pathlib import Path
from typing import Any, Iterable, Iterator

from ..furniture import clean_furniture
from ..raw import IngestError, RawDocument

# our field → column names that mean it, most specific first (compared lowercased, without spaces/_/-)
ALIASES: dict[str, tuple[str, ...]] = {
    "text": ("text", "content", "body", "fulltext", "正文", "内容", "全文", "报告全文", "报告正文", "正文内容", "文本", "article"),
    "title": ("title", "标题", "名称", "题目", "报告标题", "文章标题", "name"),
    "province": ("province", "省份", "省", "所属省份", "省级"),
    "city": ("city", "城市", "市", "地市", "所属城市", "地级市"),
    "county": ("county", "区县", "县区", "县", "区", "district"),
    "year": ("year", "年份", "年度", "年"),
    "date": ("date", "发布日期", "日期", "时间", "发布时间", "pubdate", "publishdate", "published"),
    "url": ("url", "link", "链接", "网址", "原文链接", "source", "来源", "sourceurl"),
    "type": ("type", "类型", "文种", "类别"),
    "speaker": ("speaker", "报告人", "作者", "author"),
    "level": ("level", "级别", "行政级别", "层级"),
}
FIELDS = tuple(ALIASES)
_DATE = re.compile(r"((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
_YEAR = re.compile(r"(?:19|20)\d{2}")


def _key(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", str(name).lstrip("\ufeff")).lower()


def map_columns(headers: Iterable[str], columns: dict[str, str] | None = None) -> dict[str, str]:
    """Our field → the header that holds it, from explicit `columns` first, then the common names."""
    headers = [h for h in headers if h is not None]
    by_key = {}
    for h in headers:
        by_key.setdefault(_key(h), h)
    found: dict[str, str] = {}
    for field, name in (columns or {}).items():
        if field not in ALIASES:
            raise IngestError(f"未知字段：{field}（可用：{'、'.join(FIELDS)}）")
        if _key(name) not in by_key:
            raise IngestError(f"找不到列：{name}（现有列：{'、'.join(map(str, headers)) or '无'}）")
        found[field] = by_key[_key(name)]
    taken = set(found.values())
    for field, aliases in ALIASES.items():
        if field in found:
            continue
        for alias in aliases:
            header = by_key.get(_key(alias))
            if header is not None and header not in taken:
                found[field] = header
                taken.add(header)
                break
    if "text" not in found:
        # "报告正文内容", "全文(text)": a header that contains a Chinese text name of two characters or more
        for h in headers:
            if h not in taken and any(a in _key(h) for a in ("正文", "全文", "内容")):
                found["text"] = h
                break
    return found


def _decode(data: bytes) -> str:
    if not data.strip():
        raise IngestError("文件为空")
    for codec in ("utf-8-sig", "gb18030"):  # strict: a wrong guess must fail, not produce mojibake
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    from ..encoding import decode

    return decode(data)


def _text_of(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):  # a record may hold its paragraphs as a list
        return "\n".join(_text_of(v) for v in value)
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    if "\n" not in text and "\\n" in text:
        text = text.replace("\\n", "\n")  # newlines escaped once too often by the exporter
    return text


# R writes a missing value as NA (unquoted by write.csv, but a CSV reader cannot tell): never a title or
# a place. Upper case only — "na" or "Na" may be text.
_R_MISSING = "NA"


def _document(record: dict[str, Any], mapping: dict[str, str], part: int) -> RawDocument | None:
    text = clean_furniture(_text_of(record.get(mapping["text"])))
    if not text.strip() or text.strip() == _R_MISSING:
        return None
    meta: dict[str, Any] = {}
    for field, column in mapping.items():
        if field == "text":
            continue
        value = record.get(column)
        if value is None or isinstance(value, (dict, list)):
            continue
        value = re.sub(r"\s+", " ", str(value)).strip()
        if not value or value.lower() in ("nan", "none", "null") or value == _R_MISSING:
            continue
        if field == "year":
            m = _YEAR.search(value)
            if m:
                meta["year"] = int(m.group())
        elif field == "date":
            m = _DATE.search(value)
            if m and 1 <= int(m.group(2)) <= 12 and 1 <= int(m.group(3)) <= 31:
                meta["date"] = f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
        elif field == "url":
            # a "来源" column often names the publisher, not an address
            if value.startswith(("http://", "https://", "www.")):
                meta["url"] = value
            else:
                meta["source"] = value
        else:
            meta[field] = value
    return RawDocument(text=text, meta=meta, layout="plain", part=part)


def _csv_records(text: str) -> tuple[list[str], Iterator[dict[str, Any]]]:
    # Reports are long cells: the default 128 KiB field limit would reject them.
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    first = text.split("\n", 1)[0]
    delimiter = max(",\t;|", key=first.count) if first else ","
    if first.count(delimiter) == 0:
        delimiter = ","
    # newline="" keeps line ends inside quoted cells, which are the paragraph breaks of a report
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        headers = [h.strip().lstrip("\ufeff") for h in next(reader)]
    except StopIteration:
        raise IngestError("文件为空") from None
    except csv.Error as exc:
        raise IngestError(f"CSV 无法解析（{exc}）") from exc

    def rows() -> Iterator[dict[str, Any]]:
        try:
            for row in reader:
                if not any(cell.strip() for cell in row):
                    continue
                yield dict(zip(headers, row))
        except csv.Error as exc:
            raise IngestError(f"CSV 无法解析（{exc}）") from exc

    return headers, rows()


def _jsonl_records(text: str) -> tuple[list[str], list[dict[str, Any]]]:
    records: list[dict[str, Any]] = []
    bad = 0
    for line in text.split("\n"):
        line = line.strip()
        if not line:
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            bad += 1  # one broken line costs only its record
            continue
        if isinstance(obj, dict):
            records.append(obj)
        else:
            bad += 1
    if not records:
        raise IngestError("JSONL 中没有可解析的记录" if bad else "文件为空")
    headers: list[str] = []
    for rec in records:
        headers.extend(k for k in rec if k not in headers)
    return headers, records


def read(path: Path, columns: dict[str, str] | None = None) -> list[RawDocument]:
    """Read a CSV or JSONL dataset: one raw document per record that has text, `part` = record number."""
    path = Path(path)
    text = _decode(path.read_bytes()).lstrip("\ufeff")
    if path.suffix.lower() == ".csv":
        headers, records = _csv_records(text)
    else:
        headers, records = _jsonl_records(text)
    mapping = map_columns(headers, columns)
    if "text" not in mapping:
        raise IngestError(f"没有可识别的正文列（现有列：{'、'.join(map(str, headers)) or '无'}）")
    out: list[RawDocument] = []
    for k, record in enumerate(records, start=1):
        doc = _document(record, mapping, k)
        if doc is not None:
            out.append(doc)  # a record without text is skipped, not an error for the whole file
    if not out:
        raise IngestError("数据文件中没有含正文的记录")
    return out
