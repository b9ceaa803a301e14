"""Page furniture of government web sites (打印/关闭/字号/分享/来源/版权 …) removed from text.

Shared by the HTML and dataset readers and usable on plain text copied from a web page. Whole lines
of furniture are dropped; fragments are removed only where they cannot be report text: inside
brackets, as long fixed phrases, or as whitespace-separated tokens at the very start or end of a line
(a bare "关闭" inside a sentence — "关闭落后产能" — is left alone).
"""

from __future__ import annotations

import re

# Words that are furniture when they stand alone (a line made only of these is a toolbar).
_TOKENS = frozenset(
    """打印 打印本页 打印此页 打印文章 打印正文 关闭 关闭窗口 关闭本页 关闭此页 收藏 加入收藏 收藏本页 分享 分享到
    下载 附件下载 下载附件 返回 返回顶部 回到顶部 返回首页 返回列表 顶部 字号 字体 大 中 小 默认 放大 缩小 纠错 我要纠错
    扫一扫 扫一扫在手机打开当前页 在手机打开当前页 手机扫一扫 微信 微博 新浪微博 腾讯微博 QQ QQ空间 复制链接 保存
    视力保护色 护眼模式 无障碍 长者模式 无障碍阅读 相关链接 相关阅读 相关文章 相关信息 朗读 语音播报 全文 首页 上一页 下一页
    文章 本页 此页 当前页 分享至 查看原文 原文 PDF 版本 【 】 [ ] | ｜ ( ) （ ）""".split()
)
_TOKEN_SPLIT = re.compile(r"[\s【】\[\]（）()|｜/、：:，,·•>＞»]+")

# A line that starts like this is navigation or footer, however it goes on.
_PREFIX = re.compile(
    r"^\s*[【\[]?\s*(?:上一篇|下一篇|上一条|下一条|上一则|下一则|当前位置|您的位置|您现在的位置|你现在的位置|你的位置|所在位置|"
    r"版权所有|Copyright|©|\(c\)|主办单位|主办[:：]|承办单位|承办[:：]|协办单位|技术支持|维护单位|网站标识码|"
    r"网站地图|联系我们|浏览次数|访问次数|阅读次数|点击数|点击次数|访问量|分享到|扫一扫|微信扫一扫|首页\s*[>＞»›])",
    re.I,
)
# Registration numbers that only appear in footers.
_FOOTER_ANYWHERE = re.compile(r"ICP[备证]\s*\d|公网安备|网站标识码|政府网站找错")

# Labels of the info bar above an article ("来源：巴中市人民政府办公室  发布时间：2024-01-10  浏览次数：123").
_META_KEYS = (
    r"(?:信息来源|文章来源|稿件来源|来源|发布时间|发布日期|发文日期|成文日期|时间|日期|作者|编辑|责任编辑|审核|校对|浏览次数|点击数|"
    r"阅读数|阅读次数|访问量|字号|字体|发布机构|发布单位|发文机关|索引号|主题分类|文号|发文字号|分类|体裁分类)"
)
_DATE_VALUE = r"(?:(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?)"
# A value ends at whitespace; a value without whitespace after it within 30 characters may be the text itself.
_META_PAIR = rf"{_META_KEYS}\s*[:：]\s*(?:{_DATE_VALUE}|大\s*中\s*小|[^\s。，；]{{0,30}}(?=\s|$))"
_META_LINE = re.compile(rf"^(?:\s*[【\[]?\s*{_META_PAIR}\s*[】\]]?)+\s*$")

# Fragments that are furniture wherever they appear.
_FRAGMENTS = re.compile(
    r"[【\[]\s*(?:字号|字体)\s*[:：]?\s*(?:大\s*中\s*小|小\s*中\s*大|[大中小默认\s|｜]+)\s*[】\]]"
    r"|(?:字号|字体)\s*[:：]\s*(?:大\s*中\s*小|小\s*中\s*大)"
    r"|[【\[]\s*(?:打印|关闭|收藏|下载|分享|返回|纠错|打印本页|关闭窗口|加入收藏|返回顶部|我要纠错)\s*[】\]]"
    r"|扫一扫在手机打开当前页|手机扫一扫打开当前页|在手机打开当前页|打印本页|关闭窗口|加入收藏|返回顶部"
    # "分享到" also occurs in reports ("群众更好地分享到发展成果"): only with a colon or the share targets
    r"|分享到\s*(?:[:：](?:\s*(?:微信|朋友圈|新浪微博|腾讯微博|微博|QQ空间|QQ|人人网|豆瓣))*|(?:\s*(?:微信|朋友圈|新浪微博|腾讯微博|微博|QQ空间|QQ|人人网|豆瓣))+)"
)
_FRAGMENT_KEYS = ("字号", "字体", "打印", "关闭", "收藏", "下载", "分享", "返回", "纠错", "扫一扫", "手机打开", "加入收藏")
_HAS_SPACE = re.compile(r"\s")
# A furniture token or info-bar pair at the edge of a line, followed (or preceded) by whitespace.
# Only words that are never report text on their own are stripped at a line's edge ("附件：" is not).
_EDGE_TOKENS = """打印 打印本页 打印此页 关闭 关闭窗口 关闭本页 收藏 加入收藏 分享 分享到 下载 附件下载 下载附件 返回顶部 回到顶部
    返回首页 返回列表 纠错 我要纠错 扫一扫 手机扫一扫 朗读 语音播报 视力保护色 护眼模式 无障碍 长者模式""".split()
_EDGE_ITEM = rf"(?:{_META_PAIR}|[【\[]?(?:{'|'.join(sorted(_EDGE_TOKENS, key=len, reverse=True))})[】\]]?[:：]?)"
_LEADING = re.compile(rf"^(?:\s*{_EDGE_ITEM}(?=\s))+\s*")
_TRAILING = re.compile(rf"(?:(?<=\s){_EDGE_ITEM}\s*)+$")


def is_furniture_line(line: str) -> bool:
    """Whether a whole line is web-page clutter (toolbar, info bar, navigation, footer)."""
    s = line.strip()
    if not s or len(s) > 300:  # toolbars, info bars and footers are short; report paragraphs are not
        return False
    if "。" not in s and "，" not in s:  # a toolbar has no sentences
        tokens = [t for t in _TOKEN_SPLIT.split(s) if t]
        if tokens and all(t in _TOKENS for t in tokens):
            return True
    # footers and navigation lines are short; a long line starting "版权所有" would be odd text, keep it
    if len(s) <= 160 and (_PREFIX.match(s) or _FOOTER_ANYWHERE.search(s)):
        return True
    return bool(_META_LINE.match(s))


def clean_line(line: str) -> str:
    """Remove furniture fragments from one line; an empty string when nothing else was on it."""
    if is_furniture_line(line):
        return ""
    # substring tests are far cheaper than the regex on the many lines that hold no fragment
    s = _FRAGMENTS.sub(" ", line) if any(k in line for k in _FRAGMENT_KEYS) else line
    # Repeat: stripping one edge item may expose another ("下载 打印 来源:… 正文").
    for _ in range(3):
        before = s
        s = _LEADING.sub("", s)
        # only the end of a long line can hold trailing furniture; scanning all of it is slow
        cut = max(0, len(s) - 300)
        if _HAS_SPACE.search(s, cut):  # trailing furniture follows whitespace
            s = s[:cut] + _TRAILING.sub("", s[cut:])
        if s == before:
            break
    s = s.strip()
    if s != line.strip() and is_furniture_line(s):
        return ""
    if s == line.strip():
        return line.rstrip()
    return s


def clean_furniture(text: str) -> str:
    """Remove web-page clutter lines and fragments from text, keeping one paragraph per line."""
    out: list[str] = []
    for line in text.split("\n"):
        if not line.strip():
            out.append("")
            continue
        cleaned = clean_line(line)
        if cleaned:
            out.append(cleaned)
    return "\n".join(out).strip("\n")


# Values of the info bar worth keeping as metadata.
_SOURCE = re.compile(r"(?:信息来源|文章来源|稿件来源|来源)\s*[:：]\s*([^\s|｜【】\[\]]{2,40})")
_PUBDATE = re.compile(r"(?:发布时间|发布日期|发文日期|成文日期|时间|日期)\s*[:：]\s*((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")


def page_meta(text: str) -> dict[str, str]:
    """Source and publication date stated in an info bar ("来源：… 发布时间：2024-01-10"), if any."""
    meta: dict[str, str] = {}
    m = _PUBDATE.search(text)
    if m:
        year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if 1 <= month <= 12 and 1 <= day <= 31:
            meta["date"] = f"{year:04d}-{month:02d}-{day:02d}"
    m = _SOURCE.search(text)
    if m:
        meta["source"] = m.group(1)
    return meta
