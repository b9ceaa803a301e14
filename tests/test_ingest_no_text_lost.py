"""The exact-phrase promise: every line a reader sees in a lawtext report is in the units of its document.

For each Markdown file: the body after the front matter, with markup removed (emphasis, heading marks,
HTML tags and comments, footnote markers; a table line counts cell by cell, its delimiter row is
markup), each non-empty line normalized must be contained in the normalized text of one unit of the
document (headings, front lines and notes included). The only exception is a paragraph too long for one
unit (cut at sentence ends by `structure.split_long`): it must then be found across consecutive units.
The last line of every file must be found too (nothing cut off at the end).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from search.ingest import SourceFile, read_documents
from search.ingest.structure import LONG_PARAGRAPH
from search.normalize import normalize

LAWTEXT = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "lawtext"
_FRONT = re.compile(r"\A---[ \t]*\n.*?\n---[ \t]*\n", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_MARKER = re.compile(r"\[\^[^\]\s]{1,16}\](?!:)|[［\[]\s*\d{1,3}\s*[］\]]")
# page furniture a saved page carries above or below the report (the only lines allowed to go)
_FURNITURE = re.compile(r"^(?:来源|信息来源|文章来源|发布时间|发布日期|责任编辑|编辑)\s*[:：]")
_DEFINITION = re.compile(r"^\[\^[^\]\s]{1,16}\]:\s*")
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_RULE = re.compile(r"^\s*(?:[-*_]\s*){3,}$")
_DELIMITER = re.compile(r"^\|?(?:\s*:?-{3,}:?\s*\|?)+\s*$")


def visible_lines(markdown: str) -> list[str]:
    """What a reader sees of a Markdown report, line by line (a table line gives one entry per cell)."""
    text = _COMMENT.sub("", _FRONT.sub("", markdown.replace("\r\n", "\n"), count=1))
    out: list[str] = []
    for line in text.split("\n"):
        line = _DEFINITION.sub("", line.strip())
        if not line or _RULE.match(line) or _DELIMITER.match(line) or _FURNITURE.match(line):
            continue
        line = _MARKER.sub("", line)
        parts = line.strip("|").split("|") if line.startswith("|") else re.split(r"<br\s*/?>", line, flags=re.I)
        for part in parts:
            part = _TAG.sub("", part).replace("**", "").replace("__", "")
            part = re.sub(r"^#{1,6}\s*", "", part.strip())
            if normalize(part):
                out.append(normalize(part))
    return out


def missing_lines(path: Path, rel: str) -> list[str]:
    """Visible lines of a file found in no unit of its documents, and the last line if it is not near the end."""
    docs = read_documents(SourceFile(path, rel))
    units = [normalize(p.text) for d in docs for p in d.paragraphs]
    separate = "\x00".join(units)
    together = "".join(units)
    lines = visible_lines(path.read_text(encoding="utf-8"))
    missing = [
        line for line in lines
        if line not in separate and not (len(line) > LONG_PARAGRAPH // 2 and line in together)
    ]
    body = [normalize(p.text) for d in docs for p in d.paragraphs if p.kind not in ("note",)]
    if lines and not any(lines[-1] in u or u in lines[-1] for u in body[-3:]):
        if not any(lines[-1] in normalize(p.text) for d in docs for p in d.paragraphs if p.kind == "note"):
            missing.append("（末段）" + lines[-1])
    return missing


@pytest.mark.skipif(not LAWTEXT.exists(), reason="lawtext corpus not available")
def test_no_text_is_lost_in_any_lawtext_report() -> None:
    lost: dict[str, list[str]] = {}
    for path in sorted(LAWTEXT.rglob("*.md")):
        rel = path.relative_to(LAWTEXT).as_posix()
        gone = missing_lines(path, rel)
        if gone:
            lost[rel] = gone
    report = "\n".join(f"{rel}: {len(g)} lines, e.g. {g[0][:80]}" for rel, g in sorted(lost.items())[:40])
    assert not lost, f"{len(lost)} files lose text:\n{report}"


def test_visible_lines_strip_markup_only() -> None:
    md = "---\ntitle: x\n---\n**一、回顾**\n\n正文[^1]一句。<!-- 注 -->\n\n| 甲 | 乙 |\n|---|---|\n| 1<br>2 | 3 |\n\n[^1]: 注释文字\n---\n"
    assert visible_lines(md) == ["一、回顾", "正文一句。", "甲", "乙", "12", "3", "注释文字"]
