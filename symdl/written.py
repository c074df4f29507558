"""How a derivation is written for a person, as data every printer reads (text, LaTeX, MathML alike).

A course names a softmax's outputs sᵢ and writes ``where s = softmax(x₁, x₂, x₃)``; it writes ReLU′
as the cases {1 if x > 0; 0 otherwise}, not H(x). :func:`as_read` records both on a
:class:`~symdl.derivation.Derivation` (its ``abbreviations`` and ``cases``), and
:meth:`~symdl.derivation.Derivation.as_written` puts them in; the values (the JSON's
``derivative``) keep the full forms.
"""

from __future__ import annotations

import dataclasses
from typing import Optional

import sympy as sp
from sympy import Max, Min, S

from symdl import ops
from symdl.derivation import Abbreviation, Derivation

Expr = sp.Expr
_LETTERS = ("s", "p", "q", "r")  # for the outputs of a vector function, as a course names them


def as_read(derivation: Derivation) -> Derivation:
    """``derivation`` with its abbreviations and cases recorded."""
    return dataclasses.replace(derivation, abbreviations=_abbreviations(derivation), cases=_cases(derivation))


def cases(expr: Expr) -> Optional[Expr]:
    """``expr`` as a textbook's cases where it is a function of one step H(u) with H(0) = 0, as ReLU′
    and LeakyReLU′ are: {f(1) if u > 0; f(0) otherwise}, true since H is 1 or 0. A two-way Piecewise
    on u > 0 (ELU′) is kept. Each branch has max(0, u) and min(0, u) settled (ELU′'s e^min(0, x) is eˣ
    where x ≤ 0). None where neither applies, or nothing changes."""
    steps = {h for h in expr.atoms(sp.Heaviside) if len(h.args) == 2 and h.args[1] == 0}
    if isinstance(expr, sp.Piecewise) and len(expr.args) == 2 and expr.args[1].cond is sp.true \
            and isinstance(expr.args[0].cond, sp.StrictGreaterThan) and expr.args[0].cond.rhs == 0:
        u, on, off = expr.args[0].cond.lhs, expr.args[0].expr, expr.args[1].expr
    elif len(steps) == 1 and not expr.has(sp.Piecewise):
        (step,) = steps
        u, on, off = step.args[0], expr.xreplace({step: S.One}), expr.xreplace({step: S.Zero})
    else:
        return None
    on = on.xreplace({Max(0, u): u, Min(0, u): S.Zero})
    off = off.xreplace({Max(0, u): S.Zero, Min(0, u): u})
    written = sp.Piecewise((on, u > 0), (off, True))
    return None if written == expr else written


def _cases(derivation: Derivation) -> tuple[tuple[Expr, Expr], ...]:
    """The derivative and each step's right side that a step function makes piecewise, with its cases."""
    written = [derivation.result] + [e for step in derivation.steps for e in (step.rhs, step.result) if e is not None]
    found = ((expr, cases(expr)) for expr in dict.fromkeys(written))
    return tuple((expr, shown) for expr, shown in found if shown is not None)


def _abbreviations(derivation: Derivation) -> tuple[Abbreviation, ...]:
    """One letter per vector whose components the derivation uses (s for softmax(x1, x2, x3), its outputs
    s₁, s₂, …), each component written as its op record says (log_softmax's as log sᵢ); a letter the
    expression already uses as a name is skipped."""
    written = [derivation.expression, derivation.result]
    for step in derivation.steps:
        written += [step.lhs, step.rhs] + ([step.result] if step.result is not None else [])
        written += [part for pair in step.parts for part in pair]
    taken = {s.name for e in written for s in e.free_symbols}
    letters = (letter for letter in _LETTERS if letter not in taken)
    vectors: dict[sp.Expr, list[sp.Expr]] = {}
    for expr in written:
        for f in sp.preorder_traversal(expr):
            op = ops.by_head(type(f)) if isinstance(f, sp.Function) else None
            if op is not None and op.component is not None:
                vectors.setdefault(sp.Function(op.component[0])(*f.args[:-1]), []).append(f)
    found = []
    for vector, outputs in vectors.items():
        letter = next(letters, None)
        if letter is None:
            break
        names = tuple((f, ops.by_head(type(f)).component[1](sp.Symbol(f"{letter}_{f.args[-1]}", real=True)))
                      for f in dict.fromkeys(outputs))
        found.append(Abbreviation(sp.Symbol(letter), vector, names))
    return tuple(found)
