"""A corpus with planted copies, for the text-reuse tests: what was copied where is known exactly.

Reports are made of random sentences over a pool of common characters (two reports share no run of
eight characters by chance), plus the formulas every report has. Into some of them go, from an
earlier report of another city: whole paragraphs verbatim, paragraphs lightly edited (three
characters changed and the city's name swapped), single sentences inside a paragraph otherwise new,
and pairs of paragraphs in reverse order. Every random choice comes from one seeded generator.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

POOL = (
    "经济社会发展改革创新产业结构优化升级城乡区域协调民生保障就业教育医疗养老住房生态环境治理安全稳定"
    "投资消费出口工业农业服务业科技人才金融财政税收企业项目建设园区交通水利能源数字网络文化旅游体育卫生"
    "健康社区乡村振兴城市更新营商环境开放合作招商引资基础设施公共服务质量效益增长提升推进实施完善加强深化"
    "扩大推动落实巩固拓展培育壮大新兴未来制造材料装备汽车电子信息软件平台中心基地示范试点标准品牌市场主体"
)
CITIES = ["甲州", "乙川", "丙江", "丁山", "戊原", "己阳", "庚平", "辛湖", "壬海", "癸宁",
          "子陵", "丑安", "寅都", "卯城", "辰溪", "巳泉", "午桥", "未港", "申台", "酉林"]
OPENING = "各位代表："
REPORT_LINE = "现在，我代表市人民政府向大会报告工作，请予审议，并请各位政协委员和其他列席人员提出意见。"
CLOSING = "各位代表！让我们更加紧密地团结在以习近平同志为核心的党中央周围，锐意进取，埋头苦干，为全面建设社会主义现代化国家作出新的更大贡献！"
FORMULAS = (OPENING, REPORT_LINE, CLOSING)
FIXED_PARAGRAPHS = len(FORMULAS) + 1  # every report's formulas and its place's thanks (below)


def thanks(city: str) -> str:
    """A thanks paragraph in a place's own words (most of its phrases in no other place's reports).

    "甲州" and "甲州新" are different places whose thanks differ by a character or two; only the shape
    (search/reuse/formulas.py) tells that this is a formula and not reuse.
    """
    rng = random.Random(city[:2])  # its own generator: the same words for 甲州 and 甲州新, the corpus's draws unchanged
    local = "、".join("".join(rng.choice(POOL) for _ in range(6)) for _ in range(4))
    return f"在此，我代表{city}市人民政府，向{local}等各条战线上的全市人民，向关心支持{city}发展的各界朋友，表示衷心的感谢！"


@dataclass
class Planted:
    """One planted copy: text of report `source` now also in report `target`."""

    kind: str  # verbatim, edited, sentence, reordered
    source: str  # file name
    target: str
    texts: list[str]  # the copied text as it stands in the target (one per paragraph or sentence)
    source_texts: list[str]  # the same text as it stands in the source


@dataclass
class Corpus:
    """The files written and what was planted."""

    folder: Path
    reports: dict[str, list[str]] = field(default_factory=dict)  # file name → body paragraphs
    planted: list[Planted] = field(default_factory=list)
    years: dict[str, int] = field(default_factory=dict)

    def pairs(self) -> set[frozenset[str]]:
        """Planted pairs of reports (file names)."""
        return {frozenset((p.source, p.target)) for p in self.planted}


def _sentence(rng: random.Random, words: int) -> str:
    return "，".join(
        "".join(rng.choice(POOL) for _ in range(rng.randint(4, 7))) for _ in range(words)
    ) + "。"


def _paragraph(rng: random.Random, city: str, sentences: int) -> str:
    body = "".join(_sentence(rng, rng.randint(3, 5)) for _ in range(sentences))
    # the city's name inside, as reports name their place
    cut = rng.randint(5, 20)
    return body[:cut] + f"{city}市" + body[cut:]


def _edit(rng: random.Random, text: str, changes: int) -> str:
    chars = list(text)
    letters = [i for i, c in enumerate(chars) if c not in "，。市" and i > 3]
    for i in rng.sample(letters, changes):
        chars[i] = rng.choice([c for c in POOL if c != chars[i]])
    return "".join(chars)


def build(folder: Path, seed: int = 20240601, reports: int = 40, plants: int = 24) -> Corpus:
    """Write the corpus into `folder` (one .md per report with front matter) and return what was planted."""
    rng = random.Random(seed)
    corpus = Corpus(folder)
    names = []
    for i in range(reports):
        city = CITIES[i % len(CITIES)] + ("" if i < len(CITIES) else "新")
        year = 2010 + i // 4
        name = f"r{i:02d}-{city}-{year}.md"
        names.append((name, city, year, i))
        corpus.years[name] = year
        corpus.reports[name] = [_paragraph(rng, city, rng.randint(3, 6)) for _ in range(rng.randint(10, 16))]
    kinds = ["verbatim", "edited", "sentence", "reordered"]
    used: set[frozenset[str]] = set()
    # copy only a report's own paragraphs, each once: a copy of a copy would make a pair nobody planted
    fresh = {name: list(range(len(paras))) for name, paras in corpus.reports.items()}
    originals = {name: list(paras) for name, paras in corpus.reports.items()}
    while len(corpus.planted) < plants:
        (s_name, s_city, _sy, si), (t_name, t_city, _ty, ti) = sorted(rng.sample(names, 2), key=lambda n: n[3])
        if frozenset((s_name, t_name)) in used or s_city == t_city:
            continue
        used.add(frozenset((s_name, t_name)))
        kind = kinds[len(corpus.planted) % len(kinds)]
        if len(fresh[s_name]) < 2:
            continue
        source = originals[s_name]
        target = corpus.reports[t_name]
        if kind == "verbatim":
            para = source[fresh[s_name].pop(rng.randrange(len(fresh[s_name])))]
            target.insert(rng.randrange(len(target) + 1), para)
            corpus.planted.append(Planted(kind, s_name, t_name, [para], [para]))
        elif kind == "edited":
            para = source[fresh[s_name].pop(rng.randrange(len(fresh[s_name])))]
            edited = _edit(rng, para.replace(f"{s_city}市", f"{t_city}市"), 3)
            target.insert(rng.randrange(len(target) + 1), edited)
            corpus.planted.append(Planted(kind, s_name, t_name, [edited], [para]))
        elif kind == "sentence":
            para = source[fresh[s_name].pop(rng.randrange(len(fresh[s_name])))]
            sentences = [s + "。" for s in para.split("。") if len(s) >= 20]
            sentence = rng.choice(sentences)
            # a paragraph of the target's own words with the copied sentence inside
            target.insert(rng.randrange(len(target) + 1), _sentence(rng, 3) + sentence + _sentence(rng, 3))
            corpus.planted.append(Planted(kind, s_name, t_name, [sentence], [sentence]))
        else:
            first, second = (fresh[s_name].pop(rng.randrange(len(fresh[s_name]))) for _ in range(2))
            at = rng.randrange(len(target) + 1)
            target[at:at] = [source[second], source[first]]  # in the other order
            corpus.planted.append(Planted(kind, s_name, t_name, [source[second], source[first]],
                                          [source[second], source[first]]))
    folder.mkdir(parents=True, exist_ok=True)
    for name, city, year, _i in names:
        body = [OPENING, REPORT_LINE, *corpus.reports[name], thanks(city), CLOSING]
        text = (f"---\ntitle: {city}市{year}年政府工作报告\nyear: {year}\ndate: {year}-01-{10 + _i % 10:02d}\n"
                f"province: 测试省\ncity: {city}市\n---\n\n" + "\n\n".join(body) + "\n")
        (folder / name).write_text(text, encoding="utf-8")
    return corpus
