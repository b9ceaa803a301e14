"""Per-file metadata supplied by the user (CSV or JSON), the strongest source of metadata."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path, PurePosixPath
from typing import Any

from .raw import IngestError

MANIFEST_FIELDS = ("title", "year", "date", "speaker", "type", "level", "tier", "province", "city", "county", "url")
MANIFEST_NAMES = frozenset({"manifest.csv", "manifest.json"})  # not documents when found in a corpus folder


def _key(name: str) -> str:
    return PurePosixPath(str(name).strip().replace("\\", "/").lstrip("./")).as_posix() if name else ""


class Manifest:
    """Metadata rows keyed by file path relative to the indexed folder (or by file name alone)."""

    def __init__(self, rows: dict[str, dict[str, Any]]):
        self.rows: dict[str, dict[str, Any]] = {}
        self.by_name: dict[str, dict[str, Any]] = {}
        for name, fields in rows.items():
            key = _key(name)
            if not key:
                raise IngestError("清单中有一行缺少文件名")
            clean: dict[str, Any] = {}
            for field, value in fields.items():
                field = str(field).strip().lower()
                if field == "file":
                    continue
                if field not in MANIFEST_FIELDS:
                    raise IngestError(f"清单字段无法识别：{field}")
                if value is None or str(value).strip() == "":
                    continue
                if field == "year":
                    try:
                        value = int(str(value).strip())
                    except ValueError:
                        raise IngestError(f"清单中 {key} 的年份不是整数：{value}") from None
                else:
                    value = str(value).strip()
                clean[field] = value
            self.rows[key] = clean
            self.by_name.setdefault(PurePosixPath(key).name, clean)

    def lookup(self, rel: str) -> dict[str, Any]:
        """Fields for a source ("a/b.txt" or "a/b.txt#3"): exact path first, then the bare file name."""
        key = _key(rel)
        if key in self.rows:
            return dict(self.rows[key])
        base = key.split("#", 1)[0]
        if base in self.rows:
            return dict(self.rows[base])
        name = PurePosixPath(base).name
        return dict(self.by_name.get(name, {})) if "/" not in _key(name) else {}

    def __len__(self) -> int:
        return len(self.rows)


def load_manifest(path: str | Path) -> Manifest:
    """Read a CSV (UTF-8, BOM allowed) or JSON manifest; raise IngestError when it is malformed."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(f"无法读取清单：{exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise IngestError("清单不是 UTF-8 编码") from None
    rows: dict[str, dict[str, Any]] = {}
    if path.suffix.lower() == ".json" or text.lstrip().startswith(("{", "[")):
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            raise IngestError(f"清单不是有效的 JSON：第 {exc.lineno} 行") from None
        if isinstance(obj, dict):
            for name, fields in obj.items():
                if not isinstance(fields, dict):
                    raise IngestError(f"清单中 {name} 的值应为对象")
                rows[str(name)] = fields
        elif isinstance(obj, list):
            for item in obj:
                if not isinstance(item, dict) or not item.get("file"):
                    raise IngestError("清单列表的每一项都应为含 file 的对象")
                rows[str(item["file"])] = item
        else:
            raise IngestError("清单 JSON 应为对象或列表")
    else:
        try:
            reader = csv.DictReader(io.StringIO(text))
            if not reader.fieldnames or "file" not in [f.strip().lower() for f in reader.fieldnames]:
                raise IngestError("清单 CSV 缺少 file 列")
            for row in reader:
                row = {str(k).strip().lower(): v for k, v in row.items() if k is not None}
                if None in row.values() and not row.get("file"):
                    continue
                if not (row.get("file") or "").strip():
                    if any((v or "").strip() for v in row.values()):
                        raise IngestError("清单中有一行缺少文件名")
                    continue
                rows[row["file"]] = row
        except csv.Error as exc:
            raise IngestError(f"清单 CSV 格式错误：{exc}") from None
    return Manifest(rows)
