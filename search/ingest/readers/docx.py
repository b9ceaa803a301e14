"""Reader for Word documents (.docx) with python-docx: paragraphs and tables in order, headings marked '#'."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

from ..raw import IngestError, RawDocument
from .pdf import meaningful_title

# "Heading 2", "heading2", "标题 2", "标题2"; WPS also writes "1级标题"
_HEADING_STYLE = re.compile(r"^(?:heading|标题)\s*(\d)$|^(\d)\s*级标题$", re.I)
_TITLE_STYLE = re.compile(r"^(?:title|标题|文档标题|大标题)$", re.I)
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MAX_STYLE_CHAIN = 20  # base-style chains are short; a cycle in a broken file must not loop forever


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
        if hasattr(block, "rows"):  # a table: one line per cell paragraph, rows in order
            for row in block.rows:
                for cell in row.cells:
                    out.extend(p.text.strip() for p in cell.paragraphs if p.text.strip())
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
