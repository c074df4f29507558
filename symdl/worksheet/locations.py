"""Where a key of a problem file is written: ``file:line: [table] key: ``, for error messages.

TOML parsers give values, not lines, so the line is found in the text: the deepest table
header or ``name =`` assignment that matches the key's path.
"""

from __future__ import annotations

import re
from typing import Optional


def location(path: str, text: str, key: tuple[str, ...]) -> str:
    """``file:line: [table] key: `` for the deepest part of ``key`` found in the text."""
    line = _line_of(text, key)
    shown = ".".join(key)
    return f"{path}:{line}: {shown}: " if line else f"{path}: {shown}: " if shown else f"{path}: "


def _line_of(text: str, key: tuple[str, ...]) -> Optional[int]:
    """The line that defines ``key`` (a table header or ``name =``), else its table's header."""
    best = None
    table: tuple[str, ...] = ()
    occurrences: dict[tuple[str, ...], int] = {}  # [[array.of.tables]] are numbered from 0, as in the key
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        header = re.fullmatch(r"(\[\[?)\s*([^\]]+?)\s*\]\]?.*", stripped)
        if header:
            table = tuple(part.strip().strip('"') for part in header.group(2).split("."))
            if header.group(1) == "[[":
                occurrences[table] = occurrences.get(table, -1) + 1
                table += (str(occurrences[table]),)
            if key[:len(table)] == table and (best is None or len(table) > best[1]):
                best = (number, len(table))
            continue
        assignment = re.match(r'\s*("[^"]*"|[A-Za-z0-9_.-]+)\s*=', line)
        if assignment and key:
            path = table + tuple(part.strip('"') for part in re.findall(r'"[^"]*"|[^.\s]+', assignment.group(1)))
            depth = _common(path, key)
            if depth > len(table) and (best is None or depth > best[1]):
                best = (number, depth)
    return best[0] if best else None


def _common(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    count = 0
    for x, y in zip(a, b):
        if x != y:
            break
        count += 1
    return count
