"""Checking every chain of a file: which neighbouring sides are compared, and how.

The reading, chosen for precision (a wrong flag on a right line costs trust):
a pair of neighbouring sides is compared only when the right one is a *result*,
a number as written (or a matrix of them), and the left one evaluates to numbers.
So a computation is checked against the result that follows it, and a result
against its rounding (``0.0448 \\approx 0.045``; not across an arrow, which between
two numbers means "leads to"), but never a computation against
another computation: ``3 \\times 3 \\times 3 = 27 \\times 10 \\text{ filters} \\Rightarrow
270`` checks only 27 × 10 against 270. The right side agrees when it is the left
side's value rounded to the digits written on it (within half a unit in its last
place, the rule ``symdl check`` grades worksheets by), or within the relative
``tolerance``: ``\\frac{2}{3} = 0.66`` and ``0.6652 \\approx 0.66`` are truncations,
named as such. A chain with bare names among its sides (``f_7 = 1 + 0.36 = 1.36``)
binds them, for the rest of the section, to its last numeric side.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal, localcontext
from typing import Optional

import numpy as np
import sympy as sp

from symdl.audit.chains import Chain
from symdl.audit.located import Lines
from symdl.audit.sides import DIGITS, Cell, Side, read
from symdl.audit.slips import SlipSearch
from symdl.worksheet.digits import agree, truncated

CLAIMS_EQUAL = {"=", r"\approx", r"\equiv", r"\simeq", r"\doteq", ":="}
SHOWN_DIGITS = 4  # significant digits of a correct value, at least


@dataclasses.dataclass
class Check:
    """One compared pair of cells: the right one's place in the file and the verdict."""

    line: int
    column: int
    end: int  # file offset just past the written number
    text: str  # the equality as written
    written: str
    correct: str
    right: bool
    slip: Optional[str] = None
    truncated: bool = False  # wrong only in being cut off, not rounded (a finding all the same)

    def finding(self, file: str) -> dict:
        return {"file": file, "line": self.line, "column": self.column, "text": self.text,
                "written": self.written, "correct": self.correct, "slip": self.slip}


def check_chains(source: str, chains: list[Chain], tolerance: Optional[float]) -> list[Check]:
    """Every comparison in the file, in order; bindings are scoped to the section."""
    lines, checks, bindings, section, slips = Lines(source), [], {}, None, SlipSearch()
    with np.errstate(all="ignore"):  # a half unit of 10^435 is inf, as it should be: no warning on stderr
        for chain in chains:
            if chain.section != section:
                bindings, section = {}, chain.section
            sides = [read(where, bindings) for where in chain.sides]
            for left, relation, right in zip(sides, chain.relations, sides[1:]):
                checks += _compare(source, lines, (left, relation, right), tolerance, bindings, slips)
            bindings.update(_bound(sides))
    return checks


def _compare(source: str, lines: Lines, pair: tuple[Side, str, Side], tolerance: Optional[float],
             bindings: dict, slips: SlipSearch) -> list[Check]:
    left, relation, right = pair
    if not right.is_result or left.shape != right.shape or not left.numeric:
        return []
    if left.is_result and relation not in CLAIMS_EQUAL:
        return []  # 1.251 \Rightarrow 0.62: between two numbers an arrow means "leads to", not "equals"
    text = " ".join(f"{written(source, left.where)} {relation} {written(source, right.where)}".split())
    checks = []
    for computed, result in zip(left.cells, right.cells):
        if computed.kind not in ("result", "computation"):
            continue
        right_here = _agrees(computed, result, tolerance)
        line, column = lines.where(result.where.start())
        checks.append(Check(line, column, result.where.offsets[-1] + 1, text, written(source, result.where),
                            shown(computed.value, result.decimals), right_here,
                            None if right_here else slips.name(computed, result, bindings),
                            not right_here and _truncated(computed, result)))
    return checks


def _truncated(computed: Cell, result: Cell) -> bool:
    """The written number is the computed one cut off after its digits (0.66 for 0.6652)."""
    with np.errstate(all="ignore"):
        return truncated(np.array(float(result.value)), np.array(float(computed.value)), np.array(result.decimals))


def _agrees(computed: Cell, result: Cell, tolerance: Optional[float]) -> bool:
    """The worksheet rule (:func:`agree`), on the two numbers scaled by a power of ten first when
    either is beyond float64 (1e400 would be inf, and inf agrees with inf); the half unit scales too."""
    largest = max(abs(result.value), abs(computed.value))
    shift = 0 if largest == 0 or 1e-300 < largest < 1e300 else int(sp.floor(sp.log(largest, 10)))
    scale = sp.Integer(10) ** -shift
    bound = np.array(result.decimals + shift) if tolerance is None else tolerance
    return bool(agree(float(result.value * scale), float(computed.value * scale), bound))


def _bound(sides: list[Side]) -> dict[sp.Symbol, sp.Expr]:
    """Bare names among the sides, bound to the chain's last side that is all numbers of their shape."""
    bound = {}
    for named in (s for s in sides if s.names):
        value = next((s for s in reversed(sides) if s.shape == named.shape
                      and all(c.kind in ("result", "computation") for c in s.cells)), None)
        if value is not None:
            bound.update({n.name: v.value for n, v in zip(named.cells, value.cells)})
    return bound


def written(source: str, where) -> str:
    """The text of the file that a located piece came from."""
    if not where.offsets:
        return ""
    return source[min(where.offsets):max(where.offsets) + 1].strip()


def shown(value: sp.Expr, decimals: int) -> str:
    """A correct value to at least SHOWN_DIGITS significant digits and one more place than was
    written, without trailing zeros: 0.27, 0.2718, 150528."""
    number = Decimal(str(sp.Float(value, 30)))
    if number == 0:
        return "0"
    magnitude = number.adjusted()  # floor(log10|x|)
    if abs(magnitude) >= DIGITS:  # e^{1000}: all but 30 of its 435 digits would be made up; e^{-1000}: zeros
        return f"{number:.{SHOWN_DIGITS - 1}E}"
    places = max(0, SHOWN_DIGITS - 1 - magnitude, decimals + 1)
    with localcontext(prec=max(magnitude, 0) + places + 2):  # every digit kept: the default 28 would refuse
        text = f"{number.quantize(Decimal(1).scaleb(-places)):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
