"""The five seed files, raw (hash names, no manifest) and as the bundled sample corpus with its manifest."""

from __future__ import annotations

from pathlib import Path

import pytest

from search.ingest import SourceFile, discover, load_manifest, read_documents

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "corpus" / "sample"
SEEDS = ROOT.parent / "shared" / "corpus" / "seeds"

# Ground truth for the 26 anonymized reports of seed 003, established by reading each report.
# (level from the title; province with the cue that decides it)
ANONYMIZED = [
    ("区", "江苏省"),  # 1: "习近平总书记对江苏工作重要讲话", 无锡（XX）钠电产业园
    ("区", "山东省"),  # 2: "总书记对山东、对青岛工作的重要指示要求", 李村河, 青岛北站
    ("区", "江苏省"),  # 3: "对江苏工作重要讲话", 泰州 named 20 times
    ("区", "浙江省"),  # 4: "考察浙江重要讲话精神", "八八战略", 宁波
    ("区", "江苏省"),  # 5: "对江苏工作重要讲话", 徐州
    ("区", "黑龙江省"),  # 6: "视察龙江期间重要讲话", 大庆
    ("区", "辽宁省"),  # 7: "关于东北、辽宁振兴发展的重要讲话", 沈阳
    ("区", "浙江省"),  # 8: "考察浙江重要讲话和对宁波工作重要指示批示", "八八战略"
    ("市", "山东省"),  # 9: "对山东、对XX工作的重要指示要求", 强省会, 泉城, "爱山东"
    ("市", "山东省"),  # 10: "入选山东电商产业带", 潍坊, 东西部协作 with 重庆开州
    ("市", "黑龙江省"),  # 11: "视察我省期间" + 龙江 ×11
    ("市", "安徽省"),  # 12: "安徽科技大市场", "皖美农品", 六尺巷 (桐城)
    ("市", "辽宁省"),  # 13: "关于东北、辽宁振兴发展的重要讲话", 沈阳 ×8
    ("市", "辽宁省"),  # 14: "新时代‘辽沈战役’", 灯塔市、弓长岭区 (辽阳)
    ("市", "江苏省"),  # 15: "对江苏工作重要讲话", "强富美高"新江苏, 无锡
    ("市", "福建省"),  # 16: "闽东" ×9, 四下基层, 寿宁县下党乡 (宁德)
    ("市", "河南省"),  # 17: "视察河南重要讲话", "殷商文化起源于XX" (商丘)
    ("市", "湖南省"),  # 18: "为湖南擘画的‘三高四新’美好蓝图"
    ("县", "安徽省"),  # 19: "关于安徽工作的重要讲话", "安徽省县域综合实力三十强", 滁州
    ("县", "江苏省"),  # 20: "对江苏工作重要讲话", "对淮安殷切嘱托"
    ("县", "甘肃省"),  # 21: "对甘肃重要讲话重要指示批示精神", 兰州
    ("县", "宁夏回族自治区"),  # 22: "视察宁夏重要讲话", 固原
    ("县", "黑龙江省"),  # 23: "视察黑龙江期间重要讲话", 大庆
    ("县", "江苏省"),  # 24: "对江苏、对连云港工作的重要讲话"
    ("县", "安徽省"),  # 25: "关于安徽工作的重要讲话", 黄山, 宣城
    ("镇", "甘肃省"),  # 26: "对甘肃重要讲话重要指示精神", 天水
]


def _seed(prefix: str) -> SourceFile:
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    return SourceFile(path, path.name)


needs_seeds = pytest.mark.skipif(not SEEDS.exists(), reason="shared seeds not available")


@pytest.fixture(scope="module")
def sample_docs():
    files, skipped = discover([SAMPLE])
    assert not skipped and len(files) == 5  # manifest.csv is not a document
    manifest = load_manifest(SAMPLE / "manifest.csv")
    return {f.rel: read_documents(f, manifest) for f in files}


@needs_seeds
def test_raw_seed_003_holds_26_reports_with_right_provinces() -> None:
    docs = read_documents(_seed("003"))
    assert len(docs) == 26
    got = [(d.level, d.province) for d in docs]
    assert got == ANONYMIZED
    assert len({p for _, p in ANONYMIZED}) == 11
    rel = _seed("003").rel
    assert [d.source for d in docs] == [f"{rel}#{k}" for k in range(1, 27)]
    for d in docs:
        assert d.type == "政府工作报告" and d.year == 2024 and d.title.startswith("2024年XX")
        assert d.tier == {"区": "县级", "县": "县级", "镇": "乡级"}.get(d.level, d.tier)
        assert d.city == "" and d.county == ""  # anonymized: the place itself is not known
        assert len(d.paragraphs) >= 20


@needs_seeds
@pytest.mark.parametrize(
    "prefix, level, tier, city, county",
    [
        ("000", "市", "县级", "常州市", "溧阳市"),
        ("001", "市", "县级", "常州市", "溧阳市"),
        ("002", "市", "地级", "常州市", ""),
        ("004", "市", "县级", "常州市", "溧阳市"),
    ],
)
def test_raw_named_seeds(prefix: str, level: str, tier: str, city: str, county: str) -> None:
    (doc,) = read_documents(_seed(prefix))
    assert (doc.province, doc.level, doc.tier, doc.city, doc.county) == ("江苏省", level, tier, city, county)
    assert doc.source == _seed(prefix).rel


@needs_seeds
def test_raw_seed_000_metadata_and_repair() -> None:
    (doc,) = read_documents(_seed("000"))
    assert doc.title == "2024年溧阳市政府工作报告"
    assert (doc.year, doc.date, doc.speaker, doc.type) == (2024, "2024-01-04", "市长 周永强", "政府工作报告")
    texts = [p.text for p in body(doc)]
    assert texts[0] == "各位代表："
    assert not any("会议上" in t[-5:] or "周永强" in t or "政府工作报告" == t for t in texts)
    joined = "\n".join(texts)
    # phrases broken by a line wrap, a page number ("— 9—") and a footnote mark, each now contiguous
    assert "安全生产事故起数和死亡人数连续实现“双下降”" in joined
    assert "江苏时代成为常州首家“灯塔工厂”，通过海关" in joined
    assert "“2+2+X”产业集群产值占比提升至89%" in joined
    assert "实现地区生产总值1550亿元" in joined
    assert "［" not in joined and "— 9" not in joined
    # "一、聚焦产业强市，…优势" stands on its own line above its paragraph: a heading, no longer glued to it
    assert [h.text for h in headings(doc)][:3] == ["一、2023年工作回顾", "二、2024年工作安排", "一、聚焦产业强市，提速转型升级，厚植区域竞争优势"]
    assert "三、全面加强政府自身建设" in [h.text for h in headings(doc)]
    # glossary notes are body paragraphs under the 名词解释 heading
    note = next(p for p in body(doc) if p.text.startswith("19.农业生产“三品一标”：即"))
    assert note.section == ("名词解释",)
    assert sum(1 for p in body(doc) if p.section == ("名词解释",)) == 22


@needs_seeds
def test_raw_seed_003_page_number_inside_paragraph() -> None:
    docs = read_documents(_seed("003"))
    joined = "\n".join(p.text for d in docs for p in d.paragraphs)
    assert "深入挖掘长江、海军、大健康等文化内涵" in joined  # bare "65" between the two lines
    assert "\n65\n" not in joined


@needs_seeds
def test_body_paragraph_with_heading_marker() -> None:
    (doc,) = read_documents(_seed("002"))
    assert doc.year == 2024 and doc.title == "2024年常州市政府工作报告"
    assert any(h.level == 1 for h in headings(doc))
    for p in body(doc):
        assert not p.text.startswith("一、") or "。" in p.text


def test_sample_with_manifest(sample_docs) -> None:
    report = sample_docs["2024年溧阳市政府工作报告.txt"][0]
    assert (report.title, report.county, report.type) == ("2024年溧阳市政府工作报告", "溧阳市", "政府工作报告")
    changzhou = sample_docs["2024年常州市政府工作报告.txt"][0]
    assert (changzhou.title, changzhou.year, changzhou.level, changzhou.tier) == ("2024年常州市政府工作报告", 2024, "市", "地级")
    assert sample_docs["2024年溧阳市发展回顾（新闻）.txt"][0].type == "新闻"
    assert sample_docs["溧阳市委书记署名文章（评论）.txt"][0].type == "评论"
    many = sample_docs["2024年26份区市县镇政府工作报告（匿名汇编）.txt"]
    assert [(d.level, d.province) for d in many] == ANONYMIZED
    all_docs = [d for docs in sample_docs.values() for d in docs]
    assert len(all_docs) == 30 and all(d.province for d in all_docs)
    assert {d.level for d in all_docs} == {"市", "区", "县", "镇"}


def test_same_file_twice_gives_same_ids(sample_docs) -> None:
    again = discover([SAMPLE])[0]
    manifest = load_manifest(SAMPLE / "manifest.csv")
    for src in again:
        first = sample_docs[src.rel]
        second = read_documents(src, manifest)
        assert [d.doc_id for d in first] == [d.doc_id for d in second]
        assert [p.id for d in first for p in d.paragraphs] == [p.id for d in second for p in d.paragraphs]
    ids = [p.id for docs in sample_docs.values() for d in docs for p in d.paragraphs]
    assert len(ids) == len(set(ids))


def body(doc):
    """The body paragraphs of a document (its units of kind "paragraph"), in reading order."""
    return [p for p in doc.paragraphs if p.kind == "paragraph"]


def headings(doc):
    """The heading units of a document."""
    return [p for p in doc.paragraphs if p.kind == "heading"]
