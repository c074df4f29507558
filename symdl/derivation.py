"""The derivation data model that every printer reads: ordered steps, each an equation and its reason.

A :class:`Step` says ``lhs = rhs`` by ``rule``; a :class:`Derivation` is the
expression, the variable, the steps in reading order and the final result.
Printers (text, LaTeX, HTML) render this object; they never differentiate.
"""

from __future__ import annotations

import dataclasses

import sympy as sp


@dataclasses.dataclass(frozen=True)
class Step:
    """One equation of a derivation and the reason it holds."""

    lhs: sp.Expr  # what is being rewritten, e.g. Derivative(tanh(x), x)
    rhs: sp.Expr  # what it equals after this step
    rule: str  # short name: "sum rule", "chain rule", "known derivative", "canonical form", ...
    note: str = ""  # one sentence a teacher would say

    def to_dict(self) -> dict:
        return {"lhs": str(self.lhs), "rhs": str(self.rhs), "rule": self.rule, "note": self.note}


@dataclasses.dataclass
class Derivation:
    """d(expression)/d(wrt) = result, justified by ``steps`` in reading order."""

    expression: sp.Expr
    wrt: sp.Symbol
    steps: list[Step]
    result: sp.Expr

    def to_dict(self) -> dict:
        """JSON-ready form: every SymPy object as its SymPy-parsable string."""
        return {
            "expression": str(self.expression),
            "wrt": str(self.wrt),
            "derivative": str(self.result),
            "steps": [step.to_dict() for step in self.steps],
        }

    def __str__(self) -> str:
        width = len(str(len(self.steps)))
        lines = [f"{i:>{width}}. {s.lhs} = {s.rhs}    [{s.rule}]" for i, s in enumerate(self.steps, 1)]
        return "\n".join(lines)

    def _repr_latex_(self) -> str:
        """Jupyter shows the steps as an aligned block of equations."""
        from symdl.printing.notebook import derivation_repr_latex  # printers import this module
        return derivation_repr_latex(self)

    def __repr__(self) -> str:
        return (f"Derivation(d/d{self.wrt} {self.expression} = {self.result}, "
                f"{len(self.steps)} steps)")
