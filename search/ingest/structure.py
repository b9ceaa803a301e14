"""Reports in a file, and per report: front lines (title, date, speaker), headings and body paragraphs."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from ..models import Paragraph
from ..normalize import normalize
from .repair import SPEAKER_LINE, TITLE_LINE, is_title_line

_BOLD = re.compile(r"\*\*(.+?)\*\*|__(.+?)__")
_MD_HEADING = re.compile(r"^(#{1,6})\s*([^#\s].*?)\s*#*$")
_YEAR_TITLE = re.compile(r"^(?:19|20)\d{2}\s*年")
# The line under the title that says when and where the report was delivered, in the shapes the
# sources use (matched on the line with its whitespace removed):
#   ——2024年1月22日在常州市第十七届人民代表大会第三次会议上      （2005年1月19日）
#   2010年1月16日沈阳市第十四届人民代表大会第三次会议通过        （2010年1月22日 秦光荣）
#   ——2021年2月6日在大连市第十六届人民代表大会第四次会议上市长陈绍旺
#   在四川省第十一届人民代表大会第三次会议上（2010年1月26日）
_DASHES = r"(?:——|――|──|--|—|―|─|-|－)*"
_FULL_DATE = r"(?:19|20)\d{2}年\d{1,2}月\d{1,2}日"
FULL_DATE = re.compile(_FULL_DATE)
DATE_LINE = re.compile(
    rf"^[（(]?{_DASHES}{_FULL_DATE}"
    r"(?:在?[^。；！？]{2,60}?(?:人民代表大会|会议)[^。；！？（）()]{0,20})?"
    r"[\u4e00-\u9fff·]{0,12}[)）]?$"
    rf"|^在[^。；！？]{{2,60}}?(?:会议|大会)上?[（(]{_FULL_DATE}[)）]$"
)
# heading markers and their levels: 一、 → 1, （一） → 2, 1. / 1、 → 3, （1） → 4
_LEVELS = (
    (re.compile(r"^[一二三四五六七八九十]{1,3}、"), 1),
    (re.compile(r"^[（(][一二三四五六七八九十]{1,3}[)）]"), 2),
    (re.compile(r"^\d{1,2}(?:[.．、](?!\d)|\s)"), 3),
    (re.compile(r"^[（(]\d{1,2}[)）]"), 4),
)
_SENTENCE_INSIDE = re.compile(r"[。！？；：!?;:]")


@dataclass
class Block:
    """A line after repair, with what the markup said about it."""

    text: str  # markup removed
    bold: bool = False  # the whole line was bold
    md_level: int = 0  # number of '#' of a Markdown heading


@dataclass
class Report:
    """One report's lines, split into front matter lines and body."""

    blocks: list[Block]
    title: str = ""
    date_line: str = ""
    speaker_line: str = ""
    front: list[str] = field(default_factory=list)


def to_blocks(lines: list[str]) -> list[Block]:
    """Strip Markdown heading and bold markup, remembering it."""
    out = []
    for line in lines:
        md_level = 0
        m = _MD_HEADING.match(line)
        if m:
            md_level, line = len(m.group(1)), m.group(2)
        stripped = line.strip()
        bold = stripped.startswith("**") and stripped.endswith("**") and len(stripped) > 4 and (
            "**" not in stripped[2:-2]
        )
        text = _BOLD.sub(lambda mm: mm.group(1) or mm.group(2), stripped).replace("**", "").strip()
        if text:
            out.append(Block(text, bold, md_level))
    return out


def is_title(text: str) -> bool:
    """A line that names the report ("2024年 XX区政府工作报告")."""
    return is_title_line(text)


def split_reports(blocks: list[Block]) -> list[list[Block]]:
    """Split a file that holds several reports one after another at their year-led title lines."""
    starts = [i for i, b in enumerate(blocks) if is_title(b.text) and _YEAR_TITLE.match(b.text)]
    if len(starts) < 2:
        return [blocks]
    # Each part must carry a real body, or the "titles" are a table of contents / citations.
    bounds = starts + [len(blocks)]
    if any(bounds[k + 1] - bounds[k] < 5 for k in range(len(starts))):
        return [blocks]
    parts = [blocks[bounds[k]:bounds[k + 1]] for k in range(len(starts))]
    if starts[0] > 0:
        parts[0] = blocks[: starts[0]] + parts[0]  # a preface belongs to the first report
    return parts


def take_front(blocks: list[Block]) -> Report:
    """Pull the title, date and speaker lines off the start of a report."""
    report = Report(blocks=[])
    i = 0
    # Only the first few lines can be front lines; later lines of the same shape are body.
    while i < len(blocks) and i < 6:
        text = blocks[i].text
        compact = text.replace(" ", "").replace("\u3000", "")
        if not report.title and is_title(text):
            report.title = compact if not _YEAR_TITLE.match(compact) else re.sub(r"\s+", "", text)
        elif not report.date_line and DATE_LINE.match(bare := re.sub(r"\s+", "", compact)):
            report.date_line = bare
        elif compact.startswith("原标题："):
            pass  # a news site's "original title" line: front matter, not body
        elif not report.speaker_line and SPEAKER_LINE.match(text):
            report.speaker_line = text
        else:
            break
        report.front.append(text)
        i += 1
    report.blocks = blocks[i:]
    return report


def heading_level(block: Block) -> int:
    """The heading level of a line, or 0 when it is a body paragraph."""
    text = block.text
    if len(text) > 60:
        return 0
    marker_level = 0
    rest = text
    for pattern, level in _LEVELS:
        m = pattern.match(text)
        if m:
            marker_level, rest = level, text[m.end():]
            break
    # A lead phrase followed by a sentence ("（一）着力扩大内需。我们……") is a body paragraph.
    inner = _SENTENCE_INSIDE.search(rest.rstrip("。：:；;"))
    if block.md_level:
        return marker_level or block.md_level if not inner else 0
    if inner:
        return 0
    if block.bold and len(text) <= 50 and (marker_level or not text.endswith(("：", ":", "。"))):
        return marker_level or 1
    if marker_level:
        # "19.农业生产“三品一标”：即……" has text after its colon, so it was caught above; a
        # numbered line ending in 。 is a list item, not a heading.
        if text.endswith(("。", "；", "！", "？")) or len(rest) > 40:
            return 0
        return marker_level
    # An unmarked short line without any punctuation ("2023年工作回顾", "名词解释") heads a section.
    if len(text) <= 24 and not re.search(r"[，。、；：！？,.;:!?]", text):
        return 1
    return 0


def unit(doc_id: str, units: list[Paragraph], seen: dict[str, int], text: str, kind: str,
         level: int = 0, section: tuple[str, ...] = ()) -> None:
    """Append a unit with its stable id (the same text twice in one report keeps distinct ids)."""
    digest = hashlib.sha1(normalize(text).encode("utf-8")).hexdigest()[:8]
    pid = f"{doc_id}-{digest}"
    count = seen.get(pid, 0) + 1
    seen[pid] = count
    if count > 1:
        pid = f"{pid}-{count}"
    units.append(Paragraph(pid, doc_id, len(units), text, section, kind, level))


def build(doc_id: str, blocks: list[Block], front: list[tuple[str, str]]) -> list[Paragraph]:
    """Every unit in reading order: front units (kind, text) first, then headings and paragraphs."""
    units: list[Paragraph] = []
    seen: dict[str, int] = {}
    for kind, text in front:
        unit(doc_id, units, seen, text, kind)
    stack: list[tuple[int, str]] = []
    for block in blocks:
        level = heading_level(block)
        if level:
            while stack and stack[-1][0] >= level:
                stack.pop()
            unit(doc_id, units, seen, block.text, "heading", level, tuple(t for _, t in stack))
            stack.append((level, block.text))
            continue
        for text in split_long(block.text):
            unit(doc_id, units, seen, text, "paragraph", 0, tuple(t for _, t in stack))
    return units


_SENTENCE_END = re.compile(r"(?<=[。！？；])")
LONG_PARAGRAPH = 1500


def split_long(text: str, target: int = 600) -> list[str]:
    """A "paragraph" of a whole report (a source without line breaks) cut at sentence ends."""
    if len(text) <= LONG_PARAGRAPH:
        return [text]
    pieces: list[str] = []
    current = ""
    for sentence in _SENTENCE_END.split(text):
        if current and len(current) + len(sentence) > target:
            pieces.append(current)
            current = ""
        current += sentence
    if current:
        pieces.append(current)
    return pieces


def doc_id_for(source: str) -> str:
    """The stable document id of a source string."""
    return hashlib.sha1(source.encode("utf-8")).hexdigest()[:12]
