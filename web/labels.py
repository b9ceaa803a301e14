"""How documents and hits read on a page, in a citation and in an export: titles with their place,
permalinks that carry the query, highlighted HTML, and which metadata URLs may become links.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlencode, urlsplit

from flask import current_app
from markupsafe import Markup

import search
from search.fields import KIND_LABELS
from search.highlight import marked
from search.normalize import normalize

# Suffixes a title may leave out when it names its place ("常州" for 常州市, "广西" for 广西壮族自治区).
_PLACE_SUFFIX = re.compile(r"(维吾尔自治区|壮族自治区|回族自治区|特别行政区|自治区|自治州|地区|省|市|区|县|旗|盟|镇|乡|街道)$")


def absolute(path: str) -> str:
    """`path` as an absolute URL under the configured public base URL (never the request's Host)."""
    return current_app.config["BASE_URL"].rstrip("/") + path


def place(doc: search.Document) -> str:
    """Province, city and county of a document as one string ("江苏省 常州市 溧阳市")."""
    return " ".join(dict.fromkeys(p for p in (doc.province, doc.city, doc.county) if p))


def place_of(doc: search.Document) -> str:
    """The one place a report speaks for: its county, else its city, else its province (国务院 for the State Council's)."""
    return doc.county or doc.city or doc.province or (doc.level if doc.tier == "国家" else "")


def _names(title: str, where: str) -> bool:
    stem = _PLACE_SUFFIX.sub("", where)
    norm = normalize(title)
    return normalize(where) in norm or (len(stem) >= 2 and normalize(stem) in norm)


def title_label(doc: search.Document) -> str:
    """The title as lists, citations and exports show it: with its place when the title lacks it.

    "2025年政府工作报告" of 广州市 reads "2025年政府工作报告 · 广州市": a list of twenty reports all
    called 政府工作报告 says nothing otherwise.
    """
    title = doc.title.strip() or "（无标题）"
    where = place_of(doc)
    if where and not _names(title, where):
        return f"{title} · {where}"
    return title


def kind_label(kind: str) -> str:
    """The Chinese name of a paragraph kind (标题, 小标题, 题注 …)."""
    return KIND_LABELS.get(kind, kind)


def permalink_path(paragraph_id: str, q: str = "", mode: str = "exact") -> str:
    """The permalink path of a paragraph, carrying the query so whoever opens it sees the highlight."""
    args = [("q", q)] if q else []
    if q and mode != "exact":
        args.append(("mode", mode))
    return f"/p/{paragraph_id}" + (f"?{urlencode(args)}" if args else "")


def citation(doc: search.Document, section: tuple[str, ...], url: str) -> str:
    """A citation line: title (with place), place, year, section, absolute permalink."""
    parts = [f"《{title_label(doc)}》", place(doc), f"{doc.year}年" if doc.year else "", doc.date,
             " › ".join(section), url]
    return "，".join(p for p in parts if p)


def highlighted(text: str, spans: list[tuple[int, int]]) -> Markup:
    """Text as HTML: everything escaped, the spans in <mark>."""
    return Markup(marked(text, spans, "<mark>", "</mark>", escape=lambda s: html.escape(s, quote=False)))


def safe_url(url: str) -> str:
    """The URL when it is http(s) with a host (metadata may carry javascript: or data:), else ""."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    if parts.scheme.lower() in ("http", "https") and parts.netloc and not any(c in url for c in "\r\n\t <>\"'`"):
        return url
    return ""
