r"""Finding the math in a file of notes: Markdown, LaTeX, or plain text like the seed.

What is not math is masked first (blanked, so offsets stay put): fenced and inline
code and ``~~struck-through~~`` text in Markdown, ``%`` comments and ``\sout{…}`` in
LaTeX. Then ``$$…$$``, ``\[…\]``, ``equation``/``align``/``gather`` environments
(display) and ``$…$`` (inline) are taken in file order, each with its section:
a Markdown heading or a ``\section``-like command starts a new one.
"""

from __future__ import annotations

import dataclasses
import re

from symdl.audit.located import Located

_FENCE = re.compile(r"^[ \t]*(```|~~~).*?(?:^[ \t]*\1[^\n]*$|\Z)", re.M | re.S)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_STRUCK_MD = re.compile(r"~~(?:(?!\n[ \t]*\n).)+?~~", re.S)  # within one paragraph
_COMMENT = re.compile(r"(?<!\\)%[^\n]*")
_STRUCK_TEX = re.compile(r"\\(?:sout|st|xout)\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\}")
_HEADING_MD = re.compile(r"^#{1,6}[ \t]", re.M)
_HEADING_TEX = re.compile(r"\\(?:part|chapter|section|subsection|subsubsection)\*?\{")
_ENVIRONMENTS = "equation|align|alignat|gather|multline|eqnarray|displaymath|math"
_MATH = re.compile(r"\$\$(?P<dollars>.+?)\$\$"
                   r"|\\\[(?P<brackets>.+?)\\\]"
                   rf"|\\begin\{{(?P<env>{_ENVIRONMENTS})(?P<star>\*?)\}}(?P<body>.+?)\\end\{{(?P=env)(?P=star)\}}"
                   r"|\\\((?P<parens>.+?)\\\)"
                   r"|(?<![\\$])\$(?P<inline>(?:[^$\n]|\n(?![ \t]*\n))+?)(?<!\\)\$", re.S)
_DISPLAY_GROUPS = ("dollars", "brackets", "body")


@dataclasses.dataclass(frozen=True)
class Block:
    math: Located
    display: bool
    section: int


def _blank(source: str, pattern: re.Pattern) -> str:
    """Matches replaced by spaces (newlines kept), so every offset still points at the same line."""
    return pattern.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), source)


def blocks(source: str, latex: bool) -> list[Block]:
    """The math blocks of a file in order; ``latex`` for .tex files, else Markdown/text rules."""
    masked = source
    for pattern in ((_COMMENT, _STRUCK_TEX) if latex else (_FENCE, _INLINE_CODE, _STRUCK_MD, _STRUCK_TEX)):
        masked = _blank(masked, pattern)
    headings = [m.start() for m in (_HEADING_TEX if latex else _HEADING_MD).finditer(masked)]
    found = []
    for match in _MATH.finditer(masked):
        group = next(name for name in ("dollars", "brackets", "body", "parens", "inline") if match.group(name))
        section = sum(1 for h in headings if h < match.start())
        math = Located.of(masked, match.start(group), match.end(group))
        found.append(Block(math, group in _DISPLAY_GROUPS, section))
    return found
