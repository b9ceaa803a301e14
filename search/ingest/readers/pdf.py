"""Reader for PDF (.pdf) with pdfminer.six: the text layer page by page, running headers/footers dropped."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

from ..raw import IngestError, RawDocument

# pdfminer writes "(cid:123)" for glyphs its font has no Unicode mapping for
_CID = re.compile(r"\(cid:\d+\)")
_PAGE_NUMBER = re.compile(r"^[\s—–\-－·•]*(?:第\s*)?[\dⅰ-ⅿⅠ-Ⅿ]{1,4}(?:\s*页)?(?:\s*/\s*共?\s*\d{1,4}\s*页?)?[\s—–\-－·•]*$")
_CJK = re.compile("[\u4e00-\u9fff]")
# "Microsoft Word - 2024年政府工作报告.docx": the producer's prefix and the file extension say nothing
_TITLE_NOISE = re.compile(r"^(?:Microsoft\s+(?:Word|PowerPoint)\s*-\s*)|\.(?:docx?|wps|pdf|txt)$", re.I)
_BLAND_TITLE = re.compile(r"^(?:文档\d*|新建.*文档.*|无标题.*|untitled.*|document\d*|PowerPoint\s*演示文稿)$", re.I)
# a line counts as page edge (header/footer zone) within this share of the page height from top or bottom
_EDGE_ZONE = 0.12


def _decode_info(value: Any) -> str:
    from pdfminer.psparser import PSLiteral
    from pdfminer.utils import decode_text

    try:
        from pdfminer.pdftypes import resolve1

        value = resolve1(value)
    except Exception:  # noqa: BLE001 - a broken reference only loses the title
        return ""
    if isinstance(value, bytes):
        # UTF-16 with BOM, else PDFDocEncoding; some Chinese producers write raw GBK here
        if value.startswith((b"\xfe\xff", b"\xff\xfe")):
            return decode_text(value)
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            try:
                return value.decode("gb18030")
            except UnicodeDecodeError:
                return decode_text(value)
    if isinstance(value, PSLiteral):
        return str(value.name)
    return str(value) if isinstance(value, str) else ""


def meaningful_title(raw: str) -> str:
    """The PDF's Title entry when it names the document, else "" (left for inference)."""
    title = re.sub(r"\s+", " ", _TITLE_NOISE.sub("", raw.strip())).strip()
    title = _TITLE_NOISE.sub("", title).strip()
    if len(_CJK.findall(title)) < 4 or _BLAND_TITLE.match(title):
        return ""
    return title


def _page_lines(layout: Any) -> list[tuple[str, float]]:
    """Text lines of a laid-out page in reading order, each with its height from the bottom (0–1)."""
    from pdfminer.layout import LTTextBox, LTTextLine

    height = float(layout.height) or 1.0
    out: list[tuple[str, float]] = []
    # Layout objects are walked with an explicit stack: figures may nest, recursion is not needed.
    stack = list(reversed(list(layout)))
    while stack:
        obj = stack.pop()
        if isinstance(obj, LTTextLine):
            text = _CID.sub("", obj.get_text()).strip()
            if text:
                out.append((text, (obj.y0 + obj.y1) / 2 / height))
        elif isinstance(obj, LTTextBox) or hasattr(obj, "__iter__"):
            try:
                stack.extend(reversed(list(obj)))
            except TypeError:
                continue
    return out


def _edge_key(text: str) -> str:
    # page numbers inside a running header differ per page ("公报 第3页"): compare without digits
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", text))


def drop_running_lines(pages: list[list[tuple[str, float]]]) -> list[list[str]]:
    """Drop bare page numbers and lines repeated near the top or bottom of most pages."""
    def at_edge(pos: float) -> bool:
        return pos >= 1 - _EDGE_ZONE or pos <= _EDGE_ZONE

    counts: Counter[str] = Counter()
    for page in pages:
        counts.update({_edge_key(t) for t, pos in page if at_edge(pos)})
    # "most pages": at least two, and 60% of the pages that have text
    with_text = sum(1 for page in pages if page)
    running = {k for k, n in counts.items() if n >= max(2, 0.6 * with_text)} if with_text >= 2 else set()
    out: list[list[str]] = []
    for page in pages:
        kept = []
        for text, pos in page:
            if at_edge(pos) and (_edge_key(text) in running or _PAGE_NUMBER.match(text)):
                continue
            kept.append(text)
        out.append(kept)
    return out


def _reason(exc: Exception) -> str:
    name = type(exc).__name__
    if "Password" in name or "Encrypt" in name:
        return "PDF 已加密，无法读取"
    if "NotAllowed" in name:
        return "PDF 禁止提取文字"
    return f"PDF 已损坏或格式不对（{name}）"


def read(path: Path) -> list[RawDocument]:
    """Read a PDF's text layer into one raw document (layout "pdf", pages separated by form feeds)."""
    from pdfminer.converter import PDFPageAggregator
    from pdfminer.layout import LAParams
    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdfparser import PDFParser

    path = Path(path)
    with open(path, "rb") as fp:
        head = fp.read(1024)
        if not head.strip():
            raise IngestError("文件为空")
        if b"%PDF" not in head:
            raise IngestError("不是 PDF 文件")
        fp.seek(0)
        try:
            document = PDFDocument(PDFParser(fp))
            manager = PDFResourceManager(caching=True)
            device = PDFPageAggregator(manager, laparams=LAParams())
            interpreter = PDFPageInterpreter(manager, device)
            pages: list[list[tuple[str, float]]] = []
            for page in PDFPage.create_pages(document):
                interpreter.process_page(page)
                pages.append(_page_lines(device.get_result()))
            info = document.info[0] if document.info else {}
        except IngestError:
            raise
        except RecursionError:
            raise IngestError("PDF 结构嵌套过深，无法读取") from None
        except Exception as exc:  # pdfminer raises many unrelated types on broken files
            raise IngestError(_reason(exc)) from exc
    if not pages:
        raise IngestError("PDF 没有页面")
    chars = sum(len(re.sub(r"\s", "", t)) for page in pages for t, _ in page)
    # a scan carries at most a few stray characters (a page number stamp) per page
    if chars < max(20, 5 * len(pages)):
        raise IngestError("PDF 没有文字层（可能是扫描件）")
    text = "\n\f\n".join("\n".join(lines) for lines in drop_running_lines(pages))
    meta: dict[str, Any] = {}
    if isinstance(info, dict):
        title = meaningful_title(_decode_info(info.get("Title", b"")))
        if title:
            meta["title"] = title
    return [RawDocument(text=text, meta=meta, layout="pdf")]
