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
    for folder, make in module.FOLDERS.items():
        for name, text in make().items():
            assert (RULES / folder / name).read_text(encoding="utf-8") == text, name


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


def test_headings_on_lines_of_their_own_in_unindented_pdf_text() -> None:
    doc = _one("heading_lines.txt")
    heads = [(p.text, p.level, p.section) for p in doc.paragraphs if p.kind == "heading"]
    one = "一、2023年工作回顾"
    assert heads == [
        (one, 1, ()),
        ("综合实力稳步提升", 2, (one,)),  # a lead under a numbered heading keeps it as its parent
        ("（一）办实事、惠民生，人民福祉日益增强", 2, (one,)),
        ("（二）全力上项目、抓招商，上紧“发条”按下项目建设“快进键”，积蓄高质量发展强大后劲", 2, (one,)),
        ("（四）坚定不移稳大盘、增质效，实体经济持续向好", 2, (one,)),
        ("二、2024年工作安排", 1, ()),
        ("三、全力稳定经济增长，提振发展信心，积蓄回升向好新势能", 1, ()),
    ]
    body = kinds(doc, "paragraph")
    first = next(p for p in doc.paragraphs if p.text.startswith("全市地区生产总值增长8.5%"))
    assert first.section == (one, "综合实力稳步提升")
    for start in ("社会保障更加完善。", "稳住项目建设“主战场”", "工业“主引擎”做得更强。", "今年经济社会发展"):
        assert any(t.startswith(start) for t in body), start
    # wraps inside sentences stay joined: a heading run into its paragraph with a full stop, and one
    # the source prints on the same line as the paragraph's first words (there is no break to find)
    assert any(t.startswith("（三）面对日趋激烈的产业竞争，持之以恒强链条、建集群，在转型升级中") for t in body)
    assert any(t.startswith("（一）强化投资、促进消费，推动经济稳定增长，为打造“五个城市”集聚发展势能投资") for t in body)
    assert any(t.startswith("全市地区生产总值增长8.5%，达到3806亿元，总量稳居全省第三") for t in body)


_NUMBERED = re.compile(r"^(?:[一二三四五六七八九十]{1,3}、|[（(][一二三四五六七八九十]{1,3}[)）])")
_FULL_STOP = re.compile(r"[。！？；]")


def test_sample_pdf_reports_every_numbered_heading_line() -> None:
    """Every line of the sample's PDF-extracted reports that starts with a heading number (一、（一）(一)),
    found in the raw files, against what ingest makes of it."""
    from search.ingest.repair import is_page_number, looks_pdf_extracted

    checked = {"heading": 0, "run-in": 0}
    for path in sorted(SAMPLE.glob("*.txt")):
        raw = path.read_text(encoding="utf-8").split("\n")
        if not looks_pdf_extracted(raw):
            continue
        rows = [re.sub(r"\s+", "", s) for s in raw if s.strip() and not is_page_number(s.strip())]
        docs = read_documents(SourceFile(path, path.name))
        units = [p for d in docs for p in d.paragraphs]
        texts = [re.sub(r"\s+", "", p.text) for p in units]
        cursor = 0
        for i, row in enumerate(rows):
            if not _NUMBERED.match(row):
                continue
            # the line begins a unit (reading order): nothing is glued in front of it
            k = next((k for k in range(cursor, len(texts)) if texts[k].startswith(row)), None)
            assert k is not None, (path.name, row)
            cursor = k + 1
            unit = units[k]
            level = 1 if row[0] in "一二三四五六七八九十" else 2
            nxt = rows[i + 1]
            if _FULL_STOP.search(row):
                # "（一）强化政治引领，铸牢对党忠诚之魂。坚持…": a heading run into its paragraph after a full stop
                assert unit.kind == "paragraph", (path.name, row)
                checked["run-in"] += 1
                continue
            if _runs_on(row, nxt) and unit.kind == "paragraph":
                # The heading goes on in the next line, which also holds the paragraph's first words:
                # "…铸牢“城区经济领头|羊”的领跑根基。持续…", "…强链条、建|集群，…。", "…提升XX|高度。", and
                # "（七）…为打|造“五个城市”扛起使命重任打铁必须自身硬。" where the source has no punctuation
                # between heading and paragraph at all (only the PDF's fonts told them apart).
                assert _FULL_STOP.search(nxt) or _runs_on(nxt, rows[i + 2]), (path.name, row)  # no line end to break at
                checked["run-in"] += 1
                continue
            # a heading on lines of its own (one, or more when it runs on): whole printed lines, and the
            # paragraph begins on the next line
            assert unit.kind == "heading" and unit.level == level, (path.name, row, unit.kind, unit.text)
            ends = [j for j in range(i, i + 3) if texts[k] == "".join(rows[i:j + 1])]
            assert ends, (path.name, row, unit.text)
            assert texts[k + 1].startswith(rows[ends[0] + 1]), (path.name, unit.text, texts[k + 1][:30])
            checked["heading"] += 1
        # a heading's section is its parents: each of a lower level than the one below it
        for doc in docs:
            levels: dict[str, int] = {}
            for p in doc.paragraphs:
                if p.kind == "heading":
                    chain = [levels[s] for s in p.section]
                    assert chain == sorted(set(chain)) and all(lv < p.level for lv in chain), (p.text, p.section)
                    levels.setdefault(p.text, p.level)
                    if p.level == 2 and _NUMBERED.match(p.text) and any(lv == 1 for lv in levels.values()):
                        assert p.section and levels[p.section[0]] == 1, (p.text, p.section)
    assert checked["heading"] >= 160 and checked["run-in"] >= 150, checked


def _runs_on(row: str, nxt: str) -> bool:
    """Whether a heading line without a full stop goes on in the next printed line: it stops inside a word
    ("领头|羊"), inside a list item ("、建|集群") or on a word that needs what follows ("为", "…上"), or
    the next line finishes it with a full stop ("…提升XX" + "高度。")."""
    from search.ingest.repair import _word_across

    return bool(
        _word_across(row, nxt) or re.search(r"[、，]([\u4e00-\u9fff])?$|[的和与及在为对把从向以于是将上]$", row)
        or re.match(r"^[^，。；！？、]{1,6}[。；]", nxt)
    )


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


def test_r_export_na_cells_and_eight_digit_escapes() -> None:
    from search.ingest.readers.dataset import _document

    first, second = _read("r_export.csv")
    assert (first.title, first.city) == ("2024年赣州市政府工作报告", "赣州市")  # the city cell was NA
    assert (second.title, second.city) == ("2024年九江市政府工作报告", "九江市")  # the title cell was NA
    assert "过去一年，全市地区生产总值增长5.8%，\U0002a6a5村被评为全国文明村。" in kinds(first, "paragraph")
    assert not any("<U+" in p.text or "NA" in p.text for d in (first, second) for p in d.paragraphs)
    # only R's upper-case NA is missing: other spellings are text
    raw = _document({"t": "各位代表：现在，我代表市人民政府向大会报告工作。", "c": "Na"}, {"text": "t", "county": "c"}, 1)
    assert raw is not None and raw.meta.get("county") == "Na"


def test_page_title_without_the_site_name_after_a_tight_dash() -> None:
    from search.ingest.readers.html import _clean_title

    assert _one("site_title.html").title == "2024年绵阳市政府工作报告"
    assert _clean_title("2023-2024年度政府工作报告") == "2023-2024年度政府工作报告"
    assert _clean_title("政府工作报告解读-2024") == "政府工作报告解读-2024"


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
    assert date_year("2011-11-15") == 2011 and date_year("2011-11-15", plans_next=True) == 2012
    assert dates_agree("2011-11-15", 2012) and not dates_agree("2010-02-20", 2003)


def test_november_delivery_counts_for_the_next_year_when_the_text_plans_it() -> None:
    doc = _read_as("国务院/1981.md", "政府工作报告-国务院/1981.md")
    assert (doc.year, doc.date) == (1982, "1981-11-30")
    assert any(n.startswith("文件名年份 1981 与正文（1981年11月30日会议、1982年的计划）不符，按正文取 1982") for n in doc.notes)
    doc = _read_as("西宁市/2016-11.md", "政府工作报告-主要城市/西宁市/2016-11.md")
    assert (doc.year, doc.date, doc.title) == (2016, "2016-11-25", "2016年西宁市政府工作报告")


@pytest.mark.skipif(not LAWTEXT.exists(), reason="lawtext corpus not available")
def test_lawtext_november_reports() -> None:
    years = {}
    for rel in ("政府工作报告-国务院/1981.md", "政府工作报告-国务院/1982.md", "政府工作报告-主要城市/西宁市/2016-11.md",
                "政府工作报告-主要城市/兰州市/2012.md"):
        (doc,) = read_documents(SourceFile(LAWTEXT / rel, rel))
        years[rel.split("-", 1)[1]] = (doc.year, doc.date)
    assert years == {
        "国务院/1981.md": (1982, "1981-11-30"),  # "明年经济发展的主要任务是…", "1982年的计划"
        "国务院/1982.md": (1983, "1982-11-30"),  # "国务院也提出了一九八三年国民经济和社会发展的年度计划草案"
        "主要城市/西宁市/2016-11.md": (2016, "2016-11-25"),  # proposes the next five years, no 2017 work
        "主要城市/兰州市/2012.md": (2012, "2011-11-15"),  # "三、2012年的政府工作"
    }


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


_DATED = {  # file → (date, speaker) read from its front lines
    "吉林省/2010.md": ("2010-01-19", ""),
    "东莞市/2024.md": ("2024-01-31", "东莞市人民政府市长 吕成蹊"),
    "国务院/1958.md": ("1958-02-03", ""),
    "佛山市/2000.md": ("2000-04-25", "佛山市市长 梁绍棠"),
    "河北省/1999.md": ("1999-01-27", ""),
    "河北省/2002.md": ("2002-01-24", ""),
    "河北省/2005.md": ("2005-01-11", "河北省省长 季允石"),
    "贵州省/2019.md": ("2019-01-27", ""),
    "南昌市/2007.md": ("2006-12-24", ""),
    "北京市/2000.md": ("1999-12-29", "北京市市长 刘淇"),
    "海南省/1995.md": ("1995-02-21", ""),
    "福建省/2002.md": ("2002-01-23", "福建省人民政府省长 习近平"),
}


@pytest.mark.parametrize("name", sorted(_DATED))
def test_delivery_line_shapes(name: str) -> None:
    doc = _read_as(f"dates/{name}", name)
    assert (doc.date, doc.speaker) == _DATED[name], name
    # the lines above the salutation are front lines, not body
    assert [p.kind for p in doc.paragraphs if p.text == "各位代表："] == ["paragraph"]
    assert not any(p.kind in ("heading", "paragraph") and ("会议" in p.text or "会议文件" in p.text)
                   for p in doc.paragraphs[:8]), [(p.kind, p.text) for p in doc.paragraphs[:8]]
    if name == "国务院/1958.md":
        assert doc.title == "关于一九五八年度国民经济计划草案的报告" and doc.type == "政府工作报告"


@pytest.mark.skipif(not LAWTEXT.exists(), reason="lawtext corpus not available")
def test_lawtext_delivery_dates() -> None:
    from search.ingest import discover

    docs = [doc for src in discover([LAWTEXT])[0] for doc in read_documents(src)]
    dated = {d.source: d.date for d in docs if d.date}
    assert len(dated) >= 1440, len(dated)  # 1,342 before the shapes of test_delivery_line_shapes were read
    for rel, date in (("政府工作报告-省自治区/吉林省/2010.md", "2010-01-19"), ("政府工作报告-主要城市/东莞市/2024.md", "2024-01-31"),
                      ("政府工作报告-国务院/1958.md", "1958-02-03"), ("政府工作报告-省自治区/吉林省/2026.md", "2026-01-27")):
        assert dated.get(rel) == date, rel


# -- copies and fragments -----------------------------------------------------------------------------

def test_copies_inside_one_page_collapse() -> None:
    (doc,) = _read("copies.html")
    assert doc.source == "copies.html" and doc.notes == ["文件中同一报告出现 3 次，已合并为一份"]
    assert sum(1 for p in doc.paragraphs if "秦巴山区生态屏障" in p.text) == 1


def test_print_copy_without_a_title_line_collapses() -> None:
    (doc,) = _read("print_copy.html")
    assert (doc.source, doc.title, doc.date) == ("print_copy.html", "2024年绵阳市政府工作报告", "2024-01-09")
    texts = [p.text for p in doc.paragraphs]
    assert len(texts) == len(set(texts)) == 11  # every paragraph once
    assert doc.notes == ["文件中同一报告出现 2 次，已合并为一份"]


def test_copies_inside_one_file_are_duplicates_in_the_index_summary(tmp_path: Path) -> None:
    from search import build_index

    summary = build_index([RULES / "copies.html", RULES / "print_copy.html"], tmp_path / "ix", progress=False,
                          reuse=False)
    assert summary.documents == 2
    assert sorted((d.dropped, d.kept) for d in summary.duplicates) == [
        ("copies.html#2", "copies.html#1"), ("copies.html#3", "copies.html#1"),
        ("print_copy.html#2", "print_copy.html#1"),
    ]
    assert all("只索引一份" in d.reason for d in summary.duplicates)
    assert not any("出现" in c.reason for c in summary.conflicts)  # not a metadata conflict


def test_summary_counts_the_short_paragraphs_the_index_holds(tmp_path: Path) -> None:
    from search import build_index

    folder = RULES / "summary"
    first = build_index([folder], tmp_path / "ix", progress=False, reuse=False)
    # 江苏省/2024.md replaced 江苏省/2023.md, whose "谢谢大家！" is not in the index
    assert first.documents == 1 and [(d.dropped, d.kept) for d in first.duplicates] == [("江苏省/2023.md", "江苏省/2024.md")]
    (kept,) = read_documents(SourceFile(folder / "江苏省/2024.md", "江苏省/2024.md"))
    assert first.short_paragraphs == len(short_paragraphs(kept)) == 1
    assert first.short_examples == [("各位代表：（称呼）", 1)]
    again = build_index([folder], tmp_path / "ix", progress=False, reuse=False)  # nothing changed
    assert again.unchanged == 2 and (again.short_paragraphs, again.short_examples) == (1, first.short_examples)


def test_sample_compilation_is_not_collapsed() -> None:
    path = SAMPLE / "2024年26份区市县镇政府工作报告（匿名汇编）.txt"
    assert len(read_documents(SourceFile(path, path.name))) == 26


def test_fragment_joined_and_short_paragraphs_listed() -> None:
    doc = _one("fragment.md")
    assert "ODM+OBM：ODM指原始设计制造商，OBM指代工厂经营自有品牌。" in kinds(doc, "paragraph")
    assert "营自有品牌。" not in kinds(doc, "paragraph")
    assert short_paragraphs(doc) == ["各位代表：（称呼）", "名词解释：（附注标签）"]


def test_a_number_cut_by_a_break_is_joined() -> None:
    doc = _one("number_cut.md")
    body = kinds(doc, "paragraph")
    joined = "\n".join(body)
    for phrase in ("地方财政收入25.9亿元，加上中央税收返还收入", "比2000年增长72.5%和49.9%。", "人口自然增长率为14.5‰。",
                   "省人大常委会第44号公告", "9万多户50多万少数民族群众"):
        assert phrase in joined, phrase
    assert not any(t.startswith(("亿元", "5%", "‰", "号", "多万")) for t in body)
    # real breaks stay: a numbered item after a paragraph ending in a number, a line after a time stamp
    assert "今年要办好的实事，具体指标见附表1" in body and any(t.startswith("1.新建农村公路") for t in body)
    assert "全力推进金融生态建设，发展普惠金融。" in body


@pytest.mark.skipif(not LAWTEXT.exists(), reason="lawtext corpus not available")
def test_lawtext_numbers_cut_by_a_break_are_joined() -> None:
    from search.ingest.fragments import _NUMBER_END, _NUMBER_GOES_ON

    cut = {}
    for rel in ("政府工作报告-省自治区/海南省/1994.md", "政府工作报告-省自治区/海南省/1995.md",
                "政府工作报告-省自治区/海南省/1998.md", "政府工作报告-主要城市/上海市/2006.md"):
        (doc,) = read_documents(SourceFile(LAWTEXT / rel, rel))
        body = [p.text for p in doc.paragraphs if p.kind == "paragraph"]
        cut[rel] = [(a[-10:], b[:10]) for a, b in zip(body, body[1:]) if _NUMBER_END.search(a) and _NUMBER_GOES_ON.match(b)]
        if rel.endswith("1994.md"):
            assert any("地方财政收入25.9亿元" in t for t in body)
        if rel.endswith("2006.md"):
            assert any("比2000年增长72.5%和49.9%" in t for t in body)
    assert not any(cut.values()), cut


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
