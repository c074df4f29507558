"""A problem's full solution as named quantities, each with how it is computed from the others.

A quantity is anything a student writes down: a node's value (``q``), a local
gradient (``dq/dy``, ∂q/∂y, for a direct input), a global gradient (``df/dx``,
∂output/∂x), a Jacobian (``ds/dx``), a derivative (``d/dx``). Each keeps

* its true value, computed by the engine (backprop, the tensor network, derive);
* the keys it depends on, and ``recompute``: the same step applied to any values
  of those keys — a grader feeds it the student's own numbers to tell a wrong step
  from a carried-forward error;
* the formula and the rule a teacher would say, and the registry's slips for it.

Quantities are kept in an order where every dependency comes first; the
solvers that make them are in :mod:`symdl.worksheet.solvers`.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Mapping, Optional

import numpy as np
import sympy as sp

from symdl.backprop import format_value
from symdl.derivation import Derivation
from symdl.worksheet.problem import Problem

Env = Mapping[str, Any]


@dataclasses.dataclass
class Quantity:
    key: str
    kind: str  # "given", "value", "local", "gradient", "derivative"
    value: Any  # a float array (0-d for numbers), or a SymPy expression for a derivative
    formula: str = ""
    rule: str = ""
    depends: tuple[str, ...] = ()
    recompute: Optional[Callable[[Env], Any]] = None
    slips: tuple[tuple[str, Callable[[Env], Any]], ...] = ()  # (what went wrong, what it gives)
    expr: Optional[sp.Expr] = None  # the formula as SymPy, for the LaTeX and MathML printers

    @property
    def label(self) -> str:
        """How the quantity is written: ∂f/∂x for ``df/dx``."""
        return label(self.key)


@dataclasses.dataclass
class Solution:
    problem: Problem
    quantities: dict[str, Quantity]
    work: Any  # the engine's result: a Backprop, a Network or a Derivation

    def get(self, key: str) -> Quantity:
        if key not in self.quantities:
            known = ", ".join(list(self.quantities)[:40])
            raise self.problem.error(f"no quantity {key!r} in this problem; known: {known}", "claims", key)
        return self.quantities[key]

    def reported(self) -> list[Quantity]:
        """What the answer key shows: the file's [report] list, else every worked quantity."""
        if self.problem.report is not None:
            return [self.get(key) for key in self.problem.report]
        return [q for q in self.quantities.values() if q.kind != "given"]

    def lines(self) -> list[str]:
        """The worked solution, one step per line: label = formula = value, and the rule."""
        lines = [self.problem.title, "=" * len(self.problem.title)]
        if self.problem.source:
            lines.append(f"source: {self.problem.source}")
        if isinstance(self.work, Derivation):
            lines += ["", str(self.work)]
        for q in self.quantities.values():
            if q.kind == "local" and np.ndim(q.value) > 2:
                continue  # a Jacobian of a matrix op: a claim may name it, but printed it helps no one
            value = show(q.value)
            formula = q.formula.removesuffix(f" = {value}")
            shown = q.label if q.kind == "given" or formula in ("", value) else f"{q.label} = {formula}"
            lines.append(f"{shown} = {show(q.value)}" + (f"    [{q.rule}]" if q.rule and q.kind != "value" else ""))
        if self.problem.notes:
            lines += ["", self.problem.notes]
        return lines

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def _repr_html_(self) -> str:
        """Jupyter shows the worked solution as on its HTML page."""
        from symdl.printing.notebook import solution_repr_html  # printers import this module
        return solution_repr_html(self)

    def __repr__(self) -> str:
        from symdl.printing.notebook import short_repr  # printers import this module
        return short_repr(self)

    def to_dict(self) -> dict:
        return {
            "title": self.problem.title,
            "kind": self.problem.kind,
            "source": self.problem.source,
            "quantities": {q.key: {"kind": q.kind, "value": plain(q.value), "formula": q.formula, "rule": q.rule,
                                   "depends": list(q.depends)} for q in self.quantities.values()},
        }


def label(key: str) -> str:
    if "/" in key and key.startswith("d"):
        top, bottom = key.split("/", 1)
        return f"∂{top[1:]}/∂{bottom[1:]}"
    return key


SHOWN_IN_FULL = 400  # a worksheet prints whole arrays up to this many entries (a 20×20 feature map)


def show(value) -> str:
    """A formula as text, a number to six digits, an array in full (rows on their own lines)."""
    if isinstance(value, (sp.Basic, str)):
        return str(value)
    array = np.asarray(value, dtype=float)
    if array.size > SHOWN_IN_FULL:
        return format_value(array)
    if array.size == 1:
        return _number_text(array.item())
    text = np.array2string(array, separator=", ", max_line_width=100, threshold=SHOWN_IN_FULL,
                           formatter={"float_kind": _number_text})
    return text if array.ndim > 1 else " ".join(text.split())


def _number_text(value: float) -> str:
    """A whole number in full (120422400, not 1.20422e+08), any other to six significant digits."""
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value + 0.0:.6g}"


def plain(value):
    """JSON form: numbers and nested lists, or the expression's text. JSON has no infinity, so a
    masked score's −∞ is the string "-inf" (Python's float() reads it back)."""
    if isinstance(value, (sp.Basic, str)):
        return str(value)
    array = np.asarray(value, dtype=float)
    if not np.isfinite(array).all():
        array = np.where(np.isfinite(array), array.astype(object), np.char.mod("%g", array).astype(object))
    return array.item() if array.ndim == 0 else array.tolist()
