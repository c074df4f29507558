"""Text that remembers where each of its characters came from in the file.

The audit rewrites math before parsing it (``\\text{…}`` dropped, ``150,528``
joined, a struck-through group removed), yet every finding must name the line
and column of the file as written. A :class:`Located` string carries, for each
character, its offset in the file; rewriting builds a new one, never loses the map.
"""

from __future__ import annotations

import bisect
import dataclasses
import re
from typing import Callable, Sequence


@dataclasses.dataclass(frozen=True)
class Located:
    text: str
    offsets: tuple[int, ...]  # file offset of each character of text

    @classmethod
    def of(cls, source: str, start: int = 0, end: int | None = None) -> "Located":
        end = len(source) if end is None else end
        return cls(source[start:end], tuple(range(start, end)))

    def __getitem__(self, span: slice) -> "Located":
        return Located(self.text[span], self.offsets[span])

    def start(self) -> int:
        """File offset of the first character that is not a space (or of the end, if all are)."""
        stripped = len(self.text) - len(self.text.lstrip())
        if stripped < len(self.offsets):
            return self.offsets[stripped]
        return self.offsets[-1] + 1 if self.offsets else 0

    def strip(self) -> "Located":
        left = len(self.text) - len(self.text.lstrip())
        right = len(self.text.rstrip())
        return self[left:max(left, right)]

    def sub(self, pattern: re.Pattern, replace: Callable[[re.Match], str]) -> "Located":
        """Every match replaced; the new characters spread over the offsets of the text they replace,
        first to first and last to last, so a side still spans what it was written as."""
        pieces, position = [], 0
        for match in pattern.finditer(self.text):
            pieces.append(self[position:match.start()])
            new, old = replace(match), self.offsets[match.start():match.end()]
            if new and old:
                step = (len(old) - 1) / max(1, len(new) - 1)
                pieces.append(Located(new, tuple(old[round(i * step)] for i in range(len(new)))))
            position = match.end()
        pieces.append(self[position:])
        return join(pieces)


def join(pieces: Sequence[Located]) -> Located:
    return Located("".join(p.text for p in pieces), tuple(o for p in pieces for o in p.offsets))


class Lines:
    """File offsets to 1-based (line, column)."""

    def __init__(self, source: str):
        self.starts = [0] + [m.end() for m in re.finditer("\n", source)]

    def where(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.starts, offset) - 1
        return line + 1, offset - self.starts[line] + 1
