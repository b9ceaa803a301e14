"""Reader for Word documents (.docx) with python-docx: paragraphs and tables in order, headings marked '#'."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

from ..raw import IngestError, RawDocument
from ..tables import table_markdown
from .pdf import meaningful_title

# "Heading 2", "heading2", "标题 2", "标题2"; WPS also writes "1级标题"
_HEADING_STYLE = re.compile(r"^(?:heading|标题)\s*(\d)$|^(\d)\s*级标题$", re.I)
_TITLE_STYLE = re.compile(r"^(?:title|标题|文档标题|大标题)$", re.I)
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MAX_STYLE_CHAIN = 20
# A report's document.xml is well under 10 MB; a package that expands past these bounds is a ZIP bomb
# (a 762 KB file whose XML expanded took an earlier indexer to 4.7 GB), refused before decompression.
MAX_UNCOMPRESSED = 100 * 1024 * 1024
MAX_ENTRIES = 2000
MAX_RATIO = 200  # base-style chains are short; a cycle in a broken file must not loop forever


def _outline_level(p_pr: Any) -> int | None:
    """The outline level (0-based) set in a paragraph or style's properties, None when none or body text."""
    if p_pr is None:
        return None
    el = p_pr.find(f"{_W}outlineLvl")
    if el is None:
        return None
    try:
        level = int(el.get(f"{_W}val"))
    except (TypeError, ValueError):
        return None
    return level if 0 <= level <= 8 else None  # 9 means body text


def heading_level(paragraph: Any) -> int:
    """Markdown heading level of a paragraph (0 = body) from its style name, style chain or outline level."""
    level = _outline_level(paragraph._p.pPr)
    if level is not None:
        return level + 1
    style = paragraph.style
    for _ in range(_MAX_STYLE_CHAIN):
        if style is None:
            break
        name = (style.name or "").strip()
        if _TITLE_STYLE.match(name):
            return 1
        m = _HEADING_STYLE.match(name)
        if m:
            return int(m.group(1) or m.group(2))
        level = _outline_level(style.element.pPr)
        if level is not None:
            return level + 1
        style = style.base_style
    return 0


def _all_bold(paragraph: Any) -> bool:
    runs = [r for r in paragraph.runs if r.text.strip()]
    return bool(runs) and all(r.bold for r in runs)


def _lines(document: Any) -> list[str]:
    out: list[str] = []
    for block in document.iter_inner_content():
        if hasattr(block, "rows"):  # a table: one pipe-table line per row, cells kept apart
            out.extend(_table_lines(block))
            continue
        text = block.text.replace("\r", "\n")
        parts = [re.sub(r"[ \t\u00a0]+", " ", s).strip() for s in text.split("\n")]
        parts = [s for s in parts if s and s.strip("\u3000")]
        if not parts:
            continue  # empty paragraphs are spacing
        level = heading_level(block)
        if level:
            out.append("#" * min(level, 6) + " " + " ".join(parts))
        elif _all_bold(block) and len(parts) == 1 and len(parts[0]) <= 50:
            out.append(f"**{parts[0]}**")  # structure decides whether a bold line is a heading
        else:
            out.extend(parts)  # a soft line break inside a paragraph starts a new line
    return out


def _table_lines(table: Any) -> list[str]:
    """A Word table as pipe-table lines; a merged cell counts once; the first row is the header when
    Word marks it as a repeating header row or all its text is bold."""
    rows: list[list[str]] = []
    bold_first = False
    marked_header = False
    for k, row in enumerate(table.rows):
        cells: list[str] = []
        last = None
        for cell in row.cells:
            if cell._tc is last:
                continue  # python-docx repeats a horizontally merged cell
            last = cell._tc
            cells.append(" ".join(p.text.strip() for p in cell.paragraphs if p.text.strip()))
        rows.append(cells)
        if k == 0:
            tr_pr = row._tr.trPr
            marked_header = tr_pr is not None and tr_pr.find(f"{_W}tblHeader") is not None
            paragraphs = [p for cell in row.cells for p in cell.paragraphs if p.text.strip()]
            bold_first = bool(paragraphs) and all(_all_bold(p) for p in paragraphs)
    return table_markdown(rows, marked_header or (bold_first and len(rows) > 1))


def _check_package(path: Path) -> None:
    """Refuse a DOCX whose ZIP would expand past the bounds before anything is decompressed."""
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise IngestError(f"不是有效的 DOCX 文件（{type(exc).__name__}）") from exc
    if len(entries) > MAX_ENTRIES:
        raise IngestError(f"DOCX 包内文件过多（{len(entries)} 个，上限 {MAX_ENTRIES}），未读取")
    total = sum(e.file_size for e in entries)
    if total > MAX_UNCOMPRESSED:
        raise IngestError(f"DOCX 解压后过大（{total >> 20} MB，上限 {MAX_UNCOMPRESSED >> 20} MB），未读取")
    for e in entries:
        if e.compress_size and e.file_size > 20 * 1024 * 1024 and e.file_size / e.compress_size > MAX_RATIO:
            raise IngestError(f"DOCX 中 {e.filename} 的压缩比异常（{e.file_size // e.compress_size} 倍），未读取")


def read(path: Path) -> list[RawDocument]:
    """Read a .docx file into one raw document with its headings marked and its core-properties title."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from lxml.etree import XMLSyntaxError

    path = Path(path)
    if path.stat().st_size == 0:
        raise IngestError("文件为空")
    if not zipfile.is_zipfile(path):
        raise IngestError("不是有效的 DOCX 文件（不是 ZIP 包）")
    _check_package(path)
    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, XMLSyntaxError, KeyError, ValueError) as exc:
        raise IngestError(f"不是有效的 DOCX 文件（{type(exc).__name__}）") from exc
    lines = _lines(document)
    if not lines:
        raise IngestError("文档中没有文字")
    meta: dict[str, Any] = {}
    try:
        title = meaningful_title(document.core_properties.title or "")
    except (ValueError, KeyError):  # broken core properties cost only the title
        title = ""
    if title:
        meta["title"] = title
    return [RawDocument(text="\n".join(lines), meta=meta, layout="markdown")]
