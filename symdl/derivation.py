"""The derivation data model that every printer reads: a tree of rule applications.

A :class:`Step` says ``lhs = rhs`` by ``rule``, as SymPy Gamma's derivative
steps do: the general ``formula`` of the rule (d/dx[f/g] = (f′g − fg′)/g²),
the ``parts`` it is applied to (f = …, g = …), the ``substeps`` that work out
the parts' derivatives, nested beneath it, and the ``result`` once they are
filled in. A :class:`Derivation` is the expression, the variable, the root
steps and the final result; ``steps`` lists every step in reading order (a
rule before the sub-steps it uses). Its ``abbreviations`` name a vector
function's outputs by one letter, as a course writes sᵢ for softmax(x₁, x₂, x₃)ᵢ:
every printer prints :meth:`Derivation.as_written` (which also writes a step
function's derivative as cases) and a "where s = …" line per abbreviation. Printers render this object; they never differentiate, and
nothing here formats.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Iterator, Optional

import sympy as sp

from symdl import display

Mapping = Callable[[sp.Expr], sp.Expr]


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

    def mapped(self, change: Mapping) -> Step:
        """This step with every expression in it, sub-steps included, passed through ``change`` (the result
        dropped where it now reads as the right side)."""
        def each(expr):
            return None if expr is None else change(expr)
        rhs, result = each(self.rhs), each(self.result)
        return dataclasses.replace(self, lhs=each(self.lhs), rhs=rhs, result=None if result == rhs else result,
                                   formula=None if self.formula is None else (each(self.formula[0]),
                                                                              each(self.formula[1])),
                                   parts=tuple((each(k), each(v)) for k, v in self.parts),
                                   substeps=tuple(sub.mapped(change) for sub in self.substeps))

    def to_dict(self) -> dict:
        return {"lhs": str(self.lhs), "rhs": str(self.rhs), "rule": self.rule, "note": self.note}


@dataclasses.dataclass(frozen=True)
class Abbreviation:
    """One letter for a vector function's outputs: ``letter`` s stands for ``vector`` softmax(x1, x2, x3)
    (written without a component), and ``names`` says how each output reads in it (softmax(x1, x2, x3)[1]
    as s₁, log_softmax(x1, x2, x3)[1] as log s₁)."""

    letter: sp.Symbol
    vector: sp.Expr
    names: tuple[tuple[sp.Expr, sp.Expr], ...]


@dataclasses.dataclass
class Derivation(display.Displayed):
    """d(expression)/d(wrt) = result, justified by the ``tree`` of steps."""

    expression: sp.Expr
    wrt: sp.Symbol
    tree: list[Step]
    result: sp.Expr
    abbreviations: tuple[Abbreviation, ...] = ()  # printed as "where s = softmax(x1, x2, x3)"
    cases: tuple[tuple[sp.Expr, sp.Expr], ...] = ()  # a step function's sum and its cases: H(x) as {1 if x > 0; …}

    @property
    def steps(self) -> list[Step]:
        """Every step of the tree in reading order."""
        return [step for root in self.tree for step in root.walk()]

    def mapped(self, change: Mapping) -> Derivation:
        """This derivation with every expression in it passed through ``change`` (abbreviations included)."""
        abbreviations = tuple(Abbreviation(change(a.letter), change(a.vector),
                                           tuple((change(k), change(v)) for k, v in a.names))
                              for a in self.abbreviations)
        return Derivation(change(self.expression), change(self.wrt), [root.mapped(change) for root in self.tree],
                          change(self.result), abbreviations, tuple((change(k), change(v)) for k, v in self.cases))

    def as_written(self) -> Derivation:
        """What every printer prints: a step function's sums as cases, then each abbreviated output by its
        letter (s₁, not softmax(x1, x2, x3)[1]); the abbreviations stay, for the "where" line. ``to_dict``
        (the JSON) keeps the full forms."""
        cases = dict(self.cases)
        names = {k: v for a in self.abbreviations for k, v in a.names}
        if not cases and not names:
            return self
        shown = self.mapped(lambda expr: expr.xreplace(cases).xreplace(names))
        return dataclasses.replace(shown, abbreviations=self.abbreviations, cases=())

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
