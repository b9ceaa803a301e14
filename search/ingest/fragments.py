"""Fragments: pieces of a sentence that a page break or a wrap left as paragraphs of their own.

A paragraph that stops mid-sentence (no closing punctuation, body text before it) and the paragraph
after it are one paragraph cut by the page: they are joined. What remains under `SHORT` characters is
listed by `short_paragraphs` with what it is, for the index summary.
"""

from __future__ import annotations

import re

from ..models import Document
from .structure import Block, heading_level

SHORT = 8  # paragraphs under this many characters are listed
# A paragraph ends a sentence with one of these (closing quotes and brackets after a sentence end too).
_ENDS = tuple("。！？；：…!?;:”’）)」』》】")
_BODY = re.compile(r"[。！？；，]")
_MARKER = re.compile(r"^(?:[一二三四五六七八九十]{1,3}、|[（(][一二三四五六七八九十\d]{1,3}[)）]|\d{1,2}[.、．](?!\d)|——|[①-⑳])")
_SALUTATION = re.compile(r"^(?:各?位代表|同志们|代表们)[：:！!，,。]?$")
_LABEL = re.compile(r"^(?:附|附件\d*|附注|附录|注|注释|名词注解|名词解释|文档附件|说明|备注)[：:]?(?:名词注解|名词解释|\*.*)?[：:]?$")
_SIGNATURE = re.compile(r"^(?:[\u4e00-\u9fff]{0,8}(?:市长|省长|主席|总理|县长|区长))[:：]?[\u4e00-\u9fff·]{2,4}$")
_OPENING = re.compile(r"^[，。、；：！？）》」』”’,.;:!?)%]")
# A number cut by a page or line break: the paragraph ends in a digit or a decimal point after one
# ("地方财政收入25.9" | "亿元…", "比2000年增长72." | "5%和49.9%"), the next goes on with digits, a
# per cent or per mille sign, or the measure word the number counts ("亿元", "万人", "个", "年", "第44|号").
_NUMBER_END = re.compile(r"[0-9０-９][.．]?$")
_MEASURES = "亿万千百元角吨斤克升米里亩顷人户个家项台辆套件条座所名天年月日时号只头位支批块期届处场种份张篇本周岁倍次股栋艘架层"
_NUMBER_GOES_ON = re.compile(rf"^(?:[0-9０-９%％‰]|[多余]?[{_MEASURES}])")


def _open_ended(text: str) -> bool:
    """Body text that stops mid-sentence: it has sentences or clauses before, and no closing mark at the end."""
    return not text.endswith(_ENDS) and len(text) >= 10 and bool(_BODY.search(text[:-1]))


def _number_cut(text: str, after: str) -> bool:
    """Whether a paragraph of text stops inside a number that the next one finishes (see `_NUMBER_GOES_ON`)."""
    return (
        bool(_NUMBER_END.search(text)) and bool(_NUMBER_GOES_ON.match(after))
        and len(text) >= 6 and bool(re.search(r"[\u4e00-\u9fff]", text))
    )


def join_fragments(blocks: list[Block]) -> tuple[list[Block], int]:
    """Join each paragraph cut mid-sentence with the paragraph that continues it; also returns how many joins."""
    out: list[Block] = []
    joins = 0
    for block in blocks:
        if out and block.kind == "text" and out[-1].kind == "text" and not block.md_level and not block.bold:
            prev = out[-1]
            if (
                not prev.md_level and heading_level(prev) == 0 and heading_level(block) == 0
                and not _MARKER.match(block.text) and not _SALUTATION.match(block.text)
                and (
                    _number_cut(prev.text, block.text)
                    or _open_ended(prev.text) and (
                        len(block.text) < SHORT * 3 or _OPENING.match(block.text) or prev.text.endswith(("，", "、"))
                    )
                )
            ):
                out[-1] = Block(prev.text + block.text, prev.bold, prev.md_level, prev.kind)
                joins += 1
                continue
        out.append(block)
    return out, joins


def describe_short(text: str) -> str:
    """What a short paragraph is (Chinese): a salutation, a closing, a signature or date, or a fragment."""
    compact = re.sub(r"\s+", "", text)
    if _SALUTATION.match(compact):
        return "称呼" if compact.startswith(("各位", "同志", "代表")) else "称呼，来源缺字"
    if _LABEL.match(compact):
        return "附注标签"
    if _SIGNATURE.match(compact):
        return "署名"
    if not re.search(r"[\u4e00-\u9fffA-Za-z0-9]", compact):
        return "孤立标点"
    if re.fullmatch(r"(?:谢谢|谢谢大家|谢谢各位)[！!。]?", compact):
        return "致谢"
    if re.fullmatch(r"[\u4e00-\u9fff·]{2,4}", compact):
        return "署名或短语"
    if re.search(r"(?:19|20)\d{2}年|[年月日]$", compact):
        return "日期"
    if compact.endswith(_ENDS) and not re.search(r"[，、]", compact):
        return "短句"
    return "残句"


def short_paragraphs(doc: Document) -> list[str]:
    """Body paragraphs of a document under `SHORT` characters, each as "text（what it is）"."""
    return [
        f"{p.text}（{describe_short(p.text)}）"
        for p in doc.paragraphs
        if p.kind == "paragraph" and len(re.sub(r"\s+", "", p.text)) < SHORT
    ]
