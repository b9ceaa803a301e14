"""Reports in a file, and per report: front lines (title, date, speaker), headings and body paragraphs."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from ..models import KINDS, Paragraph
from ..normalize import normalize
from .repair import SPEAKER_LINE, is_title_line
from .tables import is_table_line, row_texts

_BOLD = re.compile(r"\*\*(.+?)\*\*|__(.+?)__")
_MD_HEADING = re.compile(r"^(#{1,6})\s*([^#\s].*?)\s*#*$")
_YEAR_TITLE = re.compile(r"^(?:19|20)\d{2}\s*年")
# The line under the title that says when and where the report was delivered, in the shapes the
# sources use (matched on the line with its whitespace removed):
#   ——2024年1月22日在常州市第十七届人民代表大会第三次会议上      （2005年1月19日）
#   2010年1月16日沈阳市第十四届人民代表大会第三次会议通过        （2010年1月22日 秦光荣）
#   ——2021年2月6日在大连市第十六届人民代表大会第四次会议上市长陈绍旺
#   在四川省第十一届人民代表大会第三次会议上（2010年1月26日）
# and, with the title or the report's name in front, a speaker or a note around the date:
#   政府工作报告（2010年1月19日在吉林省第十一届人民代表大会第三次会议上代省长王儒林）
#   政府工作报告——2012年1月11日在昆明市第十三届人民代表大会第二次会议上
#   （2019年1月27日在贵州省第十三届人民代表大会第二次会议上）省长谌贻琴
#   ——在2006年12月24日在南昌市第十三届人民代表大会第一次会议上
#   ——在河北省第九届人民代表大会第二次会议上（一九九九年一月二十七日）
#   河北省省长钮茂生（2002年1月24日）              （1999年12月29日，征求意见稿）
# One character class, not alternatives of one and two dashes: "(?:——|—)*" backtracks exponentially on a
# long run of dashes that is not followed by a date.
_DASHES = r"[—―─\-－]*"
_FULL_DATE = r"(?:19|20)\d{2}年\d{1,2}月\d{1,2}日"
FULL_DATE = re.compile(_FULL_DATE)
# the report's name before its date line: "政府工作报告", "重庆市人民政府工作报告", "关于…纲要的报告"
_NAME_FIRST = r"(?:[^，。；！？（）()]{0,60}?(?:政府工作报告|的报告)》?)?"
DATE_LINE = re.compile(
    rf"^{_NAME_FIRST}[（(]?{_DASHES}在?{_FULL_DATE}(?:[、和]\d{{1,2}}日)?"
    r"(?:在?[^。；！？]{2,60}?(?:人民代表大会|会议)[^。；！？（）()]{0,20})?"
    r"[)）]?[\u4e00-\u9fff·]{0,12}[)）]?$"
    rf"|^{_DASHES}在[^。；！？]{{2,60}}?(?:会议|大会)上?[（(]{_FULL_DATE}[)）]$"
    rf"|^[\u4e00-\u9fff·]{{0,20}}[（(]{_FULL_DATE}(?:[，,][^（）()，,]{{1,10}})?[)）]$"
)
# the rest of a delivery line wrapped in the source: "——2024年1月31日在东莞市第十七届人民代表大会" + "第四次会议上"
_DATE_LINE_TAIL = re.compile(r"^(?:人民代表大会)?第[一二三四五六七八九十\d]{1,3}次会议上?(?:的报告)?$")
# a front line between the title and the delivery line: a subtitle, "市十七届人大四次会议文件（三）"
_FRONT_LIKE = re.compile(r"^[^。；！？]{1,60}$")
# "二〇一九年一月十四日", "一九六四年十二月二十一日、二十二日": dates written in Chinese numerals
_CN_DIGITS = {"〇": 0, "零": 0, "○": 0, "Ｏ": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_NUMBER = "一二三四五六七八九十"
_CN_DATE = re.compile(rf"([〇零○Ｏ一二三四五六七八九]{{4}})年([{_CN_NUMBER}]{{1,3}})月([{_CN_NUMBER}]{{1,3}})日(?:([、和])([{_CN_NUMBER}]{{1,3}})日)?")
# a line of Markdown markup only: a thematic break ("---", "***", "___")
_RULE = re.compile(r"^\s*(?:[-*_]\s*){3,}$")


def _cn_number(text: str) -> int:
    if "十" not in text:
        return _CN_DIGITS.get(text, 0)
    tens, _, ones = text.partition("十")
    return (_CN_DIGITS.get(tens, 0) if tens else 1) * 10 + (_CN_DIGITS.get(ones, 0) if ones else 0)


def cn_date_digits(text: str) -> str:
    """Dates written in Chinese numerals with Arabic digits ("二〇一九年一月十四日" → "2019年1月14日")."""
    def digits(m: re.Match[str]) -> str:
        year = "".join(str(_CN_DIGITS[c]) for c in m.group(1))
        out = f"{year}年{_cn_number(m.group(2))}月{_cn_number(m.group(3))}日"
        return out + (f"{m.group(4)}{_cn_number(m.group(5))}日" if m.group(4) else "")

    return _CN_DATE.sub(digits, text) if "年" in text else text


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
    kind: str = "text"  # text (heading or paragraph, decided by `heading_level`), row (a table row), note


@dataclass
class Report:
    """One report's lines, split into front lines and body."""

    blocks: list[Block]
    title: str = ""  # the title line as the source writes it (whitespace removed)
    date_line: str = ""
    speaker_line: str = ""
    front: list[str] = field(default_factory=list)  # the front lines as written, in order (title line included)
    title_line: str = ""  # the title line as written


# "[^1]: 金融发展三项计划……": a Markdown footnote definition (its marker in the text is removed by repair)
FOOTNOTE_DEFINITION = re.compile(r"^\[\^([^\]\s]{1,16})\]:\s*(.*)$")


def _unmark(line: str) -> tuple[str, bool, int]:
    md_level = 0
    m = _MD_HEADING.match(line)
    if m:
        md_level, line = len(m.group(1)), m.group(2)
    stripped = line.strip()
    bold = stripped.startswith("**") and stripped.endswith("**") and len(stripped) > 4 and (
        "**" not in stripped[2:-2]
    )
    text = _BOLD.sub(lambda mm: mm.group(1) or mm.group(2), stripped).replace("**", "").strip()
    return text, bold, md_level


def _cell_text(cell: str) -> str:
    return _unmark(cell)[0]


def to_blocks(lines: list[str]) -> list[Block]:
    """Strip Markdown heading and bold markup, remembering it; tables become rows, footnote definitions notes."""
    out: list[Block] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if is_table_line(line):
            j = i
            while j < len(lines) and is_table_line(lines[j]):
                j += 1
            out.extend(Block(text, kind="row") for text in row_texts(lines[i:j], _cell_text))
            i = j
            continue
        i += 1
        note = FOOTNOTE_DEFINITION.match(line.strip())
        if note:
            text = _unmark(note.group(2))[0]
            if text:
                out.append(Block(text, kind="note"))
            continue
        if _RULE.match(line):
            continue  # a thematic break is markup, not text
        text, bold, md_level = _unmark(line)
        if text:
            out.append(Block(text, bold, md_level))
    return out


def is_title(text: str) -> bool:
    """A line that names the report ("2024年 XX区政府工作报告")."""
    return is_title_line(text)


def split_reports(blocks: list[Block]) -> list[list[Block]]:
    """Split a file that holds several reports (or several copies of one) one after another.

    Reports start at year-led title lines ("2024年 XX区政府工作报告"); copies of one report saved on
    one web page start again at its own first title line, whatever its shape ("政府工作报告").
    """
    starts = [i for i, b in enumerate(blocks) if b.kind == "text" and is_title(b.text) and _YEAR_TITLE.match(b.text)]
    if len(starts) < 2:
        first = next((i for i, b in enumerate(blocks[:8]) if b.kind == "text" and is_title(b.text)), None)
        if first is not None:
            key = normalize(blocks[first].text)
            starts = [i for i, b in enumerate(blocks) if b.kind == "text" and normalize(b.text) == key]
        if first is None or len(starts) < 2:
            # a print copy of the body without its title line ("打印版" under the article)
            starts = repeated_run_starts(blocks)
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


_ANCHOR_CHARS = 20  # a paragraph this long is distinctive: the same text twice means a second copy
_COPY_SHARE = 0.8  # share of the first copy's text a repeated run must cover


def repeated_run_starts(blocks: list[Block]) -> list[int]:
    """Where the copies of one body start when a file holds it two or more times without a title line
    above each copy (a saved page with the article and its print version): [0, start of copy 2, …],
    or [0] when there is no such repetition.

    A copy is the same long run of normalized paragraphs again: it begins where the first distinctive
    paragraph (`_ANCHOR_CHARS` or more) appears again — moved back over the paragraphs before it that
    match those before the first occurrence ("各位代表：") — and the paragraphs from there on must
    repeat, in order, most (`_COPY_SHARE`) of the first copy's text.
    """
    keys = [normalize(b.text) if b.kind != "note" else "" for b in blocks]
    # the first distinctive paragraph that appears again (the title or date line may be in one copy only)
    long = [i for i, k in enumerate(keys) if len(k) >= _ANCHOR_CHARS][:4]
    seen: dict[str, list[int]] = {}
    for i, k in enumerate(keys):
        if len(k) >= _ANCHOR_CHARS:
            seen.setdefault(k, []).append(i)
    anchor = next((i for i in long if len(seen[keys[i]]) > 1), None)
    if anchor is None:
        return [0]
    occurrences = seen[keys[anchor]]
    # the paragraphs before the anchor that stand before its second occurrence too belong to each copy
    lead = 0
    while anchor - lead > 0 and occurrences[1] - lead - 1 > anchor and (
        keys[anchor - lead - 1] == keys[occurrences[1] - lead - 1]
    ):
        lead += 1
    starts = [0] + [pos - lead for pos in occurrences[1:]]
    if any(b <= a + 2 for a, b in zip(starts, starts[1:])):
        return [0]
    # every later copy repeats the first copy's body from its start, and is (nearly) nothing else: not
    # a paragraph or two that a source happens to print twice (长沙 2004 in lawtext)
    body = keys[anchor - lead:starts[1]]
    body_chars = sum(len(k) for k in body)
    bounds = starts + [len(keys)]
    for k in range(1, len(starts)):
        part = keys[bounds[k]:bounds[k + 1]]
        matched = 0
        for a, b in zip(body, part):
            if a != b:
                break
            matched += len(a)
        if matched < _COPY_SHARE * max(body_chars, sum(len(x) for x in part)):
            return [0]
    return starts


def take_front(blocks: list[Block]) -> Report:
    """Pull the title, subtitle, date, 原标题 and speaker lines off the start of a report."""
    report = Report(blocks=[])
    i = 0
    # Only the first few lines can be front lines; later lines of the same shape are body.
    while i < len(blocks) and i < 6:
        block = blocks[i]
        text = block.text
        if block.kind != "text":
            break
        compact = text.replace(" ", "").replace("\u3000", "")
        if not report.title and is_title(text):
            report.title = compact if not _YEAR_TITLE.match(compact) else re.sub(r"\s+", "", text)
            report.title_line = text
        elif not report.date_line and DATE_LINE.match(bare := cn_date_digits(re.sub(r"\s+", "", compact))):
            report.date_line = bare
            if i + 1 < len(blocks) and _DATE_LINE_TAIL.match(tail := re.sub(r"\s+", "", blocks[i + 1].text)) and (
                not bare.endswith(("上", "上）", "上)"))
            ):
                report.date_line += tail  # the delivery line's end, wrapped onto a line of its own
                report.front.append(text)
                i += 1
                text = blocks[i].text
        elif compact.startswith("原标题："):
            pass  # a news site's "original title" line: a front line, not body
        elif not report.speaker_line and SPEAKER_LINE.match(text):
            report.speaker_line = text
        elif report.title and not report.date_line and block.bold and not block.md_level and len(text) <= 40 and (
            not _SENTENCE_INSIDE.search(text) and not _marker_level(text)
        ):
            pass  # a subtitle under the title ("为我国政治经济和社会的进一步稳定发展而奋斗")
        elif not report.date_line and (ahead := _date_line_ahead(blocks, i)):
            # the delivery line a few lines down, under a subtitle, a meeting line ("——佛山市第十一届人民
            # 代表大会第三次会议") or a "市十七届人大四次会议文件（三）" line: those are front lines too
            for k, block in enumerate(blocks[i:i + ahead], start=i):
                report.front.append(block.text)
                # the report's own name in bold on its first line ("关于一九五八年度国民经济计划草案的报告")
                if not report.title and (is_title(block.text) or (k == 0 and block.bold)):
                    report.title = re.sub(r"\s+", "", block.text)
                    report.title_line = block.text
                elif not report.speaker_line and SPEAKER_LINE.match(block.text):
                    report.speaker_line = block.text
            i += ahead
            continue
        else:
            break
        report.front.append(text)
        i += 1
    report.blocks = blocks[i:]
    return report


def _date_line_ahead(blocks: list[Block], i: int, reach: int = 4) -> int:
    """How many front-like lines (short, no sentence, no salutation or numbered heading) stand at `i`
    before a delivery line within `reach` lines; 0 when there is none."""
    for j in range(i, min(i + reach, len(blocks))):
        block = blocks[j]
        compact = re.sub(r"\s+", "", block.text)
        if block.kind != "text":
            return 0
        if j > i and DATE_LINE.match(cn_date_digits(compact)):
            return j - i
        if not _FRONT_LIKE.match(compact) or compact.startswith("各位代表") or _marker_level(compact):
            return 0
    return 0


def _marker_level(text: str) -> int:
    for pattern, level in _LEVELS:
        if pattern.match(text):
            return level
    return 0


def heading_level(block: Block) -> int:
    """The heading level of a line, or 0 when it is a body paragraph; -1 for an unnumbered lead line.

    A lead line is a short bold line without a number ("回顾2023：迎难而上、砥砺前行", "工业经济稳中有新"):
    its level is one below the numbered heading above it, decided by `build`.
    """
    text = block.text
    if block.kind != "text" or len(text) > 60:
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
    if block.bold and not marker_level and len(text) <= 40 and not text.endswith(_CLOSING) and (
        not re.search(r"[。！？；!?;]", text)
    ):
        # a bold lead line may have a colon or commas inside ("回顾2023：迎难而上、砥砺前行")
        return -1
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


_CLOSING = tuple("。！？；：:;!?…")


def _plain(block: Block) -> bool:
    """A heading by its shape alone: a short line without number, bold or Markdown mark, without punctuation."""
    return not block.bold and not block.md_level and not _marker_level(block.text)


def _unit_id(doc_id: str, text: str, seen: dict[str, int]) -> str:
    digest = hashlib.sha1(normalize(text).encode("utf-8")).hexdigest()[:8]
    pid = f"{doc_id}-{digest}"
    count = seen.get(pid, 0) + 1
    seen[pid] = count
    return f"{pid}-{count}" if count > 1 else pid  # the same text twice in one report keeps distinct ids


def build(doc_id: str, title: str, front: list[str], blocks: list[Block]) -> list[Paragraph]:
    """Every unit of a report in reading order: title, front lines, headings, paragraphs and rows, notes last.

    `section` of a unit is the texts of the headings above it (never its own text, never a table's
    header); notes (footnote texts) stand outside the sections, at the end.
    """
    units: list[tuple[str, str, int, tuple[str, ...]]] = [("title", title, 0, ())]
    units.extend(("front", line, 0, ()) for line in front if line)
    stack: list[tuple[int, str, bool]] = []  # (level, text, numbered)
    notes: list[str] = []
    # a plain short line made a child of the numbered heading right above it: (that heading, its level)
    plain_lead: tuple[tuple[int, str, bool], int] | None = None
    for block in blocks:
        if block.kind == "note":
            notes.append(block.text)
            continue
        section = tuple(t for _, t, _ in stack)
        if block.kind == "row":
            units.append(("row", block.text, 0, section))
            continue
        level = heading_level(block)
        if level:
            numbered = level > 0
            if level < 0:
                level = 1 + max((lvl for lvl, _, num in stack if num), default=0)
            elif _plain(block):
                # A short plain line ("综合实力稳步提升") right under a numbered heading is its first lead,
                # and the plain lines after it under the same heading are its siblings; elsewhere
                # ("名词解释" after the last section's paragraphs, "2024年工作安排") it heads a section.
                parent = next((entry for entry in reversed(stack) if entry[2]), None)
                if units[-1][0] == "heading" and stack and stack[-1][2] and _marker_level(stack[-1][1]):
                    plain_lead = (stack[-1], stack[-1][0] + 1)
                if plain_lead is not None and parent is plain_lead[0] and parent in stack:
                    level, numbered = plain_lead[1], False
            while stack and stack[-1][0] >= level:
                stack.pop()
            units.append(("heading", block.text, level, tuple(t for _, t, _ in stack)))
            stack.append((level, block.text, numbered))
            continue
        units.extend(("paragraph", text, 0, section) for text in split_long(block.text))
    units.extend(("note", text, 0, ()) for text in notes)
    seen: dict[str, int] = {}
    out: list[Paragraph] = []
    for kind, text, level, section in units:
        assert kind in KINDS
        out.append(Paragraph(_unit_id(doc_id, text, seen), doc_id, len(out), text, section, kind, level))
    return out


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
