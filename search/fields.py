"""Every document field once: its name, its Chinese label, whether it is a facet, and the names a
user may type for it in a query (`省:江苏`). Backends, the service, the CLI and the web layer all read
this table; nothing else spells a field name list.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    """A document field that can filter a search."""

    name: str
    label: str  # Chinese, for messages, chips and column heads
    facet: bool  # counted in the sidebar and filterable by URL parameter
    aliases: tuple[str, ...] = ()  # other names accepted before ':' in a query


FIELDS: tuple[Field, ...] = (
    Field("province", "省份", True, ("省", "省份")),
    Field("city", "城市", True, ("市", "城市", "地市")),
    Field("level", "级别", True, ("级别", "层级")),
    Field("tier", "行政层级", True, ("行政层级",)),
    Field("year", "年份", True, ("年", "年份")),
    Field("type", "类型", True, ("类型", "文种")),
    Field("county", "区县", False, ("区县", "县区")),
    Field("title", "标题", False, ("标题",)),
)
BY_NAME: dict[str, Field] = {f.name: f for f in FIELDS}

# The facets every result carries counts for, in display order.
FACETS: tuple[str, ...] = tuple(f.name for f in FIELDS if f.facet)
# Sort orders a request may ask for; relevance is the default (see search.backends.base for the rule).
SORTS: tuple[str, ...] = ("relevance", "newest", "oldest")
SORT_LABELS: dict[str, str] = {"relevance": "相关度", "newest": "最新", "oldest": "最早"}
MODES: tuple[str, ...] = ("exact", "words")
MODE_LABELS: dict[str, str] = {"exact": "精确", "words": "分词"}
KIND_LABELS: dict[str, str] = {
    "title": "标题", "front": "题注", "heading": "小标题", "paragraph": "正文", "row": "表格", "note": "注释",
}
FACET_LABELS: dict[str, str] = {f.name: f.label for f in FIELDS if f.facet}


def field_for(name: str) -> Field | None:
    """The field a name typed before ':' stands for (its own name or an alias, case-insensitive)."""
    key = name.strip().lower()
    for f in FIELDS:
        if key == f.name or name.strip() in f.aliases:
            return f
    return None
