"""One test per ingest rule, each on its fixture in tests/fixtures/rules (written by make_fixtures.py)
and, where the case is real, on the sample corpus or lawtext (../shared, skipped when absent)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from search.ingest import SourceFile, read_documents
from search.ingest.fragments import short_paragraphs
from search.models import CELL_SEPARATOR
from search.normalize import normalize

HERE = Path(__file__).resolve().parent
RULES = HERE / "fixtures" / "rules"
SAMPLE = HERE.parent / "corpus" / "sample"
LAWTEXT = HERE.parent.parent / "shared" / "corpus" / "lawtext"


def _read(name: str):
    return read_documents(SourceFile(RULES / name, name))


def _one(name: str):
    (doc,) = _read(name)
    return doc


def kinds(doc, kind: str) -> list[str]:
    return [p.text for p in doc.paragraphs if p.kind == kind]


def test_fixtures_are_what_the_generator_writes() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_rules", RULES / "make_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name, make in module.FIXTURES.items():
        assert (RULES / name).read_text(encoding="utf-8") == make(), name


def test_units_in_reading_order_with_kinds_and_sections() -> None:
    doc = _one("table.md")
    assert doc.paragraphs[0].kind == "title" and doc.paragraphs[0].text == doc.title
    assert [p.kind for p in doc.paragraphs[:3]] == ["title", "front", "paragraph"]
    assert [p.ordinal for p in doc.paragraphs] == list(range(len(doc.paragraphs)))
    heading = next(p for p in doc.paragraphs if p.text == "一、2017年工作安排")
    assert heading.kind == "heading" and heading.level == 1 and heading.section == ()
    ids = [p.id for p in doc.paragraphs]
    assert len(set(ids)) == len(ids) and all(i.startswith(doc.doc_id + "-") for i in ids)


# -- lead headings in PDF-extracted text -----------------------------------------------------------

def test_lead_line_stays_a_heading_and_wraps_are_joined() -> None:
    doc = _one("lead_heading.txt")
    heads = kinds(doc, "heading")
    assert heads == ["回顾2023：迎难而上、砥砺前行", "一年来，我们坚持产业强市不动摇，综合实力稳步提升"]
    body = kinds(doc, "paragraph")
    # wraps inside sentences (and across the page number) are joined
    assert any(t.startswith("2023年是全面贯彻党的二十大精神的开局之年，是三年新冠疫情防控") for t in body)
    assert any(t.startswith("工业经济稳中有新。市场主体梯次培育") and t.endswith("增长12%以上。") for t in body)
    first = next(p for p in doc.paragraphs if p.text.startswith("工业经济稳中有新"))
    assert first.section == ("一年来，我们坚持产业强市不动摇，综合实力稳步提升",)


def test_sample_pdf_reports_keep_lead_headings_and_join_wraps() -> None:
    path = SAMPLE / "2024年26份区市县镇政府工作报告（匿名汇编）.txt"
    docs = read_documents(SourceFile(path, path.name))
    units = [p for d in docs for p in d.paragraphs]
    heads = {p.text for p in units if p.kind == "heading"}
    for lead in ("回顾2023：迎难而上、砥砺前行", "一年来，我们坚持产业强市不动摇，综合实力稳步提升",
                 "一年来，我们坚持项目引领不懈怠，发展势头愈显强劲", "打造有为政府：知重负重、唯实唯勤"):
        assert lead in heads, lead
    texts = [p.text for p in units]
    assert not any("砥砺前行2023年是" in t or "稳步提升工业经济" in t for t in texts)
    # a heading wrapped inside a word ("…为打|造") and a sentence wrapped at a number stay joined
    assert any("推动经济稳定增长，为打造“五个城市”" in t for t in texts)
    assert any("地区生产总值增长6%" in t for t in texts)
    assert not any(t.endswith("地区生产总") for t in texts)
    path = SAMPLE / "2024年溧阳市政府工作报告.txt"
    (doc,) = read_documents(SourceFile(path, path.name))
    assert "一、聚焦产业强市，提速转型升级，厚植区域竞争优势" in kinds(doc, "heading")


# -- tables --------------------------------------------------------------------------------------

def test_markdown_table_rows_with_headers() -> None:
    doc = _one("table.md")
    rows = kinds(doc, "row")
    assert rows == [
        f"序号 1{CELL_SEPARATOR}民生领域 食品安全{CELL_SEPARATOR}具体内容 加强食品安全监管，全年快检批次数不少于60万批次。",
        f"序号 2{CELL_SEPARATOR}民生领域 就业保障{CELL_SEPARATOR}具体内容 （1）实现6万名就业困难人员再就业。（2）城镇新增就业20万人。",
    ]
    assert not any("|" in s or "---" in s for p in doc.paragraphs for s in p.section + (p.text,))
    after = next(p for p in doc.paragraphs if p.text == "各位代表，让我们团结奋斗！")
    assert after.section == ("一、2017年工作安排", "2017年十件民生实事安排建议")  # not the table header
    # a phrase never runs from one cell into the next
    joined = normalize(CELL_SEPARATOR.join(rows))
    assert normalize("食品安全") in joined and normalize("食品安全具体内容") not in joined


def test_html_data_table_and_layout_table() -> None:
    doc = _one("table.html")
    assert kinds(doc, "row") == [f"指标 地区生产总值增长{CELL_SEPARATOR}单位 %{CELL_SEPARATOR}目标 6.5",
                                 f"指标 城镇新增就业{CELL_SEPARATOR}单位 万人{CELL_SEPARATOR}目标 5"]
    assert "现在，我代表市人民政府向大会报告工作，请予审议。" in kinds(doc, "paragraph")  # inside the layout table


@pytest.mark.skipif(not LAWTEXT.exists(), reason="lawtext corpus not available")
def test_lawtext_tables() -> None:
    path = LAWTEXT / "政府工作报告-主要城市/广州市/2017.md"
    (doc,) = read_documents(SourceFile(path, "广州市/2017.md"))
    rows = kinds(doc, "row")
    assert len(rows) == 10 and rows[0].startswith(f"序号 1{CELL_SEPARATOR}民生领域 食品安全{CELL_SEPARATOR}具体内容 加强食品安全监管")
    assert not any("|" in s for p in doc.paragraphs for s in p.section)
    path = LAWTEXT / "政府工作报告-主要城市/无锡市/2017.md"
    (doc,) = read_documents(SourceFile(path, "无锡市/2017.md"))
    assert f"序号 1{CELL_SEPARATOR}指标 地区生产总值{CELL_SEPARATOR}单位 亿元{CELL_SEPARATOR}2011年 6679.09" in kinds(doc, "row")[0]


# -- footnotes -------------------------------------------------------------------------------------

def test_footnote_markers_removed_and_definitions_kept_as_notes() -> None:
    doc = _one("footnotes.md")
    assert doc.title == "2009年佛山市政府工作报告"
    assert not any(re.search(r"\[\^?\d+\]", p.text) for p in doc.paragraphs)
    body = " ".join(normalize(t) for t in kinds(doc, "paragraph"))
    assert normalize("实施金融发展三项计划，创新试点计划") in body  # the phrase across [^2] is found
    assert kinds(doc, "note") == [
        "（根据市政府办公室文件刊印）这是市长在大会上作的报告。",
        "金融发展三项计划。即创新试点、基金引导和企业上市计划。",
        "“三旧”改造“双百计划”。即每年启动100个以上“三旧”改造项目。",
    ]
    assert doc.paragraphs[-1].kind == "note" and doc.paragraphs[-1].section == ()


# -- titles, places and links -------------------------------------------------------------------------

def test_doubled_title_repaired_and_javascript_link_dropped() -> None:
    doc = _one("doubled_title.md")
    assert doc.title == "2023年广州市政府工作报告" and doc.url == ""
    assert any("标题重复" in n for n in doc.notes) and any("javascript" in n for n in doc.notes)


def test_title_without_place_names_its_place() -> None:
    doc = _read_as("四川省/2025.md", "政府工作报告-省自治区/四川省/2025.md")
    assert (doc.title, doc.province, doc.year) == ("2025年四川省政府工作报告", "四川省", 2025)
    assert doc.url.startswith("https://")
    assert any("未写地名" in n for n in doc.notes)


def test_letter_spaced_title_is_closed_up_and_found() -> None:
    doc = _read_as("乌鲁木齐市/2014.md", "政府工作报告-主要城市/乌鲁木齐市/2014.md")
    assert doc.title == "2014年乌鲁木齐市政府工作报告"
    assert doc.paragraphs[0].kind == "title" and "2014年乌鲁木齐市" in normalize(doc.paragraphs[0].text)


def _read_as(name: str, rel: str):
    (doc,) = read_documents(SourceFile(RULES / name, rel))
    return doc


def test_markup_is_never_a_title_and_escapes_are_decoded() -> None:
    doc = _one("comment_first.jsonl")
    assert doc.title == "2024年遵义市政府工作报告"
    assert not any("<" in p.text or "本文转自" in p.text or "var x" in p.text for p in doc.paragraphs)
    doc = _one("escapes.csv")
    assert doc.title == "2024年赣州市政府工作报告" and doc.city == "赣州市"
    assert not any("<U+" in p.text for p in doc.paragraphs)
    assert "我们推进赣南苏区振兴发展，建设革命老区高质量发展示范区。" in kinds(doc, "paragraph")


# -- years ---------------------------------------------------------------------------------------------

def test_year_is_the_planned_year_when_title_and_file_name_say_the_reviewed_one() -> None:
    doc = _read_as("四川省/2017.md", "四川省/2017.md")
    assert (doc.year, doc.date, doc.title) == (2018, "2018-01-26", "2018年四川省人民政府工作报告")
    assert any(n.startswith("文件名年份 2017 与正文（2018年1月26日会议、三、2018年工作安排建议）不符，按正文取 2018")
               for n in doc.notes), doc.notes


def test_a_date_that_contradicts_the_text_is_dropped() -> None:
    doc = _read_as("江苏省/2003.md", "江苏省/2003.md")
    assert (doc.year, doc.date) == (2003, "")
    assert any("2010-02-20" in n and "日期未采用" in n for n in doc.notes)
    assert "（2010年2月20日梁保华）" in kinds(doc, "front")  # the line itself is still text


def test_december_delivery_counts_for_the_next_year() -> None:
    from search.ingest.metadata import date_year, dates_agree

    assert date_year("2021-12-21") == 2022 and date_year("2022-01-08") == 2022
    assert dates_agree("2011-11-15", 2012) and not dates_agree("2010-02-20", 2003)


@pytest.mark.skipif(not LAWTEXT.exists(), reason="lawtext corpus not available")
def test_lawtext_sichuan_years() -> None:
    years = {}
    for year in range(2003, 2021):
        path = LAWTEXT / f"政府工作报告-省自治区/四川省/{year}.md"
        (doc,) = read_documents(SourceFile(path, f"政府工作报告-省自治区/四川省/{year}.md"))
        years[year] = doc
    assert all(years[y].year == y + 1 for y in range(2003, 2019) if y != 2005), {y: d.year for y, d in years.items()}
    assert years[2019].year == 2020 and years[2020].year == 2020
    assert any("文件名年份 2019" in n for n in years[2019].notes)


# -- copies and fragments -----------------------------------------------------------------------------

def test_copies_inside_one_page_collapse() -> None:
    (doc,) = _read("copies.html")
    assert doc.source == "copies.html" and doc.notes == ["文件中同一报告出现 3 次，已合并为一份"]
    assert sum(1 for p in doc.paragraphs if "秦巴山区生态屏障" in p.text) == 1


def test_sample_compilation_is_not_collapsed() -> None:
    path = SAMPLE / "2024年26份区市县镇政府工作报告（匿名汇编）.txt"
    assert len(read_documents(SourceFile(path, path.name))) == 26


def test_fragment_joined_and_short_paragraphs_listed() -> None:
    doc = _one("fragment.md")
    assert "ODM+OBM：ODM指原始设计制造商，OBM指代工厂经营自有品牌。" in kinds(doc, "paragraph")
    assert "营自有品牌。" not in kinds(doc, "paragraph")
    assert short_paragraphs(doc) == ["各位代表：（称呼）", "名词解释：（附注标签）"]


@pytest.mark.skipif(not LAWTEXT.exists(), reason="lawtext corpus not available")
def test_lawtext_short_paragraphs_are_salutations_labels_or_lead_ins() -> None:
    from search.ingest import discover

    kinds_seen: dict[str, int] = {}
    for src in discover([LAWTEXT])[0]:
        for doc in read_documents(src):
            for item in short_paragraphs(doc):
                kind = item[item.rindex("（") + 1:-1]
                kinds_seen[kind] = kinds_seen.get(kind, 0) + 1
    # No fragment cut from a sentence is left ("残句"); what remains is what the source prints.
    assert "残句" not in kinds_seen, kinds_seen
    assert kinds_seen.get("称呼", 0) > 2000
