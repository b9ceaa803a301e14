"""Reader for web pages (.html, .htm, .shtml): the article's text by text density, furniture dropped."""

from __future__ import annotations

import codecs
import re
from pathlib import Path
from typing import Any

from ..furniture import clean_furniture, page_meta
from ..raw import IngestError, RawDocument
from ..tables import table_markdown

# Declared charsets, looked for in the first bytes only (where <meta> must be).
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]{2,30})""", re.I)
_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9_.:\-]{2,30})""", re.I)
_XML_DECL_TEXT = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
# GB2312 and GBK pages routinely contain characters outside their nominal charset; GB18030 is the superset.
_GB_ALIASES = {"gb2312", "gbk", "gb_2312", "gb_2312-80", "x-gbk", "cp936", "ms936", "euc-cn", "hz-gb-2312", "gb18030", "csgb2312"}

# Characters that a right decoding of Chinese text almost never produces: replacement, private use,
# C1 controls, CJK extension A, half-width katakana (GBK bytes read as Shift-JIS) and box drawing.
_SUSPECT = re.compile("[\ufffd\ue000-\uf8ff\x80-\x9f\u3400-\u4dbf\uff61-\uff9f\u2500-\u257f]")
_CJK = re.compile("[\u4e00-\u9fff]")

_DROP_TAGS = frozenset(
    "script style noscript template iframe frame frameset object embed svg canvas select option button input "
    "textarea nav footer aside map area audio video link meta head".split()
)
_BLOCK_TAGS = frozenset(
    "p div h1 h2 h3 h4 h5 h6 li ul ol dl dt dd tr td th table section article blockquote pre center "
    "body header main figure figcaption address hr form fieldset caption tbody thead tfoot".split()
)
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_BOLD_TAGS = frozenset({"strong", "b"})
# class/id words of furniture inside the chosen content block (share bars, print/close buttons, pagers)
_FURNITURE_WORDS = frozenset(
    "nav navbar menu footer foot share bdshare fenxiang print dayin close guanbi toolbar tools tool breadcrumb "
    "crumb crumbs position location weizhi copyright sidebar related xgwz pager pagination prev next prevnext "
    "zihao fontsize font-size qrcode ewm erweima".split()
)
_WORD_SPLIT = re.compile(r"[^a-z0-9]+")
_SPACE = re.compile(r"[ \t\r\n\f\v\u00a0\u3000\u2002\u2003\u2009\u200b]+")

# meta names (lowercase) that carry the article's title, date, source and address on Chinese government sites
_TITLE_META = ("articletitle", "og:title", "title", "dc.title", "twitter:title")
_DATE_META = ("pubdate", "publishdate", "firstpublishedtime", "article:published_time", "dc.date", "dc.date.issued", "date", "maketime")
_SOURCE_META = ("contentsource", "source", "og:site_name")
_URL_META = ("url", "og:url")
_ISO_DATE = re.compile(r"((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
# "2024年政府工作报告_巴中市人民政府", "标题 - 中国政府网", "标题|某某县人民政府门户网站"
_TITLE_SEPARATORS = re.compile(r"\s*(?:[_|｜]+|\s[-—–]+\s|--+|——)\s*")
_SITE_NAME = re.compile(r"(?:人民政府|政府|政府网|门户网站|网站|网|政务公开|信息公开|首页|政务服务网|办公室|办公厅)$")
_BLAND_TITLES = {"", "无标题", "untitled", "document", "首页", "index", "正文", "详情", "信息公开", "政务公开", "文章详情"}


def _normalise_charset(name: str) -> str | None:
    name = name.strip().lower()
    if name in _GB_ALIASES:
        return "gb18030"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _suspect_ratio(text: str) -> float:
    """Share of non-ASCII characters that a right decoding would hardly produce."""
    non_ascii = sum(1 for ch in text[:50000] if ord(ch) > 127)
    if not non_ascii:
        return 0.0
    return len(_SUSPECT.findall(text[:50000])) / non_ascii


def decode_html(data: bytes) -> str:
    """Decode page bytes: BOM, then valid UTF-8, then the declared charset, else detection."""
    if not data.strip():
        raise IngestError("文件为空")
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="replace")
    for bom, codec in ((codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(codec, errors="replace")
    # Bytes that are valid UTF-8 and not pure ASCII are UTF-8 whatever the page claims: GBK text is
    # practically never valid UTF-8, while UTF-8 pages saved with a stale "gb2312" meta are common.
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return text
    head = data[:4096]
    m = _XML_DECL.match(head) or _META_CHARSET.search(head)
    declared = _normalise_charset(m.group(1).decode("ascii", "replace")) if m else None
    if declared and declared != "utf-8":
        try:
            text = data.decode(declared)
        except (UnicodeDecodeError, LookupError):
            text = ""
        if text and _suspect_ratio(text) < 0.02:
            return text
    # No declaration, or it is wrong: GB18030 is by far the likeliest non-UTF-8 Chinese page encoding.
    try:
        text = data.decode("gb18030")
        if _suspect_ratio(text) < 0.02:
            return text
    except UnicodeDecodeError:
        pass
    from ..encoding import decode

    return decode(data)


def _attr_words(el: Any) -> set[str]:
    words = set()
    for attr in ("class", "id"):
        value = el.get(attr)
        if value:
            words.update(w for w in _WORD_SPLIT.split(value.lower()) if w)
    return words


def _cjk_count(text: str | None) -> int:
    return len(_CJK.findall(text)) if text else 0


# "2024年绵阳市政府工作报告-绵阳市人民政府": a dash without spaces before the site's name
_TIGHT_SITE = re.compile(r"^(.*[^\s\-—–])[-—–]+([^\-—–\s]{2,30})$")


def _without_site(segment: str) -> str:
    """A title segment without a site or organisation name joined to it by a dash without spaces ("…报告-绵阳市
    人民政府", "…-中国政府网"); a dash inside the title ("2023-2024年") stays."""
    m = _TIGHT_SITE.match(segment)
    if m and _SITE_NAME.search(m.group(2)) and "报告" not in m.group(2) and re.search(r"[\u4e00-\u9fff]", m.group(2)):
        return m.group(1)
    return segment


def _clean_title(raw: str) -> str:
    """A page title without the site name around it, or "" when nothing meaningful is left."""
    title = _SPACE.sub(" ", raw or "").strip()
    if not title:
        return ""
    segments = [_without_site(s.strip()) for s in _TITLE_SEPARATORS.split(title) if s.strip()]
    keep = [s for s in segments if not (_SITE_NAME.search(s) and "报告" not in s)]
    title = (keep or segments or [""])[0]
    return "" if title.lower() in _BLAND_TITLES else title


def _meta_tags(root: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    for el in root.iter("meta"):
        key = (el.get("name") or el.get("property") or el.get("itemprop") or "").strip().lower()
        value = (el.get("content") or "").strip()
        if key and value and key not in found:
            found[key] = value
    return found


def _page_metadata(root: Any) -> dict[str, Any]:
    """Title, date, source and address from the page's head and info bar."""
    tags = _meta_tags(root)
    meta: dict[str, Any] = {}
    for key in _TITLE_META:
        title = _clean_title(tags.get(key, ""))
        if title:
            meta["title"] = title
            break
    if "title" not in meta:
        h1s = [_SPACE.sub(" ", h.text_content()).strip() for h in root.iter("h1")]
        h1s = [h for h in h1s if _cjk_count(h) >= 4]
        if len(h1s) == 1:  # several <h1>s are usually the site logo and the article; one is the article
            meta["title"] = _clean_title(h1s[0])
    if "title" not in meta:
        title_el = root.find(".//title")
        if title_el is not None:
            title = _clean_title(title_el.text_content())
            if title:
                meta["title"] = title
    for key in _DATE_META:
        m = _ISO_DATE.search(tags.get(key, ""))
        if m and 1 <= int(m.group(2)) <= 12 and 1 <= int(m.group(3)) <= 31:
            meta["date"] = f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
            break
    for key in _SOURCE_META:
        if tags.get(key):
            meta["source"] = tags[key]
            break
    for el in root.iter("link"):
        if (el.get("rel") or "").lower() == "canonical" and (el.get("href") or "").startswith(("http://", "https://")):
            meta["url"] = el.get("href").strip()
            break
    if "url" not in meta:
        for key in _URL_META:
            if tags.get(key, "").startswith(("http://", "https://")):
                meta["url"] = tags[key]
                break
    return meta


def _drop_clutter(root: Any) -> None:
    """Remove scripts, styles, form controls, navigation and comments from the whole tree."""
    doomed = [el for el in root.iter() if not isinstance(el.tag, str) or el.tag.lower() in _DROP_TAGS]
    for el in doomed:
        if el.getparent() is None:
            continue
        if isinstance(el.tag, str):
            el.drop_tree()  # keeps the tail text, which belongs to the parent
        else:  # comment or processing instruction
            tail = el.tail
            parent = el.getparent()
            prev = el.getprevious()
            parent.remove(el)
            if tail:
                if prev is not None:
                    prev.tail = (prev.tail or "") + tail
                else:
                    parent.text = (parent.text or "") + tail


def _main_block(root: Any) -> Any:
    """The element holding most Chinese text in paragraphs: a paragraph credits its parent fully, the grandparent half."""
    scores: dict[Any, float] = {}

    def credit(el: Any, amount: float) -> None:
        if el is not None:
            scores[el] = scores.get(el, 0.0) + amount

    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        tag = el.tag.lower()
        if tag == "p" or tag in _HEADINGS:
            n = _cjk_count(el.text_content())
            if n:
                parent = el.getparent()
                credit(parent, n)
                credit(parent.getparent() if parent is not None else None, n / 2)
        elif tag in _BLOCK_TAGS or tag in ("span", "font"):
            # text written straight into a <div> or <td> between <br>s counts for that element
            n = _cjk_count(el.text) + sum(_cjk_count(child.tail) for child in el)
            if n:
                credit(el, n)
                credit(el.getparent(), n / 2)
    if not scores:
        return root
    best = max(scores.items(), key=lambda item: item[1])[0]
    # inline wrappers (<span>, <font>) around the text: take their block ancestor
    while best.getparent() is not None and best.tag.lower() in ("span", "font", "strong", "b", "a", "em", "i", "u"):
        best = best.getparent()
    return best


def _drop_inner_furniture(block: Any) -> None:
    doomed = [el for el in block.iterdescendants() if isinstance(el.tag, str) and _attr_words(el) & _FURNITURE_WORDS]
    doomed_set = set(doomed)
    for el in doomed:
        # a descendant of an element already dropped is gone with it
        if el.getparent() is not None and all(a not in doomed_set for a in el.iterancestors()):
            el.drop_tree()


class _Lines:
    """Collects text pieces into lines, remembering whether a line was all bold or a heading."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.pieces: list[tuple[str, bool]] = []

    def add(self, text: str | None, bold: bool, pre: bool) -> None:
        if not text:
            return
        if pre:
            parts = text.split("\n")
            for k, part in enumerate(parts):
                if k:
                    self.flush(0)
                self.pieces.append((part, bold))
        else:
            self.pieces.append((text, bold))

    def flush(self, heading: int) -> None:
        if not self.pieces:
            return
        line = _SPACE.sub(" ", "".join(p for p, _ in self.pieces)).strip()
        plain = sum(len(_SPACE.sub("", p)) for p, b in self.pieces if not b)
        self.pieces = []
        if not line:
            return
        if heading:
            self.lines.append("#" * heading + " " + line)
        elif plain == 0 and len(line) <= 40 and "。" not in line.rstrip("。"):
            # a paragraph that is bold throughout and short ("<p><strong>一、2023年工作回顾</strong></p>")
            self.lines.append("# " + line)
        else:
            self.lines.append(line)


def _linearize(block: Any) -> list[str]:
    """One line per block element (<p>, <div>, <br>, heading …), headings marked '#'; no recursion."""
    from lxml import etree

    out = _Lines()
    bold = 0
    pre = 0
    heading = 0
    for event, el in etree.iterwalk(block, events=("start", "end")):
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if event == "start":
            if tag in _BLOCK_TAGS or tag in _HEADINGS or tag == "br":
                out.flush(heading)
            if tag in _HEADINGS:
                heading = _HEADINGS[tag]
            if tag in _BOLD_TAGS:
                bold += 1
            if tag == "pre":
                pre += 1
            out.add(el.text, bold > 0, pre > 0)
        else:
            if tag in _BLOCK_TAGS or tag in _HEADINGS:
                out.flush(heading)
            if tag in _HEADINGS:
                heading = 0
            if tag in _BOLD_TAGS:
                bold -= 1
            if tag == "pre":
                pre -= 1
            if el is not block:
                out.add(el.tail, bold > 0, pre > 0)
    out.flush(heading)
    return out.lines


_HIDDEN_TAGS = ("script", "style", "noscript", "template", "head")
# Bounded by the next '<': a tag opener without its '>' cannot make one match scan the rest of the page.
_BLOCK_RE = re.compile(r"</?(?:p|div|br|h[1-6]|li|tr|td|th|table|section|article|blockquote|pre)\b[^<>]*>", re.I)
_TAG_RE = re.compile(r"<[^<>]*>")


def _strip_hidden(text: str) -> str:
    """Comments and <script>/<style>/… elements removed in one pass (linear: see `markup.strip_blocks`)."""
    from ..markup import strip_blocks

    return strip_blocks(text, _HIDDEN_TAGS)


def _regex_text(text: str) -> str:
    """Text of a page by stripping tags: for pages lxml cannot build (nested deeper than libxml2 allows)."""
    import html as html_lib

    text = _strip_hidden(text)
    text = _BLOCK_RE.sub("\n", text)
    text = html_lib.unescape(_TAG_RE.sub("", text))
    lines = (_SPACE.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def _cell_text(cell: Any) -> str:
    return _SPACE.sub(" ", " ".join(t for t in cell.itertext())).strip()


def _tables_to_rows(block: Any) -> None:
    """Replace each data table (rows of two or more filled cells, no table inside) by one <p> per pipe-table line.

    Layout tables (a cell holding the article, nested tables) are left for the text walk. The first
    row is the header when it is made of <th> cells or sits in <thead>.
    """
    from lxml import etree

    for table in list(block.iter("table")):
        if table.getparent() is None or any(True for _ in table.iterdescendants("table")):
            continue
        rows = [tr for tr in table.iter("tr")]
        cells = [[c for c in tr if isinstance(c.tag, str) and c.tag.lower() in ("td", "th")] for tr in rows]
        filled = [sum(1 for c in row if _cell_text(c)) for row in cells]
        if sum(1 for n in filled if n >= 2) < 2 or sum(1 for n in filled if n >= 2) * 2 < sum(1 for n in filled if n):
            continue
        first = cells[0] if cells else []
        header = bool(first) and (
            all(c.tag.lower() == "th" for c in first) or rows[0].getparent().tag.lower() == "thead"
        )
        lines = table_markdown([[_cell_text(c) for c in row] for row in cells], header)
        holder = etree.Element("div")
        for line in lines:
            etree.SubElement(holder, "p").text = line
        holder.tail = table.tail
        table.getparent().replace(table, holder)


def parse_html(text: str) -> tuple[str, dict[str, Any]]:
    """Main text (light Markdown, one paragraph per line) and metadata of a page given as a string."""
    import lxml.html
    from lxml import etree

    text = _XML_DECL_TEXT.sub("", text, count=1)  # lxml refuses str input that declares an encoding
    if not text.strip():
        raise IngestError("文件为空")
    # No network, no entity expansion (HTML has none of its own); libxml2's default limits on depth and
    # node size stay on: a page past them is read by stripping tags instead (below).
    parser = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, no_network=True)
    try:
        root = lxml.html.document_fromstring(text, parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise IngestError(f"无法解析网页（{exc}）") from exc
    meta = _page_metadata(root)
    _drop_clutter(root)
    body = root.find("body")
    page_text = " ".join(t for t in (body if body is not None else root).itertext())
    for key, value in page_meta(page_text).items():
        meta.setdefault(key, value)
    block = _main_block(body if body is not None else root)
    _drop_inner_furniture(block)
    _tables_to_rows(block)
    lines = _linearize(block)
    # libxml2 gives up below ~2000 levels of nesting and drops what is inside: when the tree holds far
    # less Chinese text than the markup, read the markup by stripping tags instead.
    stripped = _regex_text(text)
    if _cjk_count(page_text) < 0.5 * _cjk_count(stripped):
        lines = stripped.split("\n")
    cleaned = clean_furniture("\n".join(lines))
    return cleaned, meta


def read(path: Path) -> list[RawDocument]:
    """Read one web page into a single raw document with its title, date and address."""
    text = decode_html(Path(path).read_bytes())
    body, meta = parse_html(text)
    if not body.strip():
        raise IngestError("网页中没有正文")
    return [RawDocument(text=body, meta=meta, layout="markdown")]
