"""What ingest alone makes of a corpus: counts of the junk and the metadata conflicts a reader would see.

    python scripts/ingest_report.py CORPUS [--json] [--top N]

Reads every file with `search.ingest` (no index is built) and prints, for the documents it produces:
doubled titles, titles without a place, raw table rows (lines of pipes/dashes in units, table headers
as section paths), footnote markers left, reports whose year disagrees with their delivery date or
their own work-plan heading, duplicate documents (copies collapsed inside files, and across files by
`search.ingest.dedupe.Deduper` in file order, as the indexer calls it), and paragraphs under 8
characters with the most common ones.

The checks are written here, independently of the rules they measure, so the same script measures an
older checkout too (documents without `kind`/`notes` are read as they were: body paragraphs plus a
separate heading list).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import types
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
if "search" not in sys.modules:
    # Ingest alone: import search.ingest without the package's __init__, which loads the index layer.
    _pkg = types.ModuleType("search")
    _pkg.__path__ = [str(ROOT / "search")]
    sys.modules["search"] = _pkg

from search.ingest import discover, read_documents  # noqa: E402
from search.ingest.raw import IngestError  # noqa: E402
from search.normalize import normalize  # noqa: E402

SHORT = 8
_FOOTNOTE = re.compile(r"\[\^[^\]\s]{1,16}\]|［\s*\d{1,3}\s*］|\[\s*\d{1,3}\s*\]")
_TABLE_LINE = re.compile(r"^\s*\|.*\|\s*$|^[\s|:\-]*-{3,}[\s|:\-]*$")
# Unambiguous work-plan headings only ("一、2016年主要工作" reviews, so "主要工作" is not one of them);
# a heading that looks back (回顾, 成就, 完成了 …) is not a plan whatever it says.
_PLAN = re.compile(
    r"((?:19|20)\d{2})年(?:的)?(?:工作安排|重点工作|主要任务|工作总体要求|工作重点|重点任务|"
    r"政府工作安排|工作总体部署|目标任务|工作目标|工作建议|预期目标|主要目标)"
)
_LOOKS_BACK = re.compile(r"回顾|总结|成就|成效|情况|完成了|取得|过去|以来")
_SHORT_PROVINCE = {"内蒙古自治区": "内蒙古", "广西壮族自治区": "广西", "西藏自治区": "西藏",
                   "宁夏回族自治区": "宁夏", "新疆维吾尔自治区": "新疆"}


def units(doc) -> list[tuple[str, str, tuple]]:
    """(kind, text, section) of every unit a reader sees, for new and old document models."""
    out = [("title", doc.title, ())]
    for p in doc.paragraphs:
        out.append((getattr(p, "kind", "paragraph"), p.text, tuple(p.section)))
    for h in getattr(doc, "headings", []) or []:
        out.append(("heading", h.text, ()))
    return out


def doubled(title: str) -> bool:
    compact = re.sub(r"\s+", "", title or "")
    half = len(compact) // 2
    return len(compact) >= 8 and len(compact) % 2 == 0 and compact[:half] == compact[half:]


def names_place(doc) -> bool | None:
    """Whether the title names the document's place; None when the document has no place at all."""
    title = re.sub(r"\s+", "", doc.title or "")
    if "XX" in title.upper():
        return True
    if doc.level == "国务院" or doc.tier == "国家":
        return any(w in title for w in ("国务院", "全国", "中华人民共和国"))
    names = [n for n in (doc.county, doc.city, doc.province) if n]
    if not names:
        return None
    for name in names:
        shorts = {name, _SHORT_PROVINCE.get(name, ""), re.sub(r"(?:省|市|县|区|自治州|地区|盟|旗)$", "", name)}
        if any(s and len(s) >= 2 and s in title for s in shorts):
            return True
    return False


def year_conflicts(doc) -> list[str]:
    """Why a report's year disagrees with its date or its own work-plan heading ([] when it agrees)."""
    if not doc.year or doc.type != "政府工作报告":
        return []
    out = []
    if doc.date:
        y, m = int(doc.date[:4]), int(doc.date[5:7])
        # the documented rule: delivered in the report's year, or in November/December of the year before
        if doc.year != y and not (doc.year == y + 1 and m >= 11):
            out.append(f"日期 {doc.date}")
    headings = [t for kind, t, _ in units(doc) if kind == "heading"]
    plans = Counter(int(m.group(1)) for t in headings if len(t) <= 40 and not _LOOKS_BACK.search(t)
                    for m in _PLAN.finditer(re.sub(r"\s", "", t)))
    if plans:
        top = plans.most_common(1)[0][0]
        if top != doc.year:
            out.append(f"工作安排标题 {top}年")
    return out


def body_text(doc) -> str:
    return "".join(normalize(t) for kind, t, _ in units(doc) if kind in ("heading", "paragraph", "row"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("corpus", nargs="+")
    parser.add_argument("--json", action="store_true", help="print the counts as JSON")
    parser.add_argument("--top", type=int, default=15, help="how many common short paragraphs to list")
    parser.add_argument("--examples", type=int, default=5, help="examples per item")
    args = parser.parse_args(argv)

    try:
        from search.ingest.dedupe import Deduper, signature_of_text
    except ImportError:  # an older checkout without the deduper
        Deduper = signature_of_text = None  # type: ignore[assignment]

    started = time.time()
    files, skipped = discover(args.corpus)
    counts: Counter = Counter()
    examples: dict[str, list[str]] = {}
    short: Counter = Counter()
    deduper = Deduper() if Deduper else None
    notes: Counter = Counter()

    def example(item: str, text: str) -> None:
        counts[item] += 1
        bucket = examples.setdefault(item, [])
        if len(bucket) < args.examples:
            bucket.append(text)

    for src in files:
        try:
            docs = read_documents(src)
        except IngestError as exc:
            example("files refused", f"{src.rel}: {exc.reason}")
            continue
        counts["files read"] += 1
        for doc in docs:
            counts["documents"] += 1
            for note in getattr(doc, "notes", []) or []:
                notes[re.sub(r"[0-9０-９]+|“[^”]*”|（[^）]*）|\S+\.md", "…", note)[:30]] += 1
                m = re.match(r"文件中同一报告出现 (\d+) 次", note)
                if m:
                    counts["duplicate copies collapsed within files"] += int(m.group(1)) - 1
                m = re.match(r"文件中另有 (\d+) 份相同的报告", note)
                if m:
                    counts["duplicate copies collapsed within files"] += int(m.group(1))
            if doubled(doc.title):
                example("doubled titles", f"{doc.source}: {doc.title}")
            place = names_place(doc)
            if place is False:
                example("titles without a place", f"{doc.source}: {doc.title}")
            elif place is None:
                example("documents without any place", f"{doc.source}: {doc.title}")
            for kind, text, section in units(doc):
                if _TABLE_LINE.match(text):
                    example("raw table rows in units", f"{doc.source}: {text[:60]}")
                if any("|" in s for s in section):
                    example("units under a table header as section", f"{doc.source}: {' / '.join(section)[:60]}")
                if _FOOTNOTE.search(text):
                    example("units with footnote markers", f"{doc.source}: {kind} {text[:50]}")
                if kind == "paragraph" and len(re.sub(r"\s+", "", text)) < SHORT:
                    counts["paragraphs under 8 characters"] += 1
                    short[text] += 1
            conflicts = year_conflicts(doc)
            if conflicts:
                example("reports whose year disagrees with date/work plan",
                        f"{doc.source}: year {doc.year} vs {'、'.join(conflicts)}")
            if deduper is not None:
                decision = _offer(deduper, doc, signature_of_text)
                if decision:
                    example("duplicate documents across files (Deduper)", decision)
    counts["seconds"] = round(time.time() - started)
    result = {
        "corpus": [str(c) for c in args.corpus],
        "counts": dict(counts),
        "examples": examples,
        "common short paragraphs": short.most_common(args.top),
        "notes by kind": notes.most_common(20),
        "skipped by discovery": [f"{s.path}: {s.reason}" for s in skipped],
    }
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=1))
        return 0
    print(f"corpus: {', '.join(result['corpus'])}")
    order = ["files read", "files refused", "documents", "doubled titles", "titles without a place",
             "documents without any place", "raw table rows in units", "units under a table header as section",
             "units with footnote markers", "reports whose year disagrees with date/work plan",
             "duplicate copies collapsed within files", "duplicate documents across files (Deduper)",
             "paragraphs under 8 characters", "seconds"]
    for item in order:
        print(f"{counts.get(item, 0):>7}  {item}")
        for ex in examples.get(item, []):
            print(f"           e.g. {ex}")
    print("most common paragraphs under 8 characters:")
    for text, n in result["common short paragraphs"]:
        print(f"{n:>7}  {text}")
    if notes:
        print("notes by kind:")
        for text, n in result["notes by kind"]:
            print(f"{n:>7}  {text}")
    return 0


def _offer(deduper, doc, signature_of_text) -> str:
    """Offer a document to the Deduper (new model) or its signature (old model); a description when it is a copy."""
    if hasattr(doc, "notes") and all(hasattr(p, "kind") for p in doc.paragraphs):
        decision = deduper.offer(doc)
        if decision.kind == "new":
            return ""
        return f"{doc.source} {decision.kind} {decision.other_source} ({decision.similarity:.2f})"
    sig = signature_of_text(body_text(doc))
    other, sim = deduper.best_match(sig)
    if other is None:
        deduper.seed(doc.doc_id, doc.source, sig, 0)
        return ""
    return f"{doc.source} duplicate {other.source} ({sim:.2f})"


if __name__ == "__main__":
    sys.exit(main())
