"""The SymPy ``Function`` class of an op record, so SymPy treats symdl's activations like ``tanh``.

Everything in the class is read from the record (see :class:`symdl.ops.Op`): ``eval`` fills the
declared parameters' defaults and returns the record's exact values, ``fdiff`` is the record's
local derivative (written with the op's own output: σ' = σ(1 − σ)), evalf and ``rewrite`` go
through the record's elementary definition, and LaTeX and code printers (``sympy.latex``,
``sympy.lambdify``) print the record's name and definition. Nothing here knows any op by name.
"""

from __future__ import annotations

from typing import Any, Optional

import sympy as sp
from sympy.core.logic import fuzzy_and

MODULE = "symdl.functions"  # where the classes are found by name (and pickled from)


class RecordFunction(sp.Function):
    """A SymPy function defined by an op record (``record``)."""

    record: Any = None

    @classmethod
    def eval(cls, *args):
        full = cls.record.with_defaults(args)
        if len(full) != len(args):
            return cls(*full)
        if cls.record.exact is not None:
            return cls.record.exact(*args)
        return None

    def fdiff(self, argindex=1):
        return self.record.local(self, self.args, None)[argindex - 1]

    def _eval_is_real(self):
        return fuzzy_and(arg.is_real for arg in self.args)

    def _eval_is_positive(self):
        return self.args[0].is_real if self.record.sign == "positive" else None

    def _eval_is_nonnegative(self):
        return self.args[0].is_real if self.record.sign in ("positive", "nonnegative") else None

    def _eval_evalf(self, prec):
        """The definition evaluated with the arguments substituted by evalf itself, which raises the
        working precision where terms cancel (α(eˣ − 1) at x = −1e−60)."""
        if not all(arg.is_number for arg in self.args):
            return None
        placeholders = [sp.Dummy() for _ in self.args]
        definition = self.record.elementary(*placeholders)
        return definition.evalf(prec, subs=dict(zip(placeholders, self.args)))

    def _eval_rewrite(self, rule, args, **hints):
        """``rewrite(exp)`` or ``rewrite(h)`` for any head ``h`` the definition is written with."""
        definition = self.record.elementary(*args)
        heads = {type(node) for node in sp.preorder_traversal(definition)} | {sp.exp}
        return definition if rule in heads else None

    def _latex(self, printer, exp: Optional[str] = None) -> str:
        body = rf"{self.record.tex_name}\left({', '.join(printer._print(a) for a in self.args)}\right)"
        return body if exp is None else rf"{body}^{{{exp}}}"

    def _pythoncode(self, printer, **settings) -> str:
        """Code printers (lambdify's NumPy, SciPy, math, mpmath): a call when the printer was given
        this function by name (symdl's kernels are), else the elementary definition."""
        if type(self).__name__ in getattr(printer, "known_functions", {}):
            return printer._print_Function(self)
        return printer._print(self.record.elementary(*self.args))

    _numpycode = _mpmathcode = _pythoncode


def function_class(record) -> type:
    """A new SymPy function class for ``record``, named as the op."""
    arity = record.arity or 1
    counts = tuple(range(arity, arity + len(record.params) + 1))
    return type(record.name, (RecordFunction,), {"record": record, "nargs": counts, "__module__": MODULE,
                                                  "__doc__": record.rule})


class exprel_grad(sp.Function):
    """exprel′(x) = d/dx (eˣ − 1)/x = (eˣ(x − 1) + 1)/x², ½ at 0: the exprel gate's local gradient, a function
    of its own so that kernels call a form that does not cancel near 0 (``symdl.numeric.exprel_grad``)."""

    @classmethod
    def eval(cls, x):
        return sp.S.Half if x is sp.S.Zero else None

    @staticmethod
    def definition(x: sp.Expr) -> sp.Expr:
        return (sp.exp(x) * (x - 1) + 1) / x**2

    def fdiff(self, argindex=1):
        return sp.diff(self.definition(self.args[0]), self.args[0])

    def _eval_is_real(self):
        return self.args[0].is_real

    def _eval_evalf(self, prec):
        """As the record functions do: evalf raises its precision where the definition's terms cancel."""
        if not self.args[0].is_number:
            return None
        x = sp.Dummy()
        return self.definition(x).evalf(prec, subs={x: self.args[0]})

    def _eval_rewrite(self, rule, args, **hints):
        return self.definition(*args) if rule is sp.exp else None
