"""Deep-learning activations as first-class SymPy functions: ``symdl.functions.sigmoid`` and
every other function op whose SymPy class is made from its record in :mod:`symdl.ops`.

Each behaves like ``tanh``: automatic evaluation at numbers (``eval``), its derivative
(``fdiff``) in the textbook form, arbitrary-precision evaluation, a rewrite to elementary
functions, LaTeX, and code printing for ``sympy.lambdify``.
"""

from __future__ import annotations

import sympy as sp

from symdl import ops


def __getattr__(name: str) -> type:
    """``symdl.functions.<op>``: the record-made SymPy class of that function op."""
    defined = ops.defined_functions()
    if name in defined:
        return defined[name].head
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(ops.defined_functions()))


def step(x: sp.Expr) -> sp.Expr:
    """The perceptron's step: 1 for x > 0, else 0 (SymPy's Heaviside with H(0) = 0)."""
    return ops.get("step").forward((x,), None)
