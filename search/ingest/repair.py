"""Text clean-up shared by all readers: wraps joined, page numbers and footnote marks dropped, spacing fixed.

The output is a list of lines, one paragraph (or heading, or metadata line) per line.
"""

from __future__ import annotations

import re

# Characters of Chinese running text: ideographs, CJK and full-width punctuation, em dash, quotes.
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef\u2014\u2018\u2019\u201c\u201d\u2026\u00b7"
_SPACE = "[ \t\u3000\u00a0]+"
# whitespace is kept only between two Latin letters or digits (the rule `normalize` applies too)
# (Roman numerals and full-width Latin/digits count as Latin: `normalize` turns them into ASCII, "Ⅱ Ⅲ" → "ii iii")
_LATIN = "A-Za-z0-9\u00c0-\u024f\u2160-\u217f\uff10-\uff19\uff21-\uff3a\uff41-\uff5a"
_SPACE_CJK = re.compile(rf"(?<![{_LATIN}.%+\-]){_SPACE}|{_SPACE}(?![{_LATIN}])")
# bare page numbers: "65", "— 9 —", "— 9—", "-12-", "第 3 页"
_PAGE_NUMBER = re.compile(r"^[\s—–\-－]*(?:\d{1,4}|第\s*\d{1,4}\s*页)[\s—–\-－]*$")
_DASHED_PAGE_NUMBER = re.compile(r"^\s*[—–\-－]+\s*\d{1,4}\s*[—–\-－]+\s*$")
# "［1］" printed as superscript in PDFs, and Markdown footnote references "[^1]" (not the definitions
# "[^1]: …" at a line's start, which become notes)
_FOOTNOTE = re.compile(r"[［\[]\s*\d{1,3}\s*[］\]]|\[\^[^\]\s]{1,16}\](?!:)")
_FOOTNOTE_LINE = re.compile(r"^\s*(?:[［\[]\s*\d{1,3}\s*[］\]]\s*)+$")
_HTML_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]{0,300})?/?>")
_TERMINAL = tuple("。！？：；”’）」』…!?;:")
_OPENING_CLOSERS = tuple("，。、；：！？）》」』”’,.;:!?)%")
# a line that begins a numbered heading or item: 一、 （一） 1. 1、 (1)
_MARKER = re.compile(r"^(?:[一二三四五六七八九十]{1,3}、|[（(][一二三四五六七八九十\d]{1,3}[)）]|\d{1,2}[.、．](?!\d))")
# "市长 周永强", "国务院总理　李强": keep the space between title and name readable
SPEAKER_LINE = re.compile(
    # "市长 盛蕾", "国务院总理　温家宝", "北京市市长 殷勇", "四川省人民政府省长 尹力", "自治区主席 …"
    r"^\**\s*((?:国务院|[\u4e00-\u9fff]{2,10}?(?:省|市|区|县|旗|州|盟|镇|乡|自治区)(?:人民政府)?)?"
    r"(?:代理)?(?:代)?(?:总理|副总理|省长|市长|区长|县长|旗长|州长|盟长|镇长|乡长|主任|主席|专员))"
    r"[ \t\u3000\u00a0]*([\u4e00-\u9fff·]{2,5})\s*\**$"
)


def width(text: str) -> int:
    """Display width in print: two for every non-ASCII character (Chinese quotes take a full em), one for ASCII."""
    return 2 * len(text) - len(text.encode("ascii", "ignore"))


_ANY_SPACE = re.compile(r"\s")


def fix_spacing(line: str) -> str:
    """Drop whitespace next to Chinese text (and inside spaced-out titles); keep it between Latin words and numbers."""
    if not _ANY_SPACE.search(line):
        return line  # most lines of clean text have nothing to fix
    if SPEAKER_LINE.match(line.strip()):
        return re.sub(_SPACE, " ", line.strip())
    line = _SPACE_CJK.sub("", line)
    return re.sub(_SPACE, " ", line).strip()


def is_page_number(line: str) -> bool:
    """A line that is only a page number of the printed original."""
    return bool(_PAGE_NUMBER.match(line))


def looks_pdf_extracted(lines: list[str]) -> bool:
    """Whether plain text looks hard-wrapped (extracted from PDF) rather than one paragraph per line."""
    body = [s for s in (line.strip() for line in lines) if s and not is_page_number(s)]
    if len(body) < 12:
        return False
    open_ended = sum(1 for s in body if not s.endswith(_TERMINAL))
    if open_ended < 0.4 * len(body):
        return False
    # Wrapped text has many lines of (nearly) the same width: the width of the page.
    full = _full_width([width(s) for s in body])
    near = sum(1 for s in body if abs(width(s) - full) <= 4)
    return near >= 0.4 * len(body)


def _full_width(widths: list[int]) -> int:
    """The width of a full line: the 80th percentile of the lines that are not tiny."""
    usable = sorted(w for w in widths if w > 16) or sorted(widths) or [0]
    return usable[min(len(usable) - 1, int(len(usable) * 0.8))]


def _join(left: str, right: str) -> str:
    # A wrapped English word or number keeps a space; Chinese is written without one.
    if left and right and left[-1].isascii() and left[-1].isalpha() and right[0].isascii() and right[0].isalpha():
        return f"{left} {right}"
    return left + right


# "2024年 XX区政府工作报告", "政 府 工 作 报 告": a title line, never part of a paragraph
TITLE_LINE = re.compile(r"^(?:(?:19|20)\d{2}\s*年)?[^，。；：！？]{0,30}?政府工作报告(?:[（(][^）)]{0,20}[)）])?$")


def is_title_line(line: str) -> bool:
    """A line that names a report ("2024年 XX区政府工作报告")."""
    compact = re.sub(r"[\s*#]", "", line)
    return len(compact) <= 40 and bool(TITLE_LINE.match(compact))


_SALUTATION = re.compile(r"^各位代表[：:！!，,]?$")


def _standalone(line: str) -> bool:
    return is_title_line(line) or bool(SPEAKER_LINE.match(line)) or bool(_SALUTATION.match(line))


_INNER_PUNCT = re.compile(r"[，。、；：！？,;]")
_OPEN_END = tuple("，、（《“‘(,")


def _heading_like(line: str) -> bool:
    """A short line without punctuation inside: a heading, title or name, not a wrapped fragment."""
    line = _MARKER.sub("", line, count=1)
    return len(line) <= 30 and not _INNER_PUNCT.search(line)


def _visual_lines(lines: list[str]) -> list[str]:
    """Non-empty lines without page numbers; in blank-line-separated text, adjacent lines are rejoined.

    When the extractor puts a blank line after every printed line, a break WITHOUT a blank line is an
    artefact inside one printed line (a superscript footnote mark, a page break), not a new line —
    except an indented line right under a numbered heading: the heading's second line or the first
    line of the paragraph below it ("三、…建设美丽宜居家园" / " 优化生产、生活、生态布局，…").
    """
    rows: list[str] = []
    adjacent: list[bool] = []
    gap = True
    for line in lines:
        s = line.strip()
        if not s or is_page_number(s):
            gap = True
            continue
        new_line = line[:1].isspace() and bool(rows) and bool(_HEADING_MARKER.match(rows[-1])) and (
            not _SENTENCE_END.search(rows[-1])
        )
        rows.append(s)
        adjacent.append(not gap and not new_line)
        gap = False
    if sum(adjacent) * 2 >= len(rows):
        return rows  # single-spaced text: every break is a real line break
    short = 0.75 * _full_width([width(s) for s in rows])
    out: list[str] = []
    for s, adj in zip(rows, adjacent):
        if out and adj and not s.startswith("——") and not _standalone(s) and not _standalone(out[-1]) and not (
            out[-1].endswith(_TERMINAL) and (_MARKER.match(s) or _heading_like(s))
        ) and not (_heading_like(out[-1]) and width(out[-1]) < short and not _FOOTNOTE_LINE.match(s)):
            out[-1] = _join(out[-1], s)
        else:
            out.append(s)
    return out


_SENTENCE_END = re.compile(r"[。！？；!?;]")


def _lead_line(row: str, nxt: str, next_width: int, full: int) -> bool:
    """A short unpunctuated line that begins a paragraph of its own, followed by the indented first line of the next.

    In print a paragraph's first line is indented (two characters narrower than a full line) and the
    lines after it are full, so a short line followed by another short line that does not end a
    paragraph means: this line stood alone ("回顾 2023：迎难而上、砥砺前行", "一年来，…综合实力稳步提升")
    and a new paragraph starts below it. A wrap inside a sentence is followed by a full line instead.
    """
    return (
        len(row) <= 40
        and not _SENTENCE_END.search(row)
        and not _standalone(row)
        and not nxt.endswith(_TERMINAL)
        and not nxt.startswith(_OPENING_CLOSERS)
        and full - 8 <= next_width < full - 3  # the next line is an indented first line, not a wrap's tail
        and 8 <= width(row) <= next_width
        and not row.startswith("各位代表")
        and not _word_across(row, nxt)
    )


# a heading's number: 一、 （一） (一) — the numbered headings of a report's outline (not "1." list items)
_HEADING_MARKER = re.compile(r"^(?:[一二三四五六七八九十]{1,3}、|[（(][一二三四五六七八九十]{1,3}[)）])")
# A line ending in one of these continues a sentence whatever its width ("…为", "…的", "…在增强韧性上").
_FUNCTION_END = tuple("的地得和与及或在为对把被从向以于是将并且而之上")
# the end of a heading run into its paragraph on the next line: "高度。", "上实现新突破。"
_RUN_IN_TAIL = re.compile(r"^[^，。；！？、,;!?]{1,6}[。；]")
# "…抓改革、谋": the items of a list in a heading are words of two characters or more
_ITEM_CUT = re.compile(r"、[\u4e00-\u9fff]$")


def _heading_end(current: str, row: str, nxt: str, row_width: int, full: int) -> bool:
    """A line that ends a numbered heading of its own, the paragraph below starting a new sentence.

    `current` is the text gathered since the last break, starting with a heading number ("（四）办实事、
    惠民生，人民福祉日益增强", also over two printed lines: "（一）…上紧“发条”按下项目建" + "设“快进键”，
    积蓄高质量发展强大后劲"); `row` is its last printed line, not a full one. (A short line without a
    number and without punctuation already ends where it ends, see `_unwrap`.) A heading ends
    without closing punctuation and a sentence starts below it. It is a wrap instead when a word runs
    across the break ("为打|造"), the line ends in a word that needs what follows ("…的", "…上") —
    or, for a line nearly as wide as a heading line gets (headings are set in a larger type, so their
    full lines are a few characters shorter), when the next line is the heading's own short last line
    ("…积蓄回升向好" + "新势能") or finishes it before a full stop ("…提升XX" + "高度。实体经济…").
    """
    if not _HEADING_MARKER.match(current) or len(current) > 50 or not _HEADING_MARKER.sub("", current, count=1):
        return False
    if _SENTENCE_END.search(current) or row.endswith(_FUNCTION_END) or row.endswith(_OPEN_END):
        return False
    if nxt.startswith(_OPENING_CLOSERS):
        return False
    if _word_across(row, nxt):
        return False
    if row_width >= full - 12:
        if width(nxt) < 0.75 * full and not _SENTENCE_END.search(nxt) and not _MARKER.match(nxt):
            return False  # the heading's last line comes next
        if _RUN_IN_TAIL.match(nxt) or _ITEM_CUT.search(row):
            return False  # "…强链条、建" + "集群，在转型升级中…": an item of a list cut after its first character
    return True


def _word_across(left: str, right: str) -> bool:
    """Whether a jieba word runs across the break ("地区生产总|值" → 生产总值, "为打|造" → 打造): then it is a wrap."""
    import rjieba

    tail, head = left[-4:], right[:4]
    pos = 0
    for word in rjieba.cut(tail + head):
        if pos < len(tail) < pos + len(word):
            return True
        pos += len(word)
    return False


def _unwrap(lines: list[str]) -> list[str]:
    """Join hard-wrapped lines into paragraphs, inferring paragraph ends from line width and punctuation."""
    rows = _visual_lines(lines)
    widths = [width(s) for s in rows]
    # The full width is measured per block of lines, since a compilation mixes page layouts.
    block = 300
    fulls: list[int] = []
    for start in range(0, len(rows), block):
        fulls.extend([_full_width(widths[start:start + block])] * len(widths[start:start + block]))
    out: list[str] = []
    current = ""
    carry = 0  # width of the part of the same printed line that came before `row`
    for i, row in enumerate(rows):
        current = _join(current, row) if current else row
        line_width = carry + widths[i]
        carry = 0
        nxt = rows[i + 1] if i + 1 < len(rows) else ""
        if not nxt:
            break
        if _standalone(row) or _standalone(nxt):
            out.append(current)
            current = ""
            continue
        if nxt.startswith(_OPENING_CLOSERS) or _FOOTNOTE_LINE.match(nxt) or _FOOTNOTE_LINE.match(row):
            carry = line_width  # the extractor split one printed line here
            continue  # a line cannot start with a comma; a lone footnote mark belongs to the text before it
        if _FOOTNOTE.search(row[-5:]) and not _MARKER.match(nxt):
            continue  # the superscript mark pushed the rest of the sentence to the next line
        if row.startswith("——") and not row.rstrip("*").endswith(("上", "上）", "上)")):
            continue  # "——2024年1月4日在溧阳市第十七届" is wrapped before "人民代表大会第三次会议上"
        if row.endswith(_OPEN_END):
            continue  # a comma or an opening bracket never ends a paragraph
        ends = row.endswith(_TERMINAL)
        # Punctuation is set narrow at a line's end, so a line closing a quote may look short when full.
        short = line_width < fulls[i] - (7 if row.endswith(("”", "’", "）", "」")) else 3)
        # (a numbered heading's last line may be only a character short of a full one: headings are set larger)
        if not ends and (
            (short and current == row and _lead_line(row, nxt, widths[i + 1], fulls[i]))
            or (line_width < fulls[i] - 1 and _heading_end(current, row, nxt, line_width, fulls[i]))
        ):
            out.append(f"**{current}**")  # a heading on its own line(s): structure makes it a heading
            current = ""
            continue
        if (
            (ends and short)
            or (short and line_width < 0.75 * fulls[i] and _heading_like(row))
            or (ends and (_MARKER.match(nxt) or (_heading_like(nxt) and width(nxt) < 0.75 * fulls[i])))
        ):
            out.append(current)
            current = ""
    if current:
        out.append(current)
    return out


_BR = re.compile(r"<br\s*/?>", re.I)


def _strip_tags(text: str) -> str:
    """HTML tags out of Markdown or plain text; <br> breaks a line, except inside a table row (a space)."""
    out = []
    for line in text.split("\n"):
        if "<" in line:
            line = _BR.sub(" " if line.lstrip().startswith("|") else "\n", line)
            line = _HTML_TAG.sub("", line)
        out.append(line)
    return "\n".join(out)


def repair(text: str, layout: str = "plain") -> list[str]:
    """Clean text and return its paragraphs (and heading/metadata lines), one per item."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "").replace("\u200b", "")
    if layout != "pdf" and "<" in text:
        text = _strip_tags(text)
    lines = text.split("\n")
    pdf = layout == "pdf" or (layout == "plain" and looks_pdf_extracted(lines))
    if pdf:
        lines = _unwrap(lines)
    else:
        lines = [line for line in lines if not _DASHED_PAGE_NUMBER.match(line)]
    out = []
    for line in lines:
        line = _FOOTNOTE.sub("", line)
        line = fix_spacing(line)
        if line:
            out.append(line)
    return out
