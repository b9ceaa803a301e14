"""Describe a report: title, year, date, speaker, type and locality, from the strongest source that knows.

Sources, strongest first: manifest, front matter, title line, folder and file names, the text itself
("我代表常州市人民政府"), and for anonymized reports the province cues of `PROVINCE_CUES`.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import PurePosixPath
from typing import Any

from . import places
from .places import Place, SUFFIX_TIER
from .repair import SPEAKER_LINE
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


def describe(
    *,
    body: str,
    front: dict[str, str],
    raw_meta: dict[str, Any],
    manifest: dict[str, Any],
    rel: str,
    anonymized_title: bool = False,
) -> dict[str, Any]:
    """Metadata of one report; `front` holds its title/date/speaker lines, `body` its text."""
    meta: dict[str, Any] = {}
    # 1-2: manifest, then what the format carried (front matter, HTML meta …)
    for source in (manifest, raw_meta):
        for key in FIELDS:
            value = source.get(key)
            if value not in (None, "") and key not in meta:
                meta[key] = value
    if "year" in meta:
        meta["year"] = _year_of(meta["year"])
    if meta.get("date"):
        meta["date"] = _iso_date(meta["date"]) or ""

    title_line = front.get("title", "")
    date_line = front.get("date", "")
    speaker_line = front.get("speaker", "")
    head = body[:3000]

    # date and speaker: stated in the report's front lines
    if date_line and not manifest.get("date"):
        # The day the report was delivered beats a web page's publication date; only a manifest overrides.
        meta["date"] = _iso_date(date_line)
    elif not meta.get("date") and (dated := FULL_DATE.search(re.sub(r"\s+", "", title_line))):
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

    # year: manifest/front matter, file name (lawtext "2020.md"), title, date, first year in the text
    if not meta.get("year"):
        review = re.search(r"((?:19|20)\d{2})年工作回顾", body[:5000])
        year = file_year or _year_of(_YEAR.search(title).group(1) if _YEAR.search(title) else None)
        if not year and review and meta.get("type") == "政府工作报告":
            year = int(review.group(1)) + 1  # "一、2023年工作回顾" opens the 2024 report
        if not year and meta.get("date"):
            year = int(str(meta["date"])[:4])
        if not year:
            ym = _YEAR.search(rel)
            year = int(ym.group(1)) if ym else None
        meta["year"] = year

    # title: as given, else built from the place ("2024年常州市政府工作报告")
    if re.sub(r"\s", "", str(meta.get("title") or title_line)) == "政府工作报告" and meta.get("level") != "国务院":
        meta.pop("title", None)  # a bare "政府工作报告" says less than the title built from place and year
        title_line = ""
    if not meta.get("title"):
        if title_line:
            meta["title"] = title_line
        elif meta.get("type") == "政府工作报告":
            place_name = meta.get("county") or meta.get("city") or meta.get("province") or ""
            if meta.get("level") == "国务院":
                place_name = ""
            year = meta.get("year")
            meta["title"] = f"{year}年{place_name}政府工作报告" if year else f"{place_name}政府工作报告"
        else:
            stem = PurePosixPath(rel.split("#", 1)[0]).stem
            first = next((l for l in body.split("\n") if l.strip()), "")
            meta["title"] = first[:40] if first and len(first) <= 40 else stem
    for key in FIELDS:
        meta.setdefault(key, None if key == "year" else "")
        if key != "year" and meta[key] is None:
            meta[key] = ""
        if key != "year":
            meta[key] = str(meta[key])
    return meta
