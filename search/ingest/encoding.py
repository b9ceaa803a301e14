"""Bytes → text: UTF-8 (with or without BOM), GB18030/GBK, else charset-normalizer; binary is refused."""

from __future__ import annotations

import codecs
import re

from .raw import IngestError

# Control characters other than tab/newline/carriage return/form feed do not occur in real text;
# more than a few per thousand characters means the "text" is really binary or a wrong guess.
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f\ufffd]")


def _looks_binary(text: str) -> bool:
    if not text:
        return False
    sample = text[:20000]
    bad = len(_CONTROL.findall(sample))
    return bad > max(2, len(sample) // 200)


def decode(data: bytes) -> str:
    """Decode file bytes to str, or raise IngestError with a short Chinese reason."""
    if not data or not data.strip():
        raise IngestError("文件为空")
    # UTF-16/32 files carry a BOM and legitimately contain NUL bytes, so honour the BOM first.
    for bom, codec in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                       (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom) and not data.startswith(codecs.BOM_UTF8):
            try:
                text = data.decode(codec)
            except UnicodeDecodeError:
                break
            if not _looks_binary(text):
                return text
            break
    if b"\x00" in data:
        raise IngestError("不是文本文件（含二进制内容）")
    for codec in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        if _looks_binary(text):
            raise IngestError("不是文本文件（含二进制内容）")
        return text
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # optional at run time; without it only UTF-8 and GB18030 are known
        raise IngestError("无法识别的文本编码") from None
    best = from_bytes(data).best()
    if best is None:
        raise IngestError("无法识别的文本编码")
    text = str(best)
    if _looks_binary(text):
        raise IngestError("不是文本文件（含二进制内容）")
    return text
