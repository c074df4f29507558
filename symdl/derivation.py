"""The derivation data model that every printer reads: a tree of rule applications.

A :class:`Step` says ``lhs = rhs`` by ``rule``, as SymPy Gamma's derivative
steps do: the general ``formula`` of the rule (d/dx[f/g] = (f′g − fg′)/g²),
the ``parts`` it is applied to (f = …, g = …), the ``substeps`` that work out
the parts' derivatives, nested beneath it, and the ``result`` once they are
filled in. A :class:`Derivation` is the expression, the variable, the root
steps and the final result; ``steps`` lists every step in reading order (a
rule before the sub-steps it uses). Printers render this object; they never
differentiate, and nothing here formats.
"""

from __future__ import annotations

import dataclasses
from typing import Iterator, Optional

import sympy as sp

from symdl import display


@dataclasses.dataclass(frozen=True)
class Step:
    """One equation of a derivation and the reason it holds."""

    lhs: sp.Expr  # what is being rewritten, e.g. Derivative(tanh(x), x)
    rhs: sp.Expr  # what it equals by this rule, the parts' derivatives still written as Derivatives
    rule: str  # short name: "sum rule", "chain rule", "known derivative", "canonical form", ...
    note: str = ""  # one sentence a teacher would say
    formula: Optional[tuple[sp.Expr, sp.Expr]] = None  # the rule in general, as (lhs, rhs)
    parts: tuple[tuple[sp.Symbol, sp.Expr], ...] = ()  # what the formula's letters stand for
    substeps: tuple[Step, ...] = ()  # the parts' derivatives, worked out beneath this step
    result: Optional[sp.Expr] = None  # rhs with the substeps' results put in, where that differs

    def walk(self) -> Iterator[Step]:
        """This step, then its sub-steps' walks: the order a person reads them."""
        yield self
        for sub in self.substeps:
            yield from sub.walk()

    def to_dict(self) -> dict:
        return {"lhs": str(self.lhs), "rhs": str(self.rhs), "rule": self.rule, "note": self.note}


@dataclasses.dataclass
class Derivation(display.Displayed):
    """d(expression)/d(wrt) = result, justified by the ``tree`` of steps."""

    expression: sp.Expr
    wrt: sp.Symbol
    tree: list[Step]
    result: sp.Expr

    @property
    def steps(self) -> list[Step]:
        """Every step of the tree in reading order."""
        return [step for root in self.tree for step in root.walk()]

    def to_dict(self) -> dict:
        """JSON-ready form: every SymPy object as its SymPy-parsable string."""
        return {
            "expression": str(self.expression),
            "wrt": str(self.wrt),
            "derivative": str(self.result),
            "steps": [step.to_dict() for step in self.steps],
        }

    def __str__(self) -> str:
        return display.show("text", self)

    def __repr__(self) -> str:
        return display.show("repr", self)
