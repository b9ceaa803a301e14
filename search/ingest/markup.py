"""Markup that is never text: HTML comments, scripts and styles, literal <U+XXXX> escapes, footnote definitions.

Every pass here is a single scan with `str.find` or a bounded regex, so a hostile file (thousands of
unclosed "<!--" or "<script") costs linear time: an unclosed comment or script hides only its own
opening token, never the rest of the report.
"""

from __future__ import annotations

import re

# R on Windows writes characters outside the locale as "<U+00A0>"; other exporters as "<U+3000>" too,
# and characters beyond the Basic Multilingual Plane with eight digits ("<U+0002A6A5>" for 𪚥).
_ESCAPE = re.compile(r"<U\+([0-9A-Fa-f]{4,8})>")
_FOOTNOTE_DEF = re.compile(r"^\[\^[^\]\s]{1,16}\]:")


def decode_escapes(text: str) -> str:
    """Literal "<U+XXXX>" escapes → the characters they stand for (invalid code points are dropped)."""
    if "<U+" not in text:
        return text

    def char(m: re.Match[str]) -> str:
        code = int(m.group(1), 16)
        if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return ""
        return chr(code)

    return _ESCAPE.sub(char, text)


def strip_blocks(text: str, tags: tuple[str, ...] = ("script", "style")) -> str:
    """Remove HTML comments and the elements `tags` (script, style); an unclosed one loses only its opening token."""
    lower = text.lower()
    blocks = (("<!--", "-->"),) + tuple((f"<{t}", f"</{t}") for t in tags)
    if not any(opener in lower for opener, _ in blocks):
        return text
    out: list[str] = []
    pos = 0
    n = len(text)
    # Next position of each opener, found once and advanced monotonically: linear over the text.
    nxt = {opener: lower.find(opener) for opener, _ in blocks}
    closers = dict(blocks)
    found: dict[str, tuple[int, int]] = {}
    while pos < n:
        live = [(at, opener) for opener, at in nxt.items() if at >= 0]
        if not live:
            break
        at, opener = min(live)
        closer = closers[opener]
        end = _find_after(lower, closer, at + len(opener), found)
        out.append(text[pos:at])
        if end < 0:
            pos = at + len(opener)  # unclosed: drop the token, keep what follows as text
            # a tag opener without its own '>' is junk up to the next '>' at most on this line
        else:
            if opener == "<!--":
                pos = end + len(closer)
            else:
                close_gt = lower.find(">", end)
                pos = close_gt + 1 if close_gt >= 0 else end + len(closer)
        for other in list(nxt):
            if 0 <= nxt[other] < pos:
                nxt[other] = lower.find(other, pos)
    out.append(text[pos:])
    return "".join(out)


def _find_after(text: str, needle: str, start: int, cache: dict[str, tuple[int, int]]) -> int:
    """`text.find(needle, start)` for starts that only grow, remembering the last answer: linear overall."""
    searched, result = cache.get(needle, (-1, -2))
    if searched >= 0 and start >= searched and (result == -1 or result >= start):
        return result  # no needle between `searched` and `result`, so none between `start` and it either
    result = text.find(needle, start)
    cache[needle] = (start, result)
    return result


def join_footnote_definitions(text: str) -> str:
    """A Markdown footnote definition and its indented continuation lines → one line "[^k]: …"."""
    if "[^" not in text:
        return text
    lines = text.split("\n")
    out: list[str] = []
    in_def = False
    for line in lines:
        if _FOOTNOTE_DEF.match(line.strip()) and not line.startswith((" ", "\t")):
            out.append(line.rstrip())
            in_def = True
        elif in_def and line.strip() and line.startswith(("  ", "\t")):
            out[-1] += line.strip()  # Chinese continuation lines join without a space
        else:
            in_def = False
            out.append(line)
    return "\n".join(out)
