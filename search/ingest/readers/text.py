"""Reader for plain text and Markdown (.txt, .md, .markdown), with optional YAML front matter."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..encoding import decode
from ..furniture import clean_furniture
from ..markup import strip_blocks
from ..raw import RawDocument

_FRONT = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)", re.S)

# front-matter key → metadata field; `source` is where lawtext keeps the page address
_KEYS = {
    "title": "title", "source": "url", "url": "url", "link": "url", "date": "date", "year": "year",
    "speaker": "speaker", "type": "type", "level": "level", "tier": "tier", "province": "province",
    "city": "city", "county": "county",
}


# Front matter is a few lines of title/source/date; past this it is not front matter but a trap.
MAX_FRONT_MATTER = 16 * 1024


def _refusal(block: str) -> str:
    """Why a front-matter block is not parsed (Chinese), or "" when it is safe to parse."""
    import yaml

    if len(block) > MAX_FRONT_MATTER:
        return f"front matter 过长（超过 {MAX_FRONT_MATTER // 1024} KB），已忽略"
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        # Tokens only (linear, nothing built): an anchor or alias can expand a few hundred bytes into
        # gigabytes ("billion laughs"), and no report's front matter needs one.
        for token in yaml.scan(block, Loader=loader):
            if isinstance(token, (yaml.AnchorToken, yaml.AliasToken)):
                return "front matter 含 YAML 锚点或别名，已忽略"
    except yaml.YAMLError:
        return "front matter 无法解析，已忽略"
    return ""


def split_front_matter(text: str) -> tuple[dict[str, Any], str, str]:
    """Split `---` YAML front matter off text: (metadata, remaining text, note about a refused block)."""
    match = _FRONT.match(text)
    if not match:
        return {}, text, ""
    import yaml

    note = _refusal(match.group(1))
    if note:
        return {}, text[match.end():], note  # the block costs only itself: the body is kept
    try:
        # the C-accelerated safe loader when PyYAML was built with libyaml; same safe semantics
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        data = yaml.load(match.group(1), Loader=loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError:
        # Broken front matter must not cost the report: drop the block, keep the body.
        return {}, text[match.end():], "front matter 无法解析，已忽略"
    if not isinstance(data, dict):
        return {}, text[match.end():], "front matter 不是键值表，已忽略"
    meta: dict[str, Any] = {}
    for key, value in data.items():
        field = _KEYS.get(str(key).strip().lower())
        if field and isinstance(value, (str, int, float)) and str(value).strip():
            meta.setdefault(field, value if field == "year" else str(value).strip()[:1000])
        elif field and hasattr(value, "isoformat"):
            meta.setdefault(field, value.isoformat())  # YAML reads 2024-01-22 as a date
    return meta, text[match.end():], ""


def read(path: Path) -> list[RawDocument]:
    """Read one text or Markdown file into a single raw document."""
    text = decode(Path(path).read_bytes())
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    meta, body, note = split_front_matter(text)
    if note:
        meta["note"] = note
    markdown = Path(path).suffix.lower() in (".md", ".markdown")
    if markdown:
        # HTML comments are not shown by Markdown; lawtext keeps photo captions and wire datelines
        # in them ("<!-- 新华社北京3月15日电 -->"), which must not become a title or a paragraph.
        # One linear scan (a regex "<!--.*?-->" took 117 s on 400 KB of unclosed "<!-- ").
        body = strip_blocks(body, tags=())
    # Text saved from a web page carries the page's clutter (打印, 关闭, 【字号：大 中 小】 …) too.
    return [RawDocument(text=clean_furniture(body), meta=meta, layout="markdown" if markdown else "plain")]
