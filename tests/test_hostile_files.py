"""Hostile inputs: each is refused with its reason or read correctly, and each finishes.

Every file is read in a subprocess with a 20 s limit (a guard against hanging, not a speed test). The
inputs are written by tests/fixtures/hostile/make_hostile.py into a temporary folder; links, FIFOs and
directory loops are made here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from search.ingest import discover

ROOT = Path(__file__).resolve().parent.parent
LIMIT = 20

# Runs in a fresh interpreter: ingest alone (the package root also loads the index layer).
READ_ONE = r"""
import json, sys, types
sys.path.insert(0, sys.argv[1])
try:
    import search
except ImportError:
    for name in [m for m in sys.modules if m.split(".")[0] == "search"]:
        del sys.modules[name]
    pkg = types.ModuleType("search"); pkg.__path__ = [sys.argv[1] + "/search"]; sys.modules["search"] = pkg
from pathlib import Path
from search.ingest import SourceFile, read_documents
from search.ingest.raw import IngestError
path = Path(sys.argv[2])
try:
    docs = read_documents(SourceFile(path, path.name))
except IngestError as exc:
    print(json.dumps({"refused": exc.reason}))
else:
    print(json.dumps({"documents": len(docs), "notes": [n for d in docs for n in d.notes],
                      "text": "\n".join(p.text for d in docs for p in d.paragraphs)[:200000]}, ensure_ascii=False))
"""


def read_in_subprocess(path: Path) -> dict:
    """What reading one file gives, in a subprocess that must finish within LIMIT seconds."""
    done = subprocess.run([sys.executable, "-c", READ_ONE, str(ROOT), str(path)],
                          capture_output=True, text=True, timeout=LIMIT)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def _make(folder: Path) -> dict[str, str]:
    sys.path.insert(0, str(ROOT / "tests" / "fixtures" / "hostile"))
    try:
        import make_hostile
    finally:
        sys.path.pop(0)
    return make_hostile.make(folder)


CASES = ["billion_laughs.md", "long_front_matter.md", "comment_script.html", "comment_soup.md", "unclosed_tags.html", "dashes.md",
         "escapes.txt", "pipes.md", "zip_bomb.docx", "many_entries.docx", "xxe.docx"]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    folder = tmp_path_factory.mktemp("hostile")
    return folder, _make(folder)


def test_generator_covers_the_cases(hostile) -> None:
    assert sorted(hostile[1]) == sorted(CASES)


@pytest.mark.parametrize("name", CASES)
def test_each_hostile_file_is_refused_or_read_and_finishes(hostile, name: str) -> None:
    folder, expect = hostile
    outcome, _, words = expect[name].partition(":")
    result = read_in_subprocess(folder / name)
    if outcome == "refused":
        assert "refused" in result and words in result["refused"], result
    elif outcome == "read":
        assert "documents" in result, result
        assert not words or any(words in n for n in result["notes"]), result["notes"]
        assert "哈哈哈" not in result["text"]  # an alias never expanded into a title or text
    if name == "xxe.docx":
        assert "root:" not in json.dumps(result, ensure_ascii=False)
    if name == "comment_soup.md":
        assert "报告完毕。" in result["text"]  # an unclosed comment hides only its own token
    if name == "billion_laughs.md":
        assert "过去一年，全市经济稳中向好。" in result["text"]  # the body is kept


def _links(folder: Path, outside: Path) -> None:
    (folder / "good.md").write_text("各位代表：\n\n我们推进高质量发展。\n", encoding="utf-8")
    os.symlink("/etc/passwd", folder / "passwd.txt")
    os.symlink("/proc/self/status", folder / "status.txt")
    os.symlink(outside, folder / "outside.md")
    os.symlink(folder / "good.md", folder / "inside.md")
    os.mkfifo(folder / "fifo.txt")
    (folder / "sub").mkdir()
    os.symlink(folder, folder / "sub" / "loop")
    os.symlink("/proc", folder / "proc")


def test_discover_reads_only_regular_files_inside_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    outside = tmp_path / "secret.md"
    outside.write_text("不应被读取的文件", encoding="utf-8")
    _links(folder, outside)
    done = subprocess.run(
        [sys.executable, "-c",
         "import sys, json, types\nsys.path.insert(0, sys.argv[1])\n"
         "try:\n import search\nexcept ImportError:\n"
         " [sys.modules.pop(m) for m in list(sys.modules) if m.split('.')[0] == 'search']\n"
         " p = types.ModuleType('search'); p.__path__ = [sys.argv[1] + '/search']; sys.modules['search'] = p\n"
         "from search.ingest import discover\n"
         "files, skipped = discover([sys.argv[2]])\n"
         "print(json.dumps({'files': [f.rel for f in files], 'skipped': {s.path: s.reason for s in skipped}}, ensure_ascii=False))",
         str(ROOT), str(folder)],
        capture_output=True, text=True, timeout=LIMIT)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["files"] == ["good.md", "inside.md"]
    skipped = result["skipped"]
    assert "系统目录" in skipped["passwd.txt"] or "之外" in skipped["passwd.txt"]
    assert "系统目录" in skipped["status.txt"]
    assert "之外" in skipped["outside.md"]
    assert "不是普通文件" in skipped["fifo.txt"]
    assert "不跟随" in skipped["sub/loop"] and "不跟随" in skipped["proc"]


def test_a_fifo_named_directly_is_refused_without_opening_it(tmp_path: Path) -> None:
    fifo = tmp_path / "report.txt"
    os.mkfifo(fifo)
    files, skipped = discover([fifo])
    assert not files and "不是普通文件" in skipped[0].reason
    result = read_in_subprocess(fifo)  # read_documents checks too (a file replaced after discovery)
    assert "不是普通文件" in result["refused"]


def test_a_regular_file_named_directly_is_read(tmp_path: Path) -> None:
    path = tmp_path / "report.md"
    path.write_text("各位代表：\n\n我们推进高质量发展。\n", encoding="utf-8")
    files, skipped = discover([path])
    assert [f.rel for f in files] == ["report.md"] and not skipped


def test_a_file_swapped_for_a_link_outside_after_discovery_is_refused_when_read(tmp_path: Path) -> None:
    from search.ingest import discover, read_documents
    from search.ingest.raw import IngestError

    folder = tmp_path / "corpus"
    folder.mkdir()
    report = folder / "report.md"
    report.write_text("各位代表：\n\n我们推进高质量发展。\n", encoding="utf-8")
    outside = tmp_path / "secret.md"
    outside.write_text("各位代表：\n\n不应被读取的文件。\n", encoding="utf-8")
    (found,), _skipped = discover([folder])
    assert read_documents(found)  # as discovered: read
    report.unlink()
    os.symlink(outside, report)  # swapped between the walk and the reading
    with pytest.raises(IngestError, match="之外"):
        read_documents(found)
