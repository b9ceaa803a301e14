"""Tables: Markdown pipe tables (as lawtext writes them, and as the HTML and DOCX readers emit them) → rows.

A table becomes one `row` unit per body row. Its cells stay apart: they are joined with
`CELL_SEPARATOR`, so a phrase never runs from one cell into the next. Where the table has a header
row, every cell is prefixed with its column's header ("序号 1 │ 民生领域 食品安全 │ 具体内容 加强…"),
so a row found on its own still says what its numbers are; the header row itself is then not a unit
of its own (its text is in every row). A table with no header (an empty header row, as the readers
write for HTML/DOCX tables without <th> or a header row) gives its rows as they are. The delimiter row
("|---|---|") is markup and never text, and a table's header never becomes a section path.
"""

from __future__ import annotations

import re

from ..models import CELL_SEPARATOR

# "| --- | :---: |" and the ragged forms lawtext has ("| ------ | -------- | ---------"): only pipes,
# dashes, colons and spaces, with at least one run of three dashes.
_DELIMITER = re.compile(r"^\|?(?:\s*:?-{3,}:?\s*\|?)+\s*$")
_ESCAPED_PIPE = "\x00"


def is_table_line(line: str) -> bool:
    """A line of a Markdown pipe table: starts with '|' and has a second '|' (or is a delimiter row)."""
    s = line.strip()
    return (s.startswith("|") and s.count("|") >= 2) or bool(_DELIMITER.match(s) and "|" in s)


def is_delimiter(line: str) -> bool:
    """The "|---|---|" row under a Markdown table's header."""
    return bool(_DELIMITER.match(line.strip())) and "-" in line


def split_cells(line: str) -> list[str]:
    """The cells of one pipe-table line, stripped; an escaped pipe (\\|) stays inside its cell."""
    s = line.strip().replace("\\|", _ESCAPED_PIPE)
    if s.startswith("|"):
        s = s[1:]
    if s.endswith("|"):
        s = s[:-1]
    return [c.strip().replace(_ESCAPED_PIPE, "|") for c in s.split("|")]


def escape_cell(text: str) -> str:
    """A cell's text made safe for one line of a pipe table (readers writing tables use this)."""
    return re.sub(r"\s+", " ", text.replace("|", "\\|")).strip()


def table_markdown(rows: list[list[str]], header: bool) -> list[str]:
    """Lines of a pipe table for `rows`; the first row is the header when `header`, else an empty header."""
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        return []
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    head, body = (rows[0], rows[1:]) if header else ([""] * width, rows)
    lines = ["| " + " | ".join(escape_cell(c) for c in head) + " |", "|" + "---|" * width]
    lines.extend("| " + " | ".join(escape_cell(c) for c in r) + " |" for r in body)
    return lines


def row_texts(lines: list[str], clean=lambda s: s) -> list[str]:
    """The texts of a table's rows (see the module docstring); `clean` removes markup from a cell."""
    header: list[str] = []
    body: list[list[str]] = []
    rows = [line for line in lines if line.strip()]
    if len(rows) >= 2 and is_delimiter(rows[1]) and not is_delimiter(rows[0]):
        header = [clean(c) for c in split_cells(rows[0])]
        rows = rows[2:]
    for line in rows:
        if is_delimiter(line):
            continue
        cells = [clean(c) for c in split_cells(line)]
        if any(cells):
            body.append(cells)
    if not body and any(header):
        return [CELL_SEPARATOR.join(c for c in header if c)]  # a header alone is still text the reader sees
    out: list[str] = []
    for cells in body:
        parts = []
        for k, cell in enumerate(cells):
            name = header[k] if k < len(header) else ""
            if not cell:
                continue
            parts.append(f"{name} {cell}" if name and name != cell else cell)
        if parts:
            out.append(CELL_SEPARATOR.join(parts))
    return out
