r"""Chains of equalities: the sides of ``a = b \Rightarrow c`` in the order they are written.

A chain runs across ``\\`` line breaks and ``&`` alignment, and into the next display
block when that block (or row) starts with a relation: ``$$= 0.22$$`` continues the
chain above it. A row that starts with ``+``, ``\times`` or ``\cdot`` continues the
last side. ``\neq``, ``<``, ``\leq``, ``\quad`` or a comma end a chain: what follows starts a
new one.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Iterable

from symdl.audit.clean import clean
from symdl.audit.extract import Block
from symdl.audit.located import Located, join

EQUAL = {"=", r"\Rightarrow", r"\implies", r"\Longrightarrow", r"\approx", r"\equiv", r"\to", r"\rightarrow",
         r"\longrightarrow", r"\simeq", r"\doteq", ":="}
BREAK = {r"\neq", r"\ne", "<", ">", r"\le", r"\leq", r"\ge", r"\geq", r"\lt", r"\gt", r"\sim", r"\in",
         r"\propto", r"\quad", r"\qquad", r"\iff", r"\Leftrightarrow", r"\leftarrow", r"\Leftarrow",
         r"\mapsto", ",", ";"}
_TOKEN = re.compile(r"\\begin\{[^{}]*\}|\\end\{[^{}]*\}|\\\\|\\[A-Za-z]+|\\.|:=|[{}()\[\]=<>,;&]")
_CONTINUES_SIDE = re.compile(r"\s*(?:\+|\\times|\\cdot)")


@dataclasses.dataclass
class Chain:
    sides: list[Located]
    relations: list[str]  # relations[i] joins sides[i] and sides[i + 1]
    section: int


def _rows(math: Located) -> list[list[tuple[str, Located]]]:
    """Each row split at top-level relations: [("", first part), (relation, part), ...]."""
    rows, row, depth, start, relation, text = [], [], 0, 0, "", math.text
    alignment = []  # top-level '&': blanked afterwards (inside a matrix, '&' separates cells)
    for token in _TOKEN.finditer(text):
        value = token.group()
        if value in ("{", "(", "[") or value.startswith(r"\begin"):
            depth += 1
        elif value in ("}", ")", "]") or value.startswith(r"\end"):
            depth = max(0, depth - 1)
        elif depth == 0 and value == "&":
            alignment.append(token.start())
        elif depth == 0 and (value in EQUAL or value in BREAK or value == r"\\"):
            row.append((relation, math[start:token.start()]))
            start, relation = token.end(), ("" if value == r"\\" else value)
            if value == r"\\":
                rows.append(row)
                row = []
    row.append((relation, math[start:]))
    rows.append(row)
    return [[(rel, _unaligned(part, math, alignment)) for rel, part in r] for r in rows]


def _unaligned(part: Located, math: Located, alignment: list[int]) -> Located:
    marks = {math.offsets[i] for i in alignment}
    return Located("".join(" " if o in marks and c == "&" else c for c, o in zip(part.text, part.offsets)),
                   part.offsets)


def chains(blocks: Iterable[Block]) -> list[Chain]:
    """Every chain of every block, in file order."""
    found: list[Chain] = []
    current: Chain | None = None
    previous: Block | None = None
    for block in blocks:
        if not (block.display and previous is not None and previous.display and previous.section == block.section):
            current = None
        for row in _rows(clean(block.math)):
            (_, first), rest = row[0], row[1:]
            if current is not None and not first.text.strip() and rest and rest[0][0] in EQUAL:
                pass  # the row continues the chain above: "= 0.22"
            elif current is not None and _CONTINUES_SIDE.match(first.text):
                current.sides[-1] = join([current.sides[-1], Located(" ", (first.start(),)), first])
            else:
                current = Chain([first], [], block.section)
                found.append(current)
            for relation, part in rest:
                if relation in BREAK:
                    current = Chain([part], [], block.section)
                    found.append(current)
                else:
                    current.sides.append(part)
                    current.relations.append(relation)
        previous = block
        if not block.display:
            current = None
    return [chain for chain in found if len(chain.sides) > 1]
