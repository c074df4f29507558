"""Notation that every printer (text, LaTeX, MathML) writes alike, so that no two disagree on what a
formula means: a leaf module, as :mod:`symdl.printing.order` is for the order of a sum."""

from __future__ import annotations

import sympy as sp


def heaviside_arguments(expr: sp.Heaviside) -> tuple[sp.Expr, ...]:
    """(u,) for H(u), the step that is 0 at 0 (ReLU′'s, as the step's op record defines H), else
    (u, c) for the step whose value at 0 is c: max's H(x − y, 1/2) splits a tie, so a printed equation
    holds at 0 too. symdl's parsers read both back (H(x) is 0 at 0, H(x, 1/2) is SymPy's Heaviside(x))."""
    u, at_zero = expr.args
    return (u,) if at_zero == 0 else (u, at_zero)
