"""``symdl audit``: read lecture notes (Markdown, LaTeX, text) and flag every arithmetic slip.

    >>> report = audit(["notes.md"])
    >>> report.to_dict()   # {"files": [...], "checked": N, "findings": [...]}, the contract in the README's "JSON output"

Files are read whole first (bounded, UTF-8 text only), so bad input fails before
anything is checked or written. See :mod:`symdl.audit.check` for the readings chosen.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Optional, Sequence

from symdl.audit.chains import chains
from symdl.audit.check import Check, check_chains
from symdl.audit.extract import blocks
from symdl.errors import LimitError, SymdlError
from symdl.files import read_input
from symdl.limits import LIMITS
from symdl.terminal import read_stdin

LATEX_SUFFIXES = {".tex", ".ltx", ".latex"}
STDIN = "-"


@dataclasses.dataclass
class FileAudit:
    path: str
    source: str
    checks: list[Check]

    @property
    def findings(self) -> list[Check]:
        return [c for c in self.checks if not c.right]


@dataclasses.dataclass
class Audit:
    files: list[FileAudit]

    @property
    def checked(self) -> int:
        return sum(len(f.checks) for f in self.files)

    @property
    def findings(self) -> list[dict]:
        return [c.finding(f.path) for f in self.files for c in f.findings]

    def to_dict(self) -> dict:
        return {"files": [f.path for f in self.files], "checked": self.checked, "findings": self.findings}

    def lines(self) -> list[str]:
        found = [f"{d['file']}:{d['line']}:{d['column']}: written {d['written']}, correct {d['correct']}"
                 + (f" ({d['slip']})" if d["slip"] else "") for d in self.findings]
        return found + [f"{len(found)} finding(s) in {self.checked} equalities checked in {len(self.files)} file(s)"]


def read_notes(path: str) -> str:
    """The file's text (stdin's for ``-``), or one clear error: unreadable, too large, or not UTF-8 text."""
    text = read_stdin(LIMITS.max_notes_bytes, "FILE") if path == STDIN else _read_file(path)
    if "\x00" in text:
        raise SymdlError(f"{path} is not a text file (it contains NUL bytes)")
    return text


def _read_file(path: str) -> str:
    try:
        data = read_input(path, LIMITS.max_notes_bytes)
    except OSError as error:
        raise SymdlError(f"cannot read {path}: {error.strerror or error}") from None
    if len(data) > LIMITS.max_notes_bytes:
        raise LimitError(f"the size of {path}", f"more than {LIMITS.max_notes_bytes} bytes", "max_notes_bytes",
                         LIMITS.max_notes_bytes)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SymdlError(f"{path} is not UTF-8 text (byte {error.start})") from None


def audit_text(path: str, source: str, tolerance: Optional[float] = None) -> FileAudit:
    found = chains(blocks(source, latex=Path(path).suffix.lower() in LATEX_SUFFIXES))
    sides = sum(len(c.sides) for c in found)
    if sides > LIMITS.max_equations:
        raise LimitError(f"the sides of equalities in {path}", sides, "max_equations", LIMITS.max_equations)
    return FileAudit(path, source, check_chains(source, found, tolerance))


def audit(paths: Sequence[str], tolerance: Optional[float] = None) -> Audit:
    """Check every chain of equalities in the files; ``tolerance`` is relative (None: digits written)."""
    if tolerance is not None and not 0 <= tolerance < 1:
        raise SymdlError(f"the tolerance must be a relative error in [0, 1), got {tolerance}")
    sources = [(str(p), read_notes(str(p))) for p in paths]
    return Audit([audit_text(path, source, tolerance) for path, source in sources])


__all__ = ["Audit", "FileAudit", "audit", "audit_text", "read_notes"]
