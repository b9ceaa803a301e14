"""Describe a report: title, year, date, speaker, type and locality, from the strongest source that knows.

Sources of place, strongest first: manifest, front matter, title line, folder and file names, the text
itself ("我代表常州市人民政府"), and for anonymized reports the province cues of `PROVINCE_CUES`.

**What `year` means.** A report's year is the year whose work it plans and in which it is delivered;
the year it reviews is year − 1. A report delivered in December counts for the next year (its plan is
for the coming year); one delivered in November too when its text plans the next year's work ("明年…",
"1982年的计划": the State Council's 1981-11-30 report is 1982's), not when it plans none (西宁's
2016-11-25 report proposes the next five years: 2016). So the year agrees with the delivery date (a
date in November or December of year − 1 agrees too: 兰州's 2012 report was delivered 2011-11-15) and
with the report's own work-plan heading ("三、2018年工作安排建议", "2024年主要任务"; a review heading
"一、2023年工作回顾" gives 2024).

**Who wins.** A manifest is the user's word and wins. Otherwise the text wins: the year of the
work-plan (or review) headings; without such a heading, the delivery date; without a date, front
matter, then the title, then the file name. Every source that says another year — front matter, title,
file name, date — is kept out and said in `Document.notes` (Chinese), e.g. "文件名年份 2019 与正文
（2020年5月9日会议、2020年重点工作安排建议）不符，按正文取 2020". A delivery date that contradicts the
text (江苏 2003: "2010年2月20日") is dropped with a note; a title whose year contradicts both the year and
the delivery date ("2017年四川省人民政府工作报告" delivered 2018-01-26) gets the year corrected, with a note.

**Titles.** Markup, footnote markers and doubled titles ("X X") are repaired; an empty or markup-only
title is rebuilt; a report title that names no place gets the place of the document
("2025年政府工作报告" → "2025年四川省政府工作报告", the State Council's "2024年国务院政府工作报告").
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import PurePosixPath
from typing import Any

from . import places
from .places import Place, SUFFIX_TIER
from .repair import SPEAKER_LINE, fix_spacing
from .structure import FULL_DATE

FIELDS = ("title", "year", "date", "speaker", "type", "level", "tier", "province", "city", "county", "url")
TYPES = ("政府工作报告", "新闻", "评论", "其他")

# Province cues for reports whose place names were replaced by "XX". Each cue is a phrase only that
# province uses of itself; hits are counted per province and the most hit province wins.
PROVINCE_CUES: dict[str, tuple[str, ...]] = {
    "黑龙江省": ("龙江",),  # "视察龙江", "龙江振兴": the province's own short name
    "福建省": ("八闽", "闽东", "闽西", "闽南", "四下基层"),  # regional names; 四下基层 began in Ningde (闽东)
    "湖南省": ("三高四新",),  # the strategy Xi Jinping set for Hunan in 2020
    "浙江省": ("八八战略",),  # Zhejiang's 2003 development strategy
    "江苏省": ("强富美高",),  # Xi's 2014 charge to Jiangsu ("苏南" would also hit "江苏南通")
    "山东省": ("走在前、开新局", "走在前，开新局", "晨星工厂", "齐鲁", "爱山东"),  # Xi's charge to Shandong; provincial programs/app
    "安徽省": ("皖美", "徽风皖韵", "皖江", "皖北", "皖南", "江淮大地"),  # Anhui's short name 皖
    "辽宁省": ("辽沈",),  # "新时代辽沈战役": the province's revitalisation campaign
    "甘肃省": ("陇原",),  # Gansu's literary name
    "宁夏回族自治区": ("塞上江南",),  # Ningxia's epithet
    "河南省": ("中原大地", "出彩中原"),  # Henan's epithet
    "湖北省": ("荆楚",),
    "陕西省": ("三秦",),
    "山西省": ("三晋",),
    "河北省": ("燕赵",),
    "广西壮族自治区": ("八桂",),
    "四川省": ("天府之国", "巴蜀"),
    "云南省": ("七彩云南", "彩云之南"),
    "贵州省": ("多彩贵州",),
    "江西省": ("赣鄱",),
    "内蒙古自治区": ("北疆亮丽风景线",),
}
# "习近平总书记对江苏工作重要讲话", "视察黑龙江", "关于安徽工作": the province a report answers to
_XI_REMARK = re.compile(r"总书记[^。；]{0,16}?(?:对|关于|考察|视察|在)(?:东北、)?([\u4e00-\u9fff]{2,3}?)(?:省)?(?:工作|重要|期间|时|、|考察|视察|的|振兴|发展)")
_DELEGATE = re.compile(r"我代表([\u4e00-\u9fff]{2,12}?)人民政府")
_CONGRESS = re.compile(r"在([\u4e00-\u9fff]{2,12}?)第[一二三四五六七八九十]{1,3}届人民代表大会")
_TITLE_PLACE = re.compile(r"^(?:(?:19|20)\d{2}年)?(.*?)(?:人民)?政府工作报告")
_KIND_SUFFIX = re.compile(r"(自治区|自治州|自治县|自治旗|直辖市|特别行政区|街道|地区|省|市|区|县|旗|盟|镇|乡)$")
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
_FILE_YEAR = re.compile(r"^((?:19|20)\d{2})(?:\D|$)")
_BYLINE_NEWS = re.compile(r"^(?:□|■|◎|记者|通讯员|本报讯|新华社)")
_BYLINE_COMMENT = re.compile(r"^(?:中共)?[\u4e00-\u9fff]{2,10}(?:省委|市委|县委|区委|旗委)(?:书记|副书记)[ \u3000]*[\u4e00-\u9fff·]{2,4}$")


def _year_of(value: Any) -> int | None:
    m = re.search(r"(?:19|20)\d{2}", str(value)) if value is not None else None
    return int(m.group(0)) if m else None


def _iso_date(value: Any) -> str:
    m = re.search(r"((?:19|20)\d{2})\D{1,3}(\d{1,2})\D{1,3}(\d{1,2})", str(value or ""))
    # int() also reads full-width digits, which `\d` matches ("201４年"): the date comes out ASCII.
    return f"{int(m.group(1))}-{int(m.group(2)):02d}-{int(m.group(3)):02d}" if m else ""


def place_in(name: str, province: str = "") -> Place | None:
    """Resolve a place name as written in a title, path or sentence."""
    name = name.strip().replace(" ", "")
    if not name or "XX" in name.upper() or "×" in name:
        return None
    place = places.resolve(name, province)
    if place is None and _KIND_SUFFIX.search(name):
        # "江苏省常州市" or "常州市溧阳市": the last unit inside its parent
        for m in re.finditer(r"[\u4e00-\u9fff]{2,}?(?:自治区|自治州|省|市|州|盟)", name):
            parent = places.resolve(m.group(0))
            rest = name[m.end():]
            if parent and rest:
                place = places.resolve(rest, parent.province) or parent
                break
    return place


def province_by_cues(text: str) -> tuple[str, Counter]:
    """The province an anonymized report most likely belongs to, with the hit counts behind the choice."""
    score: Counter = Counter()
    shorts = places.province_short_forms()
    for m in _XI_REMARK.finditer(text):
        word = m.group(1)
        full = shorts.get(word) or shorts.get(word[:2]) or ("黑龙江省" if word.startswith("龙江") else "")
        if full:
            score[full] += 10  # the leader's remarks "to Jiangsu" name the report's own province
    for province, cues in PROVINCE_CUES.items():
        for cue in cues:
            n = text.count(cue)
            if n:
                score[province] += 3 * n
    for short, full in shorts.items():
        n = text.count(short)
        if short == "龙江":
            continue
        if n:
            # "黑龙江" also contains "龙江"; plain mentions weigh little, neighbours are named too.
            score[full] += n
    if not score:
        return "", score
    return score.most_common(1)[0][0], score


def _place_from_path(rel: str) -> tuple[Place | None, bool, int | None]:
    """Place named by folders or the file name, whether the path says national, and a year from the file name."""
    parts = PurePosixPath(rel.split("#", 1)[0]).parts
    found: Place | None = None
    national = False
    for part in parts:
        stem = part.rsplit(".", 1)[0] if part == parts[-1] else part
        if "国务院" in stem or "全国" in stem:
            national = True
        for candidate in re.findall(r"[\u4e00-\u9fff]{2,20}", re.sub(r"(?:19|20)\d{2}\s*年", " ", stem)):
            m = _TITLE_PLACE.match(candidate)
            name = m.group(1) if m else candidate
            place = place_in(name, found.province if found else "")
            if place is None:
                # "2024年溧阳市发展回顾（新闻）": a place name at the start of the stem
                lead = re.match(r"[\u4e00-\u9fff]{2,8}?(?:自治区|自治州|自治县|省|市|县|区|旗|盟)", name)
                place = place_in(lead.group(0), found.province if found else "") if lead else None
            if place is not None and (found is None or place.rank >= found.rank):
                found = place
    m = _FILE_YEAR.match(parts[-1]) if parts else None
    return found, national, int(m.group(1)) if m else None


def _most_mentioned(text: str) -> Place | None:
    """The city or county named most often in the text (for news and commentary without a title)."""
    counts: Counter = Counter()
    sample = text[:20000]
    for name, place in places.mention_table().items():
        n = sample.count(name)
        if n:
            counts[place] += n
    if not counts:
        return None
    top, n = counts.most_common(1)[0]
    if n < 3:
        return None
    # News about a county keeps naming its prefecture ("列常州第一"): the county is the subject.
    inner = [(p, c) for p, c in counts.items() if p.city == top.name and p.rank == 2 and c * 2 >= n]
    return max(inner, key=lambda pc: pc[1])[0] if top.rank == 1 and inner else top


def _apply_place(meta: dict[str, Any], place: Place) -> None:
    meta.setdefault("province", place.province)
    if place.tier == "地级":
        meta.setdefault("city", place.name)
    elif place.tier == "县级":
        if place.city:
            meta.setdefault("city", place.city)
        meta.setdefault("county", place.name)
    meta.setdefault("level", place.level)
    meta.setdefault("tier", place.tier)


_HTTP_URL = re.compile(r"^https?://[^\s<>\"']+$", re.I)
# Markup that can reach a title from front matter, a dataset cell or a page: tags, comments, footnote
# marks ("1964年政府工作报告[^1]"), emphasis and heading marks.
_TITLE_MARKUP = re.compile(r"<!--.*?(?:-->|$)|</?[A-Za-z][^<>]{0,200}>|\[\^[^\]\s]{1,16}\]|[［\[]\s*\d{1,3}\s*[］\]]|\*\*|__|^#+\s*")
_SPACED_DIGITS = re.compile(r"(?<![\d ])\d(?: \d){2,}(?![\d ]*\d)")
_WORDY = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")

# Work-plan headings name the year the report plans: "三、2018年工作安排建议", "2024年主要任务",
# "二、今后五年主要任务和2003年预期目标", "三、2012年的政府工作". Review headings name the year before:
# "一、2023年工作回顾", "一、2021年主要工作和成效", "一、…全面完成了2004年的工作任务".
_HEADING_YEAR = re.compile(r"((?:19|20)\d{2})年")
_PLAN_WORDS = re.compile(
    r"^(?:度)?(?:的|全市|全省|全区|政府)?(?:工作安排|重点工作|主要任务|工作总体要求|工作重点|重点任务|工作任务|工作总体部署|"
    r"目标任务|工作目标|工作建议|政府工作建议|预期目标|主要目标|工作的总体要求|总体要求|工作的主要任务|政府工作的主要任务|"
    r"政府工作主要任务|经济社会发展的主要任务|经济社会发展主要任务|政府工作安排|主要工作安排|重点工作安排|"
    r"政府工作的基本思路|工作思路|发展目标|经济社会发展目标|奋斗目标|的奋斗目标)"
)
# "完成" alone is not a review: "三、全面完成2001年的各项任务" plans the year it names.
_REVIEW_WORDS = re.compile(r"回顾|总结|成就|成效|情况|完成了|取得|过去")
_PART = re.compile(r"^[一二三四五六七八九十]{1,2}、")
_AMBIGUOUS = re.compile(r"^(?:的)?(?:主要|政府)?(?:的)?工作")


def clean_title(title: str) -> str:
    """A title without markup, footnote marks and surplus whitespace; "" when nothing readable is left."""
    text = _TITLE_MARKUP.sub("", str(title or ""))
    text = fix_spacing(re.sub(r"\s+", " ", text).strip())  # "2024年\u00a0赣州市" → "2024年赣州市"
    # Letter-spaced digits are typography, not numbers ("2 0 1 4年…" in 乌鲁木齐's titles): a title that
    # keeps them is not found by 2014年.
    text = _SPACED_DIGITS.sub(lambda m: m.group(0).replace(" ", ""), text)
    return text if _WORDY.search(text) else ""


def _undouble(title: str, notes: list[str]) -> str:
    """"X X" or "XX" (a title written twice by the source) → "X"."""
    compact = re.sub(r"\s+", "", title)
    half = len(compact) // 2
    if compact and len(compact) % 2 == 0 and compact[:half] == compact[half:] and half >= 4:
        notes.append(f"标题重复（{title}），已去掉重复部分")
        return compact[:half]
    return title


def text_year(headings: list[str]) -> tuple[int | None, str]:
    """The year a report plans by its own headings (work plan, else review + 1), with the heading that says so."""
    plans: Counter = Counter()
    reviews: Counter = Counter()
    first: dict[int, str] = {}
    for text in headings:
        compact = re.sub(r"\s+", "", text)
        if len(compact) > 40 or "。" in compact:
            continue
        for m in _HEADING_YEAR.finditer(compact):
            year, rest = int(m.group(1)), compact[m.end():]
            if rest.startswith(("月", "度月", "以来", "、")) or re.match(r"\d", rest):
                continue  # a date or the start of a span ("2003年以来"), not a year of work
            if _REVIEW_WORDS.search(compact):
                reviews[year + 1] += 1
                first.setdefault(-(year + 1), compact)
            elif _PLAN_WORDS.match(rest):
                plans[year] += 1
                first.setdefault(year, compact)
            elif _AMBIGUOUS.match(rest) and _PART.match(compact):
                # "一、2006年的主要工作" reviews (a report's first part looks back); "三、2012年的政府工作" plans
                if compact.startswith("一、"):
                    reviews[year + 1] += 1
                    first.setdefault(-(year + 1), compact)
                else:
                    plans[year] += 1
                    first.setdefault(year, compact)
    if plans:
        year = max(plans.items(), key=lambda kv: (kv[1], -kv[0]))[0]
        return year, first[year]
    if reviews:
        year = max(reviews.items(), key=lambda kv: (kv[1], -kv[0]))[0]
        return year, first[-year]
    return None, ""


def date_year(date: str, plans_next: bool = False) -> int | None:
    """The report year a delivery date stands for: its year, or the next one for a December date — and
    for a November date when the report plans the next year's work (`plans_next`, see `plans_next_year`)."""
    m = re.match(r"((?:19|20)\d{2})-(\d{2})", date or "")
    if not m:
        return None
    return int(m.group(1)) + (1 if m.group(2) == "12" or (m.group(2) == "11" and plans_next) else 0)


_CN_YEAR_DIGITS = ("[〇零○Ｏ]", "一", "二", "三", "四", "五", "六", "七", "八", "九")
# what a report plans for a year: "1982年的计划", "一九八三年国民经济和社会发展的年度计划草案", "2017年工作安排"
_PLAN_OF_YEAR = r"年[^。；！？\n]{0,16}?(?:(?<!五年)计划|工作安排|主要任务|重点工作|工作任务|预期目标|预算)"


def plans_next_year(body: str, year: int) -> str:
    """What shows that a report delivered late in `year` plans the next year's work, or "": the next
    year's plan, tasks or budget ("1982年的计划" in the State Council's report of 1981-11-30;
    "一九八三年…的年度计划草案" in that of 1982-11-30), or "明年" more than once. 西宁's report of
    2016-11-25 proposes the next five years and names no 2017 work: it does not."""
    nxt = str(year + 1)
    written = f"(?:{nxt}|{''.join(_CN_YEAR_DIGITS[int(d)] for d in nxt)})"
    m = re.search(written + _PLAN_OF_YEAR, body)
    if m:
        return m.group(0)
    return "明年" if body.count("明年") >= 2 else ""


_TITLE_YEAR = re.compile(
    r"((?:19|20)\d{2})\s*年(?:度)?(?![\d０-９]{1,2}月)[^，。；]{0,16}?(?:政府工作报告|工作报告)"
    r"|(?:政府工作报告|工作报告)[^，。；]{0,4}?[（(]((?:19|20)\d{2})(?:年)?[)）]"
)


def _title_year(title: str) -> int | None:
    """The year a title gives its report ("2017年四川省人民政府工作报告", "兰州市人民政府工作报告（2012）").

    A year inside a date ("（2011年12月26日 崔杰）") or naming something else ("2010年远景规划纲要的报告") is not it.
    """
    m = _TITLE_YEAR.search(re.sub(r"\s+", "", title or ""))
    return int(m.group(1) or m.group(2)) if m else None


def dates_agree(date: str, year: int | None) -> bool:
    """Whether a delivery date fits a report year: the same year, or November/December of the year before."""
    m = re.match(r"((?:19|20)\d{2})-(\d{2})", date or "")
    if not m or not year:
        return True
    y, month = int(m.group(1)), int(m.group(2))
    return y == year or (y == year - 1 and month >= 11)


def _decide_year(meta: dict[str, Any], manifest: dict[str, Any], raw_meta: dict[str, Any], title: str,
                 file_year: int | None, headings: list[str], body: str, rel: str, notes: list[str]) -> None:
    """Set meta["year"] by the rule of the module docstring; say every disagreeing source in `notes`."""
    is_report = meta.get("type") == "政府工作报告"
    planned, heading = text_year(headings) if is_report else (None, "")
    date = str(meta.get("date") or "")
    # a November session may plan the next year (see the module docstring): the text says so or not
    next_plan = plans_next_year(body, int(date[:4])) if date[5:7] == "11" else ""
    by_date = date_year(date, plans_next=bool(next_plan))
    front_year = _year_of(raw_meta.get("year")) if raw_meta.get("year") not in (None, "") else None
    title_year = _title_year(title)
    manifest_year = _year_of(manifest.get("year")) if manifest.get("year") not in (None, "") else None
    if manifest_year:
        year, basis = manifest_year, "清单"
    elif planned:
        year = planned
        said = f"{date[:4]}年{int(date[5:7])}月{int(date[8:10])}日会议、" if by_date and dates_agree(date, planned) else ""
        basis = f"正文（{said}{heading}）"
    elif by_date and next_plan:
        year, basis = by_date, f"正文（{date[:4]}年{int(date[5:7])}月{int(date[8:10])}日会议、{next_plan}）"
    elif by_date:
        year, basis = by_date, f"会议日期（{date}）"
    else:
        year = front_year or title_year or file_year
        basis = "front matter" if front_year else "标题" if title_year else "文件名" if file_year else ""
        if not year:
            review = re.search(r"((?:19|20)\d{2})年工作回顾", body[:5000])
            if review and is_report:
                year = int(review.group(1)) + 1  # "一、2023年工作回顾" opens the 2024 report
            elif (ym := _YEAR.search(rel)):
                year = int(ym.group(1))
    meta["year"] = year
    if not year or not basis:
        return
    short = "正文" if basis.startswith("正文") else basis.split("（")[0]
    for label, other in (("front matter ", front_year), ("标题", title_year), ("文件名", file_year)):
        if other and other != year and not (basis == "front matter" and label.startswith("front")):
            notes.append(f"{label}年份 {other} 与{basis}不符，按{short}取 {year}")
    if by_date and not dates_agree(date, year):
        notes.append(f"会议日期 {date} 与{basis}不符，日期未采用")
        meta["date"] = ""


def _correct_title_year(meta: dict[str, Any], notes: list[str]) -> None:
    """A title that names the reviewed year ("2017年四川省人民政府工作报告", delivered 2018-01-26) gets the
    report's year; one that names the calendar year of a December delivery is left as written."""
    title, year = str(meta.get("title") or ""), meta.get("year")
    title_year = _title_year(title)
    delivered = int(str(meta["date"])[:4]) if meta.get("date") else None
    if not year or not title_year or title_year == year or title_year == delivered:
        return
    fixed = re.sub(rf"{title_year}(\s*年)", rf"{year}\1", title, count=1)
    if fixed != title:
        notes.append(f"标题“{title}”的年份已改为 {year}")
        meta["title"] = fixed


def title_names_place(title: str, meta: dict[str, Any]) -> bool:
    """Whether a title names the document's place (full or short name, 国务院/全国, or an anonymized XX)."""
    compact = re.sub(r"\s+", "", title or "")
    if "XX" in compact.upper() or "×" in compact:
        return True
    if meta.get("level") == "国务院" or meta.get("tier") == "国家":
        return "国务院" in compact or "全国" in compact or "中华人民共和国" in compact
    names = [str(meta.get(k) or "") for k in ("county", "city", "province")]
    for name in names:
        if not name:
            continue
        short = places.short_name(name, "省" if name == meta.get("province") else "")
        if name in compact or (short and short in compact) or name.rstrip("市县区省") in compact:
            return True
    return not any(names)  # no place known: nothing to add


def _place_name(meta: dict[str, Any]) -> str:
    if meta.get("level") == "国务院" or meta.get("tier") == "国家":
        return "国务院"
    return str(meta.get("county") or meta.get("city") or meta.get("province") or "")


def _report_title(meta: dict[str, Any]) -> str:
    year = meta.get("year")
    return f"{year}年{_place_name(meta)}政府工作报告" if year else f"{_place_name(meta)}政府工作报告"


def _repair_title(meta: dict[str, Any], notes: list[str]) -> None:
    """A report title that names no place is rebuilt from year and place (the written line stays a front unit)."""
    title = str(meta.get("title") or "")
    if meta.get("type") != "政府工作报告" or title_names_place(title, meta) or not _place_name(meta):
        return
    if "政府工作报告" not in title and "工作报告" not in title:
        return
    compact = re.sub(r"\s+", "", title)
    named = _TITLE_PLACE.match(compact)
    name = re.sub(r"(?:人民)?(?:政府)?$", "", named.group(1)) if named else ""
    bare = re.fullmatch(r"(?:本|我)?(自治区|省|市|区|县|州|盟|旗)", name)
    if name and not bare and _KIND_SUFFIX.search(name) and len(_KIND_SUFFIX.sub("", name)) >= 2:
        return  # the title names a place of its own ("测试市", "XX区"), even one the gazetteer does not know
    if bare:
        # "2012年自治区政府工作报告", "2008年省政府工作报告": the bare kind word becomes the place's name
        at = compact.index(name)
        rebuilt = compact[:at] + _place_name(meta) + compact[at + len(name):]
    else:
        # The place goes in before "政府工作报告", so the rest of the title stays as written ("1964年政府
        # 工作报告" → "1964年国务院政府工作报告", "政府工作报告（2014年1月20日 李纪恒）" → "云南省政府工作报告（…）").
        m = re.search(r"《?(?:人民)?政府工作报告", title)
        rebuilt = title[:m.start()] + _place_name(meta) + title[m.start():] if m else _report_title(meta)
    if rebuilt != title:
        notes.append(f"标题“{title}”未写地名，改为“{rebuilt}”")
        meta["title"] = rebuilt


def describe(
    *,
    body: str,
    front: dict[str, str],
    raw_meta: dict[str, Any],
    manifest: dict[str, Any],
    rel: str,
    anonymized_title: bool = False,
    headings: list[str] | None = None,
    notes: list[str] | None = None,
) -> dict[str, Any]:
    """Metadata of one report; `front` holds its title/date/speaker lines, `body` its text.

    `headings` are the report's heading texts (for its work-plan year); what was repaired or found in
    conflict is appended to `notes` (Chinese).
    """
    notes = notes if notes is not None else []
    headings = headings or []
    meta: dict[str, Any] = {}
    # 1-2: manifest, then what the format carried (front matter, HTML meta …)
    for source in (manifest, raw_meta):
        for key in FIELDS:
            value = source.get(key)
            if isinstance(value, str) and key != "url":
                value = clean_title(value) if key == "title" else value.strip()
            if value not in (None, "") and key not in meta:
                meta[key] = value
    if "title" in meta:
        meta["title"] = _undouble(str(meta["title"]), notes)
    if "year" in meta:
        meta["year"] = _year_of(meta["year"])
    if meta.get("date"):
        meta["date"] = _iso_date(meta["date"]) or ""

    title_line = _undouble(clean_title(front.get("title", "")), notes)
    date_line = front.get("date", "")
    speaker_line = front.get("speaker", "")
    head = body[:3000]

    # date and speaker: stated in the report's front lines
    if date_line and not manifest.get("date"):
        # The day the report was delivered beats a web page's publication date; only a manifest overrides.
        meta["date"] = _iso_date(date_line)
    elif not meta.get("date") and (
        dated := FULL_DATE.search(re.sub(r"\s+", "", title_line)) or FULL_DATE.search(re.sub(r"\s+", "", str(meta.get("title") or "")))
    ):
        meta["date"] = _iso_date(dated.group(0))  # "政府工作报告（2014年1月20日 李纪恒）"
    if not meta.get("date"):
        meta.pop("date", None)
    sm = SPEAKER_LINE.match(speaker_line) if speaker_line else None
    if sm:
        meta.setdefault("speaker", f"{sm.group(1)} {sm.group(2)}")

    # type
    if "type" not in meta:
        first = body.split("\n", 3)[:3]
        if title_line or "政府工作报告" in str(meta.get("title", "")) or any(l.startswith("各位代表") for l in first):
            meta["type"] = "政府工作报告"
        elif any(_BYLINE_COMMENT.match(l) for l in body.split("\n", 8)[:8]):
            meta["type"] = "评论"
        elif any(_BYLINE_NEWS.match(l) for l in body.split("\n", 8)[:8]):
            meta["type"] = "新闻"
        else:
            meta["type"] = "其他"

    # locality: explicit fields first, then title, path, text, cues
    given = meta.get("county") or meta.get("city") or meta.get("province")
    if given:
        place = place_in(str(given), str(meta.get("province", "")))
        if place is not None:
            _apply_place(meta, place)
    title = str(meta.get("title") or title_line)
    tm = _TITLE_PLACE.match(title.replace(" ", "")) if title else None
    title_place_name = tm.group(1) if tm else ""
    path_place, national, file_year = _place_from_path(rel)
    title_kind = ""
    if title_place_name:
        km = _KIND_SUFFIX.search(title_place_name)
        title_kind = km.group(1) if km else ""
        place = place_in(title_place_name, path_place.province if path_place else str(meta.get("province", "")))
        # A title naming a city inside a province that was given alone is the more precise place.
        only_province = given and not meta.get("city") and not meta.get("county")
        refines = place is not None and only_province and place.rank > 0 and place.province == meta.get("province")
        if place is not None and (not given or refines):
            if refines:
                meta.pop("level", None)
                meta.pop("tier", None)
            _apply_place(meta, place)
            given = True
    if path_place is not None and not given:
        _apply_place(meta, path_place)
        given = True
    if not given and national:
        meta.setdefault("level", "国务院")
        meta.setdefault("tier", "国家")
        meta.setdefault("province", "")
        given = True
    if not given and not anonymized_title:
        for pattern in (_DELEGATE, _CONGRESS):
            for m in pattern.finditer(head + "\n" + date_line):
                name = m.group(1)
                if name in ("国务院",) or name.startswith("全国"):
                    continue
                place = place_in(name)
                if place is not None:
                    _apply_place(meta, place)
                    given = True
                    break
            if given:
                break
        if not given and ("全国人民代表大会" in date_line or "我代表国务院" in head):
            meta.update(level="国务院", tier="国家", province="")
            given = True
        if not given:
            place = _most_mentioned(body)
            if place is not None:
                _apply_place(meta, place)
                given = True
    if not meta.get("province") and meta.get("level") != "国务院":
        province, _score = province_by_cues(body)
        if province:
            meta["province"] = province
    if title_kind and "level" not in meta:
        meta["level"] = title_kind
    if "level" in meta and "tier" not in meta:
        tier = SUFFIX_TIER.get(str(meta["level"]), "")
        if meta["level"] == "市":
            # A city with counties under it, or a provincial capital, is a prefecture; one that calls
            # itself a county economy is a county-level city; otherwise it stays unknown.
            if body.count("省会") >= 3 or body.count("县（市、区）") >= 2 or body.count("区县") >= 3:
                tier = "地级"
            elif body.count("县域") >= 4:
                tier = "县级"
        meta["tier"] = tier

    # year: see the module docstring for the rule
    _decide_year(meta, manifest, raw_meta, title, file_year, headings, body, rel, notes)

    # title: as given (repaired), else built from the place ("2024年常州市政府工作报告")
    if re.sub(r"\s", "", str(meta.get("title") or title_line)) == "政府工作报告":
        meta.pop("title", None)  # a bare "政府工作报告" says less than the title built from place and year
        title_line = ""
    if not meta.get("title"):
        if title_line:
            meta["title"] = title_line
        elif meta.get("type") == "政府工作报告":
            meta["title"] = _report_title(meta)
        else:
            stem = PurePosixPath(rel.split("#", 1)[0]).stem
            first = next((l for l in body.split("\n") if l.strip()), "")
            meta["title"] = first[:40] if first and len(first) <= 40 else stem
    _correct_title_year(meta, notes)
    _repair_title(meta, notes)
    url = str(meta.get("url") or "").strip()
    if url.lower().startswith("www."):
        url = meta["url"] = "http://" + url  # an address written without its scheme
    if url and not _HTTP_URL.match(url):
        notes.append(f"链接“{url[:40]}”不是 http(s) 地址，已丢弃")
        meta["url"] = ""
    for key in FIELDS:
        meta.setdefault(key, None if key == "year" else "")
        if key != "year" and meta[key] is None:
            meta[key] = ""
        if key != "year":
            meta[key] = str(meta[key])
    return meta
