"""A problem's full solution as named quantities, each with how it is computed from the others.

A quantity is anything a student writes down: a node's value (``q``), a local
gradient (``dq/dy``, ∂q/∂y, for a direct input), a global gradient (``df/dx``,
∂output/∂x), a Jacobian (``ds/dx``), a derivative (``d/dx``). Each keeps

* its true value, computed by the engine (backprop, the tensor network, derive);
* the keys it depends on, and ``recompute``: the same step applied to any values
  of those keys — a grader feeds it the student's own numbers to tell a wrong step
  from a carried-forward error;
* the formula and the rule a teacher would say, and the registry's slips for it;
* for a network's step, its swaps: the step with an operand replaced by another quantity of the
  same shape (W_ho where W_hi belongs), which a grader names only when it explains the whole claim.

Quantities are kept in an order where every dependency comes first; the
solvers that make them are in :mod:`symdl.worksheet.solvers`.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Mapping, Optional

import numpy as np
import sympy as sp

from symdl import display
from symdl.printing.values import label
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
    swaps: tuple[tuple[str, Callable[[Env], Any]], ...] = ()  # an operand swapped for another: (which, what it gives)
    expr: Optional[sp.Expr] = None  # the formula as SymPy, for the LaTeX and MathML printers
    where: Optional[sp.Basic] = None  # what the formula's letters stand for, printed on a line after it

    @property
    def label(self) -> str:
        """How the quantity is written: ∂f/∂x for ``df/dx``."""
        return label(self.key)


@dataclasses.dataclass
class Solution(display.Displayed):
    problem: Problem
    quantities: dict[str, Quantity]
    work: Any  # the engine's result: a Backprop, a Network or a Derivation

    def get(self, key: str) -> Quantity:
        if key not in self.quantities:
            known = ", ".join(list(self.quantities)[:40])
            raise self.problem.error(f"no quantity {key!r} in this problem; known: {known}", "claims", key)
        return self.quantities[key]

    @property
    def values_only(self) -> str:
        """What the page says where the file asks for no gradients, else ""."""
        if self.problem.gradients:
            return ""
        return ("Values only: a size or count calculation has no gradient a course asks for, so none is worked "
                "out or drawn (the file says gradients = false).")

    def reported(self) -> list[Quantity]:
        """What the answer key shows: the file's [report] list, else every worked quantity."""
        if self.problem.report is not None:
            return [self.get(key) for key in self.problem.report]
        return [q for q in self.quantities.values() if q.kind != "given"]

    def lines(self) -> list[str]:
        """The worked solution, one step per line: label = formula = value, and the rule."""
        return str(self).split("\n")

    def __str__(self) -> str:
        return display.show("text", self)

    def __repr__(self) -> str:
        return display.show("repr", self)

    def to_dict(self) -> dict:
        return {
            "title": self.problem.title,
            "kind": self.problem.kind,
            "source": self.problem.source,
            "quantities": {q.key: {"kind": q.kind, "value": plain(q.value), "formula": q.formula, "rule": q.rule,
                                   "depends": list(q.depends)} for q in self.quantities.values()},
        }


def plain(value):
    """JSON form: numbers and nested lists, or the expression's text. JSON has no infinity, so a
    masked score's −∞ is the string "-inf" (Python's float() reads it back)."""
    if isinstance(value, (sp.Basic, str)):
        return str(value)
    array = np.asarray(value, dtype=float)
    if not np.isfinite(array).all():
        array = np.where(np.isfinite(array), array.astype(object), np.char.mod("%g", array).astype(object))
    return array.item() if array.ndim == 0 else array.tolist()
